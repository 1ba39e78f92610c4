"""Worker state for the Cluster page: Celery's inspect replies, the cache in front of them, and
heartbeats that keep a silent worker on the page."""

from __future__ import annotations

from airfleet.ui.workers import FORGET_AFTER, HeartbeatMonitor, WorkerReply, WorkerSource, parse_replies

# Replies as Celery 5.6's inspect returns them (node name -> reply), trimmed to what is read.
PING = {"celery@a1": {"ok": "pong"}, "celery@b2": {"ok": "pong"}}
QUEUES = {"celery@a1": [{"name": "default", "exchange": {"name": "default"}}, {"name": "etl"}],
          "celery@b2": [{"name": "default"}]}
ACTIVE = {"celery@a1": [{"id": "c-1", "name": "execute_workload", "args": ["{}"]}], "celery@b2": []}
STATS = {"celery@a1": {"pid": 7, "pool": {"max-concurrency": 16, "processes": [8, 9]}}, "celery@b2": {"pool": {}}}


def test_replies_become_one_record_per_worker_that_answered_the_ping():
    workers = parse_replies(PING, QUEUES, ACTIVE, STATS)
    assert workers == {
        "celery@a1": WorkerReply(queues=("default", "etl"), active=("c-1",), concurrency=16),
        "celery@b2": WorkerReply(queues=("default",), active=(), concurrency=None),
    }


def test_a_worker_missing_from_a_later_reply_keeps_what_is_known():
    workers = parse_replies(PING, None, {"celery@a1": [{"id": "c-1"}]}, {})
    assert workers["celery@a1"] == WorkerReply(active=("c-1",))
    assert workers["celery@b2"] == WorkerReply()


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


class QuietMonitor(HeartbeatMonitor):
    """Records events handed to it; listens to no broker."""

    def start(self) -> None:
        pass


class Inspector:
    def __init__(self, replies: dict[str, WorkerReply] | Exception) -> None:
        self.replies, self.calls = replies, 0

    def __call__(self, app) -> dict[str, WorkerReply]:
        self.calls += 1
        if isinstance(self.replies, Exception):
            raise self.replies
        return self.replies


def source(replies: dict[str, WorkerReply] | Exception) -> tuple[WorkerSource, Inspector, Clock]:
    clock, inspector = Clock(), Inspector(replies)
    return WorkerSource(app=None, inspector=inspector, clock=clock, monitor=QuietMonitor(None, clock)), inspector, clock


def test_inspection_is_cached_for_a_few_seconds():
    workers, inspector, clock = source({"celery@a1": WorkerReply()})
    workers.workers()
    clock.now += 4.9
    workers.workers()
    assert inspector.calls == 1
    clock.now += 0.2
    workers.workers()
    assert inspector.calls == 2


def test_heartbeat_age_is_measured_on_this_side():
    workers, _, clock = source({"celery@a1": WorkerReply(queues=("default",))})
    workers.monitor.record({"type": "worker-heartbeat", "hostname": "celery@a1", "timestamp": 0})  # skewed clock
    clock.now += 3
    (worker,), error = workers.workers()
    assert (worker.node, worker.answering, worker.heartbeat_age, error) == ("celery@a1", True, 3.0, None)


def test_a_worker_that_stopped_answering_stays_with_its_last_heartbeat_until_forgotten():
    workers, _, clock = source({})
    workers.monitor.record({"type": "worker-heartbeat", "hostname": "celery@hung"})
    clock.now += 120
    (worker,), _ = workers.workers()
    assert (worker.node, worker.answering, worker.heartbeat_age) == ("celery@hung", False, 120.0)
    clock.now += FORGET_AFTER
    assert workers.workers() == ([], None)


def test_a_worker_that_said_goodbye_leaves_the_page():
    workers, _, _ = source({})
    workers.monitor.record({"type": "worker-online", "hostname": "celery@gone"})
    workers.monitor.record({"type": "worker-offline", "hostname": "celery@gone"})
    assert workers.workers() == ([], None)


def test_a_broker_error_is_reported_not_raised():
    workers, _, _ = source(ConnectionRefusedError("Error 111 connecting to redis:6379"))
    found, error = workers.workers()
    assert found == []
    assert error == "cannot reach the workers: Error 111 connecting to redis:6379"


def test_workers_are_sorted_by_node_name():
    workers, _, _ = source({"celery@b": WorkerReply(), "celery@a": WorkerReply()})
    workers.monitor.record({"type": "worker-heartbeat", "hostname": "celery@c"})
    assert [w.node for w in workers.workers()[0]] == ["celery@a", "celery@b", "celery@c"]
