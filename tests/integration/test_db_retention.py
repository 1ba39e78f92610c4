"""Metadata retention: the scheduler's daily `airflow db clean` (airfleet.retention) on a real,
migrated MySQL removes DAG runs older than AIRFLEET_DB_RETENTION_DAYS and keeps recent ones."""

from __future__ import annotations

import os
import subprocess
import time
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from airfleet.retention import db_clean_command
from tests.support import databases, images, purge_data

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def database(tmp_path_factory):
    images.docker_or_skip()
    database = databases.migrated("mysql", tmp_path_factory.mktemp("airflow-home-retention"))
    yield database
    database.remove()


def runs(database, dag_id: str) -> int:
    engine = database.engine()
    with engine.connect() as connection:
        dag_run = sa.Table("dag_run", sa.MetaData(), autoload_with=connection)
        count = connection.execute(sa.select(sa.func.count()).where(dag_run.c.dag_id == dag_id)).scalar_one()
    engine.dispose()
    return count


def test_old_runs_go_and_recent_ones_stay(database, tmp_path):
    engine = database.engine()
    with engine.begin() as connection:
        metadata = sa.MetaData()
        metadata.reflect(connection)
        for dag_id in ("retention_old", "retention_recent"):
            purge_data.fill_dag(connection, metadata, dag_id, tmp_path)  # runs dated 2026-01-01
        dag_run = metadata.tables["dag_run"]
        now = datetime.now(UTC)
        connection.execute(sa.update(dag_run).where(dag_run.c.dag_id == "retention_recent")
                           .values(start_date=now, logical_date=None, run_after=now))
        connection.execute(sa.update(dag_run).where(dag_run.c.dag_id == "retention_old")
                           .values(start_date=datetime(2025, 6, 1, tzinfo=UTC)))
    engine.dispose()
    old, recent = runs(database, "retention_old"), runs(database, "retention_recent")
    env = {**os.environ, "AIRFLOW_HOME": str(tmp_path), "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": database.url,
           "AIRFLOW__CORE__LOAD_EXAMPLES": "False"}
    result = subprocess.run(db_clean_command(90, time.time()), env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert runs(database, "retention_old") < old
    assert runs(database, "retention_recent") == recent
