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
- Errors are one line naming the URL and what to fix, without the answer's body or the token.
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import requests
from airflow.providers.dbt.cloud.hooks.dbt import DbtCloudHook, DbtCloudJobRunStatus
from requests import Response, Session
from tenacity import stop_after_attempt

from airfleet.errors import first_line, redact

DEFAULT_TENANT = "cloud.getdbt.com"
STARTS_A_RUN = re.compile(r"/jobs/\d+/(re)?run/?$")
NON_TERMINAL = frozenset(DbtCloudJobRunStatus.NON_TERMINAL_STATUSES.value)


def status_name(status: int | None) -> str:
    try:
        return DbtCloudJobRunStatus(status).name
    except ValueError:
        return f"UNKNOWN({status})"


class DbtCloudBadAnswer(ValueError):
    """Something answered, but not with dbt Cloud API JSON: the connection points elsewhere."""






def base_url(host: str | None, port: int | None = None) -> str:
    """`scheme://host[:port]` of the API from a connection's host (a tenant domain or a URL) and port."""
    text = (host or DEFAULT_TENANT).strip().rstrip("/")
    problem = "is neither a tenant domain (cloud.getdbt.com) nor an http(s):// base URL"
    try:
        parts = urlsplit(text if "://" in text else f"https://{text}")
        explicit_port = parts.port
    except ValueError as error:
        parts, explicit_port, problem = None, None, f"does not parse ({error})"
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"dbt Cloud connection host {redact(text)!r} {problem}; fix the connection's host")
    if parts.username or parts.password:
        raise ValueError(f"dbt Cloud connection host {redact(text)!r} carries a user:password@; remove it: the API "
                         "token belongs in the connection's password")
    netloc = parts.netloc if explicit_port or not port else f"{parts.netloc}:{port}"
    return f"{parts.scheme}://{netloc}"


def http_problem(code: int, reason: str, method: str, url: str, conn_id: str, detail: str = "") -> str:
    """One line for an HTTP error answer: the URL, dbt Cloud's own words, and what to fix."""
    if code in (401, 403):
        fix = (f"check the API token (the password of connection {conn_id!r}): it is wrong, expired, or may not "
               "use this account or job")
    elif code == 404:
        fix = (f"check connection {conn_id!r}: its host must be the dbt Cloud API base URL and its login the "
               "account id; and check that the job or run exists")
    elif code == 429 or code >= 500:
        fix = "dbt Cloud failed or throttled the request; it is worth another try later"
    elif code < 400:
        fix = f"this is not dbt Cloud API JSON: set the host of connection {conn_id!r} to the dbt Cloud API base URL"
    else:
        fix = "dbt Cloud refused the request as sent"
    detail = first_line(detail)
    detail = f" ({detail})" if detail else ""
    return f"dbt Cloud API {method} {redact(url)} answered {code} {first_line(reason)}{detail}; {fix}"


def _dbt_message(text: str) -> str:
    """dbt Cloud's `status.user_message` from an error answer's body, if it is one."""
    try:
        status = json.loads(text).get("status")
        return str(status.get("user_message") or "") if isinstance(status, dict) else ""
    except (ValueError, AttributeError):
        return ""


def unreachable(url: str, conn_id: str, reason: str) -> str:
    parts = urlsplit(redact(url))
    return (f"no answer from dbt Cloud at {parts.scheme}://{parts.netloc} ({reason}); check the host and port of "
            f"connection {conn_id!r} (the dbt Cloud API base URL) and that it is reachable from here")


def describe(error: BaseException, conn_id: str, timeout: float | None = None) -> str:
    """One line for an error from the trigger's aiohttp requests (or anything else), naming the fix."""
    if isinstance(error, aiohttp.ClientResponseError):
        info = error.request_info
        method, url = (info.method, str(info.url)) if info is not None else ("request", "?")
        return http_problem(error.status, str(error.message), method, url, conn_id)
    if isinstance(error, aiohttp.ClientConnectionError):
        return (f"no answer from dbt Cloud: {first_line(error) or type(error).__name__}; check the host and port of "
                f"connection {conn_id!r} and that it is reachable from here")
    if isinstance(error, (asyncio.TimeoutError, TimeoutError)):
        within = f" within {timeout:g} s" if timeout else ""
        return (f"dbt Cloud did not answer{within}; check the host and port of connection {conn_id!r} and that "
                "it is reachable from here")
    return first_line(error) or type(error).__name__


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

    def get_conn(self, headers: dict[Any, Any] | None = None, extra_options: dict[str, Any] | None = None) -> Session:
        session = super().get_conn(headers, extra_options)
        self.base_url = self._get_tenant_domain(self.connection) + "/"
        # HttpHook.run sends with `merged_extra`, which only HttpHook.get_conn fills: without this
        # the request timeout was dropped and a server that never answers hung the task.
        self.merged_extra = dict(extra_options or {})
        return session

    def check_response(self, response: Response) -> None:
        if response.status_code >= 400:
            raise requests.HTTPError(http_problem(response.status_code, response.reason, self.method, response.url,
                                                  self.dbt_cloud_conn_id, _dbt_message(response.text)),
                                     response=response)

    def run_and_check(self, session: Session, prepped_request: Any, extra_options: dict[Any, Any]) -> Any:
        try:
            return super().run_and_check(session, prepped_request, extra_options)
        except (requests.ConnectionError, requests.Timeout) as error:
            # Same type, so retries classify it the same; urllib3's text names pools and objects.
            reason = re.sub(r"^\w+\(host=[^)]*\): ", "", first_line(getattr(error.args[0], "reason", error.args[0])
                                                           if error.args else error))
            if isinstance(error, requests.Timeout) and extra_options.get("timeout"):
                reason = f"timed out after {extra_options['timeout']} s"
            raise type(error)(unreachable(prepped_request.url, self.dbt_cloud_conn_id, reason or type(error).__name__),
                              request=error.request, response=error.response) from error

    def api_data(self, response: Response, kind: type) -> Any:
        """The `data` of a dbt Cloud API answer, or DbtCloudBadAnswer naming what answered instead."""
        try:
            body = response.json()
        except ValueError:
            body = None
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, kind):
            what = "JSON of another shape" if body is not None else (
                response.headers.get("Content-Type", "").split(";")[0] or "a body that is not JSON")
            raise DbtCloudBadAnswer(http_problem(response.status_code, f"{response.reason} with {what}",
                                                 response.request.method or "request", response.url,
                                                 self.dbt_cloud_conn_id))
        return data

    def run_with_advanced_retry(self, _retry_args: dict[Any, Any], *args: Any, **kwargs: Any) -> Any:
        if self.method == "POST" and STARTS_A_RUN.search(kwargs.get("endpoint") or ""):
            _retry_args = {**_retry_args, "stop": stop_after_attempt(1)}
        return super().run_with_advanced_retry(_retry_args, *args, **kwargs)

    def find_run(self, job_id: int, cause_marker: str, account_id: int | None = None,
                 alive_only: bool = False, newest: int = 30) -> dict[str, Any] | None:
        """The newest of the job's last `newest` runs whose trigger cause contains `cause_marker`."""
        runs = self.api_data(self.get_job_runs(account_id=account_id, payload={
            "job_definition_id": job_id, "order_by": "-id", "limit": newest, "include_related": ["trigger"],
        }), list)
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
