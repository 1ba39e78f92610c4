"""The cluster's display zone and times formatted in it.

One variable, AIRFLOW_UI_TIMEZONE (an IANA name such as Asia/Shanghai; UTC when unset), is the
zone the Cluster page shows times in and, unless `[core] default_timezone` is set on its own, the
zone Airflow reads schedules in, so a DAG scheduled for 09:00 shows as 09:00. Stdlib only: the
entrypoint runs `python -m airfleet.ui.zones` to export that default before any role starts.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, tzinfo
from typing import TypedDict
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from airfleet.errors import AirfleetError

ZONE_VARIABLE = "AIRFLOW_UI_TIMEZONE"
DEFAULT_TIMEZONE = "AIRFLOW__CORE__DEFAULT_TIMEZONE"
# Airflow also reads a setting from NAME_CMD or NAME_SECRET; any of them means "set separately".
_DEFAULT_TIMEZONE_FORMS = (DEFAULT_TIMEZONE, f"{DEFAULT_TIMEZONE}_CMD", f"{DEFAULT_TIMEZONE}_SECRET")


class ZoneError(AirfleetError, ValueError):
    pass


class Stamp(TypedDict):
    utc: str  # ISO 8601, for machines and hover text
    local: str  # wall-clock time in the zone, to the second
    offset: str  # the zone's UTC offset at that instant, e.g. +08:00 or -04:00
    abbreviation: str  # e.g. CST, EDT; numeric where the zone has no abbreviation


class ZoneDescription(TypedDict):
    name: str
    offset: str
    abbreviation: str


def get_zone(name: str) -> ZoneInfo:
    """The zone called `name` (an IANA name; `utc` in any case is UTC)."""
    candidate = name.strip()
    if candidate.lower() == "utc":
        candidate = "UTC"
    try:
        return ZoneInfo(candidate)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name too long to be a file name
        shown = name if len(name) <= 60 else name[:60] + "..."
        raise ZoneError(f"unknown time zone {shown!r}: "
                        "use an IANA name such as Asia/Shanghai, Europe/Berlin or UTC") from None


def display_zone(environ: Mapping[str, str] = os.environ) -> ZoneInfo:
    """The cluster's display zone: AIRFLOW_UI_TIMEZONE, or UTC when it is unset or empty."""
    try:
        return get_zone(environ.get(ZONE_VARIABLE, "").strip() or "UTC")
    except ZoneError as error:
        raise ZoneError(f"{ZONE_VARIABLE}: {error}") from None


def format_offset(offset: timedelta | None) -> str:
    minutes = round((offset or timedelta()).total_seconds() / 60)
    sign = "-" if minutes < 0 else "+"
    hours, minutes = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{minutes:02d}"


def stamp(moment: datetime | None, zone: tzinfo) -> Stamp | None:
    """`moment` in `zone`, with the offset that applies at that instant (so DST shows)."""
    if moment is None:
        return None
    if moment.tzinfo is None:  # the metadata DB's UtcDateTime columns are always aware
        raise ValueError(f"naive datetime {moment.isoformat()}: cannot place it in a time zone")
    local = moment.astimezone(zone)
    return Stamp(
        utc=moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        local=local.strftime("%Y-%m-%d %H:%M:%S"),
        offset=format_offset(local.utcoffset()),
        abbreviation=local.tzname() or "",
    )


def describe(zone: ZoneInfo, now: datetime) -> ZoneDescription:
    """The zone's name and its offset now."""
    local = now.astimezone(zone)
    return ZoneDescription(name=zone.key, offset=format_offset(local.utcoffset()), abbreviation=local.tzname() or "")


def default_timezone_exports(environ: Mapping[str, str] = os.environ) -> list[str]:
    """Shell lines that make `[core] default_timezone` follow the display zone, unless it is
    set separately. Raises ZoneError, naming the variable, for a zone Airflow could not load."""
    zone = display_zone(environ)
    if any(environ.get(name, "").strip() for name in _DEFAULT_TIMEZONE_FORMS):
        return []
    return [f"export {DEFAULT_TIMEZONE}={shlex.quote(zone.key)}"]


def run(args: argparse.Namespace) -> int:
    print("\n".join(default_timezone_exports()))
    return 0


def main(argv: list[str] | None = None) -> int:
    from airfleet.cli import run_module

    return run_module("python -m airfleet.ui.zones",
                      f"print a shell export making {DEFAULT_TIMEZONE} follow {ZONE_VARIABLE}, unless set separately",
                      run, argv)


if __name__ == "__main__":
    sys.exit(main())
