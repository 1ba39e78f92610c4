"""The user's own packages (requirements/extra.txt, or AIRFLEET_EXTRA_REQUIREMENTS) go into the
airflow image in a layer of their own, resolved against the lock; a package that conflicts with
Airflow's pins stops the build with a message naming the file and the fix."""

from __future__ import annotations

import os
import subprocess
import uuid
from pathlib import Path

import pytest

from tests.support import docker_setups
from tests.support.images import docker_or_skip, ensure_base_image

ROOT = Path(__file__).parents[2]


def build(extra: Path, tag: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", "-c", "source bin/lib.sh && stage_build_context && build_image airflow"], cwd=ROOT,
                          capture_output=True, text=True, timeout=1500,
                          env={**os.environ, "AIRFLEET_EXTRA_REQUIREMENTS": str(extra), "AIRFLEET_IMAGE_TAG": tag})


@pytest.fixture
def tag():
    docker_or_skip()
    docker_setups.require_v2()  # BuildKit: the cache these builds share with the cluster's own
    ensure_base_image()
    tag = f"extra-{uuid.uuid4().hex[:6]}"
    yield tag
    subprocess.run(["docker", "rmi", f"airfleet/airflow:{tag}"], capture_output=True)
    # Leave .build/extra.txt as the next ordinary build expects it.
    subprocess.run(["bash", "-c", "source bin/lib.sh && stage_build_context"], cwd=ROOT, check=True)


def test_an_extra_package_is_installed_without_reinstalling_airflow(tmp_path, tag):
    extra = tmp_path / "extra.txt"
    extra.write_text("# a team's own package\ntomli-w==1.2.0\n")
    result = build(extra, tag)
    assert result.returncode == 0, result.stderr[-3000:]
    log = (ROOT / ".build" / "airflow.log").read_text()
    airflow_step = next(line for line in log.splitlines() if "uv pip install" in line and "airflow.in" in line)
    step = airflow_step.split()[0]
    assert f"{step} CACHED" in log, "changing extra.txt reinstalled Airflow"
    probe = subprocess.run(["docker", "run", "--rm", f"airfleet/airflow:{tag}", "python", "-c",
                            "import tomli_w, airflow; print(tomli_w.dumps({'a': 1}).strip(), airflow.__version__)"],
                           capture_output=True, text=True)
    assert probe.stdout.split("\n")[-2:] == ["a = 1 3.3.2", ""], probe.stdout + probe.stderr


def test_a_package_that_conflicts_with_the_lock_stops_the_build_naming_it(tmp_path, tag):
    extra = tmp_path / "extra.txt"
    extra.write_text("apache-airflow==3.2.0\n")
    result = build(extra, tag)
    assert result.returncode == 1
    assert "requirements/extra.txt cannot be installed with Airflow's pins" in result.stderr
    assert "apache-airflow" in result.stderr
    assert "building airfleet/airflow failed" in result.stderr.strip().splitlines()[-1]
    inspect = subprocess.run(["docker", "image", "inspect", f"airfleet/airflow:{tag}"], capture_output=True)
    assert inspect.returncode != 0
