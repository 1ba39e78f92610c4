"""The vocabulary of field checks: what kind of value a field takes, and an issue found in one.

Shared by task types (their params), DAG options and defaults, callbacks and schedules, so that a
wrong value reads the same wherever it is written: "expected a list of strings, got int 3".
"""

from __future__ import annotations

import difflib
import json
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple


class InvalidJson:
    """A database column whose text is not JSON; reported as that record's field."""

    def __init__(self, text: str, error: str) -> None:
        self.text, self.error = text, error


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
    # Checks beyond the kind (imports, allow-lists): (value, field path) -> issues; run once the kind fits.
    check: Callable[[Any, str], Iterable[Issue]] | None = None
    mappable: bool = True  # may be given per mapped task instance in `expand`


def suggestion(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def shown(value: Any) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text if len(text) <= 40 else text[:37] + '...'}"


POSITIVE = Kind("an integer > 0", lambda v: _is_int(v) and v > 0)


def not_json(value: Any, path: str) -> tuple[str, Any] | None:
    """The first place in `value` JSON cannot hold (dates from YAML, sets, NaN...), or None."""
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                return path, key
            where = not_json(item, f"{path}.{key}")
            if where:
                return where
        return None
    if isinstance(value, list):
        for index, item in enumerate(value):
            where = not_json(item, f"{path}[{index}]")
            if where:
                return where
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return path, value
    return None if value is None or isinstance(value, (str, int, float, bool)) else (path, value)


def json_shown(value: Any) -> str:
    """A record's value as it would be written in JSON (shortened), for messages about record fields."""
    if value is None:
        return "null"
    text = json.dumps(value) if isinstance(value, (str, int, float, bool, list, dict)) and not_json(value, "") is None \
        else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
