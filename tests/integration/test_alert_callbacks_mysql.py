"""On MySQL the scheduler can store the callbacks every failure now has (airfleet.local_settings).

Airflow 3.3.2 binds the `callback` table's `type` as a `CallbackType` member, which mysqlclient
writes as 'CallbackType.DAG_PROCESSOR': too long for the VARCHAR(20) column, so the scheduler died
on the first DAG or task callback it queued. Reproduced on the project's MySQL image with that
column, and fixed by the cluster-policy module binding enum members by value.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from airflow.models.callback import CallbackType

from tests.support import databases, images

pytestmark = pytest.mark.integration

CREATE = "CREATE TABLE callback_probe (id INT AUTO_INCREMENT PRIMARY KEY, type VARCHAR(20) NOT NULL)"
INSERT = sa.text("INSERT INTO callback_probe (type) VALUES (:type)")

@pytest.fixture(scope="module")
def mysql():
    images.docker_or_skip()
    database = databases.start_mysql()
    try:
        databases.wait_ready(database)
        engine = database.engine()
        with engine.begin() as connection:
            connection.execute(sa.text(CREATE))
        engine.dispose()
        yield database
    finally:
        database.remove()


def test_without_the_fix_mysql_refuses_the_callback_type(mysql):
    from airfleet import local_settings

    engine = mysql.engine()
    sa.event.remove(sa.engine.Engine, "before_cursor_execute", local_settings._bind_by_value)
    try:
        with pytest.raises(sa.exc.DataError, match="Data too long for column 'type'"):
            with engine.begin() as connection:
                connection.execute(INSERT, {"type": CallbackType.DAG_PROCESSOR})
    finally:
        local_settings.bind_enums_by_value()
        engine.dispose()


def test_with_the_policy_module_loaded_it_is_stored_and_found_by_value(mysql):
    import airfleet.local_settings  # noqa: F401 - loaded by Airflow through the airflow.policy entry point

    engine = mysql.engine()
    try:
        with engine.begin() as connection:
            connection.execute(INSERT, {"type": CallbackType.DAG_PROCESSOR})
            connection.execute(INSERT, [{"type": CallbackType.EXECUTOR}, {"type": CallbackType.TRIGGERER}])
            found = connection.execute(sa.text("SELECT type FROM callback_probe WHERE type = :type"),
                                       {"type": CallbackType.DAG_PROCESSOR}).scalars().all()
            stored = connection.execute(sa.text("SELECT type FROM callback_probe ORDER BY id")).scalars().all()
    finally:
        engine.dispose()
    assert found == ["dag_processor"]
    assert stored == ["dag_processor", "executor", "triggerer"]
