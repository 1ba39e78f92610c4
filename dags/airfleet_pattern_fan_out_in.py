"""Pattern: fan-out and fan-in with dynamic task mapping, and trigger rules for joins.

`count_rows.expand(...)` makes one task instance per input at run time (however many there are);
`total` receives all their results as one list (the fan-in) and, with the default trigger rule
`all_success`, runs only when every copy succeeded. After a branch, the path not taken is skipped,
so the join uses `none_failed_min_one_success`: run when nothing failed and at least one parent
succeeded (the default would skip it too).
"""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task


@dag(schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC"), catchup=False, tags=["airfleet", "pattern"])
def airfleet_pattern_fan_out_in():
    @task
    def list_parts() -> list[str]:
        return [f"part-{n}.csv" for n in range(5)]

    @task
    def count_rows(part: str) -> int:
        return 100 + int(part[5])  # stands in for reading the part

    @task  # trigger_rule="all_success", the default
    def total(counts: list[int]) -> int:
        return sum(counts)

    @task.branch
    def route(rows: int) -> str:
        return "big_batch" if rows > 250 else "small_batch"

    @task
    def big_batch() -> str:
        return "load in chunks"

    @task
    def small_batch() -> str:
        return "load at once"

    @task(trigger_rule="none_failed_min_one_success")
    def publish() -> str:
        return "published"

    rows = total(count_rows.expand(part=list_parts()))
    route(rows) >> [big_batch(), small_batch()] >> publish()


airfleet_pattern_fan_out_in()
