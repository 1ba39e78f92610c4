"""airfleet.celery_config: Airflow's Celery settings, and pool processes that import the task path
once, before their first task, instead of once per task."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import sys
from airfleet import celery_config
from celery.signals import task_prerun
from airflow.providers.celery.executors.default_celery import DEFAULT_CELERY_CONFIG

assert celery_config.CELERY_CONFIG == DEFAULT_CELERY_CONFIG
cold = [name for name in celery_config.TASK_MODULES if name in sys.modules]
task_prerun.send(sender=None)  # what Celery sends in a pool process before each task
warm = [name for name in celery_config.TASK_MODULES if name in sys.modules]
print(len(cold), len(warm), len(celery_config.TASK_MODULES))
"""


def test_a_pool_process_imports_the_task_path_before_its_first_task():
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    cold, warm, total = map(int, out.stdout.splitlines()[-1].split())  # Airflow logs to stdout too
    assert cold < total, "the modules were imported before any pool process started: nothing to measure"
    assert warm == total


def test_a_module_that_cannot_be_imported_is_a_warning_not_a_dead_pool_process():
    probe = ("import logging\nlogging.basicConfig()\nfrom airfleet import celery_config\n"
             "celery_config.TASK_MODULES += ('airfleet_no_such_module',)\n"
             "celery_config.warm_pool_process()\ncelery_config.warm_pool_process()\n"
             "print('alive')")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0 and out.stdout.splitlines()[-1] == "alive", out.stderr[-3000:]
    assert (out.stdout + out.stderr).count("cannot preload airfleet_no_such_module") == 1, "warned more than once"
