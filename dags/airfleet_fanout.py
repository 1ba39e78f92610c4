"""Benchmark load: N no-op tasks fanned out with dynamic task mapping (param `n`, default 200; up
to 1,000, or a multiple of 1,000 up to 5,000).

A mapped task takes a list of at most `[core] max_map_length` (1,024) items, so `noop` maps over two
lists, the blocks of 1,000 and the places within a block: their product is `n`."""

from __future__ import annotations

import pendulum
from airflow.sdk import Param, dag, task

BLOCK = 1000


@dag(
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_tasks=1024,
    params={"n": Param(200, type="integer", minimum=1, maximum=5000,
                       description="up to 1000, or a multiple of 1000")},
    tags=["airfleet", "benchmark"],
)
def airfleet_fanout():
    @task
    def blocks(params=None) -> list[int]:
        n = params["n"]
        if n > BLOCK and n % BLOCK:
            raise ValueError(f"n={n}: give at most {BLOCK}, or a multiple of {BLOCK}")
        return list(range(max(1, n // BLOCK)))

    @task
    def places(params=None) -> list[int]:
        return list(range(min(params["n"], BLOCK)))

    @task
    def noop(block: int, place: int) -> None:
        """Does nothing: what remains is the cluster's own cost of running a task."""

    noop.expand(block=blocks(), place=places())


airfleet_fanout()
