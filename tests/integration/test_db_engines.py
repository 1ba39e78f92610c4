"""AIRFLEET_DB picks the metadata database's engine: Compose (v1 and v2) renders the `db` service
from that engine's image and volume and every role's connection URL for it; the PostgreSQL image's
first start creates the airflow user and database (and finishes an interrupted first start), as
the MySQL image's does (test_mysql_first_start.py)."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import pytest
import yaml

from airfleet import envfile
from tests.support import docker_setups, images

ROOT = Path(__file__).parents[2]
ROLES = ("airflow-init", "api-server", "scheduler", "dag-processor", "triggerer", "worker", "flower")


def rendered(tmp_path: Path, setup: dict[str, str], engine: str | None) -> dict:
    env_file = tmp_path / ".env"
    env_file.write_text(f"AIRFLEET_DB={engine}\n" if engine else "")
    envfile.init(env_file)
    command = setup["AIRFLEET_COMPOSE"].split()
    result = subprocess.run([*command, "--env-file", str(env_file), "-p", "engines", "-f",
                             str(ROOT / "docker-compose.yml"), "config"], capture_output=True, text=True,
                            env={**os.environ, **setup})
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)["services"]


@pytest.mark.parametrize("setup", ["v1", "v2"])
@pytest.mark.parametrize("engine, expected", [(None, "mysql"), ("mysql", "mysql"), ("postgresql", "postgresql")])
def test_compose_renders_the_chosen_engine_for_the_db_and_every_role(tmp_path, setup, engine, expected):
    if setup == "v2":
        docker_setups.require_v2()
    elif shutil.which("docker-compose") is None:
        pytest.skip("no docker-compose (Compose v1) on this machine")
    services = rendered(tmp_path, docker_setups.V2_BUILDKIT if setup == "v2" else docker_setups.V1_LEGACY, engine)
    db = services["db"]
    assert db["image"] == f"airfleet/{expected}:local"
    assert db["build"]["dockerfile"].endswith(f"docker/{expected}/Dockerfile")
    (volume,) = db["volumes"]
    source, target = (volume["source"], volume["target"]) if isinstance(volume, dict) else volume.split(":")[:2]
    assert (source.rsplit("_", 1)[-1], target) == (expected, f"/var/lib/{expected}")
    password = envfile.load(tmp_path / ".env")["MYSQL_PASSWORD"]
    for role in ROLES:
        environment = services[role]["environment"]
        if isinstance(environment, list):
            environment = dict(item.split("=", 1) for item in environment)
        assert environment["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] == f"{expected}://airflow:{password}@db/airflow", role
        assert "db" in services[role]["depends_on"], role


PASSWORD = "airfleet-first-start-test"
ENV = ["-e", f"DB_ROOT_PASSWORD={PASSWORD}-root", "-e", "DB_NAME=airflow", "-e", "DB_USER=airflow",
       "-e", f"DB_PASSWORD={PASSWORD}"]


def docker(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def volume():
    images.docker_or_skip()
    name = f"airfleet-pg-first-start-{uuid.uuid4().hex[:6]}"
    docker("volume", "create", name).check_returncode()
    yield name
    docker("volume", "rm", "-f", name)


def psql(container: str, user: str, password: str, sql: str) -> subprocess.CompletedProcess[str]:
    """Over TCP with a password, as the cluster's roles connect."""
    return docker("exec", "-e", f"PGPASSWORD={password}", container, "psql", "-h", "127.0.0.1", "-U", user,
                  "-d", "airflow", "-v", "ON_ERROR_STOP=1", "-tAc", sql, timeout=30)


def serve(volume: str, name: str) -> None:
    docker("run", "-d", "--name", name, "-v", f"{volume}:/var/lib/postgresql", *ENV,
           images.postgres_image()).check_returncode()
    deadline = time.monotonic() + 120
    while docker("exec", name, "airfleet-db-ready").returncode != 0:
        assert time.monotonic() < deadline, docker("logs", name).stderr[-3000:]
        assert docker("inspect", "-f", "{{.State.Running}}", name).stdout.strip() == "true", \
            docker("logs", name).stderr[-3000:]
        time.sleep(1)


def test_the_first_start_makes_airflow_the_owner_of_its_database_and_sets_both_passwords(volume):
    name = f"{volume}-server"
    try:
        serve(volume, name)
        created = psql(name, "airflow", PASSWORD, "CREATE TABLE probe (id int)")
        assert created.returncode == 0, created.stderr
        owner = psql(name, "airflow", PASSWORD, "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'airflow'")
        assert owner.stdout.split() == ["airflow"], owner.stderr
        assert psql(name, "postgres", f"{PASSWORD}-root", "SELECT 1").stdout.strip() == "1"
        refused = psql(name, "airflow", "not-the-password", "SELECT 1")
        assert refused.returncode != 0 and "password authentication failed" in refused.stderr
    finally:
        docker("rm", "-f", name)


def test_an_interrupted_first_start_is_completed_on_the_next(volume):
    image = images.postgres_image()
    # The state a first start leaves when stopped after initdb, before the user and database exist.
    docker("run", "--rm", "-v", f"{volume}:/var/lib/postgresql", "--entrypoint", "sh", image, "-c",
           "$(echo /usr/lib/postgresql/*/bin)/initdb -D /var/lib/postgresql/data -U postgres >/dev/null"
           ).check_returncode()
    name = f"{volume}-server"
    try:
        serve(volume, name)
        assert psql(name, "airflow", PASSWORD, "SELECT 1").stdout.strip() == "1", docker("logs", name).stderr
        assert "the first start was interrupted before it finished; initialising again" in docker("logs", name).stderr
    finally:
        docker("rm", "-f", name)
