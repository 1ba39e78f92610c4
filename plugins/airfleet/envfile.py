"""The cluster's one configuration source: the `.env` file next to docker-compose.yml.

`airfleet init` creates it with freshly generated secrets and fills in what is missing. It never
overwrites a value that is already there, and refuses (changing nothing) when a value is malformed.
"""

from __future__ import annotations

import base64
import os
import re
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

# Passwords end up inside connection URLs (mysql://user:PASSWORD@host), so only URL-safe characters.
_URLSAFE = re.compile(r"^[A-Za-z0-9_-]{16,}$")
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_PORT = re.compile(r"^[0-9]{1,5}$")
_ADDRESS = re.compile(r"^[0-9A-Fa-f.:]+$")


class EnvFileError(ValueError):
    """A problem with the env file; the message names the variable and the fix."""


def _password() -> str:
    return secrets.token_hex(20)  # hex: safe in URLs and never starts with "-"


def _signing_key() -> str:
    return secrets.token_hex(32)  # 64 bytes: the minimum PyJWT recommends for HS512 signatures


def _fernet_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def _is_fernet_key(value: str) -> bool:
    try:
        return len(base64.urlsafe_b64decode(value.encode())) == 32
    except ValueError:
        return False


@dataclass(frozen=True)
class Setting:
    name: str
    default: Callable[[], str]
    valid: Callable[[str], bool]
    expected: str
    secret: bool = True


def _const(value: str) -> Callable[[], str]:
    return lambda: value


SETTINGS: tuple[Setting, ...] = (
    Setting("COMPOSE_PROJECT_NAME", _const("airfleet"), _NAME.match, "a lower-case name", False),
    Setting("AIRFLEET_BIND_ADDRESS", _const("127.0.0.1"), _ADDRESS.match,
            "an IP address to publish the UI and Flower on (0.0.0.0 for every interface)", False),
    Setting("AIRFLEET_API_PORT", _const("8080"), lambda v: bool(_PORT.match(v)) and 0 < int(v) < 65536,
            "a TCP port number", False),
    Setting("AIRFLEET_FLOWER_PORT", _const("5555"), lambda v: bool(_PORT.match(v)) and 0 < int(v) < 65536,
            "a TCP port number", False),
    Setting("AIRFLOW_ADMIN_USER", _const("admin"), _NAME.match, "a lower-case user name", False),
    Setting("AIRFLOW_ADMIN_PASSWORD", _password, _URLSAFE.match, "16+ characters of A-Z a-z 0-9 _ -"),
    Setting("FLOWER_USER", _const("admin"), _NAME.match, "a lower-case user name", False),
    Setting("FLOWER_PASSWORD", _password, _URLSAFE.match, "16+ characters of A-Z a-z 0-9 _ -"),
    Setting("AIRFLOW_FERNET_KEY", _fernet_key, _is_fernet_key, "a Fernet key (32 url-safe base64 bytes)"),
    Setting("AIRFLOW_API_SECRET_KEY", _signing_key, _URLSAFE.match, "16+ characters of A-Z a-z 0-9 _ -"),
    Setting("AIRFLOW_JWT_SECRET", _signing_key, _URLSAFE.match, "16+ characters of A-Z a-z 0-9 _ -"),
    Setting("MYSQL_ROOT_PASSWORD", _password, _URLSAFE.match, "16+ characters of A-Z a-z 0-9 _ -"),
    Setting("MYSQL_PASSWORD", _password, _URLSAFE.match, "16+ characters of A-Z a-z 0-9 _ -"),
    Setting("REDIS_PASSWORD", _password, _URLSAFE.match, "16+ characters of A-Z a-z 0-9 _ -"),
)


def parse(text: str, path: Path) -> dict[str, str]:
    """Parse KEY=VALUE lines (comments and blank lines allowed) the way compose reads them."""
    values: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        key = key.strip()
        if not sep or not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", key):
            raise EnvFileError(f"{path}:{number}: not a KEY=VALUE line: {raw!r}; fix or delete that line")
        if key in values:
            raise EnvFileError(f"{path}:{number}: {key} is set twice; keep one of the lines")
        values[key] = value.strip().strip("'\"")
    return values


def validate(values: dict[str, str], path: Path) -> None:
    for setting in SETTINGS:
        value = values.get(setting.name)
        if value is not None and not setting.valid(value):
            shown = "(hidden)" if setting.secret else repr(value)
            raise EnvFileError(
                f"{path}: {setting.name}={shown} is malformed: expected {setting.expected}. "
                f"Fix the value, or delete the line and run `airfleet init` to generate a new one"
                + (" (a new Fernet key makes stored connection passwords unreadable)."
                   if setting.name == "AIRFLOW_FERNET_KEY" else ".")
            )


def init(path: Path) -> list[str]:
    """Create or complete the env file; returns the names it added. Never overwrites a value."""
    text = path.read_text() if path.exists() else ""
    values = parse(text, path)
    validate(values, path)
    added = [s for s in SETTINGS if s.name not in values]
    if not added and path.exists():
        os.chmod(path, 0o600)
        return []
    lines = [text.rstrip("\n")] if text.strip() else [
        "# Airfleet cluster configuration, read by docker compose and by every Airflow role.",
        "# Generated by `airfleet init`; keep it secret (mode 0600) and out of version control.",
    ]
    lines += [f"{s.name}={s.default()}" for s in added]
    _write_private(path, "\n".join(lines) + "\n")
    return [s.name for s in added]


def load(path: Path) -> dict[str, str]:
    """Read and validate a complete env file; a missing variable is an error naming it."""
    if not path.exists():
        raise EnvFileError(f"{path} does not exist; run `airfleet init` to create it")
    values = parse(path.read_text(), path)
    validate(values, path)
    missing = [s.name for s in SETTINGS if s.name not in values]
    if missing:
        raise EnvFileError(f"{path}: missing {', '.join(missing)}; run `airfleet init` to add them")
    return values


def _write_private(path: Path, content: str) -> None:
    """Write atomically with mode 0600, so a crash never leaves a half-written secrets file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(content)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
