"""DAG the Spark end-to-end test runs, and the data-quality checks the Spark tests ship.

The checks use a module-level constant and helper on purpose: they travel by value to the
triggerer, which has neither this file nor its module.
"""

from __future__ import annotations

import os

import pendulum
from airflow.sdk import Param, dag

from airfleet.spark.operator import SparkRestSubmitOperator

MIN_ROWS = 3


def count_rows(output: str) -> int:
    with open(os.path.join(output, "part-00000")) as part:
        return sum(1 for line in part if line.strip())


def rows_at_least(minimum: int):
    """A closure: not ready until the _SUCCESS marker exists; then at least `minimum` rows."""

    def check(output: str) -> bool:
        if not os.path.exists(os.path.join(output, "_SUCCESS")):
            return False
        rows = count_rows(output)
        if rows < max(minimum, MIN_ROWS):
            raise ValueError(f"{output} has {rows} rows, fewer than {max(minimum, MIN_ROWS)}")
        return True

    return check


@dag(
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    params={
        "rest_url": Param("http://127.0.0.1:6066", type="string"),
        "jar": Param("file:/tmp/airfleet-job.jar", type="string"),
        "host_output": Param("/tmp/out", type="string", description="where the driver writes"),
        "output": Param("/tmp/out", type="string", description="the same place, as the triggerer sees it"),
        "seconds": Param(20, type="integer"),
    },
)
def airfleet_test_spark():
    SparkRestSubmitOperator(
        task_id="submit",
        rest_url="{{ params.rest_url }}",
        app_resource="{{ params.jar }}",
        main_class="AirfleetJob",
        app_args=["write", "{{ params.host_output }}", "5", "{{ params.seconds }}"],
        output_path="{{ params.output }}",
        response_check=rows_at_least(5),
        poll_interval=2,
        wait_timeout=300,
    )


airfleet_test_spark()
