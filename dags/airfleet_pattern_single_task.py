"""Pattern: a single task. The smallest useful Airflow DAG: one Python function, run on demand."""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task


# schedule=None: runs only when triggered (UI, API, or another DAG). catchup=False: never backfills.
@dag(schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC"), catchup=False, tags=["airfleet", "pattern"])
def airfleet_pattern_single_task():
    @task
    def say_hello() -> str:
        # Runs on a Celery worker; the return value is stored as this task's XCom.
        return "hello from a worker"

    say_hello()


airfleet_pattern_single_task()
