"""Task groups: nested groups become Airflow task groups (task ids prefixed by their groups),
dependencies may name a group wherever they name a task, and each wrong group is one line."""

from __future__ import annotations

import pytest

from tests.unit.factory_helpers import bash, dags_of

TASKS = [bash(str(n), f"t{n}") for n in range(1, 6)]


def job(groups: list, dependencies: list) -> dict:
    return {"tasks": TASKS, "jobs": [{"id": "j", "name": "grouped", "tasks": ["1", "2", "3", "4", "5"],
                                      "task_groups": groups, "dependencies": dependencies}]}


NESTED = job([{"id": "g", "name": "load", "tasks": ["2"], "tooltip": "loading"},
              {"id": "h", "name": "inner", "parent": "g", "tasks": ["3", "4"]}],
             [{"task_id": "g", "pid": "1"}, {"task_id": "4", "pid": "3"}, {"task_id": "5", "pid": "g"}])


def test_nested_groups_and_dependencies_between_groups_and_tasks():
    dags, problems = dags_of(NESTED)
    assert problems == []
    dag = dags["factory_job_grouped"]
    assert sorted(dag.task_ids) == ["load.inner.t3", "load.inner.t4", "load.t2", "t1", "t5"]
    assert dag.task_group_dict["load"].tooltip == "loading"
    assert dag.task_group_dict["load.inner"].parent_group.group_id == "load"
    downstream = {task.task_id: sorted(task.downstream_task_ids) for task in dag.tasks}
    # t1 >> load: t1 runs before the group's roots (t2, t3); the group's leaves (t2, t4) before t5.
    assert downstream == {"t1": ["load.inner.t3", "load.t2"], "load.t2": ["t5"], "load.inner.t3": ["load.inner.t4"],
                          "load.inner.t4": ["t5"], "t5": []}


BAD = [
    ("unknown parent", [{"id": "g", "name": "a", "tasks": ["1"], "parent": "x"}], [],
     "field 'task_groups[0].parent': no group with id 'x' in this job; fix: use one of ['g'] or leave parent out"),
    ("a task in two groups", [{"id": "g", "name": "a", "tasks": ["1"]}, {"id": "h", "name": "b", "tasks": ["1"]}], [],
     "field 'task_groups[1].tasks': task '1' is already in group 'g'; fix: put each task in one group "
     "(nest groups with parent)"),
    ("a task of another job", [{"id": "g", "name": "a", "tasks": ["9"]}], [],
     "field 'task_groups[0].tasks': expected a list of this job's task ids ['1', '2', '3', '4', '5'], got [\"9\"]; "
     "fix: list tasks of this job (or leave tasks out)"),
    ("a group inside itself", [{"id": "g", "name": "a", "tasks": ["1"], "parent": "h"},
                               {"id": "h", "name": "b", "tasks": ["2"], "parent": "g"}], [],
     "field 'task_groups[0].parent': group 'g' is inside itself; fix: nest groups as a tree"),
    ("a group id that is a task id", [{"id": "1", "name": "a", "tasks": ["2"]}], [],
     "field 'task_groups[0].id': '1' is already the id of a task or group of this job; fix: give each group an id "
     "no task or other group of the job has"),
    ("a group named like a task", [{"id": "g", "name": "t1", "tasks": ["2"]}], [],
     "field 'task_groups[0].name': 't1' also names a task or group here; fix: give the group a name of its own "
     "(group and task ids share one namespace)"),
    ("an empty group", [{"id": "g", "name": "a"}], [],
     "field 'task_groups[0].tasks': group 'g' holds no task and no group; fix: list its tasks, or remove the group"),
    ("a group depending on its own task", [{"id": "g", "name": "a", "tasks": ["1", "2"]}],
     [{"task_id": "g", "pid": "1"}],
     "field 'dependencies': 'g' and '1' both hold task '1'; fix: make a group depend on tasks and groups outside it"),
    ("a cycle through a group", [{"id": "g", "name": "a", "tasks": ["1", "2"]}],
     [{"task_id": "3", "pid": "g"}, {"task_id": "1", "pid": "3"}],
     "field 'dependencies': dependency cycle t1 -> t3 -> t1; fix: remove one of these dependencies"),
    ("a dependency on an unknown group", [{"id": "g", "name": "a", "tasks": ["1"]}], [{"task_id": "zz", "pid": "1"}],
     "field 'dependencies[0].task_id': \"zz\" is not one of this job's tasks ['1', '2', '3', '4', '5'] or groups "
     "['g']; fix: add it to tasks or remove this dependency"),
]


@pytest.mark.parametrize(("groups", "dependencies", "expected"), [case[1:] for case in BAD], ids=[c[0] for c in BAD])
def test_a_wrong_group_is_one_line_and_the_job_is_not_built(groups, dependencies, expected):
    spec = job(groups, dependencies)
    spec["jobs"].append({"id": "k", "name": "other", "tasks": ["1"]})
    dags, problems = dags_of(spec)
    assert problems == [f"factory/spec.yaml: job 'j' (grouped), {expected}"]
    assert set(dags) == {"factory_job_other"}
