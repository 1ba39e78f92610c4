"""Throw-away MySQL or PostgreSQL servers from the project's own images (tests.support.containers),
with a schema migrated by Airflow; the fixture that starts one removes it (`Database.remove`)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from testcontainers.core.container import DockerContainer

from tests.support import containers, images

PASSWORD = "airfleet-purge-test"


@dataclass
class Database:
    dialect: str
    container: DockerContainer
    url: str
    client: list[str]  # the database's own command-line client, reading SQL on stdin

    @property
    def name(self) -> str:
        return self.container.get_wrapped_container().name

    def run_client(self, sql: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["docker", "exec", "-i", self.name, *self.client], input=sql,
                              capture_output=True, text=True, timeout=300)

    def engine(self) -> sa.Engine:
        return sa.create_engine(self.url)

    def remove(self) -> None:
        """The container and its volumes."""
        self.container.stop()


# What either image (docker/mysql, docker/postgresql) creates on its first start.
ENV = {"DB_ROOT_PASSWORD": PASSWORD, "DB_NAME": "airflow", "DB_USER": "airflow", "DB_PASSWORD": PASSWORD}


def start_mysql(fast: bool = True) -> Database:
    """`fast`: trade durability for speed (tests); otherwise the cluster's own settings."""
    container, address = containers.start(images.mysql_image(), "mysql", 3306, ENV,
                                          ["--innodb-flush-log-at-trx-commit=0"] if fast else [])
    return Database("mysql", container, f"mysql+mysqldb://airflow:{PASSWORD}@{address}/airflow",
                    ["mysql", "-uairflow", f"-p{PASSWORD}", "airflow"])


def start_postgres(fast: bool = True) -> Database:
    """`fast`: trade durability for speed (tests); otherwise PostgreSQL's defaults."""
    no_sync = ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]
    container, address = containers.start(images.postgres_image(), "postgres", 5432, ENV,
                                          no_sync if fast else [])
    return Database("postgresql", container, f"postgresql://airflow:{PASSWORD}@{address}/airflow",
                    ["psql", "-h", "/tmp", "-v", "ON_ERROR_STOP=1", "-q", "-U", "airflow", "-d", "airflow"])


def wait_ready(database: Database, timeout: float = 180) -> None:
    engine = database.engine()
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                with engine.connect() as connection:
                    connection.execute(sa.text("SELECT 1"))
                return
            except sa.exc.OperationalError as exc:
                if time.monotonic() > deadline:
                    logs = subprocess.run(["docker", "logs", "--tail", "30", database.name],
                                          capture_output=True, text=True)
                    raise RuntimeError(f"{database.dialect} did not accept connections in {timeout:.0f} s: {exc}\n"
                                       f"{logs.stdout}{logs.stderr}") from exc
                time.sleep(1)
    finally:
        engine.dispose()


def migrate(database: Database, airflow_home: Path) -> None:
    """`airflow db migrate`, exactly as a deployment runs it, against the test database."""
    env = {**os.environ, "AIRFLOW_HOME": str(airflow_home), "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": database.url,
           "AIRFLOW__CORE__LOAD_EXAMPLES": "False"}
    result = subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], env=env, capture_output=True,
                            text=True, timeout=600)
    if result.returncode:
        raise RuntimeError(f"airflow db migrate failed on {database.dialect}:\n{result.stdout[-3000:]}"
                           f"{result.stderr[-3000:]}")


def migrated(dialect: str, airflow_home: Path) -> Database:
    """A running, migrated database; the caller removes it (`Database.remove`)."""
    database = {"mysql": start_mysql, "postgresql": start_postgres}[dialect]()
    try:
        wait_ready(database)
        migrate(database, airflow_home)
    except BaseException:
        database.remove()
        raise
    return database
