"""Dynamic task mapping: `expand` over a literal list or an upstream task's output (`+name`), with
the other params fixed and `map_index_template` naming the instances; wrong mappings are one line."""

from __future__ import annotations

import pytest

from tests.unit.factory_helpers import dags_of

PRODUCE = {"id": "1", "name": "produce", "type": "python",
           "params": {"callable": "json:loads", "op_args": ["[[1], [2]]"]}}


def job_of(*tasks: dict, other_job: bool = False) -> dict:
    spec = {"tasks": [PRODUCE, *tasks],
            "jobs": [{"id": "j", "name": "mapped", "tasks": [task["id"] for task in (PRODUCE, *tasks)]}]}
    if other_job:
        spec["tasks"].append({"id": "9", "name": "elsewhere", "type": "bash", "params": {"bash_command": "echo"}})
        spec["jobs"].append({"id": "k", "name": "other", "tasks": ["9"]})
    return spec


def test_a_literal_list_gives_one_task_instance_per_item():
    shout = {"id": "2", "name": "shout", "type": "bash",
             "params": {"expand": {"bash_command": ["echo a", "echo b", "echo c"]}, "env": {"X": "1"}, "retries": 2,
                        "map_index_template": "{{ task.bash_command }}"}}
    dags, problems = dags_of(job_of(shout))
    assert problems == []
    task = dags["factory_job_mapped"].get_task("shout")
    assert type(task).__name__ == "MappedOperator"
    assert task.expand_input.value == {"bash_command": ["echo a", "echo b", "echo c"]}
    assert task.partial_kwargs["env"] == {"X": "1"} and task.partial_kwargs["retries"] == 2
    assert task.partial_kwargs["map_index_template"] == "{{ task.bash_command }}"


def test_an_upstream_output_is_expanded_over_and_becomes_a_dependency():
    consume = {"id": "2", "name": "consume", "type": "python",
               "params": {"callable": "json:dumps", "expand": {"op_args": "+produce"}}}
    dags, problems = dags_of(job_of(consume))
    assert problems == []
    dag = dags["factory_job_mapped"]
    task = dag.get_task("consume")
    assert task.expand_input.value["op_args"].operator is dag.get_task("produce")
    assert task.upstream_task_ids == {"produce"}


def test_a_mapped_spark_task_maps_the_operator_argument_its_parameter_becomes():
    spark = {"id": "2", "name": "aggregate", "type": "spark",
             "params": {"application": "file:/a.jar", "main_class": "A",
                        "expand": {"args": [["--day", "1"], ["--day", "2"]]}}}
    dags, problems = dags_of(job_of(spark))
    assert problems == []
    assert dags["factory_job_mapped"].get_task("aggregate").expand_input.value == {
        "app_args": [["--day", "1"], ["--day", "2"]]}


BAD = [
    ("over a non-list", {"bash_command": "echo one"},
     "task '2' (shout), field 'params.expand.bash_command': expected a list (one value per mapped task) or "
     "'+task_name' (an upstream task's output), got str 'echo one'; fix: write it as a list (e.g. expand: "
     "{bash_command: [\"echo 1\", \"echo 2\"]} or expand: {op_args: \"+extract\"})"),
    ("an item of the wrong kind", {"bash_command": ["echo", 3]},
     "task '2' (shout), field 'params.expand.bash_command[1]': expected a non-empty string, got int 3; "
     "fix: make every item a non-empty string"),
    ("an unknown parameter", {"bash_command": ["echo"], "cwdd": ["/tmp"]},
     "task '2' (shout), field 'params.expand.cwdd': not a parameter of a bash task (did you mean 'cwd'?); "
     "fix: map one of append_env, bash_command, cwd, env"),
]


@pytest.mark.parametrize(("expand", "expected"), [case[1:] for case in BAD], ids=[case[0] for case in BAD])
def test_a_wrong_mapping_is_one_line(expand, expected):
    shout = {"id": "2", "name": "shout", "type": "bash", "params": {"expand": expand}}
    dags, problems = dags_of(job_of(shout))
    assert problems[0] == f"factory/spec.yaml: {expected}"
    assert "factory_job_mapped" not in dags


@pytest.mark.parametrize(("params", "expected"), [
    ({"bash_command": "echo", "expand": {"bash_command": ["a"]}},
     "field 'params.expand.bash_command': bash_command is in params too; fix: give it in params (fixed) or in expand "
     "(mapped), not both"),
    ({"bash_command": "echo", "map_index_template": "{{ x }}"},
     "field 'params.map_index_template': names mapped task instances, and this task has no expand; fix: remove it, "
     "or map the task with expand (e.g. expand: {bash_command: [\"echo 1\", \"echo 2\"]} or expand: {op_args: "
     "\"+extract\"})"),
], ids=["in params and expand", "map_index_template without expand"])
def test_mapping_settings_that_contradict(params, expected):
    shout = {"id": "2", "name": "shout", "type": "bash", "params": params}
    assert dags_of(job_of(shout))[1][0] == f"factory/spec.yaml: task '2' (shout), {expected}"


def test_a_callable_cannot_be_mapped():
    task = {"id": "2", "name": "call", "type": "python", "params": {"expand": {"callable": ["json:dumps"]}}}
    assert dags_of(job_of(task))[1][0] == (
        "factory/spec.yaml: task '2' (call), field 'params.expand.callable': callable cannot differ between mapped "
        "task instances; fix: set it in params, and map another parameter")


def test_a_reference_to_a_task_of_another_job_names_that_job():
    consume = {"id": "2", "name": "consume", "type": "python",
               "params": {"callable": "json:dumps", "expand": {"op_args": "+elsewhere"}}}
    dags, problems = dags_of(job_of(consume, other_job=True))
    assert problems == [
        "factory/spec.yaml: job 'j' (mapped), field 'tasks[1]': task '2' (consume) expands op_args over '+elsewhere', "
        "which is not a task of this job (it is in job 'k'); fix: map over the output of a task of this job "
        "(consume, produce), or over a list"]
    assert set(dags) == {"factory_job_other"}
