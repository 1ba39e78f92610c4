"""Typed params with defaults, used in task arguments through Jinja as in a hand-written DAG
(`{{ params.rows }}`, `{{ var.value.region }}` with the Variable from AIRFLOW_VAR_REGION)."""

from __future__ import annotations

from tests.unit.factory_helpers import bash, dags_of


def job_with(params: dict, command: str = "echo {{ params.rows }} {{ var.value.region }}") -> dict:
    return {"tasks": [bash("1", "run", bash_command=command)],
            "jobs": [{"id": "j", "name": "typed", "tasks": ["1"], "params": params}]}


def test_typed_params_become_airflow_params_with_their_schema():
    dags, problems = dags_of(job_with({"rows": {"type": "integer", "default": 1000, "minimum": 1,
                                                "description": "rows"},
                                       "region": {"name": "eu"}, "mode": "full"}))
    assert problems == []
    params = dags["factory_job_typed"].params
    rows = params.get_param("rows")
    assert (rows.value, rows.schema, rows.description) == (1000, {"type": "integer", "minimum": 1}, "rows")
    assert params["region"] == {"name": "eu"} and params["mode"] == "full"  # plain values stay plain


def test_a_default_outside_its_schema_is_one_line():
    _, problems = dags_of(job_with({"rows": {"type": "integer", "default": 0, "minimum": 1}}))
    assert problems[0].startswith("factory/spec.yaml: job 'j' (typed), field 'params.rows.default': does not fit its "
                                  "schema: ")
    assert problems[0].endswith("; fix: give a default of the param's type and limits, or change the schema")


def test_params_and_variables_render_in_task_arguments(monkeypatch):
    from airflow.sdk.execution_time.context import VariableAccessor

    monkeypatch.setenv("AIRFLOW_VAR_REGION", "eu-west")
    dags, _ = dags_of(job_with({"rows": {"type": "integer", "default": 1000}}))
    dag = dags["factory_job_typed"]
    task = dag.get_task("run")
    context = {"params": dag.params.validate(), "var": {"value": VariableAccessor(deserialize_json=False)}}
    assert task.render_template(task.bash_command, context, dag.get_template_env()) == "echo 1000 eu-west"
