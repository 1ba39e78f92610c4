"""The DAG the Cluster page test runs: one task keeps a Celery worker busy, one waits deferred
on the triggerer, both for `seconds`."""

from __future__ import annotations

import time

import pendulum
from airflow.providers.standard.sensors.date_time import DateTimeSensorAsync
from airflow.sdk import Param, dag, task


@dag(schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC"), catchup=False,
     params={"seconds": Param(90, type="integer")})
def airfleet_test_cluster_view():
    @task
    def busy(params=None) -> None:
        time.sleep(params["seconds"])

    busy()
    DateTimeSensorAsync(
        task_id="waiting",
        target_time="{{ (dag_run.start_date + macros.timedelta(seconds=params.seconds)).isoformat() }}",
    )


airfleet_test_cluster_view()
