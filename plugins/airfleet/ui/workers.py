"""What the Celery workers say about themselves, from the api-server.

`inspect` asks every worker over the broker (ping, then queues, running tasks and pool size from
the ones that answered); `HeartbeatMonitor` listens to the heartbeats workers send every few
seconds, so a worker that stopped answering still shows, with the age of its last heartbeat.
`WorkerSource` puts both together and caches the inspection for a few seconds, so a page refresh
(or many browsers) does not broadcast to the broker each time.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

INSPECT_TIMEOUT = 1.0  # seconds to wait for workers' replies; a live worker answers in milliseconds
CACHE_SECONDS = 5.0
FORGET_AFTER = 600.0  # a worker silent this long (and not answering) is gone, not just late


@dataclass(frozen=True)
class WorkerReply:
    queues: tuple[str, ...] = ()
    active: tuple[str, ...] = ()  # Celery task ids: each task instance's external_executor_id
    concurrency: int | None = None


@dataclass(frozen=True)
class Inspection:
    """One round of replies; `workers` maps node name to its reply."""

    workers: Mapping[str, WorkerReply]
    taken_at: float  # time.time()
    error: str | None = None


@dataclass(frozen=True)
class Heartbeat:
    received: float  # time.time() here when it arrived: ages do not depend on the worker's clock
    offline: bool = False  # the worker said goodbye (warm shutdown finished)


def parse_replies(pinged: Mapping[str, Any], queues: Mapping[str, Any] | None, active: Mapping[str, Any] | None,
                  stats: Mapping[str, Any] | None) -> dict[str, WorkerReply]:
    """Celery's inspect replies (node name -> reply) as one WorkerReply per worker that answered
    the ping; a later reply that is missing leaves that part empty."""
    workers = {}
    for node in pinged:
        pool = ((stats or {}).get(node) or {}).get("pool") or {}
        concurrency = pool.get("max-concurrency")
        workers[node] = WorkerReply(
            queues=tuple(sorted(q["name"] for q in (queues or {}).get(node) or [])),
            active=tuple(t["id"] for t in (active or {}).get(node) or []),
            concurrency=concurrency if isinstance(concurrency, int) else None,
        )
    return workers


def inspect(app: Any, timeout: float = INSPECT_TIMEOUT) -> dict[str, WorkerReply]:
    """Ask every worker. The ping waits the whole timeout (nobody knows how many workers there
    are); the other questions go to the workers that answered and return once all of them did."""
    pinged = app.control.inspect(timeout=timeout).ping() or {}
    if not pinged:
        return {}
    asked = app.control.inspect(destination=list(pinged), limit=len(pinged), timeout=timeout)
    return parse_replies(pinged, asked.active_queues(), asked.active(), asked.stats())


class HeartbeatMonitor:
    """A daemon thread that records every worker heartbeat, online and offline event."""

    def __init__(self, app: Any, clock: Callable[[], float] = time.time) -> None:
        self._app, self._clock = app, clock
        self._seen: dict[str, Heartbeat] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._receiver: Any = None
        self._stopping = threading.Event()

    def record(self, event: Mapping[str, Any]) -> None:
        node = event.get("hostname")
        if not node:
            return
        beat = Heartbeat(received=self._clock(), offline=event.get("type") == "worker-offline")
        with self._lock:
            self._seen[node] = beat

    def seen(self) -> dict[str, Heartbeat]:
        with self._lock:
            return dict(self._seen)

    def start(self) -> None:
        """Start listening, once; later calls do nothing."""
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._listen, name="airfleet-heartbeats", daemon=True)
                self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._receiver is not None:
            self._receiver.should_stop = True
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _listen(self) -> None:
        handlers = dict.fromkeys(("worker-heartbeat", "worker-online", "worker-offline"), self.record)
        delay = 1.0
        while not self._stopping.is_set():
            try:
                with self._app.connection_for_read() as connection:
                    self._receiver = self._app.events.Receiver(connection, handlers=handlers)
                    # wakeup: ask every worker for a heartbeat now instead of in a few seconds
                    self._receiver.capture(limit=None, timeout=None, wakeup=True)
                    delay = 1.0
            except Exception as error:  # the broker restarts or is unreachable: keep trying
                log.warning("airfleet: worker heartbeats: %s; reconnecting in %.0f s", error, delay)
                self._stopping.wait(delay)
                delay = min(delay * 2, 60.0)


@dataclass(frozen=True)
class Worker:
    node: str
    answering: bool
    reply: WorkerReply
    heartbeat_age: float | None  # seconds; None until a heartbeat arrives


@dataclass
class WorkerSource:
    """Cached inspection plus heartbeats. `app` is the Celery app (Airflow's, in the api-server)."""

    app: Any
    inspector: Callable[[Any], dict[str, WorkerReply]] = inspect
    clock: Callable[[], float] = time.time
    ttl: float = CACHE_SECONDS
    monitor: HeartbeatMonitor | None = None
    _cached: Inspection | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        if self.monitor is None:
            self.monitor = HeartbeatMonitor(self.app, clock=self.clock)

    def inspection(self) -> Inspection:
        # One inspection at a time: concurrent page loads wait for it and share the answer.
        with self._lock:
            now = self.clock()
            if self._cached is None or now - self._cached.taken_at >= self.ttl:
                try:
                    self._cached = Inspection(workers=self.inspector(self.app), taken_at=now)
                except Exception as error:  # the page still shows the DB's side
                    log.warning("airfleet: celery inspect failed: %s", error)
                    self._cached = Inspection(workers={}, taken_at=now, error=f"cannot reach the workers: {error}")
            return self._cached

    def workers(self) -> tuple[list[Worker], str | None]:
        """Every worker that answered, and every one heard from lately that did not (unless it
        said goodbye), sorted by node name; plus the inspection's error, if any."""
        assert self.monitor is not None
        self.monitor.start()
        inspection = self.inspection()
        now = self.clock()
        beats = self.monitor.seen()
        nodes = set(inspection.workers) | {
            node for node, beat in beats.items() if not beat.offline and now - beat.received < FORGET_AFTER
        }
        found = []
        for node in sorted(nodes):
            beat = beats.get(node)
            found.append(Worker(
                node=node,
                answering=node in inspection.workers,
                reply=inspection.workers.get(node, WorkerReply()),
                heartbeat_age=max(0.0, now - beat.received) if beat else None,
            ))
        return found, inspection.error


_source: WorkerSource | None = None
_source_lock = threading.Lock()


def airflow_worker_source() -> WorkerSource:
    """The api-server's one WorkerSource, on Airflow's own Celery app (broker URL and options
    from Airflow's configuration)."""
    global _source
    with _source_lock:
        if _source is None:
            from airflow.providers.celery.executors.celery_executor_utils import app

            _source = WorkerSource(app=app)
        return _source
