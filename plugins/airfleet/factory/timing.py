"""When a job or schedule runs, beyond `cron`: its `schedule` field is one of

- a cron expression or preset, as `cron`;
- `{timedelta: 3600}` or `{timedelta: {hours: 1, minutes: 30}}`: every so long;
- `{timetable: "airflow.timetables.trigger:CronTriggerTimetable", args: {cron: "0 2 * * *", timezone: UTC}}`:
  an Airflow timetable by import path, from the modules allowed for timetables (allowlist.TIMETABLES);
- `{assets: [orders_raw, customers], match: all}` (or `any`): when tasks with those assets in their
  `outlets` have updated them (in this job or any other, factory-made or not).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from airfleet.factory import allowlist
from airfleet.factory.fields import Field, Issue, Kind, json_shown
from airfleet.factory.plan import Call

CRON_PRESETS = ("@hourly", "@daily", "@midnight", "@weekly", "@monthly", "@quarterly", "@yearly", "@annually")
CRON_FIX = f"use five fields like \"30 2 * * *\" (02:30 UTC daily) or one of {', '.join(CRON_PRESETS)}"
UNITS = ("weeks", "days", "hours", "minutes", "seconds")
FORMS = ("a cron expression, {timedelta: seconds}, {timetable: 'module:Class', args: {...}}, "
         "or {assets: [names], match: all|any}")


def valid_cron(expression: str) -> bool:
    if expression in CRON_PRESETS:
        return True
    from croniter import croniter

    return len(expression.split()) == 5 and croniter.is_valid(expression)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0


def _timedelta_issues(value: Any, where: str) -> Iterator[Issue]:
    parts = value if isinstance(value, dict) else {"seconds": value}
    if not parts or set(parts) - set(UNITS) or not all(_number(item) for item in parts.values()) or \
            timedelta(**parts) <= timedelta(0):
        yield Issue(f"{where}.timedelta",
                    f"expected seconds > 0 or a mapping of {', '.join(UNITS)}, got {json_shown(value)}",
                    "write it as {timedelta: 3600} or {timedelta: {hours: 1}}")


def _timetable_issues(value: dict, where: str) -> Iterator[Issue]:
    try:
        target = allowlist.load(value["timetable"], allowlist.TIMETABLES)
    except allowlist.Refused as error:
        yield Issue(f"{where}.timetable", str(error), allowlist.TIMETABLES.fix())
        return
    except ValueError as error:
        yield Issue(f"{where}.timetable", str(error), "name a Timetable class importable on every host")
        return
    # Timetable is a Protocol with data members, so issubclass() cannot check it: look for its method.
    if not (isinstance(target, type) and callable(getattr(target, "next_dagrun_info", None))):
        yield Issue(f"{where}.timetable", f"'{value['timetable']}' is not a Timetable class", "name a Timetable class")
        return
    try:
        target(**(value.get("args") or {}))
    except Exception as error:  # noqa: BLE001 - the timetable's own complaint about its arguments
        yield Issue(f"{where}.args", f"{value['timetable']} refuses them: {type(error).__name__}: {error}",
                    "give the arguments the timetable's constructor takes")


def issues(value: Any, where: str) -> Iterator[Issue]:
    if isinstance(value, str):
        if not valid_cron(value):
            yield Issue(where, f"{json_shown(value)} is not a cron expression", CRON_FIX)
        return
    form = next((key for key in ("timedelta", "timetable", "assets") if isinstance(value, dict) and key in value), None)
    extra = {"timedelta": set(), "timetable": {"args"}, "assets": {"match"}}.get(form or "", set())
    if form is None or set(value) - {form, *extra}:
        yield Issue(where, f"expected {FORMS}, got {json_shown(value)}", f"write {where} in one of those forms")
    elif form == "timedelta":
        yield from _timedelta_issues(value["timedelta"], where)
    elif form == "timetable":
        if not isinstance(value.get("args", {}), dict):
            yield Issue(f"{where}.args", f"expected a mapping, got {json_shown(value['args'])}",
                        "give args as a mapping")
        else:
            yield from _timetable_issues(value, where)
    elif not asset_names(value["assets"]):
        yield Issue(f"{where}.assets", f"expected a non-empty list of asset names, got {json_shown(value['assets'])}",
                    "list the names of the assets this waits for, e.g. [orders_raw]")
    elif value.get("match", "all") not in ("all", "any"):
        yield Issue(f"{where}.match", f"expected all or any, got {json_shown(value['match'])}",
                    "match: all (every asset updated) or any (one is enough)")


def asset_names(value: Any) -> list[str]:
    ok = isinstance(value, list) and value and all(isinstance(item, str) and item.strip() for item in value)
    return list(value) if ok else []


ASSETS = Field(Kind("a non-empty list of asset names", asset_names), mappable=False)


def asset(name: str) -> Call:
    from airflow.sdk import Asset

    return Call(Asset, kwargs={"name": name})


def awaited(value: Any) -> list[str]:
    """The asset names a schedule value waits for (none for a time-based one)."""
    return list(value["assets"]) if isinstance(value, dict) and "assets" in value else []


def plan_value(value: Any) -> Any:
    if isinstance(value, str):
        return value
    if "timedelta" in value:
        parts = value["timedelta"] if isinstance(value["timedelta"], dict) else {"seconds": value["timedelta"]}
        return Call(timedelta, kwargs=parts)
    if "timetable" in value:
        return Call(allowlist.load(value["timetable"], allowlist.TIMETABLES), kwargs=dict(value.get("args") or {}))
    assets = [asset(name) for name in value["assets"]]
    if value.get("match") == "any":
        from airflow.sdk import AssetAny

        return Call(AssetAny, tuple(assets))
    return assets
