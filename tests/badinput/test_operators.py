"""The Spark REST and dbt Cloud operators pointed at bad endpoints: what the task fails with is one
line naming the endpoint or setting and the fix; no traceback, no page or stack trace of the
server's, no token or password.

Everything answers on loopback: a closed port, tiny servers that answer HTML, a 404, a 500 whose
body is a traceback, JSON of the wrong shape, 401/403, or nothing at all; and connections (given
as AIRFLOW_CONN_<ID> in URI or JSON form) whose host is malformed or carries a password. Each case
runs the code as a task would: the operator's `execute` (submit or trigger), or its trigger rebuilt
from its kwargs and run, with the event handed to `execute_complete`.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote, urlsplit

import pendulum
import pytest
import requests
from airflow.sdk import DAG
from airflow.sdk.exceptions import AirflowException, TaskDeferred

from airfleet.dbt.hook import DbtCloudBadAnswer
from airfleet.dbt.operator import DbtCloudRunFailed, DbtCloudRunOperator, DbtCloudTriggerUnconfirmed
from airfleet.dbt.trigger import DbtCloudRunTrigger
from airfleet.spark.attach import MemoryRegistry
from airfleet.spark.hook import SparkRestError, SparkRestHook, SparkRestUnavailable, Submission
from airfleet.spark.operator import SparkRestSubmitOperator
from airfleet.spark.trigger import SparkDriverTrigger
from tests.badinput.harness import SECRET
from tests.support.fakes.dbt_cloud import FakeDbtCloud
from tests.support.fakes.server import FakeServer
from tests.support.ports import free_port
from tests.support.spark_cluster import run_trigger_here

SPARK_CONN = "spark_bad"
DBT_CONN = "dbt_bad"
# The server's page is several lines and says Traceback: none of it may reach the message.
PAGE = "<!DOCTYPE html>\n<html>\n<body>\n<h1>Spark Master at spark://master:7077</h1>\n</body>\n</html>\n"
TRACEBACK = 'Traceback (most recent call last):\n  File "/srv/app.py", line 9, in handle\nKeyError: \'db\'\n'
MAX_CHARS = 700  # one line a person reads, not a dump


def canned(code: int, body: str, content_type: str, hang: threading.Event | None) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
            pass

        def _answer(self) -> None:
            if hang is not None:
                hang.wait(25)  # never answers within any timeout the cases use
                return
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            raw = body.encode()
            self.send_response(code)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        do_GET = do_POST = _answer

    return Handler


# name: (HTTP status, body, content type); "silent" never answers.
ANSWERS = {
    "html": (200, PAGE, "text/html"),
    "404": (404, PAGE, "text/html"),
    "500": (500, TRACEBACK, "text/plain"),
    "shape": (200, '[{"driverState": "RUNNING"}]', "application/json"),
    "spark401": (401, '{"action": "ErrorResponse", "message": "authentication required"}', "application/json"),
    "403": (403, PAGE, "text/html"),
    "silent": (200, "", "text/plain"),
}


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, str]]:
    """Base URL of every canned server, a fake dbt Cloud that takes only another token, and a closed port."""
    stop = threading.Event()
    running = [FakeServer("127.0.0.1", 0, canned(*answer, stop if name == "silent" else None), f"bad-{name}").start()
               for name, answer in ANSWERS.items()]
    dbt = FakeDbtCloud(token="the-right-token").start()
    urls = {name: server.url for name, server in zip(ANSWERS, running, strict=True)}
    urls["dbt"] = dbt.url
    urls["closed"] = f"http://127.0.0.1:{free_port()}"  # bound, closed: nothing listens there
    yield urls
    stop.set()
    for server in [*running, dbt]:
        server.stop()


@dataclass(frozen=True)
class Case:
    entry: str  # spark-submit, spark-hook, spark-wait, dbt-trigger-run, dbt-wait
    server: str | None  # a key of `servers`, or None when the connection alone is the problem
    connection: str  # how the task is pointed there: see `point`
    raises: type[BaseException]
    says: tuple[str, ...]  # parts of the message; {netloc} is the server's host:port


CASES = [
    # --- Spark REST: submit (the operator's execute), status poll (the trigger), the hook's own timeout ---
    pytest.param(Case("spark-submit", "closed", "rest_url", SparkRestUnavailable,
                      ("{netloc}/v1/submissions/create", "Connection refused", "spark.master.rest.enabled=true")),
                 id="spark-closed-port"),
    pytest.param(Case("spark-submit", "closed", "uri+password", SparkRestUnavailable,
                      ("{netloc}", "Connection refused", "the connection's host and port")),
                 id="spark-closed-port-uri-connection-with-password"),
    pytest.param(Case("spark-submit", "html", "rest_url", SparkRestUnavailable,
                      ("{netloc}", "text/html, not a Spark REST answer", "names its REST server")),
                 id="spark-html-instead-of-json"),
    pytest.param(Case("spark-submit", "404", "json", SparkRestUnavailable,
                      ("{netloc}", "HTTP 404", "names its REST server, e.g. http://master:6066")),
                 id="spark-404-web-ui"),
    pytest.param(Case("spark-submit", "500", "rest_url", SparkRestUnavailable,
                      ("{netloc}", "HTTP 500", "see the master's log")),
                 id="spark-500-with-traceback-body"),
    pytest.param(Case("spark-submit", "shape", "rest_url", SparkRestUnavailable,
                      ("{netloc}", "JSON of another shape", "names its REST server")),
                 id="spark-json-of-wrong-shape"),
    pytest.param(Case("spark-hook", "silent", "rest_url", SparkRestUnavailable,
                      ("{netloc}", "ReadTimeout", "spark.master.rest.enabled=true")),
                 id="spark-never-answers"),
    pytest.param(Case("spark-submit", "spark401", "json+userinfo", SparkRestError,
                      ("{netloc}", "HTTP 401 (authentication required)", "wants credentials", "let this client in")),
                 id="spark-401-host-with-password"),
    pytest.param(Case("spark-submit", "403", "rest_url", SparkRestError,
                      ("{netloc}", "HTTP 403", "wants credentials")),
                 id="spark-403-page"),
    pytest.param(Case("spark-submit", None, "rest_url=http://[::1", SparkRestUnavailable,
                      ("http://[::1", "InvalidURL", "e.g. http://master:6066")),
                 id="spark-malformed-url"),
    pytest.param(Case("spark-submit", "closed", "rest_url-without-scheme", SparkRestUnavailable,
                      ("{netloc}", "missing an 'http://' or 'https://'", "e.g. http://master:6066")),
                 id="spark-url-without-scheme"),
    pytest.param(Case("spark-submit", None, "json-without-host", ValueError,
                      (f"connection {SPARK_CONN!r} has no host", "set it to the Spark master's address")),
                 id="spark-connection-without-host"),
    pytest.param(Case("spark-wait", "shape", "json", AirflowException,
                      ("{netloc}", "did not answer 2 polls in a row", "JSON of another shape", "re-attaches")),
                 id="spark-wait-json-of-wrong-shape"),
    pytest.param(Case("spark-wait", "500", "rest_url", AirflowException,
                      ("{netloc}", "HTTP 500", "see the master's log", "re-attaches")),
                 id="spark-wait-500-with-traceback-body"),
    pytest.param(Case("spark-wait", "closed", "uri+password", AirflowException,
                      ("{netloc}", "did not answer 2 polls", "spark.master.rest.enabled=true")),
                 id="spark-wait-closed-port"),
    # --- dbt Cloud: trigger a run (the operator's execute), wait for it (the trigger) ---
    pytest.param(Case("dbt-trigger-run", "closed", "json", DbtCloudTriggerUnconfirmed,
                      ("http://{netloc}", "Connection refused", f"host and port of connection {DBT_CONN!r}",
                       "failed the same way")),
                 id="dbt-closed-port"),
    pytest.param(Case("dbt-trigger-run", "html", "json", DbtCloudBadAnswer,
                      ("{netloc}/api/v2/accounts/7/jobs/42/run/", "text/html",
                       f"set the host of connection {DBT_CONN!r} to the dbt Cloud API base URL")),
                 id="dbt-html-instead-of-json"),
    pytest.param(Case("dbt-trigger-run", "404", "json", requests.HTTPError,
                      ("{netloc}/api/v2/accounts/7/jobs/42/run/", "404 Not Found", "its login the account id")),
                 id="dbt-404"),
    pytest.param(Case("dbt-trigger-run", "500", "json", DbtCloudTriggerUnconfirmed,
                      ("{netloc}", "500 Internal Server Error", "worth another try", "not sending it again")),
                 id="dbt-500-with-traceback-body"),
    pytest.param(Case("dbt-trigger-run", "shape", "json", DbtCloudBadAnswer,
                      ("{netloc}", "JSON of another shape", f"set the host of connection {DBT_CONN!r}")),
                 id="dbt-json-of-wrong-shape"),
    pytest.param(Case("dbt-trigger-run", "silent", "json", DbtCloudTriggerUnconfirmed,
                      ("http://{netloc}", "timed out after 1 s", f"host and port of connection {DBT_CONN!r}")),
                 id="dbt-never-answers"),
    pytest.param(Case("dbt-trigger-run", "dbt", "json", requests.HTTPError,
                      ("{netloc}", "401 Unauthorized (Invalid token.)", f"the password of connection {DBT_CONN!r}")),
                 id="dbt-wrong-token"),
    pytest.param(Case("dbt-trigger-run", "dbt", "uri", requests.HTTPError,
                      ("{netloc}", "401 Unauthorized", f"the password of connection {DBT_CONN!r}")),
                 id="dbt-wrong-token-uri-connection"),
    pytest.param(Case("dbt-trigger-run", "403", "json", requests.HTTPError,
                      ("{netloc}", "403 Forbidden", "check the API token")),
                 id="dbt-403-page"),
    pytest.param(Case("dbt-trigger-run", "closed", "json+userinfo", ValueError,
                      ("{netloc}", "carries a user:password@", "the API token belongs in the connection's password")),
                 id="dbt-host-with-password"),
    pytest.param(Case("dbt-trigger-run", None, f"host=ftp://admin:{SECRET}@dbt.example", ValueError,
                      ("ftp://admin:***@dbt.example", "fix the connection's host")),
                 id="dbt-host-not-http-with-password"),
    pytest.param(Case("dbt-trigger-run", None, "host=http://[::1", ValueError,
                      ("http://[::1", "does not parse", "fix the connection's host")),
                 id="dbt-malformed-host"),
    pytest.param(Case("dbt-wait", "dbt", "json", DbtCloudRunFailed,
                      ("{netloc}/api/v2/accounts/7/runs/1/", "401", f"the password of connection {DBT_CONN!r}")),
                 id="dbt-wait-wrong-token"),
    pytest.param(Case("dbt-wait", "html", "json", DbtCloudRunFailed,
                      ("{netloc}", "text/html", f"set the host of connection {DBT_CONN!r}")),
                 id="dbt-wait-html-instead-of-json"),
    pytest.param(Case("dbt-wait", "shape", "json", DbtCloudRunFailed,
                      ("JSON of another shape", f"set the host of connection {DBT_CONN!r}")),
                 id="dbt-wait-json-of-wrong-shape"),
    pytest.param(Case("dbt-wait", "500", "json", DbtCloudRunFailed,
                      ("{netloc}", "did not answer 2 status polls", "500 Internal Server Error", "re-attaches")),
                 id="dbt-wait-500-with-traceback-body"),
    pytest.param(Case("dbt-wait", "silent", "json", DbtCloudRunFailed,
                      ("did not answer within 1 s", f"host and port of connection {DBT_CONN!r}")),
                 id="dbt-wait-never-answers"),
    pytest.param(Case("dbt-wait", "closed", "json", DbtCloudRunFailed,
                      ("{netloc}", "did not answer 2 status polls", f"host and port of connection {DBT_CONN!r}")),
                 id="dbt-wait-closed-port"),
]


def point(case: Case, url: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Point the task at `url` as `case.connection` says; returns the operator's own arguments."""
    how = case.connection
    parts = urlsplit(url) if url else None
    if how.startswith("rest_url"):
        given = how.partition("=")[2] or (url.removeprefix("http://") if how.endswith("without-scheme") else url)
        return {"rest_url": given}
    host, port = (parts.hostname, parts.port) if parts else ("", None)
    if case.entry.startswith("spark"):
        conn_id = SPARK_CONN
        if how == "json":
            connection: dict[str, Any] | str = {"conn_type": "spark", "host": f"http://{host}", "port": port}
        elif how == "json+userinfo":
            connection = {"conn_type": "spark", "host": f"http://admin:{SECRET}@{host}", "port": port}
        elif how == "uri+password":
            connection = f"spark://admin:{SECRET}@{host}:{port}"
        else:  # json-without-host
            connection = {"conn_type": "spark", "login": "admin", "password": SECRET, "port": 6066}
    else:
        conn_id = DBT_CONN
        connection = {"conn_type": "dbt_cloud", "login": "7", "password": SECRET, "host": url}
        if how == "json+userinfo":
            connection["host"] = url.replace("http://", f"http://admin:{SECRET}@")
        elif how == "uri":
            connection = f"dbt-cloud://7:{SECRET}@{quote(url, safe='')}"
        elif how.startswith("host="):
            connection["host"] = how.partition("=")[2]
    text = connection if isinstance(connection, str) else json.dumps(connection)
    monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", text)
    return {"conn_id": conn_id}


class TaskInstance(SimpleNamespace):
    def xcom_push(self, key: str, value: Any) -> None:
        self.xcoms[key] = value


def context() -> dict[str, Any]:
    return {"ti": TaskInstance(dag_id="airfleet_badinput", task_id="t", run_id="manual__1", map_index=-1,
                               try_number=1, xcoms={})}


def spark_operator(target: dict[str, Any]) -> SparkRestSubmitOperator:
    given = {"rest_url": target["rest_url"]} if "rest_url" in target else {"conn_id": target["conn_id"]}
    return SparkRestSubmitOperator(task_id="t", app_resource="file:/opt/job.jar", main_class="Job",
                                   registry=MemoryRegistry(), poll_interval=0.05, max_status_errors=1, **given)


def dbt_operator(target: dict[str, Any]) -> DbtCloudRunOperator:
    with DAG("airfleet_badinput", schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC")):
        return DbtCloudRunOperator(task_id="t", dbt_cloud_conn_id=target["conn_id"], job_id=42, check_interval=0.05,
                                   max_status_errors=1, request_timeout=1)


def run_task(case: Case, target: dict[str, Any]) -> None:
    """What a task does with this entry point; it must raise."""
    ctx = context()
    if case.entry == "spark-submit":
        spark_operator(target).execute(ctx)
    elif case.entry == "spark-hook":
        SparkRestHook(rest_url=target["rest_url"], timeout=1).create(Submission("file:/opt/job.jar", "Job"))
    elif case.entry == "spark-wait":
        op = spark_operator(target)
        trigger = SparkDriverTrigger(rest_url=op.hook.rest_url, submission_id="driver-1", poll_interval=0.05,
                                     max_status_errors=1)
        op.execute_complete(ctx, run_trigger_here(trigger, timeout=20))
    elif case.entry == "dbt-trigger-run":
        dbt_operator(target).execute(ctx)
    elif case.entry == "dbt-wait":
        op = dbt_operator(target)
        trigger = DbtCloudRunTrigger(conn_id=op.dbt_cloud_conn_id, run_id=1, poll_interval=0.05,
                                     max_status_errors=1, request_timeout=1)
        op.execute_complete(ctx, run_trigger_here(trigger, timeout=20))
    else:
        raise AssertionError(f"unknown entry {case.entry}")


def assert_one_clear_line(message: str, says: list[str]) -> None:
    assert message.strip(), "an empty message"
    assert "\n" not in message and "\r" not in message, f"more than one line:\n{message}"
    assert "Traceback" not in message and 'File "' not in message, f"traceback text: {message}"
    assert "<html" not in message.lower() and "<h1>" not in message, f"the server's page: {message}"
    assert SECRET not in message and quote(SECRET) not in message, f"a secret is echoed: {message}"
    assert len(message) <= MAX_CHARS, f"{len(message)} characters: {message}"
    for part in says:
        assert part in message, f"{part!r} not in: {message}"


@pytest.mark.timeout(30)
@pytest.mark.parametrize("case", CASES)
def test_a_bad_endpoint_fails_the_task_with_one_clear_line(case: Case, servers, monkeypatch):
    url = servers[case.server] if case.server else ""
    target = point(case, url, monkeypatch)
    with pytest.raises(Exception) as raised:  # noqa: PT011 - the type is checked below, with the message shown
        run_task(case, target)
    error = raised.value
    message = str(error)
    assert not isinstance(error, TaskDeferred), "the task deferred: nothing refused it"
    assert isinstance(error, case.raises), f"{type(error).__name__}, wanted {case.raises.__name__}: {message}"
    netloc = urlsplit(url).netloc if url else ""
    assert_one_clear_line(message, [part.format(netloc=netloc) for part in case.says])
