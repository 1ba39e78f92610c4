"""Benchmark load: `n` waits deferred to the triggerer at once, each for `seconds`."""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.providers.standard.sensors.date_time import DateTimeSensorAsync
from airflow.sdk import Param, dag, task


@dag(schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC"), catchup=False,
     max_active_tasks=5000,
     params={"n": Param(200, type="integer", minimum=1, maximum=5000),
             "seconds": Param(120, type="integer", minimum=1)},
     tags=["airfleet", "benchmark"])
def airfleet_waits():
    @task
    def moments(params=None, dag_run=None) -> list[str]:
        until = dag_run.start_date + timedelta(seconds=params["seconds"])
        return [until.isoformat()] * params["n"]

    DateTimeSensorAsync.partial(task_id="wait").expand(target_time=moments())


airfleet_waits()
