import pytest


@pytest.fixture(autouse=True)
def factory_allow_lists(monkeypatch):
    """The factory's import allow-lists as a cluster would set them for these tests' records
    (json:dumps as a python callable), whatever the environment running the tests says."""
    monkeypatch.setenv("AIRFLEET_FACTORY_PYTHON_MODULES", "airfleet,json")
    monkeypatch.delenv("AIRFLEET_FACTORY_OPERATOR_MODULES", raising=False)
    monkeypatch.delenv("AIRFLEET_FACTORY_TIMETABLE_MODULES", raising=False)
    monkeypatch.delenv("AIRFLEET_FACTORY_DEFAULTS", raising=False)


@pytest.fixture
def url(tmp_path, monkeypatch):
    """The factory's tables in a SQLite file of the test's own, with its own cache folder."""
    monkeypatch.setenv("AIRFLEET_FACTORY_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("AIRFLOW_CONN_AIRFLEET_FACTORY_DB", raising=False)
    location = f"sqlite:///{tmp_path / 'factory.db'}"
    monkeypatch.setenv("AIRFLEET_FACTORY_DB_URL", location)
    return location
