"""The init service's database steps in one process: migrate the metadata database, then create the
admin user or set its password from the env file.

Each `airflow` command pays Airflow's start-up (4-10 s of CPU on a small machine) and the init
service gates every role, so `bin/up` waited for three of them (`db migrate`, `users list`, then
`users create` or `users reset-password`); here `db migrate` runs through Airflow's own parser in
this process, and the admin user is one lookup and one write in the same process.
"""

from __future__ import annotations

import logging
import os
import sys

from airfleet.errors import AirfleetError


def log(message: str) -> None:
    print(f"airfleet: {message}", file=sys.stderr, flush=True)


def airflow(*argv: str) -> None:
    """Run an `airflow` command in this process, as `airflow` itself does (airflow.__main__)."""
    from airflow.cli import cli_parser
    from airflow.configuration import write_default_airflow_configuration_if_needed

    args = cli_parser.get_parser().parse_args(list(argv))
    write_default_airflow_configuration_if_needed()
    args.func(args)


# Logs a line per permission and role it syncs when the app starts: hundreds, on every `up`.
QUIET_LOGGERS = ("airflow.providers.fab.auth_manager.security_manager.override",)


def ensure_admin(username: str, password: str) -> str:
    """Create the admin user, or set the existing one's password; says which."""
    from airflow.providers.fab.auth_manager.cli_commands.utils import get_application_builder

    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    with get_application_builder() as appbuilder:
        security = appbuilder.sm
        user = security.find_user(username=username)
        if user is not None:
            if not security.reset_password(user.id, password):
                raise AirfleetError(f"could not set the password of admin user '{username}'")
            return f"admin user '{username}' exists; its password is set from the env file"
        if not security.add_user(username, "Airflow", "Admin", f"{username}@localhost",
                                 security.find_role("Admin"), password):
            raise AirfleetError(f"could not create admin user '{username}'")
        return f"created admin user '{username}'"


def main() -> int:
    password = os.environ.get("AIRFLOW_ADMIN_PASSWORD")
    if not password:
        log("AIRFLOW_ADMIN_PASSWORD is not set; generate .env with 'airfleet init'")
        return 1
    log("migrating the metadata database")
    airflow("db", "migrate")
    try:
        log(ensure_admin(os.environ.get("AIRFLOW_ADMIN_USER") or "admin", password))
    except AirfleetError as error:
        log(str(error))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
