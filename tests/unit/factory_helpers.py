"""Building factory specs in tests: one record set in, its DAGs and its problems out."""

from __future__ import annotations

from typing import Any

from airfleet.factory.build import build_all
from airfleet.factory.catalog import Catalog, resolve
from airfleet.factory.spec import parse_document

ORIGIN = "factory/spec.yaml"


def bash(task_id: str, name: str, **params: Any) -> dict[str, Any]:
    return {"id": task_id, "name": name, "type": "bash", "params": {"bash_command": f"echo {name}", **params}}


def catalog_of(spec: dict[str, Any], cluster: Any = None) -> Catalog:
    return resolve([parse_document(spec, ORIGIN)], cluster)


def dags_of(spec: dict[str, Any], cluster: Any = None) -> tuple[dict[str, Any], list[str]]:
    """The DAGs of `spec` and every problem as its one-line text (warnings included)."""
    catalog = catalog_of(spec, cluster)
    dags, problems = build_all(catalog)
    return dags, [str(problem) for problem in [*catalog.problems, *problems, *catalog.warnings]]


def problems_of(spec: dict[str, Any]) -> list[str]:
    return dags_of(spec)[1]
