"""A second node: a worker started with sbin/200.sh on its own Docker network, reached by the
cluster as another machine would be; drained with sbin/503.sh; checked by `airfleet doctor`."""

import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.conftest import NodeNetwork, run
from tests.support.registry import MISSING

pytestmark = pytest.mark.e2e

NODE_ADDRESS = "node2-worker"


@dataclass
class Node:
    network: NodeNetwork
    name: str
    pulled: bool = False

    @property
    def env_file(self) -> Path:
        return self.network.env_file

    @property
    def container(self) -> str:
        return f"airfleet-worker-{self.name}"

    def start(self, *options: str, name: str | None = None,
              env_file: Path | None = None) -> subprocess.CompletedProcess[str]:
        return self.network.start_worker(name or self.name, *options, env_file=env_file)


@pytest.fixture(scope="module")
def node(cluster, tmp_path_factory):
    """The node's image comes from the cluster's registry (bin/up pushed it) when there is one: the
    local copy of that name is removed first, so 200.sh must pull it."""
    network = NodeNetwork(cluster, tmp_path_factory.mktemp("node2"), "node2", NODE_ADDRESS)
    cluster.package_index.connect(network.network)
    node = Node(network, f"e2e{uuid.uuid4().hex[:6]}")
    if cluster.registry:
        run("docker", "rmi", f"{cluster.registry.address}/airfleet/airflow:local").check_returncode()
    started = node.start("--queues", "node2", "--concurrency", "4")
    assert started.returncode == 0, started.stderr
    assert "started" in started.stdout
    node.pulled = "pulling" in started.stderr
    yield node
    network.close()


def ti_path(run_id: str, dag_id: str = "airfleet_test_node_queue", task_id: str = "slow") -> str:
    return f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}"


def wait_state(client, path: str, wanted: set[str], timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        ti = client.json("GET", path)
        if ti["state"] in wanted:
            return ti
        assert time.monotonic() < deadline, f"{path} still {ti['state']}"
        time.sleep(0.5)


def log_lines(client, path: str, try_number: int = 1) -> list[str]:
    response = client.request("GET", f"{path}/logs/{try_number}", params={"full_content": "true"},
                              headers={"Accept": "application/json"})
    assert response.status_code == 200, response.text
    return [str(line.get("event", "")) for line in response.json()["content"]]


def trigger_slow(client, seconds: int) -> str:
    client.wait_for_dag("airfleet_test_node_queue")
    client.unpause("airfleet_test_node_queue")
    return client.trigger("airfleet_test_node_queue", {"seconds": seconds})


def test_the_node_pulled_its_image_from_the_cluster_registry(cluster, node):
    if not cluster.registry:
        pytest.skip(MISSING)
    assert node.pulled
    assert cluster.registry.tags("airfleet/airflow") == ["local"]
    image = run("docker", "inspect", "-f", "{{.Config.Image}}", node.container).stdout.strip()
    assert image == f"{cluster.registry.address}/airfleet/airflow:local"


def test_an_unreachable_registry_is_named_and_nothing_is_started(node, tmp_path):
    env_file = tmp_path / "node.env"
    env_file.write_text("".join(line + "\n" for line in node.env_file.read_text().splitlines()
                                if not line.startswith("AIRFLEET_REGISTRY=")) + "AIRFLEET_REGISTRY=127.0.0.1:9\n")
    result = node.start("--queues", "node2", name="unreachable", env_file=env_file)
    assert result.returncode == 1
    assert "cannot pull 127.0.0.1:9/airfleet/airflow:local from the registry 127.0.0.1:9" in result.stderr
    assert "Traceback" not in result.stderr
    assert run("docker", "ps", "-aq", "--filter", "name=airfleet-worker-unreachable").stdout.strip() == ""


def test_a_virtualenv_task_on_the_node_installs_from_the_cluster_index(cluster, node):
    client = cluster.client()
    client.wait_for_dag("airfleet_test_virtualenv_node", timeout=180)
    client.unpause("airfleet_test_virtualenv_node")
    run_id = client.trigger("airfleet_test_virtualenv_node")
    assert client.wait_for_run("airfleet_test_virtualenv_node", run_id, timeout=420) == "success"
    task = ti_path(run_id, "airfleet_test_virtualenv_node", "on_node")
    result = client.json("GET", f"{task}/xcomEntries/return_value")
    assert result["value"]["origin"] == "the private package index"
    assert result["value"]["host"] == node.container


def test_start_is_idempotent(node):
    again = node.start("--queues", "node2", "--concurrency", "4")
    assert again.returncode == 0 and "already started" in again.stdout


def test_start_with_other_options_changes_nothing_and_says_how_to_apply_them(node):
    before = run("docker", "inspect", "-f", "{{.Id}} {{.Args}}", node.container).stdout
    again = node.start("--queues", "node2,etl", "--concurrency", "4")
    assert again.returncode == 1, again.stderr
    (line,) = again.stderr.strip().splitlines()
    assert "running with other settings (queues node2 -> node2,etl)" in line
    assert f"sbin/503.sh worker --name {node.name} && " in line and "--queues node2,etl" in line
    assert run("docker", "inspect", "-f", "{{.Id}} {{.Args}}", node.container).stdout == before


def test_a_node_env_file_without_a_secret_the_role_needs_names_it(node, tmp_path):
    env_file = tmp_path / "node.env"
    env_file.write_text("".join(line + "\n" for line in node.env_file.read_text().splitlines()
                                if not line.startswith(("MYSQL_PASSWORD=", "REDIS_PASSWORD="))))
    result = node.start("--queues", "node2", name="nosecret", env_file=env_file)
    assert result.returncode == 1
    (line,) = result.stderr.strip().splitlines()
    assert f"MYSQL_PASSWORD, REDIS_PASSWORD are missing from {env_file}; copy them from the cluster's .env" in line
    assert run("docker", "ps", "-aq", "--filter", "name=airfleet-worker-nosecret").stdout.strip() == ""


def test_stopping_what_is_not_running_is_fine():
    result = run("sbin/503.sh", "worker", "--name", "never-started-anywhere")
    assert result.returncode == 0 and "not running" in result.stdout


def test_node_task_logs_are_readable_while_running_and_after(cluster, node):
    client = cluster.client()
    run_id = trigger_slow(client, 20)
    path = ti_path(run_id)
    ti = wait_state(client, path, {"running"})
    assert ti["hostname"] == NODE_ADDRESS
    time.sleep(4)
    running = log_lines(client, path)
    assert any(f"http://{NODE_ADDRESS}:8793/log/" in line for line in running), running[:5]
    assert any("airfleet tick" in line for line in running)
    assert client.wait_for_run("airfleet_test_node_queue", run_id, timeout=180) == "success"
    assert any("airfleet tick 19" in line for line in log_lines(client, path))


def test_doctor_passes_on_a_healthy_cluster(cluster, node):
    result = cluster.compose("exec", "-T", "api-server", "airfleet", "doctor")
    assert "all checks passed" in result
    assert f"worker log server {NODE_ADDRESS}:8793: answers" in result


def test_docker_socket_sibling_container_from_a_non_root_worker(cluster, node):
    started = node.start("--queues", "docker", "--docker-socket", name=f"{node.name}d")
    assert started.returncode == 0, started.stderr
    container = f"airfleet-worker-{node.name}d"
    assert run("docker", "exec", container, "id", "-u").stdout.strip() == "50000"
    client = cluster.client()
    client.wait_for_dag("airfleet_test_docker_socket")
    client.unpause("airfleet_test_docker_socket")
    run_id = client.trigger("airfleet_test_docker_socket")
    assert client.wait_for_run("airfleet_test_docker_socket", run_id, timeout=240) == "success"
    xcom = client.json("GET", f"{ti_path(run_id, 'airfleet_test_docker_socket', 'sibling')}/xcomEntries/return_value")
    assert "sibling-says-42" in str(xcom["value"])
    assert run("sbin/503.sh", "worker", "--name", f"{node.name}d").returncode == 0


def test_drain_finishes_the_running_task_and_takes_no_new_one(cluster, node):
    client = cluster.client()
    run_id = trigger_slow(client, 60)
    wait_state(client, ti_path(run_id), {"running"})
    drained = run("sbin/503.sh", "worker", "--name", node.name, "--drain-timeout", "240", timeout=300)
    assert drained.returncode == 0, drained.stderr
    assert "stopped" in drained.stdout
    assert client.json("GET", ti_path(run_id))["state"] == "success"
    assert client.wait_for_run("airfleet_test_node_queue", run_id, timeout=60) == "success"

    waiting = client.trigger("airfleet_test_node_queue", {"seconds": 3})
    time.sleep(20)
    assert client.json("GET", ti_path(waiting))["state"] in ("scheduled", "queued")


def test_doctor_finds_a_worker_with_a_different_secret_key(cluster, node, tmp_path):
    """A worker with its own [api] secret_key runs tasks but its logs answer 403: doctor says so."""
    odd_env = tmp_path / "odd.env"
    kept = "".join(line + "\n" for line in node.env_file.read_text().splitlines()
                   if not line.startswith("AIRFLOW_API_SECRET_KEY="))
    odd_env.write_text(kept + "AIRFLOW_API_SECRET_KEY=" + "0" * 64 + "\n")
    run("docker", "rm", "-f", node.container)
    started = node.start("--queues", "node2", env_file=odd_env)
    assert started.returncode == 0, started.stderr
    client = cluster.client()
    run_id = trigger_slow(client, 2)
    assert client.wait_for_run("airfleet_test_node_queue", run_id, timeout=180) == "success"
    result = cluster.compose_run("exec", "-T", "api-server", "airfleet", "doctor")
    assert result.returncode == 1, result.stdout
    assert f"worker log server {NODE_ADDRESS}:8793: rejects our signed request (403)" in result.stdout
    assert "AIRFLOW__API__SECRET_KEY" in result.stdout
