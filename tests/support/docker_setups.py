"""The Docker set-ups the suite runs, as environment variables for bin/up, bin/lib.sh and docker.

bin/test gives the suite Compose v2 and BuildKit (the buildx plugin), from Debian's packages in a
private DOCKER_CONFIG unless this host has them: the set-up most users have, and the one the shared
end-to-end cluster comes up with. Tests of Compose v1 and the legacy builder choose those here.
"""

from __future__ import annotations

import os

import pytest

PLUGINS = os.environ.get("AIRFLEET_TEST_DOCKER_PLUGINS", "")

# Compose v1 (`docker-compose`) with the legacy builder; and with BuildKit (images built once).
V1_LEGACY = {"AIRFLEET_COMPOSE": "docker-compose", "DOCKER_BUILDKIT": "0"}
V1_BUILDKIT = {"AIRFLEET_COMPOSE": "docker-compose"}
V2_BUILDKIT = {"AIRFLEET_COMPOSE": "docker compose", "DOCKER_BUILDKIT": "1"}


def require_v2() -> None:
    if not PLUGINS:
        pytest.skip("no Compose v2 / buildx plugins (bin/test fetches them from Debian's packages; that failed)")
