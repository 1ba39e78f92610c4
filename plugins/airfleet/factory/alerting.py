"""Alert routing: a job's (or one task's) failures go to its own e-mail, webhook or SNS topic
instead of the cluster's (`alerts: {webhook_url: ...}`), or to no one (`alerts: false`).

The cluster policy gives every task and DAG Airfleet's FailureNotifier, reading the cluster's
destinations. A routed job or task gets that notifier with AlertRouting as its settings instead;
the policy sees a FailureNotifier already there and adds none, so each failure still alerts
exactly once. A job opts out with the policy's opt-out tag; a single task with a notifier that has
no destination.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from typing import Any

from airfleet.factory.fields import Field, Issue, Kind, suggestion
from airfleet.factory.plan import Call

ROUTES = ("email_to", "webhook_url", "sns_topic_arn")  # the destinations; those a job does not name are off
SETTINGS = ("email_from", "smtp_conn_id", "aws_conn_id", "sns_region")  # how to reach them; default: the cluster's


@dataclass(frozen=True)
class AlertRouting:
    """The settings callable of a routed FailureNotifier: the cluster's, with these destinations
    (none given: no alert)."""

    email_to: str = ""
    webhook_url: str = ""
    sns_topic_arn: str = ""
    email_from: str = ""
    smtp_conn_id: str = ""
    aws_conn_id: str = ""
    sns_region: str = ""

    def __call__(self) -> Any:
        from airfleet.alerts.settings import load

        given = {key: value for key, value in asdict(self).items() if value or key in ROUTES}
        return replace(load(), **given)


def _shape(value: Any) -> bool:
    if isinstance(value, bool):
        return True
    return isinstance(value, dict) and all(
        isinstance(item, str)
        or (key == "email_to" and isinstance(item, list) and all(isinstance(i, str) for i in item))
        for key, item in value.items())


def issues(value: Any, where: str) -> Iterator[Issue]:
    if isinstance(value, bool):
        return
    known = [*ROUTES, *SETTINGS]
    for key in value:
        if key not in known:
            yield Issue(f"{where}.{key}", f"not an alert setting{suggestion(key, known)}",
                        f"use only {', '.join(known)}")
    if not any(value.get(key) for key in ROUTES):
        yield Issue(where, "names no destination",
                    f"set at least one of {', '.join(ROUTES)}, or alerts: false for none")


ALERTS = Field(Kind("true, false, or a mapping of destinations (email_to, webhook_url, sns_topic_arn)", _shape),
               check=issues)


def notifiers(alerts: Any, kind: str) -> list[Call]:
    """The failure notifier for a routed DAG (kind "dag") or task ("task"); none otherwise."""
    if not isinstance(alerts, dict):
        return []
    from airfleet.alerts.notifier import FailureNotifier

    routing = {key: ",".join(value) if isinstance(value, list) else value for key, value in alerts.items()}
    return [Call(FailureNotifier, kwargs={"kind": kind, "settings": Call(AlertRouting, kwargs=routing)})]


def task_notifiers(alerts: Any) -> list[Call]:
    """A task's own `alerts`: routed, silenced (false), or the cluster's (true: nothing to add)."""
    if alerts is False:
        from airfleet.alerts.notifier import FailureNotifier

        return [Call(FailureNotifier, kwargs={"kind": "task", "settings": Call(AlertRouting)})]
    return notifiers(alerts, "task")
