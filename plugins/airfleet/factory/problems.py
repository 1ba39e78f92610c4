"""What is wrong with a factory record, said so that the reader can fix it without the source code."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One malformed record (or file): where it is, which field, what is wrong, how to fix it."""

    origin: str  # "factory/sales.yaml" or "db"
    record: str  # "job '10' (sales_daily)", "task #3", or "file"
    field: str  # "dependencies[0].pid", "params.sql", ...
    message: str
    fix: str
    warning: bool = False  # reported only: the record is still built

    def __str__(self) -> str:
        note = "warning: " if self.warning else ""
        return f"{self.origin}: {self.record}, field '{self.field}': {note}{self.message}; fix: {self.fix}"


DB_ORIGIN = "db"


def place(origin: str) -> str:
    """An origin as a phrase: a file's path, or the factory tables."""
    return "the factory tables" if origin == DB_ORIGIN else origin


def record_label(kind: str, record_id: str | None, name: str | None, position: int) -> str:
    """`job '10' (sales_daily)`; `job #3` (its place in the file or table) when it has no usable id."""
    if record_id is None:
        return f"{kind} #{position}"
    return f"{kind} '{record_id}'" + (f" ({name})" if name else "")


class FactorySpecError(Exception):
    """Raised by the specs DAG file so malformed records show up as that file's import error."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problem for problem in problems if not problem.warning)
        self.warnings = tuple(problem for problem in problems if problem.warning)
        count = len(self.problems)
        head = (f"{count} malformed factory record{'s' if count != 1 else ''}; their DAGs are not generated, "
                "every other factory DAG is:") if count else \
            "no malformed factory record; every factory DAG is generated:"
        lines = [f"- {problem}" for problem in (*self.problems, *self.warnings)]
        super().__init__("\n".join([head, *lines]))
