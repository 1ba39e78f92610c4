"""Trigger a dbt Cloud job, wait for its run without a worker slot, fail when the run fails.

`DbtCloudRunOperator` is the provider's `DbtCloudRunJobOperator` in deferrable mode (same
parameters, XComs `job_run_id` / `job_run_url` and "Monitor Job Run" link) plus what it lacks:

- a transient error on a status poll does not fail the task: up to `max_status_errors` polls in a
  row may fail (connection errors, timeouts, 5xx, 429);
- the trigger request is sent once and never retried blindly: each run's cause carries a marker
  of the task instance and try, so when the answer is lost (timeout, 5xx) the operator looks for
  the run it may have started instead of starting another, and a retry re-attaches to a run an
  earlier try left going (a worker that died);
- the run is cancelled when the wait times out (`timeout`, or `execution_timeout` if shorter) and
  when the task is killed, on the worker or while deferred;
- a run that ends in error or is cancelled fails the task with the run's status and URL.
"""

from __future__ import annotations

import hashlib
import time
from datetime import timedelta
from functools import cached_property
from typing import Any

from airflow.providers.dbt.cloud.hooks.dbt import (
    DBT_CAUSE_MAX_LENGTH,
    DbtCloudJobRunException,
    validate_execute_complete_event,
)
from airflow.providers.dbt.cloud.operators.dbt import DbtCloudRunJobOperator
from airflow.sdk.bases.operator import TRIGGER_FAIL_REPR, TriggerFailureReason

from airfleet.dbt.hook import DbtCloudRunHook, is_transient
from airfleet.dbt.trigger import DbtCloudRunTrigger

# Airflow's own deferral timeout is only a backstop for a trigger that never reported: the
# trigger itself cancels the run at the deadline.
BACKSTOP = timedelta(minutes=5)


class DbtCloudRunFailed(DbtCloudJobRunException):
    """The run ended in error, was cancelled, timed out, or could not be followed."""


class DbtCloudTriggerUnconfirmed(DbtCloudJobRunException):
    """dbt Cloud did not confirm a trigger request and lists no run it started."""


def run_key(ti: Any) -> str:
    """A short, stable name for a task instance (all tries), for run causes."""
    name = "\0".join(str(part) for part in (ti.dag_id, ti.run_id, ti.task_id, getattr(ti, "map_index", -1)))
    return hashlib.sha1(name.encode()).hexdigest()[:16]


class DbtCloudRunOperator(DbtCloudRunJobOperator):
    """Run a dbt Cloud job and wait for it in the triggerer.

    Takes the provider operator's parameters (`job_id` or project/environment/job names,
    `steps_override`, `schema_override`, `additional_run_config`, `retry_from_failure`, ...), and:

    :param check_interval: seconds between status polls (default 30).
    :param timeout: seconds to wait for the run before cancelling it (default 7 days); a shorter
        `execution_timeout` wins.
    :param max_status_errors: status polls in a row that may fail before the task fails (the run
        is then left alone, and the task's next try re-attaches to it).
    :param request_timeout: seconds for one API request.
    """

    def __init__(self, *, check_interval: int = 30, max_status_errors: int = 5, request_timeout: int = 30,
                 deferrable: bool = True, **kwargs: Any) -> None:
        if not deferrable:
            raise ValueError("DbtCloudRunOperator always defers; for a blocking wait use the provider's "
                             "DbtCloudRunJobOperator")
        # OpenLineage parent-job injection replaces the run's cause, which carries the marker this
        # operator finds lost runs by.
        kwargs["openlineage_inject_parent_job_info"] = False
        super().__init__(check_interval=check_interval, deferrable=True, **kwargs)
        self.max_status_errors = max_status_errors
        self.request_timeout = request_timeout

    @cached_property
    def hook(self) -> DbtCloudRunHook:
        return DbtCloudRunHook(self.dbt_cloud_conn_id, **{"timeout_seconds": self.request_timeout, **self.hook_params})

    def wait_seconds(self) -> float:
        if self.execution_timeout is not None:
            return min(float(self.timeout), self.execution_timeout.total_seconds())
        return float(self.timeout)

    def execute(self, context: Any) -> int | None:
        if self.trigger_reason is None:
            self.trigger_reason = f"Triggered via Apache Airflow by task {self.task_id!r} in the {self.dag_id} DAG."
        self.job_id = self._resolve_job_id()
        self.run_id, href = self._get_or_trigger_run(context)
        context["ti"].xcom_push(key="job_run_url", value=href)
        context["ti"].xcom_push(key="job_run_id", value=self.run_id)
        if not self.wait_for_termination:
            return self.run_id
        wait = self.wait_seconds()
        self.defer(
            trigger=DbtCloudRunTrigger(
                conn_id=self.dbt_cloud_conn_id, run_id=self.run_id, account_id=self.account_id, href=href,
                poll_interval=self.check_interval, deadline=time.time() + wait,
                max_status_errors=self.max_status_errors, request_timeout=self.request_timeout,
            ),
            method_name="execute_complete",
            timeout=timedelta(seconds=wait) + BACKSTOP,
        )
        return None  # not reached: defer() raises

    def _get_or_trigger_run(self, context: Any) -> tuple[int, str]:
        if self.reuse_existing_run:
            return super()._get_or_trigger_run(context)
        ti = context["ti"]
        key = run_key(ti)
        if ti.try_number > 1:
            earlier = self.hook.find_run(self.job_id, f"[airflow:{key}#", self.account_id, alive_only=True)
            if earlier:
                self.log.info("re-attaching to dbt Cloud run %s, still going from an earlier try: %s",
                              earlier["id"], earlier.get("href"))
                return earlier["id"], earlier["href"]
        marker = f"[airflow:{key}#{ti.try_number}]"
        try:
            response = self.hook.trigger_job_run(
                job_id=self.job_id, account_id=self.account_id,
                cause=f"{marker} {self.trigger_reason}"[:DBT_CAUSE_MAX_LENGTH],
                steps_override=self.steps_override, schema_override=self.schema_override,
                retry_from_failure=ti.try_number > 1 and self.retry_from_failure,
                additional_run_config=self.additional_run_config,
            )
        except Exception as error:
            if not is_transient(error):
                raise
            return self._run_started_despite(error, marker)
        data = self.hook.api_data(response, dict)
        self.log.info("triggered dbt Cloud run %s of job %s: %s", data["id"], self.job_id, data.get("href"))
        return data["id"], data["href"]

    def _run_started_despite(self, error: BaseException, marker: str) -> tuple[int, str]:
        """The trigger request got no clear answer: find the run it may have started."""
        try:
            run = self.hook.find_run(self.job_id, marker, self.account_id)
        except Exception as lookup_error:
            too = "the same way" if str(lookup_error) == str(error) else f"too ({lookup_error})"
            raise DbtCloudTriggerUnconfirmed(
                f"dbt Cloud did not confirm the trigger request for job {self.job_id} ({error}), and listing its "
                f"runs failed {too}; not sending it again, which could start a second run (the task's next try "
                "first looks for a run of this task still going)"
            ) from error
        if run is None:
            raise DbtCloudTriggerUnconfirmed(
                f"dbt Cloud did not confirm the trigger request for job {self.job_id} ({error}) and lists no run "
                f"marked {marker}: no run started; not sending it again here (the task's next try will)"
            ) from error
        self.log.warning("the trigger request failed (%s) but dbt Cloud had started run %s: following it",
                         error, run["id"])
        return run["id"], run["href"]

    def execute_complete(self, context: Any, event: dict[str, Any] | None = None) -> int:
        event = validate_execute_complete_event(event)
        self.run_id = int(event["run_id"])
        if event["status"] == "success":
            self.log.info(event["message"])
            return self.run_id
        if event.get("dbt_status") in (20, 30):
            self._log_failure_details()
        raise DbtCloudRunFailed(event["message"])

    def _log_failure_details(self) -> None:
        try:
            self.hook.log_job_run_failure_details(run_id=self.run_id, account_id=self.account_id)
        except Exception as error:  # noqa: BLE001 - details are a bonus; the failure is reported anyway
            self.log.warning("could not fetch the failed run's steps: %s", error)

    def resume_execution(self, next_method: str, next_kwargs: dict[str, Any] | None, context: Any) -> Any:
        # Airflow's backstop deferral timeout fired: the trigger never reported, so the run may be going.
        timed_out = (next_kwargs or {}).get("error") == TriggerFailureReason.TRIGGER_TIMEOUT
        if next_method == TRIGGER_FAIL_REPR and timed_out:
            ti = context["ti"]
            self.run_id = ti.xcom_pull(task_ids=ti.task_id, key="job_run_id", map_indexes=ti.map_index)
            self.on_kill()
        return super().resume_execution(next_method, next_kwargs, context)

    def on_kill(self) -> None:
        """Killed on the worker (before deferring, or the backstop timeout): cancel the run."""
        if not self.run_id:
            return
        try:
            self.hook.cancel_job_run(run_id=self.run_id, account_id=self.account_id)
            self.log.info("cancelled dbt Cloud run %s", self.run_id)
        except Exception as error:  # noqa: BLE001 - best effort while the task is going down anyway
            self.log.warning("could not cancel dbt Cloud run %s: %s", self.run_id, error)
