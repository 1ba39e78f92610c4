"""Log retention: old files go, recent ones stay, a size cap removes the oldest first but never a
file written within the last day, and bad settings are one clear error."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from airfleet.errors import AirfleetError
from airfleet.retention import DAY, Policy, policy_from, sweep

NOW = time.time()


def make(root, relative: str, age_days: float, size: int = 100):
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * size)
    os.utime(path, (NOW - age_days * DAY, NOW - age_days * DAY))
    return path


def test_files_older_than_the_retention_go_and_newer_ones_stay(tmp_path):
    old = make(tmp_path, "dag_id=a/run_id=r1/task_id=t/attempt=1.log", 40)
    audit = make(tmp_path, "airfleet-audit/2026-10-01.jsonl", 31)
    recent = make(tmp_path, "dag_id=a/run_id=r2/task_id=t/attempt=1.log", 29)
    report = sweep(tmp_path, Policy(30, None), NOW)
    assert (report.removed, report.freed) == (2, 200)
    assert not old.exists() and not audit.exists() and recent.exists()


def test_folders_left_empty_go_once_they_are_old(tmp_path):
    empty = tmp_path / "dag_id=gone" / "run_id=r1"
    empty.mkdir(parents=True)
    os.utime(empty, (NOW - 2 * DAY, NOW - 2 * DAY))
    fresh = tmp_path / "dag_id=new"
    fresh.mkdir()
    sweep(tmp_path, Policy(30, None), NOW)
    assert not empty.exists() and fresh.exists()


def test_a_size_cap_removes_the_oldest_first_and_never_a_live_log(tmp_path):
    oldest = make(tmp_path, "a.log", 5, 1000)
    older = make(tmp_path, "b.log", 3, 1000)
    live = make(tmp_path, "c.log", 0.01, 5000)
    report = sweep(tmp_path, Policy(None, 5500), NOW)
    assert not oldest.exists() and not older.exists() and live.exists()
    assert report.kept_bytes == 5000, "over the cap rather than cutting into a log being written"


def test_a_second_sweep_finds_nothing(tmp_path):
    make(tmp_path, "x/old.log", 90)
    sweep(tmp_path, Policy(30, None), NOW)
    assert sweep(tmp_path, Policy(30, None), NOW).removed == 0


@pytest.mark.parametrize("raw", ["0", "-3", "abc", "1.5"])
def test_a_retention_that_is_no_positive_whole_number_is_refused(raw):
    with pytest.raises(AirfleetError, match="AIRFLEET_LOG_RETENTION_DAYS=.* is not a whole number above 0"):
        policy_from({"AIRFLEET_LOG_RETENTION_DAYS": raw})


def test_defaults_and_off():
    assert policy_from({}) == Policy(30, None)
    assert policy_from({"AIRFLEET_LOG_RETENTION_DAYS": "off", "AIRFLEET_LOG_RETENTION_MB": "10"}) == \
        Policy(None, 10 * 1024 * 1024)


def test_the_command_checks_its_settings_in_one_line(tmp_path):
    result = subprocess.run([sys.executable, "-m", "airfleet.retention", "--check"], capture_output=True, text=True,
                            env={**os.environ, "AIRFLEET_LOG_RETENTION_DAYS": "0"})
    assert result.returncode == 1 and result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    make(tmp_path, "old.log", 60)
    once = subprocess.run([sys.executable, "-m", "airfleet.retention", "--once", "--folder", str(tmp_path)],
                          capture_output=True, text=True)
    assert once.returncode == 0 and "removed 1 file(s)" in once.stderr
