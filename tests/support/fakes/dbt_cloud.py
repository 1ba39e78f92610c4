"""A fake dbt Cloud (Administrative API v2) on a real HTTP port, with scripted runs.

    python -m tests.support.fakes.dbt_cloud --port 8765 --script 42=1,3,10 --script 43=1,3,20

Endpoints, under `/api/v2/accounts/{account_id}/`, answered as dbt Cloud answers them
(`{"status": {...}, "data": ...}`):

    POST jobs/{job_id}/run/        start a run of the job (status 1, queued); body: cause, ...
    GET  runs/{run_id}/            the run; every call moves it one step along its script
    POST runs/{run_id}/cancel/     cancel it (status 30) unless it has already ended
    GET  runs/                     runs, newest first with order_by=-id; job_definition_id,
                                   status, limit and offset filter them (status does not move)
    GET  /api/v2/accounts/         the account (what the provider's connection test asks)

A script is a comma-separated list of the steps a run of that job goes through, one per status
poll: dbt statuses (1 queued, 2 starting, 3 running, 10 success, 20 error, 30 cancelled) or
`httpNNN`, which answers that poll with HTTP NNN (a transient outage; the run does not move).
The last status then holds, so `1,3` runs until cancelled. A leading `trigger:httpNNN` makes the
trigger request answer NNN *after* starting the run, as when a response is lost. Jobs without a
script use the default (`1,3,10`).

Not dbt Cloud, for tests: `GET /_fake/runs` lists every run with its poll and cancel counts, and
`PUT /_fake/jobs/{job_id}` with `{"script": "1,3,20"}` scripts a job at run time.
"""

from __future__ import annotations

import argparse
import json
import re
import signal
import sys
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.support.fakes.server import FakeServer

STATUS_NAMES = {1: "Queued", 2: "Starting", 3: "Running", 10: "Success", 20: "Error", 30: "Cancelled"}
TERMINAL = frozenset({10, 20, 30})
DEFAULT_SCRIPT = "1,3,10"
# Set by --verbose: log every request (tests keep the server quiet).
fake_verbose = threading.Event()


class ScriptError(ValueError):
    """A run script that cannot be followed; the message says what is expected."""


@dataclass(frozen=True)
class Step:
    status: int | None = None  # a dbt status the run moves to
    http: int | None = None  # or an HTTP error this poll answers with


@dataclass(frozen=True)
class Script:
    steps: tuple[Step, ...]
    trigger_http: int | None = None

    @classmethod
    def parse(cls, text: str) -> Script:
        steps: list[Step] = []
        trigger_http: int | None = None
        for token in (part.strip() for part in text.split(",")):
            if token.startswith("trigger:"):
                if steps or trigger_http is not None:
                    raise ScriptError(f"{text!r}: trigger:httpNNN may appear once, first")
                trigger_http = _http_code(token.removeprefix("trigger:"), text)
            elif token.startswith("http"):
                steps.append(Step(http=_http_code(token, text)))
            elif token.isdigit() and int(token) in STATUS_NAMES:
                steps.append(Step(status=int(token)))
            else:
                raise ScriptError(f"{text!r}: {token!r} is neither a dbt status "
                                  f"({', '.join(map(str, STATUS_NAMES))}) nor httpNNN")
        if not any(step.status is not None for step in steps):
            raise ScriptError(f"{text!r}: a script needs at least one dbt status, e.g. 1,3,10")
        return cls(tuple(steps), trigger_http)


def _http_code(token: str, text: str) -> int:
    match = re.fullmatch(r"http([45]\d\d)", token)
    if not match:
        raise ScriptError(f"{text!r}: {token!r} should be http followed by a 4xx or 5xx code, e.g. http503")
    return int(match.group(1))


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f+00:00")


@dataclass
class FakeRun:
    id: int
    account_id: int
    job_id: int
    cause: str
    script: Script
    href: str
    status: int = 1
    position: int = 0
    polls: int = 0
    cancel_requests: int = 0
    created_at: str = field(default_factory=_now)
    finished_at: str | None = None

    def poll(self) -> int | None:
        """Take the next step; the HTTP error to answer with, if the step is one."""
        self.polls += 1
        if self.status in TERMINAL or self.position >= len(self.script.steps):
            return None
        step = self.script.steps[self.position]
        self.position += 1
        if step.http is not None:
            return step.http
        self._move(step.status)  # type: ignore[arg-type]
        return None

    def cancel(self) -> None:
        self.cancel_requests += 1
        if self.status not in TERMINAL:
            self._move(30)

    def _move(self, status: int) -> None:
        self.status = status
        if status in TERMINAL:
            self.finished_at = _now()

    def as_api(self) -> dict[str, Any]:
        return {
            "id": self.id, "account_id": self.account_id, "job_definition_id": self.job_id, "job_id": self.job_id,
            "project_id": 1, "environment_id": 1, "trigger_id": self.id,
            "status": self.status, "status_humanized": STATUS_NAMES[self.status],
            "status_message": "Database Error in model orders (fake)" if self.status == 20 else None,
            "in_progress": self.status not in TERMINAL, "is_complete": self.status in TERMINAL,
            "is_success": self.status == 10, "is_error": self.status == 20, "is_cancelled": self.status == 30,
            "created_at": self.created_at, "updated_at": _now(), "finished_at": self.finished_at,
            "href": self.href, "trigger": {"id": self.id, "cause": self.cause}, "run_steps": [],
        }

    def as_record(self) -> dict[str, Any]:
        return {"id": self.id, "job_id": self.job_id, "account_id": self.account_id, "cause": self.cause,
                "status": self.status, "polls": self.polls, "cancel_requests": self.cancel_requests}


class FakeDbtCloud(FakeServer):
    """The server: `start()` serves on a thread until `stop()` (or use it as a context manager)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, token: str | None = None,
                 scripts: dict[int, str] | None = None, default_script: str = DEFAULT_SCRIPT) -> None:
        self.token = token
        self.default_script = Script.parse(default_script)
        self._scripts = {job: Script.parse(text) for job, text in (scripts or {}).items()}
        self._runs: dict[int, FakeRun] = {}
        self.trigger_requests = 0
        self._lock = threading.Lock()
        super().__init__(host, port, _handler(self), name="fake-dbt-cloud")

    def script(self, job_id: int, text: str) -> None:
        parsed = Script.parse(text)
        with self._lock:
            self._scripts[job_id] = parsed

    def runs(self, job_id: int | None = None) -> list[dict[str, Any]]:
        """Every run (of `job_id`), oldest first, with its poll and cancel counts."""
        with self._lock:
            return [run.as_record() for run in self._runs.values() if job_id in (None, run.job_id)]

    # -- request handling, called from the handler threads --

    def _trigger(self, account_id: int, job_id: int, body: dict[str, Any], base: str) -> tuple[int, Any]:
        with self._lock:
            self.trigger_requests += 1
            run_id = len(self._runs) + 1
            script = self._scripts.get(job_id, self.default_script)
            run = FakeRun(id=run_id, account_id=account_id, job_id=job_id, cause=str(body.get("cause") or ""),
                          script=script, href=f"{base}/deploy/{account_id}/projects/1/runs/{run_id}/")
            self._runs[run_id] = run
            if script.trigger_http is not None:
                return script.trigger_http, None
            return 200, run.as_api()

    def _get(self, account_id: int, run_id: int) -> tuple[int, Any]:
        with self._lock:
            run = self._runs.get(run_id)
            if run is None or run.account_id != account_id:
                return 404, None
            error = run.poll()
            return (error, None) if error else (200, run.as_api())

    def _cancel(self, account_id: int, run_id: int) -> tuple[int, Any]:
        with self._lock:
            run = self._runs.get(run_id)
            if run is None or run.account_id != account_id:
                return 404, None
            run.cancel()
            return 200, run.as_api()

    def _list(self, account_id: int, query: dict[str, list[str]]) -> tuple[int, Any, dict[str, Any]]:
        def first(name: str) -> str | None:
            return query[name][0] if query.get(name) else None

        with self._lock:
            runs = [run for run in self._runs.values() if run.account_id == account_id]
        if first("job_definition_id"):
            runs = [run for run in runs if run.job_id == int(first("job_definition_id"))]  # type: ignore[arg-type]
        if first("status"):
            runs = [run for run in runs if run.status == int(first("status"))]  # type: ignore[arg-type]
        if first("order_by") in ("-id", "-created_at"):
            runs.reverse()
        limit, offset = int(first("limit") or 100), int(first("offset") or 0)
        page = runs[offset:offset + limit]
        extra = {"filters": {"limit": limit, "offset": offset},
                 "pagination": {"count": len(page), "total_count": len(runs)}}
        return 200, [run.as_api() for run in page], extra


RUN_PATHS = (
    ("POST", re.compile(r"/api/v2/accounts/(\d+)/jobs/(\d+)/run/?"), "trigger"),
    ("GET", re.compile(r"/api/v2/accounts/(\d+)/runs/(\d+)/?"), "get"),
    ("POST", re.compile(r"/api/v2/accounts/(\d+)/runs/(\d+)/cancel/?"), "cancel"),
    ("GET", re.compile(r"/api/v2/accounts/(\d+)/runs/?"), "list"),
)


def _handler(fake: FakeDbtCloud) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet by default
            if fake_verbose.is_set():
                super().log_message(format, *args)

        def do_GET(self) -> None:
            self._dispatch("GET")

        def do_POST(self) -> None:
            self._dispatch("POST")

        def do_PUT(self) -> None:
            self._dispatch("PUT")

        def _body(self) -> dict[str, Any]:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                return {}
            return body if isinstance(body, dict) else {}

        def _send(self, code: int, data: Any, extra: dict[str, Any] | None = None, message: str = "") -> None:
            ok = code < 400
            payload = {"status": {"code": code, "is_success": ok, "user_message": message or ("Success!" if ok else
                                  "Something went wrong (fake dbt Cloud)"), "developer_message": ""}, "data": data}
            if extra:
                payload["extra"] = extra
            raw = json.dumps(payload).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def _authorized(self) -> bool:
            if not fake.token:
                return bool(self.headers.get("Authorization"))
            scheme, _, token = (self.headers.get("Authorization") or "").partition(" ")
            return scheme in ("Token", "Bearer") and token == fake.token

        def _dispatch(self, method: str) -> None:
            url = urlsplit(self.path)
            body = self._body()
            if url.path.startswith("/_fake/"):
                self._control(method, url.path, body)
                return
            if not self._authorized():
                self._send(401, None, message="Invalid token.")
                return
            host, port = self.server.server_address[:2]
            base = f"http://{self.headers.get('Host') or f'{host}:{port}'}"
            if method == "GET" and url.path.rstrip("/") == "/api/v2/accounts":
                self._send(200, [{"id": 1, "name": "fake account"}])
                return
            for verb, pattern, action in RUN_PATHS:
                match = pattern.fullmatch(url.path)
                if verb != method or not match:
                    continue
                account_id, *rest = (int(group) for group in match.groups())
                if action == "trigger":
                    code, data = fake._trigger(account_id, rest[0], body, base)
                elif action == "get":
                    code, data = fake._get(account_id, rest[0])
                elif action == "cancel":
                    code, data = fake._cancel(account_id, rest[0])
                else:
                    code, data, extra = fake._list(account_id, parse_qs(url.query))
                    self._send(code, data, extra)
                    return
                self._send(code, data)
                return
            self._send(404, None, message=f"no such endpoint: {method} {url.path}")

        def _control(self, method: str, path: str, body: dict[str, Any]) -> None:
            match = re.fullmatch(r"/_fake/jobs/(\d+)", path)
            if method == "GET" and path == "/_fake/runs":
                self._send(200, fake.runs())
            elif method == "PUT" and match:
                try:
                    fake.script(int(match.group(1)), str(body.get("script", "")))
                except ScriptError as error:
                    self._send(400, None, message=str(error))
                    return
                self._send(200, {"job_id": int(match.group(1)), "script": body["script"]})
            else:
                self._send(404, None, message=f"no such control endpoint: {method} {path}")

    return Handler


def _job_script(text: str) -> tuple[int, str]:
    job, sep, script = text.partition("=")
    if not sep or not job.strip().isdigit():
        raise argparse.ArgumentTypeError(f"{text!r}: expected JOB_ID=STEPS, e.g. 42=1,3,10")
    try:
        Script.parse(script)
    except ScriptError as error:
        raise argparse.ArgumentTypeError(str(error)) from error
    return int(job), script


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.support.fakes.dbt_cloud",
                                     description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="port (default 8765; 0 picks a free one)")
    parser.add_argument("--token", help="the only API token accepted (default: any)")
    parser.add_argument("--script", action="append", type=_job_script, default=[], metavar="JOB_ID=STEPS",
                        help="steps for runs of a job, e.g. 42=1,3,10 or 43=1,http503,3,20 (repeatable)")
    parser.add_argument("--default-script", default=DEFAULT_SCRIPT, help=f"steps for other jobs ({DEFAULT_SCRIPT})")
    parser.add_argument("--verbose", action="store_true", help="log every request")
    args = parser.parse_args(argv)
    try:
        fake = FakeDbtCloud(args.host, args.port, args.token, dict(args.script), args.default_script)
    except ScriptError as error:
        parser.error(str(error))
    except OSError as error:
        print(f"cannot listen on {args.host}:{args.port}: {error}; pick another --port", file=sys.stderr)
        return 1
    if args.verbose:
        fake_verbose.set()
    connection = {"conn_type": "dbt_cloud", "login": "1", "password": args.token or "fake-token", "host": fake.url}
    print(f"fake dbt Cloud on {fake.url}; point a connection at it, e.g.\n"
          f"  AIRFLOW_CONN_DBT_CLOUD_DEFAULT='{json.dumps(connection)}'", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    fake.start()
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    fake.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
