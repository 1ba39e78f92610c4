"""What must hold before a purge: the ids are known, no task of theirs is active, and their DAG
files are gone from their bundles (or the DAG would come back at the next parse)."""

from __future__ import annotations

import contextlib
import difflib
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from airflow.utils.state import TaskInstanceState

from airfleet.purge.plan import Plan, delete_columns, detach_columns

# Work in flight: running or about to run again. A purge would drop a pending retry or reschedule.
ACTIVE_STATES = tuple(state.value for state in (
    TaskInstanceState.RUNNING, TaskInstanceState.QUEUED, TaskInstanceState.DEFERRED, TaskInstanceState.SCHEDULED,
    TaskInstanceState.UP_FOR_RETRY, TaskInstanceState.UP_FOR_RESCHEDULE, TaskInstanceState.RESTARTING))


def has_rows(connection: sa.Connection, plan: Plan, dag_id: str) -> bool:
    """Whether any DAG column of any table holds exactly `dag_id` (some MySQL columns compare
    case-insensitively: 'Etl' finding 'etl' there does not make 'Etl' a DAG)."""
    for table in plan.tables():
        for column in delete_columns(table) + detach_columns(table):
            stored = connection.execute(sa.select(column).where(column == dag_id).distinct()).scalars()
            if dag_id in stored:
                return True
    return False


def closest_ids(connection: sa.Connection, metadata: sa.MetaData, dag_id: str) -> list[str]:
    dag = metadata.tables["dag"]
    known = connection.execute(sa.select(dag.c.dag_id)).scalars().all()
    return difflib.get_close_matches(dag_id, known, n=3, cutoff=0.5)


def unknown_id_message(dag_id: str, suggestions: Sequence[str]) -> str:
    if suggestions:
        return f"unknown DAG id '{dag_id}'; the closest existing: {', '.join(suggestions)}"
    return f"unknown DAG id '{dag_id}', and no existing DAG id is close; list them with: airflow dags list"


@dataclass(frozen=True)
class ActiveTask:
    dag_id: str
    run_id: str
    task_id: str
    map_index: int
    state: str
    hostname: str | None

    def __str__(self) -> str:
        mapped = f"[{self.map_index}]" if self.map_index >= 0 else ""
        where = f" on {self.hostname}" if self.hostname else ""
        return f"{self.dag_id} {self.run_id} {self.task_id}{mapped}: {self.state}{where}"


def active_tasks(connection: sa.Connection, metadata: sa.MetaData, dag_ids: Sequence[str]) -> list[ActiveTask]:
    ti = metadata.tables["task_instance"]
    query = (sa.select(ti.c.dag_id, ti.c.run_id, ti.c.task_id, ti.c.map_index, ti.c.state, ti.c.hostname)
             .where(ti.c.dag_id.in_(dag_ids), ti.c.state.in_(ACTIVE_STATES))
             .order_by(ti.c.dag_id, ti.c.run_id, ti.c.task_id, ti.c.map_index))
    return [ActiveTask(*row) for row in connection.execute(query)]


@dataclass(frozen=True)
class DagFile:
    dag_id: str
    bundle: str
    path: Path
    present: bool
    checked: bool  # False: the bundle's files are not on this host, so presence is unknown

    def __str__(self) -> str:
        if not self.checked:
            return (f"{self.dag_id}: cannot tell whether {self.path} is still in bundle '{self.bundle}': the "
                    "bundle's files are not on this host")
        return f"{self.dag_id}: {self.path} is still in bundle '{self.bundle}'"


def _bundle_roots() -> Callable[[str], Path | None]:
    """name -> where that bundle's files are on this host (None: no such bundle configured here)."""
    from airflow.dag_processing.bundles.manager import DagBundlesManager

    with contextlib.redirect_stdout(sys.stderr):  # it logs the bundles it loads; stdout may be SQL
        manager = DagBundlesManager()

    def root(name: str) -> Path | None:
        try:
            return Path(manager.get_bundle(name).path)
        except ValueError:
            return None

    return root


def dag_files(connection: sa.Connection, metadata: sa.MetaData, dag_ids: Sequence[str]) -> list[DagFile]:
    """The DAGs' files that are (or may be) still in their bundles."""
    dag = metadata.tables["dag"]
    rows = connection.execute(sa.select(dag.c.dag_id, dag.c.bundle_name, dag.c.relative_fileloc, dag.c.fileloc)
                              .where(dag.c.dag_id.in_(dag_ids))).all()
    found = []
    bundle_root = _bundle_roots()
    for dag_id, bundle, relative, absolute in rows:
        root = bundle_root(bundle)
        if root is None:  # a bundle no longer configured cannot bring the DAG back
            continue
        path = root / relative if relative else Path(absolute or root)
        if not root.is_dir():
            found.append(DagFile(dag_id, bundle, path, present=False, checked=False))
        elif path.is_file():
            found.append(DagFile(dag_id, bundle, path, present=True, checked=True))
    return found
