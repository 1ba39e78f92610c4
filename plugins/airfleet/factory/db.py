"""The factory's three tables, in any database SQLAlchemy reaches (the cluster's MySQL by default).

Lists and mappings are stored as JSON text, so the tables are the same on MySQL, PostgreSQL and
SQLite and a hand-edited row with broken JSON is reported as that record's field, not as a crash.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from airfleet.errors import AirfleetError, redact
from airfleet.factory.fields import InvalidJson

CONN_ID = "airfleet_factory_db"
URL_ENV = "AIRFLEET_FACTORY_DB_URL"

metadata = sa.MetaData()
TABLES = {
    "task": sa.Table(
        "airfleet_factory_task", metadata,
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200)),
        sa.Column("type", sa.String(32)),
        sa.Column("params", sa.Text),
    ),
    "job": sa.Table(
        "airfleet_factory_job", metadata,
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200)),
        sa.Column("tasks", sa.Text),
        sa.Column("dependencies", sa.Text),
        sa.Column("params", sa.Text),
        sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("task_groups", sa.Text),
        sa.Column("schedule", sa.Text),
        sa.Column("options", sa.Text),
        sa.Column("task_defaults", sa.Text),
    ),
    "schedule": sa.Table(
        "airfleet_factory_schedule", metadata,
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200)),
        sa.Column("jobs", sa.Text),
        sa.Column("dependencies", sa.Text),
        sa.Column("cron", sa.String(100)),
        sa.Column("params", sa.Text),
        sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("schedule", sa.Text),
        sa.Column("options", sa.Text),
    ),
    # The tables' defaults block: one row per scope (id "dag" or "task"), its settings as JSON.
    "defaults": sa.Table(
        "airfleet_factory_defaults", metadata,
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("settings", sa.Text),
    ),
}
JSON_COLUMNS = {"params", "tasks", "jobs", "dependencies", "task_groups", "schedule", "options", "task_defaults",
                "settings"}
OPTIONAL = {"params", "dependencies", "cron", "task_groups", "schedule", "options", "task_defaults"}  # NULL: left out
PLURAL = {"task": "tasks", "job": "jobs", "schedule": "schedules", "defaults": "defaults"}
# Connection types an Airflow connection may have for the factory DB, and their SQLAlchemy drivers.
DRIVERS = {"mysql": "mysql+mysqldb", "postgres": "postgresql", "sqlite": "sqlite"}


def engine(url: str) -> sa.Engine:
    """No pool (each parse is a short-lived process) and a short connect timeout: a database that
    is away must not eat the dag-processor's import timeout."""
    try:
        backend = sa.engine.make_url(url).get_backend_name()
    except (sa.exc.ArgumentError, ValueError) as exc:
        raise AirfleetError(f"the factory database URL '{redact(url)}' does not parse ({exc}); give one like "
                            "mysql+mysqldb://USER:PASSWORD@HOST:3306/DB (--db-url, AIRFLEET_FACTORY_DB_URL)") from None
    connect_args = {"connect_timeout": 5} if backend in ("mysql", "postgresql") else {}
    return sa.create_engine(url, poolclass=NullPool, connect_args=connect_args)


def create_tables(bind: sa.Engine) -> None:
    """Create the tables, and add the columns that tables made by an older Airfleet lack (all
    nullable, so existing rows keep their meaning)."""
    metadata.create_all(bind)
    with bind.begin() as connection:
        inspector = sa.inspect(connection)
        quote = connection.dialect.identifier_preparer.quote
        for table in TABLES.values():
            present = {column["name"] for column in inspector.get_columns(table.name)}
            for column in table.columns:
                if column.name not in present:
                    kind = column.type.compile(dialect=connection.dialect)
                    connection.execute(sa.text(f"ALTER TABLE {quote(table.name)} "
                                               f"ADD COLUMN {quote(column.name)} {kind}"))


def read_rows(bind: sa.Engine) -> dict[str, list[dict[str, Any]]]:
    """Every row, JSON columns still as text (so it can be cached as is); no tables, no rows."""
    with bind.connect() as connection:
        present = set(sa.inspect(connection).get_table_names())
        rows: dict[str, list[dict[str, Any]]] = {}
        for kind, table in TABLES.items():
            if table.name not in present:
                rows[PLURAL[kind]] = []
                continue
            present_columns = {column["name"] for column in sa.inspect(connection).get_columns(table.name)}
            columns = [column for column in table.columns if column.name in present_columns]
            result = connection.execute(sa.select(*columns).order_by(table.c.id))
            rows[PLURAL[kind]] = [_plain(dict(row._mapping)) for row in result]
        return rows


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    return {key: bool(value) if key == "enabled" and isinstance(value, int) else value for key, value in row.items()}


def decode(rows: Mapping[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Rows as a document: JSON text columns parsed, NULL optional columns left out (defaults apply),
    the defaults rows as a defaults block."""
    document: dict[str, Any] = {}
    for plural, records in rows.items():
        document[plural] = []
        for row in records:
            record = {}
            for key, value in row.items():
                if value is None and key in OPTIONAL:
                    continue
                record[key] = _json(value) if key in JSON_COLUMNS and isinstance(value, str) else value
            document[plural].append(record)
    document["defaults"] = {row["id"]: row.get("settings") for row in document.pop("defaults", [])} or None
    return document


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as error:
        return InvalidJson(text, str(error))


def encode(kind: str, record: Mapping[str, Any]) -> dict[str, Any]:
    """A validated record as a row of its table."""
    row = {}
    for column in TABLES[kind].columns:
        if column.name in record:
            value = record[column.name]
            if column.name in JSON_COLUMNS:
                value = json.dumps(value)
            elif column.name == "id":
                value = str(value)
            row[column.name] = value
    return row


def existing_ids(bind: sa.Engine, kind: str) -> set[str]:
    table = TABLES[kind]
    with bind.connect() as connection:
        return set(connection.scalars(sa.select(table.c.id)))


def write(bind: sa.Engine, records: Mapping[str, Any]) -> None:
    """Insert or replace records, and the scopes of a defaults block (all in one transaction)."""
    defaults = [{"id": scope, "settings": settings} for scope, settings in (records.get("defaults") or {}).items()]
    with bind.begin() as connection:
        for kind, table in TABLES.items():
            for record in defaults if kind == "defaults" else records.get(PLURAL[kind], []):
                row = encode(kind, record)
                connection.execute(sa.delete(table).where(table.c.id == row["id"]))
                connection.execute(sa.insert(table).values(**row))


def set_enabled(bind: sa.Engine, kind: str, record_id: str, enabled: bool) -> bool:
    table = TABLES[kind]
    with bind.begin() as connection:
        result = connection.execute(sa.update(table).where(table.c.id == record_id).values(enabled=enabled))
        return result.rowcount > 0


def url_from_connection(conn: Any) -> str:
    """An Airflow connection (mysql, postgres or sqlite) as a SQLAlchemy URL."""
    driver = DRIVERS.get(conn.conn_type or "")
    if driver is None:
        raise ValueError(f"connection {CONN_ID} has type {conn.conn_type!r}; use one of {', '.join(DRIVERS)}")
    if driver == "sqlite":
        return str(sa.engine.URL.create("sqlite", database=conn.host or conn.schema))
    return sa.engine.URL.create(driver, username=conn.login or None, password=conn.password or None,
                                host=conn.host or None, port=conn.port or None, database=conn.schema or None,
                                query=dict(conn.extra_dejson or {})).render_as_string(hide_password=False)


def connection_fields(url: str) -> dict[str, Any]:
    """The fields of an Airflow connection that `url_from_connection` turns back into `url`."""
    parsed = sa.engine.make_url(url)
    backend = {"postgresql": "postgres"}.get(parsed.get_backend_name(), parsed.get_backend_name())
    if backend not in DRIVERS:
        raise ValueError(f"{parsed.get_backend_name()} is not supported for the factory tables; "
                         f"use {', '.join(DRIVERS)}")
    if backend == "sqlite":
        return {"conn_type": "sqlite", "host": parsed.database}
    return {"conn_type": backend, "host": parsed.host, "login": parsed.username, "password": parsed.password,
            "port": parsed.port, "schema": parsed.database,
            "extra": json.dumps(dict(parsed.query)) if parsed.query else None}
