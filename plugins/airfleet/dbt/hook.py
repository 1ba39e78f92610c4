"""The dbt Cloud provider's hook, made safe to poll with and to point anywhere.

What it changes, and why:
- The connection's host may be a whole base URL (`http://127.0.0.1:8765`, `https://ab123.us1.dbt.com`)
  as well as the provider's bare tenant domain; the provider always builds `https://{tenant}/`, so it
  cannot reach a fake or proxied dbt Cloud over http:// or on another port.
- HTTP errors surface as `requests.HTTPError` carrying the response. The provider's HttpHook raises
  a bare AirflowException("500:...") that its own retry rule cannot classify, so a 5xx was never
  retried.
- A request that starts a run (`jobs/{id}/run/`, `jobs/{id}/rerun/`) is sent exactly once, whatever
  the retry settings: resending it after a lost response starts a second run.
- Requests time out (30 s by default; the provider waits forever).
"""

from __future__ import annotations

import asyncio
import re
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import requests
from airflow.providers.dbt.cloud.hooks.dbt import DbtCloudHook, DbtCloudJobRunStatus
from requests import Response, Session
from tenacity import stop_after_attempt

DEFAULT_TENANT = "cloud.getdbt.com"
STARTS_A_RUN = re.compile(r"/jobs/\d+/(re)?run/?$")
NON_TERMINAL = frozenset(DbtCloudJobRunStatus.NON_TERMINAL_STATUSES.value)


def status_name(status: int | None) -> str:
    try:
        return DbtCloudJobRunStatus(status).name
    except ValueError:
        return f"UNKNOWN({status})"


def base_url(host: str | None, port: int | None = None) -> str:
    """`scheme://host[:port]` of the API from a connection's host (a tenant domain or a URL) and port."""
    text = (host or DEFAULT_TENANT).strip().rstrip("/")
    parts = urlsplit(text if "://" in text else f"https://{text}")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"dbt Cloud connection host {host!r} is neither a tenant domain (cloud.getdbt.com) "
                         "nor an http(s):// base URL; fix the connection's host")
    netloc = parts.netloc if parts.port or not port else f"{parts.netloc}:{port}"
    return f"{parts.scheme}://{netloc}"


def is_transient(error: BaseException) -> bool:
    """Worth asking again: no answer, a timeout, a 5xx or a 429. A 4xx will not change."""
    if isinstance(error, requests.HTTPError):
        return error.response is not None and (error.response.status_code >= 500 or error.response.status_code == 429)
    if isinstance(error, aiohttp.ClientResponseError):
        return error.status >= 500 or error.status == 429
    return isinstance(error, (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError,
                              aiohttp.ClientConnectionError, aiohttp.ClientPayloadError, asyncio.TimeoutError,
                              TimeoutError))


class DbtCloudRunHook(DbtCloudHook):
    """DbtCloudHook reaching any base URL, classifying HTTP errors, never resending a run trigger."""

    def __init__(self, dbt_cloud_conn_id: str = DbtCloudHook.default_conn_name, timeout_seconds: int | None = 30,
                 retry_limit: int = 3, retry_delay: float = 1.0, retry_args: dict[Any, Any] | None = None) -> None:
        super().__init__(dbt_cloud_conn_id, timeout_seconds=timeout_seconds, retry_limit=retry_limit,
                         retry_delay=retry_delay, retry_args=retry_args)

    @staticmethod
    def _get_tenant_domain(conn: Any) -> str:
        # Used by the provider's async requests as "the tenant": here it is the whole base URL.
        return base_url(conn.host, conn.port)

    @staticmethod
    def get_request_url_params(tenant: str, endpoint: str, include_related: list[str] | None = None, *,
                               api_version: str = "v2") -> tuple[str, dict[str, Any]]:
        params = {"include_related": include_related} if include_related else {}
        return f"{tenant}/api/{api_version}/accounts/{endpoint or ''}", params

    @staticmethod
    def _retryable_error(exception: BaseException) -> bool:
        return is_transient(exception)

    def get_conn(self, *args: Any, **kwargs: Any) -> Session:
        session = super().get_conn(*args, **kwargs)
        self.base_url = self._get_tenant_domain(self.connection) + "/"
        return session

    def check_response(self, response: Response) -> None:
        if response.status_code >= 400:
            raise requests.HTTPError(f"{response.status_code} {response.reason} from {self.method} {response.url}: "
                                     f"{response.text[:300]}", response=response)

    def run_with_advanced_retry(self, _retry_args: dict[Any, Any], *args: Any, **kwargs: Any) -> Any:
        if self.method == "POST" and STARTS_A_RUN.search(kwargs.get("endpoint") or ""):
            _retry_args = {**_retry_args, "stop": stop_after_attempt(1)}
        return super().run_with_advanced_retry(_retry_args, *args, **kwargs)

    def find_run(self, job_id: int, cause_marker: str, account_id: int | None = None,
                 alive_only: bool = False, newest: int = 30) -> dict[str, Any] | None:
        """The newest of the job's last `newest` runs whose trigger cause contains `cause_marker`."""
        runs = self.get_job_runs(account_id=account_id, payload={
            "job_definition_id": job_id, "order_by": "-id", "limit": newest, "include_related": ["trigger"],
        }).json()["data"]
        for run in runs:
            cause = (run.get("trigger") or {}).get("cause") or ""
            if cause_marker in cause and (not alive_only or run["status"] in NON_TERMINAL):
                return run
        return None

    async def acancel_job_run(self, run_id: int, account_id: int | None = None) -> dict[str, Any]:
        """Cancel a run from the triggerer's event loop (the provider has only a blocking cancel)."""
        account_id = account_id or await self._resolve_account_id_async()
        headers, tenant = await self.get_headers_tenants_from_connection()
        url, _ = self.get_request_url_params(tenant, f"{account_id}/runs/{run_id}/cancel/")
        timeout = aiohttp.ClientTimeout(total=self.timeout_seconds or 30)
        async with aiohttp.ClientSession(headers=headers, timeout=timeout) as session:
            async with session.post(url) as response:
                response.raise_for_status()
                return (await response.json())["data"]
