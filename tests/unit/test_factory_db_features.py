"""Every factory feature from the tables as from YAML: `airfleet factory add` of a spec with a
defaults block, task groups, mapping, typed params and asset schedules gives the same DAGs; tables
made by an older Airfleet get the new columns; a wrong new field is refused with nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from airfleet import cli
from airfleet.factory import db, sources
from airfleet.factory.build import build_all
from airfleet.factory.catalog import resolve
from tests.unit.test_factory_render import RICH

FEATURES = Path(__file__).parents[2] / "dags" / "factory" / "features.yaml"
SOURCE_KEYS = {"fileloc", "relative_fileloc", "description", "doc_md"}  # they name where the record is


def serialized(dag) -> dict:
    from airflow.serialization.serialized_objects import DagSerialization

    return {key: value for key, value in DagSerialization.to_dict(dag)["dag"].items() if key not in SOURCE_KEYS}


@pytest.mark.parametrize("spec", [FEATURES.read_text(), RICH], ids=["features.yaml", "every feature"])
def test_the_tables_give_the_same_dags_as_the_yaml_file(url, tmp_path, spec):
    path = tmp_path / "spec.yaml"
    path.write_text(spec)
    assert cli.main(["factory", "add", str(path)]) == 0
    from_yaml, yaml_problems = build_all(resolve([sources.yaml_text_document(spec, "spec.yaml")]))
    from_db, db_problems = build_all(resolve(sources.db_documents()))
    assert yaml_problems == db_problems == [] and set(from_db) == set(from_yaml) and from_yaml
    for dag_id, dag in from_yaml.items():
        assert serialized(from_db[dag_id]) == serialized(dag), dag_id


def test_add_says_what_it_wrote(url, capsys):
    assert cli.main(["factory", "add", str(FEATURES)]) == 0
    assert "written: 5 tasks, 2 jobs, defaults.dag, defaults.task" in capsys.readouterr().out


def test_defaults_rows_need_replace_and_a_wrong_default_writes_nothing(url, tmp_path, capsys):
    spec = tmp_path / "defaults.yaml"
    spec.write_text("defaults: {task: {retries: 1}}\n")
    assert cli.main(["factory", "add", str(spec)]) == 0
    assert cli.main(["factory", "add", str(spec)]) == 1
    assert "already in the tables: defaults.task; pass --replace" in capsys.readouterr().err
    spec.write_text("defaults: {task: {retries: many}}\n")
    assert cli.main(["factory", "add", "--replace", str(spec)]) == 1
    assert (f"{spec}: defaults, field 'defaults.task.retries': expected an integer >= 0, got str 'many'"
            in capsys.readouterr().err)
    assert db.decode(db.read_rows(db.engine(url)))["defaults"] == {"task": {"retries": 1}}


def test_a_job_referring_to_a_task_of_another_job_is_refused_by_add(url, tmp_path, capsys):
    spec = tmp_path / "jobs.yaml"
    spec.write_text("tasks:\n  - {id: '1', name: a, type: bash, params: {bash_command: echo}}\n"
                    "  - {id: '2', name: b, type: bash, params: {bash_command: echo, expand: {env: '+a'}}}\n"
                    "jobs:\n  - {id: j, name: has_a, tasks: ['1']}\n  - {id: k, name: no_a, tasks: ['2']}\n")
    assert cli.main(["factory", "add", str(spec)]) == 1
    err = capsys.readouterr().err
    assert ("db: job 'k' (no_a), field 'tasks[0]': task '2' (b) expands env over '+a', which is not a task of this "
            "job (it is in job 'j')") in err
    assert "nothing written" in err


def test_tables_of_an_older_airfleet_get_the_new_columns(url):
    bind = db.engine(url)
    with bind.begin() as connection:
        connection.execute(sa.text("CREATE TABLE airfleet_factory_job (id VARCHAR(64) PRIMARY KEY, name VARCHAR(200), "
                                   "tasks TEXT, dependencies TEXT, params TEXT, enabled BOOLEAN NOT NULL DEFAULT 1)"))
        connection.execute(sa.text("INSERT INTO airfleet_factory_job (id, name, tasks) VALUES ('j', 'old', '[\"1\"]')"))
    assert db.read_rows(bind)["jobs"] == [{"id": "j", "name": "old", "tasks": '["1"]', "dependencies": None,
                                           "params": None, "enabled": True}]
    db.create_tables(bind)
    columns = {column["name"] for column in sa.inspect(bind).get_columns("airfleet_factory_job")}
    assert {"task_groups", "schedule", "options", "task_defaults"} <= columns
    assert db.decode(db.read_rows(bind))["jobs"] == [{"id": "j", "name": "old", "tasks": ["1"], "enabled": True}]


def test_list_shows_the_defaults_rows(url, capsys):
    assert cli.main(["factory", "add", str(FEATURES)]) == 0
    capsys.readouterr()
    assert cli.main(["factory", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert 'defaults  task     {"owner": "orders-team", "retries": 1, "retry_delay": 60}' in lines
    assert any(line.startswith("job       21") and 'schedule={"assets": ["orders_export"]}' in line for line in lines)


def test_validate_prints_warnings_and_still_succeeds(tmp_path, capsys):
    spec = tmp_path / "consumer.yaml"
    spec.write_text("tasks: [{id: 1, name: a, type: bash, params: {bash_command: echo}}]\n"
                    "jobs: [{id: j, name: waits, tasks: [1], schedule: {assets: [nothing_makes_it]}}]\n")
    assert cli.main(["factory", "validate", str(spec)]) == 0
    captured = capsys.readouterr()
    assert "1 source(s): 1 DAG(s) generated, 0 malformed record(s), 1 warning(s)" in captured.out
    assert "field 'schedule.assets[0]': warning: no factory task has asset 'nothing_makes_it'" in captured.err


def test_render_reads_the_tables(url, tmp_path, capsys):
    assert cli.main(["factory", "add", str(FEATURES)]) == 0
    empty = tmp_path / "no-yaml"
    empty.mkdir()
    assert cli.main(["factory", "render", "factory_job_orders_export", str(empty), "--db"]) == 0
    text = capsys.readouterr().out
    assert "from job '20' (orders_export) in `db`" in text
    assert "BashOperator.partial(" in text and "groups['regions'] = TaskGroup(group_id='regions'" in text
