"""Where alerts go: environment variables, overridden at run time by an Airflow Variable.

Environment (set in .env; compose passes them to every role):

    AIRFLEET_ALERT_EMAIL_TO        comma-separated recipients; sent through an SMTP connection
    AIRFLEET_ALERT_EMAIL_FROM      sender (default: the connection's from_email extra)
    AIRFLEET_ALERT_SMTP_CONN_ID    the SMTP connection (default smtp_default)
    AIRFLEET_ALERT_WEBHOOK_URL     a Slack- or Teams-style incoming webhook
    AIRFLEET_ALERT_SNS_TOPIC_ARN   an SNS topic, published to with the amazon provider's notifier
    AIRFLEET_ALERT_AWS_CONN_ID     the AWS connection (default aws_default)
    AIRFLEET_ALERT_SNS_REGION      the topic's region (default: the connection's)

The Variable `airfleet_alerts` (JSON, keys as above without the prefix, in lower case, e.g.
`{"webhook_url": "https://...", "email_to": "oncall@example.com"}`) is read when an alert is sent,
so destinations change without restarting anything; its keys win over the environment, and an
empty string switches a destination off.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any

VARIABLE = "airfleet_alerts"
ENV_PREFIX = "AIRFLEET_ALERT_"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AlertSettings:
    email_to: str = ""
    email_from: str = ""
    smtp_conn_id: str = "smtp_default"
    webhook_url: str = ""
    sns_topic_arn: str = ""
    aws_conn_id: str = "aws_default"
    sns_region: str = ""

    @property
    def recipients(self) -> list[str]:
        return [address.strip() for address in self.email_to.split(",") if address.strip()]

    @property
    def destinations(self) -> list[str]:
        found = [("email", bool(self.recipients)), ("webhook", bool(self.webhook_url)),
                 ("sns", bool(self.sns_topic_arn))]
        return [name for name, on in found if on]

    @classmethod
    def keys(cls) -> list[str]:
        return [field.name for field in fields(cls)]

    @classmethod
    def resolve(cls, environ: Mapping[str, str], override: Mapping[str, Any] | None = None) -> AlertSettings:
        values: dict[str, str] = {}
        for key in cls.keys():
            value = environ.get(ENV_PREFIX + key.upper(), "").strip()
            if value:
                values[key] = value
        for key, value in (override or {}).items():
            if key not in cls.keys():
                log.warning("Variable %s: unknown key %r ignored (known: %s)", VARIABLE, key, ", ".join(cls.keys()))
                continue
            values[key] = "" if value is None else str(value).strip()
        defaults = cls()
        # An emptied connection id falls back to its default rather than to no connection.
        for key in ("smtp_conn_id", "aws_conn_id"):
            values[key] = values.get(key) or getattr(defaults, key)
        return cls(**values)


def read_variable() -> dict[str, Any] | None:
    """The `airfleet_alerts` Variable as a dict; None when it is not set or cannot be read."""
    try:
        from airflow.sdk import Variable

        raw = Variable.get(VARIABLE, default=None)
    except Exception as error:  # noqa: BLE001 - no API to ask (a unit test, a CLI): env only
        log.debug("could not read Variable %s: %s", VARIABLE, error)
        return None
    if raw is None:
        return None
    try:
        value = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError as error:
        log.error("Variable %s is not JSON (%s): using the environment only; fix it to an object such as "
                  '{"webhook_url": "https://..."}', VARIABLE, error)
        return None
    if not isinstance(value, dict):
        log.error("Variable %s must be a JSON object of %s: using the environment only", VARIABLE,
                  ", ".join(AlertSettings.keys()))
        return None
    return value


def load(read: Callable[[], dict[str, Any] | None] = read_variable) -> AlertSettings:
    return AlertSettings.resolve(os.environ, read())
