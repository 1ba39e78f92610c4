"""Secrets the cluster's data depends on are never replaced behind the user's back: with the
cluster's volumes present, a lost Fernet key or MySQL password stops `bin/up` (nothing changes),
and an init with a key that cannot read the stored connections refuses to start the cluster."""

from __future__ import annotations

import os
import subprocess
import time
import uuid

import pytest
import requests
from cryptography.fernet import Fernet

from airfleet.client import AirflowClient
from tests.e2e.conftest import ROOT

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("name", ["AIRFLOW_FERNET_KEY", "MYSQL_PASSWORD"])
def test_a_lost_secret_stops_up_while_the_volumes_exist(cluster, tmp_path, name):
    env_file = tmp_path / "lost.env"
    env_file.write_text("".join(line + "\n" for line in cluster.env_file.read_text().splitlines()
                                if not line.startswith(f"{name}=")))
    before = env_file.read_text()
    containers = cluster.compose("ps", "-q")
    result = subprocess.run([str(ROOT / "bin" / "up")], cwd=ROOT, capture_output=True, text=True, timeout=300,
                            env={**os.environ, **cluster.environ, "AIRFLEET_ENV_FILE": str(env_file)})
    assert result.returncode == 1
    assert f"{name} missing, but data that depends on it exists (" in result.stderr
    assert f"volume {cluster.project}_mysql" in result.stderr
    assert "Traceback" not in result.stderr
    assert env_file.read_text() == before
    assert cluster.compose("ps", "-q") == containers


def test_init_refuses_a_fernet_key_that_cannot_read_the_stored_connections(cluster):
    client = cluster.client()
    conn_id = f"airfleet_test_{uuid.uuid4().hex[:6]}"
    client.json("POST", "/api/v2/connections", json={"connection_id": conn_id, "conn_type": "http",
                                                     "host": "warehouse.example", "password": "s3cret"})
    other = Fernet.generate_key().decode()
    result = cluster.compose_run("run", "--rm", "-T", "-e", f"AIRFLOW__CORE__FERNET_KEY={other}", "airflow-init",
                                 timeout=300)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "AIRFLOW_FERNET_KEY cannot decrypt" in result.stderr and f"connection {conn_id}" in result.stderr
    again = cluster.compose_run("run", "--rm", "-T", "airflow-init", timeout=300)
    assert again.returncode == 0, again.stderr[-2000:]


def test_a_wrong_mysql_password_stops_the_init_at_once_naming_it(cluster):
    """A password the database volume was not created with: refused on the first try, not after the
    wait for the database times out, and named."""
    wrong = "mysql://airflow:" + "0" * 40 + "@db/airflow"
    started = time.monotonic()
    result = cluster.compose_run("run", "--rm", "-T", "-e", f"AIRFLOW__DATABASE__SQL_ALCHEMY_CONN={wrong}",
                                 "airflow-init", timeout=300)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "refused the password: MYSQL_PASSWORD is not the one its volume was created with" in result.stderr
    assert "0" * 40 not in result.stdout + result.stderr
    assert time.monotonic() - started < 60, "it waited for a database that answers"


def test_every_role_sweeps_old_logs_and_keeps_new_ones(cluster):
    for service in ("api-server", "scheduler", "dag-processor", "triggerer", "worker"):
        processes = cluster.compose("exec", "-T", service, "sh", "-c", "cat /proc/[0-9]*/cmdline | tr '\\0' ' '")
        assert "airfleet.retention" in processes, f"{service} runs no log retention"
    folder = f"/opt/airflow/logs/dag_id=airfleet_test_retention_{uuid.uuid4().hex[:6]}/run_id=r1/task_id=t"
    cluster.compose("exec", "-T", "worker", "sh", "-c",
                    f"mkdir -p {folder} && echo old > {folder}/attempt=1.log"
                    f" && touch -d '40 days ago' {folder}/attempt=1.log"
                    f" && echo new > {folder}/attempt=2.log")
    swept = cluster.compose_run("exec", "-T", "worker", "python", "-m", "airfleet.retention", "--once")
    assert swept.returncode == 0 and "removed" in swept.stderr, swept.stderr
    left = cluster.compose("exec", "-T", "worker", "ls", folder).split()
    assert left == ["attempt=2.log"]


def test_init_sets_the_existing_admin_users_password_from_the_env_file(cluster):
    """A changed AIRFLOW_ADMIN_PASSWORD takes effect at the next init; the user is not created twice."""
    env = cluster.env
    new = uuid.uuid4().hex
    try:
        result = cluster.compose_run("run", "--rm", "-T", "-e", f"AIRFLOW_ADMIN_PASSWORD={new}", "airflow-init",
                                     timeout=300)
        assert result.returncode == 0, result.stderr[-2000:]
        assert f"admin user '{env['AIRFLOW_ADMIN_USER']}' exists; its password is set" in result.stderr
        AirflowClient(cluster.url, env["AIRFLOW_ADMIN_USER"], new).login()
        with pytest.raises(requests.HTTPError):
            cluster.client().login()
    finally:
        restored = cluster.compose_run("run", "--rm", "-T", "airflow-init", timeout=300)
    assert restored.returncode == 0, restored.stderr[-2000:]
    cluster.client().login()
