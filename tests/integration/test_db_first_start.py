"""Each database image's first start (docker/mysql, docker/postgresql) creates the airflow user and
database and survives an interruption: a data directory left before the users existed is
initialised again on the next start. A MySQL volume holding something else is refused with a
message naming what to delete, and nothing in it is touched."""

from __future__ import annotations

import subprocess
import time
import uuid

import pytest

from tests.support import images

PASSWORD = "airfleet-first-start-test"
ENV = ["-e", f"DB_ROOT_PASSWORD={PASSWORD}-root", "-e", "DB_NAME=airflow", "-e", "DB_USER=airflow",
       "-e", f"DB_PASSWORD={PASSWORD}"]


def docker(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def volume():
    images.docker_or_skip()
    name = f"airfleet-first-start-{uuid.uuid4().hex[:6]}"
    docker("volume", "create", name).check_returncode()
    yield name
    docker("volume", "rm", "-f", name)


def airflow_user_can_log_in(container: str, timeout: float = 180) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        probe = docker("exec", container, "mysql", "-h", "127.0.0.1", "-uairflow", f"-p{PASSWORD}", "airflow",
                       "-e", "SELECT 1", timeout=30)
        if probe.returncode == 0:
            return True
        if docker("inspect", "-f", "{{.State.Running}}", container).stdout.strip() != "true":
            return False
        time.sleep(1)
    return False


def test_an_interrupted_mysql_first_start_is_completed_on_the_next(volume):
    image = images.mysql_image()
    # The state a first start leaves when stopped after `mysqld --initialize`, before any user exists.
    docker("run", "--rm", "-v", f"{volume}:/var/lib/mysql", "--entrypoint", "mysqld", image,
           "--initialize-insecure", "--datadir=/var/lib/mysql").check_returncode()
    name = f"{volume}-server"
    docker("run", "-d", "--name", name, "-v", f"{volume}:/var/lib/mysql", *ENV, image).check_returncode()
    try:
        assert airflow_user_can_log_in(name), docker("logs", name).stderr[-3000:]
        assert "the first start was interrupted before it finished; initialising again" in docker("logs", name).stderr
    finally:
        docker("rm", "-f", name)


def test_a_volume_holding_something_else_is_refused_and_kept(volume):
    image = images.mysql_image()
    docker("run", "--rm", "-v", f"{volume}:/var/lib/mysql", "--entrypoint", "sh", image, "-c",
           "echo precious > /var/lib/mysql/notes.txt").check_returncode()
    result = docker("run", "--rm", "-v", f"{volume}:/var/lib/mysql", *ENV, image)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "airfleet-mysql: /var/lib/mysql holds files but no MySQL data directory; mount the right volume, "
        "or delete this one (bin/down --volumes) if nothing in it is needed")
    kept = docker("run", "--rm", "-v", f"{volume}:/var/lib/mysql", "--entrypoint", "cat", image,
                  "/var/lib/mysql/notes.txt")
    assert kept.stdout == "precious\n"


# PostgreSQL


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


def test_postgresql_first_start_makes_airflow_the_owner_of_its_database_and_sets_both_passwords(volume):
    name = f"{volume}-server"
    try:
        serve(volume, name)
        created = psql(name, "airflow", PASSWORD, "CREATE TABLE probe (id int)")
        assert created.returncode == 0, created.stderr
        owner = psql(name, "airflow", PASSWORD,
                     "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'airflow'")
        assert owner.stdout.split() == ["airflow"], owner.stderr
        assert psql(name, "postgres", f"{PASSWORD}-root", "SELECT 1").stdout.strip() == "1"
        refused = psql(name, "airflow", "not-the-password", "SELECT 1")
        assert refused.returncode != 0 and "password authentication failed" in refused.stderr
    finally:
        docker("rm", "-f", name)


def test_an_interrupted_postgresql_first_start_is_completed_on_the_next(volume):
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
