"""The role list is spelled once per language: airfleet.roles for Python, bin/lib.sh's ROLES for the
node scripts, and the image entrypoint's case statement (it runs inside the image, without bin/lib.sh).
These tests keep the three in step."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from airfleet import health, nodeenv, roles

ROOT = Path(__file__).parents[2]
NOT_ROLES = {"init", "version", "*"}  # the entrypoint's other commands


def shell(script: str) -> str:
    result = subprocess.run(["bash", "-c", f"source bin/lib.sh && {script}"], cwd=ROOT, capture_output=True,
                            text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def entrypoint_roles() -> set[str]:
    text = (ROOT / "docker" / "airflow" / "entrypoint.sh").read_text()
    body = re.search(r"^main\(\) \{\n(.*?)^\}", text, re.S | re.M).group(1)
    cases = re.search(r"case \$role in\n(.*?)\n\s*esac", body, re.S).group(1)
    patterns = re.findall(r"^[ \t]*([a-z*][a-z| *-]*)\)", cases, re.M)
    return {name.strip() for pattern in patterns for name in pattern.split("|")} - NOT_ROLES


def test_the_shell_library_and_the_entrypoint_name_the_python_roles():
    assert shell('echo "${ROLES[@]}"').split() == list(roles.ROLES)
    assert entrypoint_roles() == set(roles.ROLES)


def test_the_shell_library_and_python_resolve_the_same_aliases():
    for alias, role in roles.ALIASES.items():
        assert shell(f"canonical_role {alias}") == role == roles.canonical(alias)
    assert shell("canonical_role nonsense || echo refused") == "refused"


def test_every_role_has_a_health_check_and_a_node_environment():
    assert set(roles.ROLES) <= set(health.CHECKS)
    rendered = "services:\n" + "".join(f"  {role}:\n    environment: {{ROLE: {role}}}\n" for role in roles.ROLES)
    for name in [*roles.ROLES, *roles.ALIASES]:
        assert nodeenv.role_environment(rendered, name) == {"ROLE": roles.canonical(name)}
