"""The init service's Fernet check: a key that cannot read the stored connections and variables
stops the cluster before it starts; the right key, several keys while rotating, or an empty
database pass."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet, MultiFernet

from airfleet.errors import AirfleetError
from airfleet.fernet_check import check

OLD, NEW = Fernet.generate_key(), Fernet.generate_key()


@pytest.fixture
def database(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'airflow.db'}"
    engine = sa.create_engine(url)
    token = Fernet(OLD).encrypt(b"s3cret").decode()
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE connection (conn_id TEXT, password TEXT, extra TEXT, "
                                   "is_encrypted BOOLEAN, is_extra_encrypted BOOLEAN)"))
        connection.execute(sa.text('CREATE TABLE variable ("key" TEXT, val TEXT, is_encrypted BOOLEAN)'))
        connection.execute(sa.text("INSERT INTO connection VALUES ('warehouse', :t, NULL, 1, 0), "
                                   "('plain', 'x', '{}', 0, 0)"),
                           {"t": token})
        connection.execute(sa.text("INSERT INTO variable VALUES ('api_token', :t, 1), ('region', 'eu', 0)"),
                           {"t": token})
    engine.dispose()
    return url


def test_the_key_the_data_was_written_with_passes(database):
    check(database, Fernet(OLD).decrypt)


def test_both_keys_while_rotating_pass(database):
    check(database, MultiFernet([Fernet(NEW), Fernet(OLD)]).decrypt)


def test_another_key_is_refused_naming_what_it_cannot_read_and_the_fix(database):
    with pytest.raises(AirfleetError) as error:
        check(database, Fernet(NEW).decrypt)
    message = str(error.value)
    assert "cannot decrypt 2 stored value(s) (connection warehouse, variable api_token)" in message
    assert ".env.backup-" in message and "rotate-fernet-key" in message


def test_a_database_not_yet_migrated_has_nothing_to_check(tmp_path):
    check(f"sqlite:///{tmp_path / 'empty.db'}", Fernet(NEW).decrypt)
