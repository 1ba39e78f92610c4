"""Before the cluster starts: can the Fernet key in use read what the metadata database holds?

A cluster started with another key (a lost `.env` line replaced, a database restored from another
cluster) would come up and then fail every task that reads a connection or a secret variable.
The init service runs this first and refuses to start the cluster, naming the fix.
"""

from __future__ import annotations

import sys

import sqlalchemy as sa
from cryptography.fernet import InvalidToken

from airfleet.errors import AirfleetError

QUERIES = {
    "connection": "SELECT conn_id, password, extra, is_encrypted, is_extra_encrypted FROM connection",
    "variable": "SELECT `key`, val, NULL, is_encrypted, 0 FROM variable",
}


def unreadable(connection: sa.Connection, decrypt) -> list[str]:
    """`kind id` of every stored value the key cannot decrypt (tables not yet created hold none)."""
    found = []
    tables = set(sa.inspect(connection).get_table_names())
    for kind, query in QUERIES.items():
        if kind not in tables:
            continue
        if connection.dialect.name != "mysql":
            query = query.replace("`", '"')
        for name, first, second, first_encrypted, second_encrypted in connection.execute(sa.text(query)):
            for value, encrypted in ((first, first_encrypted), (second, second_encrypted)):
                if encrypted and value:
                    try:
                        decrypt(value.encode())
                    except InvalidToken:
                        found.append(f"{kind} {name}")
                        break
    return found


def check(url: str, decrypt) -> None:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            bad = unreadable(connection, decrypt)
    finally:
        engine.dispose()
    if bad:
        shown = ", ".join(bad[:5]) + (f" and {len(bad) - 5} more" if len(bad) > 5 else "")
        raise AirfleetError(
            f"AIRFLOW_FERNET_KEY cannot decrypt {len(bad)} stored value(s) ({shown}): the database was written "
            "with another key. Restore the key it was written with in .env (see the .env.backup-* files), or "
            "list both keys, new first, as AIRFLOW_FERNET_KEY=new,old and run `airflow rotate-fernet-key`")


def run(args: object) -> int:
    from airflow.configuration import conf
    from airflow.models.crypto import get_fernet

    check(conf.get("database", "sql_alchemy_conn"), get_fernet().decrypt)
    return 0


def main(argv: list[str] | None = None) -> int:
    from airfleet.cli import run_module

    return run_module("python -m airfleet.fernet_check", __doc__.split("\n\n")[0], run, argv)


if __name__ == "__main__":
    sys.exit(main())
