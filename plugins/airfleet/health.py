"""Cheap health checks for each role, used by container health checks and start-up waits.

`python -m airfleet.health ROLE` exits 0 when the role in this container is healthy. It avoids the
`airflow` CLI (seconds of CPU per call, every interval, on every container) and imports only the
driver each check needs.
"""

from __future__ import annotations

import argparse
import base64
import os
import socket
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from airfleet import roles
from airfleet.errors import AirfleetError
from airfleet.hostname import get_hostname

if TYPE_CHECKING:
    import sqlalchemy

# How stale a job heartbeat may be before the role counts as dead (Airflow's own default is 30 s).
HEARTBEAT_THRESHOLD_S = float(os.environ.get("AIRFLEET_HEARTBEAT_THRESHOLD", "60"))
JOB_TYPES = {"dag-processor": "DagProcessorJob", "triggerer": "TriggererJob", "scheduler": "SchedulerJob"}


class Unhealthy(AirfleetError):
    pass


def setting(name: str) -> str:
    """The variable's value; Unhealthy naming it when it is unset (a role cannot work without it)."""
    value = os.environ.get(name)
    if not value:
        raise Unhealthy(f"{name} is not set")
    return value


def http_ok(url: str, basic_auth: str | None = None, timeout: float = 5) -> None:
    request = urllib.request.Request(url)
    if basic_auth:
        request.add_header("Authorization", "Basic " + base64.b64encode(basic_auth.encode()).decode())
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            if response.status != 200:
                raise Unhealthy(f"{url} answered {response.status}")
    except (urllib.error.URLError, OSError) as exc:
        raise Unhealthy(f"{url}: {exc}") from exc


def db_engine() -> sqlalchemy.engine.Engine:
    """The metadata database, without a pool: a health check connects once and exits."""
    import sqlalchemy

    return sqlalchemy.create_engine(setting("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"), poolclass=sqlalchemy.pool.NullPool)


class Refused(AirfleetError):
    """The service answers but refuses our password: waiting longer cannot help."""


MYSQL_ACCESS_DENIED = 1045


def db_reachable() -> None:
    import sqlalchemy

    try:
        with db_engine().connect() as conn:
            conn.execute(sqlalchemy.text("SELECT 1"))
    except sqlalchemy.exc.SQLAlchemyError as exc:
        if (getattr(getattr(exc, "orig", None), "args", None) or [None])[0] == MYSQL_ACCESS_DENIED:
            raise Refused("the metadata database refused the password: MYSQL_PASSWORD is not the one its volume "
                          "was created with; restore it in the env file (from .env.backup-* or your backup)") from None
        raise Unhealthy(f"metadata database: {exc.__class__.__name__}: {str(exc).splitlines()[0]}") from exc


def broker_reachable() -> None:
    import redis

    try:
        redis.Redis.from_url(setting("AIRFLOW__CELERY__BROKER_URL"), socket_timeout=5).ping()
    except redis.AuthenticationError:
        raise Refused("the broker refused the password: set REDIS_PASSWORD to the cluster's in the env file") from None
    except redis.RedisError as exc:
        raise Unhealthy(f"broker: {exc}") from exc


def job_heartbeat(role: str) -> None:
    """The newest running job of this role on this host has heartbeated recently."""
    import sqlalchemy

    query = sqlalchemy.text(
        "SELECT MAX(latest_heartbeat) FROM job WHERE job_type = :type AND hostname = :host AND state = 'running'"
    )
    with db_engine().connect() as conn:
        beat = conn.execute(query, {"type": JOB_TYPES[role], "host": get_hostname()}).scalar()
    if beat is None:
        raise Unhealthy(f"no running {JOB_TYPES[role]} for host {get_hostname()}")
    if beat.tzinfo is None:
        beat = beat.replace(tzinfo=UTC)
    age = (datetime.now(UTC) - beat).total_seconds()
    if age > HEARTBEAT_THRESHOLD_S:
        raise Unhealthy(f"{JOB_TYPES[role]} last heartbeat {age:.0f}s ago")


def worker_answers_ping() -> None:
    from celery import Celery

    node = os.environ.get("AIRFLEET_CELERY_NODE") or f"celery@{socket.gethostname()}"
    app = Celery(broker=setting("AIRFLOW__CELERY__BROKER_URL"))
    replies = app.control.ping(destination=[node], timeout=5)
    if not any(node in reply for reply in replies):
        raise Unhealthy(f"celery worker {node} did not answer ping")


_ROLE_CHECKS: dict[str, Callable[[], None]] = {
    "api-server": lambda: http_ok("http://localhost:8080/api/v2/monitor/health"),
    "scheduler": lambda: http_ok("http://localhost:8974/health"),
    "dag-processor": lambda: job_heartbeat("dag-processor"),
    "triggerer": lambda: job_heartbeat("triggerer"),
    "worker": worker_answers_ping,
    "flower": lambda: http_ok("http://localhost:5555/healthcheck",
                              os.environ.get("AIRFLOW__CELERY__FLOWER_BASIC_AUTH")),
}
# One check per role of airfleet.roles (a role without one fails here, at import), then the services.
CHECKS: dict[str, Callable[[], None]] = {
    **{role: _ROLE_CHECKS[role] for role in roles.ROLES}, "db": db_reachable, "broker": broker_reachable,
}


def wait(check: Callable[[], None], what: str, timeout_s: float, interval_s: float = 2) -> None:
    """Retry `check` until it passes; on giving up, raise with the last error so it is printed."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            check()
            return
        except Unhealthy as exc:
            if time.monotonic() >= deadline:
                raise Unhealthy(f"{what} not ready after {timeout_s:.0f}s; last error: {exc}") from exc
            time.sleep(interval_s)


def run(args: argparse.Namespace) -> int:
    if args.check.startswith("wait-"):
        target = args.check.removeprefix("wait-")
        wait(CHECKS[target], target, args.timeout)
    else:
        CHECKS[args.check]()
    return 0


def main(argv: list[str] | None = None) -> int:
    from airfleet.cli import arg, positive_float, run_module

    return run_module("python -m airfleet.health",
                      "exit 0 when the role is healthy; wait-NAME retries the check until it passes or times out",
                      run, argv,
                      arg("check", choices=[*CHECKS, *(f"wait-{name}" for name in CHECKS)]),
                      arg("--timeout", type=positive_float, default=os.environ.get("AIRFLEET_WAIT_TIMEOUT", "120"),
                          help="seconds a wait-NAME check retries (default: $AIRFLEET_WAIT_TIMEOUT, else 120)"))


if __name__ == "__main__":
    sys.exit(main())
