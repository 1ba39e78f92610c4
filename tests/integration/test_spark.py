"""The Spark submit-and-poll operator against a real standalone master and worker (pip pyspark).

Each test drives the operator as Airflow does: `execute` submits and defers, the trigger is rebuilt
from its JSON kwargs and run, and `execute_complete` gets the event. Triggers carrying a
data-quality check run in another process that has no DAG file and no DAG module: the
triggerer's situation.
"""

from __future__ import annotations

import threading
import time
import uuid
from pathlib import Path

import pytest
from airflow.sdk.exceptions import AirflowException, TaskDeferred

from airfleet.spark.attach import MemoryRegistry
from airfleet.spark.operator import SparkRestSubmitOperator
from tests.support import spark_cluster
from tests.support.spark_cluster import run_trigger_elsewhere, run_trigger_here, task_context

pytestmark = pytest.mark.integration

DAG_FILE = Path(__file__).parents[1] / "dags" / "airfleet_test_spark.py"


@pytest.fixture(scope="module")
def spark(tmp_path_factory):
    cluster, jar = spark_cluster.start_spark(tmp_path_factory.mktemp("spark"))
    cluster.jar = jar
    yield cluster
    cluster.stop()


@pytest.fixture(scope="module")
def dag_module():
    """The test DAG file imported as Airflow imports it, so its checks come from a DAG module."""
    return spark_cluster.import_dag_file(DAG_FILE)


def operator(spark, *args: str, registry: MemoryRegistry | None = None, **kwargs) -> SparkRestSubmitOperator:
    return SparkRestSubmitOperator(
        task_id=f"submit_{uuid.uuid4().hex[:6]}", rest_url=spark.rest_url, app_resource=f"file:{spark.jar}",
        main_class="AirfleetJob", app_args=list(args), poll_interval=0.5, registry=registry or MemoryRegistry(),
        **kwargs,
    )


def submit(op: SparkRestSubmitOperator, context: dict) -> TaskDeferred:
    with pytest.raises(TaskDeferred) as deferred:
        op.execute(context)
    return deferred.value


def run(op: SparkRestSubmitOperator, context: dict | None = None, elsewhere: bool | None = None) -> tuple[dict, dict]:
    """execute -> trigger -> the event; returns (event, context)."""
    context = context or task_context(op.task_id)
    deferred = submit(op, context)
    assert deferred.method_name == "execute_complete"
    if op.response_check is not None if elsewhere is None else elsewhere:
        return run_trigger_elsewhere(deferred.trigger), context
    return run_trigger_here(deferred.trigger), context


def test_success_returns_the_driver_id_and_forgets_it(spark, tmp_path):
    op = operator(spark, "write", str(tmp_path / "out"), "3")
    event, context = run(op)
    assert event["status"] == "success" and event["driver_state"] == "FINISHED", event
    assert op.execute_complete(context, event) == event["submission_id"]
    assert spark.state(event["submission_id"]) == "FINISHED"
    assert (tmp_path / "out" / "part-00000").read_text().split() == ["0", "1", "2"]
    assert op.registry.records == {}


def test_failed_driver_fails_the_task(spark):
    op = operator(spark, "fail")
    event, context = run(op)
    assert event["status"] == "failed" and event["driver_state"] == "FAILED", event
    with pytest.raises(AirflowException, match="ended FAILED"):
        op.execute_complete(context, event)
    assert "failing on purpose" in spark.driver_log(event["submission_id"])


def test_timeout_kills_the_running_driver(spark):
    op = operator(spark, "sleep", "300", wait_timeout=4)
    started = time.monotonic()
    event, context = run(op)
    assert event["status"] == "timeout" and "killed it" in event["message"], event
    assert time.monotonic() - started < 60
    assert spark.wait_state(event["submission_id"], {"KILLED"}) == "KILLED"
    with pytest.raises(AirflowException, match="deadline"):
        op.execute_complete(context, event)


def test_user_kill_while_deferred_kills_the_driver(spark):
    op = operator(spark, "sleep", "300")
    deferred = submit(op, task_context(op.task_id))
    spark.wait_state(deferred.trigger.submission_id, {"RUNNING"})
    spark_cluster.asyncio.run(deferred.trigger.on_kill())
    assert spark.wait_state(deferred.trigger.submission_id, {"KILLED"}) == "KILLED"


def test_retry_reattaches_to_the_driver_still_running(spark):
    registry = MemoryRegistry()
    # Long enough that the driver still runs when the retry comes, even on a busy machine.
    op = operator(spark, "sleep", "20", registry=registry)
    context = task_context(op.task_id)
    first = submit(op, context)  # try 1 submits, then its worker dies before the trigger reports
    # The Spark worker creates a driver's directory a moment after the master accepts it.
    spark.wait_state(first.trigger.submission_id, {"RUNNING"})
    drivers = spark.drivers()
    assert drivers[-1] == first.trigger.submission_id
    retry = operator(spark, "sleep", "20", registry=registry)
    second = submit(retry, context)  # try 2: the same task instance
    assert second.trigger.submission_id == first.trigger.submission_id
    assert spark.drivers() == drivers, "the retry submitted a second driver"
    event = run_trigger_here(second.trigger)
    assert event["status"] == "success"
    assert retry.execute_complete(context, event) == first.trigger.submission_id


def test_retry_after_the_driver_ended_submits_again(spark):
    registry = MemoryRegistry()
    op = operator(spark, "fail", registry=registry)
    context = task_context(op.task_id)
    first = submit(op, context)
    spark.wait_state(first.trigger.submission_id, {"FAILED"})
    second = submit(operator(spark, "fail", registry=registry), context)
    assert second.trigger.submission_id != first.trigger.submission_id


def test_quality_check_passes(spark, tmp_path, dag_module):
    out = tmp_path / "out"
    op = operator(spark, "write", str(out), "5", response_check=dag_module.rows_at_least(5), output_path=str(out))
    event, context = run(op)
    assert event["status"] == "success" and "passed the check" in event["message"], event
    op.execute_complete(context, event)


def test_quality_check_fails_with_the_checks_error(spark, tmp_path, dag_module):
    out = tmp_path / "out"
    op = operator(spark, "write", str(out), "1", response_check=dag_module.rows_at_least(5), output_path=str(out))
    event, context = run(op)
    assert event["status"] == "failed" and "has 1 rows, fewer than 5" in event["message"], event
    with pytest.raises(AirflowException, match="fewer than 5"):
        op.execute_complete(context, event)


def test_quality_check_passes_after_a_while(spark, tmp_path, dag_module):
    """The driver FINISHED before its output is complete (a late _SUCCESS marker): keep checking."""
    out = tmp_path / "out"
    op = operator(spark, "write", str(out), "5", "0", "nomarker", response_check=dag_module.rows_at_least(3),
                  output_path=str(out))
    deferred = submit(op, task_context(op.task_id))
    driver = deferred.trigger.submission_id

    def late_marker() -> None:
        spark.wait_state(driver, {"FINISHED"})
        time.sleep(3)
        (out / "_SUCCESS").write_text("")

    marker = threading.Thread(target=late_marker)
    marker.start()
    event = run_trigger_elsewhere(deferred.trigger)
    marker.join()
    assert event["status"] == "success", event
    attempts = int(event["message"].rsplit("attempt ", 1)[1].rstrip(")"))
    assert attempts > 1, event


def test_quality_check_that_never_passes_times_out(spark, tmp_path, dag_module):
    out = tmp_path / "out"
    op = operator(spark, "write", str(out), "5", "0", "nomarker", response_check=dag_module.rows_at_least(3),
                  output_path=str(out), wait_timeout=12)
    event, context = run(op, elsewhere=False)
    assert event["status"] == "timeout" and "did not pass the check" in event["message"], event
    assert spark.state(event["submission_id"]) == "FINISHED"


def test_stream_is_reattached_while_alive_and_resubmitted_when_it_died(spark):
    registry, name = MemoryRegistry(), f"stream-{uuid.uuid4().hex[:6]}"

    def keeper_run(run_id: str) -> tuple[str, dict]:
        op = operator(spark, "stream", registry=registry, streaming=True, stream_name=name, settle_seconds=2)
        event, context = run(op, task_context("keep_stream", run_id=run_id))
        assert event["status"] == "success" and event["driver_state"] == "RUNNING", event
        return op.execute_complete(context, event), event

    first, _ = keeper_run("scheduled__1")
    second, _ = keeper_run("scheduled__2")
    assert second == first, "a live stream was submitted again"
    assert spark.state(first) == "RUNNING"

    op = operator(spark, "stream", registry=registry, streaming=True, stream_name=name)
    op.hook.kill(first)  # the stream dies
    spark.wait_state(first, {"KILLED"})
    third, _ = keeper_run("scheduled__3")
    assert third != first
    op.hook.kill(third)
    spark.wait_state(third, {"KILLED"})


def test_stream_that_dies_while_settling_fails(spark):
    op = operator(spark, "sleep", "1", streaming=True, settle_seconds=60)
    event, context = run(op)
    assert event["status"] == "failed" and "ended: FINISHED" in event["message"], event
