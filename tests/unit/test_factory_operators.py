"""Operators by import path: allowed only from the module prefixes the cluster's configuration lists,
their params checked against the operator's constructor, everything else as for registered types."""

from __future__ import annotations

import pytest

from tests.unit.factory_helpers import dags_of

BASH = "airflow.providers.standard.operators.bash:BashOperator"
EMPTY = "airflow.providers.standard.operators.empty.EmptyOperator"


@pytest.fixture
def allowed(monkeypatch):
    monkeypatch.setenv("AIRFLEET_FACTORY_OPERATOR_MODULES", "airflow.providers.standard.operators, airfleet")


def job_of(kind: str, params: dict) -> dict:
    return {"tasks": [{"id": "1", "name": "op", "type": kind, "params": params},
                      {"id": "2", "name": "fine", "type": "bash", "params": {"bash_command": "true"}}],
            "jobs": [{"id": "j", "name": "ops", "tasks": ["1", "2"]}, {"id": "k", "name": "fine", "tasks": ["2"]}]}


def test_an_allowed_operator_is_built_with_its_arguments_and_the_common_settings(allowed):
    from airflow.providers.standard.operators.bash import BashOperator
    from airflow.providers.standard.operators.empty import EmptyOperator

    dags, problems = dags_of(job_of(BASH, {"bash_command": "echo {{ ds }}", "env": {"A": "1"}, "retries": 4}))
    assert problems == []
    task = dags["factory_job_ops"].get_task("op")
    assert (isinstance(task, BashOperator)
            and (task.bash_command, task.env, task.retries) == ("echo {{ ds }}", {"A": "1"}, 4))
    dags, problems = dags_of(job_of(EMPTY, {"owner": "me"}))
    assert problems == [] and isinstance(dags["factory_job_ops"].get_task("op"), EmptyOperator)


def test_an_operator_can_be_mapped(allowed):
    dags, problems = dags_of(job_of(BASH, {"expand": {"bash_command": ["echo 1", "echo 2"]}}))
    assert problems == []
    assert dags["factory_job_ops"].get_task("op").expand_input.value == {"bash_command": ["echo 1", "echo 2"]}


def test_without_configuration_no_operator_path_is_allowed():
    dags, problems = dags_of(job_of(EMPTY, {}))
    assert problems[0] == (
        "factory/spec.yaml: task '1' (op), field 'type': 'airflow.providers.standard.operators.empty.EmptyOperator' "
        "is outside the modules allowed for operators by import path (AIRFLEET_FACTORY_OPERATOR_MODULES: none); fix: "
        "use code from an allowed module, or add its module prefix to AIRFLEET_FACTORY_OPERATOR_MODULES in the "
        "cluster's configuration (a reviewed change)")
    assert set(dags) == {"factory_job_fine"}


@pytest.mark.parametrize(("kind", "params", "expected"), [
    (BASH, {"bash_command": "true", "bash_cmd": "x"},
     "field 'params.bash_cmd': not a parameter of a airflow.providers.standard.operators.bash:BashOperator task "
     "(did you mean 'bash_command'?)"),
    (BASH, {"env": {}}, "field 'params.bash_command': missing "
                        "(a airflow.providers.standard.operators.bash:BashOperator "
                        "task needs it); fix: set it to any value"),
    ("airfleet.hostname:get_hostname", {}, "field 'type': 'airfleet.hostname:get_hostname' is not an operator class; "
                                           "fix: name an operator class importable on every host"),
    ("airfleet.nosuch:Operator", {}, "field 'type': cannot import 'airfleet.nosuch:Operator' (ModuleNotFoundError: "),
], ids=["unknown argument", "missing argument", "not an operator", "not importable"])
def test_a_wrong_operator_task_is_one_line(allowed, kind, params, expected):
    dags, problems = dags_of(job_of(kind, params))
    assert problems[0].startswith(f"factory/spec.yaml: task '1' (op), {expected}")
    assert set(dags) == {"factory_job_fine"}
