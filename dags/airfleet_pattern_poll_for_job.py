"""Pattern: wait for an external job without holding a worker slot, two ways.

`external_job` stands in for work done elsewhere (a Spark driver, a dbt Cloud run, a vendor's
export) that signals completion by writing a marker file. Two waits watch for it:

- `wait_rescheduling`: a sensor in reschedule mode. Each poke is a short task try; between pokes
  the slot is free and the task is `up_for_reschedule`. Simple; each poke costs a task start.
- `wait_deferred`: a deferrable operator. It hands the wait to a trigger in the triggerer, where
  thousands of waits share one event loop, and comes back to a worker only when the trigger fires.
  Triggers must be importable by the triggerer (an installed package, never the DAG bundle):
  here it is the standard provider's FileTrigger.

The marker sits on the volume every container shares (the triggerer checks it too).
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pendulum
from airflow.providers.standard.triggers.file import FileTrigger
from airflow.sdk import BaseOperator, PokeReturnValue, dag, task

MARKERS = Path("/opt/airflow/logs/airfleet-shared/patterns/poll_for_job")


class WaitForMarker(BaseOperator):
    """Succeed once `marker` exists; the wait runs in the triggerer, not on a worker."""

    template_fields = ("marker",)

    def __init__(self, *, marker: str, poke_interval: float = 2.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.marker = marker
        self.poke_interval = poke_interval

    def execute(self, context: Any) -> None:
        if Path(self.marker).exists():
            return
        self.defer(trigger=FileTrigger(filepath=self.marker, poke_interval=self.poke_interval),
                   method_name="execute_complete")

    def execute_complete(self, context: Any, event: Any = None) -> None:
        self.log.info("marker %s found", self.marker)


@dag(schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC"), catchup=False, tags=["airfleet", "pattern"])
def airfleet_pattern_poll_for_job():
    @task
    def submit(run_id: str | None = None) -> str:
        folder = MARKERS / re.sub(r"[^\w.-]", "_", run_id)
        folder.mkdir(parents=True, exist_ok=True)
        return str(folder / "_SUCCESS")  # what the job writes when it is done

    @task
    def external_job(marker: str) -> None:
        time.sleep(12)
        Path(marker).write_text("done\n")

    @task.sensor(mode="reschedule", poke_interval=3, timeout=600)
    def wait_rescheduling(marker: str) -> PokeReturnValue:
        return PokeReturnValue(is_done=Path(marker).exists())

    @task
    def collect(marker: str) -> str:
        Path(marker).unlink()
        Path(marker).parent.rmdir()
        return "the job finished; both waits saw it"

    marker = submit()
    waits = [wait_rescheduling(marker), WaitForMarker(task_id="wait_deferred", marker=marker)]
    external_job(marker)
    waits >> collect(marker)


airfleet_pattern_poll_for_job()
