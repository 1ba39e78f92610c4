"""Callbacks and notifiers named by a record: `on_failure_callback` and friends, on a job (its
DAG) or a task. Each entry is a function or a notifier class by import path, from the modules
allowed for python code (allowlist.PYTHON), so a record cannot name arbitrary code; a notifier may
take arguments: `{notifier: "airflow.providers.slack.notifications.slack:SlackNotifier",
args: {text: "..."}}`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from airfleet.factory import allowlist
from airfleet.factory.fields import TEXT, Field, Issue, Kind
from airfleet.factory.plan import Call

DAG_EVENTS = ("on_failure_callback", "on_success_callback")
TASK_EVENTS = (*DAG_EVENTS, "on_retry_callback")
WHAT = "an import path 'package.module:function', {notifier: 'package.module:Class', args: {...}}, or a list of them"


def _entry_shape(entry: Any) -> bool:
    if isinstance(entry, dict):
        return set(entry) <= {"notifier", "args"} and TEXT.test(entry.get("notifier")) and \
            isinstance(entry.get("args", {}), dict)
    return TEXT.test(entry)


def entries(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _load(entry: Any) -> Any:
    path = entry["notifier"] if isinstance(entry, dict) else entry
    target = allowlist.load(path, allowlist.PYTHON)
    if isinstance(entry, dict) and not isinstance(target, type):
        raise ValueError(f"'{path}' is a {type(target).__name__}, not a notifier class")
    if not callable(target):
        raise ValueError(f"'{path}' is a {type(target).__name__}, not a function or notifier class")
    return target


def issues(value: Any, where: str) -> Iterator[Issue]:
    """Entries that are refused by the allow-list or cannot be imported; nothing is called."""
    for index, entry in enumerate(entries(value)):
        place = where if not isinstance(value, list) else f"{where}[{index}]"
        try:
            _load(entry)
        except allowlist.Refused as error:
            yield Issue(place, str(error), allowlist.PYTHON.fix())
        except ValueError as error:
            yield Issue(place, str(error), "name a function, or a notifier class under `notifier`, importable on "
                                           "every host that parses DAGs")


def plan_values(value: Any) -> list[Any]:
    """The callbacks as plan values: functions as they are, notifiers as calls with their arguments."""
    made = []
    for entry in entries(value):
        target = _load(entry)
        if isinstance(entry, dict):
            made.append(Call(target, kwargs=dict(entry.get("args") or {})))
        elif isinstance(target, type):
            made.append(Call(target))
        else:
            made.append(target)
    return made


CALLBACKS = Field(Kind(WHAT, lambda v: (isinstance(v, list) and all(map(_entry_shape, v))) or _entry_shape(v)),
                  check=issues, mappable=False)
