"""DAG the container-task end-to-end test runs: a closure over this file's helper and constant,
executed by the image's bare system Python (no Airflow, no dill, no DAG file in there)."""

from __future__ import annotations

import importlib.util
import sys

import pendulum
from airflow.sdk import dag, task

from airfleet.container import container_task

FACTOR = 6


def times(value: int) -> int:
    return value * FACTOR


def make_answer(offset: int):
    def answer(value: int) -> dict:
        return {
            "answer": times(value) + offset,
            "python": sys.executable,
            "airflow_importable": importlib.util.find_spec("airflow") is not None,
        }

    return answer


@dag(schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC"), catchup=False)
def airfleet_test_container():
    @task
    def seven() -> int:
        return 7

    run_in_image = container_task(make_answer(0), task_id="closure", image="airfleet/airflow:local",
                                  python="/usr/bin/python3", queue="airfleet-container")
    run_in_image(seven())


airfleet_test_container()
