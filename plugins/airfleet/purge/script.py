"""The plan as one SQL script for a DBA: the same steps, batched, for MySQL or PostgreSQL.

Each step repeats a statement that changes at most N rows and commits, until fewer than N change:
in a stored procedure on MySQL (DELETE ... LIMIT), in a DO block on PostgreSQL (a DO block may
COMMIT when it is not inside a transaction, which is how psql runs a script by default).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from airfleet.purge.plan import Plan, Step

PROCEDURE = "airfleet_purge"


def _literal(statement: sa.Executable, dialect: sa.Dialect) -> str:
    return str(statement.compile(dialect=dialect, compile_kwargs={"literal_binds": True})).replace("\n", " ")


def _mysql_batch(step: Step, batch_size: int) -> sa.Executable:
    if step.action == "delete":
        statement = sa.delete(step.table).where(step.where)
    else:
        statement = sa.update(step.table).where(step.where).values({c.name: None for c in step.columns})
    return statement.with_dialect_options(mysql_limit=batch_size)


def _postgresql_batch(step: Step, batch_size: int) -> sa.Executable:
    """By row address (ctid) within one statement: PostgreSQL's fastest way to a batch of rows."""
    ctid = sa.literal_column("ctid")
    batch = sa.func.array(sa.select(ctid).select_from(step.table).where(step.where).limit(batch_size).scalar_subquery())
    matching = ctid == sa.func.any(batch)
    if step.action == "delete":
        return sa.delete(step.table).where(matching)
    return sa.update(step.table).where(matching).values({c.name: None for c in step.columns})


def _comment(step: Step) -> str:
    return f"-- {step.table.name}: {step.action} rows {step.reason}"


def _mysql(plan: Plan, dialect: sa.Dialect, batch_size: int) -> list[str]:
    lines = [f"DROP PROCEDURE IF EXISTS {PROCEDURE};", "DELIMITER //", f"CREATE PROCEDURE {PROCEDURE}()",
             "BEGIN", "  DECLARE n BIGINT DEFAULT 0;"]
    for step in plan.steps:
        lines += [f"  {_comment(step)}", "  REPEAT",
                  f"    {_literal(_mysql_batch(step, batch_size), dialect)};",
                  "    SET n = ROW_COUNT();", "    COMMIT;", f"  UNTIL n < {batch_size} END REPEAT;"]
    return lines + ["END//", "DELIMITER ;", f"CALL {PROCEDURE}();", f"DROP PROCEDURE {PROCEDURE};"]


def _postgresql(plan: Plan, dialect: sa.Dialect, batch_size: int) -> list[str]:
    lines = []
    for step in plan.steps:
        lines += [_comment(step), "DO $$", "DECLARE n bigint;", "BEGIN", "  LOOP",
                  f"    {_literal(_postgresql_batch(step, batch_size), dialect)};",
                  "    GET DIAGNOSTICS n = ROW_COUNT;", "    COMMIT;", f"    EXIT WHEN n < {batch_size};",
                  "  END LOOP;", "END $$;"]
    return lines


HOW_TO_RUN = {
    "mysql": "mysql --database=DB < this-file   (the mysql client, autocommit on)",
    "postgresql": "psql -v ON_ERROR_STOP=1 -d DB -f this-file   (not inside BEGIN ... COMMIT)",
}


def render(plan: Plan, dialect: sa.Dialect, batch_size: int, *, before: Sequence[sa.Executable],
           after: Sequence[sa.Executable], notes: Sequence[str]) -> str:
    """The whole script: `before` (e.g. pausing the DAGs), the batched steps, then `after`."""
    body = {"mysql": _mysql, "postgresql": _postgresql}[dialect.name](plan, dialect, batch_size)
    header = [f"-- airfleet dags purge {' '.join(plan.dag_ids)}: {dialect.name}, "
              f"at most {batch_size} rows per transaction",
              f"-- run with: {HOW_TO_RUN[dialect.name]}"]
    header += [f"-- {note}" for note in notes]
    statements = [f"{_literal(statement, dialect)};" for statement in before]
    closing = [f"{_literal(statement, dialect)};" for statement in after]
    return "\n".join(header + statements + body + closing) + "\n"
