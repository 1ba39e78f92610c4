"""Virtualenv tasks on the cluster: `@task.virtualenv` and PythonVirtualenvOperator build their
environment on the worker (python3-venv in the image) and install from a private package index:
the cluster-wide one (AIRFLEET_PIP_INDEX_URL over HTTPS, trusted through AIRFLEET_CA_BUNDLE) or one
the operator names. Nothing comes from the internet: the index holds wheels the tests made."""

from __future__ import annotations

import pytest

from tests.e2e.test_nodes import log_lines

pytestmark = pytest.mark.e2e

DAG = "airfleet_test_virtualenv"


def xcom(client, dag_id: str, run_id: str, task_id: str):
    path = f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/xcomEntries/return_value"
    return client.json("GET", path)["value"]


@pytest.fixture(scope="module")
def client(cluster):
    return cluster.client_for(DAG)


def test_packages_come_from_the_cluster_index_and_from_an_index_the_operator_names(client):
    run_id = client.trigger(DAG)
    assert client.wait_for_run(DAG, run_id, timeout=420) == "success", client.task_instances(DAG, run_id)
    from_cluster = xcom(client, DAG, run_id, "from_cluster_index")
    from_named = xcom(client, DAG, run_id, "from_named_index")
    for result in (from_cluster, from_named):
        assert result["origin"] == "the private package index"
        assert not result["python"].startswith("/opt/airflow/venv/"), "ran in Airflow's own environment"


def test_a_requirement_the_index_does_not_have_fails_the_task_saying_so(client):
    run_id = client.trigger(DAG, {"requirement": "airfleet-no-such-package==9.9"})
    assert client.wait_for_run(DAG, run_id, timeout=420) == "failed"
    states = {ti["task_id"]: ti["state"] for ti in client.task_instances(DAG, run_id)}
    assert states == {"from_cluster_index": "failed", "from_named_index": "success"}
    lines = log_lines(client, f"/api/v2/dags/{DAG}/dagRuns/{run_id}/taskInstances/from_cluster_index")
    assert any("airfleet-no-such-package" in line and "No matching distribution" in line for line in lines), lines[-20:]
