"""The dbt Cloud operator and trigger against the fake dbt Cloud over loopback, through the
provider's real hook and HTTP clients (requests on the worker side, aiohttp in the trigger).

Each test drives the operator as Airflow does: `execute` triggers and defers, the trigger is
rebuilt from its JSON kwargs and run, and `execute_complete` gets the event.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pendulum
import pytest
import requests
from airflow.sdk import DAG
from airflow.sdk.exceptions import TaskDeferred

from airfleet.dbt.operator import DbtCloudRunFailed, DbtCloudRunOperator, DbtCloudTriggerUnconfirmed, run_key
from airfleet.dbt.trigger import DbtCloudRunTrigger
from tests.support.fakes.dbt_cloud import FakeDbtCloud

pytestmark = pytest.mark.integration

CONN_ID = "dbt_fake"
DAGS = Path(__file__).parents[2] / "dags"
TOKEN = "fake-token-123"


@pytest.fixture
def fake(monkeypatch):
    server = FakeDbtCloud(token=TOKEN).start()
    monkeypatch.setenv(f"AIRFLOW_CONN_{CONN_ID.upper()}", json.dumps(
        {"conn_type": "dbt_cloud", "login": "7", "password": TOKEN, "host": server.url}))
    yield server
    server.stop()


class TaskInstance(SimpleNamespace):
    def xcom_push(self, key: str, value: Any) -> None:
        self.xcoms[key] = value


def context(try_number: int = 1, run_id: str = "manual__1") -> dict[str, Any]:
    return {"ti": TaskInstance(dag_id="airfleet_test_dbt", task_id="dbt", run_id=run_id, map_index=-1,
                               try_number=try_number, xcoms={})}


def operator(**kwargs: Any) -> DbtCloudRunOperator:
    with DAG("airfleet_test_dbt", schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC")):
        return DbtCloudRunOperator(task_id="dbt", dbt_cloud_conn_id=CONN_ID, job_id=42, check_interval=0.05,
                                   **kwargs)


def rebuilt(trigger: DbtCloudRunTrigger) -> DbtCloudRunTrigger:
    classpath, kwargs = trigger.serialize()
    assert classpath == "airfleet.dbt.trigger.DbtCloudRunTrigger"
    return DbtCloudRunTrigger(**json.loads(json.dumps(kwargs)))


async def first_event(trigger: DbtCloudRunTrigger) -> dict[str, Any]:
    async for event in trigger.run():
        return event.payload
    raise AssertionError("the trigger ended without an event")


def defer(op: DbtCloudRunOperator, ctx: dict[str, Any]) -> DbtCloudRunTrigger:
    with pytest.raises(TaskDeferred) as deferred:
        op.execute(ctx)
    return deferred.value.trigger


def run_to_end(op: DbtCloudRunOperator, ctx: dict[str, Any] | None = None) -> Any:
    ctx = ctx or context()
    event = asyncio.run(asyncio.wait_for(first_event(rebuilt(defer(op, ctx))), 30))
    return op.execute_complete(ctx, event)


def test_a_successful_run_returns_its_id_and_pushes_its_url(fake):
    ctx = context()
    op = operator()
    assert run_to_end(op, ctx) == 1
    assert ctx["ti"].xcoms == {"job_run_id": 1, "job_run_url": f"{fake.url}/deploy/7/projects/1/runs/1/"}
    (run,) = fake.runs()
    assert run["status"] == 10 and run["account_id"] == 7 and run["polls"] == 3  # 1 -> 3 -> 10
    assert run["cause"].startswith(f"[airflow:{run_key(ctx['ti'])}#1] Triggered via Apache Airflow by task 'dbt'")


@pytest.mark.parametrize(("script", "name"), [("1,3,20", "ERROR"), ("1,2,3,30", "CANCELLED")])
def test_a_run_ending_in_error_or_cancelled_fails_with_its_status_and_url(fake, script, name):
    fake.script(42, script)
    with pytest.raises(DbtCloudRunFailed) as failed:
        run_to_end(operator())
    status = script.rsplit(",", 1)[1]
    assert f"dbt Cloud run 1 ended {name} (status {status})" in str(failed.value)
    assert str(failed.value).endswith(f"{fake.url}/deploy/7/projects/1/runs/1/")


def test_transient_errors_on_status_polls_are_survived(fake):
    fake.script(42, "1,http503,http502,3,http500,http429,10")
    assert run_to_end(operator(max_status_errors=2)) == 1
    assert fake.runs()[0]["status"] == 10 and fake.trigger_requests == 1


def test_more_failed_polls_in_a_row_than_allowed_fail_without_cancelling(fake, capsys):
    fake.script(42, "1,http503,http503,http503,10")
    with pytest.raises(DbtCloudRunFailed, match="did not answer 3 status polls in a row") as failed:
        run_to_end(operator(max_status_errors=2))
    assert "next try re-attaches" in str(failed.value)
    assert fake.runs()[0]["cancel_requests"] == 0
    # The log counts the failures the allowance covers, never past it ("3 of the 2").
    logged = "".join(capsys.readouterr())  # Airflow's task logs go to the console
    counts = re.findall(r"failed \((\d+) of the (\d+) failures in a row allowed\)", logged)
    assert counts == [("1", "2"), ("2", "2")], logged


def test_a_refused_status_request_fails_at_once(fake, monkeypatch):
    op = operator()
    ctx = context()
    trigger = rebuilt(defer(op, ctx))
    monkeypatch.setenv(f"AIRFLOW_CONN_{CONN_ID.upper()}", json.dumps(
        {"conn_type": "dbt_cloud", "login": "7", "password": "wrong-token", "host": fake.url}))
    event = asyncio.run(first_event(trigger))
    assert event["status"] == "error" and "401" in event["message"]


def test_the_run_is_cancelled_when_the_wait_times_out(fake):
    fake.script(42, "1,3")  # runs until cancelled
    started = time.monotonic()
    with pytest.raises(DbtCloudRunFailed, match="still RUNNING at the deadline: cancelled it"):
        run_to_end(operator(timeout=1))
    assert time.monotonic() - started < 10
    (run,) = fake.runs()
    assert run["status"] == 30 and run["cancel_requests"] == 1


def test_a_shorter_execution_timeout_wins():
    assert operator(timeout=3600, execution_timeout=pendulum.duration(seconds=90)).wait_seconds() == 90
    assert operator(timeout=60).wait_seconds() == 60


def test_killing_the_deferred_task_cancels_the_run(fake):
    fake.script(42, "1,3")
    trigger = rebuilt(defer(operator(), context()))
    asyncio.run(trigger.on_kill())
    assert fake.runs()[0]["status"] == 30


def test_killing_the_task_on_the_worker_cancels_the_run(fake):
    fake.script(42, "1,3")
    op = operator()
    defer(op, context())
    op.on_kill()
    assert fake.runs()[0]["status"] == 30


def test_a_lost_trigger_response_is_not_resent_and_the_started_run_is_followed(fake):
    fake.script(42, "trigger:http502,1,3,10")
    op = operator()
    assert run_to_end(op) == 1
    assert fake.trigger_requests == 1 and len(fake.runs()) == 1


def test_a_trigger_request_that_started_nothing_is_not_resent(fake, monkeypatch):
    def gateway_error(*args: Any) -> tuple[int, None]:
        fake.trigger_requests += 1
        return 503, None  # and no run behind it

    monkeypatch.setattr(fake, "_trigger", gateway_error)
    with pytest.raises(DbtCloudTriggerUnconfirmed, match="lists no run marked .* no run started"):
        operator().execute(context())
    assert fake.trigger_requests == 1


def test_a_refused_trigger_request_fails_at_once(fake, monkeypatch):
    monkeypatch.setenv(f"AIRFLOW_CONN_{CONN_ID.upper()}", json.dumps(
        {"conn_type": "dbt_cloud", "login": "7", "password": "wrong-token", "host": fake.url}))
    with pytest.raises(requests.HTTPError, match="401"):
        operator().execute(context())
    assert fake.runs() == []


def test_a_retry_re_attaches_to_the_run_an_earlier_try_left_going(fake):
    fake.script(42, "1,3")
    defer(operator(), context(try_number=1))  # the worker dies here: the run goes on
    trigger = defer(operator(), context(try_number=2))
    assert trigger.run_id == 1 and fake.trigger_requests == 1
    fake.script(42, "1,3,10")
    defer(operator(), context(try_number=1, run_id="manual__2"))  # another DAG run: its own dbt run
    assert fake.trigger_requests == 2


def test_a_retry_after_a_failed_run_starts_a_new_one(fake):
    fake.script(42, "1,20")
    with pytest.raises(DbtCloudRunFailed):
        run_to_end(operator(), context(try_number=1))
    fake.script(42, "1,10")
    assert run_to_end(operator(), context(try_number=2)) == 2
    assert [run["cause"][:28] for run in fake.runs()] == [
        f"[airflow:{run_key(context()['ti'])}#1]", f"[airflow:{run_key(context()['ti'])}#2]"]


EXAMPLE_RUN = """
import json, os, sys
from tests.support.fakes.dbt_cloud import FakeDbtCloud
fake = FakeDbtCloud(token="tok", scripts={1: "10", 2: "20"}).start()  # first poll: the DAG polls every 30 s
os.environ["AIRFLOW_CONN_DBT_CLOUD_DEFAULT"] = json.dumps(
    {"conn_type": "dbt_cloud", "login": "1", "password": "tok", "host": fake.url})
from airflow.dag_processing.dagbag import DagBag
dag = DagBag(dag_folder=sys.argv[1]).dags["airfleet_dbt_example"]
dag.get_task("dbt_build").retries = 0  # its retry would wait minutes, then fail the same way
states = {}
for job in (1, 2):
    run = dag.test(run_conf={"job_id": job})
    states[job] = {ti.task_id: str(ti.state) for ti in run.get_task_instances()}
print(json.dumps({"states": states, "runs": fake.runs()}))
"""


def test_the_example_dag_goes_on_only_when_its_dbt_run_succeeds(tmp_path):
    """The example DAG, run by `dag.test()` against the fake dbt Cloud as a user would offline."""
    env = {**os.environ, "AIRFLOW_HOME": str(tmp_path), "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
           "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS)}
    env.pop("AIRFLOW_CONN_DBT_CLOUD_DEFAULT", None)
    migrated = subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], env=env, capture_output=True,
                              text=True, timeout=600)
    assert migrated.returncode == 0, migrated.stderr[-3000:]
    result = subprocess.run([sys.executable, "-c", EXAMPLE_RUN, str(DAGS)], env=env, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["states"] == {"1": {"dbt_build": "success", "publish": "success"},
                             "2": {"dbt_build": "failed", "publish": "upstream_failed"}}
    assert [(run["job_id"], run["status"]) for run in out["runs"]] == [(1, 10), (2, 20)]
