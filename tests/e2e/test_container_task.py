"""A Python task from a DAG file runs in a sibling container started through the worker's
docker.sock, and its closure's result comes back through XCom."""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).parents[2]
DAG = "airfleet_test_container"


def run(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def docker_worker(cluster, tmp_path_factory):
    """A worker with the host's Docker socket on the cluster's own network, for one queue."""
    name = f"airfleet-spark-test-{uuid.uuid4().hex[:6]}"
    env_file = tmp_path_factory.mktemp("container-worker") / "node.env"
    env_file.write_text(cluster.env_file.read_text() + f"AIRFLEET_NODE_ADDRESS={name}\n")
    started = run("sbin/200.sh", "worker", "--env-file", str(env_file), "--network", f"{cluster.project}_default",
                  "--queues", "airfleet-container", "--name", name, "--docker-socket", "--timeout", "240")
    assert started.returncode == 0, started.stderr
    yield name
    run("sbin/503.sh", "worker", "--name", name, "--drain-timeout", "60")
    run("docker", "rm", "-f", f"airfleet-worker-{name}")


def task_log(client, path: str) -> str:
    response = client.request("GET", f"{path}/logs/1", params={"full_content": "true"},
                              headers={"Accept": "application/json"})
    if response.status_code != 200:
        return f"no log: {response.status_code}"
    return "\n".join(str(line.get("event", "")) for line in response.json()["content"])[-4000:]


def test_container_task_returns_its_closures_result(cluster, docker_worker):
    client = cluster.client()
    client.wait_for_dag(DAG)
    client.unpause(DAG)
    run_id = client.trigger(DAG)
    path = f"/api/v2/dags/{DAG}/dagRuns/{run_id}/taskInstances/closure"
    assert client.wait_for_run(DAG, run_id, timeout=300) == "success", task_log(client, path)
    assert client.json("GET", path)["hostname"] == docker_worker
    xcom = client.json("GET", f"{path}/xcomEntries/return_value")["value"]
    assert xcom == {"answer": 42, "python": "/usr/bin/python3", "airflow_importable": False}
    leftovers = run("docker", "ps", "-aq", "--filter", f"label=airfleet.task={DAG}.closure").stdout.split()
    assert leftovers == [], "the task's container was not removed"
