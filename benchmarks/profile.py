"""`python -m benchmarks profile`: where the CPU goes. A throw-away cluster with the shipped settings;
every Airflow role sampled with py-spy (its whole process tree, task processes included) during an
idle window and during a no-op fan-out. Per phase and role it writes the sampled stacks (`ROLE.txt`,
py-spy's raw format) and a flame graph of them (`ROLE.svg`) under the results folder, and prints as
JSON: the CPU each role and each kind of process in it used (Docker engine and /proc: exact, also
per task), and from the samples, shares: the top functions by own samples and the parts of each role
(benchmarks/parts.py).
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks import flamegraph, parts, procs, quiet
from benchmarks.scenarios import Probe, build_images, fanout, log
from tests.support.cluster import ComposeCluster

ROLES = ("api-server", "scheduler", "dag-processor", "triggerer", "worker", "flower")
# Samples per second per process. py-spy's default of 100 costs the
# sampler about 3 CPU-s per second on a worker with 16 task slots (mostly system time), more than
# the cluster's own work on 2 cores; 20 keeps it under one core.
RATE = 20
PY_SPY = Path(sys.executable).with_name("py-spy")


class Unavailable(RuntimeError):
    """The profile cannot run here; the message says what is missing."""


def host_pid(cluster: ComposeCluster, role: str) -> int:
    containers = cluster.containers(role)
    if not containers:
        raise RuntimeError(f"no {role} container in {cluster.project}")
    return containers[0]["State"]["Pid"]


class Sampler:
    """py-spy on each role's process tree, raw stacks only (the flame graphs are drawn from them).
    py-spy runs in the container's PID namespace with its own /proc: from the host's, a thread's
    namespaced id matches no task, and py-spy then counts every waiting thread as busy. --gil: only
    the thread holding the GIL is sampled; without it, threads waiting on a lock, a socket or MySQL
    still counted as busy on a loaded machine. Even so a worker's sample count runs above its CPU
    (its many short-lived forked processes), so samples give shares and /proc and Docker give the
    seconds. --nonblocking: the roles are never paused."""

    def __init__(self, pids: dict[str, int], folder: Path, seconds: float | None = None) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.started = time.monotonic()
        self.procs = []
        for role, pid in pids.items():
            args = ["nsenter", "--target", str(pid), "--pid", "--", "unshare", "--mount", "--mount-proc",
                    str(PY_SPY), "record", "--pid", "1", "--subprocesses", "--gil", "--nonblocking",
                    "--rate", str(RATE), "--format", "raw", "--output", str(folder / f"{role}.txt")]
            if seconds:
                args += ["--duration", str(round(seconds))]
            self.procs.append(subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                               text=True, start_new_session=True))

    def stop(self) -> dict[str, float]:
        """Stop (py-spy writes its file on SIGINT); the seconds sampled and the sampler's own CPU."""
        seconds = time.monotonic() - self.started
        for proc in self.procs:
            if proc.poll() is None:
                for pid in session(proc.pid):  # py-spy, not nsenter: nsenter would die before it
                    os.kill(pid, signal.SIGINT)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        for proc in self.procs:
            _, err = proc.communicate(timeout=120)
            if proc.returncode not in (0, -signal.SIGINT):
                raise RuntimeError(f"py-spy failed ({proc.returncode}): {err.strip()[-2000:]}")
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        own = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
        return {"seconds": round(seconds, 1), "sampler_cpu_s": round(own, 1)}


def session(sid: int) -> list[int]:
    """The processes of session `sid` but its leader."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == sid:
            continue
        try:
            if int(procs.stat(entry.name)[3]) == sid:
                found.append(int(entry.name))
        except OSError:
            continue  # ended meanwhile
    return found


def read_raw(path: Path) -> Counter[tuple[str, ...]]:
    """py-spy's raw format: one `frame;frame;...;frame COUNT` line per distinct stack, outermost first."""
    stacks: Counter[tuple[str, ...]] = Counter()
    if path.exists():
        for line in path.read_text().splitlines():
            frames, _, count = line.rpartition(" ")
            if frames and count.isdigit():
                stacks[tuple(frames.split(";"))] += int(count)
    return stacks


def summarise(folder: Path, tasks: int, cpu_by_role: dict[str, float], by_process: dict[str, dict[str, float]],
              sampling: dict[str, float], top: int) -> dict[str, Any]:
    """Per role: the CPU the Docker engine accounted and /proc's split by process, which are exact;
    and from the samples, shares: the top functions by own samples and the parts (benchmarks/parts.py).
    Shares, not seconds: py-spy's idle detection is unreliable on a loaded machine (see Sampler)."""
    roles: dict[str, Any] = {}
    for role in ROLES:
        stacks = read_raw(folder / f"{role}.txt")
        (folder / f"{role}.svg").write_text(flamegraph.render(stacks, f"{role}, {folder.name}"))
        sampled = sum(stacks.values()) or 1
        roles[role] = {
            "cpu_s": cpu_by_role.get(role),
            "cpu_s_by_process": by_process[role],
            "samples": sum(stacks.values()),
            "top_own": {name: round(n / sampled, 3) for name, n in parts.own(stacks).most_common(top)},
            "parts": {name: round(n / sampled, 3) for name, n in parts.split(role, stacks).most_common()},
        }
    figures = {**sampling, "tasks": tasks, "roles": roles,
               "other_services_cpu_s": {role: cpu for role, cpu in cpu_by_role.items() if role not in ROLES}}
    if tasks:
        figures["cpu_ms_per_task"] = {role: round(1000 * cpu / tasks, 1) for role, cpu in cpu_by_role.items()}
        figures["cpu_ms_per_task_by_process"] = {
            role: {kind: round(1000 * cpu / tasks, 1) for kind, cpu in by_process[role].items()} for role in ROLES}
    return figures


def measure(pids: dict[str, int], probe: Probe, folder: Path, tasks: int, top: int,
            action: Callable[[], Any], seconds: float | None = None) -> tuple[Any, dict[str, Any]]:
    """Run `action` with every role sampled; its result and the phase's figures."""
    cpu_before, procs_before = probe.sample(), {role: procs.snapshot(pid) for role, pid in pids.items()}
    sampler = Sampler(pids, folder, seconds)
    result = action()
    sampling = sampler.stop()
    by_process = {role: procs.cpu_by_kind(procs_before[role], procs.snapshot(pid)) for role, pid in pids.items()}
    cpu_after = probe.sample()
    figures = summarise(folder, tasks, Probe.cpu_delta(cpu_before, cpu_after), by_process, sampling, top)
    figures["memory_mb_after"] = {role: round(value["memory_mb"], 1) for role, value in cpu_after.items()}
    return result, figures


def profile(root: Path, out: Path, tasks: int, idle_seconds: float, top: int) -> dict[str, Any]:
    log("building the images (cached layers are reused)")
    build_images(root)
    with tempfile.TemporaryDirectory() as tmp:
        cluster = ComposeCluster.throwaway(root, Path(tmp), f"airfleet-profile-{uuid.uuid4().hex[:6]}")
        try:
            log("starting a throw-away cluster with the shipped settings")
            cluster.up()
            probe = Probe(cluster.project)
            pids = {role: host_pid(cluster, role) for role in ROLES}
            cluster.client().wait_for_dag("airfleet_fanout", timeout=300)
            time.sleep(10)  # let the first parse of every DAG file settle
            figures: dict[str, Any] = {}

            log(f"idle window: {idle_seconds:.0f} s")
            _, figures["idle"] = measure(pids, probe, out / "idle", 0, top, lambda: time.sleep(idle_seconds),
                                         idle_seconds)
            log(f"fan-out of {tasks} no-op tasks")
            run, figures["fanout"] = measure(pids, probe, out / "fanout", tasks, top,
                                             lambda: fanout(cluster, probe, tasks))
            figures["fanout"]["run"] = {key: run[key] for key in ("wall_s", "tasks_per_s", "queued_to_start_s")}
            return figures
        finally:
            cluster.down(volumes=True)


def main(root: Path, options: dict[str, Any]) -> dict[str, Any]:
    out = Path(options["out"] or root / ".build" / f"profile-{time.strftime('%Y%m%d-%H%M%S')}").resolve()
    if not PY_SPY.exists():
        raise Unavailable(f"py-spy is missing from {PY_SPY.parent}; run bin/test once to create the test environment")
    if not (shutil.which("nsenter") and shutil.which("unshare")):
        raise Unavailable("nsenter and unshare are missing; install util-linux")
    if os.geteuid() != 0:
        raise Unavailable("py-spy reads the roles' memory from the host: run the profile as root")
    if options["allow_load"]:
        load = quiet.load_average()
    else:
        load = quiet.wait_for_quiet(options["max_load"], options["quiet_wait"])
    log(f"results in {out}; load average {load} at the start")
    figures = profile(root, out, options["profile_tasks"], options["idle_seconds"], options["top"])
    return {"load_at_start": load, **figures}
