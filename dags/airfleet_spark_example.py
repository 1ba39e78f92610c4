"""Spark on a standalone master: submit, wait without a worker slot, then check the output.

`spark_rest_default` is a connection to the master's REST server (host = the master, port 6066;
the master runs with spark.master.rest.enabled=true). The data-quality check below is an ordinary
closure over this file's helpers and constants: it is shipped by value to the triggerer, which
runs it until the output passes (or the wait times out).

The second DAG keeps a streaming job alive: every run re-attaches to the stream's driver while it
runs and resubmits it when it died.
"""

from __future__ import annotations

import os
from datetime import timedelta

import pendulum
from airflow.sdk import dag, task

from airfleet.spark.operator import SparkRestSubmitOperator

START = pendulum.datetime(2026, 1, 1, tz="UTC")
JOBS = "file:/opt/spark/jobs/airfleet-jobs.jar"
OUTPUT = "/data/daily/{{ ds }}"
MIN_ROWS = 1000


def rows_in(path: str) -> int:
    with open(path) as part:
        return sum(1 for _ in part)


def enough_rows(minimum: int):
    def check(output: str) -> bool:
        if not os.path.exists(os.path.join(output, "_SUCCESS")):
            return False  # not committed yet: the trigger asks again
        parts = [os.path.join(output, name) for name in os.listdir(output) if name.startswith("part-")]
        rows = sum(rows_in(part) for part in parts)
        if rows < minimum:
            raise ValueError(f"{output}: {rows} rows, expected at least {minimum}")
        return True

    return check


@dag(schedule="@daily", start_date=START, catchup=False, tags=["airfleet", "spark"])
def airfleet_spark_example():
    daily = SparkRestSubmitOperator(
        task_id="daily_aggregate",
        conn_id="spark_rest_default",
        app_resource=JOBS,
        main_class="com.example.DailyAggregate",
        app_args=["--date", "{{ ds }}", "--out", OUTPUT],
        spark_properties={"spark.executor.memory": "2g"},
        output_path=OUTPUT,
        response_check=enough_rows(MIN_ROWS),
        wait_timeout=timedelta(hours=3),
        retries=2,
    )

    @task
    def publish(submission_id: str) -> str:
        return f"published the output of {submission_id}"

    publish(daily.output)


@dag(schedule=timedelta(minutes=10), start_date=START, catchup=False, max_active_runs=1,
     tags=["airfleet", "spark"])
def airfleet_spark_stream_keeper():
    SparkRestSubmitOperator(
        task_id="keep_clickstream",
        conn_id="spark_rest_default",
        app_resource=JOBS,
        main_class="com.example.ClickStream",
        streaming=True,
        stream_name="clickstream",
        settle_seconds=120,
        wait_timeout=timedelta(minutes=9),
    )


airfleet_spark_example()
airfleet_spark_stream_keeper()
