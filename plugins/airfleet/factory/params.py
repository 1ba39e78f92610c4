"""A job's params: plain values (the DAG's params, as before), or typed ones written like Airflow's
Param: `{type: integer, default: 7, minimum: 1, description: "days to load"}`. A typed param is
checked against its schema when a run is triggered with another value, shows as a form field in
the UI, and is used in task arguments as `{{ params.days }}`.

A mapping counts as typed when it has a JSON-schema `type` and only Param's keys, so a plain
mapping value (`{region: eu}`) stays a plain value.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from airfleet.factory.fields import Issue
from airfleet.factory.plan import Call

TYPES = ("string", "number", "integer", "boolean", "array", "object", "null")
KEYS = ("default", "type", "description", "title", "enum", "minimum", "maximum", "minLength", "maxLength",
        "pattern", "format", "items", "examples")


def typed(value: Any) -> bool:
    if not isinstance(value, dict) or "type" not in value or set(value) - set(KEYS):
        return False
    kinds = value["type"] if isinstance(value["type"], list) else [value["type"]]
    return all(kind in TYPES for kind in kinds)


def _param(value: Mapping[str, Any]) -> Call:
    from airflow.sdk import Param

    schema = {key: item for key, item in value.items() if key != "default"}
    return Call(Param, (value["default"],) if "default" in value else (), schema)


def issues(params: Mapping[str, Any]) -> list[Issue]:
    """Typed params whose default does not fit their own schema."""
    found = []
    for name, value in params.items():
        if typed(value) and "default" in value:
            from airflow.sdk.definitions.param import ParamValidationError

            call = _param(value)
            try:
                call.target(*call.args, **call.kwargs).resolve(suppress_exception=False)
            except ParamValidationError as error:
                found.append(Issue(f"params.{name}.default", f"does not fit its schema: {str(error).splitlines()[0]}",
                                   "give a default of the param's type and limits, or change the schema"))
    return found


def param_values(params: Mapping[str, Any]) -> dict[str, Any]:
    """The DAG's params as plan values: typed ones as Param calls."""
    return {name: _param(value) if typed(value) else value for name, value in params.items()}
