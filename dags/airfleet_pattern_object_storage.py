"""Pattern: large data through object storage, with only its URI in XCom.

XCom values live in the metadata database, so a task that makes a big result writes it to storage
every worker can read and returns where it is. Airflow's ObjectStoragePath gives one API for a
shared filesystem and for S3-compatible stores alike.

Storage root: the Airflow Variable `airfleet_shared_storage`, by default a folder on the volume all
of the cluster's containers share. For S3 or MinIO set it to e.g. `s3://minio_conn@bucket/airflow`
(`minio_conn`: an Amazon Web Services connection whose extra has `endpoint_url`).
"""

from __future__ import annotations

import re

import pendulum
from airflow.sdk import ObjectStoragePath, Variable, dag, task

DEFAULT_ROOT = "file:///opt/airflow/logs/airfleet-shared"
ROWS = 200_000


@dag(schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC"), catchup=False, tags=["airfleet", "pattern"])
def airfleet_pattern_object_storage():
    @task
    def produce(run_id: str | None = None) -> str:
        # Read the Variable inside the task, not at the top of the file: the file is parsed often.
        root = ObjectStoragePath(Variable.get("airfleet_shared_storage", default=DEFAULT_ROOT))
        path = root / "patterns" / "object_storage" / re.sub(r"[^\w.-]", "_", run_id) / "readings.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w") as out:
            out.write("sensor,value\n")
            out.writelines(f"s{n % 50},{n % 97}\n" for n in range(ROWS))
        return str(path)  # a few dozen bytes in XCom instead of megabytes

    @task
    def summarise(uri: str) -> dict[str, int]:
        path = ObjectStoragePath(uri)
        with path.open() as data:
            data.readline()  # the header
            values = [int(line.rsplit(",", 1)[1]) for line in data]
        return {"rows": len(values), "total": sum(values), "bytes": path.stat().st_size}

    @task(trigger_rule="all_done")  # tidy up even when summarise failed
    def clean_up(uri: str) -> None:
        path = ObjectStoragePath(uri)
        path.unlink()
        path.parent.rmdir()

    uri = produce()
    summarise(uri) >> clean_up(uri)


airfleet_pattern_object_storage()
