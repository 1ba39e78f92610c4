"""Benchmark load: `n` waits deferred to the triggerer at once, each for `seconds` (n up to 5,000).

A mapped task takes a list of at most `[core] max_map_length` (1,024) items, so the waits are
mapped in blocks of 1,000 (`wait_0` ... `wait_4`; the unused ones map over nothing and are skipped)."""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.providers.standard.sensors.date_time import DateTimeSensorAsync
from airflow.sdk import Param, dag, task

BLOCK, BLOCKS = 1000, 5


@dag(schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC"), catchup=False,
     max_active_tasks=BLOCK * BLOCKS,
     params={"n": Param(200, type="integer", minimum=1, maximum=BLOCK * BLOCKS),
             "seconds": Param(120, type="integer", minimum=1)},
     tags=["airfleet", "benchmark"])
def airfleet_waits():
    @task
    def moments(block: int, params=None, dag_run=None) -> list[str]:
        until = dag_run.start_date + timedelta(seconds=params["seconds"])
        return [until.isoformat()] * max(0, min(BLOCK, params["n"] - block * BLOCK))

    for block in range(BLOCKS):
        DateTimeSensorAsync.partial(task_id=f"wait_{block}").expand(
            target_time=moments.override(task_id=f"moments_{block}")(block))


airfleet_waits()
