"""A DAG as data: build.py makes a plan into Airflow objects, render.py writes it as Python.

Both read the same plan, so a rendered file is the factory's DAG by construction rather than by a
second implementation that could drift. Values in a plan are plain data (str, numbers, bools, None,
lists, dicts) and three kinds of reference both sides understand: a class or function (imported by
its module and name), a `Call` (what calling one gives: `Asset(name=...)`, `timedelta(seconds=...)`,
a timetable), and an `Output` (an upstream task's XCom, which a mapped task expands over).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow.sdk import DAG


@dataclass(frozen=True)
class Call:
    target: Any  # a class or function, importable by its __module__ and __qualname__
    args: tuple[Any, ...] = ()
    kwargs: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Output:
    """The return value (XCom) of the task named `task`, in the same plan."""

    task: str


@dataclass(frozen=True)
class GroupPlan:
    name: str  # its group id within its parent
    parent: str | None
    tooltip: str = ""


@dataclass(frozen=True)
class TaskPlan:
    name: str  # its task id within its group
    operator: type
    arguments: Mapping[str, Any]  # task_id included
    expand: Mapping[str, Any] = field(default_factory=dict)  # mapped arguments; empty: not mapped
    group: str | None = None


@dataclass(frozen=True)
class DagPlan:
    arguments: Mapping[str, Any]
    tasks: tuple[TaskPlan, ...]  # a task comes after every task whose Output it uses
    edges: tuple[tuple[str, str], ...] = ()  # (upstream, downstream), names of tasks or groups
    groups: tuple[GroupPlan, ...] = ()  # a group comes after its parent

    @property
    def dag_id(self) -> str:
        return self.arguments["dag_id"]


def make(value: Any, nodes: Mapping[str, Any] | None = None) -> Any:
    """The object a plan value stands for; `nodes` are the tasks made so far (for an Output)."""
    if isinstance(value, Call):
        return value.target(*make(list(value.args), nodes), **make(dict(value.kwargs), nodes))
    if isinstance(value, Output):
        return (nodes or {})[value.task].output
    if isinstance(value, list):
        return [make(item, nodes) for item in value]
    if isinstance(value, dict):
        return {key: make(item, nodes) for key, item in value.items()}
    return value


def make_task(task: TaskPlan, nodes: Mapping[str, Any], **context: Any) -> Any:
    """The operator (a mapped one when the task expands), with `context` such as dag= and task_group=."""
    arguments = {**context, **make(dict(task.arguments), nodes)}
    if task.expand:
        return task.operator.partial(**arguments).expand(**make(dict(task.expand), nodes))
    return task.operator(**arguments)


def materialize(plan: DagPlan) -> DAG:
    from airflow.sdk import DAG, TaskGroup

    dag = DAG(**make(dict(plan.arguments)), auto_register=False)
    groups: dict[str, Any] = {}
    for group in plan.groups:
        groups[group.name] = TaskGroup(group_id=group.name, tooltip=group.tooltip, dag=dag,
                                       parent_group=groups.get(group.parent) if group.parent else None)
    nodes: dict[str, Any] = {}
    for task in plan.tasks:
        context = {"dag": dag, **({"task_group": groups[task.group]} if task.group else {})}
        nodes[task.name] = make_task(task, nodes, **context)
    nodes.update(groups)  # task and group names are distinct within a job (catalog.py checks)
    for upstream, downstream in plan.edges:
        nodes[upstream] >> nodes[downstream]
    return dag
