"""The Cluster page's worker data from a real Celery worker on the project's Redis image: what
inspect reports (node, queues, pool size, the running task), heartbeats, a worker that hangs
(no replies, an ageing heartbeat) and one that shuts down (gone from the page)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from functools import partial

import pytest
from celery import Celery

from airfleet.ui.workers import WorkerSource
from tests.support import containers, images, waiting

pytestmark = pytest.mark.integration

PASSWORD = "airfleet-ui-test"
NODE = "w1@airfleet-ui-test"

APP = textwrap.dedent("""
    import os, time
    from celery import Celery

    app = Celery("airfleet_ui_test", broker=os.environ["BROKER_URL"])
    app.conf.update(accept_content=["json"], event_serializer="json", worker_prefetch_multiplier=1,
                    broker_connection_retry_on_startup=True)

    @app.task(name="nap")
    def nap(seconds):
        time.sleep(seconds)
""")


@pytest.fixture(scope="module")
def broker_url():
    images.docker_or_skip()
    image = images.ensure_image("airfleet/redis:local", images.ROOT / "docker" / "redis" / "Dockerfile", images.ROOT)
    container, address = containers.start(image, "redis", 6379, {"REDIS_PASSWORD": PASSWORD})
    try:
        yield f"redis://:{PASSWORD}@{address}/0"
    finally:
        container.stop()


eventually = partial(waiting.eventually, timeout=60, poll=0.5)


@pytest.fixture
def worker(broker_url, tmp_path):
    (tmp_path / "napapp.py").write_text(APP)
    env = {**os.environ, "BROKER_URL": broker_url, "PYTHONPATH": str(tmp_path)}
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "napapp", "worker", "-n", NODE, "-Q", "default,etl", "-c", "2",
         "--without-mingle", "--without-gossip", "--loglevel", "WARNING"],
        cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=(tmp_path / "worker.log").open("w"),
    )
    yield process
    if process.poll() is None:
        process.send_signal(signal.SIGCONT)
        process.kill()
        process.wait(30)


@pytest.fixture
def app(broker_url):
    app = Celery("airfleet_ui_test", broker=broker_url)
    app.conf.update(accept_content=["json"], event_serializer="json")
    return app


@pytest.fixture
def source(app):
    source = WorkerSource(app=app, ttl=0)  # no cache: every look is a fresh inspection
    yield source
    assert source.monitor is not None
    source.monitor.stop()


def answering(source: WorkerSource):
    found, _ = source.workers()
    return next((w for w in found if w.node == NODE and w.answering and w.heartbeat_age is not None), None)


def test_a_running_task_its_queues_pool_and_heartbeat(worker, app, source):
    eventually(lambda: answering(source), what="answer and heartbeat from the worker")
    task = app.send_task("nap", args=[60], queue="etl")
    busy = eventually(lambda: (w := answering(source)) and task.id in w.reply.active and w, what="running task")
    assert busy.reply.queues == ("default", "etl")
    assert busy.reply.concurrency == 2
    assert busy.heartbeat_age < 5  # Celery workers beat every 2 s


def test_a_hung_worker_stays_on_the_page_with_an_ageing_heartbeat(worker, source):
    eventually(lambda: answering(source), what="answer and heartbeat from the worker")
    worker.send_signal(signal.SIGSTOP)
    try:
        def silent():
            found, _ = source.workers()
            return next((w for w in found if w.node == NODE and not w.answering and w.heartbeat_age > 5), None)

        hung = eventually(silent, what="silent worker")
        assert hung.reply.queues == ()  # nothing it says is current
    finally:
        worker.send_signal(signal.SIGCONT)


def test_a_worker_that_shuts_down_leaves_the_page(worker, source):
    eventually(lambda: answering(source), what="answer and heartbeat from the worker")
    worker.send_signal(signal.SIGTERM)  # warm shutdown: it sends worker-offline on its way out
    worker.wait(60)
    eventually(lambda: all(w.node != NODE for w in source.workers()[0]) or None, what="worker gone")
