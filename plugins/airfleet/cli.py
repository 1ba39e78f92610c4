"""The `airfleet` command line. Subcommands import what they need when they run."""

from __future__ import annotations

import argparse
import sys
from importlib import metadata
from pathlib import Path

from airfleet import __version__, envfile


def cmd_init(args: argparse.Namespace) -> int:
    path = Path(args.env_file)
    added = envfile.init(path)
    if added:
        print(f"{path}: added {', '.join(added)} (mode 0600)")
    else:
        print(f"{path}: complete; nothing changed")
    return 0


def cmd_env(args: argparse.Namespace) -> int:
    sys.stdout.write(envfile.dump(Path(args.env_file)))
    return 0


def _installed(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def cmd_version(args: argparse.Namespace) -> int:
    print(f"airfleet {__version__}")
    for name in ("apache-airflow", "apache-airflow-providers-celery", "celery"):
        version = _installed(name)
        if version:
            print(f"{name} {version}")
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    from airfleet import doctor

    return doctor.main()


def cmd_deploy(args: argparse.Namespace) -> int:
    from airfleet import deploy

    return deploy.main()


def cmd_dags_purge(args: argparse.Namespace) -> int:
    from airfleet.purge import command
    from airfleet.purge.plan import PurgeError

    try:
        return command.run(args)
    except PurgeError as exc:
        print(f"airfleet: {exc}", file=sys.stderr)
        return 1


def cmd_dags_check(args: argparse.Namespace) -> int:
    from airfleet import dagcheck

    return dagcheck.main(Path(args.folder))


def cmd_audit(args: argparse.Namespace) -> int:
    from airfleet import audit

    return audit.main(Path(args.dir) if args.dir else None, args.dag_id, args.run_id, args.task_id, args.json)


def add_dags_parser(sub: argparse._SubParsersAction) -> None:
    dags = sub.add_parser("dags", help="operate on DAGs in the metadata DB")
    dags_sub = dags.add_subparsers(dest="dags_command", required=True)
    purge = dags_sub.add_parser("purge", help="delete DAGs completely, in short batches (MySQL, PostgreSQL)")
    purge.add_argument("dag_ids", nargs="+", metavar="DAG_ID")
    mode = purge.add_mutually_exclusive_group()
    mode.add_argument("--dry-run", action="store_true", help="print rows per table; change nothing")
    mode.add_argument("--sql", action="store_true", help="print the SQL for this database's dialect; change nothing")
    purge.add_argument("--batch-size", type=int, default=5000, help="rows per transaction (default 5000)")
    purge.add_argument("--include-logs", action="store_true", help="also remove the DAGs' task log files")
    purge.add_argument("--force", action="store_true", help="purge even though the DAG file is still in its bundle")
    purge.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    purge.add_argument("--conn", help="database URL (default: Airflow's [database] sql_alchemy_conn)")
    purge.set_defaults(func=cmd_dags_purge)
    check = dags_sub.add_parser("check", help="import every DAG in a folder; report errors, cycles, duplicates")
    check.add_argument("folder", nargs="?", default="dags", help="the DAG folder (default: dags)")
    check.set_defaults(func=cmd_dags_check)


def cmd_factory(args: argparse.Namespace) -> int:
    from airfleet.factory import command

    return command.run(args)


def add_factory_parser(sub: argparse._SubParsersAction) -> None:
    factory = sub.add_parser("factory", help="DAG factory: manage the task/job/schedule tables, validate specs")
    factory_sub = factory.add_subparsers(dest="factory_command", required=True)
    db_url = argparse.ArgumentParser(add_help=False)
    db_url.add_argument("--db-url", help="database URL (default: $AIRFLEET_FACTORY_DB_URL, else Airflow's sql_alchemy_conn)")
    factory_sub.add_parser("init", parents=[db_url],
                           help="create the tables and the Airflow connection airfleet_factory_db DAG parsing reads them by")
    listing = factory_sub.add_parser("list", parents=[db_url], help="print the records in the tables")
    listing.add_argument("kind", nargs="?", choices=("task", "job", "schedule"))
    add = factory_sub.add_parser("add", parents=[db_url], help="validate records (YAML or JSON, as in a spec file) and write them")
    add.add_argument("file", help="spec file, or - for standard input")
    add.add_argument("--replace", action="store_true", help="overwrite records whose ids exist")
    for verb in ("enable", "disable"):
        switch = factory_sub.add_parser(verb, parents=[db_url], help=f"{verb} a job or schedule")
        switch.add_argument("kind", choices=("job", "schedule"))
        switch.add_argument("id")
    validate = factory_sub.add_parser("validate", parents=[db_url], help="check spec files (and the tables) as the DAG files would")
    validate.add_argument("paths", nargs="*", metavar="PATH", help="YAML files or directories (default: dags/factory)")
    validate.add_argument("--db", action="store_true", help="also check the tables")
    factory.set_defaults(func=cmd_factory)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="airfleet", description="Airfleet cluster toolkit")
    sub = parser.add_subparsers(dest="command", required=True)
    init = sub.add_parser("init", help="create or complete .env with generated secrets")
    init.add_argument("--env-file", default=".env", help="path of the env file (default: ./.env)")
    init.set_defaults(func=cmd_init)
    env = sub.add_parser("env", help="print the env file's values as Compose reads them (NUL-separated KEY=VALUE)")
    env.add_argument("--env-file", default=".env", help="path of the env file (default: ./.env)")
    env.set_defaults(func=cmd_env)
    version = sub.add_parser("version", help="print airfleet, Airflow and Celery versions")
    version.set_defaults(func=cmd_version)
    doctor = sub.add_parser("doctor", help="check secrets, clock, workers' log servers, broker, DB and versions")
    doctor.set_defaults(func=cmd_doctor)
    deploy = sub.add_parser("deploy", help="make the cluster parse a merged commit now (env: AIRFLEET_API_*, AIRFLEET_DEPLOY_SHA)")
    deploy.set_defaults(func=cmd_deploy)
    audit = sub.add_parser("audit", help="task starts, ends, durations, states and hosts from the task audit log")
    audit.add_argument("--dag", dest="dag_id", help="only this DAG")
    audit.add_argument("--run", dest="run_id", help="only this DAG run")
    audit.add_argument("--task", dest="task_id", help="only this task")
    audit.add_argument("--json", action="store_true", help="print JSON instead of a table")
    audit.add_argument("--dir", help="the audit folder (default: [logging] base_log_folder/airfleet-audit)")
    audit.set_defaults(func=cmd_audit)
    add_dags_parser(sub)
    add_factory_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except envfile.EnvFileError as exc:
        print(f"airfleet: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
