"""Factory records (task, job, schedule) and their field-by-field validation.

A document is what one source holds: the three lists and the defaults block of one YAML file, or
the tables of the database. Ids are scoped to their document: a job's `tasks` and a schedule's
`jobs` name records of the same document. Records are validated one by one here, each newer field
by the module of its concern (groups, timing, options, params); references between records in
catalog.py and wiring.py.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from airfleet.factory import options as settings
from airfleet.factory import params as typed_params
from airfleet.factory import tasktypes, timing
from airfleet.factory.fields import InvalidJson, json_shown, not_json
from airfleet.factory.groups import GroupSpec, read_groups
from airfleet.factory.problems import Problem, place, record_label

NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,199}$")
ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
NAME_RULE = "letters, digits, '_', '.', '-' (at most 200, not starting with '.' or '-')"


@dataclass(frozen=True)
class Dependency:
    child: str  # runs after
    parent: str  # `pid` in the record


@dataclass(frozen=True)
class TaskSpec:
    id: str
    name: str
    type: str
    params: dict[str, Any]
    origin: str


@dataclass(frozen=True)
class JobSpec:
    id: str
    name: str
    tasks: tuple[str, ...]
    dependencies: tuple[Dependency, ...]
    params: dict[str, Any]
    enabled: bool
    origin: str
    task_groups: tuple[GroupSpec, ...] = ()
    schedule: Any = None  # timing.py; None: run when a schedule or someone triggers it
    options: dict[str, Any] = field(default_factory=dict)  # DAG options (options.py)
    task_defaults: dict[str, Any] = field(default_factory=dict)  # settings every task of the job inherits


@dataclass(frozen=True)
class ScheduleSpec:
    id: str
    name: str
    jobs: tuple[str, ...]
    dependencies: tuple[Dependency, ...]
    cron: str | None  # this, or `schedule`
    params: dict[str, Any]
    enabled: bool
    origin: str
    schedule: Any = None
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def timing(self) -> Any:
        return self.cron if self.schedule is None else self.schedule


@dataclass(frozen=True)
class Disabled:
    """A job or schedule switched off: not built, not validated beyond its id."""

    kind: str
    id: str
    origin: str


@dataclass
class Document:
    origin: str
    tasks: list[TaskSpec] = field(default_factory=list)
    jobs: list[JobSpec | Disabled] = field(default_factory=list)
    schedules: list[ScheduleSpec | Disabled] = field(default_factory=list)
    # Ids of records present but malformed, so references to them can say so.
    malformed: dict[str, set[str]] = field(default_factory=lambda: {"task": set(), "job": set(), "schedule": set()})
    problems: list[Problem] = field(default_factory=list)
    defaults: settings.Defaults = field(default_factory=settings.Defaults)


MISSING = object()
FIELDS = {
    "task": ("id", "name", "type", "params"),
    "job": ("id", "name", "tasks", "dependencies", "params", "enabled", "task_groups", "schedule", "options",
            "task_defaults"),
    "schedule": ("id", "name", "jobs", "dependencies", "cron", "schedule", "params", "enabled", "options"),
}
TOP_LEVEL = ("defaults", "tasks", "jobs", "schedules")
PLURAL = {"task": "tasks", "job": "jobs", "schedule": "schedules"}


class _Record:
    """Reads one raw record field by field, collecting problems instead of stopping at the first."""

    def __init__(self, kind: str, raw: Mapping[str, Any], origin: str, position: int) -> None:
        self.kind, self.raw, self.origin, self.position = kind, raw, origin, position
        self.id: str | None = None
        name = raw.get("name")
        self.name: str | None = name if isinstance(name, str) and NAME.match(name) else None  # for labels
        self.problems: list[Problem] = []

    def fail(self, field_name: str, message: str, fix: str) -> None:
        label = record_label(self.kind, self.id, self.name, self.position)
        self.problems.append(Problem(self.origin, label, field_name, message, fix))

    def value(self, key: str, default: Any = MISSING) -> Any:
        value = self.raw.get(key, default)
        if isinstance(value, InvalidJson):
            self.fail(key, f"not valid JSON ({value.error})", f"store JSON text in the {key} column")
            return MISSING
        if value is MISSING:
            self.fail(key, "missing", f"give the {self.kind} its {key}")
        return value

    def read_id(self) -> None:
        value = self.value("id")
        if value is MISSING:
            return
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not ID.match(value):
            self.fail("id", f"{json_shown(value)} is not an id",
                      "use 1-64 letters, digits, '_', '.' or '-', e.g. \"12\"")
            return
        self.id = value

    def read_name(self) -> str | None:
        value = self.value("name")
        if value is MISSING:
            return None
        if not isinstance(value, str) or not NAME.match(value):
            self.fail("name", f"{json_shown(value)} cannot name a DAG or task", f"use {NAME_RULE}")
            return None
        return value

    def read_params(self) -> dict[str, Any] | None:
        value = self.value("params", {})
        if value is MISSING:
            return None
        if value is None:
            return {}
        if not isinstance(value, dict) or not all(isinstance(key, str) for key in value):
            self.fail("params", f"expected a mapping, got {json_shown(value)}",
                      "give params as a mapping of names to values")
            return None
        where = not_json(value, "params")
        if where:
            path, bad = where
            self.fail(path, f"{json_shown(bad)} cannot be stored as JSON",
                      "use strings, numbers, true/false, null, lists and mappings (quote dates and times in YAML)")
            return None
        return value

    def read_enabled(self) -> bool | None:
        value = self.value("enabled", True)
        if value in (0, 1) and not isinstance(value, float):  # a database BOOLEAN may come back as 0/1
            value = bool(value)
        if not isinstance(value, bool):
            self.fail("enabled", f"expected true or false, got {json_shown(value)}", "set enabled to true or false")
            return None
        return value

    def read_ids(self, key: str, refers_to: str) -> tuple[str, ...] | None:
        value = self.value(key)
        if value is MISSING:
            return None
        if not isinstance(value, list) or not value:
            self.fail(key, f"expected a non-empty list of {refers_to} ids, got {json_shown(value)}",
                      f"list the ids of the {PLURAL[refers_to]} this {self.kind} runs, e.g. [\"1\", \"2\"]")
            return None
        ids: list[str] = []
        for index, item in enumerate(value):
            text = str(item) if isinstance(item, int) and not isinstance(item, bool) else item
            if not isinstance(text, str) or not ID.match(text):
                self.fail(f"{key}[{index}]", f"{json_shown(item)} is not a {refers_to} id",
                          f"use the id of a {refers_to}")
                return None
            if text in ids:
                self.fail(f"{key}[{index}]", f"{refers_to} '{text}' is listed twice", "list each id once")
                return None
            ids.append(text)
        return tuple(ids)

    def read_dependencies(self, members: tuple[str, ...] | None, child_keys: tuple[str, ...],
                          refers_to: str, groups: tuple[str, ...] = ()) -> tuple[Dependency, ...] | None:
        value = self.value("dependencies", [])
        if value is MISSING:
            return None
        if value is None:
            return ()
        example = f'[{{"{child_keys[0]}": "2", "pid": "1"}}] ({child_keys[0]} 2 runs after 1)'
        if not isinstance(value, list):
            self.fail("dependencies", f"expected a list, got {json_shown(value)}", f"write it as {example}")
            return None
        found: list[Dependency] = []
        for index, item in enumerate(value):
            where = f"dependencies[{index}]"
            keys = set(item) if isinstance(item, dict) else set()
            child_key = next((key for key in child_keys if key in keys), None)
            if child_key is None or keys != {child_key, "pid"}:
                self.fail(where, f"expected a mapping with {' or '.join(child_keys)} and pid, got {json_shown(item)}",
                          f"write it as {example}")
                return None
            child, parent = (str(item[key]) if _is_id_like(item[key]) else None for key in (child_key, "pid"))
            for key, ref in ((child_key, child), ("pid", parent)):
                if members is not None and ref not in members and ref not in groups:
                    also = f" or groups {list(groups)}" if groups else ""
                    self.fail(f"{where}.{key}", f"{json_shown(item[key])} is not one of this {self.kind}'s "
                              f"{PLURAL[refers_to]} {list(members)}{also}",
                              f"add it to {PLURAL[refers_to]} or remove this dependency")
                    return None
            if child == parent:
                self.fail(where, f"{refers_to} '{child}' depends on itself", "remove this dependency")
                return None
            found.append(Dependency(child=child, parent=parent))  # type: ignore[arg-type]
        return tuple(dict.fromkeys(found))

    def read_cron(self) -> str | None:
        value = self.value("cron", None)
        if value is MISSING or value is None:
            return None
        if not isinstance(value, str) or not timing.valid_cron(value):
            self.fail("cron", f"{json_shown(value)} is not a cron expression", timing.CRON_FIX)
            return None
        return value

    def report(self, issues: list[tasktypes.Issue]) -> bool:
        """Record each issue as a problem; True when there was none."""
        for issue in issues:
            self.fail(issue.field, issue.message, issue.fix)
        return not issues

    def read_settings(self, key: str, allowed: Mapping[str, tasktypes.Field]) -> dict[str, Any]:
        value = self.value(key, None)
        found, issues = settings.check_settings(None if value is MISSING else value, allowed, key)
        self.report(issues)
        return found

    def read_schedule(self) -> Any:
        value = self.value("schedule", None)
        if value is MISSING or value is None:
            return None
        return value if self.report(list(timing.issues(value, "schedule"))) else None

    def check_unknown(self) -> None:
        for key in self.raw:
            if key not in FIELDS[self.kind]:
                hint = tasktypes.suggestion(str(key), list(FIELDS[self.kind]))
                self.fail(str(key), f"not a field of a {self.kind}{hint}", f"use only {', '.join(FIELDS[self.kind])}")


def _is_id_like(value: Any) -> bool:
    return (isinstance(value, str) and bool(value)) or (isinstance(value, int) and not isinstance(value, bool))


def parse_task(raw: Mapping[str, Any], origin: str, position: int) -> tuple[TaskSpec | None, _Record]:
    record = _Record("task", raw, origin, position)
    record.read_id()
    name = record.read_name()
    params = record.read_params()
    kind = record.value("type")
    task_type = None
    if kind is not MISSING:
        task_type = tasktypes.task_type(kind) if isinstance(kind, str) else None
        if task_type is None:
            choices = sorted(tasktypes.REGISTRY)
            record.fail("type", f"{json_shown(kind)} is not a task type{tasktypes.suggestion(str(kind), choices)}",
                        f"use one of {', '.join(choices)}")
    if task_type is not None and params is not None:
        for issue in task_type.validate(params):
            record.fail(issue.field, issue.message, issue.fix)
    record.check_unknown()
    if record.problems:
        return None, record
    return TaskSpec(record.id, name, kind, params, origin), record  # type: ignore[arg-type]


def parse_job(raw: Mapping[str, Any], origin: str, position: int) -> tuple[JobSpec | Disabled | None, _Record]:
    record = _Record("job", raw, origin, position)
    record.read_id()
    enabled = record.read_enabled()
    if enabled is False and record.id is not None:
        return Disabled("job", record.id, origin), record
    name = record.read_name()
    tasks = record.read_ids("tasks", "task")
    groups, issues = read_groups(record.value("task_groups", None), tasks or (), ID, NAME)
    record.report(issues)
    dependencies = record.read_dependencies(tasks, ("task_id",), "task", tuple(group.id for group in groups))
    params = record.read_params()
    record.report(typed_params.issues(params or {}))
    schedule = record.read_schedule()
    options = record.read_settings("options", settings.DAG_OPTIONS)
    task_defaults = record.read_settings("task_defaults", settings.TASK_DEFAULTS)
    record.check_unknown()
    if record.problems:
        return None, record
    return JobSpec(record.id, name, tasks, dependencies, params, True, origin,  # type: ignore[arg-type]
                   groups, schedule, options, task_defaults), record


def parse_schedule(raw: Mapping[str, Any], origin: str,
                   position: int) -> tuple[ScheduleSpec | Disabled | None, _Record]:
    record = _Record("schedule", raw, origin, position)
    record.read_id()
    enabled = record.read_enabled()
    if enabled is False and record.id is not None:
        return Disabled("schedule", record.id, origin), record
    name = record.read_name()
    jobs = record.read_ids("jobs", "job")
    # `task_id` too: the same {"task_id", "pid"} rows as a job's, so they can be copied across.
    dependencies = record.read_dependencies(jobs, ("job_id", "task_id"), "job")
    cron = record.read_cron()
    schedule = record.read_schedule()
    if (cron is None) == (schedule is None) and not record.problems:
        record.fail("cron", "a schedule runs on its cron or on its schedule" + (", not both" if cron else ""),
                    "set exactly one of cron and schedule")
    params = record.read_params()
    options = record.read_settings("options", settings.DAG_OPTIONS)
    record.check_unknown()
    if record.problems:
        return None, record
    return ScheduleSpec(record.id, name, jobs, dependencies, cron, params, True, origin,  # type: ignore[arg-type]
                        schedule, options), record


PARSERS = {"task": parse_task, "job": parse_job, "schedule": parse_schedule}


def parse_document(raw: Any, origin: str) -> Document:
    """Validate every record of one source (a parsed YAML file, or the rows of the tables)."""
    document = Document(origin)
    if raw is None:
        return document
    if not isinstance(raw, dict):
        document.problems.append(Problem(origin, "file", "(top level)", f"expected a mapping, got {json_shown(raw)}",
                                         "write a mapping with the keys tasks, jobs and schedules, each a list"))
        return document
    for key in raw:
        if key not in TOP_LEVEL:
            hint = tasktypes.suggestion(str(key), list(TOP_LEVEL))
            document.problems.append(Problem(origin, "file", str(key), f"not a list of records{hint}",
                                             "use only the keys defaults, tasks, jobs and schedules"))
    document.defaults, issues = settings.read_defaults(raw.get("defaults"))
    document.problems += [Problem(origin, "defaults", issue.field, issue.message, issue.fix) for issue in issues]
    for kind, parser in PARSERS.items():
        records = raw.get(PLURAL[kind]) or []
        if not isinstance(records, list):
            document.problems.append(Problem(origin, "file", PLURAL[kind], f"expected a list of {kind} records, got "
                                             f"{json_shown(records)}",
                                             f"write {PLURAL[kind]} as a list (items start with '- ')"))
            continue
        seen: set[str] = set()
        for position, raw_record in enumerate(records, start=1):
            if not isinstance(raw_record, dict):
                document.problems.append(Problem(origin, f"{kind} #{position}", "(record)",
                                                 f"expected a mapping, got {json_shown(raw_record)}",
                                                 f"write each {kind} as a mapping of its fields"))
                continue
            spec, record = parser(raw_record, origin, position)
            if record.id is not None and record.id in seen:
                record.fail("id", f"another {kind} in {place(origin)} has id '{record.id}'",
                            f"give each {kind} its own id")
                spec = None
            document.problems += record.problems
            if record.id is not None:
                seen.add(record.id)
            if spec is None:
                if record.id is not None:
                    document.malformed[kind].add(record.id)
                continue
            getattr(document, PLURAL[kind]).append(spec)
    return document
