"""Spark's REST status and kill endpoints on loopback, with scripted driver states and injectable
HTTP 503s: for the Spark hook's error handling and the many-waits benchmark, where a real master
would have to run hundreds of drivers."""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.support.fakes.server import FakeServer

ALIVE = ("SUBMITTED", "RUNNING", "RELAUNCHING", "UNKNOWN")
PATHS = re.compile(r"/v1/submissions/(status|kill)/([^/]+)")


class FakeSparkRest(FakeServer):
    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.states: dict[str, str] = {}
        self.missing: set[str] = set()  # drivers the master does not know
        self.default_state = "RUNNING"
        self.unavailable = 0  # answer this many next status requests with 503
        self.script: list[str] = []  # next status answers in order: "503" or a driver state
        self.requests = 0
        self.seen: set[str] = set()  # drivers asked about
        self._lock = threading.Lock()
        super().__init__(host, port, _handler(self), name="fake-spark-rest")

    def status(self, driver: str) -> tuple[int, dict[str, Any] | None]:
        with self._lock:
            self.requests += 1
            if self.script:
                step = self.script.pop(0)
                if step == "503":
                    return 503, None
                self.states[driver] = step
            elif self.unavailable > 0:
                self.unavailable -= 1
                return 503, None
            self.seen.add(driver)
            if driver in self.missing:
                return 200, {"action": "SubmissionStatusResponse", "submissionId": driver, "success": False}
            state = self.states.get(driver, self.default_state)
            return 200, {"action": "SubmissionStatusResponse", "driverState": state, "submissionId": driver,
                         "success": True}

    def kill(self, driver: str) -> tuple[int, dict[str, Any]]:
        with self._lock:
            alive = self.states.get(driver, self.default_state) in ALIVE
            if alive:
                self.states[driver] = "KILLED"
            return 200, {"action": "KillSubmissionResponse", "submissionId": driver, "success": alive}


def _handler(fake: FakeSparkRest) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
            pass

        def do_GET(self) -> None:
            self._answer("status")

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self._answer("kill")

        def _answer(self, action: str) -> None:
            match = PATHS.fullmatch(self.path)
            if match is None or match.group(1) != action:
                code, body = 404, None
            else:
                code, body = getattr(fake, action)(match.group(2))
            raw = json.dumps(body).encode() if body is not None else b"unavailable"
            self.send_response(code)
            self.send_header("Content-Type", "application/json" if body is not None else "text/plain")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

    return Handler
