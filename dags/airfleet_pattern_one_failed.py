"""Pattern: react to a failure with the `one_failed` trigger rule. This run is meant to FAIL.

One mapped `validate` copy fails on purpose. `load` (all_success) is then `upstream_failed`, and
`alert` (one_failed) runs as soon as any parent failed, e.g. to page someone or open a ticket.
The run's state comes from its leaf tasks: `load` is a leaf, so the run is failed, as it should
be. If the alert were the only leaf, its success would make the failed run look successful.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task


@dag(schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC"), catchup=False, tags=["airfleet", "pattern"],
     default_args={"retries": 0})
def airfleet_pattern_one_failed():
    @task
    def records() -> list[dict[str, int]]:
        return [{"id": 1, "amount": 10}, {"id": 2, "amount": -5}, {"id": 3, "amount": 7}]

    @task
    def validate(record: dict[str, int]) -> dict[str, int]:
        if record["amount"] < 0:
            raise ValueError(f"record {record['id']}: negative amount {record['amount']}")
        return record

    @task
    def load(valid: list[dict[str, int]]) -> int:
        return len(valid)

    @task(trigger_rule="one_failed")
    def alert() -> str:
        return "a record failed validation; someone has been told"

    checked = validate.expand(record=records())
    load(checked)
    checked >> alert()


airfleet_pattern_one_failed()
