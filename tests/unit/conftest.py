import pytest


@pytest.fixture(autouse=True)
def factory_allow_lists(monkeypatch):
    """The factory's import allow-lists as a cluster would set them for these tests' records
    (json:dumps as a python callable), whatever the environment running the tests says."""
    monkeypatch.setenv("AIRFLEET_FACTORY_PYTHON_MODULES", "airfleet,json")
    monkeypatch.delenv("AIRFLEET_FACTORY_OPERATOR_MODULES", raising=False)
    monkeypatch.delenv("AIRFLEET_FACTORY_TIMETABLE_MODULES", raising=False)
    monkeypatch.delenv("AIRFLEET_FACTORY_DEFAULTS", raising=False)
