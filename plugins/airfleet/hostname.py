"""The value of `[core] hostname_callable` for every role.

Rule: `AIRFLOW_HOST_NAME` when set (the name other nodes use to reach this one), otherwise the
address this machine's own name resolves to when that is not a loopback address, otherwise the
fully qualified name. Airflow stores it as the task instance's hostname and fetches running task
logs from http://{hostname}:8793, so it must be reachable from the api-server; and the task
heartbeat compares it on every beat, so it is computed once and never changes for the process.
"""

from __future__ import annotations

import functools
import ipaddress
import os
import socket


def _routable_address() -> str | None:
    try:
        address = socket.gethostbyname(socket.gethostname())
    except OSError:
        return None
    return None if ipaddress.ip_address(address).is_loopback else address


@functools.cache
def get_hostname() -> str:
    configured = os.environ.get("AIRFLOW_HOST_NAME", "").strip()
    return configured or _routable_address() or socket.getfqdn()
