"""DAG options and defaults: the settings of a job's or schedule's DAG (tags, catchup, timeouts,
alerts, callbacks) and the settings its tasks inherit (owner, retries, queue, ...).

They can be written at three levels, and the nearest wins: the record (a job's `options` and
`task_defaults`, a task's `params`), its file's `defaults` block (the tables' defaults rows), and
the cluster-wide defaults file (AIRFLEET_FACTORY_DEFAULTS, reviewed with the deployment). Every
level is checked with the same rules, so a wrong value names its level and field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from airfleet.factory import alerting, callbacks
from airfleet.factory.fields import BOOL, POSITIVE, SECONDS, STR_LIST, Field, InvalidJson, Issue, shown, suggestion
from airfleet.factory.plan import Call
from airfleet.factory.tasktypes import COMMON, PER_TASK

DAG_OPTIONS: dict[str, Field] = {
    "tags": Field(STR_LIST),
    "catchup": Field(BOOL),
    "max_active_runs": Field(POSITIVE),
    "max_active_tasks": Field(POSITIVE),
    "dagrun_timeout": Field(SECONDS),
    "alerts": alerting.ALERTS,
    **dict.fromkeys(callbacks.DAG_EVENTS, callbacks.CALLBACKS),
}
# What every task of a job can inherit: the common task settings that are not about one task.
TASK_DEFAULTS: dict[str, Field] = {key: spec for key, spec in COMMON.items() if key not in PER_TASK}
SCOPES = {"dag": DAG_OPTIONS, "task": TASK_DEFAULTS}


def check_settings(value: Any, allowed: Mapping[str, Field], where: str) -> tuple[dict[str, Any], list[Issue]]:
    """The valid settings of `value`, and an issue for each other one (the valid ones still apply)."""
    if value is None:
        return {}, []
    if isinstance(value, InvalidJson):
        return {}, [Issue(where, f"not valid JSON ({value.error})", "store JSON text in the column")]
    if not isinstance(value, dict):
        return {}, [Issue(where, f"expected a mapping, got {shown(value)}",
                          f"give {where} as a mapping of settings ({', '.join(allowed)})")]
    valid: dict[str, Any] = {}
    issues: list[Issue] = []
    for key, item in value.items():
        spec = allowed.get(key)
        if spec is None:
            issues.append(Issue(f"{where}.{key}", f"not a setting here{suggestion(str(key), list(allowed))}",
                                f"use only {', '.join(allowed)}"))
        elif not spec.kind.test(item):
            issues.append(Issue(f"{where}.{key}", f"expected {spec.kind.what}, got {shown(item)}",
                                f"set it to {spec.kind.what}"))
        else:
            found = list(spec.check(item, f"{where}.{key}")) if spec.check else []
            issues += found
            if not found:
                valid[key] = item
    return valid, issues


@dataclass(frozen=True)
class Defaults:
    dag: Mapping[str, Any] = field(default_factory=dict)
    task: Mapping[str, Any] = field(default_factory=dict)


def read_defaults(value: Any, where: str = "defaults") -> tuple[Defaults, list[Issue]]:
    """A defaults block: `{dag: {DAG options}, task: {task settings}}`."""
    if value is None:
        return Defaults(), []
    if not isinstance(value, dict):
        return Defaults(), [Issue(where, f"expected a mapping, got {shown(value)}",
                                  "write defaults as {dag: {...}, task: {...}}")]
    issues = [Issue(f"{where}.{key}", f"not a defaults scope{suggestion(str(key), list(SCOPES))}",
                    "use dag (DAG options) and task (task settings)") for key in value if key not in SCOPES]
    scopes = {}
    for scope, allowed in SCOPES.items():
        scopes[scope], found = check_settings(value.get(scope), allowed, f"{where}.{scope}")
        issues += found
    return Defaults(**scopes), issues


def layered(*levels: Mapping[str, Any]) -> dict[str, Any]:
    """Settings from the farthest level to the nearest: a nearer one replaces a key entirely."""
    merged: dict[str, Any] = {}
    for level in levels:
        merged.update(level)
    return merged


def dag_arguments(options: Mapping[str, Any], tags: list[str]) -> dict[str, Any]:
    """DAG arguments (plan values) for DAG options, the factory's own `tags` first."""
    from airfleet.local_settings import OPT_OUT_TAG

    arguments = {key: options[key] for key in ("catchup", "max_active_runs", "max_active_tasks") if key in options}
    if "dagrun_timeout" in options:
        arguments["dagrun_timeout"] = Call(timedelta, kwargs={"seconds": options["dagrun_timeout"]})
    arguments["tags"] = [*tags, *options.get("tags", []), *([OPT_OUT_TAG] if options.get("alerts") is False else [])]
    for event in callbacks.DAG_EVENTS:
        made = callbacks.plan_values(options[event]) if event in options else []
        if event == "on_failure_callback":
            made += alerting.notifiers(options.get("alerts"), "dag")
        if made:
            arguments[event] = made
    return arguments
