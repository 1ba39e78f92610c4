"""Every `airfleet` subcommand and `python -m airfleet.*` entry point, given bad arguments or bad
input, ends with one line naming the problem and exit 1 or 2, never a traceback.

Each case runs in its own process, as a user or a container health check would. Commands that need
a database get a URL that does not parse or a server that does not answer (port 9 on loopback).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from airfleet.cli import Command, commands, main

ROOT = Path(__file__).parents[2]
UNREACHABLE_MYSQL = "mysql+mysqldb://airflow:secret@127.0.0.1:9/airflow"
UNREACHABLE_POSTGRES = "postgresql+psycopg2://airflow:secret@127.0.0.1:9/airflow"
MISSING = "/nonexistent/airfleet"

# (module, arguments, extra environment, exit code)
CASES = [
    ("airfleet", [], {}, 2),
    ("airfleet", ["no-such-command"], {}, 2),
    ("airfleet", ["init", "--env-file", str(ROOT)], {}, 1),  # a directory, not a file
    ("airfleet", ["init", "--no-such-option"], {}, 2),
    ("airfleet", ["env", "--env-file", MISSING], {}, 1),
    ("airfleet", ["version", "extra"], {}, 2),
    ("airfleet", ["doctor", "--no-such-option"], {}, 2),
    ("airfleet", ["deploy", "--timeout", "soon"], {}, 2),
    ("airfleet", ["deploy", "--timeout", "-1"], {}, 2),
    ("airfleet", ["deploy"], {}, 2),  # no URL, login or commit
    ("airfleet", ["deploy", "--api-url", "http://127.0.0.1:9", "--api-user", "a", "--sha", "abc", "--timeout", "1"],
     {"AIRFLEET_API_PASSWORD": "x"}, 1),
    ("airfleet", ["audit", "--dir", MISSING], {}, 1),
    ("airfleet", ["audit", "--no-such-option"], {}, 2),
    ("airfleet", ["dags"], {}, 2),
    ("airfleet", ["dags", "check", MISSING], {}, 2),
    ("airfleet", ["dags", "purge"], {}, 2),
    ("airfleet", ["dags", "purge", "some_dag", "--dry-run", "--sql"], {}, 2),
    ("airfleet", ["dags", "purge", "some_dag", "--batch-size", "many"], {}, 2),
    ("airfleet", ["dags", "purge", "some_dag", "--conn", "not-a-url"], {}, 1),
    ("airfleet", ["dags", "purge", "some_dag", "--yes", "--conn", UNREACHABLE_MYSQL], {}, 1),
    ("airfleet", ["factory"], {}, 2),
    ("airfleet", ["factory", "init", "--db-url", "not-a-url"], {}, 1),
    ("airfleet", ["factory", "list", "--db-url", UNREACHABLE_POSTGRES], {}, 1),
    ("airfleet", ["factory", "list", "nothing"], {}, 2),
    ("airfleet", ["factory", "add", f"{MISSING}.yaml", "--db-url", "not-a-url"], {}, 1),
    ("airfleet", ["factory", "add", str(ROOT / "dags"), "--db-url", "not-a-url"], {}, 1),  # not readable as a file
    ("airfleet", ["factory", "enable", "job", "1", "--db-url", UNREACHABLE_MYSQL], {}, 1),
    ("airfleet", ["factory", "disable", "pipeline", "1"], {}, 2),
    ("airfleet", ["factory", "validate", MISSING], {}, 1),
    ("airfleet", ["factory", "validate", "--db", "--db-url", "not-a-url", str(ROOT / "dags" / "factory")], {}, 1),
    ("airfleet.health", ["no-such-role"], {}, 2),
    ("airfleet.health", ["wait-db", "--timeout", "0"], {}, 2),
    ("airfleet.health", ["broker"], {}, 1),  # AIRFLOW__CELERY__BROKER_URL unset
    ("airfleet.bundles", ["extra"], {}, 2),
    ("airfleet.bundles", [], {"AIRFLEET_DAGS_GIT_URL": "https://git.example/dags.git",
                              "AIRFLEET_DAGS_GIT_REFRESH": "often"}, 1),
    ("airfleet.nodeenv", ["no-such-role"], {}, 2),
    ("airfleet.nodeenv", [], {}, 2),
    ("airfleet.ui.zones", [], {"AIRFLOW_UI_TIMEZONE": "Mars/Olympus_Mons"}, 1),
    ("airfleet.ui.zones", ["extra"], {}, 2),
]


def _environment(tmp_path: Path, extra: dict[str, str]) -> dict[str, str]:
    """This checkout's package, no cluster settings of the caller's, Airflow's files in a tmp folder."""
    keep = {name: value for name, value in os.environ.items()
            if not name.startswith(("AIRFLEET_", "AIRFLOW_", "AIRFLOW__")) and name != "PYTHONPATH"}
    return {**keep, "PYTHONPATH": f"{ROOT / 'plugins'}{os.pathsep}{ROOT}", "AIRFLOW_HOME": str(tmp_path), **extra}


@pytest.mark.parametrize(("module", "argv", "env", "code"), CASES,
                         ids=[" ".join([module, *argv]) for module, argv, _, _ in CASES])
def test_a_user_error_is_one_line_and_an_exit_code(tmp_path, module, argv, env, code):
    result = subprocess.run([sys.executable, "-m", module, *argv], env=_environment(tmp_path, env), cwd=tmp_path,
                            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
    lines = result.stderr.strip().splitlines()
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == code, result.stderr
    assert 1 <= len(lines) <= 2, result.stderr  # the problem, and at most one line of what to do
    assert lines[0].startswith(("airfleet", "python -m airfleet")), result.stderr


def _every_command(commands: tuple[Command, ...], prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    for command in commands:
        yield (*prefix, command.name)
        yield from _every_command(command.subcommands, (*prefix, command.name))


def test_every_command_has_help(capsys):
    for path in _every_command(commands()):
        with pytest.raises(SystemExit) as exit_:
            main([*path, "--help"])
        assert exit_.value.code == 0, path
        assert capsys.readouterr().out.startswith("usage: airfleet"), path
