"""The plugin's FastAPI app: nothing without a login, and the page's data for a logged-in user.
The api-server's real login is tested on the cluster (tests/e2e/test_cluster_view.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from airfleet.ui import app as ui_app
from airfleet.ui import runs
from airfleet.ui.runs import DagRow, LastRun, TaskRow
from airfleet.ui.workers import Worker, WorkerReply

STARTED = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # 01:30 CET, half an hour before Berlin's DST


@pytest.fixture(scope="module")
def app():
    return ui_app.create_app()


def concrete(path: str) -> str:
    return path.replace("{name}", "cluster.js")


def test_every_route_answers_401_without_a_login(app):
    client = TestClient(app)
    paths = [concrete(route.path) for route in app.routes if isinstance(route, APIRoute)]
    assert sorted(paths) == ["/api/cluster", "/cluster/", "/static/cluster.js"]
    for path in paths:
        response = client.get(path)
        assert response.status_code == 401, path
        assert response.json() == {"detail": "Not authenticated"}


def test_a_wrong_scheme_is_no_login(app):
    response = TestClient(app).get("/api/cluster", headers={"Authorization": "Basic YWRtaW46YWRtaW4="})
    assert response.status_code == 401


def test_no_unauthenticated_schema_or_docs(app):
    client = TestClient(app)
    for path in ("/openapi.json", "/docs", "/redoc"):
        assert client.get(path).status_code == 404, path


class StubWorkers:
    def workers(self):
        reply = WorkerReply(queues=("default",), active=("c-1",), concurrency=4)
        return [Worker(node="celery@w1", answering=True, reply=reply, heartbeat_age=2.0)], None


@pytest.fixture
def logged_in(app, monkeypatch):
    """A logged-in user who may read the DAG `etl`, with the DB and workers replaced."""
    task = TaskRow(dag_id="etl", run_id="r1", task_id="load", map_index=-1, try_number=1, state="running",
                   start_date=STARTED, queue="default", host="10.0.0.9", celery_id="c-1")
    dag = DagRow(dag_id="etl", paused=False, schedule="@daily",
                 last_run=LastRun("r1", "running", STARTED, STARTED, None), next_run=None)
    seen: dict[str, object] = {}

    def tasks(session, readable):
        seen["readable"] = readable
        return [task], 1

    monkeypatch.setattr(runs, "tasks", tasks)
    monkeypatch.setattr(runs, "dags", lambda session, readable: [dag])
    monkeypatch.setenv("AIRFLOW_UI_TIMEZONE", "Asia/Shanghai")
    monkeypatch.delenv("AIRFLEET_FLOWER_URL", raising=False)
    monkeypatch.setenv("AIRFLEET_FLOWER_PORT", "15555")
    app.dependency_overrides = {
        ui_app.current_user: lambda: "admin",
        ui_app.get_session: lambda: None,
        ui_app.readable_dag_ids: lambda: {"etl"},
        ui_app.worker_source: StubWorkers,
    }
    yield TestClient(app, base_url="http://airflow.example:8080"), seen
    app.dependency_overrides = {}


def test_times_default_to_the_cluster_zone(logged_in):
    client, seen = logged_in
    data = client.get("/api/cluster").json()
    assert seen["readable"] == {"etl"}
    assert data["zone"]["name"] == data["cluster_zone"]["name"] == "Asia/Shanghai"
    start = data["tasks"][0]["start"]
    assert (start["local"], start["offset"]) == ("2026-03-29 08:30:00", "+08:00")
    assert data["workers"][0]["hostname"] == "10.0.0.9"


def test_tz_switches_the_zone_per_request(logged_in):
    client, _ = logged_in
    data = client.get("/api/cluster", params={"tz": "Europe/Berlin"}).json()
    assert data["zone"]["name"] == "Europe/Berlin"
    assert data["cluster_zone"]["name"] == "Asia/Shanghai"
    start = data["tasks"][0]["start"]
    assert (start["local"], start["offset"]) == ("2026-03-29 01:30:00", "+01:00")
    in_utc = client.get("/api/cluster", params={"tz": "utc"}).json()
    assert in_utc["tasks"][0]["start"]["local"] == "2026-03-29 00:30:00"


def test_an_unknown_zone_is_a_400_that_says_what_to_send(logged_in):
    client, _ = logged_in
    response = client.get("/api/cluster", params={"tz": "Europe/Berln"})
    assert response.status_code == 400
    assert "IANA name" in response.json()["detail"]


def test_flower_is_linked_on_the_host_the_browser_used(logged_in, monkeypatch):
    client, _ = logged_in
    assert client.get("/api/cluster").json()["flower_url"] == "http://airflow.example:15555"
    monkeypatch.setenv("AIRFLEET_FLOWER_URL", "https://flower.example/")
    assert client.get("/api/cluster").json()["workers"][0]["flower"] == "https://flower.example/worker/celery@w1"


def test_the_page_and_its_files(logged_in):
    client, _ = logged_in
    page = client.get("/cluster/")
    assert page.headers["content-type"].startswith("text/html")
    assert '<script src="../static/cluster.js"' in page.text
    assert client.get("/static/cluster.js").headers["content-type"].startswith("text/javascript")
    assert client.get("/static/cluster.css").headers["content-type"].startswith("text/css")
    assert client.get("/static/cluster.svg").headers["content-type"].startswith("image/svg+xml")
    assert client.get("/static/app.py").status_code == 404
    assert client.get("/static/..%2Fapp.py").status_code == 404


def test_the_plugin_registers_the_app_and_an_embedded_nav_view():
    from airfleet.ui.plugin import AirfleetUIPlugin, LazyApp

    (fastapi_app,) = AirfleetUIPlugin.fastapi_apps
    assert fastapi_app["url_prefix"] == "/airfleet" and isinstance(fastapi_app["app"], LazyApp)
    (nav,) = AirfleetUIPlugin.external_views
    assert (nav["destination"], nav["url_route"], nav["href"]) == ("nav", "cluster", "/airfleet/cluster/")
