"""`airfleet dags purge DAG_ID [DAG_ID ...]`: check, show, confirm, pause, purge, record."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from airfleet.purge import audit, batches, guards, logfiles, script
from airfleet.purge.plan import Plan, PurgeError, build_plan, reflect

DIALECTS = ("mysql", "postgresql")


@dataclass
class Survey:
    """What a purge would do, and what stands in its way, as the database is now."""

    plan: Plan
    counts: list[batches.TableCount]
    active: list[guards.ActiveTask]
    files: list[guards.DagFile]
    logs: list[logfiles.LogDir]

    @property
    def rows(self) -> int:
        return sum(count.delete + count.detach for count in self.counts)


def engine_for(conn: str | None) -> sa.Engine:
    if conn is None:
        from airflow.configuration import conf

        conn = conf.get("database", "sql_alchemy_conn")
    try:
        engine = sa.create_engine(conn, pool_pre_ping=True)
    except sa.exc.ArgumentError as exc:
        raise PurgeError(f"not a database URL: {exc}; "
                         "pass --conn mysql://... or postgresql://...") from exc
    except ImportError as exc:
        raise PurgeError(f"the database driver is not installed ({exc}); install it in this environment") from exc
    if engine.dialect.name not in DIALECTS:
        raise PurgeError(f"purge works on MySQL and PostgreSQL metadata databases, not {engine.dialect.name} "
                         "(set AIRFLOW__DATABASE__SQL_ALCHEMY_CONN, or pass --conn)")
    return engine


def _check_ids(connection: sa.Connection, plan: Plan) -> None:
    purged = audit.purged_before(connection, plan.metadata)
    unknown = [dag_id for dag_id in plan.dag_ids
               if dag_id not in purged and not guards.has_rows(connection, plan, dag_id)]
    if unknown:
        raise PurgeError("\n".join(
            guards.unknown_id_message(dag_id, guards.closest_ids(connection, plan.metadata, dag_id))
            for dag_id in unknown))


def survey(engine: sa.Engine, dag_ids: Sequence[str], include_logs: bool) -> Survey:
    with engine.connect() as connection:
        plan = build_plan(reflect(connection), dag_ids)
        _check_ids(connection, plan)
        counts = batches.count(connection, plan)
        active = guards.active_tasks(connection, plan.metadata, dag_ids)
        files = guards.dag_files(connection, plan.metadata, dag_ids)
    logs = [logfiles.survey(path) for path in logfiles.configured_log_dirs(list(dag_ids))] if include_logs else []
    return Survey(plan, counts, active, files, logs)


def _active_message(active: Sequence[guards.ActiveTask]) -> str:
    listing = "\n".join(f"  {task}" for task in active)
    return (f"{len(active)} task(s) of the DAG(s) are still in flight (running, queued, scheduled, deferred, "
            f"restarting, or waiting for a retry or reschedule); let them finish (or mark them failed or success) "
            f"and purge again:\n{listing}")


def _files_message(files: Sequence[guards.DagFile]) -> str:
    listing = "\n".join(f"  {file}" for file in files)
    return (f"the DAG file is still in its bundle, so the DAG would reappear at the next parse; remove the file "
            f"from the bundle and purge again, or pass --force to purge now (the DAG is paused first and "
            f"reappears, without its history, at the next parse):\n{listing}")


def _pause(metadata: sa.MetaData, dag_ids: Sequence[str]) -> sa.Update:
    dag = metadata.tables["dag"]
    return sa.update(dag).where(dag.c.dag_id.in_(dag_ids)).values(is_paused=True)


def print_counts(found: Survey, target: str) -> None:
    print(f"DAG(s) {', '.join(found.plan.dag_ids)} in {target}:")
    print(f"  {'table':<36}{'delete':>12}{'detach':>12}")
    for count in found.counts:
        if count.delete or count.detach:
            print(f"  {count.table:<36}{count.delete:>12,}{count.detach:>12,}")
    deleted = sum(count.delete for count in found.counts)
    detached = sum(count.detach for count in found.counts)
    print(f"  {'total':<36}{deleted:>12,}{detached:>12,}")
    for log in found.logs:
        print(f"task log files: {log}")


def print_sql(found: Survey, engine: sa.Engine, batch_size: int) -> None:
    notes = []
    if found.active:
        notes.append("WARNING: " + _active_message(found.active).replace("\n", "\n--"))
    if found.files:
        notes.append("WARNING: " + _files_message(found.files).replace("\n", "\n--"))
    notes += [f"task log files are not SQL: remove them with  rm -r '{log.path}'" for log in found.logs]
    metadata = found.plan.metadata
    print(script.render(found.plan, engine.dialect, batch_size, notes=notes,
                        before=[_pause(metadata, found.plan.dag_ids)],
                        after=[audit.record(metadata, found.plan.dag_ids, found.rows)]), end="")


def print_report(report: batches.Report) -> None:
    for result in report.results:
        if result.rows:
            step = result.step
            print(f"  {step.table.name:<36}{step.action:<7}{result.rows:>12,} rows {result.seconds:8.2f} s "
                  f"({result.batches} batches, {step.reason})")
    print(f"purged {report.rows:,} rows in {report.seconds:.1f} s; longest transaction {report.longest:.3f} s")


def _confirmed(found: Survey) -> bool:
    what = f"{found.rows:,} rows" + (" and their task log files" if any(log.files for log in found.logs) else "")
    try:
        answer = input(f"Purge {what} of {', '.join(found.plan.dag_ids)}? This cannot be undone. [y/N] ")
    except EOFError:
        raise PurgeError("no answer on standard input; pass --yes to purge without asking") from None
    return answer.strip().lower() in ("y", "yes")


def purge(engine: sa.Engine, found: Survey, batch_size: int, progress: batches.Progress = print) -> batches.Report:
    """Pause the DAGs, check again that nothing runs, then run the plan and record it. The caller has
    refused already if `found` has active tasks or DAG files still in bundles (without force)."""
    plan = found.plan
    with engine.begin() as connection:
        connection.execute(_pause(plan.metadata, plan.dag_ids))
    with engine.connect() as connection:
        active = guards.active_tasks(connection, plan.metadata, plan.dag_ids)
    if active:
        raise PurgeError(_active_message(active) + "\n(the DAG(s) are now paused)")
    expected = {count.table: count.delete + count.detach for count in found.counts}
    report = batches.Runner(engine, batch_size, progress).run(plan, expected)
    with engine.begin() as connection:
        connection.execute(audit.record(plan.metadata, plan.dag_ids, report.rows))
    return report


def run(args: argparse.Namespace) -> int:
    # A server lost mid-purge is reported once, in the error below; the pool would also log a
    # traceback for each connection it fails to reset, burying that line.
    logging.getLogger("sqlalchemy.pool").setLevel(logging.CRITICAL)
    engine = engine_for(args.conn)
    try:
        return _run(engine, args)
    except sa.exc.OperationalError as exc:
        cause = " ".join(str(exc.orig).split())
        raise PurgeError(f"database error at {engine.url.render_as_string(hide_password=True)}: {cause}\n"
                         "check that it is reachable; a purge that stopped half-way finishes when run again") from exc
    finally:
        engine.dispose()


def _run(engine: sa.Engine, args: argparse.Namespace) -> int:
    if args.batch_size < 1:
        raise PurgeError(f"--batch-size must be at least 1, not {args.batch_size}")
    dag_ids = list(dict.fromkeys(args.dag_ids))
    found = survey(engine, dag_ids, args.include_logs)
    if args.sql:
        print_sql(found, engine, args.batch_size)
        return 0
    print_counts(found, engine.url.render_as_string(hide_password=True))
    if found.rows == 0 and not any(log.files for log in found.logs):
        print("nothing to purge: the DAG(s) are already purged")
        return 0
    if args.dry_run:
        for blocker in ([_active_message(found.active)] if found.active else []) + \
                       ([_files_message(found.files)] if found.files else []):
            print(f"a purge now would stop here: {blocker}")
        print("dry run: nothing changed")
        return 0
    if found.active:
        raise PurgeError(_active_message(found.active))
    if found.files and not args.force:
        raise PurgeError(_files_message(found.files))
    for file in found.files:
        print(f"warning: {file}; the DAG is paused now and will reappear at the next parse of its bundle")
    if not args.yes and not _confirmed(found):
        print("nothing changed")
        return 1
    report = purge(engine, found, args.batch_size)
    print_report(report)
    for log in found.logs:
        if log.files:
            logfiles.remove(log.path)
            print(f"removed task log files: {log}")
    return 0
