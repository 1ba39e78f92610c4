"""Every `airfleet` subcommand and `python -m airfleet.*` entry point, given bad arguments or bad
input, refuses as tests.badinput.harness promises: exit 1 or 2, one line naming the problem (and
at most a hint line), no traceback, no secret, nothing changed.

Each case runs in its own process, as a user or a container health check would. Commands that need
a database get a URL that does not parse or a server that does not answer (port 9 on loopback).
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from airfleet.cli import Command, commands, main
from tests.badinput.harness import ROOT, SECRET, airfleet, assert_refused, environment, fingerprint, run

UNREACHABLE_MYSQL = f"mysql+mysqldb://airflow:{SECRET}@127.0.0.1:9/airflow"
UNREACHABLE_POSTGRES = f"postgresql://airflow:{SECRET}@127.0.0.1:9/airflow"
MISSING = "/nonexistent/airfleet"
FACTORY = str(ROOT / "dags" / "factory")

# (module, arguments, extra environment, exit code, what the first line says)
CASES = [
    ("airfleet", [], {}, 2, "the following arguments are required: COMMAND"),
    ("airfleet", ["no-such-command"], {}, 2, "invalid choice: 'no-such-command'"),
    ("airfleet", ["init", "--env-file", str(ROOT)], {}, 1, f"{ROOT}: Is a directory"),
    ("airfleet", ["init", "--no-such-option"], {}, 2, "unrecognized arguments: --no-such-option"),
    ("airfleet", ["env", "--env-file", MISSING], {}, 1, f"{MISSING} does not exist; run `airfleet init`"),
    ("airfleet", ["version", "extra"], {}, 2, "unrecognized arguments: extra"),
    ("airfleet", ["doctor", "--no-such-option"], {}, 2, "unrecognized arguments"),
    ("airfleet", ["deploy", "--timeout", "soon"], {}, 2, "'soon' is not a number of seconds"),
    ("airfleet", ["deploy", "--timeout", "-1"], {}, 2, "'-1' must be more than 0 seconds"),
    ("airfleet", ["deploy"], {"AIRFLEET_DEPLOY_TIMEOUT": "abc"}, 2, "'abc' is not a number of seconds"),
    ("airfleet", ["deploy"], {}, 2, "deploy needs --api-url or AIRFLEET_API_URL"),
    ("airfleet", ["deploy", "--api-url", "http://127.0.0.1:9", "--api-user", "a", "--sha", "abc", "--timeout", "1"],
     {"AIRFLEET_API_PASSWORD": SECRET}, 1, "cannot connect to http://127.0.0.1:9; check AIRFLEET_API_URL"),
    ("airfleet", ["deploy", "--api-url", "not a url", "--api-user", "a", "--sha", "abc"],
     {"AIRFLEET_API_PASSWORD": SECRET}, 1, "AIRFLEET_API_URL 'not a url' is not a URL"),
    ("airfleet", ["audit", "--dir", MISSING], {}, 1, f"no audit records in {MISSING}"),
    ("airfleet", ["audit", "--no-such-option"], {}, 2, "unrecognized arguments"),
    ("airfleet", ["dags"], {}, 2, "required: COMMAND"),
    ("airfleet", ["dags", "check", MISSING], {}, 2, f"{MISSING} is not a directory"),
    ("airfleet", ["dags", "purge"], {}, 2, "required: DAG_ID"),
    ("airfleet", ["dags", "purge", "some_dag", "--dry-run", "--sql"], {}, 2, "not allowed with argument"),
    ("airfleet", ["dags", "purge", "some_dag", "--batch-size", "many"], {}, 2, "invalid int value: 'many'"),
    ("airfleet", ["dags", "purge", "some_dag", "--batch-size", "0", "--conn", f"sqlite:///{MISSING}"], {}, 1,
     "sqlite"),
    ("airfleet", ["dags", "purge", "some_dag", "--conn", "not-a-url"], {}, 1, "not a database URL"),
    ("airfleet", ["dags", "purge", "some_dag", "--yes", "--conn", UNREACHABLE_MYSQL], {}, 1, "127.0.0.1"),
    ("airfleet", ["dags", "purge", "some_dag", "--dry-run", "--conn", UNREACHABLE_POSTGRES], {}, 1, "127.0.0.1"),
    ("airfleet", ["factory"], {}, 2, "required: COMMAND"),
    ("airfleet", ["factory", "init", "--db-url", "not-a-url"], {}, 1, "URL 'not-a-url' does not parse"),
    ("airfleet", ["factory", "init", "--db-url", f"mysql+mysqldb://airflow:{SECRET}@:notaport/x"], {}, 1,
     "airflow:***@"),
    ("airfleet", ["factory", "list", "--db-url", UNREACHABLE_POSTGRES], {}, 1, "127.0.0.1"),
    ("airfleet", ["factory", "list", "--db-url", UNREACHABLE_MYSQL], {}, 1, "127.0.0.1"),
    ("airfleet", ["factory", "list", "nothing"], {}, 2, "invalid choice: 'nothing'"),
    ("airfleet", ["factory", "add", f"{MISSING}.yaml", "--db-url", "not-a-url"], {}, 1, MISSING),
    ("airfleet", ["factory", "add", str(ROOT / "dags"), "--db-url", "not-a-url"], {}, 1, str(ROOT / "dags")),
    ("airfleet", ["factory", "enable", "job", "1", "--db-url", UNREACHABLE_MYSQL], {}, 1, "127.0.0.1"),
    ("airfleet", ["factory", "disable", "pipeline", "1"], {}, 2, "invalid choice: 'pipeline'"),
    ("airfleet", ["factory", "validate", MISSING], {}, 1, MISSING),
    ("airfleet", ["factory", "validate", "--db", "--db-url", "not-a-url", FACTORY], {}, 1, "'not-a-url' does not"),
    ("airfleet", ["factory", "render", "no_such_dag", FACTORY], {}, 1, "no_such_dag"),
    ("airfleet.health", ["no-such-role"], {}, 2, "invalid choice: 'no-such-role'"),
    ("airfleet.health", ["wait-db", "--timeout", "0"], {}, 2, "'0' must be more than 0 seconds"),
    ("airfleet.health", ["broker"], {}, 1, "AIRFLOW__CELERY__BROKER_URL"),
    ("airfleet.bundles", ["extra"], {}, 2, "unrecognized arguments: extra"),
    ("airfleet.bundles", [], {"AIRFLEET_DAGS_GIT_URL": "https://git.example/dags.git",
                              "AIRFLEET_DAGS_GIT_REFRESH": "often"}, 1, "AIRFLEET_DAGS_GIT_REFRESH"),
    ("airfleet.nodeenv", ["no-such-role"], {}, 2, "invalid choice: 'no-such-role'"),
    ("airfleet.nodeenv", [], {}, 2, "required: role"),
    ("airfleet.ui.zones", [], {"AIRFLOW_UI_TIMEZONE": "Mars/Olympus_Mons"}, 1, "Mars/Olympus_Mons"),
    ("airfleet.ui.zones", ["extra"], {}, 2, "unrecognized arguments: extra"),
]


@pytest.mark.parametrize(("module", "argv", "env", "code", "says"), CASES,
                         ids=[shlex.join([module, *argv]) for module, argv, *_ in CASES])
def test_a_user_error_is_one_line_and_an_exit_code(tmp_path, module, argv, env, code, says):
    before = fingerprint([ROOT / "dags"])
    result = run([sys.executable, "-m", module, *argv], environment(tmp_path, **env), tmp_path)
    assert_refused(result, says, codes=(code,))
    assert result.stderr.lstrip().startswith(("airfleet", "python -m airfleet")), result.stderr
    assert fingerprint([ROOT / "dags"]) == before


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


GARBAGE = (["--no-such-option"], ["\x00\xff garbage"], ["-" * 300], ["--env-file"], ["--db-url", "%%%"])


@pytest.mark.parametrize("path", [" ".join(path) for path in _every_command(commands())])
def test_garbage_arguments_to_every_command_never_give_a_traceback(tmp_path, capsys, path):
    """In process (fast); any error is one line through `dispatch`, never an exception that escapes."""
    for garbage in GARBAGE:
        code = main([*path.split(), *garbage])
        out, err = capsys.readouterr()
        lines = [line for line in (out + err).splitlines() if line.strip()]
        assert "Traceback" not in out + err, (path, garbage, out, err)
        if code != 0:  # 0: the garbage went to an option this call does not use (--db-url without --db)
            assert code in (1, 2) and 1 <= len(lines) <= 2, (path, garbage, out, err)


def test_an_unexpected_error_is_one_line_pointing_at_the_traceback(tmp_path):
    """A bug, not a user error (here: the env file is not UTF-8): one line saying where, and how to see more."""
    env_file = tmp_path / ".env"
    env_file.write_bytes(b"COMPOSE_PROJECT_NAME=\xff\xfe\n")
    result = airfleet("env", "--env-file", str(env_file), home=tmp_path)
    assert_refused(result, "AIRFLEET_DEBUG=1", codes=(1,))
    debug = airfleet("env", "--env-file", str(env_file), home=tmp_path, env={"AIRFLEET_DEBUG": "1"})
    assert debug.returncode == 1 and "Traceback" in debug.stderr


def test_the_env_file_is_the_same_after_every_refusal(tmp_path):
    """`init` on a malformed file changes nothing, whatever is wrong in it."""
    bad = {"unbalanced quote": "AIRFLEET_API_PORT='8080\n", "text after quote": 'AIRFLEET_API_PORT="8080" x\n',
           "not KEY=VALUE": "just words\n", "set twice": "AIRFLEET_API_PORT=1\nAIRFLEET_API_PORT=2\n",
           "bad port": "AIRFLEET_API_PORT=99999\n", "bad address": "AIRFLEET_BIND_ADDRESS=localhost\n",
           "bad project": "COMPOSE_PROJECT_NAME=My Project\n", "dollar": f"MYSQL_PASSWORD=a$b{SECRET}\n",
           "short password": "MYSQL_PASSWORD=short\n", "bad fernet key": "AIRFLOW_FERNET_KEY=abc\n"}
    for name, text in bad.items():
        env_file = tmp_path / f"{name.replace(' ', '-')}.env"
        env_file.write_text(text)
        env_file.chmod(0o600)
        before = fingerprint([env_file])
        result = airfleet("init", "--env-file", str(env_file), home=tmp_path)
        assert_refused(result, str(env_file), codes=(1,))
        assert fingerprint([env_file]) == before, name
        assert [path.name for path in tmp_path.iterdir() if path.name.startswith(env_file.name)] == [env_file.name]


def test_odd_but_valid_env_files_are_read_as_meant(tmp_path):
    """CRLF line endings, quotes, a BOM-less comment and spaces around the value: what Compose reads."""
    env_file = tmp_path / ".env"
    env_file.write_bytes(b"# cluster\r\nAIRFLEET_API_PORT=\"8081\"\r\nAIRFLEET_BIND_ADDRESS='::1'\r\n"
                         b"COMPOSE_PROJECT_NAME=odd # comment\r\n")
    assert airfleet("init", "--env-file", str(env_file), home=tmp_path).returncode == 0
    values = dict(pair.split("=", 1) for pair in
                  airfleet("env", "--env-file", str(env_file), home=tmp_path).stdout.split("\0") if pair)
    assert (values["AIRFLEET_API_PORT"], values["AIRFLEET_BIND_ADDRESS"], values["COMPOSE_PROJECT_NAME"]) == \
        ("8081", "::1", "odd")


def test_a_lost_data_secret_is_not_regenerated_while_data_exists(tmp_path):
    """The data-safety rule, held by this suite: `init` with data present refuses to invent a new
    Fernet key or MySQL password, names the variable, and leaves the file as it was."""
    env_file = tmp_path / ".env"
    assert airfleet("init", "--env-file", str(env_file), home=tmp_path).returncode == 0
    for name in ("AIRFLOW_FERNET_KEY", "MYSQL_PASSWORD"):
        kept = "".join(line + "\n" for line in env_file.read_text().splitlines() if not line.startswith(name + "="))
        damaged = tmp_path / f"{name}.env"
        damaged.write_text(kept)
        damaged.chmod(0o600)
        result = airfleet("init", "--env-file", str(damaged), "--existing-data", "volume airfleet_mysql",
                          home=tmp_path)
        assert_refused(result, [name, "volume airfleet_mysql"], codes=(1,), max_lines=3)
        assert damaged.read_text() == kept


def test_a_path_that_is_not_a_file_is_named(tmp_path):
    result = airfleet("env", "--env-file", str(Path("/dev/null/x")), home=tmp_path)
    assert_refused(result, "/dev/null/x", codes=(1,))
