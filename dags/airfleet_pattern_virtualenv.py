"""Pattern: a task that uses a third-party package from a virtualenv of its own.

The function runs in another Python interpreter (the virtualenv's), so it may need packages, or
versions, that Airflow's environment does not have. Import them inside the function; arguments
and the return value cross over serialized, and Airflow's context objects do not.

Offline clusters (like this one: workers cannot download packages) prepare the virtualenv in the
image and point ExternalPythonOperator at its interpreter:

    RUN python3 -m venv /opt/venvs/report && /opt/venvs/report/bin/pip install tabulate==0.9.0

then set VENV_PYTHON = "/opt/venvs/report/bin/python". Until such a venv exists, this demo points
at the image's own Airflow virtualenv, which ships `tabulate`. With a package index reachable from
the workers (and python3-venv in the image), `@task.virtualenv(requirements=["tabulate==0.9.0"])`
instead builds a fresh virtualenv for each run (slower; `venv_cache_path` reuses it).
"""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task

VENV_PYTHON = "/opt/airflow/venv/bin/python"


@dag(schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC"), catchup=False, tags=["airfleet", "pattern"])
def airfleet_pattern_virtualenv():
    @task
    def rows() -> list[list[str | int]]:
        return [["orders", 3], ["refunds", 1]]

    @task.external_python(python=VENV_PYTHON)
    def render(table: list[list[str | int]]) -> dict[str, str]:
        import sys

        import tabulate  # the third-party package, imported where it is installed

        return {"python": sys.executable, "table": tabulate.tabulate(table, headers=["source", "rows"])}

    render(rows())


airfleet_pattern_virtualenv()
