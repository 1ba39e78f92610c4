"""A role's environment for sbin/200.sh, from `compose config` output."""

from airfleet import nodeenv

RENDERED = """
services:
  worker:
    environment:
      AIRFLEET_ALERT_WEBHOOK_URL: http://hooks.example/a$$b
      AIRFLOW__CORE__EXECUTOR: CeleryExecutor
      EMPTY: null
"""


def test_a_literal_dollar_reaches_the_container_once():
    environment = nodeenv.role_environment(RENDERED, "worker")
    assert environment == {"AIRFLEET_ALERT_WEBHOOK_URL": "http://hooks.example/a$b",
                           "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor", "EMPTY": ""}


def test_env_file_lines_are_sorted_and_literal():
    assert nodeenv.env_file_lines({"B": "a$b", "A": "1"}) == "A=1\nB=a$b\n"


def test_the_secrets_the_role_needs_are_named_when_missing():
    rendered = RENDERED.replace("CeleryExecutor", "mysql://airflow:__m__MYSQL_PASSWORD@db/airflow")
    assert nodeenv.missing_settings(nodeenv.role_environment(rendered, "worker"), "__m__") == ["MYSQL_PASSWORD"]
