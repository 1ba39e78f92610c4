"""Where a submit task remembers its driver, so a retry re-attaches instead of submitting twice.

Airflow clears a task's XComs when a new try starts, so the record lives in an Airflow Variable
(reachable from workers through the Execution API) keyed by the task instance, or by the stream's
name for a long-running stream that later runs of a keeper DAG must find again.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Protocol


class DriverRegistry(Protocol):
    def get(self, key: str) -> str | None: ...

    def put(self, key: str, submission_id: str) -> None: ...

    def forget(self, key: str) -> None: ...


class VariableRegistry:
    """Records in Airflow Variables named `airfleet.spark.<key>`."""

    prefix = "airfleet.spark."

    def get(self, key: str) -> str | None:
        from airflow.sdk import Variable

        raw = Variable.get(self.prefix + key, default=None)
        return json.loads(raw)["submission_id"] if raw else None

    def put(self, key: str, submission_id: str) -> None:
        from airflow.sdk import Variable

        Variable.set(self.prefix + key, json.dumps({"submission_id": submission_id}),
                     description="Spark driver of a running airfleet task; removed when the task ends")

    def forget(self, key: str) -> None:
        from airflow.sdk import Variable

        try:
            Variable.delete(self.prefix + key)
        except Exception:  # noqa: BLE001 - already gone is fine
            pass


class MemoryRegistry:
    """A registry in a dict, for tests and for running an operator outside Airflow."""

    def __init__(self) -> None:
        self.records: dict[str, str] = {}

    def get(self, key: str) -> str | None:
        return self.records.get(key)

    def put(self, key: str, submission_id: str) -> None:
        self.records[key] = submission_id

    def forget(self, key: str) -> None:
        self.records.pop(key, None)


def task_key(ti: Any) -> str:
    """One key per task instance (dag, task, run, map index), stable across its tries."""
    run = hashlib.sha1(f"{ti.run_id}/{ti.map_index}".encode(), usedforsecurity=False).hexdigest()[:16]
    return f"driver.{ti.dag_id}.{ti.task_id}.{run}"[:240]


def stream_key(stream_name: str) -> str:
    return f"stream.{stream_name}"[:240]
