"""The DAG the fault tests (tests/e2e/test_faults.py) run: `count` tasks that sleep `seconds` each,
so a fault lands while they run, then `done`, which the scheduler queues only after the fault."""

from __future__ import annotations

import socket
import time
from datetime import timedelta

import pendulum
from airflow.sdk import Param, dag, task


@dag(
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    # A task killed with its worker is retried on another one; 5 s keeps the recovery short.
    default_args={"retries": 3, "retry_delay": timedelta(seconds=5)},
    params={"count": Param(4, type="integer", minimum=1), "seconds": Param(30, type="integer", minimum=0)},
    tags=["airfleet:no-alerts"],
)
def airfleet_test_faults():
    @task
    def plan(params=None) -> list[int]:
        return list(range(params["count"]))

    @task
    def nap(index: int, params=None) -> str:
        for tick in range(params["seconds"]):
            print(f"airfleet nap {index} tick {tick}", flush=True)
            time.sleep(1)
        return socket.gethostname()

    @task
    def done(hosts: list[str]) -> list[str]:
        return sorted(set(hosts))

    done(nap.expand(index=plan()))


airfleet_test_faults()
