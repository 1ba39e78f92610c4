"""The scheduler's idle sleep follows the load (airfleet.scheduler): short while an executor has
tasks in flight, the configured one otherwise; bad settings are named."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from airfleet.errors import AirfleetError
from airfleet.scheduler import busy_sleep


@pytest.mark.parametrize(("value", "expected"), [("", None), ("off", None), ("OFF", None), ("0.1", 0.1), (" 2 ", 2.0)])
def test_the_setting_reads_seconds_or_off(value, expected):
    assert busy_sleep({"AIRFLEET_SCHEDULER_BUSY_SLEEP": value}) == expected


@pytest.mark.parametrize("value", ["fast", "0", "-1", "61", "nan"])
def test_a_bad_setting_is_named_with_the_fix(value):
    with pytest.raises(AirfleetError, match=r"AIRFLEET_SCHEDULER_BUSY_SLEEP=.* between 0 and 60 \(e.g. 0.1\), or off"):
        busy_sleep({"AIRFLEET_SCHEDULER_BUSY_SLEEP": value})


# In a fresh interpreter: install() changes Airflow's class for the rest of the process.
RUNNER = """
import json
from airflow.executors.local_executor import LocalExecutor
from airflow.jobs.job import Job
from airflow.jobs.scheduler_job_runner import SchedulerJobRunner
from airflow.models.taskinstancekey import TaskInstanceKey
from airfleet.scheduler import install

install(0.1)
executor = LocalExecutor()
runner = SchedulerJobRunner(job=Job(), executors=[executor], scheduler_idle_sleep_time=1.5)
idle = runner._scheduler_idle_sleep_time
executor.running.add(TaskInstanceKey("d", "t", "r", 1))
busy = runner._scheduler_idle_sleep_time
executor.running.clear()
print(json.dumps([idle, busy, runner._scheduler_idle_sleep_time]))
"""


def test_the_real_scheduler_sleeps_short_only_while_a_task_is_in_flight(tmp_path):
    env = {**os.environ, "AIRFLOW_HOME": str(tmp_path), "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
           "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{tmp_path}/airflow.db"}
    out = subprocess.run([sys.executable, "-c", RUNNER], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip().splitlines()[-1] == "[1.5, 0.1, 1.5]"


def test_a_bad_setting_stops_the_scheduler_in_one_line():
    out = subprocess.run([sys.executable, "-m", "airfleet.scheduler", "--help"], capture_output=True, text=True,
                         env={**os.environ, "AIRFLEET_SCHEDULER_BUSY_SLEEP": "soon"}, timeout=60)
    assert out.returncode == 1
    assert out.stderr.strip() == ("airfleet: AIRFLEET_SCHEDULER_BUSY_SLEEP='soon' is not a number of seconds "
                                  "between 0 and 60 (e.g. 0.1), or off")
