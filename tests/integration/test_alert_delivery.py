"""Alerts delivered for real over loopback: a real SMTP server (aiosmtpd), a webhook receiver, and
an SNS-compatible server (moto in server mode), through the smtp provider's hook and the amazon
provider's notifier with Airflow connections from the environment."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from airfleet.alerts import senders
from airfleet.alerts.message import Alert
from airfleet.alerts.notifier import FailureNotifier
from airfleet.alerts.settings import AlertSettings
from tests.support.fakes.receivers import SmtpInbox, SnsInbox, WebhookInbox

pytestmark = pytest.mark.integration

aiosmtpd = pytest.importorskip("aiosmtpd", reason="aiosmtpd (requirements/dev.in) is not installed")
moto = pytest.importorskip("moto", reason="moto[server] (requirements/dev.in) is not installed")


@pytest.fixture
def smtp():
    inbox = SmtpInbox().start()
    yield inbox
    inbox.stop()


@pytest.fixture
def webhook():
    inbox = WebhookInbox().start()
    yield inbox
    inbox.stop()


@pytest.fixture(scope="module")
def sns():
    inbox = SnsInbox().start()
    yield inbox
    inbox.stop()


@pytest.fixture
def destinations(monkeypatch, smtp, webhook, sns):
    monkeypatch.setenv("AIRFLOW_CONN_ALERT_SMTP", json.dumps({
        "conn_type": "smtp", "host": smtp.host, "port": smtp.port,
        "extra": {"disable_tls": True, "disable_ssl": True, "from_email": "airflow@airfleet.invalid"}}))
    monkeypatch.setenv("AIRFLOW_CONN_ALERT_AWS", json.dumps({
        "conn_type": "aws", "login": "testing", "password": "testing",
        "extra": {"endpoint_url": sns.endpoint_url, "region_name": SnsInbox.REGION}}))
    for key, value in {"EMAIL_TO": "oncall@airfleet.invalid, data@airfleet.invalid", "SMTP_CONN_ID": "alert_smtp",
                       "WEBHOOK_URL": webhook.url, "SNS_TOPIC_ARN": sns.topic_arn, "AWS_CONN_ID": "alert_aws"}.items():
        monkeypatch.setenv(f"AIRFLEET_ALERT_{key}", value)
    sns.clear()  # the server is shared by the module
    return SimpleNamespace(smtp=smtp, webhook=webhook, sns=sns)


def failure_context(run_id: str) -> dict:
    ti = SimpleNamespace(dag_id="sales", task_id="load", run_id=run_id, map_index=-1, try_number=2, max_tries=1,
                         hostname="10.0.0.9", log_url=f"http://airflow:8080/dags/sales/runs/{run_id}/tasks/load")
    return {"ti": ti, "exception": ValueError("row 7: bad date")}


def test_one_failure_gives_one_alert_at_each_destination(destinations):
    FailureNotifier("task")(failure_context("manual__mail"))

    (mail,) = destinations.smtp.messages
    assert mail["Subject"] == "Airflow task failed: sales.load"
    assert mail["From"] == "airflow@airfleet.invalid"
    assert mail["X-Envelope-To"] == "oncall@airfleet.invalid, data@airfleet.invalid"
    body = "".join(part.get_payload(decode=True).decode() for part in mail.walk() if not part.is_multipart())
    for expected in ("manual__mail", "10.0.0.9", "2 of 2", "ValueError: row 7: bad date",
                     "http://airflow:8080/dags/sales/runs/manual__mail/tasks/load"):
        assert expected in body

    (hook,) = destinations.webhook.received
    assert hook["content_type"] == "application/json" and hook["path"] == "/hooks/alerts"
    assert hook["json"]["airfleet"]["run_id"] == "manual__mail" and "ValueError" in hook["json"]["text"]

    (note,) = destinations.sns.notifications()
    assert note["Subject"] == "Airflow task failed: sales.load" and "Run: manual__mail" in note["Message"]
    assert note["MessageAttributes"]["dag_id"] == {"Type": "String", "Value": "sales"}


def test_a_destination_that_is_down_does_not_stop_the_others(destinations, monkeypatch):
    monkeypatch.setenv("AIRFLEET_ALERT_WEBHOOK_URL", "http://127.0.0.1:9/nobody-listens")
    monkeypatch.setattr(senders.time, "sleep", lambda seconds: None)
    FailureNotifier("task")(failure_context("manual__down"))
    assert len(destinations.smtp.messages) == 1 and len(destinations.sns.notifications()) == 1


def test_a_webhook_5xx_is_retried_a_few_times_and_a_4xx_not(webhook, monkeypatch):
    monkeypatch.setattr(senders.time, "sleep", lambda seconds: None)
    alert = Alert.from_task_context(failure_context("manual__hook"))
    webhook.status = 503
    with pytest.raises(RuntimeError, match="webhook answered 503"):
        senders.send_webhook(alert, AlertSettings(webhook_url=webhook.url))
    assert len(webhook.received) == senders.WEBHOOK_ATTEMPTS
    webhook.status = 400
    with pytest.raises(RuntimeError, match="webhook answered 400"):
        senders.send_webhook(alert, AlertSettings(webhook_url=webhook.url))
    assert len(webhook.received) == senders.WEBHOOK_ATTEMPTS + 1
