"""Cluster policies, loaded by Airflow like `airflow_local_settings` wherever DAGs are parsed.

Registered through the `airflow.policy` entry point of the airfleet package (pyproject.toml), so
every role that has the package applies them, including the workers and the dag-processor, and a
site's own airflow_local_settings.py keeps working beside them.

- Every DAG and every task gets a failure notifier (airfleet.alerts), unless the DAG carries the
  tag `airfleet:no-alerts`.
- On MySQL, enum members are bound by value (see `bind_enums_by_value`): without that, the first
  failure callback the scheduler queues kills it, and every failure has a callback here.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

import pluggy

OPT_OUT_TAG = "airfleet:no-alerts"

hookimpl = pluggy.HookimplMarker("airflow.policy")


def opted_out(dag: Any) -> bool:
    return dag is not None and OPT_OUT_TAG in (getattr(dag, "tags", None) or ())


def _with_notifier(callbacks: Any, kind: str) -> list[Any]:
    from airfleet.alerts.notifier import FailureNotifier

    existing = list(callbacks) if isinstance(callbacks, (list, tuple)) else ([callbacks] if callbacks else [])
    if any(isinstance(callback, FailureNotifier) for callback in existing):
        return existing  # parsed twice in one process: one alert is enough
    return [*existing, FailureNotifier(kind)]


@hookimpl
def dag_policy(dag: Any) -> None:
    if opted_out(dag):
        return
    dag.on_failure_callback = _with_notifier(dag.on_failure_callback, "dag")
    # Computed once when the DAG is built; the scheduler asks for DAG callbacks only when it is set.
    dag.has_on_failure_callback = True


def _dag_of(task: Any) -> Any:
    try:
        return task.dag
    except RuntimeError:  # not assigned to a DAG (the SDK raises instead of returning None)
        return None


@hookimpl
def task_policy(task: Any) -> None:
    if opted_out(_dag_of(task)):
        return
    task.on_failure_callback = _with_notifier(task.on_failure_callback, "task")


def enum_values(parameters: Any) -> Any:
    """DB-API parameters (a dict, a sequence, or a list of either) with Enum members as their values."""
    if isinstance(parameters, dict):
        return {key: enum_values(value) for key, value in parameters.items()}
    if isinstance(parameters, (list, tuple)):
        return type(parameters)(enum_values(value) for value in parameters)
    return parameters.value if isinstance(parameters, Enum) else parameters


def _bind_by_value(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> Any:
    if conn.dialect.name == "mysql":
        parameters = enum_values(parameters)
    return statement, parameters


def bind_enums_by_value() -> None:
    """Airflow 3.3.2 binds `callback.type` as a `CallbackType` member; mysqlclient writes a str-Enum
    as 'CallbackType.DAG_PROCESSOR', longer than the column's 20 characters, and the scheduler dies
    on the insert ("Data too long for column 'type'") whenever it queues a DAG or task callback for
    the dag-processor. Policies load before Airflow creates its engines, so every engine gets this."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    if not event.contains(Engine, "before_cursor_execute", _bind_by_value):
        event.listen(Engine, "before_cursor_execute", _bind_by_value, retval=True)


bind_enums_by_value()
