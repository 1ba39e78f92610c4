"""Free loopback ports, so parallel sessions and throw-away clusters never collide."""

from __future__ import annotations

import socket


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on at this moment (the OS picks it; it stays free until reused)."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]
