"""The records one DAG needs, for a worker that builds only the DAG of the task it is about to run.

Validating every record costs time in proportion to all the sources hold (500 jobs of 20 tasks:
most of a second), and a worker pays it before every task. A job's DAG needs only the job and its
tasks; a schedule's DAG its schedule, the schedule's jobs and their tasks; both need the defaults.
Narrowing happens on the raw records, before validation; the DAG built is the same.
"""

from __future__ import annotations

from typing import Any

from airfleet.factory.catalog import JOB_PREFIX, SCHEDULE_PREFIX


def _records(raw: dict[str, Any], key: str) -> list[dict[str, Any]]:
    value = raw.get(key)
    return [record for record in value if isinstance(record, dict)] if isinstance(value, list) else []


def _id(value: Any) -> str | None:
    return str(value) if isinstance(value, (str, int)) and not isinstance(value, bool) else None


def _ids(record: dict[str, Any], key: str) -> set[str | None]:
    value = record.get(key)
    return {_id(item) for item in value} if isinstance(value, list) else set()


def narrow(raw: Any, dag_id: str | None) -> Any:
    """`raw` (a source's records) cut down to what `dag_id` needs; all of it when dag_id is None."""
    if dag_id is None or not isinstance(raw, dict):
        return raw
    schedules: list[dict[str, Any]] = []
    if dag_id.startswith(SCHEDULE_PREFIX):
        schedules = [record for record in _records(raw, "schedules")
                     if record.get("name") == dag_id[len(SCHEDULE_PREFIX):]]
        wanted = set().union(*(_ids(schedule, "jobs") for schedule in schedules))
        jobs = [record for record in _records(raw, "jobs") if _id(record.get("id")) in wanted]
    else:
        name = dag_id[len(JOB_PREFIX):] if dag_id.startswith(JOB_PREFIX) else None
        jobs = [record for record in _records(raw, "jobs") if name is not None and record.get("name") == name]
    task_ids = set().union(*(_ids(job, "tasks") for job in jobs))
    tasks = [record for record in _records(raw, "tasks") if _id(record.get("id")) in task_ids]
    return {**raw, "tasks": tasks, "jobs": jobs, "schedules": schedules}
