"""The threaded HTTP server every fake runs on: one place for start, stop and the URL.

A fake builds its request handler class (closing over itself) and hands it here; the server answers
on daemon threads until `stop()`, so a test that forgets to stop it does not hang the session.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # Hundreds of triggers may connect at once (benchmarks.spark_waits); the default backlog is 5.
    request_queue_size = 1024


class FakeServer:
    """Serves `handler` on host:port (port 0 picks a free one) on a thread, from `start()` to `stop()`."""

    def __init__(self, host: str, port: int, handler: type[BaseHTTPRequestHandler], name: str) -> None:
        self._server = _Server((host, port), handler)
        self._name = name
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def start(self) -> Self:
        self._thread = threading.Thread(target=self._server.serve_forever, name=self._name, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
