"""What the metadata DB says: each DAG's last and next run, and the task instances that are
running or deferred, with the host each runs on. Read through Airflow's ORM with the caller's
session, limited to the DAGs the user may read."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

MAX_TASKS = 500  # a page, not a report: the rest is counted


@dataclass(frozen=True)
class LastRun:
    run_id: str
    state: str | None
    run_after: datetime
    start_date: datetime | None
    end_date: datetime | None


@dataclass(frozen=True)
class DagRow:
    dag_id: str
    paused: bool
    schedule: str | None
    last_run: LastRun | None
    next_run: datetime | None  # when the scheduler will create the next run


@dataclass(frozen=True)
class TaskRow:
    dag_id: str
    run_id: str
    task_id: str
    map_index: int
    try_number: int
    state: str
    start_date: datetime | None
    queue: str | None
    # Where it runs: the worker's hostname while running; the triggerer's while deferred (None
    # until a triggerer picks the trigger up).
    host: str | None
    celery_id: str | None  # the Celery task id (external_executor_id), to find its worker


def dags(session: Session, readable: Collection[str]) -> list[DagRow]:
    from airflow.models.dag import DagModel
    from airflow.models.dagrun import DagRun

    # The latest run of every DAG, by when it was due (what Airflow's own UI calls the latest run).
    order = func.row_number().over(partition_by=DagRun.dag_id, order_by=(DagRun.run_after.desc(), DagRun.id.desc()))
    ranked = (
        select(DagRun.dag_id, DagRun.run_id, DagRun.state.label("state"), DagRun.run_after, DagRun.start_date,
               DagRun.end_date, order.label("rank"))
        .where(DagRun.dag_id.in_(readable))
        .subquery()
    )
    rows = session.execute(
        select(DagModel.dag_id, DagModel.is_paused, DagModel.timetable_summary, DagModel.next_dagrun_create_after,
               ranked.c.run_id, ranked.c.state, ranked.c.run_after, ranked.c.start_date, ranked.c.end_date)
        .outerjoin(ranked, (ranked.c.dag_id == DagModel.dag_id) & (ranked.c.rank == 1))
        .where(DagModel.is_stale.is_(False), DagModel.dag_id.in_(readable))
        .order_by(DagModel.dag_id)
    ).all()
    return [
        DagRow(
            dag_id=row.dag_id, paused=bool(row.is_paused), schedule=row.timetable_summary,
            last_run=(LastRun(row.run_id, row.state, row.run_after, row.start_date, row.end_date)
                      if row.run_id else None),
            next_run=row.next_dagrun_create_after,
        )
        for row in rows
    ]


def tasks(session: Session, readable: Collection[str], limit: int = MAX_TASKS) -> tuple[list[TaskRow], int]:
    """Running and deferred task instances, oldest first (at most `limit`), and how many there are."""
    from airflow.jobs.job import Job
    from airflow.models.taskinstance import TaskInstance as TI
    from airflow.models.trigger import Trigger
    from airflow.utils.state import TaskInstanceState

    states = (TaskInstanceState.RUNNING.value, TaskInstanceState.DEFERRED.value)
    where = (TI.state.in_(states), TI.dag_id.in_(readable))
    total = session.scalar(select(func.count()).select_from(TI).where(*where)) or 0
    rows = session.execute(
        select(TI.dag_id, TI.run_id, TI.task_id, TI.map_index, TI.try_number, TI.state, TI.start_date, TI.queue,
               TI.hostname, TI.external_executor_id, Job.hostname.label("triggerer_host"))
        .outerjoin(Trigger, Trigger.id == TI.trigger_id)
        .outerjoin(Job, Job.id == Trigger.triggerer_id)
        .where(*where)
        .order_by(TI.start_date, TI.dag_id, TI.task_id, TI.map_index)
        .limit(limit)
    ).all()
    return [
        TaskRow(
            dag_id=row.dag_id, run_id=row.run_id, task_id=row.task_id, map_index=row.map_index,
            try_number=row.try_number, state=row.state, start_date=row.start_date, queue=row.queue,
            host=row.triggerer_host if row.state == TaskInstanceState.DEFERRED.value else row.hostname,
            celery_id=row.external_executor_id,
        )
        for row in rows
    ], total
