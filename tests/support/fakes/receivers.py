"""Local stand-ins for the alert destinations, each collecting what it receives.

- `WebhookInbox`: an HTTP server that accepts JSON POSTs, as a Slack or Teams incoming webhook.
- `SmtpInbox`: a real SMTP server (aiosmtpd).
- `SnsInbox`: a local SNS-compatible server (moto in server mode), with one topic subscribed by
  an SQS queue, so published messages can be read back through the AWS API.

aiosmtpd and moto are test tools (requirements/dev.in), imported only when their inbox starts.
Each listens on `host` (loopback by default; a Docker network's gateway address to be reached
from the cluster's containers) and serves on a thread until `stop()`.
"""

from __future__ import annotations

import json
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.support.fakes.server import FakeServer
from tests.support.ports import free_port


class WebhookInbox(FakeServer):
    def __init__(self, host: str = "127.0.0.1", port: int = 0, status: int = 200) -> None:
        self.received: list[dict[str, Any]] = []
        self.status = status  # what to answer; set a 5xx to play an unhealthy receiver
        inbox = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    payload = json.loads(body)
                except ValueError:
                    payload = {"unparsed": body.decode(errors="replace")}
                inbox.received.append({"path": self.path, "content_type": self.headers.get("Content-Type"),
                                       "json": payload, "status": inbox.status})
                self.send_response(inbox.status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

        super().__init__(host, port, Handler, name="webhook-inbox")

    @property
    def url(self) -> str:
        return f"{super().url}/hooks/alerts"

    def payloads(self) -> list[dict[str, Any]]:
        return [entry["json"] for entry in self.received]


class SmtpInbox:
    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        from aiosmtpd.controller import Controller

        self.messages: list[Message] = []
        inbox = self

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
                message = message_from_bytes(envelope.original_content)
                message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
                inbox.messages.append(message)
                return "250 Message accepted for delivery"

        self.host, self.port = host, port or free_port(host)
        self._controller = Controller(Handler(), hostname=host, port=self.port)

    def start(self) -> SmtpInbox:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()


class SnsInbox:
    """moto's server with topic `airfleet-alerts`, delivering into SQS queue `airfleet-alerts`."""

    REGION = "us-east-1"
    CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        from moto.server import ThreadedMotoServer

        self.host, self.port = host, port or free_port(host)
        self._server = ThreadedMotoServer(ip_address=host, port=self.port, verbose=False)
        self.topic_arn = ""
        self._queue_url = ""
        self._seen: list[dict[str, Any]] = []

    @property
    def endpoint_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def client(self, service: str) -> Any:
        import boto3

        return boto3.client(service, endpoint_url=self.endpoint_url, region_name=self.REGION, **self.CREDENTIALS)

    def start(self) -> SnsInbox:
        self._server.start()
        sns, sqs = self.client("sns"), self.client("sqs")
        self.topic_arn = sns.create_topic(Name="airfleet-alerts")["TopicArn"]
        self._queue_url = sqs.create_queue(QueueName="airfleet-alerts")["QueueUrl"]
        attributes = sqs.get_queue_attributes(QueueUrl=self._queue_url, AttributeNames=["QueueArn"])["Attributes"]
        queue_arn = attributes["QueueArn"]
        sns.subscribe(TopicArn=self.topic_arn, Protocol="sqs", Endpoint=queue_arn)
        return self

    def stop(self) -> None:
        self._server.stop()

    def clear(self) -> None:
        """Forget what was published so far."""
        self.notifications()
        self._seen.clear()

    def notifications(self) -> list[dict[str, Any]]:
        """Every SNS notification published since the start or `clear()` (Subject, Message, ...)."""
        sqs = self.client("sqs")
        while True:
            batch = sqs.receive_message(QueueUrl=self._queue_url, MaxNumberOfMessages=10).get("Messages", [])
            if not batch:
                return list(self._seen)
            for message in batch:
                self._seen.append(json.loads(message["Body"]))
                sqs.delete_message(QueueUrl=self._queue_url, ReceiptHandle=message["ReceiptHandle"])
