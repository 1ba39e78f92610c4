"""docker/airflow/tuning.env: every line a real Airflow setting with a reason, read by every role,
and the benchmarks' pairing of it with stock defaults."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from airflow.configuration import conf

from airfleet import envfile
from benchmarks import scenarios

ROOT = Path(__file__).parents[2]
TUNING = ROOT / "docker" / "airflow" / "tuning.env"


def settings() -> dict[str, str]:
    return envfile.parse(TUNING.read_text(), TUNING)


def test_every_tuned_setting_is_an_airflow_option_that_differs_from_its_default():
    for name, value in settings().items():
        if not name.startswith("AIRFLOW__"):
            continue
        section, key = (part.lower() for part in name.removeprefix("AIRFLOW__").split("__", 1))
        assert conf.has_option(section, key), f"{name}: no [{section}] {key} in Airflow"
        default = conf.get_default_value(section, key)
        assert str(default) != value, f"{name}={value} is Airflow's default already"


def test_every_tuned_setting_says_why_in_the_comment_above_it():
    lines = TUNING.read_text().splitlines()
    for number, line in enumerate(lines):
        if re.match(r"^[A-Z_]+=", line):
            above = next(previous for previous in reversed(lines[:number]) if not re.match(r"^[A-Z_]+=", previous))
            assert above.startswith("#"), f"{line}: explain it in a comment above"


def test_every_airflow_role_reads_the_tuning_file_and_stock_can_replace_it():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    for name, service in compose["services"].items():
        if service.get("image", "").startswith("airfleet/airflow"):
            assert service["env_file"] == ["${AIRFLEET_TUNING_FILE:-docker/airflow/tuning.env}"], name
    # Tuned values must not also sit in `environment`, which would win over the file in both configs.
    common = compose["x-airflow-common"]["environment"]
    assert not set(settings()) & set(common)


def test_ratios_divide_airfleet_by_stock_for_numbers_both_have():
    stock = {"wall_s": 10.0, "hop_s": {"p50": 1.0, "p95": None}, "tasks": 200, "only_stock": 3}
    tuned = {"wall_s": 7.0, "hop_s": {"p50": 0.1, "p95": 0.2}, "tasks": 200, "only_tuned": 1}
    assert scenarios.ratios(stock, tuned) == {"wall_s": 0.7, "hop_s": {"p50": 0.1}, "tasks": 1.0}


def test_spread_and_flatten():
    assert scenarios.spread([0.4, 0.1, 0.2, 0.3, 10.0]) == {"p50": 0.3, "p95": 10.0, "mean": 2.2, "max": 10.0}
    assert scenarios.spread([]) == {"p50": None, "p95": None, "mean": None, "max": None}
    assert scenarios.flatten({"a": {"b": 1, "c": {"d": 2}}, "e": 3}) == [("a.b", 1), ("a.c.d", 2), ("e", 3)]
