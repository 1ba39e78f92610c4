"""The foundation promise: images built, cluster up from nothing, healthy, a DAG runs on a worker."""

import re
import subprocess
import time

import pytest

from tests.support import docker_setups

pytestmark = pytest.mark.e2e

ROLES = ("metadatabase", "scheduler", "dag_processor", "triggerer")


def test_every_role_reports_healthy(cluster):
    health = cluster.client().health()
    for role in ROLES:
        assert health[role]["status"] == "healthy", (role, health)


def test_every_service_container_is_healthy(cluster):
    """bin/up runs a starting container's health check itself; Docker's own, every 30 s, agrees by
    its next run."""
    services = ("db", "redis", "api-server", "scheduler", "dag-processor", "triggerer", "worker", "flower")
    deadline = time.monotonic() + 45
    while True:
        status = {service: cluster.containers(service)[0]["State"]["Health"]["Status"] for service in services}
        if set(status.values()) == {"healthy"} or time.monotonic() > deadline:
            break
        time.sleep(3)
    assert status == dict.fromkeys(services, "healthy")


def test_only_ui_and_flower_are_published(cluster):
    published = {}
    for service in ("db", "redis", "api-server", "scheduler", "dag-processor", "triggerer", "worker", "flower"):
        (container,) = cluster.containers(service)
        ports = container["NetworkSettings"]["Ports"] or {}
        published[service] = sorted(p for p, bound in ports.items() if bound)
    assert published == {
        "db": [], "redis": [], "api-server": ["8080/tcp"], "scheduler": [], "dag-processor": [],
        "triggerer": [], "worker": [], "flower": ["5555/tcp"],
    }


def test_airflow_roles_run_as_non_root(cluster):
    for service in ("api-server", "scheduler", "worker", "db", "redis"):
        (container,) = cluster.containers(service)
        uid = cluster.compose("exec", "-T", service, "id", "-u").strip()
        assert uid != "0", service


def test_api_requires_login(cluster):
    import requests

    assert requests.get(f"{cluster.url}/api/v2/dags", timeout=10).status_code == 401


def test_flower_requires_basic_auth(cluster):
    import requests

    env = cluster.env
    url = f"http://{env['AIRFLEET_BIND_ADDRESS']}:{env['AIRFLEET_FLOWER_PORT']}/"
    assert requests.get(url, timeout=10).status_code == 401
    assert requests.get(url, auth=(env["FLOWER_USER"], env["FLOWER_PASSWORD"]), timeout=10).status_code == 200


def run_smoke(cluster):
    """A successful run of airfleet_smoke: the client and the run id."""
    client = cluster.client()
    client.wait_for_dag("airfleet_smoke")
    client.unpause("airfleet_smoke")
    run_id = client.trigger("airfleet_smoke")
    assert client.wait_for_run("airfleet_smoke", run_id, timeout=300) == "success"
    return client, run_id


def test_dag_runs_on_the_celery_worker(cluster):
    client, run_id = run_smoke(cluster)

    (worker,) = cluster.containers("worker")
    worker_addresses = {net["IPAddress"] for net in worker["NetworkSettings"]["Networks"].values()}
    tis = client.task_instances("airfleet_smoke", run_id)
    assert {ti["task_id"] for ti in tis} == {"where", "report"}
    for ti in tis:
        assert ti["state"] == "success"
        assert ti["hostname"] in worker_addresses, (ti["hostname"], worker_addresses)
    # The task itself saw the worker container's hostname.
    xcom = client.json("GET", f"/api/v2/dags/airfleet_smoke/dagRuns/{run_id}/taskInstances/report"
                              "/xcomEntries/return_value")
    assert xcom["value"]["first"] == worker["Config"]["Hostname"]


def test_celery_results_go_to_redis_not_the_metadata_db(cluster):
    run_smoke(cluster)

    env = cluster.env
    keys = cluster.compose("exec", "-T", "-e", f"REDISCLI_AUTH={env['REDIS_PASSWORD']}", "redis",
                           "redis-cli", "-n", "1", "--scan", "--pattern", "celery-task-meta-*").split()
    assert keys, "no Celery result in Redis database 1"
    ttl = cluster.compose("exec", "-T", "-e", f"REDISCLI_AUTH={env['REDIS_PASSWORD']}", "redis",
                          "redis-cli", "-n", "1", "TTL", keys[0]).strip()
    assert 0 < int(ttl) <= 86400, f"a result should expire within a day, TTL {ttl}"
    tables = cluster.compose("exec", "-T", "-e", f"MYSQL_PWD={env['MYSQL_PASSWORD']}", "db", "mysql",
                             "-uairflow", "airflow", "-N", "-e", "SHOW TABLES LIKE 'celery_%'")
    assert tables.strip() == "", f"Celery wrote to the metadata DB: {tables}"


def test_rebuild_with_nothing_changed_reuses_the_cache(cluster):
    images = ("airflow", "mysql", "redis")
    tag = "local"

    def image_ids():
        return {
            image: subprocess.run(["docker", "image", "inspect", "-f", "{{.Id}}", f"airfleet/{image}:{tag}"],
                                  capture_output=True, text=True, check=True).stdout.strip()
            for image in images
        }

    before = image_ids()
    cluster.up()  # builds again, then finds everything already up
    assert image_ids() == before


def test_up_prints_the_addresses_it_published(cluster):
    env = cluster.env
    address = env["AIRFLEET_BIND_ADDRESS"]
    assert f"Airflow UI:  http://{address}:{env['AIRFLEET_API_PORT']} " in cluster.up_output
    assert f"Flower:      http://{address}:{env['AIRFLEET_FLOWER_PORT']} " in cluster.up_output


def test_the_shared_cluster_came_up_the_way_most_users_docker_does_it(cluster):
    """Compose v2 labels its containers with its version; BuildKit shows `#N [k/n]` steps."""
    docker_setups.require_v2()
    (container,) = cluster.containers("scheduler")
    assert container["Config"]["Labels"]["com.docker.compose.version"].startswith("2.")
    assert re.search(r"^#\d+ \[build \d+/\d+\]", cluster.up_output, re.M), cluster.up_output[-2000:]
