"""bin/up stops early on bad input with a message naming the problem and the fix, losing nothing."""

import os
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from airfleet import envfile

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
