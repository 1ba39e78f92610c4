"""`airfleet dags check FOLDER`: import every DAG the way the dag-processor does, and report.

DagBag records import errors, dependency cycles, duplicate dag_ids and cluster-policy violations
(`airflow_local_settings`) as import errors; each is printed with its file and first lines, so a
merge request shows exactly which file breaks and why.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from pathlib import Path

from airfleet.errors import UsageError


@dataclass(frozen=True)
class CheckResult:
    dag_ids: tuple[str, ...]
    errors: dict[str, str]  # file -> error text

    @property
    def ok(self) -> bool:
        return not self.errors


def check(folder: Path) -> CheckResult:
    if not folder.is_dir():
        raise UsageError(f"{folder} is not a directory; pass the DAG folder to check")
    os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    os.environ.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "CRITICAL")  # the report says it all
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(folder), safe_mode=False)
    errors = {str(Path(file)): message for file, message in bag.import_errors.items()}
    return CheckResult(dag_ids=tuple(sorted(bag.dag_ids)), errors=errors)


def report(result: CheckResult, max_lines: int = 12) -> str:
    lines = []
    for file, message in sorted(result.errors.items()):
        body = message.strip().splitlines()
        lines.append(f"FAIL {file}")
        lines += [f"     {line}" for line in body[-max_lines:]]
    verdict = f"{len(result.dag_ids)} DAG(s) imported"
    lines.append(f"{verdict}; {len(result.errors)} file(s) with errors" if result.errors else f"{verdict}; no errors")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    result = check(Path(args.folder))
    print(report(result))
    return 0 if result.ok else 1
