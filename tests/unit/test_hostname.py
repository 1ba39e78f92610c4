import ipaddress
import socket

import pytest

from airfleet import hostname


@pytest.fixture(autouse=True)
def fresh_cache():
    hostname.get_hostname.cache_clear()
    yield
    hostname.get_hostname.cache_clear()


def test_airflow_host_name_wins(monkeypatch):
    monkeypatch.setenv("AIRFLOW_HOST_NAME", "worker-7.example.net")
    assert hostname.get_hostname() == "worker-7.example.net"


def test_value_is_constant_for_the_process(monkeypatch):
    monkeypatch.setenv("AIRFLOW_HOST_NAME", "first")
    assert hostname.get_hostname() == "first"
    monkeypatch.setenv("AIRFLOW_HOST_NAME", "second")
    assert hostname.get_hostname() == "first"


def test_fallback_is_a_non_loopback_address(monkeypatch):
    monkeypatch.delenv("AIRFLOW_HOST_NAME", raising=False)
    monkeypatch.setattr(socket, "gethostbyname", lambda name: "10.1.2.3")
    assert hostname.get_hostname() == "10.1.2.3"


def test_loopback_is_never_reported(monkeypatch):
    monkeypatch.delenv("AIRFLOW_HOST_NAME", raising=False)
    monkeypatch.setattr(socket, "gethostbyname", lambda name: "127.0.1.1")
    monkeypatch.setattr(socket, "getfqdn", lambda: "node1.example.net")
    assert hostname.get_hostname() == "node1.example.net"


def test_real_resolution_gives_something_usable(monkeypatch):
    monkeypatch.delenv("AIRFLOW_HOST_NAME", raising=False)
    value = hostname.get_hostname()
    assert value
    try:
        assert not ipaddress.ip_address(value).is_loopback
    except ValueError:
        pass  # a name, not an address
