"""Any operator by import path (`type: "airflow.providers.http.operators.http:HttpOperator"`), beside
the registered task types, from the module prefixes AIRFLEET_FACTORY_OPERATOR_MODULES allows (none
unless the cluster's configuration says so). Its params are the operator's own arguments, checked
against its constructor, plus the common settings every task takes.
"""

from __future__ import annotations

import functools
import inspect

from airfleet.factory import allowlist
from airfleet.factory.fields import Field, Issue, Kind
from airfleet.factory.tasktypes import TaskType

ANY = Kind("any value", lambda value: True)
SKIPPED = {"self", "task_id", "dag", "task_group", "default_args", "kwargs", "args"}


def is_path(name: str) -> bool:
    return ":" in name or "." in name


def _arguments(operator: type) -> dict[str, Field]:
    """The constructor arguments of `operator` and of its bases up to BaseOperator (whose own are
    the common settings), as far as each passes **kwargs on."""
    from airflow.sdk import BaseOperator

    found: dict[str, Field] = {}
    for cls in operator.__mro__:
        if cls is BaseOperator or not issubclass(cls, BaseOperator):
            break
        parameters = list(inspect.signature(cls.__init__).parameters.values())
        for parameter in parameters:
            if parameter.name not in SKIPPED and \
                    parameter.kind not in (parameter.VAR_KEYWORD, parameter.VAR_POSITIONAL):
                found.setdefault(parameter.name, Field(ANY, required=parameter.default is parameter.empty))
        if not any(parameter.kind is parameter.VAR_KEYWORD for parameter in parameters):
            break
    return found


class OperatorTask(TaskType):
    def __init__(self, path: str) -> None:
        self.name = path

    def _operator_class(self) -> type:
        from airflow.sdk import BaseOperator

        target = allowlist.load(self.name, allowlist.OPERATORS)
        if not (isinstance(target, type) and issubclass(target, BaseOperator)):
            raise ValueError(f"'{self.name}' is not an operator class")
        return target

    @property
    def fields(self) -> dict[str, Field]:  # type: ignore[override] - read from the class, checked each time
        return _arguments(self._operator_class())

    def validate(self, params):
        try:
            self._operator_class()
        except allowlist.Refused as error:
            return [Issue("type", str(error), allowlist.OPERATORS.fix())]
        except ValueError as error:
            return [Issue("type", str(error),
                          "name an operator class importable on every host, as 'package.module:Class'")]
        return super().validate(params)

    def operator(self, params):
        return self._operator_class(), dict(params)


@functools.lru_cache(maxsize=256)
def operator_task(path: str) -> OperatorTask:
    return OperatorTask(path)
