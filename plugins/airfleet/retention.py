"""Log retention on every host that keeps task logs: Airflow itself never deletes them.

Every Airflow role sweeps its `[logging] base_log_folder` (task logs, its own logs, the task audit
files) once an interval: files older than AIRFLEET_LOG_RETENTION_DAYS go, then, when
AIRFLEET_LOG_RETENTION_MB is set, the oldest files until the folder fits. A file written within the
last day is never removed (a running task's log is being written), so the cap may be exceeded
rather than cut into live logs. Roles on one shared volume sweep the same files: removal is
idempotent. `python -m airfleet.retention --once` sweeps now and reports.

With `--db` (the scheduler's sweeper) it also removes metadata older than AIRFLEET_DB_RETENTION_DAYS
once a day with `airflow db clean`, in batches, without archive tables; Airflow keeps each DAG's
latest run.

The first sweep waits START_DELAY: a role's start is the busiest minute of its life, and the roles
of a host start together on one log volume (scanning it six times over, and `airflow db clean`
competing with the scheduler's own start, slowed `bin/up`).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from airfleet.errors import AirfleetError

DAY = 86400.0
DEFAULT_DAYS = 30
DEFAULT_DB_DAYS = 90
INTERVAL = 3600.0
START_DELAY = 600.0
DB_EVERY = 24  # sweeps between two `airflow db clean` runs


@dataclass(frozen=True)
class Policy:
    max_age_days: float | None  # None: no age limit
    max_bytes: int | None  # None: no size cap
    keep_recent: float = DAY  # files modified this recently are never removed


@dataclass
class Report:
    removed: int = 0
    freed: int = 0
    kept_bytes: int = 0


def _positive(env: Mapping[str, str], name: str, default: int | None) -> int | None:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if raw == "off":
        return None
    if not raw.isdigit() or int(raw) == 0:
        raise AirfleetError(f"{name}={raw!r} is not a whole number above 0; set a number of "
                            f"{'days' if 'DAYS' in name else 'megabytes'}, or 'off' to keep everything")
    return int(raw)


def policy_from(env: Mapping[str, str]) -> Policy:
    megabytes = _positive(env, "AIRFLEET_LOG_RETENTION_MB", None)
    return Policy(_positive(env, "AIRFLEET_LOG_RETENTION_DAYS", DEFAULT_DAYS),
                  megabytes * 1024 * 1024 if megabytes else None)


def db_clean_command(days: int, now: float | None = None, batch_size: int = 1000) -> list[str]:
    before = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime((time.time() if now is None else now) - days * DAY))
    return [sys.executable, "-m", "airflow", "db", "clean", "--clean-before-timestamp", before,
            "--batch-size", str(batch_size), "--skip-archive", "--yes"]


def clean_db(days: int | None) -> None:
    if days is None:
        return
    command = db_clean_command(days)
    result = subprocess.run(command, capture_output=True, text=True)
    last = (result.stderr or result.stdout).strip().splitlines()[-1:] or [""]
    verdict = "done" if result.returncode == 0 else f"failed ({result.returncode}): {last[0]}"
    print(f"airfleet: metadata retention ({days} days): {verdict}", file=sys.stderr, flush=True)


def sweep(root: Path, policy: Policy, now: float | None = None) -> Report:
    now = time.time() if now is None else now
    report = Report()
    files: list[tuple[float, int, Path]] = []
    for path in root.rglob("*"):
        try:
            info = path.lstat()
        except FileNotFoundError:  # another role's sweep got there first
            continue
        if path.is_file() and not path.is_symlink():
            files.append((info.st_mtime, info.st_size, path))
    files.sort()
    total = sum(size for _, size, _ in files)
    for mtime, size, path in files:  # oldest first
        if now - mtime < policy.keep_recent:
            break
        too_old = policy.max_age_days is not None and now - mtime > policy.max_age_days * DAY
        too_big = policy.max_bytes is not None and total > policy.max_bytes
        if not (too_old or too_big):
            continue
        path.unlink(missing_ok=True)
        report.removed, report.freed, total = report.removed + 1, report.freed + size, total - size
    _remove_empty_dirs(root, now - policy.keep_recent)
    report.kept_bytes = total
    return report


def _remove_empty_dirs(root: Path, older_than: float) -> None:
    for folder in sorted((p for p in root.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True):
        try:
            if folder.stat().st_mtime < older_than and not any(folder.iterdir()):
                folder.rmdir()
        except OSError:  # not empty after all, or already gone
            continue


def log_folder(env: Mapping[str, str]) -> Path:
    """[logging] base_log_folder without importing Airflow (this runs beside every role, kept small)."""
    folder = env.get("AIRFLOW__LOGGING__BASE_LOG_FOLDER")
    return Path(folder) if folder else Path(env.get("AIRFLOW_HOME", "~/airflow")).expanduser() / "logs"


def run(args: argparse.Namespace) -> int:
    policy = policy_from(os.environ)
    db_days = _positive(os.environ, "AIRFLEET_DB_RETENTION_DAYS", DEFAULT_DB_DAYS)
    if args.check:
        return 0
    root = args.folder or log_folder(os.environ)
    sweeps = 0
    if not args.once:
        time.sleep(START_DELAY)
    while True:
        if args.db and sweeps % DB_EVERY == 0 and not args.once:
            clean_db(db_days)
        sweeps += 1
        report = sweep(root, policy)
        if report.removed or args.once:
            print(f"airfleet: log retention on {root}: removed {report.removed} file(s), {report.freed // 1024} KiB; "
                  f"{report.kept_bytes // 1024} KiB kept", file=sys.stderr, flush=True)
        if args.once:
            return 0
        time.sleep(INTERVAL)


def main(argv: list[str] | None = None) -> int:
    from airfleet.cli import arg, run_module

    return run_module("python -m airfleet.retention", __doc__.split("\n\n")[0], run, argv,
                      arg("--once", action="store_true", help="sweep now, report, and exit"),
                      arg("--check", action="store_true", help="only check the settings"),
                      arg("--db", action="store_true", help="also clean old metadata once a day (airflow db clean)"),
                      arg("--folder", type=Path, help="the log folder (default: [logging] base_log_folder)"))


if __name__ == "__main__":
    sys.exit(main())
