"""airfleet.serialization: objects from a DAG file load and run in a process without the file.

A DAG file is written to a temporary folder and imported the way Airflow imports it (module
`unusual_prefix_<sha1>_<stem>`); what `dumps` makes of its objects is loaded in a fresh `python -I`
process whose sys.path has neither the folder nor the module, after the file has been deleted.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import random
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from airfleet.serialization import DAG_FILE_MODULE, PayloadTooLarge, ShippingError, dumps, loads

DAG_SOURCE = '''
import functools
import json
import re
import threading
from dataclasses import dataclass, field

THRESHOLD = 10
LABELS = {"low": "below", "high": "at or above"}
PATTERN = re.compile(r"^row-(\\d+)$")


def label(value):
    return LABELS["high" if value >= THRESHOLD else "low"]


def parse(line):
    return int(PATTERN.match(line).group(1))


def factorial(n):
    return 1 if n <= 1 else n * factorial(n - 1)


def is_even(n):
    return True if n == 0 else is_odd(n - 1)


def is_odd(n):
    return False if n == 0 else is_even(n - 1)


def make_check(minimum):
    seen = []

    def check(lines):
        values = [parse(line) for line in lines]
        seen.append(len(values))
        return {"ok": min(values) >= minimum, "labels": [label(v) for v in values], "calls": len(seen)}

    return check


def outer(scale):
    def middle(offset):
        def inner(value):
            return value * scale + offset + THRESHOLD
        return inner
    return middle


@dataclass
class Rule:
    column: str
    minimum: int = THRESHOLD
    tags: list = field(default_factory=list)

    def passes(self, row):
        return row[self.column] >= self.minimum

    @classmethod
    def strict(cls, column):
        return cls(column, minimum=THRESHOLD * 2)


class RangeRule(Rule):
    def passes(self, row):
        return super().passes(row) and row[self.column] < 100


DEFAULT_RULE = RangeRule("n", 5)
to_json = lambda value: json.dumps({"value": value, "label": label(value)}, sort_keys=True)
partial_label = functools.partial(label)
LOCK = threading.Lock()


def uses_lock():
    with LOCK:
        return 1
'''

LOADER = """
import base64, json, sys
from airfleet.serialization import loads
cases = json.loads(sys.stdin.read())
results = {}
for name, (payload, expression) in cases.items():
    obj = loads(base64.b64decode(payload))
    results[name] = eval(expression, {"obj": obj})
leaked = [m for m in sys.modules if m.startswith("unusual_prefix_")]
print(json.dumps({"results": results, "leaked": leaked, "path": sys.path}))
"""


@pytest.fixture
def dag_module(tmp_path):
    """A DAG file imported as Airflow does, removed from sys.modules afterwards."""
    from airflow.utils.file import get_unique_dag_module_name

    path = tmp_path / "dags" / "quality_dag.py"
    path.parent.mkdir()
    path.write_text(DAG_SOURCE)
    name = get_unique_dag_module_name(str(path))
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop(name, None)


def load_elsewhere(cases: dict[str, tuple[object, str]], dag_file: Path) -> dict:
    """Ship each object, delete the DAG file, evaluate `expression` (with `obj`) in `python -I`."""
    payload = {name: (base64.b64encode(dumps(obj)).decode(), expression) for name, (obj, expression) in cases.items()}
    dag_file.unlink()
    result = subprocess.run([sys.executable, "-I", "-c", LOADER], input=json.dumps(payload), capture_output=True,
                            text=True, cwd="/", timeout=120)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["leaked"] == []
    assert not any(str(dag_file.parent) in entry for entry in answer["path"])
    return answer["results"]


def test_module_name_pattern_matches_airflows(dag_module):
    assert DAG_FILE_MODULE.match(dag_module.__name__)


def test_dag_file_objects_run_where_the_file_is_absent(dag_module):
    m = dag_module
    results = load_elsewhere({
        "closure with helpers and globals": (m.make_check(3), "[obj(['row-3', 'row-12']), obj(['row-1'])]"),
        "lambda": (m.to_json, "obj(11)"),
        "recursive": (m.factorial, "obj(6)"),
        "mutually recursive": (m.is_even, "[obj(10), obj(7)]"),
        "nested closures": (m.outer(2)(1), "obj(5)"),
        "dataclass": (m.Rule, "[obj('n').passes({'n': 10}), obj.strict('n').minimum, obj('n').tags]"),
        "subclass with super()": (m.RangeRule, "[obj('n', 5).passes({'n': 50}), obj('n', 5).passes({'n': 500})]"),
        "instance": (m.DEFAULT_RULE, "[obj.passes({'n': 6}), type(obj).__name__, obj.minimum]"),
        "bound method": (m.DEFAULT_RULE.passes, "obj({'n': 4})"),
        "partial": (m.partial_label, "obj(99)"),
        "data with a shipped function": ({"rules": [m.Rule("x", 1)], "fn": m.label},
                                         "obj['fn'](obj['rules'][0].minimum)"),
    }, Path(m.__file__))
    assert results == {
        "closure with helpers and globals": [
            {"ok": True, "labels": ["below", "at or above"], "calls": 1},
            {"ok": False, "labels": ["below"], "calls": 2},
        ],
        "lambda": '{"label": "at or above", "value": 11}',
        "recursive": 720,
        "mutually recursive": [True, False],
        "nested closures": 21,
        "dataclass": [True, 20, []],
        "subclass with super()": [True, False],
        "instance": [True, "RangeRule", 5],
        "bound method": False,
        "partial": "at or above",
        "data with a shipped function": "below",
    }


def test_installed_modules_travel_by_reference(dag_module):
    import json as json_module

    payload = dumps([json_module.dumps, dag_module.json])
    assert len(payload) < 200
    assert loads(payload)[0] is json_module.dumps


def test_lock_is_refused_naming_the_variable_and_function(dag_module):
    with pytest.raises(ShippingError) as error:
        dumps(dag_module.uses_lock)
    message = str(error.value)
    assert "(a lock)" in message and "held as 'LOCK' by function 'uses_lock'" in message
    assert "create it inside the function" in message


def test_socket_in_a_closure_is_refused():
    with socket.socket() as sock:
        def send(data):
            return sock.send(data)

        with pytest.raises(ShippingError, match=r"\(an open socket\), held as 'sock' by function .*send"):
            dumps(send)


def test_open_file_reached_through_a_helper_names_the_path(tmp_path):
    handle = (tmp_path / "data.txt").open("w")
    try:
        def helper():
            return handle.write("x")

        def task():
            return helper()

        with pytest.raises(ShippingError) as error:
            dumps(task)
        message = str(error.value)
        assert "(an open file)" in message
        assert "held as 'handle' by function" in message and "helper" in message
        assert "held as 'helper' by function" in message and "task" in message
    finally:
        handle.close()


def test_lock_inside_a_container_is_still_found():
    rlock = threading.RLock()
    with pytest.raises(ShippingError, match="a lock"):
        dumps({"nested": [rlock]})


def test_module_object_from_the_dag_folder_is_refused(dag_module):
    def uses_module():
        return dag_module.THRESHOLD

    with pytest.raises(ShippingError, match=r"module .*quality_dag.*Import what you use from it by name"):
        dumps(uses_module)


def test_helper_module_named_by_value_ships(tmp_path):
    (tmp_path / "team_helpers.py").write_text("SCALE = 3\ndef scale(v):\n    return v * SCALE\n")
    sys.path.insert(0, str(tmp_path))
    try:
        from team_helpers import scale  # type: ignore[import-not-found]

        payload = dumps(lambda v: scale(v) + 1, by_value_modules=["team_helpers"])
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("team_helpers", None)
    code = "import sys; from airfleet.serialization import loads; print(loads(sys.stdin.buffer.read())(4))"
    result = subprocess.run([sys.executable, "-I", "-c", code], input=payload, capture_output=True, cwd="/", timeout=60)
    assert result.stdout.strip() == b"13", result.stderr


def test_size_cap_names_the_biggest_variable():
    blob = bytes(1 << 20)  # compresses to almost nothing
    noise = random.Random(0).randbytes(200_000)  # does not compress

    def uses_data():
        return len(blob) + len(noise)

    with pytest.raises(PayloadTooLarge) as error:
        dumps(uses_data, max_bytes=64 * 1024)
    message = str(error.value)
    assert "over the 64.0 KiB limit" in message and "'noise'" in message
    assert "Load large data inside the function" in message


def test_generator_is_refused():
    gen = (i for i in range(3))
    with pytest.raises(ShippingError, match="generator"):
        dumps(lambda: next(gen))


def test_loads_rejects_foreign_bytes():
    import pickle

    with pytest.raises(ValueError, match="not an airfleet.serialization payload"):
        loads(pickle.dumps(1))


def test_same_process_round_trip_keeps_identity_of_shared_objects():
    shared = {"n": 1}
    a, b = loads(dumps([shared, shared]))
    assert a is b


def test_dumps_is_compressed_and_small_for_a_typical_check(dag_module):
    assert len(dumps(dag_module.make_check(3))) < 4096


def test_submodules_reached_through_their_package_are_imported_on_load(tmp_path):
    import importlib.util
    import os.path

    def uses_submodules():
        return [importlib.util.find_spec("json") is not None, os.path.basename("/a/b")]

    code = "import sys; from airfleet.serialization import loads; print(loads(sys.stdin.buffer.read())())"
    result = subprocess.run([sys.executable, "-I", "-c", code], input=dumps(uses_submodules), capture_output=True,
                            cwd="/", timeout=60)
    assert result.stdout.strip() == b"[True, 'b']", result.stderr
