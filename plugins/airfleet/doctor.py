"""`airfleet doctor`: check that this node and the cluster it can reach agree, in plain words.

Run it in any Airflow container or on any node (`docker exec airfleet-worker airfleet doctor`,
`docker compose exec api-server airfleet doctor`). Exit status 1 when anything is wrong, each
problem with its fix. Secrets are compared by hash and never printed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import socket
import subprocess
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from airfleet import health, versions
from airfleet.hostname import get_hostname

SECRETS = {
    "AIRFLOW__CORE__FERNET_KEY": ("core", "fernet_key"),
    "AIRFLOW__API__SECRET_KEY": ("api", "secret_key"),
    "AIRFLOW__API_AUTH__JWT_SECRET": ("api_auth", "jwt_secret"),
}
WORKER_LOG_PORT = 8793
MAX_CLOCK_SKEW_S = 2.0
RECENT = timedelta(hours=24)


@dataclass
class Finding:
    check: str
    ok: bool
    detail: str
    fix: str = ""

    def line(self) -> str:
        text = f"[{'ok' if self.ok else 'PROBLEM'}] {self.check}: {self.detail}"
        return text if self.ok or not self.fix else f"{text}\n      fix: {self.fix}"


def fingerprint(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:12]


def _conf():
    from airflow.configuration import conf

    return conf


def check_secrets_set() -> Iterator[Finding]:
    conf = _conf()
    for env_name, (section, key) in SECRETS.items():
        value = conf.get(section, key, fallback="")
        if value:
            yield Finding(f"[{section}] {key}", True, f"set (sha256 {fingerprint(value)})")
        else:
            yield Finding(f"[{section}] {key}", False, "not set on this node",
                          f"set {env_name} from the cluster's .env (the same value on every node)")


def check_local_containers() -> Iterator[Finding]:
    """Where Docker is reachable, compare the secrets of every Airfleet container on this machine."""
    try:
        ids = subprocess.run(["docker", "ps", "-q", "--filter", "ancestor=airfleet/airflow"], capture_output=True,
                             text=True, timeout=20, check=True).stdout.split()
        ids += subprocess.run(["docker", "ps", "-q", "--filter", "name=airfleet-"], capture_output=True,
                              text=True, timeout=20, check=True).stdout.split()
        if not ids:
            return
        inspected = json.loads(subprocess.run(["docker", "inspect", *sorted(set(ids))], capture_output=True,
                                              text=True, timeout=20, check=True).stdout)
    except (OSError, subprocess.SubprocessError, ValueError):
        return  # no Docker here (inside a container): the network checks below still run
    for env_name in SECRETS:
        by_hash: dict[str, list[str]] = {}
        for container in inspected:
            env = dict(item.split("=", 1) for item in container["Config"]["Env"] if "=" in item)
            if env_name in env:
                by_hash.setdefault(fingerprint(env[env_name]), []).append(container["Name"].lstrip("/"))
        if len(by_hash) > 1:
            groups = "; ".join(f"{h}: {', '.join(sorted(names))}" for h, names in by_hash.items())
            yield Finding(f"{env_name} across containers", False, f"differs ({groups})",
                          "give every container the value from the cluster's .env and restart the odd ones")
        elif by_hash:
            (names,) = by_hash.values()
            yield Finding(f"{env_name} across containers", True, f"identical in {len(names)} containers")


def check_services() -> Iterator[Finding]:
    for name, check, fix in (
        ("metadata database", health.db_reachable,
         "check AIRFLOW__DATABASE__SQL_ALCHEMY_CONN and that the DB host is reachable"),
        ("broker", health.broker_reachable, "check AIRFLOW__CELERY__BROKER_URL and that Redis is reachable"),
    ):
        try:
            check()
            yield Finding(name, True, "reachable")
        except health.Unhealthy as exc:
            yield Finding(name, False, str(exc), fix)


def _db_now(conn) -> datetime:
    import sqlalchemy

    query = "SELECT UTC_TIMESTAMP(6)" if conn.dialect.name == "mysql" else "SELECT now() AT TIME ZONE 'UTC'"
    return conn.execute(sqlalchemy.text(query)).scalar().replace(tzinfo=UTC)


def check_clock_and_workers() -> Iterator[Finding]:
    import sqlalchemy

    try:
        with health.db_engine().connect() as conn:
            before = datetime.now(UTC)
            db_now = _db_now(conn)
            after = datetime.now(UTC)
            rows = conn.execute(
                sqlalchemy.text("SELECT DISTINCT hostname, state FROM task_instance "
                                "WHERE hostname <> '' AND start_date > :since"),
                {"since": (db_now - RECENT).replace(tzinfo=None)},
            ).all()
    except sqlalchemy.exc.SQLAlchemyError as exc:
        yield Finding("clock and workers", False, f"cannot query the metadata database: {exc.__class__.__name__}",
                      "fix the database check above first")
        return
    skew = abs((db_now - (before + (after - before) / 2)).total_seconds())
    yield Finding("clock skew to the DB server", skew <= MAX_CLOCK_SKEW_S, f"{skew:.2f}s",
                  "run NTP (chrony or systemd-timesyncd) on every node: "
                  "log requests carry signed tokens valid for 30 s")
    running = {host for host, state in rows if state == "running"}
    for host in sorted({host for host, _ in rows}):
        yield probe_log_server(host, WORKER_LOG_PORT, busy=host in running)


def probe_log_server(host: str, port: int, busy: bool = True) -> Finding:
    """Ask a worker's log server for a file that does not exist, with a token signed by our
    [api] secret_key exactly as the api-server does: 404 means the worker accepts our signature,
    403 means its secret_key differs."""
    from airflow.utils.log.file_task_handler import _fetch_logs_from_service

    name = f"worker log server {host}:{port}"
    # A worker that runs nothing now may simply have been removed: unreachable is then a note.
    gone = "" if busy else " (it runs no task now: if that worker was removed, ignore this)"
    try:
        socket.getaddrinfo(host, port)
    except OSError:
        return Finding(name, not busy, f"hostname {host!r} does not resolve here{gone}",
                       "set AIRFLOW_HOST_NAME on that worker to a name or address the api-server can resolve")
    probe = f"airfleet-doctor/{uuid.uuid4().hex}.log"
    try:
        status = _fetch_logs_from_service(f"http://{host}:{port}/log/{probe}", probe).status_code
    except OSError as exc:
        return Finding(name, not busy, f"does not answer ({exc.__class__.__name__}){gone}",
                       f"open port {port} on that worker to the api-server, "
                       "or set AIRFLOW_HOST_NAME to a reachable address")
    if status == 403:
        return Finding(name, False, "rejects our signed request (403): its [api] secret_key differs",
                       "give that worker AIRFLOW__API__SECRET_KEY from the cluster's .env and restart it")
    return Finding(name, status == 404, f"answers and accepts our signature (HTTP {status})")


def check_versions() -> Iterator[Finding]:
    installed = versions.installed_versions()
    broken = versions.broken_combinations(installed)
    yield Finding("installed packages", not broken, "; ".join(broken) or
                  f"airflow {installed.get('apache-airflow')}, celery {installed.get('celery')}, "
                  f"providers-celery {installed.get('apache-airflow-providers-celery')}",
                  "rebuild the image from requirements/constraints.txt")
    try:
        from celery import Celery

        reports = Celery(broker=health.setting("AIRFLOW__CELERY__BROKER_URL")).control.inspect(timeout=5).report() or {}
    except Exception as exc:  # the broker check above already explains an unreachable broker
        yield Finding("worker versions", False, f"cannot ask the workers: {exc}", "fix the broker check first")
        return
    mine = installed.get("celery", "?")
    odd = sorted(node for node, r in reports.items() if f"celery:{mine} " not in r.get("ok", "") + " ")
    agreement = f"Celery differs from {mine} on: {', '.join(odd)}" if odd else f"all on Celery {mine}"
    yield Finding("worker versions", not odd, f"{len(reports)} worker(s) answered; {agreement}",
                  "run the same airflow image on every node")


CHECKS: tuple[Callable[[], Iterator[Finding]], ...] = (
    check_secrets_set, check_local_containers, check_services, check_clock_and_workers, check_versions,
)


def findings() -> list[Finding]:
    return [finding for check in CHECKS for finding in check()]


def run(args: argparse.Namespace) -> int:
    print(f"airfleet doctor on {get_hostname()}")
    found = findings()
    for finding in found:
        print(finding.line())
    problems = sum(not f.ok for f in found)
    print(f"{problems} problem(s)" if problems else "all checks passed")
    return 1 if problems else 0

