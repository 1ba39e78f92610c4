"""The Cluster page's data for a known state in a real MySQL metadata DB migrated by Airflow:
each DAG's last and next run, running and deferred task instances with their hosts, only readable
DAGs, and every time shown with the offset of its own instant across New York's DST change."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from airfleet.ui import app as ui_app
from airfleet.ui import runs
from airfleet.ui.workers import Worker, WorkerReply
from tests.support import databases, images
from tests.support.purge_data import BUNDLE, Filler, ensure_bundle, new_id

pytestmark = pytest.mark.integration


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    images.docker_or_skip()
    database = databases.migrated("mysql", tmp_path_factory.mktemp("airflow-home-ui"))
    try:
        # As Airflow's own engine does: TIMESTAMP columns read and written in UTC.
        engine = sa.create_engine(database.url, connect_args={"init_command": "SET time_zone = '+00:00'"})
        yield engine
        engine.dispose()
    finally:
        database.remove()


@pytest.fixture(scope="module")
def state(engine):
    """Three DAGs of one suffix: `etl` (runs and tasks), `new` (never ran), `stale` (file gone);
    and `hidden`, which the user may not read, with a running task of its own."""
    suffix = uuid.uuid4().hex[:6]
    ids = {name: f"ui_{name}_{suffix}" for name in ("etl", "new", "stale", "hidden")}
    with engine.begin() as connection:
        metadata = sa.MetaData()
        metadata.reflect(connection)
        ensure_bundle(connection, metadata)
        f = Filler(connection, metadata)
        tables = metadata.tables
        for name, dag_id in ids.items():
            f.add("dag", dag_id=dag_id, bundle_name=BUNDLE, fileloc=f"/dags/{dag_id}.py",
                  relative_fileloc=f"{dag_id}.py",
                  is_paused=name == "new", is_stale=name == "stale", timetable_summary="0 2 * * *",
                  next_dagrun_create_after=utc(9, 7) if name == "etl" else None)
        etl, hidden = ids["etl"], ids["hidden"]
        f.add("dag_run", dag_id=etl, run_id="scheduled_1", run_type="scheduled", state="success", run_after=utc(7, 7),
              start_date=utc(7, 7, 1), end_date=utc(7, 7, 5))
        f.add("dag_run", dag_id=etl, run_id="scheduled_2", run_type="scheduled", state="running",
              run_after=utc(8, 6, 30), start_date=utc(8, 6, 31))
        f.add("dag_run", dag_id=hidden, run_id="manual_1", run_type="manual", state="running", run_after=utc(8, 6))
        triggerer = f.add("job", job_type="TriggererJob", state="running", hostname="10.0.0.5",
                          latest_heartbeat=utc(8, 12))
        picked_up = f.add("trigger", classpath="airflow.triggers.temporal.DateTimeTrigger", kwargs="{}",
                          created_date=utc(8, 7, 20), triggerer_id=triggerer)
        waiting = f.add("trigger", classpath="airflow.triggers.temporal.DateTimeTrigger", kwargs="{}",
                        created_date=utc(8, 7, 25), triggerer_id=None)

        def ti(dag_id: str, run_id: str, task_id: str, state: str, start: datetime, **extra) -> None:
            f.add("task_instance", id=new_id(tables["task_instance"].c.id), dag_id=dag_id, run_id=run_id,
                  task_id=task_id, state=state, start_date=start, try_number=1, pool="default_pool", queue="default",
                  **extra)

        ti(etl, "scheduled_2", "load", "running", utc(8, 6, 45), hostname="10.0.0.9", external_executor_id="c-1")
        ti(etl, "scheduled_2", "split", "running", utc(8, 7, 15), map_index=2, hostname="10.0.0.9",
           external_executor_id="c-2")
        ti(etl, "scheduled_2", "wait", "deferred", utc(8, 7, 20), hostname="10.0.0.9", trigger_id=picked_up,
           external_executor_id="c-3")
        ti(etl, "scheduled_2", "wait_more", "deferred", utc(8, 7, 25), hostname="10.0.0.9", trigger_id=waiting)
        ti(etl, "scheduled_2", "extract", "success", utc(8, 6, 31), hostname="10.0.0.9")
        ti(hidden, "manual_1", "secret", "running", utc(8, 6, 1), hostname="10.0.0.7", external_executor_id="c-9")
    return ids


def readable(state) -> set[str]:
    return {state["etl"], state["new"], state["stale"]}


def test_last_and_next_runs_of_readable_live_dags(engine, state):
    with Session(engine) as session:
        found = {d.dag_id: d for d in runs.dags(session, readable(state))}
    assert set(found) == {state["etl"], state["new"]}
    etl = found[state["etl"]]
    assert etl.last_run is not None
    assert (etl.last_run.run_id, etl.last_run.state, etl.last_run.start_date, etl.last_run.end_date) == (
        "scheduled_2", "running", utc(8, 6, 31), None)
    assert (etl.next_run, etl.paused, etl.schedule) == (utc(9, 7), False, "0 2 * * *")
    assert (found[state["new"]].last_run, found[state["new"]].paused) == (None, True)


def test_running_and_deferred_tasks_with_their_hosts(engine, state):
    with Session(engine) as session:
        tasks, total = runs.tasks(session, readable(state))
    assert total == 4
    assert [(t.task_id, t.map_index, t.state, t.host, t.celery_id) for t in tasks] == [
        ("load", -1, "running", "10.0.0.9", "c-1"),
        ("split", 2, "running", "10.0.0.9", "c-2"),
        ("wait", -1, "deferred", "10.0.0.5", "c-3"),  # on the triggerer that picked its trigger up
        ("wait_more", -1, "deferred", None, None),  # no triggerer yet
    ]
    assert tasks[0].start_date == utc(8, 6, 45)


def test_the_task_list_is_capped_but_counted(engine, state):
    with Session(engine) as session:
        tasks, total = runs.tasks(session, readable(state), limit=2)
    assert (len(tasks), total) == (2, 4)


class OneWorker:
    def workers(self):
        reply = WorkerReply(queues=("default",), active=("c-1", "c-2", "c-9"), concurrency=16)
        return [Worker(node="celery@3f2a1b4c5d6e", answering=True, reply=reply, heartbeat_age=1.0)], None


@pytest.fixture
def client(engine, state, monkeypatch):
    def session():
        with Session(engine) as session:
            yield session

    monkeypatch.setenv("AIRFLOW_UI_TIMEZONE", "Asia/Shanghai")
    app = ui_app.create_app()
    app.dependency_overrides = {
        ui_app.current_user: lambda: "viewer",
        ui_app.get_session: session,
        ui_app.readable_dag_ids: lambda: readable(state),
        ui_app.worker_source: OneWorker,
    }
    return TestClient(app)


def shown(stamp: dict) -> tuple[str, str]:
    return stamp["local"], stamp["offset"]


def test_the_endpoint_in_new_york_across_the_dst_change(client, state):
    data = client.get("/api/cluster", params={"tz": "America/New_York"}).json()
    assert data["cluster_zone"]["name"] == "Asia/Shanghai"
    tasks = {t["task_id"]: t for t in data["tasks"]}
    assert shown(tasks["load"]["start"]) == ("2026-03-08 01:45:00", "-05:00")  # before 07:00 UTC: EST
    assert shown(tasks["split"]["start"]) == ("2026-03-08 03:15:00", "-04:00")  # after: EDT
    assert (tasks["load"]["worker"], tasks["split"]["worker"], tasks["wait"]["worker"]) == (
        "celery@3f2a1b4c5d6e", "celery@3f2a1b4c5d6e", None)
    assert tasks["split"]["log"] == f"dags/{state['etl']}/runs/scheduled_2/tasks/split/mapped/2"
    etl = next(d for d in data["dags"] if d["dag_id"] == state["etl"])
    assert shown(etl["last_run"]["start"]) == ("2026-03-08 01:31:00", "-05:00")
    assert shown(etl["next_run"]) == ("2026-03-09 03:00:00", "-04:00")
    (worker,) = data["workers"]
    assert worker["hostname"] == "10.0.0.9"
    assert worker["running"] == 3  # its task of the unreadable DAG counts, unnamed
    assert [t["task_id"] for t in worker["tasks"]] == ["load", "split"]


def test_the_endpoint_in_the_cluster_zone(client, state):
    data = client.get("/api/cluster").json()
    assert data["zone"] == {"name": "Asia/Shanghai", "offset": "+08:00", "abbreviation": "CST"}
    starts = [shown(t["start"]) for t in data["tasks"]]
    assert starts == [("2026-03-08 14:45:00", "+08:00"), ("2026-03-08 15:15:00", "+08:00"),
                      ("2026-03-08 15:20:00", "+08:00"), ("2026-03-08 15:25:00", "+08:00")]
    assert state["hidden"] not in {d["dag_id"] for d in data["dags"]}
