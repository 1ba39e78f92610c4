"""The purge plan's rules on a small schema of Airflow's shape, its SQL script, log directory and
batch sizing, without a database."""

from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import mysql, postgresql

from airfleet.purge import batches, logfiles, script
from airfleet.purge.plan import PurgeError, build_plan

DEFAULT_TEMPLATE = ("dag_id={{ ti.dag_id }}/run_id={{ ti.run_id }}/task_id={{ ti.task_id }}/"
                    "{% if ti.map_index >= 0 %}map_index={{ ti.map_index }}/{% endif %}"
                    "attempt={{ try_number|default(ti.try_number) }}.log")


def schema() -> sa.MetaData:
    md = sa.MetaData()
    sa.Table("dag", md, sa.Column("dag_id", sa.String(250), primary_key=True))
    sa.Table("dag_run", md, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("dag_id", sa.String(250), nullable=False), sa.Column("run_id", sa.String(250), nullable=False),
             sa.UniqueConstraint("dag_id", "run_id"))
    sa.Table("task_instance", md, sa.Column("id", sa.String(32), primary_key=True),
             sa.Column("dag_id", sa.String(250), nullable=False), sa.Column("run_id", sa.String(250), nullable=False),
             sa.ForeignKeyConstraint(["dag_id", "run_id"], ["dag_run.dag_id", "dag_run.run_id"], ondelete="CASCADE"))
    sa.Table("task_note", md, sa.Column("ti_id", sa.String(32), sa.ForeignKey("task_instance.id", ondelete="CASCADE"),
                                        primary_key=True))
    sa.Table("serialized_dag", md, sa.Column("id", sa.String(32), primary_key=True),
             sa.Column("dag_id", sa.String(250), nullable=False))
    sa.Table("alert", md, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("serialized_dag_id", sa.String(32), sa.ForeignKey("serialized_dag.id"), nullable=False))
    sa.Table("deadline", md, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("dagrun_id", sa.Integer, sa.ForeignKey("dag_run.id", ondelete="CASCADE")),
             sa.Column("alert_id", sa.Integer, sa.ForeignKey("alert.id", ondelete="SET NULL")))
    sa.Table("event", md, sa.Column("id", sa.Integer, primary_key=True), sa.Column("source_dag_id", sa.String(250)),
             sa.Column("source_run_id", sa.String(250)), sa.Column("uri", sa.String(250), nullable=False))
    sa.Table("log", md, sa.Column("id", sa.Integer, primary_key=True), sa.Column("dag_id", sa.String(250)))
    sa.Table("pool", md, sa.Column("id", sa.Integer, primary_key=True), sa.Column("name", sa.String(50)))
    return md


def described(plan) -> list[tuple[str, str, str, list[str]]]:
    return [(s.table.name, s.action, s.reason, [c.name for c in s.columns]) for s in plan.steps]


def test_tables_are_found_by_dag_columns_and_foreign_keys_children_first():
    steps = described(build_plan(schema(), ["etl"]))
    tables = [name for name, *_ in steps]
    assert "pool" not in tables
    for child, parent in (("task_note", "task_instance"), ("task_instance", "dag_run"), ("deadline", "dag_run"),
                          ("deadline", "alert"), ("alert", "serialized_dag")):
        assert tables.index(child) < tables.index(parent), f"{child} must come before {parent}"
    assert ("task_note", "delete", "via task_instance (ti_id)", []) in steps
    assert ("alert", "delete", "via serialized_dag (serialized_dag_id)", []) in steps
    assert ("log", "delete", "by dag_id", []) in steps


def test_a_foreign_key_that_carries_the_dag_id_is_not_followed_again():
    steps = described(build_plan(schema(), ["etl"]))
    assert [s for s in steps if s[0] == "task_instance"] == [("task_instance", "delete", "by dag_id", [])]


def test_role_columns_and_set_null_keys_detach_instead_of_deleting():
    steps = described(build_plan(schema(), ["etl"]))
    assert ("event", "detach", "by source_dag_id", ["source_dag_id", "source_run_id"]) in steps
    assert ("deadline", "detach", "via alert (alert_id)", ["alert_id"]) in steps
    assert ("deadline", "delete", "via dag_run (dagrun_id)", []) in steps


def test_a_foreign_key_cycle_is_refused_by_name():
    md = schema()
    sa.Table("a", md, sa.Column("id", sa.Integer, primary_key=True), sa.Column("dag_id", sa.String(250)),
             sa.Column("b_id", sa.Integer, sa.ForeignKey("b.id")))
    sa.Table("b", md, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("a_id", sa.Integer, sa.ForeignKey("a.id")))
    with pytest.raises(PurgeError, match="cycle"):
        build_plan(md, ["etl"])


@pytest.mark.parametrize("dialect, expected", [
    (mysql.dialect(), ["CREATE PROCEDURE airfleet_purge()", "DELETE FROM task_note WHERE", "LIMIT 100;",
                       "UNTIL n < 100 END REPEAT;", "CALL airfleet_purge();", "DROP PROCEDURE airfleet_purge;"]),
    (postgresql.dialect(), ["DO $$", "LIMIT 100)", "COMMIT;", "EXIT WHEN n < 100;"]),
])
def test_sql_script_batches_every_step_in_the_dialect(dialect, expected):
    plan = build_plan(schema(), ["etl"])
    text = script.render(plan, dialect, 100, before=[], after=[], notes=["a note"])
    assert text.startswith(f"-- airfleet dags purge etl: {dialect.name}")
    assert "-- a note" in text and "'etl'" in text
    for fragment in expected:
        assert fragment in text
    assert text.count("-- task_note: delete rows via task_instance (ti_id)") == 1


def test_log_directory_comes_from_the_template(tmp_path: Path):
    assert logfiles.dag_log_dir(tmp_path, DEFAULT_TEMPLATE, "etl") == (tmp_path / "dag_id=etl").resolve()
    with pytest.raises(PurgeError, match="one directory per DAG"):
        logfiles.dag_log_dir(tmp_path, "{{ ti.run_id }}/{{ ti.dag_id }}.log", "etl")


def test_batches_shrink_when_slow_and_grow_back_to_the_limit():
    size = batches.BatchSize(limit=5000, target=0.5)
    assert size.size == batches.FIRST_BATCH
    size.after(1000, 2.0)  # four times the target: a quarter as many rows
    assert size.size == 250
    size.after(250, 0.1)
    assert size.size == 500
    for _ in range(10):
        size.after(size.size, 0.01)
    assert size.size == 5000
    assert batches.BatchSize(limit=3).size == 3
