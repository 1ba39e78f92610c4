"""Wait for a Spark driver in the triggerer, so a waiting task holds no worker slot.

The triggerer has no DAG files: this module lives in the installed `airfleet` package, and the
optional data-quality callable travels inside the trigger's kwargs as base64 of
`airfleet.serialization.dumps` bytes.
"""

from __future__ import annotations

import asyncio
import base64
import time
import traceback
from collections.abc import AsyncIterator, Callable
from functools import cached_property
from typing import Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

from airfleet import serialization
from airfleet.spark.hook import SparkRestError, SparkRestHook, SparkRestUnavailable

# Trigger kwargs are stored encrypted in a TEXT column (64 KiB on MySQL); base64 and Fernet each
# add a third, so a shipped check must stay well below that.
MAX_CHECK_BYTES = 32 * 1024


def ship_check(check: Callable[[str | None], Any]) -> str:
    """A response_check as trigger-safe text."""
    return base64.b64encode(serialization.dumps(check, max_bytes=MAX_CHECK_BYTES)).decode("ascii")


def unship_check(text: str) -> Callable[[str | None], Any]:
    return serialization.loads(base64.b64decode(text))


class SparkDriverTrigger(BaseTrigger):
    """Poll a driver until it ends, then (optionally) until its output passes a check.

    Events carry `status`: `success`, `failed` (the driver failed, or the check raised),
    `timeout` (the deadline passed: a driver still running is killed first unless
    `kill_on_timeout` is off) or `error` (the
    master stayed unreachable for more than `max_status_errors` polls in a row; the driver is left
    alone so a retry can re-attach to it). In streaming mode (`settle_seconds` set) success means
    the driver has been RUNNING for that long, and any end is a failure.
    """

    def __init__(
        self,
        *,
        rest_url: str,
        submission_id: str,
        poll_interval: float = 10.0,
        deadline: float | None = None,
        max_status_errors: int = 5,
        response_check: str | None = None,
        output_path: str | None = None,
        check_timeout: float = 300.0,
        settle_seconds: float | None = None,
        kill_on_timeout: bool = True,
    ) -> None:
        super().__init__()
        self.rest_url = rest_url
        self.submission_id = submission_id
        self.poll_interval = poll_interval
        self.deadline = deadline
        self.max_status_errors = max_status_errors
        self.response_check = response_check
        self.output_path = output_path
        self.check_timeout = check_timeout
        self.settle_seconds = settle_seconds
        self.kill_on_timeout = kill_on_timeout

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "rest_url": self.rest_url,
                "submission_id": self.submission_id,
                "poll_interval": self.poll_interval,
                "deadline": self.deadline,
                "max_status_errors": self.max_status_errors,
                "response_check": self.response_check,
                "output_path": self.output_path,
                "check_timeout": self.check_timeout,
                "settle_seconds": self.settle_seconds,
                "kill_on_timeout": self.kill_on_timeout,
            },
        )

    @cached_property
    def hook(self) -> SparkRestHook:
        return SparkRestHook(rest_url=self.rest_url)

    def _event(self, status: str, message: str, state: str | None = None) -> TriggerEvent:
        return TriggerEvent({"status": status, "submission_id": self.submission_id, "driver_state": state,
                             "message": message})

    def _expired(self) -> bool:
        return self.deadline is not None and time.time() >= self.deadline

    async def run(self) -> AsyncIterator[TriggerEvent]:
        event = await self._wait_for_driver()
        if event is None:
            event = await self._wait_for_check()
        yield event

    async def _wait_for_driver(self) -> TriggerEvent | None:
        """None once the driver FINISHED and a check remains to pass; otherwise the final event."""
        errors = 0
        running_since: float | None = None
        state: str | None = None
        while True:
            if self._expired():
                killed = self.kill_on_timeout and await self._kill_quietly()
                return self._event("timeout", f"driver {self.submission_id} still {state or 'unpolled'} at the "
                                   "deadline" + ("; killed it" if killed else ""), state)
            try:
                status = await self.hook.astatus(self.submission_id)
                errors = 0
            except SparkRestUnavailable as error:
                errors += 1
                self.log.warning("status poll %d/%d failed: %s", errors, self.max_status_errors, error)
                if errors > self.max_status_errors:
                    message = f"the Spark master did not answer {errors} polls in a row: {error}"
                    return self._event("error", message, state)
                await asyncio.sleep(self.poll_interval)
                continue
            except SparkRestError as error:
                return self._event("failed", str(error), state)
            if status.state != state:
                self.log.info("driver %s is %s", self.submission_id, status.state)
            state = status.state
            if self.settle_seconds is not None:
                if not status.alive:
                    return self._event("failed", f"streaming driver {self.submission_id} ended: {state}", state)
                running_since = (running_since or time.monotonic()) if state == "RUNNING" else None
                if running_since is not None and time.monotonic() - running_since >= self.settle_seconds:
                    return self._event("success", f"streaming driver {self.submission_id} up for "
                                       f"{self.settle_seconds:.0f}s", state)
            elif status.failed:
                return self._event("failed", f"driver {self.submission_id} ended {state}", state)
            elif status.finished:
                if self.response_check is None:
                    return self._event("success", f"driver {self.submission_id} FINISHED", state)
                return None
            await asyncio.sleep(self.poll_interval)

    async def _wait_for_check(self) -> TriggerEvent:
        try:
            check = unship_check(self.response_check)  # type: ignore[arg-type]
        except Exception as error:  # noqa: BLE001 - e.g. it imports a package the triggerer lacks
            return self._event("failed", f"the triggerer cannot load response_check: {type(error).__name__}: {error}; "
                               "install what it imports in the airflow image", "FINISHED")
        attempt = 0
        while True:
            attempt += 1
            try:
                # In a thread: the check is ordinary blocking code (file system, HTTP, SQL).
                passed = await asyncio.wait_for(asyncio.to_thread(check, self.output_path), self.check_timeout)
            except Exception as error:  # noqa: BLE001 - a broken check fails the task, with its traceback
                if isinstance(error, TimeoutError):
                    message = f"response_check did not return within {self.check_timeout:.0f}s"
                else:
                    message = "response_check raised:\n" + "".join(traceback.format_exception(error)[-3:])
                return self._event("failed", message, "FINISHED")
            if passed:
                return self._event("success", f"driver {self.submission_id} FINISHED and its output passed the "
                                   f"check (attempt {attempt})", "FINISHED")
            self.log.info("output %s not ready yet (check attempt %d)", self.output_path, attempt)
            if self._expired():
                return self._event("timeout", f"driver {self.submission_id} FINISHED but its output did not pass "
                                   f"the check before the deadline ({attempt} attempts)", "FINISHED")
            await asyncio.sleep(self.poll_interval)

    async def _kill_quietly(self) -> bool:
        try:
            return await self.hook.akill(self.submission_id)
        except SparkRestError as error:
            self.log.warning("could not kill driver %s: %s", self.submission_id, error)
            return False

    async def on_kill(self) -> None:
        """The task was marked failed or cleared while deferred: the driver goes too."""
        if await self._kill_quietly():
            self.log.info("killed driver %s", self.submission_id)
