"""The Celery settings of Airfleet's workers (`[celery] celery_config_options`): Airflow's own, plus
warm pool processes.

Each task runs in a process forked from a Celery pool process, and imports whatever that pool
process has not. Airflow preloads a few modules in the worker before its pool forks; the rest (the
DAG bag, the Task SDK's decorators, Airfleet's failure notifier and task audit) each task process
would import again: about 0.25 CPU-s per task (`python -m benchmarks profile`). Each pool process
imports them once, before its first task: not at start, so an idle worker's 16 pool processes do
not hold them (about 330 MB) until they are used.
"""

from __future__ import annotations

import functools
import importlib
import logging
from typing import Any

from airflow.providers.celery.executors.default_celery import DEFAULT_CELERY_CONFIG
from celery.signals import task_prerun

CELERY_CONFIG: dict[str, Any] = DEFAULT_CELERY_CONFIG

TASK_MODULES = (
    "airflow.dag_processing.dagbag",
    "airflow.sdk.definitions.decorators",
    "airflow.sdk.execution_time.task_runner",
    "airfleet.alerts.notifier",
    "airfleet.task_audit",
)

log = logging.getLogger(__name__)


@task_prerun.connect
def warm_pool_process(**_: Any) -> None:
    """Sent in the pool process before each task; the imports happen before the first one only."""
    _preload()


@functools.cache
def _preload() -> None:
    for name in TASK_MODULES:
        try:
            importlib.import_module(name)
        except ImportError as exc:  # a task process would hit the same error and report it in its own log
            log.warning("airfleet: cannot preload %s: %s", name, exc)
