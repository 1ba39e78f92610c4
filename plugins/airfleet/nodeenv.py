"""Render one role's container environment from the compose file, for sbin/200.sh.

`docker compose --env-file NODE_ENV config` interpolates docker-compose.yml with a node's values;
this picks the role's `environment` out of that output, so a role started on another machine gets
exactly the settings the single-host cluster uses, from the same single source.
"""

from __future__ import annotations

import sys

import yaml

# sbin/200.sh role names -> compose services.
SERVICES = {
    "api-server": "api-server",
    "scheduler": "scheduler",
    "dag-processor": "dag-processor",
    "triggerer": "triggerer",
    "worker": "worker",
    "flower": "flower",
}


def role_environment(rendered_compose: str, role: str) -> dict[str, str]:
    services = yaml.safe_load(rendered_compose)["services"]
    environment = services[SERVICES[role]].get("environment") or {}
    if isinstance(environment, list):  # compose v1 may render KEY=VALUE items
        environment = dict(item.split("=", 1) for item in environment)
    # `config` prints a literal `$` escaped as `$$`; a container's env file takes values literally.
    return {key: "" if value is None else str(value).replace("$$", "$") for key, value in environment.items()}


def env_file_lines(environment: dict[str, str]) -> str:
    for key, value in environment.items():
        if "\n" in value:
            raise ValueError(f"{key} contains a newline, which an env file cannot carry")
    return "".join(f"{key}={value}\n" for key, value in sorted(environment.items()))


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in SERVICES:
        print(f"usage: python -m airfleet.nodeenv {{{'|'.join(SERVICES)}}} < rendered-compose.yml", file=sys.stderr)
        return 2
    sys.stdout.write(env_file_lines(role_environment(sys.stdin.read(), argv[0])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
