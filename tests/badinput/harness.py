"""The bad-input promise, checked the same way for every entry point: exit code 1 or 2 (or HTTP
4xx), one line naming the problem and the fix (plus at most one hint line), no traceback, no secret
echoed, and nothing that was there before changed."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

ROOT = Path(__file__).parents[2]
# Distinctive, so a leak cannot hide behind a common word.
SECRET = "pw-Zq8vK3xT0secret"


def environment(home: Path, **extra: str) -> dict[str, str]:
    """This checkout's package, none of the caller's cluster settings, Airflow's files under `home`."""
    keep = {name: value for name, value in os.environ.items()
            if not name.startswith(("AIRFLEET_", "AIRFLOW_", "AIRFLOW__")) and name != "PYTHONPATH"}
    return {**keep, "PYTHONPATH": f"{ROOT / 'plugins'}{os.pathsep}{ROOT}", "AIRFLOW_HOME": str(home), **extra}


def run(argv: Sequence[str], env: dict[str, str], cwd: Path, stdin: str | None = None,
        timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(argv), env=env, cwd=cwd, input=stdin, capture_output=True, text=True,
                          timeout=timeout, stdin=None if stdin is not None else subprocess.DEVNULL)


def airfleet(*argv: str, home: Path, env: dict[str, str] | None = None,
             stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return run([sys.executable, "-m", "airfleet", *argv], environment(home, **(env or {})), home, stdin)


def fingerprint(paths: Iterable[Path]) -> dict[str, str]:
    """Every file under `paths`: its content's hash and its mode, to prove nothing was changed."""
    found = {}
    for top in paths:
        for path in sorted([top] if top.is_file() else top.rglob("*")):
            if path.is_file():
                found[str(path)] = f"{hashlib.sha256(path.read_bytes()).hexdigest()} {path.stat().st_mode:o}"
    return found


def assert_refused(result: subprocess.CompletedProcess[str], says: str | Sequence[str], codes: tuple[int, ...] = (1, 2),
                   secrets: Sequence[str] = (SECRET,), max_lines: int = 2) -> None:
    """The command refused as promised; `says` are parts of the first line, or of the output."""
    output = (result.stdout + result.stderr).strip()
    lines = [line for line in output.splitlines() if line.strip()]
    assert result.returncode in codes, f"exit {result.returncode}, wanted {codes}:\n{output}"
    assert "Traceback" not in output, output
    assert 1 <= len(lines) <= max_lines, f"{len(lines)} lines:\n{output}"
    for part in [says] if isinstance(says, str) else says:
        assert part in output, f"{part!r} not in:\n{output}"
    for secret in secrets:
        assert secret not in output, f"a secret is echoed:\n{output}"
