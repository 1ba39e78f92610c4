"""Where records come from: YAML files in the DAG bundle, and optionally the factory's tables.

YAML specs live in `factory/*.yaml` next to the DAG file, so they are reviewed and deployed with
the DAGs (the GitLab pipeline validates them). The database is read at most once per TTL per
host (see cache.py): every parse, on the dag-processor and on each worker before a task, would
otherwise query it. When the database is away, the last copy read is used and said so.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import yaml

from airfleet.factory import cache, db, yamlsafe
from airfleet.factory.narrow import narrow
from airfleet.factory.options import read_defaults
from airfleet.factory.problems import DB_ORIGIN, Problem
from airfleet.factory.spec import Document, parse_document

SPEC_DIR = "factory"
DEFAULTS_ENV = "AIRFLEET_FACTORY_DEFAULTS"
log = logging.getLogger(__name__)


def _load(text: str | bytes, origin: str) -> tuple[Any, Problem | None]:
    try:
        return yamlsafe.load(text), None
    except yamlsafe.YamlLimitError as error:
        return None, Problem(origin, "file", "(document)", f"refused: {error}", yamlsafe.FIX)
    except yamlsafe.NotTextError as error:
        return None, Problem(origin, "file", "(document)", str(error), yamlsafe.TEXT_FIX)
    except yaml.YAMLError as error:
        where, detail = yamlsafe.describe(error)
        return None, Problem(origin, "file", where, f"not valid YAML: {detail}", yamlsafe.SYNTAX_FIX)


def yaml_text_document(text: str | bytes, origin: str, only: str | None = None) -> Document:
    """The file's records (only those the DAG `only` needs, when given: see narrow.py); a file with
    none at all (empty, or only comments) is a problem, as most likely a mistake."""
    raw, problem = _load(text, origin)
    if problem is None and raw is None:
        problem = Problem(origin, "file", "(document)", "no records in it (it is empty, or only comments)",
                          "add tasks, jobs or schedules (see dags/factory/ for the format), or delete the file")
    if problem:
        document = Document(origin)
        document.problems.append(problem)
        return document
    return parse_document(narrow(raw, only), origin)


def cluster_defaults(dag_folder: Path | None = None) -> Document | None:
    """The cluster-wide defaults file named by AIRFLEET_FACTORY_DEFAULTS (a defaults block: `dag:` and
    `task:`), as a document holding only defaults; None when the variable is not set. A relative
    path is in the DAG folder, so the file can be reviewed and deployed with the bundle (a Git
    bundle's checkout has no fixed absolute path)."""
    path = os.environ.get(DEFAULTS_ENV)
    if not path:
        return None
    document = Document(path)
    located = dag_folder / path if dag_folder is not None and not Path(path).is_absolute() else Path(path)
    try:
        raw, problem = _load(located.read_bytes(), path)
    except OSError as error:
        raw, problem = None, Problem(path, "file", "(file)", f"cannot read the cluster defaults ({error.strerror})",
                                     f"make {path} readable on every host, or unset {DEFAULTS_ENV}")
    document.defaults, issues = read_defaults(raw, "defaults") if problem is None else (document.defaults, [])
    document.problems += [problem] if problem else []
    document.problems += [Problem(path, "defaults", issue.field, issue.message, issue.fix) for issue in issues]
    return document


def yaml_documents(dag_folder: Path, only: str | None = None) -> list[Document]:
    """One document per `factory/*.yaml` (or .yml) file under the DAG folder, in name order."""
    folder = dag_folder / SPEC_DIR
    paths = sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]) if folder.is_dir() else []
    return [yaml_text_document(path.read_bytes(), path.relative_to(dag_folder).as_posix(), only) for path in paths]


def _configured_url() -> str | None:
    """AIRFLEET_FACTORY_DB_URL, else the Airflow connection `airfleet_factory_db`, else None (no DB source).

    Not Airflow's own sql_alchemy_conn: Airflow hides it from DAG-parsing and task processes on
    purpose. `airfleet factory init` registers the connection pointing at the metadata database.
    """
    url = os.environ.get(db.URL_ENV)
    if url:
        return url
    from airflow.sdk import Connection
    from airflow.sdk.exceptions import AirflowNotFoundException

    try:
        return db.url_from_connection(Connection.get(db.CONN_ID))
    except AirflowNotFoundException:
        return None


def _fetch() -> dict | None:
    url = _configured_url()
    return db.read_rows(db.engine(url)) if url else None


def db_documents(only: str | None = None) -> list[Document]:
    """The tables as one document (origin "db"; only what the DAG `only` needs, when given), or none
    when no database is configured."""
    key = os.environ.get(db.URL_ENV) or f"connection:{db.CONN_ID}"
    entry = cache.load(key)
    stale_note = None
    if entry is not None and entry.age < cache.ttl():
        rows = entry.value
    else:
        try:
            rows = _fetch()
        except Exception as error:  # noqa: BLE001 - any driver or lookup error: fall back, and say so
            log.warning("airfleet factory: cannot read the factory tables: %s", error)
            if entry is None:
                return [_unreadable(error, "DAGs defined in the tables are not generated")]
            rows, stale_note = entry.value, _unreadable(error, f"using the copy read {entry.age:.0f}s ago")
        else:
            cache.store(key, rows)
    if rows is None:
        return []
    document = parse_document(narrow(db.decode(rows), only), DB_ORIGIN)
    if stale_note:
        document.problems.insert(0, stale_note.problems[0])
    return [document]


def _unreadable(error: Exception, consequence: str) -> Document:
    document = Document(DB_ORIGIN)
    document.problems.append(Problem(DB_ORIGIN, "tables", "(connection)",
                                     f"cannot read the factory tables ({type(error).__name__}: {error}); {consequence}",
                                     f"check {db.URL_ENV} or the Airflow connection {db.CONN_ID}, and that the "
                                     "database is up"))
    return document


def documents(dag_folder: Path, only: str | None = None) -> list[Document]:
    return [*yaml_documents(dag_folder, only), *db_documents(only)]
