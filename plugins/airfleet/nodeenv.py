"""Render one role's container environment from the compose file, for sbin/200.sh.

`docker compose --env-file NODE_ENV config` interpolates docker-compose.yml with a node's values;
this picks the role's `environment` out of that output, so a role started on another machine gets
exactly the settings the single-host cluster uses, from the same single source.
"""

from __future__ import annotations

import argparse
import sys

import yaml

from airfleet import roles


def role_environment(rendered_compose: str, role: str) -> dict[str, str]:
    """The role's `environment` in the rendered compose file (each role is the compose service of its name)."""
    services = yaml.safe_load(rendered_compose)["services"]
    environment = services[roles.canonical(role)].get("environment") or {}
    if isinstance(environment, list):  # compose v1 may render KEY=VALUE items
        environment = dict(item.split("=", 1) for item in environment)
    # `config` prints a literal `$` escaped as `$$`; a container's env file takes values literally.
    return {key: "" if value is None else str(value).replace("$$", "$") for key, value in environment.items()}


def env_file_lines(environment: dict[str, str]) -> str:
    for key, value in environment.items():
        if "\n" in value:
            raise ValueError(f"{key} contains a newline, which an env file cannot carry")
    return "".join(f"{key}={value}\n" for key, value in sorted(environment.items()))


def run(args: argparse.Namespace) -> int:
    sys.stdout.write(env_file_lines(role_environment(sys.stdin.read(), args.role)))
    return 0


def main(argv: list[str] | None = None) -> int:
    from airfleet.cli import arg, run_module

    return run_module("python -m airfleet.nodeenv",
                      "print ROLE's environment from `docker compose config` on standard input, as an env file",
                      run, argv,
                      arg("role", choices=[*roles.ROLES, *roles.ALIASES]))


if __name__ == "__main__":
    sys.exit(main())
