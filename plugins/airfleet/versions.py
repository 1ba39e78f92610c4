"""Known-broken combinations of installed packages, checked by tests and `airfleet doctor`."""

from __future__ import annotations

import argparse
from importlib import metadata

from airfleet import __version__

# (package, version, package, version, why): these two versions together do not work.
KNOWN_BROKEN: tuple[tuple[str, str, str, str, str], ...] = (
    ("celery", "5.7.0", "apache-airflow-providers-celery", "3.26.0",
     "cannot import name 'retry' from 'celery.backends.database'; pin celery 5.6.3 / kombu 5.6.2"),
)


def installed_versions() -> dict[str, str]:
    return {dist.metadata["Name"].lower(): dist.version for dist in metadata.distributions()}


def broken_combinations(installed: dict[str, str]) -> list[str]:
    """Describe every known-broken combination present in `installed` (name -> version)."""
    return [
        f"{a} {va} with {b} {vb}: {why}"
        for a, va, b, vb, why in KNOWN_BROKEN
        if installed.get(a) == va and installed.get(b) == vb
    ]


def _installed(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def show(args: argparse.Namespace) -> int:
    """`airfleet version`: this package and the versions a bug report needs."""
    print(f"airfleet {__version__}")
    for name in ("apache-airflow", "apache-airflow-providers-celery", "celery"):
        version = _installed(name)
        if version:
            print(f"{name} {version}")
    return 0
