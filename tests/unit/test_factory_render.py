"""`airfleet factory render` writes a plain DAG file that Airflow parses into the same DAG as the
factory's: the two serialized DagBag entries are equal (tasks, dependencies, arguments)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from airfleet import cli
from airfleet.factory.build import plan_of
from airfleet.factory.catalog import resolve
from airfleet.factory.render import render
from airfleet.factory.sources import yaml_documents

DAGS = Path(__file__).parents[2] / "dags"
LOCATION_KEYS = {"fileloc", "relative_fileloc"}


@pytest.fixture(autouse=True)
def airflow_home(tmp_path, monkeypatch):
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    monkeypatch.setenv("AIRFLEET_FACTORY_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("AIRFLEET_FACTORY_DB_URL", raising=False)


def serialized(dag) -> dict:
    from airflow.serialization.serialized_objects import DagSerialization

    data = DagSerialization.to_dict(dag)["dag"]
    return {key: value for key, value in data.items() if key not in LOCATION_KEYS}


def bag_of(folder: Path) -> dict:
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(folder), bundle_path=folder)
    assert bag.import_errors == {}
    return bag.dags


def factory_folder(folder: Path, spec: str | None = None) -> Path:
    """A DAG folder holding the factory's DAG file and its YAML (the examples, or `spec`)."""
    shutil.copytree(DAGS / "factory", folder / "factory")
    if spec is not None:
        for path in (folder / "factory").glob("*.yaml"):
            path.unlink()
        (folder / "factory" / "spec.yaml").write_text(spec)
    shutil.copy(DAGS / "airfleet_factory.py", folder / "airfleet_factory.py")
    return folder


def assert_renders_the_same(folder: Path, elsewhere: Path) -> None:
    """Every DAG the factory makes from `folder`, rendered to a file in `elsewhere`, parses into the
    same DagBag entry (cluster policies included) as the factory's own."""
    generated = bag_of(folder)
    catalog = resolve(yaml_documents(folder))
    assert catalog.problems == []
    elsewhere.mkdir()
    for item in [*catalog.jobs, *catalog.schedules]:
        (elsewhere / f"{item.dag_id}.py").write_text(render(plan_of(item), f"{item.dag_id} rendered"))
    rendered = bag_of(elsewhere)
    assert set(rendered) == set(generated) and generated
    for dag_id, dag in generated.items():
        assert serialized(rendered[dag_id]) == serialized(dag), dag_id


def test_every_example_dag_renders_to_the_same_dag(tmp_path):
    assert_renders_the_same(factory_folder(tmp_path / "dags"), tmp_path / "rendered")


def test_the_render_command_writes_a_file(tmp_path, capsys):
    target = tmp_path / "out" / "orders_nightly.py"
    target.parent.mkdir()
    assert cli.main(["factory", "render", "factory_schedule_orders_nightly", str(DAGS / "factory"),
                     "-o", str(target)]) == 0
    assert "factory_schedule_orders_nightly written to" in capsys.readouterr().out
    assert "TriggerDagRunOperator" in target.read_text()
    assert cli.main(["factory", "render", "factory_job_nosuch", str(DAGS / "factory")]) == 1
    assert "no well-formed job or schedule generates the DAG factory_job_nosuch" in capsys.readouterr().err


RICH = """
defaults:
  dag: {tags: [rich], dagrun_timeout: 600}
  task: {owner: team, retries: 2, on_retry_callback: "airfleet.hostname:get_hostname"}
tasks:
  - {id: "1", name: produce, type: python, params: {callable: "json:loads", op_args: ["[[1], [2]]"], outlets: [a, b]}}
  - {id: "2", name: consume, type: python, params: {callable: "json:dumps", expand: {op_args: "+produce"},
     map_index_template: "{{ task.op_args }}"}}
  - {id: "3", name: notify, type: bash, params: {bash_command: "echo {{ params.rows }}", inlets: [a],
     on_failure_callback: [{notifier: "airfleet.alerts.notifier:FailureNotifier", args: {kind: task}}]}}
jobs:
  - id: p
    name: rich_producer
    tasks: ["1", "2", "3"]
    task_groups: [{id: g, name: group, tasks: ["2"]}, {id: h, name: inner, parent: g, tasks: ["3"]}]
    dependencies: [{task_id: "3", pid: "2"}]
    params: {rows: {type: integer, default: 5}}
    options: {alerts: {webhook_url: "http://team.example/hook"}, on_success_callback: "airfleet.hostname:get_hostname"}
    schedule: {timetable: "airflow.timetables.trigger:CronTriggerTimetable", args: {cron: "0 2 * * *", timezone: UTC}}
  - {id: c, name: rich_any, tasks: ["3"], schedule: {assets: [a, b], match: any}}
  - {id: d, name: rich_all, tasks: ["3"], schedule: {assets: [a]}, options: {alerts: false}}
schedules:
  - {id: s, name: rich_every, jobs: [c, d], schedule: {timedelta: {hours: 2}}, dependencies: [{job_id: d, pid: c}]}
"""


def test_every_feature_renders_to_the_same_dag(tmp_path):
    assert_renders_the_same(factory_folder(tmp_path / "dags", RICH), tmp_path / "rendered")
