"""A throw-away MySQL or PostgreSQL server in a container, with a schema migrated by Airflow."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from tests.support import images

PASSWORD = "airfleet-purge-test"


@dataclass
class Database:
    dialect: str
    container: str
    url: str
    client: list[str]  # the database's own command-line client, reading SQL on stdin

    def run_client(self, sql: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["docker", "exec", "-i", self.container, *self.client], input=sql,
                              capture_output=True, text=True, timeout=300)

    def engine(self) -> sa.Engine:
        return sa.create_engine(self.url)

    def remove(self) -> None:
        subprocess.run(["docker", "rm", "-f", "-v", self.container], capture_output=True)


def _start(image: str, name: str, port: int, env: dict[str, str], args: list[str]) -> str:
    """Run the container on a free loopback port; returns host:port."""
    env_args = [item for key, value in env.items() for item in ("-e", f"{key}={value}")]
    subprocess.run(["docker", "run", "-d", "--name", name, "-p", f"127.0.0.1::{port}", *env_args, image, *args],
                   check=True, capture_output=True)
    published = subprocess.run(["docker", "port", name, str(port)], check=True, capture_output=True, text=True)
    return published.stdout.splitlines()[0].strip()


def start_mysql(fast: bool = True) -> Database:
    """`fast`: trade durability for speed (tests); otherwise the cluster's own settings."""
    name = f"airfleet-purge-test-mysql-{uuid.uuid4().hex[:6]}"
    env = {"MYSQL_ROOT_PASSWORD": PASSWORD, "MYSQL_DATABASE": "airflow", "MYSQL_USER": "airflow",
           "MYSQL_PASSWORD": PASSWORD}
    address = _start(images.mysql_image(), name, 3306, env, ["--innodb-flush-log-at-trx-commit=0"] if fast else [])
    return Database("mysql", name, f"mysql+mysqldb://airflow:{PASSWORD}@{address}/airflow",
                    ["mysql", "-uairflow", f"-p{PASSWORD}", "airflow"])


def start_postgres(fast: bool = True) -> Database:
    """`fast`: trade durability for speed (tests); otherwise PostgreSQL's defaults."""
    name = f"airfleet-purge-test-postgres-{uuid.uuid4().hex[:6]}"
    env = {"POSTGRES_PASSWORD": PASSWORD, "POSTGRES_DB": "airflow"}
    no_sync = ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]
    address = _start(images.postgres_image(), name, 5432, env, no_sync if fast else [])
    return Database("postgresql", name, f"postgresql+psycopg2://postgres:{PASSWORD}@{address}/airflow",
                    ["psql", "-h", "/tmp", "-v", "ON_ERROR_STOP=1", "-q", "-U", "postgres", "-d", "airflow"])


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
                    logs = subprocess.run(["docker", "logs", "--tail", "30", database.container],
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
