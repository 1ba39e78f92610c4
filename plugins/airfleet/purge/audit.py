"""A purge leaves one record in Airflow's audit `log` table: which DAGs, how many rows, by whom.

The record's `dag_id` stays NULL (the DAGs are gone; nothing may point at them); the ids are in
`extra`. It is also how a second purge of the same ids knows they are purged, not misspelt.
"""

from __future__ import annotations

import getpass
import json
from collections.abc import Sequence

import sqlalchemy as sa

EVENT = "airfleet_dags_purge"


def record(metadata: sa.MetaData, dag_ids: Sequence[str], rows: int) -> sa.Insert:
    log = metadata.tables["log"]
    extra = json.dumps({"dag_ids": list(dag_ids), "rows": rows})
    return sa.insert(log).values(dttm=sa.func.current_timestamp(), event=EVENT, owner=getpass.getuser(), extra=extra)


def purged_before(connection: sa.Connection, metadata: sa.MetaData) -> set[str]:
    """Ids named by earlier purges' records."""
    log = metadata.tables["log"]
    purged: set[str] = set()
    for extra in connection.execute(sa.select(log.c.extra).where(log.c.event == EVENT)).scalars():
        try:
            purged.update(json.loads(extra or "{}").get("dag_ids", []))
        except (ValueError, AttributeError):
            continue  # a record someone edited by hand
    return purged
