"""The task audit log: listener records, one row per task try, and `airfleet audit`."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

from airfleet import task_audit
from airfleet.cli import main as cli

ROOT = Path(__file__).parents[2]

START = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def ti(task_id: str = "load", try_number: int = 1, state: str | None = None, **extra) -> SimpleNamespace:
    fields = dict(dag_id="sales", task_id=task_id, run_id="r1", map_index=-1, try_number=try_number,
                  start_date=START, end_date=START + timedelta(seconds=42.5), hostname="10.0.0.9", state=state)
    return SimpleNamespace(**{**fields, **extra})


def test_records_are_json_lines_with_start_end_duration_state_and_host(tmp_path):
    task_audit.record("start", ti(end_date=None), "running", directory=tmp_path)
    task_audit.record("end", ti(), "success", directory=tmp_path)
    (path,) = tmp_path.glob("tasks-*.jsonl")
    start, end = (json.loads(line) for line in path.read_text().splitlines())
    assert start["event"] == "start" and start["end_date"] is None and start["duration"] is None
    assert end == {**end, "event": "end", "state": "success", "start_date": START.isoformat(),
                   "end_date": (START + timedelta(seconds=42.5)).isoformat(), "duration": 42.5, "host": "10.0.0.9"}


def test_the_listener_records_each_outcome(tmp_path, monkeypatch):
    monkeypatch.setattr(task_audit, "audit_dir", lambda: tmp_path)
    listener = task_audit.TaskAuditListener()
    listener.on_task_instance_running(previous_state=None, task_instance=ti("a"))
    listener.on_task_instance_success(previous_state="running", task_instance=ti("a"))
    listener.on_task_instance_running(previous_state=None, task_instance=ti("b"))
    listener.on_task_instance_failed(previous_state="running", task_instance=ti("b", state="up_for_retry"),
                                     error=ValueError("bad row"))
    listener.on_task_instance_running(previous_state=None, task_instance=ti("b", 2))
    listener.on_task_instance_failed(previous_state="running", task_instance=ti("b", 2, state="failed"), error="x")
    listener.on_task_instance_skipped(previous_state=None, task_instance=ti("c"))
    rows = {(row.task_id, row.try_number): row for row in task_audit.tries(task_audit.read_records(tmp_path))}
    assert {key: row.state for key, row in rows.items()} == {
        ("a", 1): "success", ("b", 1): "up_for_retry", ("b", 2): "failed", ("c", 1): "skipped"}
    assert rows[("b", 1)].error == "bad row" and rows[("a", 1)].duration == 42.5 and rows[("a", 1)].host == "10.0.0.9"


def test_a_task_still_running_shows_as_running(tmp_path):
    task_audit.record("start", ti(end_date=None), "running", directory=tmp_path)
    (row,) = task_audit.tries(task_audit.read_records(tmp_path))
    assert row.state == "running" and row.end_date is None


def test_a_torn_line_does_not_hide_the_others(tmp_path):
    task_audit.record("end", ti(), "success", directory=tmp_path)
    with next(tmp_path.glob("tasks-*.jsonl")).open("a") as file:
        file.write('{"event": "st')
    assert len(task_audit.tries(task_audit.read_records(tmp_path))) == 1


def test_the_cli_filters_and_prints_a_table_or_json(tmp_path, capsys):
    task_audit.record("end", ti("load"), "success", directory=tmp_path)
    task_audit.record("end", SimpleNamespace(**{**ti("other").__dict__, "dag_id": "hr"}), "failed", directory=tmp_path)
    assert cli(["audit", "--dir", str(tmp_path), "--dag", "sales", "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["task_id"] == "load" and row["state"] == "success" and row["host"] == "10.0.0.9"
    assert cli(["audit", "--dir", str(tmp_path)]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == ["dag_id", "task_id", "run_id", "map_index", "try_number", "state", "start_date",
                                "duration", "host"] and len(table) == 3


def test_the_cli_says_where_it_looked_when_there_is_nothing(tmp_path, capsys):
    assert cli(["audit", "--dir", str(tmp_path / "missing")]) == 1
    assert "no audit records in" in capsys.readouterr().err


def test_the_plugin_registers_the_listener_unless_switched_off():
    code = "from airfleet.task_audit import AirfleetAuditPlugin as P; print(len(P.listeners))"
    for value, expected in (("on", "1"), ("off", "0")):
        out = subprocess.run([sys.executable, "-c", code], env={"AIRFLEET_TASK_AUDIT": value, "PATH": "/usr/bin",
                                                          "PYTHONPATH": str(ROOT / "plugins")},
                             capture_output=True, text=True, timeout=120, cwd="/")
        assert out.stdout.strip().splitlines()[-1] == expected, out.stderr[-2000:]
