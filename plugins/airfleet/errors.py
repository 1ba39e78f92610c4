"""The one error family of Airfleet's commands: a message that names the problem and the fix, and
the exit code it ends with. Whatever prints it (the `airfleet` command, `python -m` entry points)
prints one line, never a traceback."""

from __future__ import annotations


class AirfleetError(Exception):
    """A problem the user can fix; exit code 1."""

    exit_code = 1


class UsageError(AirfleetError):
    """The command was called wrongly; exit code 2."""

    exit_code = 2
