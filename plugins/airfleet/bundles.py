"""Where the cluster reads DAGs from: the local dags/ folder, or a reviewed Git repository.

With `AIRFLEET_DAGS_GIT_URL` set, every role gets the same GitDagBundle (`[dag_processor]
dag_bundle_config_list`) and the connection it clones with, so the dag-processor parses a commit,
each run records that commit, and workers on any node check out exactly that commit to run it.
The image's entrypoint evaluates `python -m airfleet.bundles` before starting a role.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from collections.abc import Mapping

from airfleet.errors import AirfleetError

BUNDLE_NAME = "dags"
CONN_ID = "airfleet_dags_git"
DEFAULT_REFRESH_S = 300


def git_bundle_environment(env: Mapping[str, str]) -> dict[str, str]:
    """The Airflow settings for the Git bundle described by AIRFLEET_DAGS_GIT_*; {} when unset."""
    url = env.get("AIRFLEET_DAGS_GIT_URL", "").strip()
    if not url:
        return {}
    refresh = env.get("AIRFLEET_DAGS_GIT_REFRESH", str(DEFAULT_REFRESH_S))
    if not refresh.isdigit():
        raise ValueError(f"AIRFLEET_DAGS_GIT_REFRESH={refresh!r} is not a number of seconds")
    kwargs = {
        "git_conn_id": CONN_ID,
        "tracking_ref": env.get("AIRFLEET_DAGS_GIT_BRANCH", "main"),
        "refresh_interval": int(refresh),
    }
    subdir = env.get("AIRFLEET_DAGS_GIT_SUBDIR", "dags").strip("/")
    if subdir:
        kwargs["subdir"] = subdir
    connection = {"conn_type": "git", "host": url}
    if env.get("AIRFLEET_DAGS_GIT_TOKEN"):
        connection.update(login=env.get("AIRFLEET_DAGS_GIT_USER", "oauth2"), password=env["AIRFLEET_DAGS_GIT_TOKEN"])
    bundles = [{"name": BUNDLE_NAME, "classpath": "airflow.providers.git.bundles.git.GitDagBundle", "kwargs": kwargs}]
    return {
        "AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST": json.dumps(bundles),
        f"AIRFLOW_CONN_{CONN_ID.upper()}": json.dumps(connection),
    }


def run(args: argparse.Namespace) -> int:
    try:
        settings = git_bundle_environment(os.environ)
    except ValueError as exc:
        raise AirfleetError(str(exc)) from exc
    for key, value in settings.items():
        if key not in os.environ:  # an explicit Airflow setting wins
            print(f"export {key}={shlex.quote(value)}")
    return 0


def main(argv: list[str] | None = None) -> int:
    from airfleet.cli import run_module

    return run_module("python -m airfleet.bundles",
                      "print shell exports for the Git DAG bundle of AIRFLEET_DAGS_GIT_* (none when unset)", run, argv)


if __name__ == "__main__":
    sys.exit(main())
