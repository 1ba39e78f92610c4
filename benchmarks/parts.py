"""Reading py-spy's sampled stacks: each stack's own function, and which part of a role it is.

A stack is a tuple of frames, outermost first: `process PID:"CMDLINE"` frames (py-spy's
--subprocesses), then Python frames as `name (path/file.py:LINE)`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable

LINE = re.compile(r":\d+\)$")
# The function of each role's main loop: a sample's part is the call the loop was making.
LOOPS = {
    "scheduler": "SchedulerJobRunner._run_scheduler_loop",
    "dag-processor": "DagFileProcessorManager._run_parsing_loop",
    "triggerer": "TriggerRunnerSupervisor._service_subprocess",
}


def function(frame: str) -> str:
    """`name (path/file.py:123)` -> `name (path/file.py)`: a function, whichever line was running."""
    return LINE.sub(")", frame)


def name(frame: str) -> str:
    return frame.split(" (", 1)[0]


def own(stacks: Counter[tuple[str, ...]]) -> Counter[str]:
    """Samples by the innermost function: where the CPU itself was spent."""
    counts: Counter[str] = Counter()
    for stack, n in stacks.items():
        counts[function(stack[-1])] += n
    return counts


def process(stack: tuple[str, ...]) -> str:
    """The command line of the innermost process, e.g. `airflow worker -- 01a2...`."""
    procs = [frame for frame in stack if frame.startswith("process ")]
    return procs[-1].split(":", 1)[1].strip('"') if procs else ""


def frames_in(stack: tuple[str, ...], path: str) -> list[str]:
    return [frame for frame in stack if path in frame and not frame.startswith("process ")]


def after(stack: tuple[str, ...], loop: str) -> str | None:
    """The call `loop` was making in this sample, if `loop` is on the stack."""
    names = [name(frame) for frame in stack]
    if loop in names:
        i = names.index(loop)
        return names[i + 1] if i + 1 < len(names) else loop
    return None


def importing(stack: tuple[str, ...]) -> bool:
    return any(name(frame) == "_find_and_load" for frame in stack)


def worker_part(stack: tuple[str, ...]) -> str:
    cmd = process(stack)
    if cmd.startswith("airflow serve-logs"):
        return "log server"
    if cmd.startswith("airflow worker -- ") or any(name(frame) == "_fork_main" for frame in stack):
        return "task process: imports" if importing(stack) else "task process"
    if ":MainProcess]" in cmd:
        return "celery main process"
    if any(name(frame) == "DatabaseBackend._store_result" for frame in stack):
        return "celery result backend (metadata DB)"
    if importing(stack):
        return "pool process: imports"
    if any(name(frame) == "supervise_task" for frame in stack):
        return "supervisor"
    return "pool process: celery"


def api_server_part(stack: tuple[str, ...]) -> str:
    if "airfleet.retention" in process(stack):
        return "log retention (airfleet)"
    for path, label in (("execution_api/routes/", "execution API"), ("core_api/routes/", "REST API"),
                        ("airfleet/", "airfleet")):
        found = frames_in(stack, path)
        if found:
            return f"{label}: {name(found[0])}"
    return "server (uvicorn, middleware, auth)"


def loop_part(role: str) -> Callable[[tuple[str, ...]], str]:
    def part(stack: tuple[str, ...]) -> str:
        if "airfleet.retention" in process(stack):
            return "metadata retention (airfleet)"
        call = after(stack, LOOPS[role])
        if call:
            return f"loop: {call}"
        return "outside the loop" + (": imports" if importing(stack) else "")
    return part


PARTS: dict[str, Callable[[tuple[str, ...]], str]] = {
    "worker": worker_part, "api-server": api_server_part, **{role: loop_part(role) for role in LOOPS},
}


def split(role: str, stacks: Counter[tuple[str, ...]]) -> Counter[str]:
    """Samples by part of the role (benchmarks.parts.PARTS); a role without rules is one part."""
    part = PARTS.get(role, lambda stack: role)
    counts: Counter[str] = Counter()
    for stack, n in stacks.items():
        counts[part(stack)] += n
    return counts
