"""Reports malformed Airfleet DAG factory records as this file's Airflow import error (one line per
record: source, record, field, fix), and warnings (an awaited asset no factory task produces) in
the same place. It defines no DAG; airfleet_factory.py builds the good ones."""

from pathlib import Path

from airfleet.factory.dagfile import raise_for_malformed

raise_for_malformed(Path(__file__).parent)
