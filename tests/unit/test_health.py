import pytest

from airfleet import health


def test_wait_returns_once_the_check_passes():
    calls = []

    def check():
        calls.append(1)
        if len(calls) < 3:
            raise health.Unhealthy("not yet")

    health.wait(check, "thing", timeout_s=5, interval_s=0.01)
    assert len(calls) == 3


def test_wait_gives_up_with_the_last_error():
    def check():
        raise health.Unhealthy("connection refused")

    with pytest.raises(health.Unhealthy, match="thing not ready after 0s; last error: connection refused"):
        health.wait(check, "thing", timeout_s=0.05, interval_s=0.01)


def test_unknown_role_is_a_usage_error(capsys):
    assert health.main(["nonsense"]) == 2
    err = capsys.readouterr().err
    assert "invalid choice: 'nonsense'" in err and "see python -m airfleet.health --help" in err


def test_missing_configuration_is_reported(monkeypatch, capsys):
    monkeypatch.delenv("AIRFLOW__CELERY__BROKER_URL", raising=False)
    assert health.main(["broker"]) == 1
    assert "AIRFLOW__CELERY__BROKER_URL is not set" in capsys.readouterr().err


def test_http_check_names_the_url():
    with pytest.raises(health.Unhealthy, match="http://127.0.0.1:9/"):
        health.http_ok("http://127.0.0.1:9/", timeout=1)


def test_a_refused_password_is_not_waited_for(monkeypatch):
    calls = []

    def refused() -> None:
        calls.append(1)
        raise health.Refused("the broker refused the password")

    with pytest.raises(health.Refused):
        health.wait(refused, "broker", timeout_s=30, interval_s=0)
    assert calls == [1]
