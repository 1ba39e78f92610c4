"""Deliver an alert: by SMTP (the smtp provider's hook), to a webhook, or to AWS SNS (the amazon
provider's notifier). Each raises on failure; the notifier reports it and goes on."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

from airfleet.alerts.message import Alert
from airfleet.alerts.settings import AlertSettings

WEBHOOK_TIMEOUT = 15
WEBHOOK_ATTEMPTS = 3


def send_email(alert: Alert, settings: AlertSettings) -> None:
    from airflow.providers.smtp.hooks.smtp import SmtpHook

    with SmtpHook(smtp_conn_id=settings.smtp_conn_id) as hook:
        hook.send_email_smtp(to=settings.recipients, subject=alert.subject, html_content=alert.html(),
                             from_email=settings.email_from or None)


def send_webhook(alert: Alert, settings: AlertSettings) -> None:
    body = json.dumps(alert.webhook_payload()).encode()
    request = urllib.request.Request(settings.webhook_url, data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    for attempt in range(1, WEBHOOK_ATTEMPTS + 1):
        try:
            with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT) as response:
                response.read()
            return
        except urllib.error.HTTPError as error:
            # A 4xx is the receiver refusing this message: sending it again will not help.
            if error.code < 500 or attempt == WEBHOOK_ATTEMPTS:
                raise RuntimeError(f"webhook answered {error.code} {error.reason}: {error.read()[:300]!r}") from error
        except urllib.error.URLError as error:
            # Not connected at all: nothing was delivered, so trying again cannot duplicate it.
            if attempt == WEBHOOK_ATTEMPTS:
                raise RuntimeError(f"webhook unreachable: {error.reason}") from error
        time.sleep(attempt)


def send_sns(alert: Alert, settings: AlertSettings) -> None:
    from airflow.providers.amazon.aws.notifications.sns import SnsNotifier

    notifier = SnsNotifier(aws_conn_id=settings.aws_conn_id, target_arn=settings.sns_topic_arn,
                           message=alert.text(), subject=alert.sns_subject(),
                           message_attributes=alert.sns_attributes(), region_name=settings.sns_region or None)
    # notify(), not __call__(): the latter renders the message as a Jinja template, and exception
    # text is not one.
    notifier.notify({})


SENDERS = {"email": send_email, "webhook": send_webhook, "sns": send_sns}
