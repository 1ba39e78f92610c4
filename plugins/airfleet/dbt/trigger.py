"""Wait for a dbt Cloud run in the triggerer, surviving transient API errors.

The provider's trigger turns any exception on a status poll into an error event, so one 502 from
dbt Cloud fails a task whose run is fine; at its own time limit it leaves the run going. This one
counts failed polls in a row and gives up only past `max_status_errors`, cancels the run when the
deadline passes, and cancels it when a user kills the deferred task.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

from airfleet.dbt.hook import NON_TERMINAL, DbtCloudBadAnswer, DbtCloudRunHook, describe, is_transient, status_name

# dbt statuses that end a run, and the event status each ends the task with.
FINAL = {10: "success", 20: "error", 30: "cancelled"}


class DbtCloudRunTrigger(BaseTrigger):
    """Poll run `run_id` until it ends.

    Events carry `status` (`success`, `error`, `cancelled`, `timeout`), `run_id`, `dbt_status` (the
    run's last known dbt status, or None), `href` and a `message` naming the status and the URL.
    `error` with `dbt_status` in 1-3 means dbt Cloud stopped answering: the run is left alone.
    """

    def __init__(self, *, conn_id: str, run_id: int, account_id: int | None = None, href: str | None = None,
                 poll_interval: float = 30.0, deadline: float | None = None, max_status_errors: int = 5,
                 request_timeout: int = 30) -> None:
        super().__init__()
        self.conn_id = conn_id
        self.run_id = run_id
        self.account_id = account_id
        self.href = href
        self.poll_interval = poll_interval
        self.deadline = deadline
        self.max_status_errors = max_status_errors
        self.request_timeout = request_timeout

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (f"{type(self).__module__}.{type(self).__qualname__}", {
            "conn_id": self.conn_id, "run_id": self.run_id, "account_id": self.account_id, "href": self.href,
            "poll_interval": self.poll_interval, "deadline": self.deadline,
            "max_status_errors": self.max_status_errors, "request_timeout": self.request_timeout,
        })

    def _hook(self) -> DbtCloudRunHook:
        # One attempt per request: this loop is the retry, spaced by poll_interval.
        return DbtCloudRunHook(self.conn_id, timeout_seconds=self.request_timeout, retry_limit=1)

    def _event(self, status: str, dbt_status: int | None, message: str) -> TriggerEvent:
        return TriggerEvent({"status": status, "run_id": self.run_id, "dbt_status": dbt_status, "href": self.href,
                             "message": f"{message}; {self.href or 'no run URL'}"})

    async def run(self) -> AsyncIterator[TriggerEvent]:
        hook = self._hook()
        errors = 0
        status: int | None = None
        while True:
            if self.deadline is not None and time.time() >= self.deadline:
                cancelled = await self._cancel(hook)
                yield self._event("timeout", status, f"dbt Cloud run {self.run_id} was still {status_name(status)} "
                                  "at the deadline: " + ("cancelled it" if cancelled else "could NOT cancel it"))
                return
            try:
                answer = await hook.get_job_details(self.run_id, account_id=self.account_id)
                run = answer.get("data") if isinstance(answer, dict) else None
                if not isinstance(run, dict) or "status" not in run:
                    raise DbtCloudBadAnswer(f"the status of run {self.run_id} came back as JSON of another shape; set "
                                            f"the host of connection {self.conn_id!r} to the dbt Cloud API base URL")
                errors = 0
            except Exception as error:  # noqa: BLE001 - classified below; the event carries it
                problem = describe(error, self.conn_id, self.request_timeout)
                if not is_transient(error):
                    yield self._event("error", status, f"the status request for dbt Cloud run {self.run_id} "
                                      f"failed: {problem}")
                    return
                errors += 1
                if errors > self.max_status_errors:
                    yield self._event("error", status, f"dbt Cloud did not answer {errors} status polls in a row "
                                      f"for run {self.run_id} (last: {problem}); the run may still be going and the "
                                      "next try re-attaches to it")
                    return
                self.log.warning("status poll of run %s failed (%d of the %d failures in a row allowed): %s",
                                 self.run_id, errors, self.max_status_errors, problem)
                await self._sleep()
                continue
            self.href = run.get("href") or self.href
            if run["status"] != status:
                self.log.info("dbt Cloud run %s is %s", self.run_id, status_name(run["status"]))
            status = run["status"]
            if status in FINAL:
                yield self._event(FINAL[status], status, self._final_message(run))
                return
            if status not in NON_TERMINAL:
                yield self._event("error", status, f"dbt Cloud run {self.run_id} has an unknown status {status}")
                return
            await self._sleep()

    def _final_message(self, run: dict[str, Any]) -> str:
        status = run["status"]
        message = f"dbt Cloud run {self.run_id} ended {status_name(status)} (status {status})"
        detail = run.get("status_message")
        return f"{message}: {detail}" if detail and status != 10 else message

    async def _sleep(self) -> None:
        remaining = self.poll_interval if self.deadline is None else max(0.0, self.deadline - time.time())
        await asyncio.sleep(min(self.poll_interval, remaining))

    async def _cancel(self, hook: DbtCloudRunHook) -> bool:
        try:
            run = await hook.acancel_job_run(self.run_id, account_id=self.account_id)
        except Exception as error:  # noqa: BLE001 - reported in the event; nothing else to do from here
            self.log.warning("could not cancel dbt Cloud run %s: %s", self.run_id, error)
            return False
        self.log.info("cancelled dbt Cloud run %s (now %s)", self.run_id, status_name(run.get("status")))
        return True

    async def on_kill(self) -> None:
        """The deferred task was marked failed or cleared: its run goes too."""
        await self._cancel(self._hook())
