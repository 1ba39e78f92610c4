"""The factory tables on SQLite: reading them through the per-host cache, falling back when the
database is away, the Airflow connection that locates them, and the `airfleet factory` commands."""

from __future__ import annotations

import json
import time
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from airfleet import cli
from airfleet.factory import db, sources
from airfleet.factory.catalog import resolve

SPEC = {
    "tasks": [{"id": "1", "name": "hello", "type": "bash", "params": {"bash_command": "echo hello"}},
              {"id": "2", "name": "bye", "type": "bash", "params": {"bash_command": "echo bye"}}],
    "jobs": [{"id": "10", "name": "greet", "tasks": ["1", "2"], "dependencies": [{"task_id": "2", "pid": "1"}]},
             {"id": "11", "name": "wave", "tasks": ["2"]}],
    "schedules": [{"id": "100", "name": "daily", "jobs": ["10", "11"], "cron": "@daily",
                   "dependencies": [{"job_id": "11", "pid": "10"}]}],
}


@pytest.fixture
def filled(url):
    bind = db.engine(url)
    db.create_tables(bind)
    db.write(bind, SPEC)
    return bind


@pytest.fixture
def reads(monkeypatch):
    """How many times the tables were queried."""
    count = SimpleNamespace(n=0)
    original = db.read_rows

    def counting(bind):
        count.n += 1
        return original(bind)

    monkeypatch.setattr(db, "read_rows", counting)
    return count


def dag_ids(documents) -> set[str]:
    catalog = resolve(documents)
    return {job.dag_id for job in catalog.jobs} | {schedule.dag_id for schedule in catalog.schedules}


def test_the_tables_are_read_as_one_document(filled):
    (document,) = sources.db_documents()
    assert document.origin == "db" and document.problems == []
    assert dag_ids([document]) == {"factory_job_greet", "factory_job_wave", "factory_schedule_daily"}


def test_reads_are_cached_for_the_ttl(filled, reads, monkeypatch):
    monkeypatch.setenv("AIRFLEET_FACTORY_DB_TTL", "0.5")
    sources.db_documents()
    db.set_enabled(filled, "job", "11", False)
    assert "factory_job_wave" in dag_ids(sources.db_documents())  # the cached copy
    assert reads.n == 1
    time.sleep(0.6)
    assert "factory_job_wave" not in dag_ids(sources.db_documents())
    assert reads.n == 2


def test_a_database_that_is_away_falls_back_to_the_last_copy_and_says_so(filled, monkeypatch):
    monkeypatch.setenv("AIRFLEET_FACTORY_DB_TTL", "0")
    sources.db_documents()

    def away(bind):
        raise sa.exc.OperationalError("SELECT", {}, Exception("server has gone away"))

    monkeypatch.setattr(db, "read_rows", away)
    (document,) = sources.db_documents()
    assert "factory_job_greet" in dag_ids([document])
    assert str(document.problems[0]).startswith(
        "db: tables, field '(connection)': cannot read the factory tables (OperationalError: ")
    assert "using the copy read" in str(document.problems[0])


def test_a_database_never_read_reports_what_is_missing(url, monkeypatch):
    monkeypatch.setattr(db, "read_rows", lambda bind: 1 / 0)
    (document,) = sources.db_documents()
    (problem,) = document.problems
    assert "cannot read the factory tables (ZeroDivisionError: division by zero); DAGs defined in the tables are " \
           "not generated" in str(problem)
    assert problem.fix.startswith("check AIRFLEET_FACTORY_DB_URL or the Airflow connection airfleet_factory_db")


def test_without_a_configured_database_there_is_no_db_source_and_the_lookup_is_cached(tmp_path, monkeypatch):
    monkeypatch.setenv("AIRFLEET_FACTORY_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("AIRFLEET_FACTORY_DB_URL", raising=False)
    monkeypatch.delenv("AIRFLOW_CONN_AIRFLEET_FACTORY_DB", raising=False)
    lookups = []
    monkeypatch.setattr(sources, "_configured_url", lambda: lookups.append(1))
    assert sources.db_documents() == [] and sources.db_documents() == []
    assert len(lookups) == 1


def test_the_airflow_connection_locates_the_tables(tmp_path, monkeypatch):
    monkeypatch.setenv("AIRFLEET_FACTORY_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("AIRFLEET_FACTORY_DB_URL", raising=False)
    path = tmp_path / "viaconn.db"
    bind = db.engine(f"sqlite:///{path}")
    db.create_tables(bind)
    db.write(bind, SPEC)
    monkeypatch.setenv("AIRFLOW_CONN_AIRFLEET_FACTORY_DB", json.dumps(db.connection_fields(f"sqlite:///{path}")))
    assert "factory_schedule_daily" in dag_ids(sources.db_documents())


@pytest.mark.parametrize("url", [
    "mysql+mysqldb://airflow:s3cr%40t@mysql:3306/airflow?charset=utf8mb4",
    "postgresql://airflow:pw@db.example:5432/airflow",
    "sqlite:////var/lib/factory.db",
])
def test_connection_fields_turn_back_into_the_url(url):
    fields = db.connection_fields(url)
    conn = SimpleNamespace(**{"login": None, "password": None, "port": None, "schema": None, **fields},
                           extra_dejson=json.loads(fields.get("extra") or "{}"))
    assert db.url_from_connection(conn) == url


def test_broken_json_in_a_row_is_that_records_field(filled):
    with filled.begin() as connection:
        connection.execute(sa.update(db.TABLES["job"]).where(db.TABLES["job"].c.id == "11")
                           .values(dependencies='[{"task_id": "2", "pid": '))
    (document,) = sources.db_documents()
    (problem,) = document.problems
    assert str(problem).startswith("db: job '11' (wave), field 'dependencies': not valid JSON (Expecting value: ")
    assert problem.fix == "store JSON text in the dependencies column"


def airfleet(*argv: str) -> int:
    return cli.main(["factory", *argv])


def test_add_list_disable_enable(url, tmp_path, capsys):
    spec = tmp_path / "spec.yaml"
    spec.write_text(json.dumps(SPEC))
    assert airfleet("add", str(spec)) == 0
    assert "written: 2 tasks, 2 jobs, 1 schedule" in capsys.readouterr().out

    assert airfleet("add", str(spec)) == 1
    assert "already in the tables: task '1', task '2', job '10', job '11', schedule '100'; pass --replace" in \
        capsys.readouterr().err
    assert airfleet("add", "--replace", str(spec)) == 0

    assert airfleet("disable", "job", "11") == 0
    assert "job '11' disabled; its DAG disappears after the next parse" in capsys.readouterr().out
    assert airfleet("list", "job") == 0
    listing = capsys.readouterr().out.splitlines()
    assert [line.split()[:4] for line in listing] == [["job", "10", "greet", "enabled"],
                                                      ["job", "11", "wave", "disabled"]]
    assert "factory_job_wave" not in dag_ids(sources.db_documents())

    assert airfleet("enable", "job", "11") == 0
    assert "factory_job_wave" in dag_ids(sources.db_documents())  # the command cleared this host's cache
    assert airfleet("disable", "job", "99") == 1
    assert "no job with id '99' in the factory tables" in capsys.readouterr().err


def test_add_checks_references_against_the_tables_and_writes_nothing_when_wrong(filled, tmp_path, capsys):
    extra = tmp_path / "extra.yaml"
    extra.write_text('jobs:\n  - {id: "12", name: again, tasks: ["1", "9"]}\n')
    assert airfleet("add", str(extra)) == 1
    err = capsys.readouterr().err
    assert ("db: job '12' (again), field 'tasks[1]': no task with id '9' in the factory tables; "
            "fix: add that task to the factory tables or remove it from this list") in err
    assert "nothing written" in err
    assert "12" not in db.existing_ids(filled, "job")

    extra.write_text('jobs:\n  - {id: "12", name: again, tasks: ["1"], enabled: maybe}\n')
    assert airfleet("add", str(extra)) == 1
    expected = "extra.yaml: job '12' (again), field 'enabled': expected true or false, got \"maybe\""
    assert expected in capsys.readouterr().err

    extra.write_text('jobs:\n  - {id: "12", name: again, tasks: ["1"]}\n')
    assert airfleet("add", str(extra)) == 0


def test_enabling_a_record_that_is_malformed_is_refused(filled, capsys):
    with filled.begin() as connection:
        connection.execute(sa.insert(db.TABLES["job"]).values(id="13", name="half", tasks='["1", "8"]', enabled=False))
    assert airfleet("enable", "job", "13") == 1
    assert "field 'tasks[1]': no task with id '8'" in capsys.readouterr().err
    assert dag_ids(sources.db_documents()) == {"factory_job_greet", "factory_job_wave", "factory_schedule_daily"}


def test_init_creates_the_tables_and_the_connection(url, monkeypatch, capsys):
    registered = []
    monkeypatch.setattr("airfleet.factory.command.register_connection",
                        lambda location: registered.append(location) or "ok")
    assert airfleet("init") == 0
    assert registered == [url]
    assert set(sa.inspect(db.engine(url)).get_table_names()) == {
        "airfleet_factory_task", "airfleet_factory_job", "airfleet_factory_schedule", "airfleet_factory_defaults"}


def test_validate_reports_every_malformed_record(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("AIRFLEET_FACTORY_CACHE_DIR", str(tmp_path / "cache"))
    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    good.write_text(json.dumps(SPEC))
    bad.write_text("tasks:\n  - {id: 1, name: x, type: sql, params: {sql: SELECT 1}}\n")
    assert airfleet("validate", str(good)) == 0
    assert "1 source(s): 3 DAG(s) generated, 0 malformed record(s)" in capsys.readouterr().out
    assert airfleet("validate", str(good), str(bad)) == 1
    captured = capsys.readouterr()
    assert f"{bad}: task '1' (x), field 'params.conn_id': missing (a sql task needs it)" in captured.err
    assert "2 source(s): 3 DAG(s) generated, 1 malformed record(s)" in captured.out
