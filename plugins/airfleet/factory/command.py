"""`airfleet factory`: manage the factory tables and validate specs (each `cmd_*` is a subcommand in
airfleet.cli's table).

Every change is validated together with what the tables already hold, and refused (nothing
written) when it would make a record malformed. Changes clear this host's cache, so this host
sees them at its next parse; other hosts within the cache TTL (30 s).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from airfleet.errors import AirfleetError
from airfleet.factory import cache, db, sources, yamlsafe
from airfleet.factory.catalog import Catalog, resolve
from airfleet.factory.problems import DB_ORIGIN, Problem, record_label
from airfleet.factory.spec import PLURAL, Document, parse_document


class FactoryCommandError(AirfleetError):
    pass


def database_url(args: argparse.Namespace) -> str:
    """--db-url, else AIRFLEET_FACTORY_DB_URL, else Airflow's own metadata database."""
    url = getattr(args, "db_url", None) or os.environ.get(db.URL_ENV)
    if url:
        return url
    from airflow.configuration import conf

    return conf.get("database", "sql_alchemy_conn")


def _print_problems(problems: Iterable[Problem]) -> None:
    for problem in problems:
        print(f"airfleet: {problem}", file=sys.stderr)


def _table_document(bind: Any, changes: Mapping[str, Any] | None = None) -> Document:
    """The tables as a document, with `changes` (records by plural kind, and a defaults block) applied
    by id (by scope for defaults)."""
    current = db.decode(db.read_rows(bind))
    for plural, records in (changes or {}).items():
        if plural == "defaults":
            current["defaults"] = {**(current["defaults"] or {}), **(records or {})} or None
            continue
        replaced = {str(record.get("id")) for record in records}
        current[plural] = [row for row in current[plural] if str(row.get("id")) not in replaced] + list(records)
    return parse_document(current, DB_ORIGIN)


def _new_problems(bind: Any, changes: Mapping[str, Any]) -> list[Problem]:
    """Problems the change would add to the tables (ones already there do not block it)."""
    cluster = sources.cluster_defaults(_dag_folder())
    before = set(resolve([_table_document(bind)], cluster).problems)
    return [problem for problem in resolve([_table_document(bind, changes)], cluster).problems if problem not in before]


def cmd_init(args: argparse.Namespace) -> int:
    url = database_url(args)
    db.create_tables(db.engine(url))
    print("factory tables ready: " + ", ".join(table.name for table in db.TABLES.values()))
    print(register_connection(url))
    cache.clear()
    return 0


def register_connection(url: str) -> str:
    """Create the Airflow connection DAG parsing reads the tables through (parsing processes may not
    see Airflow's own database URL); an existing one is left alone."""
    from airflow.models.connection import Connection
    from airflow.utils.session import create_session

    with create_session() as session:
        if session.query(Connection).filter(Connection.conn_id == db.CONN_ID).first() is not None:
            return f"Airflow connection {db.CONN_ID} exists; left as it is"
        session.add(Connection(conn_id=db.CONN_ID, **db.connection_fields(url)))
    return f"Airflow connection {db.CONN_ID} created: DAG parsing reads the factory tables through it"


def _read_spec(path: str) -> Any:
    data = getattr(sys.stdin, "buffer", sys.stdin).read() if path == "-" else Path(path).read_bytes()
    try:
        return yamlsafe.load(data)
    except yamlsafe.YamlLimitError as error:
        raise FactoryCommandError(f"{path}: refused: {error}; fix: {yamlsafe.FIX}") from None
    except yamlsafe.NotTextError as error:
        raise FactoryCommandError(f"{path}: {error}; fix: {yamlsafe.TEXT_FIX}") from None
    except yaml.YAMLError as error:
        where, detail = yamlsafe.describe(error)
        raise FactoryCommandError(f"{path}, {where}: not valid YAML or JSON: {detail}; "
                                  f"fix: {yamlsafe.SYNTAX_FIX}") from None


def cmd_add(args: argparse.Namespace) -> int:
    raw = _read_spec(args.file)
    origin = "stdin" if args.file == "-" else args.file
    document = parse_document(raw, origin)  # each record's own fields; references are checked with the tables
    if document.problems:
        _print_problems(document.problems)
        return 1
    if not isinstance(raw, dict):
        raise FactoryCommandError(f"{origin}: no records in it; see dags/factory/ for the format")
    changes: dict[str, Any] = {PLURAL[kind]: list(raw.get(PLURAL[kind]) or []) for kind in PLURAL}
    changes["defaults"] = dict(raw.get("defaults") or {})
    bind = db.engine(database_url(args))
    db.create_tables(bind)
    existing = {kind: db.existing_ids(bind, kind) for kind in PLURAL}
    clashes = [f"{kind} '{record['id']}'" for kind, plural in PLURAL.items() for record in changes[plural]
               if str(record["id"]) in existing[kind]]
    clashes += [f"defaults.{scope}" for scope in changes["defaults"] if scope in db.existing_ids(bind, "defaults")]
    if clashes and not args.replace:
        raise FactoryCommandError(f"already in the tables: {', '.join(clashes)}; pass --replace to overwrite them")
    problems = _new_problems(bind, changes)
    if problems:
        _print_problems(problems)
        print("airfleet: nothing written", file=sys.stderr)
        return 1
    db.write(bind, changes)
    cache.clear()
    counts = ", ".join([f"{len(changes[plural])} {plural if len(changes[plural]) != 1 else kind}"
                        for kind, plural in PLURAL.items() if changes[plural]] +
                       [f"defaults.{scope}" for scope in changes["defaults"]])
    print(f"written: {counts}; DAGs change at the next parse")
    return 0


def cmd_switch(args: argparse.Namespace) -> int:
    enabled = args.factory_command == "enable"
    bind = db.engine(database_url(args))
    db.create_tables(bind)
    if enabled:
        rows = db.decode(db.read_rows(bind))[PLURAL[args.kind]]
        row = next((row for row in rows if row["id"] == args.id), None)
        problems = _new_problems(bind, {PLURAL[args.kind]: [{**row, "enabled": True}]}) if row else []
        if problems:
            _print_problems(problems)
            print(f"airfleet: {args.kind} '{args.id}' stays disabled", file=sys.stderr)
            return 1
    if not db.set_enabled(bind, args.kind, args.id, enabled):
        raise FactoryCommandError(f"no {args.kind} with id '{args.id}' in the factory tables "
                                  "(see airfleet factory list)")
    cache.clear()
    print(f"{args.kind} '{args.id}' {'enabled' if enabled else 'disabled'}; its DAG "
          f"{'appears' if enabled else 'disappears'} after the next parse")
    return 0


def _describe(kind: str, row: Mapping[str, Any]) -> str:
    if kind == "task":
        return f"type={row.get('type')}"
    timing = f" schedule={row['schedule']}" if row.get("schedule") else ""
    if kind == "job":
        return f"tasks={row.get('tasks')} dependencies={row.get('dependencies') or '[]'}{timing}"
    timing = timing or f" cron={row.get('cron')!r}"
    return f"jobs={row.get('jobs')} dependencies={row.get('dependencies') or '[]'}{timing}"


def cmd_list(args: argparse.Namespace) -> int:
    rows = db.read_rows(db.engine(database_url(args)))
    for kind in [args.kind] if args.kind else list(PLURAL):
        for row in rows[PLURAL[kind]]:
            state = "" if kind == "task" else ("enabled  " if row.get("enabled") else "disabled ")
            print(f"{kind:<9} {row['id']:<8} {row.get('name') or '-':<32} {state}{_describe(kind, row)}")
    if not args.kind:
        for row in rows["defaults"]:
            print(f"{'defaults':<9} {row['id']:<8} {row.get('settings')}")
    return 0


def _yaml_paths(paths: list[str]) -> list[Path]:
    found: list[Path] = []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            found += sorted([*path.glob("*.yaml"), *path.glob("*.yml")])
        elif path.is_file():
            found.append(path)
        else:
            raise FactoryCommandError(f"{name}: no such file or directory")
    return found


def _dag_folder() -> Path | None:
    """The DAG folder a relative AIRFLEET_FACTORY_DEFAULTS is in, when run beside it (dags/ here)."""
    return Path("dags") if Path("dags").is_dir() else None


def _documents(args: argparse.Namespace) -> list[Document]:
    """The YAML files named (default dags/factory) and, with --db, the tables."""
    paths = args.paths or ([f"dags/{sources.SPEC_DIR}"] if Path("dags", sources.SPEC_DIR).is_dir() else [])
    documents = [sources.yaml_text_document(path.read_bytes(), str(path)) for path in _yaml_paths(paths)]
    if args.db:
        documents.append(parse_document(db.decode(db.read_rows(db.engine(database_url(args)))), DB_ORIGIN))
    if not documents:
        raise FactoryCommandError("nothing to read: give YAML files or directories, or --db")
    return documents


def _catalog(args: argparse.Namespace) -> tuple[int, Catalog]:
    documents = _documents(args)
    return len(documents), resolve(documents, sources.cluster_defaults(_dag_folder()))


def cmd_validate(args: argparse.Namespace) -> int:
    from airfleet.factory.build import build_all

    count, catalog = _catalog(args)
    dags, build_problems = build_all(catalog)
    problems = catalog.problems + build_problems
    _print_problems([*problems, *catalog.warnings])
    warned = f", {len(catalog.warnings)} warning(s)" if catalog.warnings else ""
    print(f"{count} source(s): {len(dags)} DAG(s) generated, {len(problems)} malformed record(s){warned}")
    for dag_id in sorted(dags):
        print(f"  {dag_id}")
    return 1 if problems else 0


def cmd_render(args: argparse.Namespace) -> int:
    from airfleet.factory.build import plan_of
    from airfleet.factory.render import render

    _, catalog = _catalog(args)
    item = next((item for item in [*catalog.jobs, *catalog.schedules] if item.dag_id == args.dag_id), None)
    if item is None:
        raise FactoryCommandError(f"no well-formed job or schedule generates the DAG {args.dag_id} here; "
                                  "see airfleet factory validate (with the same sources)")
    kind = "job" if item in catalog.jobs else "schedule"
    header = (f"The DAG {args.dag_id} as plain Python, rendered by `airfleet factory render` from "
              f"{record_label(kind, item.spec.id, item.spec.name, 0)} in `{item.spec.origin}`.")
    text = render(plan_of(item), header)
    if args.output:
        Path(args.output).write_text(text)
        print(f"{args.dag_id} written to {args.output}")
    else:
        sys.stdout.write(text)
    return 0

