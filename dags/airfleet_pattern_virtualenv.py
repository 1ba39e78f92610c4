"""Pattern: a task that uses a third-party package from a virtualenv of its own.

`@task.virtualenv` builds a fresh virtualenv on the worker for each run (python3-venv in the image;
`venv_cache_path` reuses one) and installs `requirements` into it, so a task may use packages, or
versions, that Airflow's environment does not have. Packages come from the cluster's index
(AIRFLEET_PIP_INDEX_URL: a company mirror; trusted through AIRFLEET_CA_BUNDLE when it uses a
private CA) unless the task names its own (`index_urls=[...]`). Import them inside the function;
arguments and the return value cross over serialized, and Airflow's context objects do not.

A virtualenv prepared once in the image is the faster alternative for packages every run needs:
`@task.external_python(python="/opt/venvs/report/bin/python")` after
`RUN python3 -m venv /opt/venvs/report && /opt/venvs/report/bin/pip install tabulate` in the
image; `render_prepared` below uses the image's own Airflow environment, which ships tabulate.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task

PREPARED_PYTHON = "/opt/airflow/venv/bin/python"


@dag(schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC"), catchup=False, tags=["airfleet", "pattern"])
def airfleet_pattern_virtualenv():
    @task
    def rows() -> list[list[str | int]]:
        return [["orders", 3], ["refunds", 1]]

    @task.virtualenv(requirements=["tabulate==0.10.0"], system_site_packages=False)
    def render(table: list[list[str | int]]) -> dict[str, str]:
        import sys

        import tabulate  # the third-party package, imported where it is installed

        return {"python": sys.executable, "table": tabulate.tabulate(table, headers=["source", "rows"])}

    @task.external_python(python=PREPARED_PYTHON)
    def render_prepared(table: list[list[str | int]]) -> dict[str, str]:
        import sys

        import tabulate

        return {"python": sys.executable, "table": tabulate.tabulate(table, headers=["source", "rows"])}

    table = rows()
    render(table)
    render_prepared(table)


airfleet_pattern_virtualenv()
