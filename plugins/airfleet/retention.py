"""Log retention on every host that keeps task logs: Airflow itself never deletes them.

Every Airflow role sweeps its `[logging] base_log_folder` (task logs, its own logs, the task audit
files) once an interval: files older than AIRFLEET_LOG_RETENTION_DAYS go, then, when
AIRFLEET_LOG_RETENTION_MB is set, the oldest files until the folder fits. A file written within the
last day is never removed (a running task's log is being written), so the cap may be exceeded
rather than cut into live logs. Roles on one shared volume sweep the same files: removal is
idempotent. `python -m airfleet.retention --once` sweeps now and reports.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from airfleet.errors import AirfleetError

DAY = 86400.0
DEFAULT_DAYS = 30
INTERVAL = 3600.0


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m airfleet.retention", description=__doc__.split("\n\n")[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--once", action="store_true", help="sweep now, report, and exit")
    mode.add_argument("--check", action="store_true", help="only check the settings")
    parser.add_argument("--folder", type=Path, help="the log folder (default: [logging] base_log_folder)")
    args = parser.parse_args(argv)
    try:
        policy = policy_from(os.environ)
    except AirfleetError as error:
        print(f"airfleet: {error}", file=sys.stderr)
        return 1
    if args.check:
        return 0
    root = args.folder or log_folder(os.environ)
    while True:
        report = sweep(root, policy)
        if report.removed or args.once:
            print(f"airfleet: log retention on {root}: removed {report.removed} file(s), {report.freed // 1024} KiB; "
                  f"{report.kept_bytes // 1024} KiB kept", file=sys.stderr, flush=True)
        if args.once:
            return 0
        time.sleep(INTERVAL)


if __name__ == "__main__":
    sys.exit(main())
