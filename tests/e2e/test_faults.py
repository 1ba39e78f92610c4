"""Faults on the running cluster: a worker killed mid-run, Redis, the metadata database and the
api-server restarted mid-run. Each test asserts that every task still ends in success without anyone stepping
in, within a stated bound, prints the measured recovery time as a JSON line (`-s` shows it; also
in the junit report's properties), and leaves every service healthy again.

They pass only with the settings README "Faults and recovery" names: a killed worker's tasks are
retried after `[scheduler] task_instance_heartbeat_timeout` (75 s, not Airflow's 300 s), and tasks
ride out an api-server restart only with more `[workers] execution_api_retries` than Airflow's.

They break services on purpose, so they run on a cluster of their own, torn down after (marked
`faults`: they run after every other test, while the shared cluster is idle). That cluster runs its
metadata database on PostgreSQL (AIRFLEET_DB=postgresql; the shared one runs MySQL), so every role
is proven end to end on both engines; AIRFLEET_TEST_FAULTS_DB=mysql runs the faults on MySQL."""

from __future__ import annotations

import json
import os
import subprocess
import time
from datetime import datetime
from functools import partial
from typing import Any

import pytest
import requests

from tests.e2e.conftest import git_bundle_cluster
from tests.support import docker_setups, waiting

pytestmark = [pytest.mark.e2e, pytest.mark.faults]

DAG = "airfleet_test_faults"
ROLES = ("metadatabase", "scheduler", "dag_processor", "triggerer")


eventually = partial(waiting.eventually, poll=1)


def epoch(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def report(record_property, scenario: str, **figures: float) -> None:
    figures = {key: round(value, 1) for key, value in figures.items()}
    print(json.dumps({"scenario": scenario, **figures}))
    for key, value in figures.items():
        record_property(f"{scenario}.{key}", value)


def api_healthy(client) -> dict[str, Any] | None:
    """The health endpoint when every role reports healthy; None while it is down or degraded."""
    try:
        health = client.health()
    except (requests.RequestException, ValueError):
        return None
    return health if all(health.get(role, {}).get("status") == "healthy" for role in ROLES) else None


def heartbeats_since(health: dict[str, Any] | None, since: float) -> bool:
    beats = [value for role in ROLES for key, value in (health or {}).get(role, {}).items()
             if key.startswith("latest_") and key.endswith("_heartbeat")]
    return bool(beats) and all(beat and epoch(beat) > since for beat in beats)


def containers_healthy(cluster) -> bool:
    """Every long-running service container is up and passes its Docker health check."""
    states = [c["State"] for service in ("db", "redis", "api-server", "scheduler", "dag-processor",
                                         "triggerer", "worker", "flower") for c in cluster.containers(service)]
    return all(state["Running"] and state["Health"]["Status"] == "healthy" for state in states)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    # Compose v1 here (the shared cluster runs v2), with the images the shared cluster built.
    engine = os.environ.get("AIRFLEET_TEST_FAULTS_DB", "postgresql")
    with git_bundle_cluster(tmp_path_factory.mktemp("faults"), "faults", extra={"AIRFLEET_DB": engine},
                            environ=docker_setups.V1_BUILDKIT) as own:
        yield own


@pytest.fixture(scope="module")
def client(cluster):
    return cluster.client_for(DAG)


@pytest.fixture(autouse=True)
def healthy_before_and_after(cluster, client):
    """A fault must not leak into the next test (or into other e2e tests): start from, and leave,
    a cluster whose every container passes its health check (checks run every 30 s)."""
    eventually(lambda: containers_healthy(cluster) and api_healthy(client), 240, "healthy cluster")
    yield
    eventually(lambda: containers_healthy(cluster) and api_healthy(client), 240, "healthy cluster after the fault")


def naps(client, run_id: str) -> list[dict[str, Any]]:
    return [ti for ti in client.task_instances(DAG, run_id) if ti["task_id"] == "nap"]


def start_run(client, count: int, seconds: int) -> str:
    """Trigger a run and wait until all its sleeping tasks run, so the fault lands mid-run."""
    run_id = client.trigger(DAG, {"count": count, "seconds": seconds})
    eventually(lambda: [ti for ti in naps(client, run_id) if ti["state"] == "running"][count - 1:],
               120, f"{count} running tasks in {run_id}")
    return run_id


def finish(client, run_id: str, timeout: float, why: str = "") -> list[dict[str, Any]]:
    """Wait for the run; every task instance must have ended in success. Returns them. `why`
    says which setting bounds the wait, for the failure message."""
    try:
        state = client.wait_for_run(DAG, run_id, timeout=timeout)
    except TimeoutError as error:
        state = str(error)
    tis = client.task_instances(DAG, run_id)
    assert state == "success" and all(ti["state"] == "success" for ti in tis), \
        (state, why, [(ti["task_id"], ti["map_index"], ti["state"], ti["try_number"]) for ti in tis])
    return tis


def addresses(container: dict[str, Any]) -> set[str]:
    return {net["IPAddress"] for net in container["NetworkSettings"]["Networks"].values()}


def scale_workers(cluster, count: int) -> None:
    # --no-deps: leave the DB, broker and the one-shot airflow-init alone.
    cluster.compose("up", "-d", "--no-deps", "--no-recreate", "--scale", f"worker={count}", "worker")


def test_this_cluster_came_up_through_compose_v1(cluster):
    (container,) = cluster.containers("scheduler")
    assert container["Config"]["Labels"]["com.docker.compose.version"].startswith("1.")


def test_redis_restart_mid_run_loses_no_task(cluster, client, record_property):
    run_id = start_run(client, count=4, seconds=20)
    restarted_at = time.time()
    cluster.compose("restart", "redis", timeout=120)
    restart_s = time.time() - restarted_at
    # `done` is sent through the restarted broker after the fault: the queue path works again.
    tis = finish(client, run_id, timeout=240)
    report(record_property, "redis_restart", restart_s=restart_s,
           restart_to_last_success_s=max(epoch(ti["end_date"]) for ti in tis) - restarted_at,
           retries=sum(ti["try_number"] - 1 for ti in tis))


def test_db_restart_mid_run_scheduler_and_api_recover_by_themselves(cluster, client, record_property):
    run_id = start_run(client, count=2, seconds=30)
    restarted_at = time.time()
    cluster.compose("restart", "db", timeout=180)
    back_at = time.time()
    # Healthy by heartbeats written after the database came back, not by ones left from before the stop.
    eventually(lambda: heartbeats_since(api_healthy(client), back_at), 240,
               "fresh heartbeats from every role after the database restart")
    healthy_s = time.time() - restarted_at
    finish(client, run_id, timeout=240)
    new_run = client.trigger(DAG, {"count": 1, "seconds": 1})
    finish(client, new_run, timeout=180)
    report(record_property, "db_restart", restart_to_healthy_s=healthy_s,
           restart_to_new_run_success_s=time.time() - restarted_at)


def test_api_server_restart_leaves_running_tasks_alone(cluster, client, record_property):
    run_id = start_run(client, count=4, seconds=30)
    restarted_at = time.time()
    cluster.compose("restart", "api-server", timeout=120)
    eventually(lambda: api_healthy(client), 240, "api-server answering after its restart")
    back_s = time.time() - restarted_at
    tis = finish(client, run_id, timeout=240)
    report(record_property, "api_server_restart", restart_to_api_healthy_s=back_s,
           restart_to_last_success_s=max(epoch(ti["end_date"]) for ti in tis) - restarted_at,
           retries=sum(ti["try_number"] - 1 for ti in tis))
    # Unaffected: tasks reach the api-server only through the Execution API client, which retries
    # each call ([workers] execution_api_retries), so they finish on their first try.
    assert all(ti["try_number"] == 1 for ti in tis), [(ti["map_index"], ti["try_number"]) for ti in tis]


def test_worker_killed_mid_run_its_tasks_are_retried_on_another_worker(cluster, client, record_property):
    scale_workers(cluster, 2)
    killed = None
    try:
        eventually(lambda: len(cluster.containers("worker")) == 2 and containers_healthy(cluster), 180,
                   "second healthy worker")
        run_id = start_run(client, count=4, seconds=20)
        # Kill the worker that runs the most of them; the other one must pick up their retries.
        workers = cluster.containers("worker")
        hosts = [ti["hostname"] for ti in naps(client, run_id)]
        killed = max(workers, key=lambda w: sum(host in addresses(w) for host in hosts))
        (survivor,) = [w for w in workers if w["Id"] != killed["Id"]]
        lost = [ti["map_index"] for ti in naps(client, run_id) if ti["hostname"] in addresses(killed)]
        killed_at = time.time()
        subprocess.run(["docker", "kill", "--signal", "KILL", killed["Id"]], check=True, capture_output=True)

        # The bound: resolved within 2 minutes of the kill, nothing lost or stuck.
        tis = finish(client, run_id, timeout=120 - (time.time() - killed_at),
                     why="a dead worker's tasks stay 'running' until [scheduler] task_instance_heartbeat_timeout")
        recovered = max(epoch(ti["end_date"]) for ti in tis) - killed_at
        retried = [ti for ti in tis if ti["task_id"] == "nap" and ti["map_index"] in lost]
        report(record_property, "worker_sigkill", kill_to_last_success_s=recovered, tasks_retried=len(retried))
        assert recovered < 120
        assert retried and all(ti["try_number"] >= 2 and ti["hostname"] in addresses(survivor) for ti in retried), \
            [(ti["map_index"], ti["try_number"], ti["hostname"]) for ti in retried]
    finally:
        # Back to one worker: the killed container stays down (Docker does not restart what was
        # killed by hand), so remove it rather than letting compose pick which one to keep.
        if killed is not None:
            subprocess.run(["docker", "rm", "-f", killed["Id"]], capture_output=True)
        scale_workers(cluster, 1)
