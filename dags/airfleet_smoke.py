"""Smoke test of a cluster: two tasks in series, each reporting the host it ran on."""

from __future__ import annotations

import socket

import pendulum
from airflow.sdk import dag, task


@dag(schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC"), catchup=False, tags=["airfleet"])
def airfleet_smoke():
    @task
    def where() -> str:
        return socket.gethostname()

    @task
    def report(first_host: str) -> dict[str, str]:
        return {"first": first_host, "second": socket.gethostname()}

    report(where())


airfleet_smoke()
