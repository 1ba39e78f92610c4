"""A worker reads only the records of the DAG it runs, and builds the same DAG as the dag-processor."""

from __future__ import annotations

from pathlib import Path

import pytest

from airfleet.factory.dagfile import generate, generated_dags
from airfleet.factory.narrow import narrow
from tests.unit.test_factory_render import RICH, factory_folder, serialized

DAGS = Path(__file__).parents[2] / "dags"
SPEC = {"defaults": {"task": {"retries": 1}},
        "tasks": [{"id": n, "name": f"t{n}"} for n in (1, 2, 3)],
        "jobs": [{"id": "a", "name": "first", "tasks": [1, 2]}, {"id": "b", "name": "second", "tasks": ["3"]}, "junk"],
        "schedules": [{"id": "s", "name": "nightly", "jobs": ["b"]}, {"id": "t", "name": "other", "jobs": ["a"]}]}


@pytest.fixture(autouse=True)
def no_database(tmp_path, monkeypatch):
    monkeypatch.setenv("AIRFLEET_FACTORY_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("AIRFLEET_FACTORY_DB_URL", raising=False)


def test_a_job_needs_its_tasks_and_a_schedule_its_jobs_and_theirs():
    assert narrow(SPEC, "factory_job_first") == {**SPEC, "tasks": SPEC["tasks"][:2], "jobs": SPEC["jobs"][:1],
                                                 "schedules": []}
    assert narrow(SPEC, "factory_schedule_nightly") == {**SPEC, "tasks": SPEC["tasks"][2:], "jobs": SPEC["jobs"][1:2],
                                                        "schedules": SPEC["schedules"][:1]}
    assert narrow(SPEC, "some_other_dag") == {**SPEC, "tasks": [], "jobs": [], "schedules": []}
    assert (narrow(SPEC, None) is SPEC
            and narrow(["not", "a", "mapping"], "factory_job_first") == ["not", "a", "mapping"])


@pytest.mark.parametrize("spec", [None, RICH], ids=["examples", "every feature"])
def test_each_dag_built_alone_is_the_dag_built_with_all(tmp_path, monkeypatch, spec):
    folder = factory_folder(tmp_path / "dags", spec)
    everything, _ = generate(folder)
    for dag_id, dag in everything.items():
        monkeypatch.setenv("_AIRFLOW_PARSING_CONTEXT_DAG_ID", dag_id)
        (alone,) = generated_dags(folder).values()
        assert serialized(alone) == serialized(dag), dag_id
