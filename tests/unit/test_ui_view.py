"""The Cluster page's JSON for a known state: which worker runs what on which host, log links,
Flower links, and every time in the requested zone with the offset of its own instant."""

from __future__ import annotations

from datetime import UTC, datetime

from airfleet.ui import view
from airfleet.ui.runs import DagRow, LastRun, TaskRow
from airfleet.ui.workers import Worker, WorkerReply
from airfleet.ui.zones import get_zone

NOW = datetime(2026, 3, 8, 12, 0, tzinfo=UTC)  # New York has been on EDT since 07:00 UTC
BEFORE_DST = datetime(2026, 3, 8, 6, 30, tzinfo=UTC)
AFTER_DST = datetime(2026, 3, 8, 7, 30, tzinfo=UTC)
RUN_ID = "manual__2026-03-08T06:30:00+00:00"

RUNNING = TaskRow(dag_id="etl", run_id=RUN_ID, task_id="load", map_index=-1, try_number=1, state="running",
                  start_date=BEFORE_DST, queue="default", host="10.0.0.9", celery_id="c-1")
MAPPED = TaskRow(dag_id="etl", run_id=RUN_ID, task_id="split", map_index=3, try_number=2, state="running",
                 start_date=AFTER_DST, queue="default", host="10.0.0.9", celery_id="c-2")
DEFERRED = TaskRow(dag_id="etl", run_id=RUN_ID, task_id="wait", map_index=-1, try_number=1, state="deferred",
                   start_date=AFTER_DST, queue="default", host="10.0.0.5", celery_id="c-0")
WAITING = TaskRow(dag_id="etl", run_id=RUN_ID, task_id="wait2", map_index=-1, try_number=1, state="deferred",
                  start_date=AFTER_DST, queue="default", host=None, celery_id="c-00")
DAG = DagRow(dag_id="etl", paused=False, schedule="0 2 * * *",
             last_run=LastRun(RUN_ID, "running", BEFORE_DST, BEFORE_DST, None),
             next_run=datetime(2026, 3, 9, 6, 0, tzinfo=UTC))
NEVER_RUN = DagRow(dag_id="new", paused=True, schedule=None, last_run=None, next_run=None)
BUSY = Worker(node="celery@3f2a1b4c5d6e", answering=True, heartbeat_age=1.26,
              reply=WorkerReply(queues=("default",), active=("c-1", "c-2", "c-unreadable"), concurrency=16))
IDLE = Worker(node="celery@etl1@airfleet-worker-etl1", answering=True, heartbeat_age=None,
              reply=WorkerReply(queues=("etl",)))


def page(zone: str = "America/New_York", **overrides) -> dict:
    arguments = dict(dags=[DAG, NEVER_RUN], tasks=[RUNNING, MAPPED, DEFERRED, WAITING], tasks_total=4,
                     workers=[BUSY, IDLE], workers_error=None, zone=get_zone(zone), cluster_zone=get_zone("UTC"),
                     now=NOW, flower_url="http://127.0.0.1:5555")
    return view.cluster(**{**arguments, **overrides})


def test_zones_name_the_shown_zone_and_the_cluster_zone_with_offsets_now():
    data = page()
    assert data["zone"] == {"name": "America/New_York", "offset": "-04:00", "abbreviation": "EDT"}
    assert data["cluster_zone"] == {"name": "UTC", "offset": "+00:00", "abbreviation": "UTC"}
    assert data["now"]["local"] == "2026-03-08 08:00:00"


def test_each_time_carries_the_offset_of_its_own_instant_across_the_dst_change():
    data = page()
    starts = {t["task_id"]: (t["start"]["local"], t["start"]["offset"]) for t in data["tasks"]}
    assert starts["load"] == ("2026-03-08 01:30:00", "-05:00")
    assert starts["split"] == ("2026-03-08 03:30:00", "-04:00")
    etl = data["dags"][0]
    assert (etl["last_run"]["start"]["local"], etl["last_run"]["start"]["offset"]) == ("2026-03-08 01:30:00", "-05:00")
    assert etl["last_run"]["end"] is None
    assert (etl["next_run"]["local"], etl["next_run"]["offset"]) == ("2026-03-09 02:00:00", "-04:00")


def test_the_same_state_in_shanghai():
    data = page("Asia/Shanghai")
    assert [t["start"]["local"] for t in data["tasks"][:2]] == ["2026-03-08 14:30:00", "2026-03-08 15:30:00"]
    assert {t["start"]["offset"] for t in data["tasks"]} == {"+08:00"}


def test_tasks_show_their_host_and_the_worker_running_them():
    tasks = {t["task_id"]: t for t in page()["tasks"]}
    assert (tasks["load"]["host"], tasks["load"]["worker"]) == ("10.0.0.9", "celery@3f2a1b4c5d6e")
    assert tasks["split"]["map_index"] == 3 and tasks["split"]["worker"] == "celery@3f2a1b4c5d6e"
    # Deferred: the trigger runs on the triggerer's host, not on a worker.
    assert (tasks["wait"]["host"], tasks["wait"]["worker"]) == ("10.0.0.5", None)
    assert tasks["wait2"]["host"] is None


def test_log_links_point_at_the_task_instance_page_with_every_segment_escaped():
    tasks = {t["task_id"]: t for t in page()["tasks"]}
    run = "manual__2026-03-08T06%3A30%3A00%2B00%3A00"
    assert tasks["load"]["log"] == f"dags/etl/runs/{run}/tasks/load"
    assert tasks["split"]["log"] == f"dags/etl/runs/{run}/tasks/split/mapped/3"


def test_workers_show_the_hostname_their_tasks_record_else_their_node_host():
    busy, idle = page()["workers"]
    assert busy["hostname"] == "10.0.0.9"
    assert idle["hostname"] == "etl1@airfleet-worker-etl1"
    assert (busy["running"], busy["concurrency"], busy["queues"]) == (3, 16, ["default"])
    # Only tasks of readable DAGs are named; the count includes the rest.
    assert [(t["task_id"], t["map_index"]) for t in busy["tasks"]] == [("load", -1), ("split", 3)]
    assert (busy["heartbeat_age"], idle["heartbeat_age"]) == (1.3, None)


def test_flower_links_per_worker():
    busy, _ = page()["workers"]
    assert busy["flower"] == "http://127.0.0.1:5555/worker/celery@3f2a1b4c5d6e"
    assert page(flower_url=None)["workers"][0]["flower"] is None


def test_a_dag_that_never_ran():
    new = page()["dags"][1]
    assert new == {"dag_id": "new", "paused": True, "schedule": None, "last_run": None, "next_run": None}
