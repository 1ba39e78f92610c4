"""How the driver trigger treats every driver state and an unreliable master, against a fake
Spark REST server on loopback (states and HTTP 503s scripted per test)."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from airflow.sdk.exceptions import AirflowException

from airfleet.spark.attach import MemoryRegistry
from airfleet.spark.operator import SparkRestSubmitOperator
from airfleet.spark.trigger import SparkDriverTrigger
from tests.support.fakes.spark_rest import FakeSparkRest
from tests.support.ports import free_port
from tests.support.spark_cluster import first_event, task_context

pytestmark = pytest.mark.integration


@pytest.fixture
def fake():
    server = FakeSparkRest().start()
    yield server
    server.stop()


def wait(fake_or_url, driver: str = "driver-1", **kwargs) -> dict:
    url = fake_or_url.url if isinstance(fake_or_url, FakeSparkRest) else fake_or_url
    trigger = SparkDriverTrigger(rest_url=url, submission_id=driver, poll_interval=0.05, **kwargs)
    return asyncio.run(asyncio.wait_for(first_event(trigger), 30))


def later(seconds: float, action) -> threading.Timer:
    timer = threading.Timer(seconds, action)
    timer.start()
    return timer


@pytest.mark.parametrize("waiting", ["SUBMITTED", "RUNNING", "RELAUNCHING", "UNKNOWN"])
def test_waiting_states_keep_waiting(fake, waiting):
    fake.states["driver-1"] = waiting
    later(0.5, lambda: fake.states.update({"driver-1": "FINISHED"}))
    event = wait(fake)
    assert event["status"] == "success" and fake.requests > 3


@pytest.mark.parametrize("final", ["FAILED", "KILLED", "ERROR"])
def test_failure_states_fail(fake, final):
    fake.states["driver-1"] = final
    event = wait(fake)
    assert event == {"status": "failed", "submission_id": "driver-1", "driver_state": final,
                     "message": f"driver driver-1 ended {final}"}


def test_http_errors_are_retried_up_to_the_limit(fake):
    fake.states["driver-1"] = "FINISHED"
    fake.unavailable = 3
    assert wait(fake, max_status_errors=3)["status"] == "success"
    assert fake.requests == 4


def test_too_many_http_errors_end_the_wait_but_not_the_driver(fake):
    fake.unavailable = 100
    event = wait(fake, max_status_errors=2)
    assert event["status"] == "error" and "did not answer 3 polls in a row" in event["message"], event
    assert "HTTP 503" in event["message"]
    assert fake.states.get("driver-1") is None, "the driver was killed"


def test_errors_must_be_consecutive_to_count(fake):
    fake.script = ["503", "503", "RUNNING", "503", "503", "RUNNING", "FINISHED"]
    assert wait(fake, max_status_errors=2)["status"] == "success"
    assert fake.requests == 7


def test_unreachable_master_is_an_error_after_the_limit():
    event = wait(f"http://127.0.0.1:{free_port()}", max_status_errors=1)
    assert event["status"] == "error" and "ConnectError" in event["message"], event


def test_unknown_driver_fails_at_once(fake):
    fake.missing.add("driver-1")
    event = wait(fake)
    assert event["status"] == "failed" and "does not know driver driver-1" in event["message"], event


def test_error_event_keeps_the_record_for_the_next_try(fake):
    registry = MemoryRegistry()
    op = SparkRestSubmitOperator(task_id="t", rest_url=fake.url, app_resource="file:/x.jar", main_class="X",
                                 registry=registry)
    context = task_context("t")
    key = op.attach_key(context)
    registry.put(key, "driver-1")
    with pytest.raises(AirflowException, match="re-attaches to driver driver-1"):
        op.execute_complete(context, {"status": "error", "submission_id": "driver-1", "driver_state": "RUNNING",
                                      "message": "the Spark master did not answer"})
    assert registry.get(key) == "driver-1"
    with pytest.raises(AirflowException):
        op.execute_complete(context, {"status": "failed", "submission_id": "driver-1", "driver_state": "FAILED",
                                      "message": "driver driver-1 ended FAILED"})
    assert registry.get(key) is None


def test_deadline_kills_a_waiting_driver(fake):
    started = time.monotonic()
    event = wait(fake, deadline=time.time() + 0.5)
    assert event["status"] == "timeout" and "killed it" in event["message"]
    assert fake.states["driver-1"] == "KILLED" and time.monotonic() - started < 5


def test_sensor_deadline_leaves_the_driver_alone(fake):
    event = wait(fake, deadline=time.time() + 0.3, kill_on_timeout=False)
    assert event["status"] == "timeout" and "driver-1" not in fake.states


def test_retry_does_not_submit_again_while_the_master_cannot_tell(fake):
    registry = MemoryRegistry()
    op = SparkRestSubmitOperator(task_id="t", rest_url=fake.url, app_resource="file:/x.jar", main_class="X",
                                 registry=registry)
    context = task_context("t")
    registry.put(op.attach_key(context), "driver-1")
    fake.unavailable = 1
    with pytest.raises(AirflowException, match="cannot tell whether driver driver-1 still runs"):
        op.execute(context)
    assert registry.get(op.attach_key(context)) == "driver-1"


def test_check_the_triggerer_cannot_load_fails_with_the_fix(fake):
    import base64

    from airfleet import serialization

    fake.states["driver-1"] = "FINISHED"
    payload = serialization.MAGIC + b"not a pickle"
    event = wait(fake, response_check=base64.b64encode(payload).decode())
    assert event["status"] == "failed" and "the triggerer cannot load response_check" in event["message"], event
