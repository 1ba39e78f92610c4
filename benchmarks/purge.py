"""Benchmark `airfleet dags purge` against `airflow dags delete` on identical data; prints JSON.

A throw-away database (MySQL from airfleet/mysql:local with the cluster's own settings, or the
test PostgreSQL image) migrated by Airflow, one DAG with RUNS x MAPPED mapped task instances
(1,000,000 by default) and their related rows (an XCom, rendered fields and a `log` row each; task
history for 10 %, reschedules for 5 %, notes for 1 %, a human-in-the-loop detail per run), plus a
small bystander DAG. The data is built, purged in batches, built again identically, and deleted
with `airflow dags delete -y`, in the same run.

    .venv/bin/python -m benchmarks.purge --dialect mysql [--runs 1000 --mapped 1000 --batch-size 5000]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from tests.support import databases, purge_data

DAG = "bench_purge"
BYSTANDER = "bench_bystander"
SEQ = "airfleet_bench_seq"


def _uuid(dialect: str) -> sa.ColumnElement:
    if dialect == "postgresql":
        return sa.func.gen_random_uuid()
    return sa.func.replace(sa.func.uuid(), "-", "")


def bulk_insert(connection: sa.Connection, table: sa.Table, source: sa.Select) -> int:
    """INSERT ... SELECT: `source` names some columns (labels); the other required ones get a
    plain constant of their type."""
    given = {column.key: column for column in source.selected_columns}
    columns = [c for c in table.columns if c.name in given or not purge_data.fills_itself(c)]
    values = [given[c.name] if c.name in given else sa.literal(purge_data.plain_value(c), type_=c.type)
              for c in columns]
    statement = sa.insert(table).from_select([c.name for c in columns], source.with_only_columns(*values))
    return connection.execute(statement).rowcount


def build(engine: sa.Engine, runs: int, mapped: int, dags_folder: Path) -> dict[str, int]:
    """The benchmark DAG's rows; returns rows inserted per table."""
    dialect = engine.dialect.name
    with engine.begin() as connection:
        metadata = sa.MetaData()
        metadata.reflect(connection)
        counts, _ = purge_data.fill_dag(connection, metadata, DAG, dags_folder)
        seq = sa.Table(SEQ, metadata, sa.Column("n", sa.Integer, primary_key=True, autoincrement=False),
                       extend_existing=True)
        seq.create(connection, checkfirst=True)
        if not connection.execute(sa.select(sa.func.count()).select_from(seq)).scalar_one():
            connection.execute(sa.insert(seq), [{"n": n} for n in range(max(runs, mapped))])
    t = metadata.tables
    run, ti = t["dag_run"], t["task_instance"]
    version = sa.select(t["dag_version"].c.id).where(t["dag_version"].c.dag_id == DAG).scalar_subquery()
    steps: list[tuple[sa.Table, sa.Select]] = [
        (run, sa.select(sa.literal(DAG).label("dag_id"),
                        (sa.literal("bulk_") + sa.cast(seq.c.n, sa.String)).label("run_id"),
                        sa.literal("manual").label("run_type"), sa.literal("success").label("state"),
                        sa.literal(purge_data.NOW).label("run_after"), version.label("created_dag_version_id"))
         .where(seq.c.n < runs)),
    ]
    bulk_runs = sa.and_(run.c.dag_id == DAG, run.c.run_id.like("bulk_%"))
    steps.append((ti, sa.select(_uuid(dialect).label("id"), run.c.dag_id.label("dag_id"), run.c.run_id.label("run_id"),
                                sa.literal("scale").label("task_id"), seq.c.n.label("map_index"),
                                sa.literal(1).label("try_number"), sa.literal("success").label("state"),
                                sa.literal("default_pool").label("pool"), sa.literal(1).label("pool_slots"),
                                version.label("dag_version_id"))
                  .select_from(run).join(seq, seq.c.n < mapped).where(bulk_runs)))
    scaled = sa.and_(ti.c.dag_id == DAG, ti.c.task_id == "scale")
    key = [ti.c.dag_id.label("dag_id"), ti.c.run_id.label("run_id"), ti.c.task_id.label("task_id"),
           ti.c.map_index.label("map_index")]
    steps += [
        (t["xcom"], sa.select(*key, run.c.id.label("dag_run_id"), sa.literal("return_value").label("key"),
                              sa.literal(purge_data.NOW).label("timestamp"))
         .select_from(ti).join(run, sa.and_(run.c.dag_id == ti.c.dag_id, run.c.run_id == ti.c.run_id)).where(scaled)),
        (t["rendered_task_instance_fields"], sa.select(*key).where(scaled)),
        (t["log"], sa.select(*key, sa.literal("success").label("event"), sa.literal(purge_data.NOW).label("dttm"))
         .where(scaled)),
        (t["task_instance_history"], sa.select(*key, _uuid(dialect).label("task_instance_id"),
                                               sa.literal(0).label("try_number"))
         .where(scaled, ti.c.map_index % 10 == 0)),
        (t["task_reschedule"], sa.select(ti.c.id.label("ti_id")).where(scaled, ti.c.map_index % 20 == 0)),
        (t["task_instance_note"], sa.select(ti.c.id.label("ti_id")).where(scaled, ti.c.map_index % 100 == 0)),
        (t["hitl_detail"], sa.select(ti.c.id.label("ti_id")).where(scaled, ti.c.map_index == 0)),
        (t["dag_run_note"], sa.select(run.c.id.label("dag_run_id")).where(bulk_runs)),
    ]
    analyze = "ANALYZE TABLE {}" if dialect == "mysql" else "ANALYZE {}"
    for table, source in steps:
        with engine.begin() as connection:
            counts[table.name] += bulk_insert(connection, table, source)
        with engine.begin() as connection:  # planner statistics, as a live database has them
            connection.execute(sa.text(analyze.format(table.name)))
    return dict(counts)


def airfleet_purge(engine: sa.Engine, batch_size: int) -> dict[str, Any]:
    from airfleet.purge import command

    started = time.perf_counter()
    found = command.survey(engine, [DAG], include_logs=False)
    surveyed = time.perf_counter()
    report = command.purge(engine, found, batch_size, progress=lambda line: print(line, file=sys.stderr))
    transactions = sorted(seconds for result in report.results for seconds in result.transactions)
    return {"rows": report.rows, "total_seconds": round(time.perf_counter() - started, 2),
            "survey_seconds": round(surveyed - started, 2), "delete_seconds": round(report.seconds, 2),
            "transactions": len(transactions), "longest_transaction_seconds": round(transactions[-1], 3),
            "transaction_p50_seconds": round(transactions[len(transactions) // 2], 3),
            "transaction_p99_seconds": round(transactions[int(len(transactions) * 0.99)], 3),
            "transactions_over_1s": sum(1 for seconds in transactions if seconds > 1),
            "slowest_tables": {r.step.table.name: round(r.seconds, 2)
                               for r in sorted(report.results, key=lambda r: -r.seconds)[:5]}}


def airflow_delete(env: dict[str, str]) -> dict[str, Any]:
    """`airflow dags delete -y`: one transaction; its CLI start-up is measured on a missing DAG."""
    def timed(dag_id: str) -> tuple[float, subprocess.CompletedProcess[str]]:
        started = time.perf_counter()
        result = subprocess.run([sys.executable, "-m", "airflow", "dags", "delete", "-y", dag_id], env=env,
                                capture_output=True, text=True)
        return time.perf_counter() - started, result

    startup, _ = timed("bench_no_such_dag")
    seconds, result = timed(DAG)
    if result.returncode:
        raise RuntimeError(f"airflow dags delete failed:\n{result.stderr[-3000:]}")
    return {"cli_seconds": round(seconds, 2), "cli_startup_seconds": round(startup, 2),
            "delete_seconds": round(seconds - startup, 2), "longest_transaction_seconds": round(seconds - startup, 2)}


def left_behind(engine: sa.Engine) -> dict[str, int]:
    """What a purge would still find after `airflow dags delete` (rows per table)."""
    from airfleet.purge import command

    found = command.survey(engine, [DAG], include_logs=False)
    return {count.table: count.delete + count.detach for count in found.counts if count.delete or count.detach}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dialect", choices=("mysql", "postgresql"), default="mysql")
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--mapped", type=int, default=1000, help="mapped task instances per run")
    parser.add_argument("--batch-size", type=int, default=5000)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="airfleet-purge-bench-"))
    database = databases.start_mysql(fast=False) if args.dialect == "mysql" else databases.start_postgres(fast=False)
    try:
        databases.wait_ready(database)
        databases.migrate(database, home)
        env = {**os.environ, "AIRFLOW_HOME": str(home), "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": database.url,
               "AIRFLOW__CORE__LOAD_EXAMPLES": "False"}
        os.environ.update(env)  # for the Airflow config the purge reads (bundles)
        engine = database.engine()
        with engine.begin() as connection:
            metadata = sa.MetaData()
            metadata.reflect(connection)
            purge_data.fill_dag(connection, metadata, BYSTANDER, home / "dags")
        started = time.perf_counter()
        rows = build(engine, args.runs, args.mapped, home / "dags")
        build_seconds = time.perf_counter() - started
        load = {"before_purge": os.getloadavg()[0]}
        purge = airfleet_purge(engine, args.batch_size)
        load["after_purge"] = os.getloadavg()[0]
        build(engine, args.runs, args.mapped, home / "dags")
        load["before_delete"] = os.getloadavg()[0]
        delete = airflow_delete(env)
        load["after_delete"] = os.getloadavg()[0]
        figures = {"dialect": args.dialect, "task_instances": rows["task_instance"], "rows": sum(rows.values()),
                   "rows_per_table": rows, "build_seconds": round(build_seconds, 1), "batch_size": args.batch_size,
                   "airfleet_purge": purge, "airflow_dags_delete": delete,
                   "purge_total_vs_delete": round(purge["total_seconds"] / max(delete["delete_seconds"], 0.01), 2),
                   "left_behind_by_airflow_dags_delete": left_behind(engine),
                   "host_load_average_1min": load, "host_cpus": os.cpu_count()}
        engine.dispose()
        print(json.dumps(figures, indent=2))
    finally:
        database.remove()
    return 0


if __name__ == "__main__":
    sys.exit(main())
