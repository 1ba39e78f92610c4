"""Parse time of factory DAGs read from the tables against the same DAGs written as Python; prints JSON.

JOBS jobs of TASKS bash tasks each (a chain; the middle tasks in a task group, one of them mapped
over three commands) are written to the factory tables on SQLite, and each job is rendered (as by
`airfleet factory render`) to its own Python DAG file. Both are parsed as the dag-processor parses
a file, with DagBag (cluster policies included): `dags/airfleet_factory.py` with the tables read
from the database (cold) and from the per-host cache (warm), and the folder of rendered files.
A worker parses only the DAG of the task it runs: for that, the factory file with Airflow's parsing
context naming one job, against one rendered file. Runs are interleaved and repeated; the figures
are the median and minimum seconds, after one untimed parse that imports Airflow. Run on a quiet machine.

    .venv/bin/python -m benchmarks.factory_parse [--jobs 500] [--tasks 20] [--repeat 3]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).parents[1]


def spec(jobs: int, tasks: int) -> dict[str, Any]:
    records: dict[str, list[dict[str, Any]]] = {"tasks": [], "jobs": []}
    for job in range(jobs):
        ids = [f"{job}.{task}" for task in range(tasks)]
        for task, task_id in enumerate(ids):
            params: dict[str, Any] = {"bash_command": f"echo {job} {task} {{{{ ds }}}}", "retries": 1}
            if task == tasks // 2:
                params = {"expand": {"bash_command": ["echo 1", "echo 2", "echo 3"]}}
            records["tasks"].append({"id": task_id, "name": f"step_{task}", "type": "bash", "params": params})
        middle = ids[1:-1]
        records["jobs"].append({
            "id": str(job), "name": f"bench_{job}", "tasks": ids,
            "task_groups": [{"id": f"g{job}", "name": "middle", "tasks": middle}],
            "dependencies": [{"task_id": child, "pid": parent} for parent, child in itertools.pairwise(ids)],
        })
    return records


def timed(action: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=500)
    parser.add_argument("--tasks", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="airfleet-factory-bench-"))
    os.environ.update({
        "AIRFLOW_HOME": str(work / "home"), "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",  # stdout is for the JSON
        "AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT": "0",  # measure, do not cut off (the default is 30 s)
        "AIRFLEET_FACTORY_DB_URL": f"sqlite:///{work / 'factory.db'}",
        "AIRFLEET_FACTORY_CACHE_DIR": str(work / "cache"),
        "AIRFLEET_FACTORY_DB_TTL": "3600",
    })
    from airflow.dag_processing.dagbag import DagBag

    from airfleet.factory import cache, db, sources
    from airfleet.factory.build import plan_of
    from airfleet.factory.catalog import resolve
    from airfleet.factory.render import render

    try:
        factory_dir, python_dir = work / "factory_dags", work / "python_dags"
        factory_dir.mkdir()
        python_dir.mkdir()
        shutil.copy(ROOT / "dags" / "airfleet_factory.py", factory_dir)
        bind = db.engine(os.environ["AIRFLEET_FACTORY_DB_URL"])
        db.create_tables(bind)
        db.write(bind, spec(args.jobs, args.tasks))
        catalog = resolve(sources.db_documents())
        assert not catalog.problems, catalog.problems[:3]
        for job in catalog.jobs:
            (python_dir / f"{job.dag_id}.py").write_text(render(plan_of(job), job.dag_id))
        one_job = catalog.jobs[0].dag_id

        def bag(path: Path) -> Callable[[], int]:
            def parse() -> int:
                dagbag = DagBag(dag_folder=str(path), bundle_path=path.parent if path.is_file() else path)
                assert not dagbag.import_errors, dagbag.import_errors
                return len(dagbag.dags)
            return parse

        def cold() -> int:
            cache.clear()
            return bag(factory_dir)()

        def worker() -> int:
            os.environ["_AIRFLOW_PARSING_CONTEXT_DAG_ID"] = one_job
            try:
                return bag(factory_dir)()
            finally:
                del os.environ["_AIRFLOW_PARSING_CONTEXT_DAG_ID"]

        cases = {"factory_tables_cold": cold, "factory_tables_warm": bag(factory_dir), "python_files": bag(python_dir),
                 "worker_factory_one_dag": worker, "worker_python_one_file": bag(python_dir / f"{one_job}.py")}
        bag(python_dir / f"{one_job}.py")()  # imports Airflow, the providers and the policies once, untimed
        load_before = os.getloadavg()[0]
        seconds: dict[str, list[float]] = {name: [] for name in cases}
        dags: dict[str, int] = {}
        for round_number in range(args.repeat):
            for name, case in cases.items():
                elapsed, dags[name] = timed(case)
                seconds[name].append(elapsed)
                print(f"round {round_number + 1}: {name} {elapsed:.2f} s", file=sys.stderr)
        figures = {
            "jobs": args.jobs, "tasks_per_job": args.tasks, "repeat": args.repeat,
            "load_average": {"start": load_before, "end": os.getloadavg()[0]},
            "cases": {name: {"dags": dags[name], "median_s": round(statistics.median(values), 3),
                             "min_s": round(min(values), 3)} for name, values in seconds.items()},
        }
        print(json.dumps(figures, indent=2))
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
