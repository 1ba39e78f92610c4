"""The DAG factory on the cluster, with its tables in the cluster's MySQL: records added with
`airfleet factory` become DAGs; a schedule of three jobs with a diamond of dependencies runs them
in order; disabling a job removes its DAG at the next parse while a malformed row becomes one
import error and every other factory DAG stays; a job with task groups and a mapped task runs green,
and a job scheduled on an asset starts once its producer has updated it."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from airfleet.client import AirflowClient

pytestmark = pytest.mark.e2e

# Job a runs before b and c, and b before c: two routes from a to c. Inside job a, a diamond of
# tasks. The cron fires only on 29 February, so the test's manual run is the schedule's only one.
SPEC = """
tasks:
  - {id: t1, name: start, type: bash, params: {bash_command: "echo start {{ params.batch }}"}}
  - {id: t2, name: left, type: bash, params: {bash_command: "sleep 1"}}
  - {id: t3, name: right, type: bash, params: {bash_command: "sleep 1"}}
  - {id: t4, name: finish, type: python, params: {callable: "airfleet.hostname:get_hostname"}}
jobs:
  - id: a
    name: e2e_extract
    tasks: [t1, t2, t3, t4]
    dependencies: [{task_id: t2, pid: t1}, {task_id: t3, pid: t1}, {task_id: t4, pid: t2}, {task_id: t4, pid: t3}]
    params: {batch: none}
  - {id: b, name: e2e_transform, tasks: [t1]}
  - {id: c, name: e2e_report, tasks: [t4]}
schedules:
  - id: s
    name: e2e_nightly
    jobs: [a, b, c]
    dependencies: [{job_id: b, pid: a}, {job_id: c, pid: a}, {job_id: c, pid: b}]
    cron: "0 0 29 2 *"
    params: {batch: e2e}
"""
JOBS = {"a": "factory_job_e2e_extract", "b": "factory_job_e2e_transform", "c": "factory_job_e2e_report"}
SCHEDULE = "factory_schedule_e2e_nightly"
BROKEN_ROW = ("INSERT INTO airfleet_factory_job (id, name, tasks, dependencies, enabled) "
              "VALUES ('broken', 'e2e_broken', '[\"t1\"]', '[{\"task_id\": \"t1\", \"pid\": \"t9\"}]', 1)")


def factory(cluster, *args: str, spec: str | None = None) -> subprocess.CompletedProcess[str]:
    """`airfleet factory ARGS` in the dag-processor's container, so its cache is cleared at once."""
    (container,) = cluster.containers("dag-processor")
    return subprocess.run(["docker", "exec", "-i", container["Id"], "airfleet", "factory", *args],
                          input=spec, capture_output=True, text=True, timeout=180)


def eventually(check: Callable[[], Any], timeout: float, what: str, poll: float = 3) -> Any:
    deadline = time.monotonic() + timeout
    while not (result := check()):
        assert time.monotonic() < deadline, f"{what}: not within {timeout:.0f}s"
        time.sleep(poll)
    return result


def at(record: dict[str, Any], key: str) -> datetime:
    return datetime.fromisoformat(record[key])


@pytest.fixture(scope="module")
def scheduled_run(cluster):
    env = cluster.env
    # A patient client: on a busy machine the api-server may take longer than 30 s to answer.
    client = AirflowClient(cluster.url, env["AIRFLOW_ADMIN_USER"], env["AIRFLOW_ADMIN_PASSWORD"], timeout=120)
    init = factory(cluster, "init")
    assert init.returncode == 0, init.stderr
    added = factory(cluster, "add", "-", spec=SPEC)
    assert added.returncode == 0, added.stderr
    for dag_id in [*JOBS.values(), SCHEDULE]:
        client.wait_for_dag(dag_id, timeout=180)
    client.unpause(SCHEDULE)
    run_id = client.trigger(SCHEDULE)
    state = client.wait_for_run(SCHEDULE, run_id, timeout=600)
    return client, run_id, state


def test_a_schedule_runs_its_jobs_in_dependency_order(scheduled_run):
    client, run_id, state = scheduled_run
    assert state == "success", client.task_instances(SCHEDULE, run_id)
    job_run_id = f"{SCHEDULE}__{run_id}"  # each job run is named after the schedule run
    runs = {key: client.json("GET", f"/api/v2/dags/{dag_id}/dagRuns/{job_run_id}") for key, dag_id in JOBS.items()}
    assert {key: run["state"] for key, run in runs.items()} == {"a": "success", "b": "success", "c": "success"}
    assert all(run["conf"] == {"batch": "e2e"} for run in runs.values())
    assert at(runs["b"], "start_date") >= at(runs["a"], "end_date")
    assert at(runs["c"], "start_date") >= max(at(runs["a"], "end_date"), at(runs["b"], "end_date"))

    tasks = {ti["task_id"]: ti for ti in client.task_instances(JOBS["a"], job_run_id)}
    assert {task: ti["state"] for task, ti in tasks.items()} == dict.fromkeys(("start", "left", "right", "finish"),
                                                                               "success")
    for child, parents in {"left": ["start"], "right": ["start"], "finish": ["left", "right"]}.items():
        assert all(at(tasks[child], "start_date") >= at(tasks[parent], "end_date") for parent in parents)


def test_disabling_a_job_removes_its_dag_and_a_malformed_row_is_one_import_error(cluster, scheduled_run):
    client = scheduled_run[0]
    password = cluster.env["MYSQL_PASSWORD"]
    cluster.compose("exec", "-T", "-e", f"MYSQL_PWD={password}", "db", "mysql", "-uairflow", "airflow",
                    "-e", BROKEN_ROW)
    disabled = factory(cluster, "disable", "job", "b")
    assert disabled.returncode == 0, disabled.stderr

    def schedule_tasks() -> list[str]:
        return sorted(task["task_id"] for task in client.json("GET", f"/api/v2/dags/{SCHEDULE}/tasks")["tasks"])

    def specs_error() -> str | None:
        errors = client.json("GET", "/api/v2/importErrors")["import_errors"]
        return next((error["stack_trace"] for error in errors
                     if error["filename"].endswith("airfleet_factory_specs.py")), None)

    def stale(dag_id: str) -> bool:
        return client.json("GET", f"/api/v2/dags/{dag_id}")["is_stale"]

    # Job b is bypassed at the next parse: a still runs before c.
    eventually(lambda: schedule_tasks() == ["run_e2e_extract", "run_e2e_report"], 120, "schedule without job b")
    message = eventually(specs_error, 120, "import error for the malformed row")
    assert ("db: job 'broken' (e2e_broken), field 'dependencies[0].pid': \"t9\" is not one of this job's tasks "
            "['t1']; fix: add it to tasks or remove this dependency") in message
    assert "1 malformed factory record;" in message
    # Airflow marks a DAG stale once its file was parsed again without it (stale_dag_threshold).
    eventually(lambda: stale(JOBS["b"]), 240, "job b's DAG removed")
    assert [stale(dag_id) for dag_id in (JOBS["a"], JOBS["c"], SCHEDULE)] == [False, False, False]

    # Disabling the malformed job clears the error (disabled records are not validated).
    assert factory(cluster, "disable", "job", "broken").returncode == 0
    eventually(lambda: specs_error() is None, 120, "import error cleared")


# A producer job with nested task groups around a task mapped over three commands, whose last task
# updates an asset; a consumer job scheduled on that asset. Ids differ from SPEC's: same tables.
FEATURES_SPEC = """
tasks:
  - {id: f1, name: split, type: bash, params: {bash_command: "echo split"}}
  - id: f2
    name: part
    type: bash
    params: {expand: {bash_command: ["echo 1", "echo 2", "echo 3"]}, map_index_template: "{{ task.bash_command }}"}
  - {id: f3, name: publish, type: bash, params: {bash_command: "echo published", outlets: [e2e_features_done]}}
  - {id: f4, name: consume, type: bash, params: {bash_command: "echo consumed", inlets: [e2e_features_done]}}
jobs:
  - id: fp
    name: e2e_features_producer
    tasks: [f1, f2, f3]
    task_groups: [{id: outer, name: work, tasks: [f1]}, {id: inner, name: parts, parent: outer, tasks: [f2]}]
    dependencies: [{task_id: f2, pid: f1}, {task_id: f3, pid: outer}]
  - id: fc
    name: e2e_features_consumer
    tasks: [f4]
    schedule: {assets: [e2e_features_done]}
"""
PRODUCER, CONSUMER = "factory_job_e2e_features_producer", "factory_job_e2e_features_consumer"


@pytest.fixture(scope="module")
def producer_run(cluster):
    env = cluster.env
    client = AirflowClient(cluster.url, env["AIRFLOW_ADMIN_USER"], env["AIRFLOW_ADMIN_PASSWORD"], timeout=120)
    assert factory(cluster, "init").returncode == 0
    added = factory(cluster, "add", "-", spec=FEATURES_SPEC)
    assert added.returncode == 0, added.stderr
    for dag_id in (PRODUCER, CONSUMER):
        client.wait_for_dag(dag_id, timeout=180)
    run_id = client.trigger(PRODUCER)  # job DAGs are created unpaused
    return client, run_id, client.wait_for_run(PRODUCER, run_id, timeout=600)


def test_a_job_with_task_groups_and_a_mapped_task_runs_green(producer_run):
    client, run_id, state = producer_run
    instances = client.task_instances(PRODUCER, run_id)
    assert state == "success", instances
    mapped = sorted((ti["map_index"], ti["state"]) for ti in instances if ti["task_id"] == "work.parts.part")
    assert mapped == [(0, "success"), (1, "success"), (2, "success")]
    assert {ti["task_id"]: ti["state"] for ti in instances if ti["map_index"] == -1} == {
        "work.split": "success", "publish": "success"}


def test_an_asset_driven_job_starts_after_its_producer_succeeds(producer_run):
    client, run_id, _ = producer_run
    # The asset is updated when the task listing it in its outlets succeeds.
    (publish,) = [ti for ti in client.task_instances(PRODUCER, run_id) if ti["task_id"] == "publish"]

    def consumer_run() -> dict[str, Any] | None:
        runs = client.json("GET", f"/api/v2/dags/{CONSUMER}/dagRuns")["dag_runs"]
        return next((run for run in runs if run["run_type"] == "asset_triggered" and run["state"] == "success"), None)

    run = eventually(consumer_run, 300, "an asset-triggered run of the consumer job")
    assert publish["state"] == "success" and at(run, "start_date") >= at(publish, "end_date")
