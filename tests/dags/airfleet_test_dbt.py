"""DAGs the dbt Cloud end-to-end test runs against the fake dbt Cloud: the params pick the
connection and the job (whose script decides success, error or transient 5xx); the second DAG
waits only a few seconds, so its run is cancelled."""

from __future__ import annotations

import pendulum
from airflow.sdk import Param, dag, task

from airfleet.dbt.operator import DbtCloudRunOperator

PARAMS = {"conn_id": Param("dbt_cloud_default", type="string"), "job_id": Param(1, type="integer")}


def dbt_then_after(timeout: int) -> None:
    run = DbtCloudRunOperator(task_id="dbt", dbt_cloud_conn_id="{{ params.conn_id }}", job_id="{{ params.job_id }}",
                              check_interval=1, timeout=timeout, max_status_errors=3, request_timeout=10)

    @task
    def after(dbt_run_id: int) -> int:  # not run_id: that name is the DAG run's, in the task context
        return dbt_run_id

    after(run.output)


@dag(schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC"), catchup=False, params=PARAMS,
     render_template_as_native_obj=True, tags=["airfleet-test"])
def airfleet_test_dbt():
    dbt_then_after(timeout=300)


@dag(schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC"), catchup=False, params=PARAMS,
     render_template_as_native_obj=True, tags=["airfleet-test"])
def airfleet_test_dbt_timeout():
    dbt_then_after(timeout=8)


airfleet_test_dbt()
airfleet_test_dbt_timeout()
