"""Docker images the integration tests need, built here when missing (no registry is needed)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
BASE_IMAGE = os.environ.get("BASE_IMAGE", "debian:bookworm-slim")


def docker_or_skip() -> None:
    if shutil.which("docker") is None or subprocess.run(["docker", "info"], capture_output=True).returncode:
        pytest.skip("no Docker daemon reachable: these tests run real databases in containers")


def _exists(image: str) -> bool:
    return subprocess.run(["docker", "image", "inspect", image], capture_output=True).returncode == 0


def _run(command: list[str], what: str) -> None:
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if result.returncode:
        raise RuntimeError(f"{what} failed ({' '.join(command)}):\n{result.stdout[-3000:]}{result.stderr[-3000:]}")


def ensure_base_image() -> None:
    """The base every image derives from: present, pulled, or bootstrapped from Debian packages, by
    bin/lib.sh's ensure_base_image, the one bin/up uses (it reads the same BASE_IMAGE)."""
    _run(["bash", "-c", "source bin/lib.sh && ensure_base_image"], f"preparing the base image {BASE_IMAGE}")


def ensure_image(tag: str, dockerfile: Path, context: Path) -> str:
    """Build `tag` from `dockerfile` (on BASE_IMAGE) unless it exists; returns the tag."""
    if not _exists(tag):
        ensure_base_image()
        _run(["docker", "build", "-q", "-f", str(dockerfile), "-t", tag, "--build-arg", f"BASE_IMAGE={BASE_IMAGE}",
              str(context)], f"building {tag}")
    return tag


def mysql_image() -> str:
    return ensure_image("airfleet/mysql:local", ROOT / "docker" / "mysql" / "Dockerfile", ROOT)


def postgres_image() -> str:
    return ensure_image("airfleet/postgresql:local", ROOT / "docker" / "postgresql" / "Dockerfile", ROOT)
