"""Containers the integration tests need, started from the project's own images with testcontainers.

testcontainers' reaper (Ryuk) runs from an image that cannot be pulled here, so it is off
(TESTCONTAINERS_RYUK_DISABLED) and every fixture stops what it starts (`DockerContainer.stop`
removes the container and its volumes).
"""

from __future__ import annotations

import os
import uuid

from testcontainers.core.container import DockerContainer

# Read by testcontainers when it starts its first container, not at import.
os.environ.setdefault("TESTCONTAINERS_RYUK_DISABLED", "true")


def start(image: str, what: str, port: int, env: dict[str, str],
          args: list[str] | None = None) -> tuple[DockerContainer, str]:
    """Run `image` (container `airfleet-test-WHAT-<random>`) with `port` published on a free host port;
    returns the container and the host:port to reach it at."""
    container = DockerContainer(image, env=env, name=f"airfleet-test-{what}-{uuid.uuid4().hex[:6]}")
    container.with_exposed_ports(port)
    if args:  # else the image's own command
        container.with_command(args)
    try:
        container.start()
        # Loopback, not testcontainers' "localhost": the MySQL client takes localhost for its socket.
        return container, f"127.0.0.1:{container.get_exposed_port(port)}"
    except BaseException:
        container.stop()
        raise
