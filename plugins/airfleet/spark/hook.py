"""Talk to a Spark standalone master's REST submission server (`spark.master.rest.enabled=true`).

spark-submit in cluster mode returns as soon as the master accepts the driver, and `--status`
prints nothing under Spark 4's default logging; the master's `/json/` page can show an app
FINISHED whose driver FAILED. The REST server's `driverState` is the one trustworthy answer.
"""

from __future__ import annotations

import asyncio
import weakref
from dataclasses import dataclass, field
from typing import Any

import httpx
from airflow.sdk.bases.hook import BaseHook

from airfleet.errors import first_line, redact

DEFAULT_REST_PORT = 6066
# The REST server requires the field to be present but does not act on its value.
CLIENT_SPARK_VERSION = "4.0.0"

# What to check when the master's REST server cannot be reached or is not what answers.
REACH_FIX = ("check that the master runs with spark.master.rest.enabled=true and that rest_url (or the connection's "
             f"host and port) names its REST server, e.g. http://master:{DEFAULT_REST_PORT}")

SUCCESS_STATES = frozenset({"FINISHED"})
FAILURE_STATES = frozenset({"FAILED", "KILLED", "ERROR"})


class SparkRestError(Exception):
    """The master answered, and the answer is a refusal (bad request, unknown driver)."""


class SparkRestUnavailable(SparkRestError):
    """The master did not answer usefully (connection refused, timeout, 5xx): worth retrying."""


@dataclass(frozen=True)
class DriverStatus:
    submission_id: str
    state: str
    worker: str | None = None
    message: str | None = None

    @property
    def finished(self) -> bool:
        return self.state in SUCCESS_STATES

    @property
    def failed(self) -> bool:
        return self.state in FAILURE_STATES

    @property
    def alive(self) -> bool:
        return not (self.finished or self.failed)


@dataclass(frozen=True)
class Submission:
    """What to run: a jar (or other JVM resource) the Spark worker can fetch, and its main class.
    Standalone cluster mode does not run Python applications."""

    app_resource: str
    main_class: str
    app_args: list[str] = field(default_factory=list)
    name: str = "airfleet"
    spark_properties: dict[str, str] = field(default_factory=dict)
    environment: dict[str, str] = field(default_factory=dict)

    def request_body(self) -> dict[str, Any]:
        # No spark.master needed: the REST server schedules the driver on its own master.
        properties = {
            "spark.app.name": self.name,
            "spark.submit.deployMode": "cluster",
            "spark.jars": self.app_resource,
            "spark.driver.supervise": "false",
            **{k: str(v) for k, v in self.spark_properties.items()},
        }
        return {
            "action": "CreateSubmissionRequest",
            "appResource": self.app_resource,
            "mainClass": self.main_class,
            "appArgs": [str(a) for a in self.app_args],
            "clientSparkVersion": CLIENT_SPARK_VERSION,
            "environmentVariables": {"SPARK_ENV_LOADED": "1", **self.environment},
            "sparkProperties": properties,
        }


class SparkRestHook(BaseHook):
    """Create, inspect and kill drivers on one standalone master.

    Give either `rest_url` (`http://master:6066`) or `conn_id`: a connection whose host is the
    master (`spark://` prefixes are fine) and whose port is the REST port (6066 when empty).
    """

    conn_name_attr = "conn_id"
    default_conn_name = "spark_rest_default"

    def __init__(self, rest_url: str | None = None, conn_id: str | None = None, timeout: float = 10.0) -> None:
        super().__init__()
        if not rest_url and not conn_id:
            raise ValueError("SparkRestHook needs rest_url (http://master:6066) or conn_id")
        self._rest_url = rest_url.rstrip("/") if rest_url else None
        self.conn_id = conn_id
        self.timeout = timeout

    @property
    def rest_url(self) -> str:
        if self._rest_url is None:
            conn = self.get_connection(self.conn_id)  # type: ignore[arg-type]
            host = (conn.host or "").split("://")[-1].rstrip("/")
            if not host:
                raise ValueError(f"connection {self.conn_id!r} has no host; set it to the Spark master's address")
            scheme = conn.schema if conn.schema in ("http", "https") else "http"
            self._rest_url = f"{scheme}://{host}:{conn.port or DEFAULT_REST_PORT}"
        return self._rest_url

    # --- synchronous, for operators ---

    def create(self, submission: Submission) -> str:
        """Submit a driver; returns its submission id (driver-...)."""
        body = submission.request_body()
        with httpx.Client(timeout=self.timeout, verify=self._tls) as client:
            url = f"{self.rest_url}/v1/submissions/create"
            answer = _answer(lambda: client.post(url, json=body), "create", url)
        if not answer.get("success") or not answer.get("submissionId"):
            raise SparkRestError(f"the master at {redact(self.rest_url)} refused the submission: "
                                 f"{first_line(answer.get('message', answer))}")
        return str(answer["submissionId"])

    def status(self, submission_id: str) -> DriverStatus:
        with httpx.Client(timeout=self.timeout, verify=self._tls) as client:
            url = self._status_url(submission_id)
            answer = _answer(lambda: client.get(url), "status", url)
        return _driver_status(submission_id, answer)

    def kill(self, submission_id: str) -> bool:
        """Ask the master to kill the driver; False when it had already ended or does not exist."""
        with httpx.Client(timeout=self.timeout, verify=self._tls) as client:
            url = self._kill_url(submission_id)
            answer = _answer(lambda: client.post(url), "kill", url)
        return bool(answer.get("success"))

    # --- asynchronous, for triggers: one pooled client per event loop, so a triggerer with many
    # waits keeps a handful of connections instead of one client (and TLS context) per poll ---

    async def astatus(self, submission_id: str) -> DriverStatus:
        client = _loop_client(self._tls)
        url = self._status_url(submission_id)
        answer = await _aanswer(lambda: client.get(url, timeout=self.timeout), "status", url)
        return _driver_status(submission_id, answer)

    async def akill(self, submission_id: str) -> bool:
        client = _loop_client(self._tls)
        url = self._kill_url(submission_id)
        answer = await _aanswer(lambda: client.post(url, timeout=self.timeout), "kill", url)
        return bool(answer.get("success"))

    @property
    def _tls(self) -> bool:
        # Only an https master needs the CA bundle loaded (memory, and time on every sync client).
        return self.rest_url.startswith("https://")

    def _status_url(self, submission_id: str) -> str:
        return f"{self.rest_url}/v1/submissions/status/{submission_id}"

    def _kill_url(self, submission_id: str) -> str:
        return f"{self.rest_url}/v1/submissions/kill/{submission_id}"


_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[bool, httpx.AsyncClient]] = (
    weakref.WeakKeyDictionary()
)


def _loop_client(tls: bool) -> httpx.AsyncClient:
    per_loop = _clients.setdefault(asyncio.get_running_loop(), {})
    if tls not in per_loop:
        per_loop[tls] = httpx.AsyncClient(limits=httpx.Limits(max_connections=20), verify=tls)
    return per_loop[tls]






def _unreachable(what: str, url: str, error: Exception) -> SparkRestUnavailable:
    return SparkRestUnavailable(f"Spark REST {what} {redact(url)}: {type(error).__name__}: "
                                f"{first_line(error) or 'no answer'}; {REACH_FIX}")


def _answer(call: Any, what: str, url: str) -> dict[str, Any]:
    try:
        response = call()
    except (httpx.HTTPError, httpx.InvalidURL) as error:
        raise _unreachable(what, url, error) from error
    return _decode(response, what, url)


async def _aanswer(call: Any, what: str, url: str) -> dict[str, Any]:
    try:
        response = await call()
    except (httpx.HTTPError, httpx.InvalidURL) as error:
        raise _unreachable(what, url, error) from error
    return _decode(response, what, url)


def _decode(response: httpx.Response, what: str, url: str) -> dict[str, Any]:
    where = f"Spark REST {what} {redact(url)}: HTTP {response.status_code}"
    try:
        answer = response.json()
    except ValueError:
        answer = None
    detail = first_line(answer.get("message", "")) if isinstance(answer, dict) else ""
    detail = f" ({detail})" if detail else ""
    if response.status_code >= 500:
        raise SparkRestUnavailable(f"{where}{detail}: the master's REST server failed; see the master's log")
    if response.status_code in (401, 403):
        raise SparkRestError(f"{where}{detail}: the REST server (or a proxy in front of it) wants credentials, "
                             "which this hook does not send; let this client in, or point rest_url at the master")
    if not isinstance(answer, dict):
        kind = "JSON of another shape" if answer is not None else (
            response.headers.get("content-type", "").split(";")[0] or "a body that is not JSON")
        raise SparkRestUnavailable(f"{where}: answered {kind}, not a Spark REST answer; {REACH_FIX}")
    if response.status_code >= 400:
        raise SparkRestError(f"{where}{detail or ' ' + first_line(answer)}: the master refused the request")
    return answer


def _driver_status(submission_id: str, answer: dict[str, Any]) -> DriverStatus:
    state = answer.get("driverState")
    if not answer.get("success") or not state:
        raise SparkRestError(
            f"the master does not know driver {submission_id} ({first_line(answer.get('message', 'no driverState'))}); "
            "it was never submitted there, or the master restarted without recovery"
        )
    return DriverStatus(submission_id, str(state), answer.get("workerHostPort"), answer.get("message"))
