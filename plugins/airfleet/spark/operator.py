"""Submit a Spark driver in cluster mode and succeed only when it (and its output) is done.

spark-submit in cluster mode returns as soon as the master accepts the driver, so downstream
tasks used to start before the data existed. This operator submits through the REST API, defers
to `SparkDriverTrigger` (no worker slot held while the driver runs), and, when a
`response_check` is given, keeps the task waiting until the output passes it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from airflow.sdk import BaseOperator
from airflow.sdk.bases.operator import TRIGGER_FAIL_REPR, TriggerFailureReason
from airflow.sdk.exceptions import AirflowException

from airfleet.errors import redact
from airfleet.spark.attach import DriverRegistry, VariableRegistry, stream_key, task_key
from airfleet.spark.hook import SparkRestError, SparkRestHook, SparkRestUnavailable, Submission
from airfleet.spark.trigger import SparkDriverTrigger, ship_check

# How much longer Airflow's own deferral timeout runs than the trigger's deadline: it is only a
# backstop for a trigger that never reported (the trigger kills the driver at its deadline).
BACKSTOP = timedelta(minutes=5)


def _seconds(value: timedelta | float) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class SparkRestSubmitOperator(BaseOperator):
    """Run a JVM application on a Spark standalone master and wait for it without a worker slot.

    :param app_resource: jar the Spark worker can read (`file:/...`, `hdfs://...`, `http://...`).
    :param main_class: the application's main class.
    :param app_args: arguments to the main class.
    :param rest_url: the master's REST server, `http://master:6066`; or give `conn_id`.
    :param conn_id: connection whose host and port are the master's REST server.
    :param response_check: data-quality check `check(output_path) -> bool`, run in the triggerer
        after the driver FINISHED; falsy means "not ready yet" and is retried every
        `poll_interval` until `wait_timeout`; raising fails the task. It may be a function,
        lambda or closure from the DAG file: it is shipped by value (airfleet.serialization).
    :param output_path: passed to `response_check` (templated).
    :param wait_timeout: how long to wait for the driver and the check; a driver still running
        then is killed.
    :param max_status_errors: status polls in a row that may fail (master unreachable, HTTP 5xx)
        before the task fails; the driver is left running and a retry re-attaches to it.
    :param streaming: succeed once the driver has been RUNNING for `settle_seconds`.
    :param stream_name: with streaming, a name shared by every run: a run finds the stream's
        driver still alive and re-attaches, or resubmits it when it died (a keeper DAG).
    :param registry: where the driver id is remembered between tries (Airflow Variables).
    """

    template_fields: Sequence[str] = (
        "app_resource", "main_class", "app_args", "app_name", "spark_properties", "rest_url", "output_path",
    )
    ui_color = "#fde9d9"

    def __init__(
        self,
        *,
        app_resource: str,
        main_class: str,
        app_args: Sequence[str] = (),
        app_name: str | None = None,
        spark_properties: dict[str, str] | None = None,
        environment: dict[str, str] | None = None,
        rest_url: str | None = None,
        conn_id: str = SparkRestHook.default_conn_name,
        response_check: Callable[[str | None], Any] | None = None,
        output_path: str | None = None,
        poll_interval: float = 10.0,
        wait_timeout: timedelta | float = timedelta(hours=2),
        max_status_errors: int = 5,
        check_timeout: float = 300.0,
        streaming: bool = False,
        stream_name: str | None = None,
        settle_seconds: float = 60.0,
        registry: DriverRegistry | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if stream_name and not streaming:
            raise ValueError("stream_name is for streaming=True: it lets later runs find the same stream")
        if streaming and response_check is not None:
            raise ValueError("a streaming driver never finishes: response_check cannot be combined with streaming=True")
        self.app_resource = app_resource
        self.main_class = main_class
        self.app_args = list(app_args)
        self.app_name = app_name
        self.spark_properties = dict(spark_properties or {})
        self.environment = dict(environment or {})
        self.rest_url = rest_url
        self.conn_id = conn_id
        self.response_check = response_check
        self.output_path = output_path
        self.poll_interval = poll_interval
        self.wait_timeout = _seconds(wait_timeout)
        self.max_status_errors = max_status_errors
        self.check_timeout = check_timeout
        self.streaming = streaming
        self.stream_name = stream_name
        self.settle_seconds = settle_seconds
        self.registry: DriverRegistry = registry or VariableRegistry()
        self._submission_id: str | None = None

    @property
    def hook(self) -> SparkRestHook:
        return SparkRestHook(rest_url=self.rest_url, conn_id=None if self.rest_url else self.conn_id)

    def submission(self, context: Any) -> Submission:
        ti = context["ti"]
        return Submission(
            app_resource=self.app_resource, main_class=self.main_class, app_args=self.app_args,
            name=self.app_name or f"{ti.dag_id}.{ti.task_id}", spark_properties=self.spark_properties,
            environment=self.environment,
        )

    def attach_key(self, context: Any) -> str:
        return stream_key(self.stream_name) if self.stream_name else task_key(context["ti"])

    def execute(self, context: Any) -> None:
        # Ship the check first: a check that cannot travel fails before anything is submitted.
        check = ship_check(self.response_check) if self.response_check is not None else None
        hook, key = self.hook, self.attach_key(context)
        self._submission_id = self._alive_driver(hook, key)
        if self._submission_id:
            self.log.info("re-attaching to driver %s, still running from an earlier try or run", self._submission_id)
        else:
            self._submission_id = hook.create(self.submission(context))
            self.registry.put(key, self._submission_id)
            self.log.info("submitted driver %s to %s", self._submission_id, redact(hook.rest_url))
        self.defer(
            trigger=SparkDriverTrigger(
                rest_url=hook.rest_url, submission_id=self._submission_id, poll_interval=self.poll_interval,
                deadline=time.time() + self.wait_timeout, max_status_errors=self.max_status_errors,
                response_check=check, output_path=self.output_path, check_timeout=self.check_timeout,
                settle_seconds=self.settle_seconds if self.streaming else None,
            ),
            method_name="execute_complete",
            timeout=timedelta(seconds=self.wait_timeout) + BACKSTOP,
        )

    def _alive_driver(self, hook: SparkRestHook, key: str) -> str | None:
        submission_id = self.registry.get(key)
        if not submission_id:
            return None
        try:
            status = hook.status(submission_id)
        except SparkRestUnavailable as error:
            # It may still run: submitting now could run the job twice. Let the next try decide.
            raise AirflowException(f"cannot tell whether driver {submission_id} still runs: {error}") from error
        except SparkRestError as error:
            self.log.info("recorded driver %s is gone (%s): submitting a new one", submission_id, error)
            return None
        if status.alive:
            return submission_id
        self.log.info("recorded driver %s already ended %s: submitting a new one", submission_id, status.state)
        return None

    def execute_complete(self, context: Any, event: dict[str, Any]) -> str:
        self._submission_id = event["submission_id"]
        status, message = event["status"], event["message"]
        self.log.info("%s: %s", status, message)
        key = self.attach_key(context)
        if status == "error":
            # The driver may still run: keep the record so the next try re-attaches to it.
            raise AirflowException(f"{message}; the next try re-attaches to driver {self._submission_id}")
        if status != "success" or not self.stream_name:
            self.registry.forget(key)
        if status != "success":
            raise AirflowException(message)
        return self._submission_id

    def resume_execution(self, next_method: str, next_kwargs: dict[str, Any] | None, context: Any) -> Any:
        # Airflow's backstop deferral timeout: the trigger never reported, so the driver may be running.
        timed_out = (next_kwargs or {}).get("error") == TriggerFailureReason.TRIGGER_TIMEOUT
        if next_method == TRIGGER_FAIL_REPR and timed_out:
            self._kill_recorded(context)
        return super().resume_execution(next_method, next_kwargs, context)

    def on_kill(self) -> None:
        """Killed on the worker (before deferring): stop the driver it just submitted."""
        if self._submission_id:
            try:
                self.hook.kill(self._submission_id)
                self.log.info("killed driver %s", self._submission_id)
            except SparkRestError as error:
                self.log.warning("could not kill driver %s: %s", self._submission_id, error)

    def _kill_recorded(self, context: Any) -> None:
        key = self.attach_key(context)
        self._submission_id = self.registry.get(key)
        self.on_kill()
        self.registry.forget(key)
