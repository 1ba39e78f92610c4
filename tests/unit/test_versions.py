from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from airfleet import versions

CONSTRAINTS = Path(__file__).parents[2] / "requirements" / "constraints.txt"


def pinned() -> dict[str, str]:
    """name -> version of every pin that applies to this interpreter (markers evaluated)."""
    pins = {}
    for line in CONSTRAINTS.read_text().splitlines():
        spec = line.split("#", 1)[0].strip()
        if not spec:
            continue
        requirement = Requirement(spec)
        if requirement.marker is None or requirement.marker.evaluate():
            (pin,) = requirement.specifier
            pins[canonicalize_name(requirement.name)] = pin.version
    return pins


def test_known_broken_combination_is_detected():
    broken = versions.broken_combinations({"celery": "5.7.0", "apache-airflow-providers-celery": "3.26.0"})
    assert len(broken) == 1 and "celery 5.7.0" in broken[0] and "5.6.3" in broken[0]
    assert versions.broken_combinations({"celery": "5.6.3", "apache-airflow-providers-celery": "3.26.0"}) == []


def test_installed_set_has_no_known_broken_combination():
    assert versions.broken_combinations(versions.installed_versions()) == []


def test_installed_set_matches_the_lock():
    installed = {canonicalize_name(k): v for k, v in versions.installed_versions().items()}
    drift = {name: (want, installed.get(name)) for name, want in pinned().items() if installed.get(name) != want}
    assert drift == {}, f"installed set drifted from requirements/constraints.txt (want, have): {drift}"


def test_lock_pins_the_platform():
    pins = pinned()
    assert pins["apache-airflow"] == "3.3.2"
    assert pins["celery"] == "5.6.3" and pins["kombu"] == "5.6.2"


def test_celery_executor_imports():
    from airflow.providers.celery.executors.celery_executor import CeleryExecutor

    assert CeleryExecutor.__name__ == "CeleryExecutor"


def test_providers_import_without_the_excluded_packages():
    """requirements/excludes.txt leaves out pyspark-client and mysql-connector-python."""
    from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator
    from airflow.providers.mysql.hooks.mysql import MySqlHook

    assert SparkSubmitOperator.__name__ and MySqlHook.conn_name_attr == "mysql_conn_id"
