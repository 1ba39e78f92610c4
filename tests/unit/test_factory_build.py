"""Task types build their operators with the right arguments; jobs and schedules become DAGs of the
right shape that Airflow can serialize; the two factory DAG files split good and bad records."""

from __future__ import annotations

import json
import shutil
from datetime import timedelta
from pathlib import Path

import pytest

from airfleet.factory import tasktypes
from airfleet.factory.build import POLL_SECONDS, build_all
from airfleet.factory.catalog import resolve
from airfleet.factory.dagfile import generate
from airfleet.factory.spec import parse_document

DAGS = Path(__file__).parents[2] / "dags"


@pytest.fixture(autouse=True)
def no_database(tmp_path, monkeypatch):
    """No factory database: the DAG files read YAML only, and nothing is cached outside tmp_path."""
    monkeypatch.setenv("AIRFLEET_FACTORY_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("AIRFLEET_FACTORY_DB_URL", raising=False)
    monkeypatch.delenv("AIRFLOW_CONN_AIRFLEET_FACTORY_DB", raising=False)


def operator_of(kind: str, params: dict):
    return tasktypes.REGISTRY[kind].operator({k: v for k, v in params.items() if k not in tasktypes.COMMON})


def built(kind: str, params: dict):
    from airflow.sdk import DAG

    assert tasktypes.REGISTRY[kind].validate(params) == []
    return tasktypes.REGISTRY[kind].build("t", params, DAG("factory_unit", schedule=None))


def test_sql_task():
    from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator

    params = {"conn_id": "warehouse", "sql": ["DELETE FROM t", "INSERT INTO t VALUES (%(x)s)"], "parameters": {"x": 1},
              "retries": 2, "retry_delay": 30}
    assert operator_of("sql", params) == (SQLExecuteQueryOperator, {
        "conn_id": "warehouse", "sql": params["sql"], "parameters": {"x": 1}})
    operator = built("sql", params)
    assert isinstance(operator, SQLExecuteQueryOperator)
    assert (operator.retries, operator.retry_delay) == (2, timedelta(seconds=30))


def test_bash_task():
    from airflow.providers.standard.operators.bash import BashOperator

    params = {"bash_command": "echo {{ ds }}", "env": {"A": "1"}, "queue": "etl", "trigger_rule": "all_done"}
    assert operator_of("bash", params) == (BashOperator, {"bash_command": "echo {{ ds }}", "env": {"A": "1"}})
    operator = built("bash", params)
    assert (operator.queue, operator.trigger_rule) == ("etl", "all_done")


def test_python_task_imports_its_callable():
    from airflow.providers.standard.operators.python import PythonOperator

    params = {"callable": "json:dumps", "op_args": [[1, 2]], "op_kwargs": {"indent": 1}}
    assert operator_of("python", params) == (PythonOperator, {
        "python_callable": json.dumps, "op_args": [[1, 2]], "op_kwargs": {"indent": 1}})
    assert built("python", params).python_callable is json.dumps


SPARK = {"application": "file:/jobs.jar", "main_class": "com.example.Daily", "args": ["--date", "{{ ds }}"],
         "conf": {"spark.executor.memory": "2g"}, "conn_id": "spark_rest", "name": "daily"}


def test_spark_task_uses_the_airfleet_rest_operator():
    from airfleet.spark.operator import SparkRestSubmitOperator

    assert operator_of("spark", SPARK) == (SparkRestSubmitOperator, {
        "app_resource": "file:/jobs.jar", "main_class": "com.example.Daily", "app_args": ["--date", "{{ ds }}"],
        "spark_properties": {"spark.executor.memory": "2g"}, "app_name": "daily", "conn_id": "spark_rest"})
    assert isinstance(built("spark", SPARK), SparkRestSubmitOperator)


def test_spark_task_falls_back_to_the_provider(monkeypatch):
    from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator

    monkeypatch.setattr(tasktypes, "_optional_import", lambda module, name: None)
    assert operator_of("spark", SPARK) == (SparkSubmitOperator, {
        "application": "file:/jobs.jar", "java_class": "com.example.Daily", "application_args": ["--date", "{{ ds }}"],
        "conf": {"spark.executor.memory": "2g"}, "name": "daily", "conn_id": "spark_rest"})
    assert isinstance(built("spark", SPARK), SparkSubmitOperator)


def test_dbt_cloud_task_defers_with_the_airfleet_operator():
    from airfleet.dbt.operator import DbtCloudRunOperator

    params = {"job_id": 42, "conn_id": "dbt", "steps_override": ["dbt build"], "check_interval": 15}
    assert operator_of("dbt_cloud", params) == (DbtCloudRunOperator, {
        "job_id": 42, "steps_override": ["dbt build"], "check_interval": 15, "dbt_cloud_conn_id": "dbt"})
    assert built("dbt_cloud", params).deferrable is True


def test_dbt_cloud_task_that_must_not_defer_uses_the_provider(monkeypatch):
    from airflow.providers.dbt.cloud.operators.dbt import DbtCloudRunJobOperator

    assert operator_of("dbt_cloud", {"job_id": 42, "deferrable": False}) == (
        DbtCloudRunJobOperator, {"job_id": 42, "deferrable": False})
    monkeypatch.setattr(tasktypes, "_optional_import", lambda module, name: None)
    assert operator_of("dbt_cloud", {"job_id": 42}) == (DbtCloudRunJobOperator, {"job_id": 42, "deferrable": True})


def test_container_task_runs_a_command_with_the_docker_provider():
    from airflow.providers.docker.operators.docker import DockerOperator

    params = {"image": "alpine:3", "command": ["echo", "hi"], "environment": {"A": "1"}, "queue": "docker"}
    assert operator_of("container", params) == (DockerOperator, {
        "command": ["echo", "hi"], "mount_tmp_dir": False, "image": "alpine:3", "environment": {"A": "1"}})
    assert built("container", params).queue == "docker"


def test_container_task_ships_a_callable_with_airfleet_container():
    from airfleet.container import ContainerPythonOperator

    params = {"image": "python:3.11-slim", "callable": "json:dumps", "op_args": [{"a": 1}]}
    assert operator_of("container", params) == (ContainerPythonOperator, {
        "python_callable": json.dumps, "op_args": [{"a": 1}], "image": "python:3.11-slim"})
    assert isinstance(built("container", params), ContainerPythonOperator)


DIAMOND = {
    "tasks": [{"id": str(n), "name": f"step{n}", "type": "bash", "params": {"bash_command": f"echo {n}"}}
              for n in (1, 2, 3, 4)],
    "jobs": [
        {"id": "a", "name": "first", "tasks": ["1", "2", "3", "4"], "params": {"day": "today"},
         "dependencies": [{"task_id": "2", "pid": "1"}, {"task_id": "3", "pid": "1"},
                          {"task_id": "4", "pid": "2"}, {"task_id": "4", "pid": "3"}]},
        {"id": "b", "name": "second", "tasks": ["1"]},
        {"id": "c", "name": "third", "tasks": ["4"]},
        {"id": "d", "name": "off", "tasks": ["4"], "enabled": False},
    ],
    "schedules": [{"id": "s", "name": "nightly", "jobs": ["a", "b", "d", "c"], "cron": "15 3 * * *",
                   "params": {"batch": 7},
                   "dependencies": [{"job_id": "b", "pid": "a"}, {"job_id": "d", "pid": "a"},
                                    {"job_id": "c", "pid": "b"}, {"job_id": "c", "pid": "d"}]}],
}


def shape(dag) -> dict[str, list[str]]:
    return {task.task_id: sorted(task.downstream_task_ids) for task in dag.tasks}


def test_a_job_is_a_dag_of_its_tasks():
    dags, problems = build_all(resolve([parse_document(DIAMOND, "factory/d.yaml")]))
    assert problems == []
    dag = dags["factory_job_first"]
    assert shape(dag) == {"step1": ["step2", "step3"], "step2": ["step4"], "step3": ["step4"], "step4": []}
    assert dag.schedule is None and dag.is_paused_upon_creation is False
    assert dag.params["day"] == "today"


def test_a_schedule_triggers_its_jobs_in_order_and_waits_in_the_triggerer():
    from airflow.providers.standard.operators.trigger_dagrun import TriggerDagRunOperator

    dags, _ = build_all(resolve([parse_document(DIAMOND, "factory/d.yaml")]))
    dag = dags["factory_schedule_nightly"]
    # Job d is disabled: a -> d -> c becomes a -> c, so c still waits for a.
    assert shape(dag) == {"run_first": ["run_second", "run_third"], "run_second": ["run_third"], "run_third": []}
    assert "factory_job_off" not in dags
    assert dag.schedule == "15 3 * * *" and dag.max_active_runs == 1
    trigger = dag.get_task("run_second")
    assert isinstance(trigger, TriggerDagRunOperator)
    assert (trigger.trigger_dag_id, trigger.wait_for_completion, trigger.deferrable, trigger.poke_interval) == (
        "factory_job_second", True, True, POLL_SECONDS)
    assert trigger.conf == {"batch": 7} and trigger.trigger_run_id == "{{ dag.dag_id }}__{{ run_id }}"


def test_generated_dags_serialize():
    from airflow.serialization.serialized_objects import DagSerialization

    dags, _ = generate(DAGS)
    assert {"factory_job_orders_load", "factory_job_orders_marts", "factory_schedule_orders_nightly"} <= set(dags)
    for dag in dags.values():
        assert DagSerialization.to_dict(dag)


def test_only_the_dag_a_worker_runs_is_built():
    dags, _ = build_all(resolve([parse_document(DIAMOND, "factory/d.yaml")]), only="factory_job_second")
    assert list(dags) == ["factory_job_second"]


def test_a_record_whose_operator_refuses_its_arguments_is_a_problem(monkeypatch):
    class Refusing(tasktypes.TaskType):
        name = "refusing"
        fields = {}

        def operator(self, params):
            raise ValueError("image must be pinned")

    monkeypatch.setitem(tasktypes.REGISTRY, "refusing", Refusing())
    spec = {**DIAMOND, "tasks": [*DIAMOND["tasks"], {"id": "9", "name": "bad", "type": "refusing"}],
            "jobs": [*DIAMOND["jobs"][:3], {"id": "d", "name": "off", "tasks": ["9"]}]}
    dags, problems = build_all(resolve([parse_document(spec, "factory/d.yaml")]))
    assert [str(problem) for problem in problems] == [
        "factory/d.yaml: job 'd' (off), field '(build)': its DAG cannot be built: ValueError: image must be pinned; "
        "fix: correct the record's values (the message names the argument)",
        "factory/d.yaml: schedule 's' (nightly), field 'jobs': the DAG of job 'd' cannot be built, so this is not "
        "built either; fix: fix job 'd' (its own error is listed too)",
    ]
    assert set(dags) == {"factory_job_first", "factory_job_second", "factory_job_third"}


BAD_SPEC = """
tasks:
  - {id: 1, name: hello, type: bash, params: {bash_command: echo hello}}
jobs:
  - {id: 1, name: greets, tasks: [1]}
  - {id: 2, name: broken, tasks: [1], dependencies: [{task_id: 1, pid: 7}]}
"""


def test_one_malformed_record_is_one_import_error_and_every_other_dag_loads(tmp_path, monkeypatch):
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    from airflow.dag_processing.dagbag import DagBag

    folder = tmp_path / "dags"
    shutil.copytree(DAGS / "factory", folder / "factory")
    (folder / "factory" / "team.yaml").write_text(BAD_SPEC)
    for name in ("airfleet_factory.py", "airfleet_factory_specs.py"):
        shutil.copy(DAGS / name, folder / name)

    bag = DagBag(dag_folder=str(folder), bundle_path=folder)
    assert set(bag.import_errors) == {"airfleet_factory_specs.py"}
    message = bag.import_errors["airfleet_factory_specs.py"]
    assert ("factory/team.yaml: job '2' (broken), field 'dependencies[0].pid': 7 is not one of this job's tasks "
            "['1']; fix: add it to tasks or remove this dependency") in message
    assert "1 malformed factory record;" in message
    assert set(bag.dag_ids) == {"factory_job_orders_load", "factory_job_orders_marts",
                                "factory_schedule_orders_nightly", "factory_job_greets",
                                "factory_job_orders_export", "factory_job_orders_publish"}
    assert {dag.fileloc for dag in bag.dags.values()} == {str(folder / "airfleet_factory.py")}
