"""A plan as a plain Python DAG file: for review, for debugging, or for leaving the factory.

The file is written from the same plan the factory builds its DAG from (plan.py), so it defines
the same DAG: same tasks, groups, dependencies and arguments. Values are written as literals, and
everything else as imports and calls, so the file needs nothing from the factory.
"""

from __future__ import annotations

import importlib
import json
from typing import Any

from airfleet.factory.plan import Call, DagPlan, Output, TaskPlan

INDENT = "    "
FACADES = ("airflow.sdk",)  # public modules to import from when they export the same object


class _Imports:
    """`from module import name` lines for every class and function a plan refers to."""

    def __init__(self) -> None:
        self.names: dict[tuple[str, str], str] = {}

    def name(self, target: Any) -> str:
        module, qualname = target.__module__, target.__qualname__
        top = qualname.split(".")[0]
        module = next((facade for facade in FACADES if getattr(importlib.import_module(facade), top, None) is
                       getattr(importlib.import_module(module), top, None)), module)
        taken = {local for (other, _), local in self.names.items() if other != module}
        local = self.names.setdefault((module, top), top if top not in taken else f"{top}_{len(self.names)}")
        return local + qualname[len(top):]

    def lines(self) -> list[str]:
        by_module: dict[str, list[str]] = {}
        for (module, top), local in sorted(self.names.items()):
            by_module.setdefault(module, []).append(top + (f" as {local}" if local != top else ""))
        return [f"from {module} import {', '.join(names)}" for module, names in by_module.items()]


def _value(value: Any, imports: _Imports) -> str:
    if isinstance(value, Call):
        parts = [_value(item, imports) for item in value.args]
        parts += [f"{key}={_value(item, imports)}" for key, item in value.kwargs.items()]
        return f"{imports.name(value.target)}({', '.join(parts)})"
    if isinstance(value, Output):
        return f"tasks[{value.task!r}].output"
    if isinstance(value, list):
        return "[" + ", ".join(_value(item, imports) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key!r}: {_value(item, imports)}" for key, item in value.items()) + "}"
    if isinstance(value, type) or callable(value):
        return imports.name(value)
    if isinstance(value, str) and "\n" in value:
        return json.dumps(value)  # one line, same string
    return repr(value)


def _call(target: str, arguments: dict[str, Any], imports: _Imports, extra: tuple[str, ...] = ()) -> str:
    lines = [f"{INDENT}{key}={_value(value, imports)}," for key, value in arguments.items()]
    lines += [f"{INDENT}{item}," for item in extra]
    return f"{target}(\n" + "\n".join(lines) + "\n)"


def _task(task: TaskPlan, imports: _Imports) -> str:
    context = ("dag=dag",) + ((f"task_group=groups[{task.group!r}]",) if task.group else ())
    operator = imports.name(task.operator)
    made = _call(f"{operator}.partial" if task.expand else operator, dict(task.arguments), imports, context)
    if task.expand:
        made += _call(".expand", dict(task.expand), imports)
    return f"tasks[{task.name!r}] = {made}"


def render(plan: DagPlan, header: str) -> str:
    """The source of a DAG file defining `plan`'s DAG; `header` becomes its docstring."""
    imports = _Imports()
    body = [f"dag = {_call(imports.name(_dag_class()), dict(plan.arguments), imports)}", "groups = {}", "tasks = {}"]
    if plan.groups:
        group_class = imports.name(_task_group_class())
        for group in plan.groups:
            parent = f", parent_group=groups[{group.parent!r}]" if group.parent else ""
            body.append(f"groups[{group.name!r}] = {group_class}(group_id={group.name!r}, "
                        f"tooltip={group.tooltip!r}, dag=dag{parent})")
    body += [_task(task, imports) for task in plan.tasks]
    kinds = {group.name: "groups" for group in plan.groups}
    body += [f"{kinds.get(up, 'tasks')}[{up!r}] >> {kinds.get(down, 'tasks')}[{down!r}]" for up, down in plan.edges]
    docstring = '"""' + header.replace('"""', "'''") + '\n"""'
    return "\n".join([docstring, "", *imports.lines(), "", *body]) + "\n"


def _dag_class() -> type:
    from airflow.sdk import DAG

    return DAG


def _task_group_class() -> type:
    from airflow.sdk import TaskGroup

    return TaskGroup
