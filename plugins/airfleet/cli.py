"""The `airfleet` command line: one table of commands, each loaded only when it runs (as Airflow's
own CLI does with `lazy_load_command`), and one place that turns an error into a line and an exit code.

A command is a module function `func(args) -> int`. It raises `airfleet.errors.AirfleetError` (or a
subclass) for anything the user can fix; `dispatch` prints `airfleet: <message>` and returns the
error's exit code, so no user error ends in a traceback. The `python -m airfleet.*` entry points the
image runs (health, bundles, nodeenv, ui.zones) go through `dispatch` too.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from airfleet.errors import AirfleetError, ArgumentError, redact

Arg = tuple[tuple[str, ...], dict[str, Any]]


def arg(*flags: str, **kwargs: Any) -> Arg:
    return flags, kwargs


@dataclass(frozen=True)
class Command:
    name: str
    help: str
    func: str = ""  # "module:function", imported when the command runs
    args: tuple[Arg, ...] = ()
    exclusive: tuple[Arg, ...] = ()  # options of which at most one may be given
    subcommands: tuple[Command, ...] = ()


class ArgumentParser(argparse.ArgumentParser):
    """argparse, but a bad command line is one line naming the command and where its help is."""

    def error(self, message: str) -> NoReturn:
        raise ArgumentError(f"{self.prog}: error: {' '.join(message.split())}; see {self.prog} --help")


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be more than 0 seconds")
    return value


ENV_FILE = arg("--env-file", default=".env", help="path of the env file (default: ./.env)")
DB_URL = arg("--db-url", help="database URL (default: $AIRFLEET_FACTORY_DB_URL, else Airflow's sql_alchemy_conn)")


READERS = (arg("paths", nargs="*", metavar="PATH", help="YAML files or directories (default: dags/factory)"),
           arg("--db", action="store_true", help="also read the tables"))


def factory_commands() -> tuple[Command, ...]:
    module = "airfleet.factory.command"
    switches = tuple(Command(verb, f"{verb} a job or schedule", f"{module}:cmd_switch",
                             (DB_URL, arg("kind", choices=("job", "schedule")), arg("id")))
                     for verb in ("enable", "disable"))
    return (
        Command("init", "create the tables and the Airflow connection airfleet_factory_db DAG parsing reads them by",
                f"{module}:cmd_init", (DB_URL,)),
        Command("list", "print the records in the tables", f"{module}:cmd_list",
                (DB_URL, arg("kind", nargs="?", choices=("task", "job", "schedule")))),
        Command("add", "validate records (YAML or JSON, as in a spec file) and write them", f"{module}:cmd_add",
                (DB_URL, arg("file", help="spec file, or - for standard input"),
                 arg("--replace", action="store_true", help="overwrite records whose ids exist"))),
        *switches,
        Command("validate", "check spec files (and the tables) as the DAG files would", f"{module}:cmd_validate",
                (DB_URL, *READERS)),
        Command("render", "write the plain-Python DAG file equivalent to a generated DAG", f"{module}:cmd_render",
                (DB_URL, arg("dag_id", help="the generated DAG, e.g. factory_job_orders_load"),
                 arg("-o", "--output", help="file to write (default: standard output)"), *READERS)),
    )


def commands() -> tuple[Command, ...]:
    """Every command; built when the parser is, so environment defaults are read at that moment."""
    env = os.environ.get
    return (
        Command("init", "create or complete .env with generated secrets", "airfleet.envcommands:init", (
            ENV_FILE,
            arg("--existing-data", action="append", default=[], metavar="NAME",
                help="data that exists and depends on the file's secrets (bin/up passes the project's volumes)"),
        )),
        Command("env", "print the env file's values as Compose reads them (NUL-separated KEY=VALUE)",
                "airfleet.envcommands:show", (ENV_FILE,)),
        Command("version", "print airfleet, Airflow and Celery versions", "airfleet.versions:show"),
        Command("doctor", "check secrets, clock, workers' log servers, broker, DB and versions", "airfleet.doctor:run"),
        Command("deploy", "make the cluster parse a merged commit now", "airfleet.deploy:run", (
            arg("--sha", default=env("AIRFLEET_DEPLOY_SHA"), help="the commit (default: $AIRFLEET_DEPLOY_SHA)"),
            arg("--files", nargs="*", default=env("AIRFLEET_DEPLOY_FILES", "").split(), metavar="FILE",
                help="changed files, parsed first and waited for (default: $AIRFLEET_DEPLOY_FILES; none: every DAG)"),
            arg("--timeout", type=positive_float, default=env("AIRFLEET_DEPLOY_TIMEOUT", "120"),
                help="seconds to wait for the DAGs at the commit (default: $AIRFLEET_DEPLOY_TIMEOUT, else 120)"),
            arg("--api-url", default=env("AIRFLEET_API_URL"), help="the cluster's URL (default: $AIRFLEET_API_URL)"),
            arg("--api-user", default=env("AIRFLEET_API_USER"), help="a login (default: $AIRFLEET_API_USER)"),
        )),
        Command("audit", "task starts, ends, durations, states and hosts from the task audit log",
                "airfleet.task_audit:run", (
                    arg("--dag", dest="dag_id", help="only this DAG"),
                    arg("--run", dest="run_id", help="only this DAG run"),
                    arg("--task", dest="task_id", help="only this task"),
                    arg("--json", action="store_true", help="print JSON instead of a table"),
                    arg("--dir", help="the audit folder (default: [logging] base_log_folder/airfleet-audit)"),
                )),
        Command("dags", "operate on DAGs in the metadata DB", subcommands=(
            Command("purge", "delete DAGs completely, in short batches (MySQL, PostgreSQL)",
                    "airfleet.purge.command:run", (
                arg("dag_ids", nargs="+", metavar="DAG_ID"),
                arg("--batch-size", type=int, default=5000, help="rows per transaction (default 5000)"),
                arg("--include-logs", action="store_true", help="also remove the DAGs' task log files"),
                arg("--force", action="store_true", help="purge even though the DAG file is still in its bundle"),
                arg("--yes", action="store_true", help="do not ask for confirmation"),
                arg("--conn", help="database URL (default: Airflow's [database] sql_alchemy_conn)"),
            ), exclusive=(
                arg("--dry-run", action="store_true", help="print rows per table; change nothing"),
                arg("--sql", action="store_true", help="print the SQL for this database's dialect; change nothing"),
            )),
            Command("check", "import every DAG in a folder; report errors, cycles, duplicates", "airfleet.dagcheck:run",
                    (arg("folder", nargs="?", default="dags", help="the DAG folder (default: dags)"),)),
        )),
        Command("factory", "DAG factory: manage the task/job/schedule tables, validate specs, render DAGs as Python",
                subcommands=factory_commands()),
    )


def lazy(path: str) -> Callable[[argparse.Namespace], int]:
    """The function at "module:function", imported only when called: `airfleet version` loads no Airflow."""
    def call(args: argparse.Namespace) -> int:
        module, _, name = path.partition(":")
        return getattr(importlib.import_module(module), name)(args)

    return call


def _add(sub: argparse._SubParsersAction, command: Command) -> None:
    parser = sub.add_parser(command.name, help=command.help, description=command.help)
    for flags, kwargs in command.args:
        parser.add_argument(*flags, **kwargs)
    if command.exclusive:
        group = parser.add_mutually_exclusive_group()
        for flags, kwargs in command.exclusive:
            group.add_argument(*flags, **kwargs)
    if command.subcommands:
        inner = parser.add_subparsers(dest=f"{command.name}_command", required=True, metavar="COMMAND")
        for subcommand in command.subcommands:
            _add(inner, subcommand)
    else:
        parser.set_defaults(func=lazy(command.func))


def build_parser() -> ArgumentParser:
    parser = ArgumentParser(prog="airfleet", description="Airfleet cluster toolkit")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in commands():
        _add(sub, command)
    return parser


def _os_error(exc: OSError) -> str:
    if exc.filename and exc.strerror:
        return f"{exc.filename}: {exc.strerror}"
    return str(exc)


def _database_error(exc: Exception) -> str | None:
    """A database URL that does not parse or a server that does not answer, said in one line.
    SQLAlchemy is checked only if a command already imported it."""
    sa_exc = sys.modules.get("sqlalchemy.exc")
    if sa_exc is None or not isinstance(exc, (sa_exc.ArgumentError, sa_exc.DBAPIError)):
        return None
    cause = " ".join(str(getattr(exc, "orig", None) or exc).split())
    return f"database: {cause}; check the database URL and that the server is reachable"


def _unexpected(exc: Exception) -> str:
    """A bug, not a user error: still one line, with where it happened and the way to the traceback."""
    where = exc.__traceback__
    while where and where.tb_next:
        where = where.tb_next
    place = f" at {Path(where.tb_frame.f_code.co_filename).name}:{where.tb_lineno}" if where else ""
    text = redact(" ".join(str(exc).split()))[:300]
    return (f"unexpected error{place}: {type(exc).__name__}: {text}; "
            "run again with AIRFLEET_DEBUG=1 for the traceback and report it")


def dispatch(parser: argparse.ArgumentParser, argv: Sequence[str] | None = None) -> int:
    """Parse `argv` and run the chosen `func(args)`: the one place an error becomes a line and an exit code."""
    try:
        args = parser.parse_args(argv)
        return args.func(args)
    except ArgumentError as exc:
        line, code = str(exc), exc.exit_code
    except AirfleetError as exc:
        line, code = f"airfleet: {exc}", exc.exit_code
    except OSError as exc:
        line, code = f"airfleet: {_os_error(exc)}", 1
    except KeyboardInterrupt:
        line, code = "airfleet: interrupted", 130
    except Exception as exc:
        message = _database_error(exc)
        if message is None:
            if os.environ.get("AIRFLEET_DEBUG"):
                raise
            message = _unexpected(exc)
        line, code = f"airfleet: {message}", 1
    print(line, file=sys.stderr)
    return code


def main(argv: Sequence[str] | None = None) -> int:
    return dispatch(build_parser(), argv)


def run_module(prog: str, description: str, func: Callable[[argparse.Namespace], int],
               argv: Sequence[str] | None, *args: Arg) -> int:
    """A `python -m airfleet.X` entry point: the same parser and error handling as `airfleet`."""
    parser = ArgumentParser(prog=prog, description=description)
    for flags, kwargs in args:
        parser.add_argument(*flags, **kwargs)
    parser.set_defaults(func=func)
    return dispatch(parser, argv)


if __name__ == "__main__":
    sys.exit(main())
