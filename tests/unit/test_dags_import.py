"""Every DAG in dags/ imports cleanly, with unique ids."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

DAGS = Path(__file__).parents[2] / "dags"


def test_dags_import_without_errors(tmp_path, monkeypatch):
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path))
    from airflow.dag_processing.dagbag import DagBag

    monkeypatch.setenv("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    bag = DagBag(dag_folder=str(DAGS))
    assert bag.import_errors == {}
    assert {"airfleet_smoke", "airfleet_fanout"} <= set(bag.dag_ids)


def test_benchmark_dags_map_past_max_map_length_in_blocks(tmp_path, monkeypatch):
    """A mapped task takes at most [core] max_map_length (1,024) items: the fan-out maps over blocks
    x places, the waits over one mapped task per block, so 5,000 tasks need no setting changed."""
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path))
    monkeypatch.setenv("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS))
    fanout = bag.dags["airfleet_fanout"].task_dict
    for n in (1, 300, 1000, 2000, 5000):
        blocks = fanout["blocks"].python_callable(params={"n": n})
        places = fanout["places"].python_callable(params={"n": n})
        assert len(blocks) * len(places) == n and max(len(blocks), len(places)) <= 1000
    with pytest.raises(ValueError, match="n=1500: give at most 1000, or a multiple of 1000"):
        fanout["blocks"].python_callable(params={"n": 1500})
    waits = bag.dags["airfleet_waits"].task_dict
    run = type("Run", (), {"start_date": datetime(2026, 1, 1, tzinfo=UTC)})()
    for n in (1, 999, 2000, 5000):
        sizes = [len(waits[f"moments_{block}"].python_callable(block, params={"n": n, "seconds": 5}, dag_run=run))
                 for block in range(5)]
        assert sum(sizes) == n and max(sizes) <= 1000
