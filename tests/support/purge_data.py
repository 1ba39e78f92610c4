"""Rows of a DAG in every DAG-related table of a migrated Airflow schema, inserted through the
reflected tables in foreign-key order, plus the DAG's task log files.

Each table's required columns that a DAG does not care about get a plain value of their type, so
the rows fit the live schema of MySQL and PostgreSQL alike.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

NOW = datetime(2026, 1, 1, tzinfo=UTC)
BUNDLE = "dags-folder"
MAP_INDEXES = (-1, 0, 1, 2)  # one unmapped task instance, three mapped ones, per run
RUNS = 2
# Rows that stay when their DAG is purged: shared by DAGs (assets, aliases, bundles, callbacks),
# or the asset's history and state, which are detached from the DAG instead.
KEPT = {"asset", "asset_alias", "callback", "dag_bundle", "asset_event", "asset_state_store"}

_PLAIN = {str: "x", int: 0, float: 0.0, bool: False, dict: {}, list: [], object: {}, bytes: b"", datetime: NOW}


def plain_value(column: sa.Column) -> Any:
    try:
        kind = column.type.python_type
    except NotImplementedError:
        return "x"
    return uuid.uuid4() if kind is uuid.UUID else _PLAIN[kind]


def fills_itself(column: sa.Column) -> bool:
    generated = column.primary_key and isinstance(column.type, sa.Integer) and column.autoincrement in (True, "auto")
    return column.nullable or column.server_default is not None or generated or column.identity is not None


def new_id(column: sa.Column) -> Any:
    """A UUID as the column stores it (native UUID on PostgreSQL, 32 hex characters on MySQL)."""
    value = uuid.uuid4()
    return value if column.type.python_type is uuid.UUID else value.hex


@dataclass
class Filler:
    connection: sa.Connection
    metadata: sa.MetaData
    inserted: Counter[str] = field(default_factory=Counter)

    def add(self, table_name: str, **values: Any) -> Any:
        """Insert one row; returns its (first) primary key value."""
        table = self.metadata.tables[table_name]
        row = {c.name: plain_value(c) for c in table.columns if c.name not in values and not fills_itself(c)}
        row.update(values)
        result = self.connection.execute(sa.insert(table).values(row))
        self.inserted[table_name] += 1
        return result.inserted_primary_key[0]

    def put(self, table_name: str, key: dict[str, Any], **values: Any) -> None:
        """Insert or overwrite the row with this key (a DAG writing an asset's state)."""
        table = self.metadata.tables[table_name]
        self.connection.execute(sa.delete(table).where(*[table.c[name] == value for name, value in key.items()]))
        self.add(table_name, **key, **values)

    def existing_or_add(self, table_name: str, **values: Any) -> Any:
        """Rows that outlive a purge (assets) are there already when a DAG comes back."""
        table = self.metadata.tables[table_name]
        key = list(table.primary_key.columns)[0]
        match = [table.c[name] == value for name, value in values.items()]
        found = self.connection.execute(sa.select(key).where(*match)).scalar()
        return self.add(table_name, **values) if found is None else found


def ensure_bundle(connection: sa.Connection, metadata: sa.MetaData) -> None:
    bundle = metadata.tables["dag_bundle"]
    if connection.execute(sa.select(bundle.c.name).where(bundle.c.name == BUNDLE)).first() is None:
        connection.execute(sa.insert(bundle).values(name=BUNDLE, active=True))


def fill_dag(connection: sa.Connection, metadata: sa.MetaData, dag_id: str, dags_folder: Path,
             consumes_from: dict[str, Any] | None = None) -> tuple[Counter[str], dict[str, Any]]:
    """All rows of one DAG. Returns rows inserted per table and ids other DAGs may refer to
    (`consumes_from`: such ids of another DAG, whose first asset event this DAG's runs consume)."""
    ensure_bundle(connection, metadata)
    tables = metadata.tables
    f = Filler(connection, metadata)
    f.add("dag", dag_id=dag_id, bundle_name=BUNDLE, fileloc=str(dags_folder / f"{dag_id}.py"),
          relative_fileloc=f"{dag_id}.py", is_paused=False, is_stale=False)
    version = f.add("dag_version", id=new_id(tables["dag_version"].c.id), dag_id=dag_id, version_number=1,
                    bundle_name=BUNDLE)
    serialized = f.add("serialized_dag", id=new_id(tables["serialized_dag"].c.id), dag_id=dag_id,
                       dag_version_id=version, data={"dag": dag_id})
    f.add("dag_code", id=new_id(tables["dag_code"].c.id), dag_id=dag_id, dag_version_id=version,
          fileloc=str(dags_folder / f"{dag_id}.py"), source_code="# dag")
    f.add("dag_tag", name="nightly", dag_id=dag_id)
    f.add("dag_owner_attributes", dag_id=dag_id, owner="data-team")
    f.add("dag_warning", dag_id=dag_id, warning_type="non-existent pool")
    f.add("dag_favorite", user_id="1", dag_id=dag_id)
    asset = f.existing_or_add("asset", name=f"{dag_id}.table", uri=f"s3://lake/{dag_id}", group="asset")
    alias = f.existing_or_add("asset_alias", name=f"{dag_id}.alias", group="asset")
    f.add("task_outlet_asset_reference", asset_id=asset, dag_id=dag_id, task_id="extract")
    f.add("task_inlet_asset_reference", asset_id=asset, dag_id=dag_id, task_id="load")
    f.add("dag_schedule_asset_reference", asset_id=asset, dag_id=dag_id)
    f.add("dag_schedule_asset_alias_reference", alias_id=alias, dag_id=dag_id)
    f.add("dag_schedule_asset_name_reference", name=f"{dag_id}.table", dag_id=dag_id)
    f.add("dag_schedule_asset_uri_reference", uri=f"s3://lake/{dag_id}", dag_id=dag_id)
    f.add("asset_dag_run_queue", asset_id=asset, target_dag_id=dag_id)
    f.put("asset_state_store", {"asset_id": asset, "key": "watermark"}, value="42", last_updated_by_kind="task",
          last_updated_by_dag_id=dag_id, last_updated_by_run_id="run_0", last_updated_by_task_id="extract")
    backfill = f.add("backfill", dag_id=dag_id, dag_run_conf={})
    alert = f.add("deadline_alert", id=new_id(tables["deadline_alert"].c.id), serialized_dag_id=serialized)
    f.add("job", dag_id=dag_id, job_type="BackfillJob", state="success")
    events = []
    for number in range(RUNS):
        run_id = f"run_{number}"
        run = f.add("dag_run", dag_id=dag_id, run_id=run_id, run_type="manual", state="success",
                    run_after=NOW, created_dag_version_id=version, backfill_id=backfill if number else None,
                    logical_date=NOW.replace(day=number + 1))
        f.add("backfill_dag_run", backfill_id=backfill, dag_run_id=run, logical_date=NOW.replace(day=number + 1))
        f.add("dag_run_note", dag_run_id=run, content="rerun after the outage")
        callback = f.add("callback", id=new_id(tables["callback"].c.id), type="email", fetch_method="import_path",
                         data={}, priority_weight=1, created_at=NOW)
        f.add("deadline", id=new_id(tables["deadline"].c.id), dagrun_id=run, deadline_alert_id=alert,
              callback_id=callback, deadline_time=NOW, created_at=NOW, last_updated_at=NOW)
        f.add("task_state_store", dag_run_id=run, dag_id=dag_id, run_id=run_id, task_id="extract", map_index=-1,
              key="cursor", value="7", updated_at=NOW)
        event = f.add("asset_event", asset_id=asset, source_dag_id=dag_id, source_task_id="extract",
                      source_run_id=run_id, source_map_index=-1, extra={}, timestamp=NOW)
        events.append(event)
        f.add("dagrun_asset_event", dag_run_id=run, event_id=event)
        if consumes_from:
            f.add("dagrun_asset_event", dag_run_id=run, event_id=consumes_from["events"][number])
        partition_run = f.add("asset_partition_dag_run", target_dag_id=dag_id, created_dag_run_id=run,
                              partition_key=f"p{number}")
        f.add("partitioned_asset_key_log", asset_id=asset, asset_event_id=event,
              asset_partition_dag_run_id=partition_run, source_partition_key=f"p{number}", target_dag_id=dag_id,
              target_partition_key=f"p{number}")
        _task_instances(f, dag_id, run, run_id, version)
    return f.inserted, {"events": events}


def _task_instances(f: Filler, dag_id: str, run: Any, run_id: str, version: Any) -> None:
    tables = f.metadata.tables
    for map_index in MAP_INDEXES:
        task_id = "extract" if map_index < 0 else "load"
        ti_key = {"dag_id": dag_id, "run_id": run_id, "task_id": task_id, "map_index": map_index}
        ti = f.add("task_instance", id=new_id(tables["task_instance"].c.id), **ti_key, try_number=2, max_tries=1,
                   state="success", pool="default_pool", pool_slots=1, dag_version_id=version, hostname="worker-1")
        history_id = new_id(tables["task_instance_history"].c.task_instance_id)
        history = f.add("task_instance_history", task_instance_id=history_id,
                        **ti_key, try_number=1, state="failed", pool="default_pool", pool_slots=1,
                        dag_version_id=version)
        f.add("xcom", dag_run_id=run, **ti_key, key="return_value", value={"rows": 3}, timestamp=NOW)
        f.add("rendered_task_instance_fields", **ti_key, rendered_fields={"sql": "select 1"})
        f.add("log", dttm=NOW, event="success", owner="airflow", try_number=2, **ti_key)
        if map_index < 0:
            f.add("task_map", **ti_key, length=len(MAP_INDEXES) - 1, keys=None)
            f.add("task_reschedule", ti_id=ti, start_date=NOW, end_date=NOW, duration=60, reschedule_date=NOW)
            f.add("task_instance_note", ti_id=ti, content="slow source")
        else:
            f.add("hitl_detail", ti_id=ti, options=["approve", "reject"], subject="Ship it?", params={},
                  params_input={}, created_at=NOW)
            f.add("hitl_detail_history", ti_history_id=history, options=["approve"], subject="Ship it?",
                  params={}, params_input={}, created_at=NOW)


def write_log_files(logs: Path, dag_id: str) -> list[Path]:
    """Task log files as Airflow's default template lays them out."""
    files = []
    for number in range(RUNS):
        for map_index in MAP_INDEXES:
            task = "task_id=extract" if map_index < 0 else f"task_id=load/map_index={map_index}"
            for attempt in (1, 2):
                path = logs / f"dag_id={dag_id}" / f"run_id=run_{number}" / task / f"attempt={attempt}.log"
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(f"{dag_id} attempt {attempt}\n")
                files.append(path)
    return files
