"""How a job's tasks connect: dependencies between tasks and task groups, and the upstream outputs
mapped tasks expand over (`+task_name`, which is a dependency too). Checked once the job's tasks
are known, so the messages can name tasks of other jobs; cycles are found between tasks, with a
group standing for all of its tasks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from airfleet.factory import mapping
from airfleet.factory.fields import Issue
from airfleet.factory.groups import members
from airfleet.factory.spec import Dependency, Document, JobSpec, TaskSpec


def _named(spec: JobSpec, tasks: Mapping[str, TaskSpec]) -> dict[str, str]:
    return {tasks[task_id].name: task_id for task_id in spec.tasks if task_id in tasks}


def issues(spec: JobSpec, tasks: Mapping[str, TaskSpec], document: Document) -> list[Issue]:
    found: list[Issue] = []
    named = _named(spec, tasks)
    for group_index, group in enumerate(spec.task_groups):
        if group.name in named or any(other.name == group.name and other.parent == group.parent
                                      for other in spec.task_groups[:group_index]):
            found.append(Issue(f"task_groups[{group_index}].name", f"'{group.name}' also names a task or group here",
                               "give the group a name of its own (group and task ids share one namespace)"))
    for dependency in spec.dependencies:
        inside = members(spec.task_groups, dependency.parent) & members(spec.task_groups, dependency.child)
        if inside:
            found.append(Issue("dependencies", f"'{dependency.child}' and '{dependency.parent}' both hold task "
                               f"'{min(inside)}'", "make a group depend on tasks and groups outside it"))
    for index, task_id in enumerate(spec.tasks):
        task = tasks.get(task_id)
        for key, name in mapping.references(task.params) if task else []:
            if name in named:
                continue
            owners = [job.id for job in document.jobs if isinstance(job, JobSpec) and job.id != spec.id and
                      any(tasks.get(other) is not None and tasks[other].name == name for other in job.tasks)]
            where = f" (it is in job '{owners[0]}')" if owners else ""
            found.append(Issue(f"tasks[{index}]", f"task '{task_id}' ({task.name}) expands {key} over '+{name}', "
                               f"which is not a task of this job{where}",
                               f"map over the output of a task of this job ({', '.join(sorted(named))}), "
                               "or over a list"))
    return found


def edges(spec: JobSpec, tasks: Mapping[str, TaskSpec]) -> list[Dependency]:
    """Every dependency between two tasks: a group stands for its tasks, and a mapped task depends on
    the task whose output it expands over."""
    found = [Dependency(child=child, parent=parent) for dependency in spec.dependencies
             for parent in sorted(members(spec.task_groups, dependency.parent))
             for child in sorted(members(spec.task_groups, dependency.child))]
    named = _named(spec, tasks)
    for task_id in spec.tasks:
        if task_id in tasks:
            found += [Dependency(child=task_id, parent=named[name])
                      for _, name in mapping.references(tasks[task_id].params) if name in named]
    return found


def ordered(task_ids: Sequence[str], tasks: Mapping[str, TaskSpec]) -> list[str]:
    """The job's tasks with each one after the tasks it expands over (their outputs must exist first)."""
    named = {tasks[task_id].name: task_id for task_id in task_ids}
    placed: list[str] = []

    def place(task_id: str) -> None:
        if task_id not in placed:
            for _, name in mapping.references(tasks[task_id].params):
                place(named[name])
            placed.append(task_id)

    for task_id in task_ids:
        place(task_id)
    return placed
