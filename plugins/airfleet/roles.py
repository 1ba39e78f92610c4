"""The Airflow roles a machine can run, in one list: health checks, node environments and the
shell's role table (bin/lib.sh ROLES) and the image's entrypoint name the same ones; a unit test
keeps the shell copies, which cannot import Python, in step with this one."""

from __future__ import annotations

ROLES = ("api-server", "scheduler", "dag-processor", "triggerer", "worker", "flower")
# Airflow 2 called the api-server's predecessor "webserver"; scripts written for it keep working.
ALIASES = {"webserver": "api-server"}


def canonical(role: str) -> str:
    """The role's own name (an alias resolved); unknown names are returned unchanged for the caller to refuse."""
    return ALIASES.get(role, role)
