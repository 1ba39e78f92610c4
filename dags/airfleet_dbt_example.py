"""dbt Cloud from Airflow: trigger a job, wait for its run without holding a worker slot, and go on
only when it succeeded.

The connection `dbt_cloud_default` holds the account id (login), an API token (password) and the
tenant or base URL (host), e.g. in .env (one line):

    AIRFLOW_CONN_DBT_CLOUD_DEFAULT='{"conn_type": "dbt_cloud", "login": "12345", "password": "dbtc_...",
                                    "host": "cloud.getdbt.com"}'

To try it offline, run the fake dbt Cloud from a checkout (`python -m tests.support.fakes.dbt_cloud --port
8765`) and point the host at it: "host": "http://HOST:8765".

A failed dbt run fails `dbt_build` (naming the run's status and URL) and `publish` does not run.
There is no `trigger_rule="one_failed"` alert task here: the cluster policy alerts on every
failed task (airfleet.alerts), and the DAG run stays failed.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import Param, dag, task

from airfleet.dbt.operator import DbtCloudRunOperator


@dag(
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    tags=["airfleet", "dbt"],
    params={"job_id": Param(12345, type="integer", description="the dbt Cloud job to run")},
    render_template_as_native_obj=True,
)
def airfleet_dbt_example():
    dbt_build = DbtCloudRunOperator(
        task_id="dbt_build",
        job_id="{{ params.job_id }}",
        check_interval=30,
        timeout=2 * 60 * 60,  # then the run is cancelled and the task fails
        max_status_errors=5,  # dbt Cloud may fail this many status polls in a row
        retries=1,  # a retry re-attaches to a run still going instead of starting a second one
        retry_delay=timedelta(minutes=2),
    )

    @task
    def publish(dbt_run_id: int) -> None:
        print(f"dbt Cloud run {dbt_run_id} succeeded: publishing the models it built")

    publish(dbt_build.output)


airfleet_dbt_example()
