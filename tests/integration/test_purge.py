"""`airfleet dags purge` on real MySQL and PostgreSQL servers with schemas migrated by Airflow.

Each test fills two DAGs of its own (a victim and a bystander whose runs consumed the victim's
asset events) in one shared database per dialect, purges the victim, and checks the whole
database by reflection: nothing points at the victim, the bystander is untouched.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from airfleet import cli
from tests.support import databases, images, purge_data

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module", params=["mysql", "postgresql"])
def database(request, tmp_path_factory):
    images.docker_or_skip()
    database = databases.migrated(request.param, tmp_path_factory.mktemp(f"airflow-home-{request.param}"))
    yield database
    database.remove()


@pytest.fixture
def airflow_env(tmp_path, monkeypatch):
    """This host's Airflow config for the command: a local bundle and a logs folder of the test's own."""
    dags, logs = tmp_path / "dags", tmp_path / "logs"
    dags.mkdir()
    logs.mkdir()
    bundles = [{"name": purge_data.BUNDLE, "classpath": "airflow.dag_processing.bundles.local.LocalDagBundle",
                "kwargs": {"path": str(dags)}}]
    monkeypatch.setenv("AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST", json.dumps(bundles))
    monkeypatch.setenv("AIRFLOW__LOGGING__BASE_LOG_FOLDER", str(logs))
    monkeypatch.setenv("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    return dags, logs


@dataclass
class Dags:
    victim: str
    bystander: str
    victim_rows: Counter[str]
    victim_logs: list[Path]
    bystander_logs: list[Path]


@pytest.fixture
def dags(database, airflow_env) -> Dags:
    dags_folder, logs = airflow_env
    suffix = uuid.uuid4().hex[:8]
    victim, bystander = f"victim_{suffix}", f"bystander_{suffix}"
    engine = database.engine()
    with engine.begin() as connection:
        metadata = sa.MetaData()
        metadata.reflect(connection)
        rows, produced = purge_data.fill_dag(connection, metadata, victim, dags_folder)
        purge_data.fill_dag(connection, metadata, bystander, dags_folder, consumes_from=produced)
    engine.dispose()
    return Dags(victim, bystander, rows, purge_data.write_log_files(logs, victim),
                purge_data.write_log_files(logs, bystander))


def purge(database, capsys, *args: str) -> tuple[int, str, str]:
    code = cli.main(["dags", "purge", *args, "--conn", database.url])
    out, err = capsys.readouterr()
    return code, out, err


@dataclass(frozen=True)
class Snapshot:
    rows: dict[str, int]  # rows per table
    mentions: dict[str, dict[str, int]]  # dag id -> "table.column" -> rows whose string column equals it
    paused: dict[str, bool]


def snapshot(database, *dag_ids: str) -> Snapshot:
    """The whole database as far as these DAGs go, by reflection of every table and string column."""
    engine = database.engine()
    with engine.connect() as connection:
        metadata = sa.MetaData()
        metadata.reflect(connection)
        rows, mentions = {}, {dag_id: {} for dag_id in dag_ids}
        for table in metadata.sorted_tables:
            rows[table.name] = connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
            for column in table.columns:
                if isinstance(column.type, sa.String):
                    for dag_id in dag_ids:
                        found = connection.execute(sa.select(sa.func.count()).where(column == dag_id)).scalar_one()
                        if found:
                            mentions[dag_id][f"{table.name}.{column.name}"] = found
        dag = metadata.tables["dag"]
        query = sa.select(dag.c.dag_id, dag.c.is_paused).where(dag.c.dag_id.in_(dag_ids))
        paused = dict(connection.execute(query).all())
    engine.dispose()
    return Snapshot(rows, mentions, {dag_id: bool(value) for dag_id, value in paused.items()})


def assert_purged(before: Snapshot, after: Snapshot, dags: Dags) -> None:
    assert after.mentions[dags.victim] == {}, "rows still name the purged DAG"
    assert after.mentions[dags.bystander] == before.mentions[dags.bystander]
    for table, count in before.rows.items():
        gone = 0 if table in purge_data.KEPT else dags.victim_rows[table]
        if table == "log":  # the purge's own audit record
            gone -= 1
        assert after.rows[table] == count - gone, f"{table}: {count} rows before, {after.rows[table]} after"


def victim_events(database, dags: Dags) -> list[tuple]:
    """(source_dag_id, source_run_id, source_task_id) of the asset events the victim produced."""
    engine = database.engine()
    with engine.connect() as connection:
        metadata = sa.MetaData()
        metadata.reflect(connection, only=["asset", "asset_event"])
        asset, event = metadata.tables["asset"], metadata.tables["asset_event"]
        query = (sa.select(event.c.source_dag_id, event.c.source_run_id, event.c.source_task_id)
                 .join(asset, event.c.asset_id == asset.c.id).where(asset.c.name == f"{dags.victim}.table"))
        rows = [tuple(row) for row in connection.execute(query)]
    engine.dispose()
    return rows


def test_purge_removes_every_reference_and_keeps_the_other_dag(database, dags, capsys):
    before = snapshot(database, dags.victim, dags.bystander)
    assert set(before.mentions[dags.victim]) >= {"dag.dag_id", "task_instance.dag_id", "asset_event.source_dag_id",
                                                 "asset_state_store.last_updated_by_dag_id", "log.dag_id"}

    code, out, err = purge(database, capsys, dags.victim, "--yes", "--include-logs", "--batch-size", "3")

    assert code == 0, err
    assert "longest transaction" in out and "task_instance" in out and "removed task log files" in out
    after = snapshot(database, dags.victim, dags.bystander)
    assert_purged(before, after, dags)
    assert victim_events(database, dags) == [(None, None, None)] * purge_data.RUNS
    assert not any(path.exists() for path in dags.victim_logs)
    assert all(path.exists() for path in dags.bystander_logs)

    code, out, _ = purge(database, capsys, dags.victim, "--yes")
    assert code == 0 and "nothing to purge" in out
    assert snapshot(database, dags.victim, dags.bystander) == after


def test_refuses_while_a_task_is_running_queued_or_deferred(database, dags, capsys):
    engine = database.engine()
    with engine.begin() as connection:
        ti = sa.Table("task_instance", sa.MetaData(), autoload_with=connection)
        for map_index, state in ((-1, "running"), (0, "queued"), (1, "deferred")):
            connection.execute(sa.update(ti).where(ti.c.dag_id == dags.victim, ti.c.run_id == "run_1",
                                                   ti.c.map_index == map_index).values(state=state))
    engine.dispose()
    before = snapshot(database, dags.victim, dags.bystander)

    code, _, err = purge(database, capsys, dags.victim, "--yes")

    assert code == 1
    assert "3 task(s)" in err and "run_1 extract: running on worker-1" in err
    assert "load[0]: queued" in err and "load[1]: deferred" in err
    assert snapshot(database, dags.victim, dags.bystander) == before


@pytest.mark.parametrize("state", ["scheduled", "up_for_retry", "up_for_reschedule", "restarting"])
def test_work_waiting_to_run_again_is_in_flight_too_even_when_forced(database, dags, capsys, state):
    engine = database.engine()
    with engine.begin() as connection:
        ti = sa.Table("task_instance", sa.MetaData(), autoload_with=connection)
        connection.execute(sa.update(ti).where(ti.c.dag_id == dags.victim, ti.c.run_id == "run_1",
                                               ti.c.task_id == "extract").values(state=state))
    engine.dispose()
    before = snapshot(database, dags.victim, dags.bystander)

    code, _, err = purge(database, capsys, dags.victim, "--force", "--yes")

    assert code == 1
    assert f"run_1 extract: {state}" in err and "still in flight" in err
    assert snapshot(database, dags.victim, dags.bystander) == before


def test_refuses_while_the_dag_file_is_in_its_bundle_unless_forced(database, dags, airflow_env, capsys):
    dag_file = airflow_env[0] / f"{dags.victim}.py"
    dag_file.write_text("# still deployed\n")
    before = snapshot(database, dags.victim, dags.bystander)

    code, _, err = purge(database, capsys, dags.victim, "--yes")

    assert code == 1
    assert str(dag_file) in err and "--force" in err and "reappear" in err
    assert snapshot(database, dags.victim, dags.bystander) == before

    code, out, err = purge(database, capsys, dags.victim, "--yes", "--force")

    assert code == 0, err
    assert f"{dag_file} is still in bundle" in out and "paused" in out and "reappear" in out
    assert_purged(before, snapshot(database, dags.victim, dags.bystander), dags)


def test_dry_run_prints_counts_and_changes_nothing(database, dags, capsys):
    before = snapshot(database, dags.victim, dags.bystander)

    code, out, _ = purge(database, capsys, dags.victim, "--dry-run", "--include-logs")

    assert code == 0 and "dry run: nothing changed" in out
    counts = {line.split()[0]: line.split()[1:] for line in out.splitlines() if line.startswith("  ")}
    assert counts["task_instance"] == ["8", "0"] and counts["hitl_detail_history"] == ["6", "0"]
    assert counts["asset_event"] == ["0", "2"]
    assert f"dag_id={dags.victim} (16 files" in out
    assert snapshot(database, dags.victim, dags.bystander) == before
    assert all(path.exists() for path in dags.victim_logs)


def test_sql_script_run_by_the_database_client_has_the_same_effect(database, dags):
    before = snapshot(database, dags.victim, dags.bystander)
    command = [sys.executable, "-m", "airfleet", "dags", "purge", dags.victim, "--sql", "--conn", database.url]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"-- airfleet dags purge {dags.victim}: {database.dialect}")
    assert snapshot(database, dags.victim, dags.bystander) == before  # printing it changed nothing

    client = database.run_client(result.stdout)

    assert client.returncode == 0, client.stderr
    assert_purged(before, snapshot(database, dags.victim, dags.bystander), dags)
    assert victim_events(database, dags) == [(None, None, None)] * purge_data.RUNS


def test_unknown_id_names_the_closest_existing_ones(database, dags, capsys):
    code, _, err = purge(database, capsys, dags.victim[:-1] + "x", "--dry-run")

    assert code == 1
    assert f"unknown DAG id '{dags.victim[:-1]}x'" in err and dags.victim in err


def test_declined_confirmation_changes_nothing(database, dags, capsys, monkeypatch):
    before = snapshot(database, dags.victim, dags.bystander)
    monkeypatch.setattr("builtins.input", lambda prompt: "n")

    code, out, _ = purge(database, capsys, dags.victim)

    assert code == 1 and "nothing changed" in out
    assert snapshot(database, dags.victim, dags.bystander) == before


# A shim around the real command: the database server is killed when the second table's batches
# are about to run, as if it stopped mid-purge.
KILL_MID_PURGE = """
import subprocess, sys
from airfleet import cli
from airfleet.purge import batches
container, argv = sys.argv[1], sys.argv[2:]
run_step, steps = batches.Runner._run_step, []
def run_step_then_kill(self, *args, **kwargs):
    steps.append(1)
    if len(steps) == 2:
        subprocess.run(["docker", "kill", container], check=True, capture_output=True)
    return run_step(self, *args, **kwargs)
batches.Runner._run_step = run_step_then_kill
sys.exit(cli.main(argv))
"""


def test_a_server_lost_mid_purge_is_one_error_without_a_traceback(database, dags, airflow_env):
    """Runs last for its database: it kills the server."""
    argv = ["dags", "purge", dags.victim, "--yes", "--force", "--batch-size", "1", "--conn", database.url]
    result = subprocess.run([sys.executable, "-c", KILL_MID_PURGE, database.name, *argv], capture_output=True,
                            text=True, timeout=300, env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    error = [line for line in result.stderr.splitlines() if line.strip() and "[info     ]" not in line]
    assert len(error) <= 2 and error[0].startswith("airfleet: database error at "), result.stderr
    assert "finishes when run again" in result.stderr and databases.PASSWORD not in result.stderr
