"""The GitLab flow with a local bare repository standing in for GitLab: a merge is deployed with
ci/deploy.sh, new runs use the merged commit within seconds, a run in flight keeps its commit, and
a worker on a second node runs the same commit."""

import os
import re
import subprocess
import time
import uuid

import pytest

from tests.e2e.conftest import NodeNetwork

pytestmark = pytest.mark.e2e

DAG = "airfleet_test_deploy"
DAG_FILE = "dags/airfleet_test_deploy.py"


@pytest.fixture(scope="module")
def pipeline_node(cluster, tmp_path_factory):
    network = NodeNetwork(cluster, tmp_path_factory.mktemp("pipeline"), "pipeline", "pipeline-node-worker")
    started = network.start_worker(f"e2e{uuid.uuid4().hex[:6]}", "--queues", "pipeline-node")
    assert started.returncode == 0, started.stderr
    yield network
    network.close()


def ci_deploy(cluster, sha: str):
    env = cluster.env
    environ = {**os.environ, "AIRFLEET_API_URL": cluster.url, "AIRFLEET_API_USER": env["AIRFLOW_ADMIN_USER"],
               "AIRFLEET_API_PASSWORD": env["AIRFLOW_ADMIN_PASSWORD"], "AIRFLEET_DEPLOY_SHA": sha,
               "AIRFLEET_DEPLOY_FILES": DAG_FILE, "AIRFLEET_DEPLOY_TIMEOUT": "90"}
    return subprocess.run(["ci/deploy.sh"], cwd=cluster.root, env=environ, capture_output=True, text=True, timeout=300)


def dag_source(repo, version: str) -> str:
    original = (repo.work / DAG_FILE).read_text()
    return re.sub(r'^VERSION = ".*"$', f'VERSION = "{version}"', original, flags=re.M)


def xcom(client, run_id: str, task_id: str):
    path = f"/api/v2/dags/{DAG}/dagRuns/{run_id}/taskInstances/{task_id}/xcomEntries/return_value"
    return client.json("GET", path)["value"]


def test_merge_is_runnable_within_seconds_and_runs_keep_their_commit(cluster, pipeline_node):
    client = cluster.client()
    repo = cluster.dags_repo
    client.wait_for_dag(DAG)
    client.unpause(DAG)

    pushed = time.monotonic()
    first = repo.commit_and_push(DAG_FILE, dag_source(repo, "v1"), "v1")
    deployed = ci_deploy(cluster, first)
    merge_to_runnable = time.monotonic() - pushed
    assert deployed.returncode == 0, deployed.stderr + deployed.stdout
    assert f"the cluster runs {first[:12]}" in deployed.stdout
    # The target is 30 s and the figure is printed; the bound is looser because this is a test, not
    # a benchmark, and shared CI machines are sometimes busy.
    print(f"merge-to-runnable: {merge_to_runnable:.1f}s")
    assert merge_to_runnable < 60, merge_to_runnable

    long_run = client.trigger(DAG, {"seconds": 45})
    deadline = time.monotonic() + 120
    while client.json("GET", f"/api/v2/dags/{DAG}/dagRuns/{long_run}/taskInstances/report")["state"] != "running":
        assert time.monotonic() < deadline, "the long run never started"
        time.sleep(0.5)

    second = repo.commit_and_push(DAG_FILE, dag_source(repo, "v2"), "v2")
    deployed = ci_deploy(cluster, second)
    assert deployed.returncode == 0, deployed.stderr + deployed.stdout
    next_run = client.trigger(DAG, {"seconds": 1})

    assert client.wait_for_run(DAG, next_run, timeout=180) == "success"
    assert client.wait_for_run(DAG, long_run, timeout=240) == "success"
    runs = {r: client.json("GET", f"/api/v2/dags/{DAG}/dagRuns/{r}") for r in (long_run, next_run)}
    assert runs[long_run]["bundle_version"] == first
    assert runs[next_run]["bundle_version"] == second
    assert xcom(client, long_run, "report") == "v1" and xcom(client, long_run, "on_node") == "v1"
    assert xcom(client, next_run, "report") == "v2" and xcom(client, next_run, "on_node") == "v2"
    on_node = client.json("GET", f"/api/v2/dags/{DAG}/dagRuns/{next_run}/taskInstances/on_node")
    assert on_node["hostname"] == "pipeline-node-worker"


def test_deploy_without_credentials_names_the_variable(cluster):
    environ = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLEET_API")}
    result = subprocess.run(["ci/deploy.sh"], cwd=cluster.root, env=environ, capture_output=True, text=True)
    assert result.returncode == 1 and "AIRFLEET_API_URL is not set" in result.stderr
