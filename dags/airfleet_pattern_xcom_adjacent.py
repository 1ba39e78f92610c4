"""Pattern: data between adjacent tasks. A TaskFlow task's return value goes to XCom; passing it to
the next task as an argument both sets the order and hands over the value."""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task


@dag(schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC"), catchup=False, tags=["airfleet", "pattern"])
def airfleet_pattern_xcom_adjacent():
    @task
    def count_orders() -> dict[str, int | str]:
        # XCom lives in the metadata database: keep values small and JSON-like (ids, counts, paths).
        return {"source": "orders", "rows": 3}

    @task
    def describe(summary: dict[str, int | str]) -> str:
        return f"{summary['source']}: {summary['rows']} rows"

    describe(count_orders())


airfleet_pattern_xcom_adjacent()
