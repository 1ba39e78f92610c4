"""Pattern: two tasks in series. `a >> b` makes b wait until a has succeeded; no data is passed."""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task


@dag(schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC"), catchup=False, tags=["airfleet", "pattern"])
def airfleet_pattern_series():
    @task.bash
    def download() -> str:
        # A @task.bash function returns the command to run; a non-zero exit fails the task.
        return "echo 'downloading for run {{ run_id }}' && sleep 1"

    @task
    def publish() -> str:
        return "published"

    # Order only. When the second task needs the first one's result, pass it instead (see
    # airfleet_pattern_xcom_adjacent): that sets the order too.
    download() >> publish()


airfleet_pattern_series()
