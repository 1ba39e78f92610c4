"""Every reader of `.env` agrees with Compose's own: what `airfleet init` accepts, Compose v1 and v2
interpolate to the same value that bin/lib.sh and the airfleet package read."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
import yaml

from airfleet import envfile
from tests.support import docker_setups
from tests.unit.test_envfile import COMPOSE_READINGS

COMPOSE_FILE = "services:\n  probe:\n    image: scratch\n    environment:\n      SAMPLE: ${AIRFLEET_SAMPLE}\n"


def compose_reading(tmp_path, setup: dict[str, str], line: str) -> str:
    (tmp_path / "compose.yml").write_text(COMPOSE_FILE)
    (tmp_path / ".env").write_bytes(line.encode() + b"\n")
    command = setup["AIRFLEET_COMPOSE"].split()
    result = subprocess.run([*command, "--env-file", ".env", "-f", "compose.yml", "config"], cwd=tmp_path,
                            capture_output=True, text=True, env={**os.environ, **setup})
    assert result.returncode == 0, result.stderr
    rendered = yaml.safe_load(result.stdout)["services"]["probe"]["environment"]["SAMPLE"]
    return str(rendered).replace("$$", "$")  # `config` prints a literal $ escaped


@pytest.mark.parametrize("setup", ["v1", "v2"])
@pytest.mark.parametrize("line, value", COMPOSE_READINGS)
def test_compose_reads_what_airfleet_reads(tmp_path, setup, line, value):
    if setup == "v2":
        docker_setups.require_v2()
    elif shutil.which("docker-compose") is None:
        pytest.skip("no docker-compose (Compose v1) on this machine")
    environment = docker_setups.V2_BUILDKIT if setup == "v2" else docker_setups.V1_LEGACY
    assert compose_reading(tmp_path, environment, line) == value
    assert envfile.parse((tmp_path / ".env").read_bytes().decode(), tmp_path / ".env")["AIRFLEET_SAMPLE"] == value
