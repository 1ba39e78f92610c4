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
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from airfleet.errors import AirfleetError

# Passwords end up inside connection URLs (mysql://user:PASSWORD@host), so only URL-safe characters.
_URLSAFE = re.compile(r"^[A-Za-z0-9_-]{16,}$")
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_PORT = re.compile(r"^[0-9]{1,5}$")
_ADDRESS = re.compile(r"^[0-9A-Fa-f.:]+$")
_COUNT_OR_OFF = re.compile(r"^([1-9][0-9]*|off)$")  # retention settings (airfleet.retention)


class EnvFileError(AirfleetError, ValueError):
    """A problem with the env file; the message names the variable and the fix."""


def _password() -> str:
    return secrets.token_hex(20)  # hex: safe in URLs and never starts with "-"


def _signing_key() -> str:
    return secrets.token_hex(32)  # 64 bytes: the minimum PyJWT recommends for HS512 signatures


def _fernet_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def _is_fernet_key(value: str) -> bool:
    """One key, or several separated by commas (new first) while rotating."""
    try:
        return all(len(base64.urlsafe_b64decode(key.encode())) == 32 for key in value.split(","))
    except ValueError:
        return False


@dataclass(frozen=True)
class Setting:
    name: str
    default: Callable[[], str] | None  # None: optional, never generated
    valid: Callable[[str], bool]
    expected: str
    secret: bool = True


def _const(value: str) -> Callable[[], str]:
    return lambda: value


def _is_pem_bundle(value: str) -> bool:
    path = Path(value)
    try:
        return path.is_absolute() and "-----BEGIN CERTIFICATE-----" in path.read_text(errors="replace")
    except OSError:
        return False


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
    Setting("AIRFLOW_FERNET_KEY", _fernet_key, _is_fernet_key,
            "a Fernet key (32 url-safe base64 bytes; several, new first, separated by commas)"),
    Setting("AIRFLOW_API_SECRET_KEY", _signing_key, _URLSAFE.match, "16+ characters of A-Z a-z 0-9 _ -"),
    Setting("AIRFLOW_JWT_SECRET", _signing_key, _URLSAFE.match, "16+ characters of A-Z a-z 0-9 _ -"),
    # The metadata database's engine (docker/mysql or docker/postgresql); MYSQL_* are its passwords
    # whichever engine it is.
    Setting("AIRFLEET_DB", None, re.compile(r"^(mysql|postgresql)$").match, "mysql or postgresql", False),
    Setting("MYSQL_ROOT_PASSWORD", _password, _URLSAFE.match, "16+ characters of A-Z a-z 0-9 _ -"),
    Setting("MYSQL_PASSWORD", _password, _URLSAFE.match, "16+ characters of A-Z a-z 0-9 _ -"),
    Setting("REDIS_PASSWORD", _password, _URLSAFE.match, "16+ characters of A-Z a-z 0-9 _ -"),
    # Optional: a private image registry and package index, extra CA certificates, Airflow's examples.
    Setting("AIRFLEET_REGISTRY", None, re.compile(r"^[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[a-z0-9._-]+)*$").match,
            "a registry and optional path, e.g. registry.example:5000/data", False),
    Setting("AIRFLEET_PIP_INDEX_URL", None, re.compile(r"^https?://[^\s'\"]+$").match,
            "an http(s) URL of a PEP 503 index, e.g. https://pypi.example/simple", False),
    Setting("AIRFLEET_PIP_TRUSTED_HOST", None, re.compile(r"^[A-Za-z0-9.:-]+( [A-Za-z0-9.:-]+)*$").match,
            "host names separated by spaces", False),
    Setting("AIRFLEET_CA_BUNDLE", None, _is_pem_bundle,
            "the absolute path of a readable PEM file of CA certificates", False),
    *(Setting(name, None, _COUNT_OR_OFF.match, f"a whole number of {unit} above 0, or off", False)
      for name, unit in (("AIRFLEET_LOG_RETENTION_DAYS", "days"), ("AIRFLEET_LOG_RETENTION_MB", "megabytes"),
                         ("AIRFLEET_DB_RETENTION_DAYS", "days"))),
    Setting("AIRFLEET_LOAD_EXAMPLES", None, re.compile(r"^(True|False|true|false)$").match, "True or False", False),
)


_KEY = re.compile(r"^(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_]*)[ \t]*=[ \t]*(.*)$")


def _value(rest: str, where: str) -> str:
    """One value as Compose reads it: 'single' quotes literal, "double" quotes, or bare with an
    optional ` # comment`. A `$` would be interpolated by Compose (and read differently by v1 and
    v2), so it is accepted only inside single quotes."""
    if rest[:1] in ("'", '"'):
        quote = rest[0]
        close = rest.find(quote, 1)
        while quote == '"' and close > 0 and rest[close - 1] == "\\":
            close = rest.find(quote, close + 1)
        if close < 0:
            raise EnvFileError(f"{where}: the {quote} quote is not closed on its line; close it or remove it")
        value, after = rest[1:close], rest[close + 1:].strip()
        if after and not after.startswith("#"):
            raise EnvFileError(f"{where}: text after the closing quote; remove it or put it inside the quotes")
        if quote == "'":
            return value
        if "\\" in value.replace('\\"', ""):
            raise EnvFileError(f"{where}: backslashes in double quotes are read differently by Compose v1 and v2; "
                               "use single quotes")
        value = value.replace('\\"', '"')
    else:
        value = re.split(r"[ \t]#", rest, maxsplit=1)[0].strip()
        if value[:1] == "#":
            value = ""
    if "$" in value:
        raise EnvFileError(f"{where}: Compose would expand the '$' in this value; put the value in single quotes")
    return value


def parse(text: str, path: Path) -> dict[str, str]:
    """Parse an env file with the rules Compose (v1 and v2) reads it by: blank lines and `#` lines
    skipped, CRLF line ends, an optional `export `, quoted or bare values. What they would read
    differently, or reject, is an error naming the line, so every reader agrees."""
    values: dict[str, str] = {}
    for number, raw in enumerate(text.replace("\r\n", "\n").split("\n"), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        where = f"{path}:{number}"
        match = _KEY.match(line)
        if not match:
            raise EnvFileError(f"{where}: not a KEY=VALUE line; fix or delete that line")
        key = match.group(1)
        if key in values:
            raise EnvFileError(f"{where}: {key} is set twice; keep one of the lines")
        values[key] = _value(match.group(2), f"{where}: {key}")
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


# Secrets the cluster's data depends on: the Fernet key encrypts stored connections and variables;
# the database passwords were set in the server when its volume was created. A new value locks the
# cluster out of what it holds, so one is generated only while no such data exists.
DATA_SECRETS = ("AIRFLOW_FERNET_KEY", "MYSQL_ROOT_PASSWORD", "MYSQL_PASSWORD")


def init(path: Path, existing_data: Sequence[str] = ()) -> list[str]:
    """Create or complete the env file; returns the names it added. Never overwrites a value, and
    never generates a secret that `existing_data` (e.g. the project's volumes) depends on. Keeps the
    file it replaces as a private, timestamped backup beside it."""
    text = path.read_text() if path.exists() else ""
    values = parse(text, path)
    validate(values, path)
    added = [s for s in SETTINGS if s.default and s.name not in values]
    bound = [s.name for s in added if s.name in DATA_SECRETS]
    if bound and existing_data:
        backups = sorted(path.parent.glob(f"{path.name}.backup-*"))
        where = f"the latest backup is {backups[-1]}" if backups else "or from the backup you keep of it"
        raise EnvFileError(
            f"{path}: {', '.join(bound)} missing, but data that depends on it exists ({', '.join(existing_data)}); "
            f"restore the line(s) from your copy of {path.name} ({where}). A new value would lock the cluster out "
            "of its database or make stored connections unreadable; to start afresh instead, delete the data "
            "first (bin/down --volumes)")
    if not added and path.exists():
        os.chmod(path, 0o600)
        return []
    lines = [text.rstrip("\n")] if text.strip() else [
        "# Airfleet cluster configuration, read by docker compose and by every Airflow role.",
        "# Generated by `airfleet init`; keep it secret (mode 0600) and out of version control.",
    ]
    lines += [f"{s.name}={s.default()}" for s in added if s.default]
    if text:
        _write_private(_backup_name(path), text)
    _write_private(path, "\n".join(lines) + "\n")
    return [s.name for s in added]


def _backup_name(path: Path) -> Path:
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    candidate, number = path.with_name(f"{path.name}.backup-{stamp}"), 1
    while candidate.exists():  # two rewrites within a second keep both
        number += 1
        candidate = path.with_name(f"{path.name}.backup-{stamp}-{number}")
    return candidate


def load(path: Path) -> dict[str, str]:
    """Read and validate a complete env file; a missing variable is an error naming it."""
    if not path.exists():
        raise EnvFileError(f"{path} does not exist; run `airfleet init` to create it")
    values = parse(path.read_text(), path)
    validate(values, path)
    missing = [s.name for s in SETTINGS if s.default and s.name not in values]
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


def dump(path: Path) -> str:
    """The file's values as NUL-separated KEY=VALUE records, for bin/lib.sh's env_value."""
    if not path.is_file():
        raise EnvFileError(f"{path} does not exist; run `airfleet init` (bin/up does) or pass the right --env-file")
    values = parse(path.read_text(), path)
    validate(values, path)
    return "".join(f"{key}={value}\0" for key, value in values.items())
