"""How `python -m benchmarks profile` reads what it measures: py-spy's raw stacks into functions,
parts and a flame graph, and /proc's CPU counters into CPU per kind of process."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections import Counter

from benchmarks import flamegraph, parts, procs, profile

POOL = 'process 40:"[celeryd: celery@ab12:ForkPoolWorker-3]"'
STACKS = Counter({
    (POOL, "execute_workload (celery/executors/celery_executor_utils.py:250)",
     "supervise_task (airflow/sdk/execution_time/supervisor.py:2600)",
     "_fork_main (airflow/sdk/execution_time/supervisor.py:450)",
     "run (airflow/sdk/execution_time/task_runner.py:9)"): 6,
    (POOL, "execute_workload (celery/executors/celery_executor_utils.py:250)",
     "supervise_task (airflow/sdk/execution_time/supervisor.py:2610)", "select (selectors.py:468)"): 3,
    (POOL, "DatabaseBackend._store_result (celery/backends/database/__init__.py:156)",
     "Connection.query (MySQLdb/connections.py:280)"): 1,
})


def test_raw_stacks_are_read_outermost_first(tmp_path):
    raw = tmp_path / "worker.txt"
    raw.write_text("process 1:\"tini\";main (a.py:1);work (a.py:9) 7\nprocess 1:\"tini\";main (a.py:1) 2\n\n")
    assert profile.read_raw(raw) == Counter({('process 1:"tini"', "main (a.py:1)", "work (a.py:9)"): 7,
                                             ('process 1:"tini"', "main (a.py:1)"): 2})
    assert profile.read_raw(tmp_path / "missing.txt") == Counter()


def test_own_samples_group_lines_of_one_function():
    stacks = Counter({("main (a.py:1)", "work (a.py:9)"): 2, ("main (a.py:1)", "work (a.py:12)"): 3,
                      ("main (a.py:1)",): 1})
    assert parts.own(stacks) == Counter({"work (a.py)": 5, "main (a.py)": 1})


def test_worker_samples_are_split_into_task_process_supervisor_and_result_backend():
    assert parts.split("worker", STACKS) == Counter({"task process": 6, "supervisor": 3,
                                                     "celery result backend (metadata DB)": 1})


def test_loop_roles_are_split_by_the_call_their_loop_makes():
    loop = "SchedulerJobRunner._run_scheduler_loop (airflow/jobs/scheduler_job_runner.py:1400)"
    stacks = Counter({("main (a.py:1)", loop, "SchedulerJobRunner._do_scheduling (x.py:5)", "q (y.py:1)"): 4,
                      ("main (a.py:1)", "import_module (importlib/__init__.py:126)",
                       "_find_and_load (<frozen importlib._bootstrap>:1176)"): 1})
    assert parts.split("scheduler", stacks) == Counter({"loop: SchedulerJobRunner._do_scheduling": 4,
                                                        "outside the loop: imports": 1})


def test_the_flame_graph_is_svg_with_one_titled_box_per_frame_sized_by_samples():
    svg = "{http://www.w3.org/2000/svg}"
    root = ET.fromstring(flamegraph.render(STACKS, "worker, fanout"))
    titles = [el.text for el in root.iter(f"{svg}title")]
    assert "all (10 samples, 100.00%)" in titles
    assert any(t.startswith("execute_workload (celery/executors/celery_executor_utils.py:250) (9 samples")
               for t in titles)
    widths = {g.find(f"{svg}title").text.split(" (")[0]: float(g.find(f"{svg}rect").get("width"))
              for g in root.iter(f"{svg}g")}
    assert widths["all"] == flamegraph.WIDTH
    assert abs(widths["_fork_main"] - flamegraph.WIDTH * 6 / 10) < 0.1


def test_process_kinds_drop_ids_so_one_kind_collects_every_instance():
    assert procs.kind("[celeryd: celery@ab12:ForkPoolWorker-13]") == "celery pool process (supervisor)"
    assert procs.kind("airflow supervisor: 01a2519e-3595-70ea-8c1b-4f0e2a9d0c11") == "celery pool process (supervisor)"
    assert procs.kind("airflow worker -- 01a2519e-69dc-763c-98aa-000000000000") == "task process"
    assert procs.kind("python -m airfleet.retention --db 3600") == "python -m airfleet.retention --db N"


def test_cpu_by_kind_counts_own_time_and_reaped_childrens_time():
    """A real process tree: a child burning CPU, reaped by its parent, shows as the parent's children."""
    burner = "import time\nend = time.process_time() + 0.3\nwhile time.process_time() < end: pass\n"
    parent = subprocess.Popen([sys.executable, "-c", "import subprocess, sys, time\ntime.sleep(1)\n"
                               f"subprocess.run([sys.executable, '-c', {burner!r}])\ntime.sleep(30)"])
    try:
        time.sleep(0.3)
        before = procs.snapshot(os.getpid())
        deadline = time.monotonic() + 20
        while (after := procs.snapshot(os.getpid()))[parent.pid][2] < 0.25 and time.monotonic() < deadline:
            time.sleep(0.2)
        cpu = procs.cpu_by_kind(before, after)
        assert cpu.get(f"children of {before[parent.pid][0]}", 0) >= 0.25, cpu
        assert cpu.get(before[parent.pid][0], 0) < 0.25, "the child's CPU was counted as the parent's own"
    finally:
        parent.kill()
        parent.wait()
