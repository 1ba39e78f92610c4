"""Pattern: data between tasks that are not adjacent. The first task pushes a value under a key;
a later task pulls it by task id and key. The puller must run after the pusher (here through the
task in between), or there is nothing to pull yet."""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task


@dag(schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC"), catchup=False, tags=["airfleet", "pattern"])
def airfleet_pattern_xcom_non_adjacent():
    @task
    def read_settings(ti=None) -> None:
        # An explicit key, so several values can be pushed and the puller names the one it wants.
        ti.xcom_push(key="threshold", value=10)

    @task
    def load_readings() -> list[int]:
        return [4, 12, 7, 30]

    @task
    def keep_high(readings: list[int], ti=None) -> list[int]:
        threshold = ti.xcom_pull(task_ids="read_settings", key="threshold")
        return [value for value in readings if value > threshold]

    readings = load_readings()
    read_settings() >> readings
    keep_high(readings)


airfleet_pattern_xcom_non_adjacent()
