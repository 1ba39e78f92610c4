"""AIRFLEET_DB picks the metadata database's engine: Compose (v1 and v2) renders the `db` service
from that engine's image and volume, and every role's connection URL for it. Each engine's image
is tested in test_db_first_start.py."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from airfleet import envfile
from tests.support import docker_setups

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
