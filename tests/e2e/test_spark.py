"""The Spark DAG on the cluster: the submit task defers while the driver runs (holding no worker
slot), the data-quality check runs in the triggerer container, and the run succeeds.

Spark runs on this host from pip pyspark (tests/support/spark_cluster.py), its REST server
bound to the cluster network's gateway so the worker and triggerer containers reach it; the
driver writes into the cluster's DAG folder, which the triggerer sees under /opt/airflow/dags.
"""

from __future__ import annotations

import json
import subprocess
import uuid
from pathlib import Path

import pytest

from tests.support import spark_cluster
from tests.support.waiting import eventually

pytestmark = pytest.mark.e2e

DAG = "airfleet_test_spark"
ACTIVE_TASKS = (
    "import json, os; from celery import Celery; "
    "app = Celery(broker=os.environ['AIRFLOW__CELERY__BROKER_URL']); "
    "print(json.dumps(app.control.inspect(timeout=5).active() or {}))"
)


def gateway(network: str) -> str:
    out = subprocess.run(["docker", "network", "inspect", network, "-f", "{{(index .IPAM.Config 0).Gateway}}"],
                         capture_output=True, text=True, check=True)
    return out.stdout.strip()


@pytest.fixture(scope="module")
def spark(cluster, tmp_path_factory):
    spark, jar = spark_cluster.start_spark(tmp_path_factory.mktemp("spark-e2e"),
                                           rest_host=gateway(f"{cluster.project}_default"))
    spark.jar = jar
    yield spark
    spark.stop()


def ti_state(client, run_id: str) -> dict:
    return client.json("GET", f"/api/v2/dags/{DAG}/dagRuns/{run_id}/taskInstances/submit")


def test_spark_task_defers_without_a_worker_slot_and_checks_the_output(cluster, spark):
    dags_dir = Path(cluster.env["AIRFLEET_DAGS_DIR"])
    name = f"spark-out-{uuid.uuid4().hex[:6]}"
    client = cluster.client()
    client.wait_for_dag(DAG)
    client.unpause(DAG)
    run_id = client.trigger(DAG, {
        "rest_url": spark.rest_url, "jar": f"file:{spark.jar}", "host_output": str(dags_dir / name),
        "output": f"/opt/airflow/dags/{name}", "seconds": 45,
    })

    eventually(lambda: ti_state(client, run_id)["state"] == "deferred", 180, "deferral of the submit task")
    driver = eventually(lambda: spark.drivers()[-1:], 180, "Spark driver")[0]
    assert spark.state(driver) in ("SUBMITTED", "RUNNING")
    # While the driver runs: no pool slot and no Celery task is held for the waiting task.
    pool = client.json("GET", "/api/v2/pools/default_pool")
    assert pool["running_slots"] == 0 and pool["occupied_slots"] == 0 and pool["deferred_slots"] >= 1, pool

    def no_celery_task_of_the_dag():
        # The task process reports the deferral, then exits; its Celery task ends a moment later.
        out = cluster.compose("exec", "-T", "worker", "python", "-c", ACTIVE_TASKS)
        active = json.loads(out.strip().splitlines()[-1])
        return not [task for tasks in active.values() for task in tasks if DAG in json.dumps(task)]

    eventually(no_celery_task_of_the_dag, 60, "moment the worker holds no task of the DAG")
    assert spark.state(driver) in ("SUBMITTED", "RUNNING"), "the driver ended before the check: make it longer"
    assert ti_state(client, run_id)["state"] == "deferred"

    state = client.wait_for_run(DAG, run_id, timeout=300)
    log = client.request("GET", f"/api/v2/dags/{DAG}/dagRuns/{run_id}/taskInstances/submit/logs/1",
                         params={"full_content": "true"}, headers={"Accept": "application/json"})
    events = "\n".join(str(line.get("event", "")) for line in log.json()["content"])
    assert state == "success", events[-4000:]
    assert spark.state(driver) == "FINISHED"
    xcom = client.json("GET", f"/api/v2/dags/{DAG}/dagRuns/{run_id}/taskInstances/submit/xcomEntries/return_value")
    assert xcom["value"] == driver
    assert f"driver {driver} FINISHED and its output passed the check" in events
