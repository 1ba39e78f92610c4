"""A small client for the cluster's REST API (Airflow 3 `/api/v2`): `airfleet deploy` uses it, and so do the
tests and benchmarks."""

from __future__ import annotations

import time
from typing import Any

import requests


class AirflowClient:
    def __init__(self, base_url: str, username: str, password: str, timeout: float = 30) -> None:
        self.base_url = base_url.rstrip("/")
        self._credentials = {"username": username, "password": password}
        self._timeout = timeout
        self._session = requests.Session()

    def login(self) -> None:
        """Exchange the login for a JWT, as the UI does; every later call carries it."""
        response = self._session.post(f"{self.base_url}/auth/token", json=self._credentials, timeout=self._timeout)
        response.raise_for_status()
        self._session.headers["Authorization"] = f"Bearer {response.json()['access_token']}"

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        if "Authorization" not in self._session.headers:
            self.login()
        response = self._send(method, path, **kwargs)
        if response.status_code == 401:  # token expired: log in again once
            self.login()
            response = self._send(method, path, **kwargs)
        return response

    def _send(self, method: str, path: str, attempts: int = 3, **kwargs: Any) -> requests.Response:
        """Reads are retried when the server is slow or restarting; writes are sent once."""
        for attempt in range(1, attempts + 1):
            try:
                return self._session.request(method, f"{self.base_url}{path}", timeout=self._timeout, **kwargs)
            except (requests.Timeout, requests.ConnectionError):
                if method != "GET" or attempt == attempts:
                    raise
                time.sleep(2 * attempt)
        raise AssertionError("unreachable")

    def json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.request(method, path, **kwargs)
        if response.status_code >= 400:
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.text[:500]}")
        return response.json()

    def health(self) -> dict[str, Any]:
        response = requests.get(f"{self.base_url}/api/v2/monitor/health", timeout=self._timeout)
        response.raise_for_status()
        return response.json()

    def wait_for_dag(self, dag_id: str, timeout: float = 120) -> None:
        """Wait until the dag-processor has parsed `dag_id`."""
        deadline = time.monotonic() + timeout
        while self.request("GET", f"/api/v2/dags/{dag_id}").status_code != 200:
            if time.monotonic() > deadline:
                raise TimeoutError(f"DAG {dag_id} not parsed after {timeout:.0f}s")
            time.sleep(1)

    def unpause(self, dag_id: str) -> None:
        self.json("PATCH", f"/api/v2/dags/{dag_id}", json={"is_paused": False})

    def trigger(self, dag_id: str, conf: dict[str, Any] | None = None) -> str:
        run = self.json("POST", f"/api/v2/dags/{dag_id}/dagRuns", json={"logical_date": None, "conf": conf or {}})
        return run["dag_run_id"]

    def wait_for_run(self, dag_id: str, run_id: str, timeout: float = 300, poll: float = 0.5) -> str:
        """Wait for the run to finish; returns its final state."""
        deadline = time.monotonic() + timeout
        while True:
            state = self.json("GET", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}")["state"]
            if state in ("success", "failed"):
                return state
            if time.monotonic() > deadline:
                raise TimeoutError(f"run {dag_id}/{run_id} still {state} after {timeout:.0f}s")
            time.sleep(poll)

    def task_instances(self, dag_id: str, run_id: str) -> list[dict[str, Any]]:
        """Every task instance of the run, mapped ones included, across pages."""
        found: list[dict[str, Any]] = []
        while True:
            page = self.json(
                "GET", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances",
                params={"limit": 100, "offset": len(found)},
            )
            found += page["task_instances"]
            if not page["task_instances"] or len(found) >= page["total_entries"]:
                return found
