"""Benchmark load: 20 no-op tasks in a chain; the gaps between them are the cluster's hop latency."""

from __future__ import annotations

import pendulum
from airflow.sdk import chain, dag, task

LENGTH = 20


@dag(schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC"), catchup=False,
     tags=["airfleet", "benchmark"])
def airfleet_chain():
    @task
    def noop() -> None:
        """Does nothing: what remains is the time from one task's end to the next one's start."""

    chain(*(noop.override(task_id=f"hop_{i:02d}")() for i in range(LENGTH)))


airfleet_chain()
