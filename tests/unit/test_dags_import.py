"""Every DAG in dags/ imports cleanly, with unique ids."""

from pathlib import Path

DAGS = Path(__file__).parents[2] / "dags"


def test_dags_import_without_errors(tmp_path, monkeypatch):
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path))
    from airflow.dag_processing.dagbag import DagBag

    monkeypatch.setenv("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    bag = DagBag(dag_folder=str(DAGS))
    assert bag.import_errors == {}
    assert {"airfleet_smoke", "airfleet_fanout"} <= set(bag.dag_ids)
