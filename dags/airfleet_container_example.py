"""A Python task in a sibling container, with helpers and closures from this file.

Runs on a worker started with `sbin/200.sh worker --docker-socket --queues docker`; the image only
needs the worker's Python minor version (3.11). The function is shipped by value, so `normalise`,
`UNITS` and the closure over `factor` work inside the image, where neither Airflow nor this file
exists; the return value comes back through XCom.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task

from airfleet.container import container_task

UNITS = {"g": 1, "kg": 1000}


def normalise(amount: float, unit: str) -> float:
    return amount * UNITS[unit]


def scaled(factor: float):
    def total(rows: list[dict]) -> dict:
        grams = sum(normalise(row["amount"], row["unit"]) for row in rows)
        return {"grams": grams * factor, "rows": len(rows)}

    return total


@dag(schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC"), catchup=False, tags=["airfleet"])
def airfleet_container_example():
    @task
    def rows() -> list[dict]:
        return [{"amount": 2, "unit": "kg"}, {"amount": 250, "unit": "g"}]

    weigh = container_task(scaled(1.5), image="python:3.11-slim", queue="docker", task_id="weigh")
    weigh(rows())


airfleet_container_example()
