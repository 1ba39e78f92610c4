"""Registers the Cluster page with Airflow, through the `airflow.plugins` entry point of the
airfleet package (pyproject.toml), so it loads once, from the installed package.

Every Airflow process loads plugins, task runners included, so this module stays light: the
FastAPI app, and Airflow's API modules it needs, load on the api-server's first request to it.
"""

from __future__ import annotations

from typing import Any

from airflow.plugins_manager import AirflowPlugin

URL_PREFIX = "/airfleet"


class LazyApp:
    """An ASGI app that builds the real one (`airfleet.ui.app`) when the first request arrives."""

    def __init__(self) -> None:
        self._app: Any = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if self._app is None:
            from airfleet.ui.app import create_app

            self._app = create_app()
        await self._app(scope, receive, send)


class AirfleetUIPlugin(AirflowPlugin):
    name = "airfleet_ui"
    fastapi_apps = [{"app": LazyApp(), "url_prefix": URL_PREFIX, "name": "Airfleet cluster view"}]
    # With url_route the UI shows the page inside itself, at /plugin/cluster.
    external_views = [{
        "name": "Cluster",
        "href": f"{URL_PREFIX}/cluster/",
        "destination": "nav",
        "url_route": "cluster",
        "nav_top_level": True,
        "icon": f"{URL_PREFIX}/static/cluster.svg",
    }]
