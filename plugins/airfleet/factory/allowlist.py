"""Which modules a factory record may import code from.

A record names code by import path (a python task's callable, a callback, a notifier, a timetable,
an operator). Whoever can write a record, a table row as much as a reviewed YAML file, would
otherwise run any code on every host that parses DAGs (`callable: "os:system"`). So each kind of
import is limited to module prefixes that the cluster's own configuration sets (environment
variables, reviewed with the deployment), and a path outside them is refused before anything is
imported.
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class AllowList:
    env: str  # the variable listing the prefixes, comma-separated
    default: str  # prefixes when it is not set
    what: str  # "python callables", for messages

    def prefixes(self) -> tuple[str, ...]:
        value = os.environ.get(self.env)
        text = self.default if value is None else value
        return tuple(part.strip().rstrip(".") for part in text.split(",") if part.strip())

    def allows(self, module: str) -> bool:
        return any(module == prefix or module.startswith(prefix + ".") for prefix in self.prefixes())

    def refusal(self, path: str) -> str:
        listed = ", ".join(self.prefixes()) or "none"
        return f"'{path}' is outside the modules allowed for {self.what} ({self.env}: {listed})"

    def fix(self) -> str:
        return (f"use code from an allowed module, or add its module prefix to {self.env} in the cluster's "
                "configuration (a reviewed change)")


PYTHON = AllowList("AIRFLEET_FACTORY_PYTHON_MODULES", "airfleet", "python callables, callbacks and notifiers")
OPERATORS = AllowList("AIRFLEET_FACTORY_OPERATOR_MODULES", "", "operators by import path")
TIMETABLES = AllowList("AIRFLEET_FACTORY_TIMETABLE_MODULES", "airflow.timetables", "timetables")


class Refused(ValueError):
    """The path is outside its allow-list (nothing was imported)."""


def split_path(path: str) -> tuple[str, str]:
    """`package.module:name` or `package.module.name` -> (module, attribute); ValueError if neither."""
    module_name, sep, attribute = path.partition(":")
    if not sep:
        module_name, _, attribute = path.rpartition(".")
    if not module_name or not attribute:
        raise ValueError(f"'{path}' is not a dotted path to a function")
    return module_name, attribute


def load(path: str, allow: AllowList) -> Any:
    """The object at `path`, imported only when `allow` lets its module in; Refused or ValueError say why."""
    module_name, attribute = split_path(path)
    if not allow.allows(module_name):
        raise Refused(allow.refusal(path))
    try:
        target: Any = importlib.import_module(module_name)
        for part in attribute.split("."):
            target = getattr(target, part)
    except (ImportError, AttributeError) as error:
        raise ValueError(f"cannot import '{path}' ({type(error).__name__}: {error})") from None
    return target
