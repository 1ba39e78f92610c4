"""Task groups in a job: `task_groups: [{id: g1, name: extract, tasks: ["1", "2"]}, {id: g2, name:
inner, parent: g1, tasks: ["3"], tooltip: "..."}]`. A group holds tasks of its job and other groups
(those naming it as `parent`); a dependency may name a group id wherever it names a task id, and
then stands for every task in the group (Airflow: the group's roots or leaves).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from airfleet.factory.fields import Issue, json_shown

ID_RULE = "1-64 letters, digits, '_', '.' or '-'"
EXAMPLE = '[{"id": "g1", "name": "extract", "tasks": ["1", "2"]}]'


@dataclass(frozen=True)
class GroupSpec:
    id: str
    name: str
    tasks: tuple[str, ...]
    parent: str | None
    tooltip: str


def _text(item: Mapping[str, Any], key: str) -> str | None:
    value = item.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    return value if isinstance(value, str) and value.strip() else None


def read_groups(value: Any, tasks: Sequence[str], id_rule: Any,
                name_rule: Any) -> tuple[tuple[GroupSpec, ...], list[Issue]]:
    """The groups of a job whose tasks are `tasks`; `id_rule` and `name_rule` are the spec's regexes."""
    if value is None:
        return (), []
    if not isinstance(value, list):
        return (), [Issue("task_groups", f"expected a list, got {json_shown(value)}", f"write it as {EXAMPLE}")]
    found: list[GroupSpec] = []
    issues: list[Issue] = []
    grouped: dict[str, str] = {}  # task id -> group id
    for index, item in enumerate(value):
        where = f"task_groups[{index}]"
        if not isinstance(item, dict) or set(item) - {"id", "name", "tasks", "parent", "tooltip"}:
            issues.append(Issue(where, "expected a mapping of id, name, tasks, parent, tooltip, "
                                f"got {json_shown(item)}", f"write it as {EXAMPLE}"))
            continue
        group_id, name, parent = _text(item, "id"), _text(item, "name"), _text(item, "parent")
        members = item.get("tasks", [])
        members = [str(m) if isinstance(m, int) and not isinstance(m, bool) else m for m in members] \
            if isinstance(members, list) else None
        if group_id is None or not id_rule.match(group_id):
            issues.append(Issue(f"{where}.id", f"{json_shown(item.get('id'))} is not an id", f"use {ID_RULE}"))
        elif group_id in tasks or any(group.id == group_id for group in found):
            issues.append(Issue(f"{where}.id", f"'{group_id}' is already the id of a task or group of this job",
                                "give each group an id no task or other group of the job has"))
        elif name is None or not name_rule.match(name):
            issues.append(Issue(f"{where}.name", f"{json_shown(item.get('name'))} cannot name a task group",
                                "use letters, digits, '_', '.', '-'"))
        elif members is None or any(member not in tasks for member in members):
            issues.append(Issue(f"{where}.tasks", f"expected a list of this job's task ids {list(tasks)}, got "
                                f"{json_shown(item.get('tasks'))}", "list tasks of this job (or leave tasks out)"))
        elif (twice := next((m for m in members if m in grouped), None)) is not None:
            issues.append(Issue(f"{where}.tasks", f"task '{twice}' is already in group '{grouped[twice]}'",
                                "put each task in one group (nest groups with parent)"))
        else:
            grouped.update(dict.fromkeys(members, group_id))
            found.append(GroupSpec(group_id, name, tuple(members), parent, str(item.get("tooltip") or "")))
    issues += _parent_issues(found)
    return (tuple(_parents_first(found)) if not issues else ()), issues


def _parent_issues(groups: Sequence[GroupSpec]) -> list[Issue]:
    by_id = {group.id: group for group in groups}
    issues = []
    looped: set[str] = set()  # groups already named in a reported loop
    for index, group in enumerate(groups):
        if group.id in looped:
            continue
        seen = {group.id}
        parent = group.parent
        while parent is not None:
            if parent not in by_id:
                issues.append(Issue(f"task_groups[{index}].parent", f"no group with id '{parent}' in this job",
                                    f"use one of {sorted(by_id)} or leave parent out"))
                break
            if parent in seen:
                issues.append(Issue(f"task_groups[{index}].parent", f"group '{group.id}' is inside itself",
                                    "nest groups as a tree"))
                looped |= seen
                break
            seen.add(parent)
            parent = by_id[parent].parent
        if not group.tasks and not any(other.parent == group.id for other in groups):
            issues.append(Issue(f"task_groups[{index}].tasks", f"group '{group.id}' holds no task and no group",
                                "list its tasks, or remove the group"))
    return issues


def _parents_first(groups: Sequence[GroupSpec]) -> list[GroupSpec]:
    ordered: list[GroupSpec] = []
    while len(ordered) < len(groups):
        placed = {group.id for group in ordered}
        ordered += [g for g in groups if g.id not in placed and (g.parent is None or g.parent in placed)]
    return ordered


def members(groups: Sequence[GroupSpec], node: str) -> set[str]:
    """The task ids a dependency on `node` (a task id or a group id) stands for."""
    group = next((group for group in groups if group.id == node), None)
    if group is None:
        return {node}
    found = set(group.tasks)
    for child in groups:
        if child.parent == node:
            found |= members(groups, child.id)
    return found


def group_of(groups: Sequence[GroupSpec], task_id: str) -> GroupSpec | None:
    return next((group for group in groups if task_id in group.tasks), None)
