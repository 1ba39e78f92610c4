"""Many Spark driver waits in the real Airflow triggerer versus poke-mode sensors; prints JSON.

A fake Spark REST server on loopback answers RUNNING for every driver. A throw-away Airflow
(SQLite, in a temporary AIRFLOW_HOME) holds a DAG of WAITS deferrable `SparkDriverSensor` tasks;
their task instances are put in the state the Execution API leaves a deferring task in (DEFERRED,
with a `SparkDriverTrigger` row each), and `airflow triggerer` runs them all. Measured: the
triggerer's memory (RSS of its process tree) idle and with every wait polling, task instances
holding a worker slot (running) while they wait, and how long after the drivers FINISHED every
task was handed back to the scheduler. For comparison, one poke-mode sensor on the same endpoint
runs as a task process (`airflow tasks test`): each poke-mode wait holds a worker slot and at
least that much memory for the whole wait.

    .venv/bin/python -m benchmarks.spark_waits [--waits 500] [--poll 5]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil

from tests.support.fakes.spark_rest import FakeSparkRest
from tests.support.waiting import eventually

DAG_ID = "bench_spark_waits"
DAG_FILE = '''
import os
import pendulum
from airflow.sdk import dag
from airfleet.spark.sensor import SparkDriverSensor

URL = os.environ.get("AIRFLEET_BENCH_REST_URL", "http://127.0.0.1:9")


@dag(schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC"), catchup=False)
def bench_spark_waits():
    for i in range(int(os.environ.get("AIRFLEET_BENCH_WAITS", "500"))):
        SparkDriverSensor(task_id=f"wait_{i}", submission_id=f"driver-bench-{i}", rest_url=URL, deferrable=True)
    SparkDriverSensor(task_id="poke", submission_id="driver-bench-poke", rest_url=URL, mode="poke",
                      poke_interval=5, timeout=3600)


bench_spark_waits()
'''


def airflow_env(home: Path, rest_url: str, waits: int) -> dict[str, str]:
    return {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home}/airflow.db",
        "AIRFLOW__CORE__DAGS_FOLDER": str(home / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__TRIGGERER__CAPACITY": str(max(1000, waits)),
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
        "AIRFLEET_BENCH_REST_URL": rest_url,
        "AIRFLEET_BENCH_WAITS": str(waits),
    }


def airflow(env: dict[str, str], *args: str, timeout: float = 600) -> None:
    result = subprocess.run([sys.executable, "-m", "airflow", *args], env=env, capture_output=True, text=True,
                            timeout=timeout)
    if result.returncode:
        raise RuntimeError(f"airflow {' '.join(args)} failed:\n{result.stdout[-2000:]}{result.stderr[-3000:]}")


def tree_rss_mb(pid: int) -> float:
    try:
        root = psutil.Process(pid)
        processes = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0
    total = 0
    for process in processes:
        try:
            total += process.memory_info().rss
        except psutil.NoSuchProcess:
            continue
    return total / 2**20


def sample(pid: int, seconds: float) -> dict[str, float]:
    values = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        values.append(tree_rss_mb(pid))
        time.sleep(1)
    return {"median_mb": round(sorted(values)[len(values) // 2], 1), "max_mb": round(max(values), 1)}


def seed_deferred(env: dict[str, str], waits: int, poll: float, rest_url: str) -> None:
    """Create a run whose WAITS tasks are DEFERRED on a SparkDriverTrigger each, as after defer()."""
    os.environ.update(env)
    from airflow.models.serialized_dag import SerializedDagModel
    from airflow.models.taskinstance import TaskInstance
    from airflow.models.trigger import Trigger
    from airflow.sdk import timezone
    from airflow.utils.session import create_session
    from airflow.utils.state import DagRunState, TaskInstanceState
    from airflow.utils.types import DagRunTriggeredByType, DagRunType

    from airfleet.spark.trigger import SparkDriverTrigger

    with create_session() as session:
        dag = SerializedDagModel.get_dag(DAG_ID, session=session)
        now = timezone.utcnow()
        run = dag.create_dagrun(run_id="bench", run_after=now, run_type=DagRunType.MANUAL,
                                triggered_by=DagRunTriggeredByType.TEST, state=DagRunState.RUNNING, session=session)
        session.flush()
        for ti in session.query(TaskInstance).filter_by(dag_id=DAG_ID, run_id=run.run_id):
            if ti.task_id == "poke":
                continue
            number = ti.task_id.split("_")[1]
            trigger = Trigger.from_object(SparkDriverTrigger(
                rest_url=rest_url, submission_id=f"driver-bench-{number}", poll_interval=poll,
                deadline=time.time() + 3600, kill_on_timeout=False,
            ))
            session.add(trigger)
            session.flush()
            ti.state, ti.trigger_id, ti.next_method, ti.next_kwargs = (
                TaskInstanceState.DEFERRED, trigger.id, "execute_complete", {})
        session.commit()


def count_states() -> dict[str, int]:
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session
    from sqlalchemy import func

    with create_session() as session:
        rows = session.query(TaskInstance.state, func.count()).filter(TaskInstance.dag_id == DAG_ID,
                                                                        TaskInstance.task_id != "poke")
        return {str(state): n for state, n in rows.group_by(TaskInstance.state)}


def seconds_until(predicate: Callable[[], bool], timeout: float, what: str) -> float:
    """How long `predicate` took to hold (waiting.eventually raises naming `what` at the timeout)."""
    start = time.monotonic()
    eventually(predicate, timeout, what)
    return time.monotonic() - start


def poke_sensor_rss(env: dict[str, str], seconds: float) -> dict[str, Any]:
    """One poke-mode sensor as a task process; its RSS while it pokes."""
    process = subprocess.Popen([sys.executable, "-m", "airflow", "tasks", "test", DAG_ID, "poke"], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        time.sleep(seconds)
        return {"rss": sample(process.pid, 10), "alive_while_waiting": process.poll() is None}
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


TRIGGERS_ALONE = """
import asyncio, sys, time, psutil
from airfleet.spark.trigger import SparkDriverTrigger
url, waits, poll = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
async def main():
    before = psutil.Process().memory_info().rss
    triggers = [SparkDriverTrigger(rest_url=url, submission_id=f"driver-bench-{i}", poll_interval=poll,
                                   deadline=time.time() + 3600) for i in range(waits)]
    runs = [asyncio.ensure_future(trigger.run().__anext__()) for trigger in triggers]
    await asyncio.sleep(3 * poll)
    print((psutil.Process().memory_info().rss - before) / 2**20)
asyncio.run(main())
"""


def triggers_alone_mb(rest_url: str, waits: int, poll: float) -> float:
    """The same triggers in a bare asyncio loop: what the Spark trigger itself costs, without the
    triggerer's own per-trigger bookkeeping."""
    out = subprocess.run([sys.executable, "-c", TRIGGERS_ALONE, rest_url, str(waits), str(poll)], capture_output=True,
                         text=True, check=True, timeout=300)
    return round(float(out.stdout.strip().splitlines()[-1]), 1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--waits", type=int, default=500)
    parser.add_argument("--poll", type=float, default=5.0, help="seconds between status polls per wait")
    args = parser.parse_args(argv)

    fake = FakeSparkRest().start()
    triggerer = None
    with tempfile.TemporaryDirectory(prefix="airfleet-spark-bench-") as tmp:
        home = Path(tmp)
        (home / "dags").mkdir()
        (home / "dags" / "bench_spark_waits.py").write_text(DAG_FILE)
        env = airflow_env(home, fake.url, args.waits)
        try:
            airflow(env, "db", "migrate")
            airflow(env, "dags", "reserialize")
            triggerer = subprocess.Popen([sys.executable, "-m", "airflow", "triggerer"], env=env,
                                         stdout=(home / "triggerer.log").open("wb"), stderr=subprocess.STDOUT,
                                         start_new_session=True)
            time.sleep(30)  # start-up: imports, job row, the trigger-runner subprocess
            idle = sample(triggerer.pid, 15)
            seed_deferred(env, args.waits, args.poll, fake.url)
            pickup_s = seconds_until(lambda: len(fake.seen) >= args.waits, 600, "poll of every wait")
            loaded = sample(triggerer.pid, 30)
            states_waiting = count_states()
            requests_before, t0 = fake.requests, time.monotonic()
            time.sleep(10)
            poll_rate = (fake.requests - requests_before) / (time.monotonic() - t0)
            fake.default_state = "FINISHED"
            release_s = seconds_until(lambda: count_states().get("scheduled", 0) >= args.waits, 600,
                                      "hand-back of every wait")
        finally:
            if triggerer is not None:
                os.killpg(triggerer.pid, signal.SIGTERM)
                triggerer.wait(60)
        fake.default_state = "RUNNING"
        poke = poke_sensor_rss(env, 25)
    alone = triggers_alone_mb(fake.url, args.waits, args.poll)
    fake.stop()

    report = {
        "waits": args.waits,
        "poll_interval_s": args.poll,
        "deferred": {
            "triggerer_rss_idle": idle,
            "triggerer_rss_with_waits": loaded,
            "triggerer_growth_mb": round(loaded["median_mb"] - idle["median_mb"], 1),
            "spark_triggers_alone_in_a_bare_loop_mb": alone,
            "task_states_while_waiting": states_waiting,
            "worker_slots_held": states_waiting.get("running", 0),
            "seconds_until_all_polling": round(pickup_s, 1),
            "status_requests_per_s": round(poll_rate, 1),
            "seconds_to_hand_back_all_after_finished": round(release_s, 1),
        },
        "poke_mode": {
            "one_sensor_task_process": poke,
            "worker_slots_held": args.waits,
            "estimated_memory_mb_for_all": round(poke["rss"]["median_mb"] * args.waits),
        },
    }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
