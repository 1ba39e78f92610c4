"""ci/lint.sh is a real linter: ruff with the project's rules, not only a syntax check. It is run
here on one file through AIRFLEET_LINT_PATHS, so the test does not depend on the tree being clean."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]


def lint(path: Path) -> subprocess.CompletedProcess[str]:
    if shutil.which("shellcheck") is None:
        pytest.skip("shellcheck is not installed (apt-get install shellcheck; bin/test installs it as root)")
    # python3 is the interpreter running the tests, which has ruff from requirements/dev.in.
    environ = {**os.environ, "AIRFLEET_LINT_PATHS": str(path),
               "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    result = subprocess.run(["bash", str(ROOT / "ci" / "lint.sh")], env=environ, capture_output=True, text=True,
                            timeout=300)
    if "ruff is missing" in result.stderr:
        pytest.skip("ruff is not installed for this Python (requirements/dev.in has it)")
    return result


def test_lint_fails_on_an_unused_import(tmp_path):
    module = tmp_path / "unused.py"
    module.write_text('"""A module with an import it never uses."""\n\nimport os\n')
    result = lint(module)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "F401" in result.stdout and "unused.py" in result.stdout


def test_lint_passes_the_same_module_without_it(tmp_path):
    module = tmp_path / "clean.py"
    module.write_text('"""A module that uses what it imports."""\n\nimport os\n\nHOME = os.environ.get("HOME")\n')
    result = lint(module)
    assert result.returncode == 0, result.stdout + result.stderr
