"""Render one role's container environment from the compose file, for sbin/200.sh.

`docker compose --env-file NODE_ENV config` interpolates docker-compose.yml with a node's values;
this picks the role's `environment` out of that output, so a role started on another machine gets
exactly the settings the single-host cluster uses, from the same single source.
"""

from __future__ import annotations

import argparse
import os
import re
import sys

import yaml

from airfleet import roles
from airfleet.errors import AirfleetError


def role_environment(rendered_compose: str, role: str) -> dict[str, str]:
    """The role's `environment` in the rendered compose file (each role is the compose service of its name)."""
    services = yaml.safe_load(rendered_compose)["services"]
    environment = services[roles.canonical(role)].get("environment") or {}
    if isinstance(environment, list):  # compose v1 may render KEY=VALUE items
        environment = dict(item.split("=", 1) for item in environment)
    # `config` prints a literal `$` escaped as `$$`; a container's env file takes values literally.
    return {key: "" if value is None else str(value).replace("$$", "$") for key, value in environment.items()}


def missing_settings(environment: dict[str, str], marker: str) -> list[str]:
    """The env-file variables 200.sh rendered as `marker + NAME` because the node env file lacks them."""
    found = re.compile(re.escape(marker) + "([A-Z0-9_]+)")
    return sorted({name for value in environment.values() for name in found.findall(value)})


def env_file_lines(environment: dict[str, str]) -> str:
    for key, value in environment.items():
        if "\n" in value:
            raise ValueError(f"{key} contains a newline, which an env file cannot carry")
    return "".join(f"{key}={value}\n" for key, value in sorted(environment.items()))


def run(args: argparse.Namespace) -> int:
    environment = role_environment(sys.stdin.read(), args.role)
    marker = os.environ.get("AIRFLEET_MISSING_MARKER")
    missing = missing_settings(environment, marker) if marker else []
    if missing:
        one = len(missing) == 1
        raise AirfleetError(f"{', '.join(missing)} {'is' if one else 'are'} missing from {args.env_file_name}; "
                            f"copy {'it' if one else 'them'} from the cluster's .env")
    sys.stdout.write(env_file_lines(environment))
    return 0


def main(argv: list[str] | None = None) -> int:
    from airfleet.cli import arg, run_module

    return run_module("python -m airfleet.nodeenv",
                      "print ROLE's environment from `docker compose config` on standard input, as an env file",
                      run, argv,
                      arg("role", choices=[*roles.ROLES, *roles.ALIASES]),
                      arg("--env-file-name", default="the node env file", help="the file named in errors"))


if __name__ == "__main__":
    sys.exit(main())
