"""The failure callback the cluster policy attaches to every task and DAG.

A callback, unlike the classic `trigger_rule="one_failed"` alert task, leaves the run failed.
A task alerts once, on its final failure (retries go to on_retry_callback). A DAG run alerts
only when it failed for a reason of its own (timed out, deadlocked): a run that failed because
tasks failed has already alerted through them, so each failure gives exactly one alert.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from airflow.sdk import BaseNotifier

from airfleet.alerts import senders
from airfleet.alerts.message import Alert
from airfleet.alerts.settings import AlertSettings, load

TASK, DAG = "task", "dag"


class FailureNotifier(BaseNotifier):
    template_fields = ()

    def __init__(self, kind: str = TASK, settings: Callable[[], AlertSettings] = load) -> None:
        if kind not in (TASK, DAG):
            raise ValueError(f"kind must be {TASK!r} or {DAG!r}, not {kind!r}")
        super().__init__()
        self.kind = kind
        self.settings = settings

    def render_template_fields(self, context: Any, jinja_env: Any = None) -> None:
        """Nothing to render: the alert is built from the context, and exception text is no template."""

    def notify(self, context: Any) -> None:
        if self.kind == DAG and context.get("reason") == "task_failure":
            self.log.info("DAG run failed through its tasks, which alerted already")
            return
        alert = Alert.from_task_context(context) if self.kind == TASK else Alert.from_dag_context(context)
        settings = self.settings()
        if not settings.destinations:
            self.log.info("no alert destination set (AIRFLEET_ALERT_* or the airfleet_alerts Variable): "
                          "not alerting about %s", alert.subject)
            return
        for name in settings.destinations:
            try:
                senders.SENDERS[name](alert, settings)
            except Exception as error:  # noqa: BLE001 - one broken destination must not silence the others
                self.log.error("alert by %s failed: %s", name, error)
            else:
                self.log.info("alert sent by %s: %s", name, alert.subject)
