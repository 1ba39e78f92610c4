"""Exact CPU of each kind of process in a container, from /proc: two snapshots of every process in
the container's PID namespace, own CPU (utime + stime) and that of its reaped children (cutime +
cstime: a Celery pool process's finished task processes)."""

from __future__ import annotations

import os
import re
from collections import Counter
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")
# Command lines carry ids (task UUIDs, pool numbers, host names): a kind is its line without them.
KINDS = (
    (re.compile(r"ForkPoolWorker|^airflow supervisor: "), "celery pool process (supervisor)"),
    (re.compile(r"celeryd: .*MainProcess"), "celery main process"),
    (re.compile(r"^airflow worker -- "), "task process"),
)


Snapshot = dict[int, tuple[str, float, float]]  # pid -> (kind, own CPU-s, reaped children's CPU-s)


def kind(cmdline: str) -> str:
    for pattern, label in KINDS:
        if pattern.search(cmdline):
            return label
    return re.sub(r"[0-9a-f]{8}-[0-9a-f-]{27,}|\d+", "N", cmdline)[:80]


def stat(pid: int | str) -> list[str]:
    """/proc/PID/stat's fields after the command name (which may hold spaces): [0] is the state,
    [3] the session, [11:15] utime, stime, cutime, cstime. OSError once the process has ended."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def namespace(pid: int) -> str:
    return os.readlink(f"/proc/{pid}/ns/pid")


def snapshot(init_pid: int) -> Snapshot:
    """pid -> (kind, own CPU-s, reaped children's CPU-s) for every process of the container."""
    ns = namespace(init_pid)
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if namespace(int(entry.name)) != ns:
                continue
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
            fields = stat(entry.name)
        except OSError:
            continue  # ended meanwhile
        utime, stime, cutime, cstime = (int(x) / TICK for x in fields[11:15])
        found[int(entry.name)] = (kind(cmdline), utime + stime, cutime + cstime)
    return found


def cpu_by_kind(before: Snapshot, after: Snapshot) -> dict[str, float]:
    """CPU-s each kind used between the snapshots; a kind's reaped children count as `children of KIND`
    (Python's own processes ended in between and reaped by their parent show up there too)."""
    cpu: Counter[str] = Counter()
    for pid, (label, own, children) in after.items():
        _, own_before, children_before = before.get(pid, (label, 0.0, 0.0))
        cpu[label] += own - own_before
        if children > children_before:
            cpu[f"children of {label}"] += children - children_before
    return {label: round(value, 2) for label, value in cpu.most_common() if value >= 0.01}
