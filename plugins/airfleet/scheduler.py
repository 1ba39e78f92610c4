"""`python -m airfleet.scheduler [ARGS]`: `airflow scheduler ARGS` whose idle sleep follows the load.

A finished task's successor is scheduled by the scheduler's next loop, and the scheduler sleeps
`[scheduler] scheduler_idle_sleep_time` (stock 1 s) after a loop that found nothing to do: a chain
of tasks waits about that long at every hop. A fixed 0.1 s sleep makes the hop 0.19 s but spins
the scheduler when nothing runs (0.05 -> 0.31 cores). So while any executor has tasks in flight,
one of which may end at any moment, the sleep is AIRFLEET_SCHEDULER_BUSY_SLEEP (seconds); with
none, it is the configured idle sleep. Unset or `off` (the default): Airflow's scheduler unchanged.
An opt-in because a fan-out keeps tasks in flight throughout: docker/airflow/tuning.env has the
figures.
"""

from __future__ import annotations

import os
import sys

from airfleet.errors import AirfleetError

SETTING = "AIRFLEET_SCHEDULER_BUSY_SLEEP"


def busy_sleep(env: dict[str, str] | os._Environ[str]) -> float | None:
    """The sleep while tasks are in flight, or None (off); AirfleetError naming a bad value."""
    value = env.get(SETTING, "").strip()
    if value.lower() in ("", "off"):
        return None
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not 0 < seconds <= 60:
        raise AirfleetError(f"{SETTING}={value!r} is not a number of seconds between 0 and 60 (e.g. 0.1), or off")
    return seconds


def install(seconds: float) -> None:
    """Make SchedulerJobRunner's idle sleep `seconds` while one of its executors runs a task.

    The loop reads `self._scheduler_idle_sleep_time` before each idle sleep; a property in its
    place keeps the configured value (what __init__ assigns) and answers by the executors' state.
    """
    from airflow.jobs.scheduler_job_runner import SchedulerJobRunner

    def current(runner: SchedulerJobRunner) -> float:
        idle = runner.__dict__["_airfleet_idle_sleep"]
        in_flight = any(executor.running for executor in runner.executors)
        return min(seconds, idle) if in_flight else idle

    def configure(runner: SchedulerJobRunner, value: float) -> None:
        runner.__dict__["_airfleet_idle_sleep"] = value

    SchedulerJobRunner._scheduler_idle_sleep_time = property(current, configure)


def main(argv: list[str]) -> int:
    try:
        seconds = busy_sleep(os.environ)
    except AirfleetError as error:
        print(f"airfleet: {error}", file=sys.stderr)
        return 1
    if seconds is not None:
        install(seconds)
    from airflow.__main__ import main as airflow

    sys.argv = ["airflow", "scheduler", *argv]
    airflow()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
