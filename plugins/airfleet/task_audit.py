"""Task audit log: one JSON line per task start and end, queried with `airfleet audit`.

Where: `{base_log_folder}/airfleet-audit/tasks-YYYY-MM-DD.jsonl` (UTC day), i.e. on the logs volume
every role of the compose cluster mounts. Why a file and not a table: task code on a worker has
no database access in Airflow 3 (it talks to the Execution API), and the events happen there; the
listener also runs in the scheduler and the api-server, for failures they decide (a lost task
process, a task marked failed in the UI), and writes to the same place. Each record is one
`write()` of a short line to a file opened for appending, so processes on one host do not
interleave. A node started with sbin/200.sh keeps its own file on its own logs volume, as it keeps
its own task logs.

Records: `{"event": "start"|"end", "dag_id", "task_id", "run_id", "map_index", "try_number",
"state", "start_date", "end_date", "duration", "host", "pid", "error", "recorded_at"}`.

The listener is an Airflow plugin (entry point `airflow.plugins`). Airflow refuses DAGs with
`end_from_trigger=True` tasks while any listener is installed: set `AIRFLEET_TASK_AUDIT=off` on a
cluster that needs them.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pluggy
from airflow.plugins_manager import AirflowPlugin

from airfleet.errors import AirfleetError

DIRECTORY = "airfleet-audit"
ENABLED_ENV = "AIRFLEET_TASK_AUDIT"
MAX_ERROR_CHARS = 500

hookimpl = pluggy.HookimplMarker("airflow")


def enabled() -> bool:
    return os.environ.get(ENABLED_ENV, "on").strip().lower() not in ("off", "0", "false", "no")


def audit_dir() -> Path:
    from airflow.configuration import conf

    return Path(conf.get("logging", "base_log_folder")) / DIRECTORY


def _iso(value: Any) -> str | None:
    return value.isoformat() if isinstance(value, datetime) else (str(value) if value else None)


def _host(ti: Any) -> str:
    from airfleet.hostname import get_hostname

    return getattr(ti, "hostname", None) or get_hostname()


def record(event: str, ti: Any, state: str | None, error: Any = None, directory: Path | None = None) -> dict[str, Any]:
    """Append one record for task instance `ti`; returns it."""
    now = datetime.now(UTC)
    start = getattr(ti, "start_date", None)
    end = (getattr(ti, "end_date", None) or now) if event == "end" else None
    entry = {
        "event": event, "dag_id": ti.dag_id, "task_id": ti.task_id, "run_id": ti.run_id,
        "map_index": getattr(ti, "map_index", -1), "try_number": getattr(ti, "try_number", None),
        "state": state, "start_date": _iso(start), "end_date": _iso(end),
        "duration": round((end - start).total_seconds(), 3) if isinstance(start, datetime) and end else None,
        "host": _host(ti), "pid": os.getpid(),
        "error": str(error)[:MAX_ERROR_CHARS] if error else None, "recorded_at": now.isoformat(),
    }
    folder = directory or audit_dir()
    folder.mkdir(parents=True, exist_ok=True)
    line = (json.dumps(entry, default=str) + "\n").encode()
    fd = os.open(folder / f"tasks-{now:%Y-%m-%d}.jsonl", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o664)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)
    return entry


def _state(value: Any, fallback: str) -> str:
    return str(getattr(value, "value", value) or fallback)


class TaskAuditListener:
    """Airflow listener hooks (task SDK on workers; core in the scheduler and api-server)."""

    @hookimpl
    def on_task_instance_running(self, previous_state: Any, task_instance: Any) -> None:
        record("start", task_instance, "running")

    @hookimpl
    def on_task_instance_success(self, previous_state: Any, task_instance: Any) -> None:
        record("end", task_instance, "success")

    @hookimpl
    def on_task_instance_failed(self, previous_state: Any, task_instance: Any, error: Any) -> None:
        # Called for a failure that will be retried too; the state tells which.
        record("end", task_instance, _state(getattr(task_instance, "state", None), "failed"), error)

    @hookimpl
    def on_task_instance_skipped(self, previous_state: Any, task_instance: Any) -> None:
        record("end", task_instance, "skipped")


class AirfleetAuditPlugin(AirflowPlugin):
    name = "airfleet_audit"
    listeners = [TaskAuditListener()] if enabled() else []


# ---- query side (`airfleet audit`) ----

@dataclass
class TaskTry:
    dag_id: str
    task_id: str
    run_id: str
    map_index: int
    try_number: int | None
    state: str = "running"
    start_date: str | None = None
    end_date: str | None = None
    duration: float | None = None
    host: str | None = None
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def read_records(directory: Path) -> Iterator[dict[str, Any]]:
    for path in sorted(directory.glob("tasks-*.jsonl")):
        with path.open() as lines:
            for line in lines:
                try:
                    yield json.loads(line)
                except ValueError:
                    continue  # a line cut by a full disk; the others still count


def tries(records: Iterable[dict[str, Any]], dag_id: str | None = None, run_id: str | None = None,
          task_id: str | None = None) -> list[TaskTry]:
    """One row per task try: its first start, its end (the last one recorded), duration, state and host."""
    found: dict[tuple[Any, ...], TaskTry] = {}
    for entry in records:
        if (dag_id and entry["dag_id"] != dag_id) or (run_id and entry["run_id"] != run_id) or \
                (task_id and entry["task_id"] != task_id):
            continue
        key = (entry["dag_id"], entry["task_id"], entry["run_id"], entry["map_index"], entry["try_number"])
        row = found.setdefault(key, TaskTry(*key))  # the key's order is TaskTry's first fields
        row.start_date = row.start_date or entry["start_date"]
        row.host = entry["host"] or row.host
        if entry["event"] == "end":
            row.state, row.end_date, row.duration = entry["state"], entry["end_date"], entry["duration"]
            row.error = entry["error"]
    return sorted(found.values(), key=lambda row: (row.start_date or "", row.dag_id, row.task_id))


def run(args: argparse.Namespace) -> int:
    folder = Path(args.dir) if args.dir else audit_dir()
    if not folder.is_dir():
        raise AirfleetError(f"no audit records in {folder} (no task has run here yet, or "
                            f"{ENABLED_ENV}=off); run this where the cluster's logs volume is mounted")
    rows = tries(read_records(folder), args.dag_id, args.run_id, args.task_id)
    if args.json:
        print(json.dumps([row.as_dict() for row in rows]))  # one line: easy to pick out of logs
        return 0
    columns = ("dag_id", "task_id", "run_id", "map_index", "try_number", "state", "start_date", "duration", "host")
    table = [columns] + [tuple("" if getattr(row, name) is None else str(getattr(row, name)) for name in columns)
                         for row in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(columns))]
    for line in table:
        print("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip())
    return 0
