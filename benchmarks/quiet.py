"""Figures taken on a loaded machine cannot rank settings (a run at load 3-19 once chose settings
that halved throughput): wait until the load average is under a limit before each measured run,
refuse when it does not come down, and record the load each run started at."""

from __future__ import annotations

import os
import time
from collections.abc import Callable


class Loaded(RuntimeError):
    """The machine stayed busy; the message says how busy and what to do."""


def load_average() -> float:
    return round(os.getloadavg()[0], 2)


def wait_for_quiet(limit: float, patience_s: float, poll_s: float = 15.0,
                   read: Callable[[], float] = load_average, sleep: Callable[[float], None] = time.sleep) -> float:
    """The 1-minute load average once it is under `limit` (waiting up to `patience_s`); Loaded otherwise."""
    deadline = time.monotonic() + patience_s
    while True:
        load = read()
        if load < limit:
            return load
        if time.monotonic() >= deadline:
            raise Loaded(f"load average {load} is not under {limit} after {patience_s:.0f} s of waiting; stop other "
                         "work (other clusters, builds, tests) and run again, or pass --allow-load to measure anyway "
                         "(figures marked unreliable)")
        sleep(poll_s)
