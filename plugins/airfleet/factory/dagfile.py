"""What the two factory DAG files call.

A DAG file that raises loses every DAG it defines, and an import error recorded against a file
marks all of that file's DAGs stale. So the work is split: `dags/airfleet_factory.py` builds the
DAGs of every well-formed record and never raises for a bad one; `dags/airfleet_factory_specs.py`
builds nothing and raises when any record is malformed, so the malformed records appear as that
one file's import error (UI, `airflow dags list-import-errors`, the GitLab pipeline's DAG check),
each line naming the source, the record, the field and the fix.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from airfleet.factory import sources
from airfleet.factory.build import build_all
from airfleet.factory.catalog import resolve
from airfleet.factory.problems import FactorySpecError, Problem

if TYPE_CHECKING:
    from airflow.sdk import DAG

log = logging.getLogger(__name__)


def generate(dag_folder: Path, only: str | None = None) -> tuple[dict[str, DAG], list[Problem]]:
    """The DAGs, and the problems: malformed records, then warnings (asset names nothing produces).
    With `only`, just the records that DAG needs are read (narrow.py)."""
    catalog = resolve(sources.documents(dag_folder, only), sources.cluster_defaults(dag_folder))
    dags, problems = build_all(catalog, only)
    return dags, catalog.problems + problems + catalog.warnings


def generated_dags(dag_folder: Path) -> dict[str, DAG]:
    """The DAGs for `dags/airfleet_factory.py` to put in its globals. On a worker, only the DAG
    whose task is about to run is built (Airflow's parsing context names it)."""
    from airflow.sdk import get_parsing_context

    dags, problems = generate(dag_folder, only=get_parsing_context().dag_id)
    if any(not problem.warning for problem in problems):
        log.warning("airfleet factory: %d malformed record(s) skipped; see the import error of "
                    "airfleet_factory_specs.py", len(problems))
    return dags


def raise_for_malformed(dag_folder: Path) -> None:
    """For `dags/airfleet_factory_specs.py`: raise FactorySpecError listing every malformed record and
    every warning (the import error is where people look; warnings leave out nothing)."""
    _, problems = generate(dag_folder)
    if problems:
        raise FactorySpecError(problems)
