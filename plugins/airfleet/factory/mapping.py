"""Dynamic task mapping: a task's `expand` gives some of its parameters one value per mapped task
instance, as a literal list or as an upstream task's output (`"+extract"`: the return value of
the job's task named extract, a list). Its other params are the fixed (`partial`) ones, and
`map_index_template` names each instance in the UI.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from airfleet.factory.fields import Field, Issue, Kind, shown, suggestion
from airfleet.factory.plan import Output

REFERENCE = re.compile(r"^\+([A-Za-z0-9_][A-Za-z0-9_.-]{0,199})$")
EXAMPLE = "e.g. expand: {bash_command: [\"echo 1\", \"echo 2\"]} or expand: {op_args: \"+extract\"}"


@dataclass(frozen=True)
class Mapped:
    """Stands for a mapped parameter while a task type turns params into operator arguments."""

    key: str


def reference(value: Any) -> str | None:
    """The task name in a `+task_name` reference, else None."""
    match = REFERENCE.match(value) if isinstance(value, str) else None
    return match.group(1) if match else None


EXPAND = Field(Kind("a non-empty mapping of parameter names to lists or '+task_name'",
                    lambda v: isinstance(v, dict) and bool(v) and all(isinstance(k, str) for k in v)), mappable=False)


def issues(fields: Mapping[str, Field] | None, params: Mapping[str, Any], kind: str) -> list[Issue]:
    """What is wrong with a task's mapping; `fields` are its type's own parameters (None: any name)."""
    expand = params.get("expand")
    if expand is None:
        if "map_index_template" in params:
            return [Issue("params.map_index_template", "names mapped task instances, and this task has no expand",
                          f"remove it, or map the task with expand ({EXAMPLE})")]
        return []
    found: list[Issue] = []
    for key, value in expand.items():
        where = f"params.expand.{key}"
        spec = fields.get(key) if fields is not None else Field(Kind("any value", lambda v: True))
        if spec is None:
            choices = sorted(name for name, item in fields.items() if item.mappable)
            found.append(Issue(where, f"not a parameter of a {kind} task{suggestion(key, choices)}",
                               f"map one of {', '.join(choices)}"))
        elif not spec.mappable:
            found.append(Issue(where, f"{key} cannot differ between mapped task instances",
                               "set it in params, and map another parameter"))
        elif key in params:
            found.append(Issue(where, f"{key} is in params too",
                               "give it in params (fixed) or in expand (mapped), not both"))
        elif reference(value) is None:
            if not isinstance(value, list):
                found.append(Issue(where, f"expected a list (one value per mapped task) or '+task_name' (an upstream "
                                          f"task's output), got {shown(value)}", f"write it as a list ({EXAMPLE})"))
                continue
            bad = next((index for index, item in enumerate(value) if not spec.kind.test(item)), None)
            if bad is not None:
                found.append(Issue(f"{where}[{bad}]", f"expected {spec.kind.what}, got {shown(value[bad])}",
                                   f"make every item {spec.kind.what}"))
    return found


def references(params: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(parameter, task name) for each upstream output the task expands over."""
    return [(key, name) for key, value in (params.get("expand") or {}).items() if (name := reference(value))]


def plan_value(value: Any) -> Any:
    name = reference(value)
    return Output(name) if name else value
