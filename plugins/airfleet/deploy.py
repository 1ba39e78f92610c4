"""`airfleet deploy`: make the cluster run a merged commit now rather than after the refresh interval.

Airflow's own API does it: `PUT /api/v2/parseDagFile/{file_token}` for a file of the Git bundle
makes the dag-processor refresh that bundle (git fetch) on its next loop and parse its files at the
new commit. Runs already in flight keep the commit they started with (their `bundle_version`).
"""

from __future__ import annotations

import argparse
import os
import time

import requests

from airfleet.bundles import BUNDLE_NAME
from airfleet.client import AirflowClient
from airfleet.errors import AirfleetError, UsageError


class DeployError(AirfleetError):
    pass


def bundle_dags(client: AirflowClient, bundle: str) -> list[dict]:
    dags, offset = [], 0
    while True:
        page = client.json("GET", "/api/v2/dags", params={"limit": 100, "offset": offset})
        dags += [dag for dag in page["dags"] if dag.get("bundle_name") == bundle]
        offset += len(page["dags"])
        if not page["dags"] or offset >= page["total_entries"]:
            return dags


def _changed(dag: dict, changed: list[str]) -> bool:
    relative = dag.get("relative_fileloc") or ""
    return bool(relative) and any(path == relative or path.endswith("/" + relative) for path in changed)


def deploy(client: AirflowClient, sha: str, changed: list[str] | None = None, bundle: str = BUNDLE_NAME,
           timeout: float = 120) -> float:
    """Ask for the refresh and wait until the DAGs of the changed files (all DAGs of the bundle when
    `changed` is None) are parsed at `sha`; returns seconds. Files named in `changed` are parsed
    first, so a merge is runnable without waiting for the rest of the bundle."""
    start = time.monotonic()
    dags = bundle_dags(client, bundle)
    if not dags:
        raise DeployError(
            f"the cluster has no DAG from bundle {bundle!r} yet; is AIRFLEET_DAGS_GIT_URL set on the cluster? "
            "(a first deploy into an empty bundle is picked up within AIRFLEET_DAGS_GIT_REFRESH seconds)"
        )
    targets = dags if changed is None else [dag for dag in dags if _changed(dag, changed)]
    tokens = {dag["relative_fileloc"]: dag["file_token"] for dag in (targets or dags[:1])}
    for token in tokens.values():
        response = client.request("PUT", f"/api/v2/parseDagFile/{token}")
        if response.status_code >= 400:
            raise DeployError(f"parseDagFile answered {response.status_code}: {response.text[:300]}")
    wanted = {dag["dag_id"] for dag in targets}
    while True:
        versions = {dag["dag_id"]: dag.get("bundle_version") for dag in bundle_dags(client, bundle)}
        at_sha = {dag_id for dag_id, version in versions.items() if version == sha}
        # With no DAG file among the changes, the refresh itself is what was asked for.
        if (wanted and wanted <= at_sha) or (not wanted and at_sha):
            return time.monotonic() - start
        if time.monotonic() - start > timeout:
            stale = sorted((wanted or set(versions)) - at_sha)
            raise DeployError(f"after {timeout:.0f}s these DAGs are not at {sha[:12]}: {', '.join(stale)}; "
                              "see the dag-processor's log (is the commit on the bundle's branch?)")
        time.sleep(0.5)


def _failure(url: str, user: str, exc: Exception) -> str:
    """What went wrong talking to the cluster, with the setting to check."""
    if isinstance(exc, (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema,
                        requests.exceptions.InvalidSchema)):
        return f"AIRFLEET_API_URL '{url}' is not a URL; set it like http://HOST:8080"
    if isinstance(exc, requests.ConnectionError):
        return f"cannot connect to {url}; check AIRFLEET_API_URL and that the cluster's api-server is up"
    if isinstance(exc, requests.Timeout):
        return f"{url} did not answer in time; check that the cluster's api-server is healthy"
    response = getattr(exc, "response", None)
    if response is not None and response.status_code in (401, 403):
        return (f"{url} refused the login of '{user}' ({response.status_code}); "
                "check AIRFLEET_API_USER and AIRFLEET_API_PASSWORD")
    return f"{url}: {' '.join(str(exc).split())[:300]}"


def run(args: argparse.Namespace) -> int:
    """Options default to the AIRFLEET_DEPLOY_* / AIRFLEET_API_* variables (ci/deploy.sh sets them); the
    password is read only from AIRFLEET_API_PASSWORD, so it never shows in a process list."""
    needed = {"--api-url or AIRFLEET_API_URL": args.api_url, "--api-user or AIRFLEET_API_USER": args.api_user,
              "--sha or AIRFLEET_DEPLOY_SHA": args.sha,
              "AIRFLEET_API_PASSWORD": os.environ.get("AIRFLEET_API_PASSWORD")}
    missing = [name for name, value in needed.items() if not value]
    if missing:
        raise UsageError(f"deploy needs {', '.join(missing)}")
    client = AirflowClient(args.api_url, args.api_user, os.environ["AIRFLEET_API_PASSWORD"])
    try:
        seconds = deploy(client, args.sha, changed=args.files or None, timeout=args.timeout)
    except (RuntimeError, OSError) as exc:  # the API's answer, or the cluster unreachable
        raise DeployError(_failure(args.api_url, args.api_user, exc)) from None
    print(f"deploy: the cluster runs {args.sha[:12]} (parsed {seconds:.1f}s after the request)")
    return 0
