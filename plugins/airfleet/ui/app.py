"""The Cluster page's FastAPI app, mounted by the api-server under /airfleet.

A plugin's app gets no authentication from Airflow, so every route here depends on `current_user`:
the same check as Airflow's own API (a JWT in the Authorization header, or the UI's `_token`
cookie), 401 without one. DAG data is limited to the DAGs the user may read. The OpenAPI and docs
routes are off: they would be the only unauthenticated ones.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import FileResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from airfleet.ui import runs, view
from airfleet.ui.workers import WorkerSource, airflow_worker_source
from airfleet.ui.zones import ZoneError, display_zone, get_zone

STATIC = Path(__file__).parent / "static"
STATIC_FILES = {
    "cluster.js": "text/javascript",
    "cluster.css": "text/css",
    "cluster.svg": "image/svg+xml",
}
FLOWER_URL = "AIRFLEET_FLOWER_URL"  # Flower as browsers reach it, e.g. behind a proxy
FLOWER_PORT = "AIRFLEET_FLOWER_PORT"  # else: this page's host on Flower's published port
_bearer = HTTPBearer(auto_error=False)


async def current_user(request: Request,
                       bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Any:
    """Airflow's own `get_user`, called with the credentials it would be given as a dependency.
    Imported here, not at the top: Airflow's API security modules are heavy, and every Airflow
    process loads plugins."""
    from airflow.api_fastapi.core_api.security import get_user

    return await get_user(request=request, _oauth_token=None, bearer_credentials=bearer)


def get_session() -> Iterator[Any]:
    from airflow.utils.session import create_session

    with create_session(scoped=False) as session:
        yield session


def readable_dag_ids(user: Annotated[Any, Depends(current_user)],
                     session: Annotated[Any, Depends(get_session)]) -> set[str]:
    from airflow.api_fastapi.app import get_auth_manager

    return get_auth_manager().get_authorized_dag_ids(user=user, method="GET", session=session)


def worker_source() -> WorkerSource:
    return airflow_worker_source()


def flower_url(request: Request) -> str:
    configured = os.environ.get(FLOWER_URL, "").strip()
    if configured:
        return configured.rstrip("/")
    host = request.url.hostname or "localhost"
    host = f"[{host}]" if ":" in host else host
    return f"{request.url.scheme}://{host}:{os.environ.get(FLOWER_PORT, '').strip() or '5555'}"


def create_app() -> FastAPI:
    app = FastAPI(title="Airfleet", dependencies=[Depends(current_user)], docs_url=None, redoc_url=None,
                  openapi_url=None)

    @app.get("/cluster/")
    def page() -> FileResponse:
        return FileResponse(STATIC / "cluster.html", media_type="text/html", headers={"Cache-Control": "no-cache"})

    @app.get("/static/{name}")
    def static(name: str) -> FileResponse:
        if name not in STATIC_FILES:
            raise HTTPException(status_code=404, detail=f"no static file {name!r}")
        return FileResponse(STATIC / name, media_type=STATIC_FILES[name], headers={"Cache-Control": "no-cache"})

    @app.get("/api/cluster")
    def cluster(request: Request, session: Annotated[Any, Depends(get_session)],
                readable: Annotated[set[str], Depends(readable_dag_ids)],
                workers: Annotated[WorkerSource, Depends(worker_source)], tz: str | None = None) -> dict[str, Any]:
        """The page's data. `tz`: an IANA zone to show times in; the cluster's zone by default."""
        cluster_zone = display_zone()
        try:
            zone = get_zone(tz) if tz else cluster_zone
        except ZoneError as error:
            raise HTTPException(status_code=400, detail=f"tz: {error}") from None
        found, workers_error = workers.workers()
        tasks, tasks_total = runs.tasks(session, readable)
        return view.cluster(
            dags=runs.dags(session, readable), tasks=tasks, tasks_total=tasks_total, workers=found,
            workers_error=workers_error, zone=zone, cluster_zone=cluster_zone, now=datetime.now(UTC),
            flower_url=flower_url(request),
        )

    return app
