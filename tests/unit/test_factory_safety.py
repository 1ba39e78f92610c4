"""What a record may import, and what YAML the factory reads: a record cannot reach code outside the
cluster's allow-lists, and hostile YAML is refused in one line without expanding it."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest

from airfleet.factory import allowlist, yamlsafe
from airfleet.factory.catalog import resolve
from airfleet.factory.sources import yaml_text_document
from airfleet.factory.spec import parse_document

ORIGIN = "factory/x.yaml"


def python_task(callable_path: str) -> dict:
    return {"tasks": [{"id": "1", "name": "run", "type": "python", "params": {"callable": callable_path}}],
            "jobs": [{"id": "j", "name": "runs", "tasks": ["1"]}]}


def test_a_callable_outside_the_allow_list_is_refused_before_it_is_imported(monkeypatch):
    imported = []
    monkeypatch.setattr(allowlist, "importlib", SimpleNamespace(import_module=imported.append))
    (problem,) = parse_document(python_task("os:system"), ORIGIN).problems
    assert str(problem) == (
        "factory/x.yaml: task '1' (run), field 'params.callable': 'os:system' is outside the modules allowed for "
        "python callables, callbacks and notifiers (AIRFLEET_FACTORY_PYTHON_MODULES: airfleet, json); fix: use "
        "code from an allowed module, or add its module prefix to AIRFLEET_FACTORY_PYTHON_MODULES in the "
        "cluster's configuration (a reviewed change)")
    assert imported == []


def test_the_allow_list_matches_whole_module_names(monkeypatch):
    monkeypatch.setenv("AIRFLEET_FACTORY_PYTHON_MODULES", " airfleet. , jso ")
    assert allowlist.PYTHON.prefixes() == ("airfleet", "jso")
    assert allowlist.PYTHON.allows("airfleet.hostname") and allowlist.PYTHON.allows("airfleet")
    assert not allowlist.PYTHON.allows("json") and not allowlist.PYTHON.allows("airfleetx")


def test_without_configuration_only_airfleet_callables_are_allowed(monkeypatch):
    monkeypatch.delenv("AIRFLEET_FACTORY_PYTHON_MODULES")
    assert parse_document(python_task("airfleet.hostname:get_hostname"), ORIGIN).problems == []
    assert "outside the modules allowed" in str(parse_document(python_task("json:dumps"), ORIGIN).problems[0])


BOMB = 'a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n' + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8))


@pytest.mark.parametrize(("text", "expected"), [
    (BOMB, "aliases repeat more than 100000 values (an alias bomb?)"),
    ("tasks: &loop [*loop]\n", "an anchor refers to itself (a value that contains itself)"),
    ("jobs:\n  - &job {id: a, name: b, tasks: [*job]}\n", "an anchor refers to itself (a value that contains itself)"),
    ("tasks: " + "[" * 100 + "]" * 100 + "\n", "nested more than 64 levels deep"),
], ids=["billion laughs", "self-referencing anchor", "record containing itself", "deep nesting"])
def test_hostile_yaml_is_one_line_and_fast(text, expected):
    started = time.perf_counter()
    (problem,) = resolve([yaml_text_document(text, ORIGIN)]).problems
    assert time.perf_counter() - started < 2
    assert str(problem) == f"factory/x.yaml: file, field '(document)': refused: {expected}; fix: {yamlsafe.FIX}"


def test_ordinary_aliases_still_work():
    text = ("common: &bash {bash_command: echo hi, retries: 2}\n"
            "tasks:\n  - {id: 1, name: a, type: bash, params: *bash}\n"
            "  - {id: 2, name: b, type: bash, params: *bash}\n")
    raw = yamlsafe.load(text)
    assert raw["tasks"][0]["params"] == raw["tasks"][1]["params"] == {"bash_command": "echo hi", "retries": 2}


def test_values_written_out_are_not_limited_like_repeats():
    many = yamlsafe.MAX_REPEATS + 10
    assert len(yamlsafe.load("values: [" + "1, " * many + "]")["values"]) == many


def test_an_oversized_file_is_refused():
    with pytest.raises(yamlsafe.YamlLimitError, match="bytes, more than the 2000000"):
        yamlsafe.load("#" * (yamlsafe.MAX_BYTES + 1))


def test_add_refuses_hostile_yaml_without_touching_the_tables(tmp_path, monkeypatch, capsys):
    from airfleet import cli

    monkeypatch.setenv("AIRFLEET_FACTORY_DB_URL", f"sqlite:///{tmp_path / 'factory.db'}")
    spec = tmp_path / "bomb.yaml"
    spec.write_text(BOMB)
    assert cli.main(["factory", "add", str(spec)]) == 1
    assert capsys.readouterr().err == (f"airfleet: {spec}: refused: aliases repeat more than 100000 values "
                                       f"(an alias bomb?); fix: {yamlsafe.FIX}\n")
    assert not (tmp_path / "factory.db").exists()
