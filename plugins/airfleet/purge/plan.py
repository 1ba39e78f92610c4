"""Which rows of which tables belong to a set of DAGs, found by reflecting the live schema.

There is no table list. A *DAG column* is a string column named `dag_id` or `<role>_dag_id` that
is not a foreign key to something else (`deadline_alert.serialized_dag_id` points at
`serialized_dag.id`, so it is not one). From there:

- a row whose DAG column holds one of the ids belongs to the DAG and is deleted; except where the
  column is nullable and named for a role (`asset_event.source_dag_id`,
  `asset_state_store.last_updated_by_dag_id`): that row belongs to something else (an asset's
  history or state, which other DAGs read) and only records which DAG wrote it, so it is
  *detached*: the column and the other nullable columns of the same role (`source_run_id`, ...)
  become NULL;
- a row that references a deleted row by foreign key is deleted as well, whatever the key's
  ON DELETE says (so no CASCADE runs inside a parent's batch and no RESTRICT blocks one), or
  detached where the key says ON DELETE SET NULL;
- a foreign key that carries the DAG column itself (`task_instance (dag_id, run_id) -> dag_run`)
  selects nothing the DAG column does not, and is not followed again.

Steps come children first, so when a parent's rows go, nothing refers to them any more.
"""

from __future__ import annotations

import graphlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from airfleet.errors import AirfleetError

Action = Literal["delete", "detach"]


class PurgeError(AirfleetError):
    """A purge cannot go ahead; the message says why and what to do."""


@dataclass(frozen=True)
class Step:
    """Delete, or detach (set `columns` to NULL), the rows of `table` matching `where`."""

    table: sa.Table
    action: Action
    where: ColumnElement[bool]
    reason: str
    columns: tuple[sa.Column, ...] = ()


@dataclass(frozen=True)
class Plan:
    dag_ids: tuple[str, ...]
    steps: tuple[Step, ...]
    metadata: sa.MetaData = field(repr=False)

    def tables(self) -> list[sa.Table]:
        """Tables with steps, in step order."""
        return list(dict.fromkeys(step.table for step in self.steps))

    def selection(self, table: sa.Table, action: Action) -> ColumnElement[bool] | None:
        """The rows of `table` that the plan's steps of this action touch (None: no such step)."""
        wheres = [step.where for step in self.steps if step.table is table and step.action == action]
        return sa.or_(*wheres) if wheres else None


def is_dag_column(column: sa.Column) -> bool:
    named = column.name == "dag_id" or column.name.endswith("_dag_id")
    refers_elsewhere = any(not _dag_named(fk.column) for fk in column.foreign_keys)
    return named and isinstance(column.type, sa.String) and not refers_elsewhere


def _dag_named(column: sa.Column) -> bool:
    return column.name == "dag_id" or column.name.endswith("_dag_id")


def _detaches(column: sa.Column) -> bool:
    """A nullable role column (`source_dag_id`) records a DAG on a row that is not the DAG's."""
    return column.nullable and column.name != "dag_id"


def delete_columns(table: sa.Table) -> list[sa.Column]:
    return [c for c in table.columns if is_dag_column(c) and not _detaches(c)]


def detach_columns(table: sa.Table) -> list[sa.Column]:
    return [c for c in table.columns if is_dag_column(c) and _detaches(c)]


def role_group(column: sa.Column) -> tuple[sa.Column, ...]:
    """`source_dag_id` -> the nullable `source_*` columns of its table (`source_run_id`, ...)."""
    prefix = column.name[: -len("dag_id")]
    return tuple(c for c in column.table.columns if c.name.startswith(prefix) and c.nullable)


def _foreign_keys(table: sa.Table) -> list[sa.ForeignKeyConstraint]:
    """Foreign keys to other tables, in a stable order (self-references are not followed)."""
    keys = [fk for fk in table.foreign_key_constraints if fk.referred_table is not table]
    return sorted(keys, key=lambda fk: (fk.referred_table.name, [c.name for c in fk.columns]))


def _sets_null(fk: sa.ForeignKeyConstraint) -> bool:
    return (fk.ondelete or "").upper() == "SET NULL"


def _carries_dag_column(fk: sa.ForeignKeyConstraint) -> bool:
    child_columns = {c.name for c in delete_columns(fk.table)}
    parent_columns = {c.name for c in delete_columns(fk.referred_table)}
    return any(e.parent.name in child_columns and e.column.name in parent_columns for e in fk.elements)


def _references(fk: sa.ForeignKeyConstraint, parent_rows: ColumnElement[bool]) -> ColumnElement[bool]:
    """The rows whose key `fk` points at one of the parent's selected rows."""
    children = [element.parent for element in fk.elements]
    parents = sa.select(*[element.column for element in fk.elements]).where(parent_rows)
    return children[0].in_(parents) if len(children) == 1 else sa.tuple_(*children).in_(parents)


class _Planner:
    def __init__(self, metadata: sa.MetaData, dag_ids: Sequence[str]) -> None:
        self.metadata = metadata
        self.dag_ids = list(dag_ids)
        self._rows: dict[sa.Table, ColumnElement[bool] | None] = {}
        self._visiting: set[sa.Table] = set()

    def deleted_rows(self, table: sa.Table) -> ColumnElement[bool] | None:
        """What identifies the table's deleted rows to its children: its DAG columns when it has
        any, else its references to deleted parent rows (None: nothing of it is deleted)."""
        if table in self._rows:
            return self._rows[table]
        if table in self._visiting:
            raise PurgeError(f"foreign keys form a cycle through table {table.name}; purge cannot order the "
                             "deletes: remove the DAG's rows from that cycle by hand first")
        self._visiting.add(table)
        own = [column.in_(self.dag_ids) for column in delete_columns(table)]
        if own:
            rows = sa.or_(*own)
        else:
            paths = [_references(fk, parent) for fk, parent in self._parents(table) if not _sets_null(fk)]
            rows = sa.or_(*paths) if paths else None
        self._visiting.discard(table)
        self._rows[table] = rows
        return rows

    def _parents(self, table: sa.Table) -> Iterable[tuple[sa.ForeignKeyConstraint, ColumnElement[bool]]]:
        for fk in _foreign_keys(table):
            parent_rows = self.deleted_rows(fk.referred_table)
            if parent_rows is not None:
                yield fk, parent_rows

    def steps_of(self, table: sa.Table) -> list[Step]:
        steps = [Step(table, "delete", column.in_(self.dag_ids), f"by {column.name}")
                 for column in delete_columns(table)]
        detaches = [Step(table, "detach", column.in_(self.dag_ids), f"by {column.name}", role_group(column))
                    for column in detach_columns(table)]
        for fk, parent_rows in self._parents(table):
            reason = f"via {fk.referred_table.name} ({', '.join(c.name for c in fk.columns)})"
            if _sets_null(fk):
                detaches.append(Step(table, "detach", _references(fk, parent_rows), reason, tuple(fk.columns)))
            elif not _carries_dag_column(fk):
                steps.append(Step(table, "delete", _references(fk, parent_rows), reason))
        return steps + detaches

    def order(self, tables: list[sa.Table]) -> list[sa.Table]:
        """Children before the parents whose rows they reference."""
        dependants: dict[sa.Table, set[sa.Table]] = {table: set() for table in tables}
        for table in tables:
            for fk, _ in self._parents(table):
                dependants[fk.referred_table].add(table)
        by_name = {table: sorted(children, key=lambda t: t.name) for table, children in dependants.items()}
        try:
            return list(graphlib.TopologicalSorter(by_name).static_order())
        except graphlib.CycleError as exc:
            names = " -> ".join(table.name for table in exc.args[1])
            raise PurgeError(f"foreign keys form a cycle ({names}); purge cannot order the deletes") from exc


def build_plan(metadata: sa.MetaData, dag_ids: Sequence[str]) -> Plan:
    planner = _Planner(metadata, dag_ids)
    steps = {table: planner.steps_of(table) for table in sorted(metadata.tables.values(), key=lambda t: t.name)}
    tables = [table for table, table_steps in steps.items() if table_steps]
    ordered = planner.order(tables)
    return Plan(tuple(dag_ids), tuple(step for table in ordered for step in steps[table]), metadata)


def reflect(connection: sa.Connection) -> sa.MetaData:
    metadata = sa.MetaData()
    metadata.reflect(connection)
    return metadata
