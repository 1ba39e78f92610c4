"""The DAG the pipeline tests change and deploy: each task reports the VERSION it was parsed with."""

from __future__ import annotations

import time

import pendulum
from airflow.sdk import Param, dag, task

VERSION = "initial"


@dag(schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC"), catchup=False,
     params={"seconds": Param(1, type="integer")})
def airfleet_test_deploy():
    @task
    def report(params=None) -> str:
        time.sleep(params["seconds"])
        return VERSION

    @task(queue="pipeline-node")
    def on_node() -> str:
        return VERSION

    report() >> on_node()


airfleet_test_deploy()
