"""Task types: how a task record's `type` and `params` become an operator.

Each type declares its parameters (checked when specs are validated, so a typo fails review, not a
run) and builds its operator. Operators are imported inside `operator()`: validating specs needs no
provider, and parsing a DAG file imports only what its tasks use. Register more types with
`@register` from any module imported before the factory DAG file builds (e.g. a plugin).
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

if TYPE_CHECKING:
    from airflow.sdk import DAG, BaseOperator


class Issue(NamedTuple):
    field: str
    message: str
    fix: str


@dataclass(frozen=True)
class Kind:
    what: str
    test: Callable[[Any], bool]


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return _is_int(value) or isinstance(value, float)


def _str_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _str_dict(value: Any) -> bool:
    return isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())


TEXT = Kind("a non-empty string", lambda v: isinstance(v, str) and v.strip() != "")
INT = Kind("an integer", _is_int)
COUNT = Kind("an integer >= 0", lambda v: _is_int(v) and v >= 0)
SECONDS = Kind("a number of seconds > 0", lambda v: _is_number(v) and v > 0)
BOOL = Kind("true or false", lambda v: isinstance(v, bool))
LIST = Kind("a list", lambda v: isinstance(v, list))
MAPPING = Kind("a mapping", lambda v: isinstance(v, dict) and all(isinstance(k, str) for k in v))
STR_LIST = Kind("a list of strings", _str_list)
STR_MAP = Kind("a mapping of strings to strings", _str_dict)
TEXT_OR_LIST = Kind("a string or a list of strings", lambda v: TEXT.test(v) or (_str_list(v) and bool(v)))
MAPPING_OR_LIST = Kind("a mapping or a list", lambda v: isinstance(v, (dict, list)))


@dataclass(frozen=True)
class Field:
    kind: Kind
    required: bool = False


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
}


def common_arguments(params: Mapping[str, Any]) -> dict[str, Any]:
    arguments = {key: params[key] for key in ("retries", "queue", "pool", "trigger_rule", "doc_md") if key in params}
    for key in ("retry_delay", "execution_timeout"):
        if key in params:
            arguments[key] = timedelta(seconds=params[key])
    return arguments


def suggestion(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


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
        for key, field in allowed.items():
            if key not in params:
                if field.required:
                    issues.append(Issue(f"params.{key}", f"missing (a {self.name} task needs it)",
                                        f"set it to {field.kind.what}"))
            elif not field.kind.test(params[key]):
                issues.append(Issue(f"params.{key}", f"expected {field.kind.what}, got {_shown(params[key])}",
                                    f"set it to {field.kind.what}"))
        return issues or list(self.check(params))

    def check(self, params: Mapping[str, Any]) -> Iterator[Issue]:
        """Checks beyond each parameter's kind; run once every parameter has the right kind."""
        return iter(())

    def operator(self, params: Mapping[str, Any]) -> tuple[type[BaseOperator], dict[str, Any]]:
        """The operator class and its arguments for this task's own parameters."""
        raise NotImplementedError

    def build(self, task_id: str, params: Mapping[str, Any], dag: DAG) -> BaseOperator:
        own = {key: value for key, value in params.items() if key not in COMMON}
        operator_class, arguments = self.operator(own)
        return operator_class(task_id=task_id, dag=dag, **common_arguments(params), **arguments)


def _shown(value: Any) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text if len(text) <= 40 else text[:37] + '...'}"


REGISTRY: dict[str, TaskType] = {}


def register(cls: type[TaskType]) -> type[TaskType]:
    REGISTRY[cls.name] = cls()
    return cls


def resolve_callable(path: str) -> Callable[..., Any]:
    """`package.module:function` (or `package.module.function`) -> the function; ValueError says why not."""
    module_name, sep, attribute = path.partition(":")
    if not sep:
        module_name, _, attribute = path.rpartition(".")
    if not module_name or not attribute:
        raise ValueError(f"'{path}' is not a dotted path to a function")
    try:
        target: Any = importlib.import_module(module_name)
        for part in attribute.split("."):
            target = getattr(target, part)
    except (ImportError, AttributeError) as error:
        raise ValueError(f"cannot import '{path}' ({type(error).__name__}: {error})") from None
    if not callable(target):
        raise ValueError(f"'{path}' is a {type(target).__name__}, not a function")
    return target


CALLABLE_FIX = ("name a function importable on every worker, as 'package.module:function' "
                "(an installed package, or a module at the top of the DAG bundle)")


def _callable_issues(params: Mapping[str, Any]) -> Iterator[Issue]:
    try:
        resolve_callable(params["callable"])
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
    fields = {"callable": Field(TEXT, required=True), "op_args": Field(LIST), "op_kwargs": Field(MAPPING)}

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
        "callable": Field(TEXT),
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
