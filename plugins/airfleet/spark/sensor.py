"""Wait for a driver submitted elsewhere (another task, spark-submit, a scheduler outside Airflow)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from airflow.sdk.bases.sensor import BaseSensorOperator
from airflow.sdk.exceptions import AirflowException

from airfleet.spark.hook import SparkRestHook
from airfleet.spark.trigger import SparkDriverTrigger


class SparkDriverSensor(BaseSensorOperator):
    """Succeed when the driver FINISHED, fail when it FAILED, was KILLED or hit an ERROR; a
    timeout leaves the driver alone (it is not this task's).

    `deferrable=True` waits in the triggerer; otherwise the usual poke / reschedule modes apply,
    and a poke-mode sensor holds a worker slot for the whole wait.
    """

    template_fields: Sequence[str] = ("submission_id", "rest_url")

    def __init__(
        self,
        *,
        submission_id: str,
        rest_url: str | None = None,
        conn_id: str = SparkRestHook.default_conn_name,
        deferrable: bool = False,
        max_status_errors: int = 5,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.submission_id = submission_id
        self.rest_url = rest_url
        self.conn_id = conn_id
        self.deferrable = deferrable
        self.max_status_errors = max_status_errors

    @property
    def hook(self) -> SparkRestHook:
        return SparkRestHook(rest_url=self.rest_url, conn_id=None if self.rest_url else self.conn_id)

    def execute(self, context: Any) -> Any:
        if not self.deferrable:
            return super().execute(context)
        self.defer(
            trigger=SparkDriverTrigger(
                rest_url=self.hook.rest_url, submission_id=self.submission_id, poll_interval=float(self.poke_interval),
                deadline=time.time() + float(self.timeout), max_status_errors=self.max_status_errors,
                kill_on_timeout=False,
            ),
            method_name="execute_complete",
            timeout=timedelta(seconds=float(self.timeout)) + timedelta(minutes=5),
        )

    def poke(self, context: Any) -> bool:
        status = self.hook.status(self.submission_id)
        if status.failed:
            raise AirflowException(f"driver {self.submission_id} ended {status.state}")
        return status.finished

    def execute_complete(self, context: Any, event: dict[str, Any]) -> None:
        if event["status"] != "success":
            raise AirflowException(event["message"])
