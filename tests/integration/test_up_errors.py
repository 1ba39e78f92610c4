"""bin/up stops early on bad input with a message naming the problem and the fix, losing nothing."""

import os
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from airfleet import envfile
from tests.support.cluster import ComposeCluster
from tests.support.images import BASE_IMAGE, ensure_base_image

ROOT = Path(__file__).parents[2]
pytestmark = pytest.mark.skipif(shutil.which("docker") is None, reason="bin/up needs the docker CLI")


def up(env_file: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "AIRFLEET_ENV_FILE": str(env_file), **extra}
    return subprocess.run([str(ROOT / "bin" / "up")], env=environ, text=True, capture_output=True, timeout=600)


def project_containers(project: str) -> str:
    return subprocess.run(["docker", "ps", "-aq", "--filter", f"label=com.docker.compose.project={project}"],
                          capture_output=True, text=True, check=True).stdout.strip()


def test_malformed_env_value_stops_up_and_keeps_the_file(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("COMPOSE_PROJECT_NAME=airfleet-bad-env\nMYSQL_PASSWORD=x y\n")
    result = up(env_file)
    assert result.returncode == 1
    assert "MYSQL_PASSWORD" in result.stderr and "airfleet init" in result.stderr
    assert env_file.read_text() == "COMPOSE_PROJECT_NAME=airfleet-bad-env\nMYSQL_PASSWORD=x y\n"
    assert project_containers("airfleet-bad-env") == ""


def test_occupied_port_stops_up_naming_the_port_and_the_setting(tmp_path):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        env_file = tmp_path / ".env"
        env_file.write_text(f"COMPOSE_PROJECT_NAME=airfleet-busy-port\nAIRFLEET_API_PORT={port}\n")
        envfile.init(env_file)
        before = env_file.read_text()
        result = up(env_file)
    assert result.returncode == 1
    assert f"port {port}" in result.stderr and "AIRFLEET_API_PORT" in result.stderr
    assert env_file.read_text() == before
    assert project_containers("airfleet-busy-port") == ""


def test_base_image_that_can_be_neither_pulled_nor_bootstrapped(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("COMPOSE_PROJECT_NAME=airfleet-no-base\n")
    envfile.init(env_file)
    result = up(env_file, BASE_IMAGE="airfleet-test/no-such-base:nosuchsuite-slim")
    assert result.returncode == 1
    assert "can be neither pulled nor bootstrapped" in result.stderr and "BASE_IMAGE" in result.stderr
    assert project_containers("airfleet-no-base") == ""
    leftover = subprocess.run(["docker", "image", "inspect", "airfleet-test/no-such-base:nosuchsuite-slim"],
                              capture_output=True)
    assert leftover.returncode != 0, "a failed bootstrap left an (empty) image behind"


def test_a_base_image_without_apt_is_refused_naming_it(tmp_path):
    ensure_base_image()
    tag = "airfleet-test/no-apt:1"
    subprocess.run(["docker", "build", "-q", "-t", tag, "-"], input=f"FROM {BASE_IMAGE}\nRUN rm /usr/bin/apt-get\n",
                   text=True, capture_output=True, check=True)
    env_file = tmp_path / ".env"
    env_file.write_text("COMPOSE_PROJECT_NAME=airfleet-no-apt\n")
    envfile.init(env_file)
    try:
        result = up(env_file, BASE_IMAGE=tag)
    finally:
        subprocess.run(["docker", "rmi", "-f", tag], capture_output=True)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        f"airfleet: base image {tag} has no apt-get: Airfleet's images install Debian packages; "
        "set BASE_IMAGE to a Debian-based image (e.g. debian:bookworm-slim)")
    assert project_containers("airfleet-no-apt") == ""


def test_a_docker_engine_older_than_supported_is_refused(tmp_path):
    shim = tmp_path / "bin"
    shim.mkdir()
    # An old engine cannot run here: this docker answers the version question as 19.03 would.
    real = shutil.which("docker")
    (shim / "docker").write_text(f'#!/bin/sh\n[ "$1" = version ] && {{ echo 19.03.15; exit 0; }}\nexec {real} "$@"\n')
    (shim / "docker").chmod(0o755)
    env_file = tmp_path / ".env"
    result = up(env_file, PATH=f"{shim}:{os.environ['PATH']}")
    assert result.returncode == 1
    assert "Docker Engine 19.03.15 is older than 20.10; upgrade Docker Engine" in result.stderr
    assert not env_file.exists(), "nothing is written before the checks pass"


def test_a_compose_that_does_not_run_is_named(tmp_path):
    env_file = tmp_path / ".env"
    result = up(env_file, AIRFLEET_COMPOSE="docker-compose-v9")
    assert result.returncode == 1
    assert "AIRFLEET_COMPOSE='docker-compose-v9' does not run" in result.stderr


def test_an_unreachable_registry_stops_up_naming_it(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("COMPOSE_PROJECT_NAME=airfleet-no-registry\nAIRFLEET_REGISTRY=127.0.0.1:9/data\n")
    envfile.init(env_file)
    result = up(env_file)
    assert result.returncode == 1
    assert "cannot push to the registry 127.0.0.1:9/data (AIRFLEET_REGISTRY)" in result.stderr
    assert project_containers("airfleet-no-registry") == ""
    for image in ("mysql", "redis", "airflow"):
        subprocess.run(["docker", "rmi", f"127.0.0.1:9/data/airfleet/{image}:local"], capture_output=True)


def test_a_failing_init_shows_its_own_log_lines_and_keeps_the_volumes(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("COMPOSE_PROJECT_NAME=airfleet-bad-init\nAIRFLOW_UI_TIMEZONE=Mars/Olympus_Mons\n")
    envfile.init(env_file)
    cluster = ComposeCluster(root=ROOT, env_file=env_file)
    try:
        result = up(env_file)
        assert result.returncode == 1
        assert "bad AIRFLOW_UI_TIMEZONE; use an IANA name" in result.stderr
        assert any(f"airflow-init{sep}1 exited with code 1" in result.stderr for sep in "-_")  # Compose v2, v1
        label = "label=com.docker.compose.project=airfleet-bad-init"
        volumes = subprocess.run(["docker", "volume", "ls", "-q", "--filter", label],
                                 capture_output=True, text=True).stdout.split()
        assert any(v.endswith("_mysql") for v in volumes)
    finally:
        cluster.down(volumes=True)
