"""Count a plan's rows, and run it in batches: each transaction changes at most N rows by key.

A batch reads up to N keys of matching rows (primary keys; row addresses on PostgreSQL) outside
any transaction (a plain snapshot read takes no row locks), then deletes or detaches exactly those
rows in one short transaction.
So the only locks are on the rows of the current batch, held for the time of that write. Where
rows are expensive to delete, batches shrink below N to keep each transaction near
TARGET_SECONDS.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa

from airfleet.purge.plan import Plan, PurgeError, Step

Progress = Callable[[str], None]


@dataclass(frozen=True)
class TableCount:
    table: str
    delete: int
    detach: int


@dataclass
class StepResult:
    step: Step
    rows: int = 0
    seconds: float = 0.0
    transactions: list[float] = field(default_factory=list)  # seconds each

    @property
    def batches(self) -> int:
        return len(self.transactions)

    @property
    def longest(self) -> float:
        return max(self.transactions, default=0.0)


@dataclass
class Report:
    results: list[StepResult] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def rows(self) -> int:
        return sum(result.rows for result in self.results)

    @property
    def longest(self) -> float:
        """The longest single transaction, in seconds."""
        return max((result.longest for result in self.results), default=0.0)

    def by_table(self) -> list[TableCount]:
        counts: dict[str, dict[str, int]] = {}
        for result in self.results:
            row = counts.setdefault(result.step.table.name, {"delete": 0, "detach": 0})
            row[result.step.action] += result.rows
        return [TableCount(name, row["delete"], row["detach"]) for name, row in counts.items()]


def count(connection: sa.Connection, plan: Plan) -> list[TableCount]:
    """Rows each table would lose (delete) or have detached, as the plan stands now."""
    counts = []
    for table in plan.tables():
        deleted = plan.selection(table, "delete")
        detached = plan.selection(table, "detach")
        if detached is not None and deleted is not None:  # rows deleted anyway are not detached
            detached = sa.and_(detached, sa.case((deleted, 1), else_=0) == 0)
        counts.append(TableCount(table.name, _count(connection, table, deleted), _count(connection, table, detached)))
    return counts


def _count(connection: sa.Connection, table: sa.Table, where: sa.ColumnElement[bool] | None) -> int:
    if where is None:
        return 0
    return connection.execute(sa.select(sa.func.count()).select_from(table).where(where)).scalar_one()


def _primary_key(table: sa.Table) -> list[sa.Column]:
    key = list(table.primary_key.columns)
    if not key:
        raise PurgeError(f"table {table.name} has no primary key, so purge cannot batch it; "
                         "add one or delete the DAG's rows from it by hand")
    return key


# A batch that takes longer than this shrinks the next one: "no transaction holds locks for long"
# has to hold on tables whose rows are expensive to delete (many indexes, foreign-key checks), and
# when the server stalls on I/O for a moment, a transaction may take a few times its usual time.
TARGET_SECONDS = 0.25
FIRST_BATCH = 1000  # at most; batches double from here while they stay quick
# MySQL's range optimizer gives up on a long list of composite keys and scans the whole table.
KEYS_PER_STATEMENT = 500


def _writes(step: Step, key: Sequence[sa.Column], rows: Sequence[sa.Row]) -> Iterator[sa.Executable]:
    for start in range(0, len(rows), KEYS_PER_STATEMENT):
        chunk = rows[start:start + KEYS_PER_STATEMENT]
        if len(key) == 1:
            matching = key[0].in_([row[0] for row in chunk])
        else:
            matching = sa.tuple_(*key).in_([tuple(row) for row in chunk])
        yield _change(step, matching)


def _change(step: Step, matching: sa.ColumnElement[bool]) -> sa.Executable:
    if step.action == "delete":
        return sa.delete(step.table).where(matching)
    return sa.update(step.table).where(matching).values({column.name: None for column in step.columns})


# PostgreSQL finds rows fastest by their physical address, but a ctid can be reused once the row
# is gone, so every write checks the step's condition again.
CTID = sa.literal_column("ctid")


def _postgresql_writes(step: Step, rows: Sequence[sa.Row]) -> Iterator[sa.Executable]:
    addresses = sa.text("ctid = ANY(CAST(:ctids AS tid[]))").bindparams(ctids=[row[0] for row in rows])
    yield _change(step, sa.and_(addresses, step.where))


@dataclass
class BatchSize:
    """Rows for the next batch: at most `limit`, fewer while batches take longer than `target`."""

    limit: int
    target: float = TARGET_SECONDS
    size: int = 0

    def __post_init__(self) -> None:
        self.size = min(self.limit, FIRST_BATCH)

    def after(self, rows: int, seconds: float) -> None:
        if seconds > self.target:
            self.size = max(1, int(rows * self.target / seconds))
        elif seconds < self.target / 2:
            self.size = min(self.limit, self.size * 2)


class Runner:
    """Runs steps with a reading connection (autocommit) and a writing one (a transaction a batch)."""

    def __init__(self, engine: sa.Engine, batch_size: int, progress: Progress, progress_every: float = 5.0) -> None:
        self.engine = engine
        self.batch_size = batch_size
        self.progress = progress
        self.progress_every = progress_every

    def run(self, plan: Plan, expected: dict[str, int]) -> Report:
        """`expected`: rows per table (from `count`), for progress percentages."""
        report = Report()
        started = time.perf_counter()
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as reader, \
                self.engine.connect() as writer:
            done: dict[str, int] = {}
            for step in plan.steps:
                result = self._run_step(reader, writer, step, done, expected.get(step.table.name, 0))
                report.results.append(result)
        report.seconds = time.perf_counter() - started
        return report

    def _run_step(self, reader: sa.Connection, writer: sa.Connection, step: Step,
                  done: dict[str, int], expected: int) -> StepResult:
        postgresql = self.engine.dialect.name == "postgresql"
        key = [CTID] if postgresql else _primary_key(step.table)
        size = BatchSize(self.batch_size)
        result = StepResult(step)
        started = last_report = time.perf_counter()
        while rows := reader.execute(sa.select(*key).select_from(step.table).where(step.where)
                                     .limit(size.size)).all():
            writes = _postgresql_writes(step, rows) if postgresql else _writes(step, key, rows)
            began = time.perf_counter()
            with writer.begin():
                changed = sum(writer.execute(statement).rowcount for statement in writes)
            took = time.perf_counter() - began
            result.rows += changed
            result.transactions.append(took)
            done[step.table.name] = done.get(step.table.name, 0) + changed
            if time.perf_counter() - last_report >= self.progress_every:
                last_report = time.perf_counter()
                self.progress(_progress_line(step.table.name, done[step.table.name], expected, last_report - started))
            if len(rows) < size.size:
                break
            size.after(len(rows), took)
        result.seconds = time.perf_counter() - started
        return result


def _progress_line(table: str, done: int, expected: int, seconds: float) -> str:
    share = f" ({100 * done / expected:.0f}%)" if expected >= done > 0 else ""
    return f"  {table}: {done:,} of {expected:,} rows{share}, {seconds:.1f} s"
