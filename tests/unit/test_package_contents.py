"""The installed `airfleet` package (and so the airflow image) holds only what runs in the cluster:
test and benchmark tooling lives in tests/ and benchmarks/, which a checkout has and the image has not."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).parents[2]
PACKAGE = ROOT / "plugins" / "airfleet"
TEST_ONLY = {"tests", "benchmarks", "aiosmtpd", "moto", "pytest", "testcontainers"}


def imported_top_names(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_no_module_of_the_package_imports_test_tooling():
    found = {str(path.relative_to(ROOT)): sorted(imported_top_names(path) & TEST_ONLY)
             for path in sorted(PACKAGE.rglob("*.py"))}
    assert {path: names for path, names in found.items() if names} == {}
