"""The Cluster page's data as JSON: DB rows and worker replies put together, every time in the
requested zone. Pure functions, so the shapes and times are tested without a cluster."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from airfleet.ui.runs import DagRow, TaskRow
from airfleet.ui.workers import Worker
from airfleet.ui.zones import describe, stamp


def node_host(node: str) -> str:
    """The host part of a Celery node name (`celery@host` -> `host`)."""
    return node.partition("@")[2] or node


def log_path(task: TaskRow) -> str:
    """The task instance's page (its log) in the Airflow UI, relative to the UI's base URL."""
    segments = ["dags", task.dag_id, "runs", task.run_id, "tasks", task.task_id]
    if task.map_index >= 0:
        segments += ["mapped", str(task.map_index)]
    return "/".join(quote(segment, safe="") for segment in segments)


def flower_worker_url(flower_url: str | None, node: str) -> str | None:
    return f"{flower_url.rstrip('/')}/worker/{quote(node, safe='@')}" if flower_url else None


def task_json(task: TaskRow, worker: str | None, zone: ZoneInfo) -> dict[str, Any]:
    return {
        "dag_id": task.dag_id, "run_id": task.run_id, "task_id": task.task_id, "map_index": task.map_index,
        "try_number": task.try_number, "state": task.state, "queue": task.queue, "host": task.host,
        "worker": worker, "start": stamp(task.start_date, zone), "log": log_path(task),
    }


def dag_json(dag: DagRow, zone: ZoneInfo) -> dict[str, Any]:
    run = dag.last_run
    return {
        "dag_id": dag.dag_id, "paused": dag.paused, "schedule": dag.schedule,
        "last_run": None if run is None else {
            "run_id": run.run_id, "state": run.state, "run_after": stamp(run.run_after, zone),
            "start": stamp(run.start_date, zone), "end": stamp(run.end_date, zone),
        },
        "next_run": stamp(dag.next_run, zone),
    }


def worker_json(worker: Worker, hosts: Counter[str], visible: dict[str, TaskRow],
                flower_url: str | None) -> dict[str, Any]:
    """`hosts`: hostnames its running tasks recorded; `visible`: the tasks the user may see."""
    tasks = [visible[celery_id] for celery_id in worker.reply.active if celery_id in visible]
    return {
        "node": worker.node,
        # The hostname Airflow records for its tasks (what the api-server fetches logs from), when
        # it runs any; else the host in its node name.
        "hostname": hosts.most_common(1)[0][0] if hosts else node_host(worker.node),
        "answering": worker.answering,
        "queues": list(worker.reply.queues),
        "running": len(worker.reply.active),
        "concurrency": worker.reply.concurrency,
        "tasks": [{"dag_id": t.dag_id, "task_id": t.task_id, "run_id": t.run_id, "map_index": t.map_index,
                   "log": log_path(t)} for t in tasks],
        "heartbeat_age": None if worker.heartbeat_age is None else round(worker.heartbeat_age, 1),
        "flower": flower_worker_url(flower_url, worker.node),
    }


def cluster(*, dags: Sequence[DagRow], tasks: Sequence[TaskRow], tasks_total: int, workers: Sequence[Worker],
            workers_error: str | None, zone: ZoneInfo, cluster_zone: ZoneInfo, now: datetime,
            flower_url: str | None) -> dict[str, Any]:
    by_celery_id = {t.celery_id: t for t in tasks if t.celery_id}
    worker_of = {celery_id: w.node for w in workers for celery_id in w.reply.active}
    hosts: dict[str, Counter[str]] = {w.node: Counter() for w in workers}
    for celery_id, node in worker_of.items():
        task = by_celery_id.get(celery_id)
        if task is not None and task.host and task.state == "running":
            hosts[node][task.host] += 1
    return {
        "now": stamp(now, zone),
        "zone": describe(zone, now),
        "cluster_zone": describe(cluster_zone, now),
        "flower_url": flower_url,
        "workers": [worker_json(w, hosts[w.node], by_celery_id, flower_url) for w in workers],
        "workers_error": workers_error,
        "dags": [dag_json(d, zone) for d in dags],
        "tasks": [task_json(t, worker_of.get(t.celery_id or ""), zone) for t in tasks],
        "tasks_total": tasks_total,
    }
