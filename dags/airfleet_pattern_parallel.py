"""Pattern: two tasks in parallel. Tasks with no dependency between them run at the same time, each
in its own worker slot (up to the workers' concurrency and the DAG's max_active_tasks)."""

from __future__ import annotations

import time

import pendulum
from airflow.sdk import dag, task


@dag(schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC"), catchup=False, tags=["airfleet", "pattern"])
def airfleet_pattern_parallel():
    @task
    def left() -> str:
        time.sleep(5)  # long enough to see both running at once in the grid view
        return "left done"

    @task
    def right() -> str:
        time.sleep(5)
        return "right done"

    # No `>>` between them: the scheduler queues both as soon as the run starts.
    left()
    right()


airfleet_pattern_parallel()
