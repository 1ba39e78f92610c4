"""Airfleet: a self-hosted Apache Airflow 3 cluster toolkit on the CeleryExecutor.

Modules import only the standard library at top level, so `python -m airfleet init` works on a
host before any virtualenv exists; Airflow and drivers are imported where they are used.
"""

__version__ = "0.1.0"
