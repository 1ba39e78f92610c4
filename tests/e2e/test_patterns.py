"""Every pattern DAG, run once on the cluster, reaches the final state it is written for, and its
task states and XCom values show the pattern did what it teaches."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from airfleet.client import AirflowClient

pytestmark = pytest.mark.e2e

EXPECTED = {
    "airfleet_pattern_single_task": "success",
    "airfleet_pattern_series": "success",
    "airfleet_pattern_parallel": "success",
    "airfleet_pattern_virtualenv": "success",
    "airfleet_pattern_xcom_adjacent": "success",
    "airfleet_pattern_xcom_non_adjacent": "success",
    "airfleet_pattern_object_storage": "success",
    "airfleet_pattern_poll_for_job": "success",
    "airfleet_pattern_fan_out_in": "success",
    "airfleet_pattern_one_failed": "failed",  # on purpose: a validation copy fails, the alert runs
}


class Runs:
    def __init__(self, client, run_ids: dict[str, str], states: dict[str, str]) -> None:
        self.client, self.run_ids, self.states = client, run_ids, states

    def tasks(self, dag_id: str) -> dict[tuple[str, int], dict[str, Any]]:
        return {(ti["task_id"], ti["map_index"]): ti for ti in self.client.task_instances(dag_id, self.run_ids[dag_id])}

    def states_of(self, dag_id: str) -> dict[str, str]:
        return {f"{task}[{index}]" if index >= 0 else task: ti["state"]
                for (task, index), ti in self.tasks(dag_id).items()}

    def xcom(self, dag_id: str, task_id: str) -> Any:
        path = f"/api/v2/dags/{dag_id}/dagRuns/{self.run_ids[dag_id]}/taskInstances/{task_id}/xcomEntries/return_value"
        return self.client.json("GET", path)["value"]


@pytest.fixture(scope="module")
def runs(cluster) -> Runs:
    """All patterns triggered at once (they are independent), then waited for."""
    env = cluster.env
    # A patient client: on a busy machine the api-server may take longer than 30 s to answer.
    client = AirflowClient(cluster.url, env["AIRFLOW_ADMIN_USER"], env["AIRFLOW_ADMIN_PASSWORD"], timeout=120)
    for dag_id in EXPECTED:
        client.wait_for_dag(dag_id, timeout=180)
        client.unpause(dag_id)
    run_ids = {dag_id: client.trigger(dag_id) for dag_id in EXPECTED}
    states = {dag_id: client.wait_for_run(dag_id, run_id, timeout=480) for dag_id, run_id in run_ids.items()}
    return Runs(client, run_ids, states)


def when(ti: dict[str, Any], key: str) -> datetime:
    return datetime.fromisoformat(ti[key])


def test_every_pattern_reaches_its_expected_state(runs):
    unexpected = {dag_id: (state, runs.states_of(dag_id)) for dag_id, state in runs.states.items()
                  if state != EXPECTED[dag_id]}
    assert unexpected == {}


def test_single_task_and_series(runs):
    assert runs.xcom("airfleet_pattern_single_task", "say_hello") == "hello from a worker"
    tasks = runs.tasks("airfleet_pattern_series")
    assert when(tasks["publish", -1], "start_date") >= when(tasks["download", -1], "end_date")


def test_parallel_tasks_are_queued_together(runs):
    # Queued, not started: when they start depends on free worker CPU, not on each other.
    tasks = runs.tasks("airfleet_pattern_parallel")
    left, right = tasks["left", -1], tasks["right", -1]
    assert when(left, "queued_when") < when(right, "end_date") and when(right, "queued_when") < when(left, "end_date")


def test_virtualenv_tasks_ran_in_their_own_interpreters_with_their_package(runs):
    fresh = runs.xcom("airfleet_pattern_virtualenv", "render")
    prepared = runs.xcom("airfleet_pattern_virtualenv", "render_prepared")
    assert not fresh["python"].startswith("/opt/airflow/venv/"), "the virtualenv task ran in Airflow's environment"
    assert prepared["python"] == "/opt/airflow/venv/bin/python"
    for result in (fresh, prepared):
        assert result["table"].splitlines()[2:] == ["orders         3", "refunds        1"]


def test_xcom_between_adjacent_and_non_adjacent_tasks(runs):
    assert runs.xcom("airfleet_pattern_xcom_adjacent", "describe") == "orders: 3 rows"
    assert runs.xcom("airfleet_pattern_xcom_non_adjacent", "keep_high") == [12, 30]


def test_large_data_goes_through_object_storage_and_only_its_uri_through_xcom(runs, cluster):
    uri = runs.xcom("airfleet_pattern_object_storage", "produce")
    assert uri.startswith("file:///opt/airflow/logs/airfleet-shared/patterns/object_storage/")
    assert uri.endswith("/readings.csv")
    summary = runs.xcom("airfleet_pattern_object_storage", "summarise")
    assert summary["rows"] == 200_000 and summary["total"] == sum(n % 97 for n in range(200_000))
    assert summary["bytes"] > 1_000_000
    assert runs.states_of("airfleet_pattern_object_storage")["clean_up"] == "success"
    gone = cluster.compose_run("exec", "-T", "worker", "test", "-e", uri.removeprefix("file://"))
    assert gone.returncode == 1, "the clean-up task left the file behind"


def test_poll_for_job_waits_by_rescheduling_and_by_deferring(runs):
    states = runs.states_of("airfleet_pattern_poll_for_job")
    assert states == {task: "success" for task in
                      ("submit", "external_job", "wait_rescheduling", "wait_deferred", "collect")}
    assert runs.xcom("airfleet_pattern_poll_for_job", "collect") == "the job finished; both waits saw it"


def test_fan_out_fan_in_and_the_join_after_a_branch(runs):
    states = runs.states_of("airfleet_pattern_fan_out_in")
    assert states == {"list_parts": "success", **{f"count_rows[{n}]": "success" for n in range(5)},
                      "total": "success", "route": "success", "big_batch": "success", "small_batch": "skipped",
                      "publish": "success"}
    assert runs.xcom("airfleet_pattern_fan_out_in", "total") == 510


def test_one_failed_alerts_and_the_run_stays_failed(runs):
    assert runs.states_of("airfleet_pattern_one_failed") == {
        "records": "success", "validate[0]": "success", "validate[1]": "failed", "validate[2]": "success",
        "load": "upstream_failed", "alert": "success"}
