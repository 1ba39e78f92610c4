"""Task types: how a task record's `type` and `params` become an operator.

Each type declares its parameters (checked when specs are validated, so a typo fails review, not a
run) and builds its operator. Operators are imported inside `operator()`: validating specs needs no
provider, and parsing a DAG file imports only what its tasks use. Register more types with
`@register` from any module imported before the factory DAG file builds (e.g. a plugin).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from airfleet.factory import alerting, allowlist, callbacks, mapping, timing
from airfleet.factory.fields import (
    BOOL,
    COUNT,
    INT,
    LIST,
    MAPPING,
    MAPPING_OR_LIST,
    SECONDS,
    STR_LIST,
    STR_MAP,
    TEXT,
    TEXT_OR_LIST,
    Field,
    Issue,
    Kind,
    shown,
    suggestion,
)
from airfleet.factory.plan import Call, TaskPlan, make_task

if TYPE_CHECKING:
    from airflow.sdk import DAG, BaseOperator


TRIGGER_RULES = (
    "all_success", "all_failed", "all_done", "all_done_min_one_success", "all_done_setup_success", "all_skipped",
    "one_success", "one_failed", "one_done", "none_failed", "none_failed_min_one_success", "none_skipped", "always",
)

# Operator settings any task may carry, whatever its type. Durations are seconds (specs are data).
COMMON: dict[str, Field] = {
    "retries": Field(COUNT),
    "retry_delay": Field(SECONDS),
    "execution_timeout": Field(SECONDS),
    "queue": Field(TEXT),
    "pool": Field(TEXT),
    "trigger_rule": Field(Kind(f"one of {', '.join(TRIGGER_RULES)}", lambda v: v in TRIGGER_RULES)),
    "doc_md": Field(TEXT),
    "owner": Field(TEXT),
    **dict.fromkeys(callbacks.TASK_EVENTS, callbacks.CALLBACKS),
    "outlets": timing.ASSETS,
    "inlets": timing.ASSETS,
    "expand": mapping.EXPAND,
    "map_index_template": Field(TEXT),
    "alerts": alerting.ALERTS,
}
# Common settings that describe one task, so no defaults block or job sets them for all (a job's
# alert routing is its `options.alerts`; a task's own `alerts` wins over it).
PER_TASK = ("doc_md", "outlets", "inlets", "expand", "map_index_template", "alerts")
_PLAIN = ("retries", "queue", "pool", "trigger_rule", "doc_md", "owner", "map_index_template")


def common_arguments(params: Mapping[str, Any]) -> dict[str, Any]:
    """The operator arguments for the common settings, as plan values (plan.py)."""
    arguments = {key: params[key] for key in _PLAIN if key in params}
    for key in ("retry_delay", "execution_timeout"):
        if key in params:
            arguments[key] = Call(timedelta, kwargs={"seconds": params[key]})
    for key in callbacks.TASK_EVENTS:
        if key in params:
            arguments[key] = callbacks.plan_values(params[key])
    routed = alerting.task_notifiers(params.get("alerts"))
    if routed:
        arguments["on_failure_callback"] = [*arguments.get("on_failure_callback", []), *routed]
    for key in ("outlets", "inlets"):
        if key in params:
            arguments[key] = [timing.asset(name) for name in params[key]]
    return arguments


class TaskType:
    """A kind of task. Subclasses set `name` and `fields` and implement `operator`."""

    name: ClassVar[str]
    fields: ClassVar[dict[str, Field]]

    def validate(self, params: Mapping[str, Any]) -> list[Issue]:
        allowed = {**self.fields, **COMMON}
        issues = []
        for key in params:
            if key not in allowed:
                issues.append(Issue(f"params.{key}",
                                    f"not a parameter of a {self.name} task{suggestion(key, sorted(allowed))}",
                                    f"use only {', '.join(sorted(allowed))}"))
        issues += _field_issues(allowed, params, self.name)
        issues = issues or mapping.issues(self.fields, params, self.name)
        return issues or list(self.check(_with_mapped(params)))

    def check(self, params: Mapping[str, Any]) -> Iterator[Issue]:
        """Checks beyond each parameter's kind; run once every parameter has the right kind."""
        return iter(())

    def operator(self, params: Mapping[str, Any]) -> tuple[type[BaseOperator], dict[str, Any]]:
        """The operator class and its arguments for this task's own parameters."""
        raise NotImplementedError

    def plan(self, task_id: str, params: Mapping[str, Any]) -> TaskPlan:
        expand = params.get("expand") or {}
        own = {key: value for key, value in _with_mapped(params).items() if key not in COMMON}
        operator_class, arguments = self.operator(own)
        mapped = {name: mapping.plan_value(expand[value.key]) for name, value in arguments.items()
                  if isinstance(value, mapping.Mapped)}
        if len(mapped) != len(expand):  # the type changed a mapped value instead of passing it on
            raise ValueError(f"a {self.name} task cannot map {', '.join(sorted(expand))}")
        fixed = {name: value for name, value in arguments.items() if not isinstance(value, mapping.Mapped)}
        return TaskPlan(task_id, operator_class, {"task_id": task_id, **common_arguments(params), **fixed}, mapped)

    def build(self, task_id: str, params: Mapping[str, Any], dag: DAG) -> BaseOperator:
        return make_task(self.plan(task_id, params), {}, dag=dag)


def _field_issues(allowed: Mapping[str, Field], params: Mapping[str, Any], kind: str) -> list[Issue]:
    """Missing required parameters (a mapped one is given), values of the wrong kind, failed checks."""
    mapped = set(params.get("expand") or {}) if isinstance(params.get("expand"), dict) else set()
    issues = []
    for key, field in allowed.items():
        if key not in params:
            if field.required and key not in mapped:
                issues.append(Issue(f"params.{key}", f"missing (a {kind} task needs it)",
                                    f"set it to {field.kind.what}"))
        elif not field.kind.test(params[key]):
            issues.append(Issue(f"params.{key}", f"expected {field.kind.what}, got {shown(params[key])}",
                                f"set it to {field.kind.what}"))
        elif field.check:
            issues += field.check(params[key], f"params.{key}")
    return issues


def _with_mapped(params: Mapping[str, Any]) -> dict[str, Any]:
    """Params with each mapped parameter present as a Mapped placeholder."""
    return {**params, **{key: mapping.Mapped(key) for key in params.get("expand") or {}}}


REGISTRY: dict[str, TaskType] = {}


def register(cls: type[TaskType]) -> type[TaskType]:
    REGISTRY[cls.name] = cls()
    return cls


def task_type(name: str) -> TaskType | None:
    """A registered task type, or an operator by import path (operators.py); None for neither."""
    from airfleet.factory.operators import is_path, operator_task

    return REGISTRY.get(name) or (operator_task(name) if is_path(name) else None)


def resolve_callable(path: str) -> Callable[..., Any]:
    """`package.module:function` (or `package.module.function`) -> the function, from an allowed module
    only (allowlist.PYTHON); ValueError (allowlist.Refused when outside the allow-list) says why not."""
    target = allowlist.load(path, allowlist.PYTHON)
    if not callable(target):
        raise ValueError(f"'{path}' is a {type(target).__name__}, not a function")
    return target


CALLABLE_FIX = ("name a function importable on every worker, as 'package.module:function' "
                "(an installed package, or a module at the top of the DAG bundle)")


def _callable_issues(params: Mapping[str, Any]) -> Iterator[Issue]:
    try:
        resolve_callable(params["callable"])
    except allowlist.Refused as error:
        yield Issue("params.callable", str(error), allowlist.PYTHON.fix())
    except ValueError as error:
        yield Issue("params.callable", str(error), CALLABLE_FIX)


def _optional_import(module: str, name: str) -> Any | None:
    """An Airfleet operator that may not be installed yet; None sends the caller to the provider's."""
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return None


@register
class SqlTask(TaskType):
    """SQL on any connection the common SQL provider supports."""

    name = "sql"
    fields = {
        "conn_id": Field(TEXT, required=True),
        "sql": Field(TEXT_OR_LIST, required=True),
        "parameters": Field(MAPPING_OR_LIST),
        "autocommit": Field(BOOL),
        "split_statements": Field(BOOL),
        "database": Field(TEXT),
    }

    def operator(self, params):
        from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator

        return SQLExecuteQueryOperator, dict(params)


@register
class BashTask(TaskType):
    name = "bash"
    fields = {
        "bash_command": Field(TEXT, required=True),
        "env": Field(STR_MAP),
        "append_env": Field(BOOL),
        "cwd": Field(TEXT),
    }

    def operator(self, params):
        from airflow.providers.standard.operators.bash import BashOperator

        return BashOperator, dict(params)


@register
class PythonTask(TaskType):
    name = "python"
    fields = {"callable": Field(TEXT, required=True, mappable=False), "op_args": Field(LIST),
              "op_kwargs": Field(MAPPING)}

    def check(self, params):
        return _callable_issues(params)

    def operator(self, params):
        from airflow.providers.standard.operators.python import PythonOperator

        arguments = {key: value for key, value in params.items() if key != "callable"}
        return PythonOperator, {"python_callable": resolve_callable(params["callable"]), **arguments}


@register
class SparkTask(TaskType):
    """A JVM application on Spark: Airfleet's REST submit-and-defer operator, else the provider's."""

    name = "spark"
    fields = {
        "application": Field(TEXT, required=True),
        "main_class": Field(TEXT, required=True),
        "args": Field(STR_LIST),
        "conf": Field(STR_MAP),
        "conn_id": Field(TEXT),
        "name": Field(TEXT),
    }

    def operator(self, params):
        rest = _optional_import("airfleet.spark.operator", "SparkRestSubmitOperator")
        names = (("app_resource", "main_class", "app_args", "spark_properties", "app_name") if rest else
                 ("application", "java_class", "application_args", "conf", "name"))
        ours = ("application", "main_class", "args", "conf", "name")
        arguments = {theirs: params[mine] for mine, theirs in zip(ours, names, strict=True) if mine in params}
        if "conn_id" in params:
            arguments["conn_id"] = params["conn_id"]
        if rest:
            return rest, arguments
        from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator

        return SparkSubmitOperator, arguments


@register
class DbtCloudTask(TaskType):
    """A dbt Cloud job, waited for in the triggerer (no worker slot while it runs) by Airfleet's
    operator; `deferrable: false` waits on a worker with the provider's."""

    name = "dbt_cloud"
    fields = {
        "job_id": Field(INT, required=True),
        "conn_id": Field(TEXT),
        "account_id": Field(INT),
        "steps_override": Field(STR_LIST),
        "wait_for_termination": Field(BOOL),
        "timeout": Field(SECONDS),
        "check_interval": Field(SECONDS),
        "deferrable": Field(BOOL),
    }

    def operator(self, params):
        arguments = {key: value for key, value in params.items() if key not in ("conn_id", "deferrable")}
        if "conn_id" in params:
            arguments["dbt_cloud_conn_id"] = params["conn_id"]
        deferrable = params.get("deferrable", True)
        # Airfleet's operator (always deferred) survives transient poll errors; the provider's does not.
        ours = _optional_import("airfleet.dbt.operator", "DbtCloudRunOperator") if deferrable else None
        if ours:
            return ours, arguments
        from airflow.providers.dbt.cloud.operators.dbt import DbtCloudRunJobOperator

        return DbtCloudRunJobOperator, {**arguments, "deferrable": deferrable}


@register
class ContainerTask(TaskType):
    """A command in an image (the docker provider's operator), or a Python function shipped into an
    image by value (airfleet.container). Both need a worker with the Docker socket: set `queue`."""

    name = "container"
    fields = {
        "image": Field(TEXT, required=True),
        "command": Field(TEXT_OR_LIST),
        "callable": Field(TEXT, mappable=False),
        "op_args": Field(LIST),
        "op_kwargs": Field(MAPPING),
        "environment": Field(STR_MAP),
        "docker_url": Field(TEXT),
        "network_mode": Field(TEXT),
        "mem_limit": Field(TEXT),
    }

    def check(self, params):
        if ("command" in params) == ("callable" in params):
            yield Issue("params.command", "a container task runs either a command or a callable",
                        "set exactly one of params.command and params.callable")
        elif "callable" in params:
            yield from _callable_issues(params)
        elif {"op_args", "op_kwargs"} & set(params):
            yield Issue("params.op_args", "op_args/op_kwargs are arguments of a callable, and this task runs a command",
                        "put the arguments in params.command, or use params.callable")

    def operator(self, params):
        shared = {key: params[key] for key in ("image", "environment", "docker_url", "network_mode", "mem_limit")
                  if key in params}
        if "callable" in params:
            from airfleet.container import ContainerPythonOperator

            calls = {key: params[key] for key in ("op_args", "op_kwargs") if key in params}
            return ContainerPythonOperator, {"python_callable": resolve_callable(params["callable"]), **calls, **shared}
        from airflow.providers.docker.operators.docker import DockerOperator

        # The worker runs in a container itself: a temporary directory on *its* filesystem cannot be
        # mounted into a sibling container by the host's daemon.
        return DockerOperator, {"command": params["command"], "mount_tmp_dir": False, **shared}
