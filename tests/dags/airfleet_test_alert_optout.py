"""A DAG that opts out of the cluster's failure alerts: its failing task must alert no one."""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task

from airfleet.local_settings import OPT_OUT_TAG


@dag(schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC"), catchup=False,
     tags=["airfleet-test", OPT_OUT_TAG])
def airfleet_test_alert_optout():
    @task(retries=0)
    def fail_quietly() -> None:
        raise RuntimeError("this failure is expected and must not alert")

    fail_quietly()


airfleet_test_alert_optout()
