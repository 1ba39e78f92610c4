"""A small per-host file cache for what the factory reads from its database.

The dag-processor parses every file in a fresh process, so an in-memory cache would never be hit:
the cache lives in files (one per source, named by a hash of its key, so no URL or password is in
a file name) and is shared by every process on the host. Writes are atomic (rename).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TTL_ENV = "AIRFLEET_FACTORY_DB_TTL"
DIR_ENV = "AIRFLEET_FACTORY_CACHE_DIR"
DEFAULT_TTL = 30.0


@dataclass(frozen=True)
class Entry:
    value: Any
    fetched: float  # time.time() when read from the source

    @property
    def age(self) -> float:
        return time.time() - self.fetched


def ttl() -> float:
    return float(os.environ.get(TTL_ENV) or DEFAULT_TTL)


def directory() -> Path:
    return Path(os.environ.get(DIR_ENV) or Path(tempfile.gettempdir()) / f"airfleet-factory-{os.getuid()}")


def _path(key: str) -> Path:
    return directory() / f"{hashlib.sha256(key.encode()).hexdigest()[:32]}.json"


def load(key: str) -> Entry | None:
    try:
        data = json.loads(_path(key).read_text())
        return Entry(value=data["value"], fetched=float(data["fetched"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def store(key: str, value: Any) -> None:
    folder = directory()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=folder, suffix=".tmp")
    try:
        with os.fdopen(handle, "w") as out:
            json.dump({"fetched": time.time(), "value": value}, out)
        os.replace(temporary, _path(key))
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def clear() -> None:
    """Forget everything cached on this host (after a change, so this host sees it at once)."""
    for path in directory().glob("*.json"):
        path.unlink(missing_ok=True)
