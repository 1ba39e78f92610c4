"""Image builds with both builders: BuildKit (the default wherever the buildx plugin is installed)
and the legacy builder. Each shows its progress, reuses its cache on a second run, and a build
that fails half-way shows its last lines, exits 1 and leaves the image it would replace alone."""

from __future__ import annotations

import os
import re
import subprocess
import uuid
from pathlib import Path

import pytest

from tests.support import docker_setups
from tests.support.images import BASE_IMAGE, docker_or_skip, ensure_base_image

ROOT = Path(__file__).parents[2]
BUILDERS = {"buildkit": (r"^#\d+ \[\d+/\d+\] RUN apt-get", "CACHED"),
            "legacy": (r"^Step \d+/\d+ : RUN apt-get", "Using cache")}


def builder_env(builder: str) -> dict[str, str]:
    if builder == "buildkit":
        docker_setups.require_v2()
        return {"DOCKER_BUILDKIT": "1"}
    return {"DOCKER_BUILDKIT": "0"}


def lib(script: str, **environ: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", "-c", f"source bin/lib.sh && {script}"], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, **environ}, timeout=900)


def image_id(tag: str) -> str:
    result = subprocess.run(["docker", "image", "inspect", "-f", "{{.Id}}", tag], capture_output=True, text=True)
    return result.stdout.strip() if result.returncode == 0 else ""


def stopped_containers() -> set[str]:
    listed = subprocess.run(["docker", "ps", "-aq", "--filter", "status=exited"], capture_output=True, text=True)
    return set(listed.stdout.split())


@pytest.fixture(scope="module")
def broken_apt_base() -> str:
    """A Debian base whose apt-get fails the way an unreachable mirror does."""
    docker_or_skip()
    ensure_base_image()
    tag = "airfleet-test/broken-apt:1"
    dockerfile = (f"FROM {BASE_IMAGE}\n"
                  "RUN printf '#!/bin/sh\\necho \"E: the package mirror is unreachable (test)\" >&2\\n"
                  "exit 100\\n' > /usr/local/bin/apt-get && chmod +x /usr/local/bin/apt-get\n")
    subprocess.run(["docker", "build", "-q", "-t", tag, "-"], input=dockerfile, text=True, capture_output=True,
                   check=True)
    yield tag
    subprocess.run(["docker", "rmi", "-f", tag], capture_output=True)


@pytest.mark.parametrize("builder", BUILDERS)
def test_build_shows_progress_and_reuses_its_cache(builder):
    docker_or_skip()
    environ = builder_env(builder)
    tag = f"build-{builder}-{uuid.uuid4().hex[:6]}"
    step, cached = BUILDERS[builder]
    try:
        first = lib("stage_build_context && build_image redis", AIRFLEET_IMAGE_TAG=tag, **environ)
        assert first.returncode == 0, first.stderr[-3000:]
        assert re.search(step, first.stderr, re.M), first.stderr[-3000:]
        assert image_id(f"airfleet/redis:{tag}")
        second = lib("stage_build_context && build_image redis", AIRFLEET_IMAGE_TAG=tag, **environ)
        assert second.returncode == 0, second.stderr[-3000:]
        log = (ROOT / ".build" / "redis.log").read_text()
        run_steps = len(re.findall(r"RUN apt-get", log))
        assert run_steps >= 1 and cached in log, log[-3000:]
    finally:
        subprocess.run(["docker", "rmi", f"airfleet/redis:{tag}"], capture_output=True)


@pytest.mark.parametrize("builder", BUILDERS)
def test_a_build_failing_half_way_shows_why_and_keeps_the_old_image(builder, broken_apt_base):
    environ = builder_env(builder)
    tag = f"broken-{builder}-{uuid.uuid4().hex[:6]}"
    subprocess.run(["docker", "tag", broken_apt_base, f"airfleet/redis:{tag}"], check=True)
    before = image_id(f"airfleet/redis:{tag}")
    stopped = stopped_containers()
    try:
        result = lib("stage_build_context && build_image redis", AIRFLEET_IMAGE_TAG=tag, BASE_IMAGE=broken_apt_base,
                     **environ)
        assert result.returncode == 1
        assert "E: the package mirror is unreachable (test)" in result.stderr
        assert "building airfleet/redis failed" in result.stderr.strip().splitlines()[-1]
        assert "Traceback" not in result.stderr
        assert image_id(f"airfleet/redis:{tag}") == before
        assert stopped_containers() == stopped, "the failed step's container was left behind"
    finally:
        subprocess.run(["docker", "rmi", f"airfleet/redis:{tag}"], capture_output=True)
