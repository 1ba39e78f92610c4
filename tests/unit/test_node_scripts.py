"""sbin/200.sh and 503.sh on a bad command line: one line naming what is wrong and where the usage
is, exit 2, before anything touches Docker; --help prints the usage."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]

CASES = [
    ("sbin/200.sh", ["database"], "unknown role 'database'"),
    ("sbin/503.sh", ["database"], "unknown role 'database'"),
    ("sbin/200.sh", ["worker", "--concurrency", "x"], "--concurrency 'x' is not a number of task slots above 0"),
    ("sbin/200.sh", ["worker", "--concurrency", "0"], "--concurrency '0' is not a number of task slots above 0"),
    ("sbin/200.sh", ["worker", "--timeout", "soon"], "--timeout 'soon' is not a whole number of seconds"),
    ("sbin/200.sh", ["worker", "--name", "Etl_1"], "--name 'Etl_1' must be lower-case letters, digits and '-'"),
    ("sbin/200.sh", ["worker", "--queue", "etl"], "unknown option '--queue'"),
    ("sbin/200.sh", ["worker", "--env-file"], "--env-file needs a value"),
    ("sbin/200.sh", ["scheduler", "--queues", "etl"], "are for the worker role"),
    ("sbin/503.sh", ["worker", "--drain-timeout", "-1"], "--drain-timeout '-1' is not a whole number of seconds"),
    ("sbin/503.sh", ["scheduler", "--name", "etl1"], "--name is for the worker role"),
    ("sbin/503.sh", ["worker", "--name"], "--name needs a value"),
]


@pytest.mark.parametrize("script, args, message", CASES)
def test_a_bad_command_line_is_one_line_naming_the_problem(script, args, message):
    result = subprocess.run([str(ROOT / script), *args], capture_output=True, text=True, cwd=ROOT,
                            env={"PATH": "/usr/bin:/bin"})  # no docker needed to refuse it
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and f"see {ROOT / script} --help" in lines[0], lines


@pytest.mark.parametrize("script", ["sbin/200.sh", "sbin/503.sh"])
def test_help_prints_the_roles(script):
    result = subprocess.run([str(ROOT / script), "--help"], capture_output=True, text=True)
    assert result.returncode == 2 and "usage:" in result.stderr and "api-server (alias webserver)" in result.stderr
