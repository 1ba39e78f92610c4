"""Benchmark load: N no-op tasks fanned out with dynamic task mapping (param `n`, default 200)."""

from __future__ import annotations

import pendulum
from airflow.sdk import Param, dag, task


@dag(
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_tasks=1024,
    params={"n": Param(200, type="integer", minimum=1, maximum=5000)},
    tags=["airfleet", "benchmark"],
)
def airfleet_fanout():
    @task
    def items(params=None) -> list[int]:
        return list(range(params["n"]))

    @task
    def noop(i: int) -> None:
        """Does nothing: what remains is the cluster's own cost of running a task."""

    noop.expand(i=items())


airfleet_fanout()
