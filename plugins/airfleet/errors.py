"""The one error family every `airfleet` command raises, so one place (`airfleet.cli.dispatch`)
turns any of them into a single line and an exit code, as Celery's `CeleryCommandException` does.

`AirfleetError`: the command could not do its work; the message says why and what to do (exit 1).
`UsageError`: the command was called wrongly (exit 2), like argparse's own errors.
`redact` and `first_line` make any message fit that line: no URL password, no page or stack trace.
"""

from __future__ import annotations

import re

_URL_PASSWORD = re.compile(r"://([^:/@\s]*):[^@\s]+@")


class AirfleetError(Exception):
    exit_code = 1


class UsageError(AirfleetError):
    exit_code = 2


class ArgumentError(UsageError):
    """argparse rejected the command line; the message is already the whole line, naming the command."""


def redact(text: str) -> str:
    """`text` with the password of any URL in it (scheme://user:password@host) replaced by ***."""
    return _URL_PASSWORD.sub(r"://\1:***@", text)


def first_line(text: object, limit: int = 200) -> str:
    """The first non-empty line of `text`, shortened: what a server answered may be a page or a stack trace."""
    lines = [line.strip() for line in str(text).splitlines() if line.strip()]
    first = lines[0] if lines else ""
    return first if len(first) <= limit else first[:limit] + "..."
