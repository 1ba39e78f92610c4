#!/usr/bin/env bash
# Lint: shell scripts with shellcheck, Python with ruff (rules in pyproject.toml's [tool.ruff]).
#   AIRFLEET_LINT_PATHS   the Python files or folders ruff checks (default: plugins dags tests benchmarks)
set -euo pipefail
# shellcheck source=ci/lib.sh
source "$(dirname "$0")/lib.sh"

# ruff from the checkout's .venv (bin/test makes it from the lock), else one installed for python3
# (a CI image: pip install the pinned version).
ruff_command() {
  if [[ -x $ROOT/.venv/bin/ruff ]]; then
    RUFF=("$ROOT/.venv/bin/ruff")
  elif python3 -m ruff --version >/dev/null 2>&1; then
    RUFF=(python3 -m ruff)
  else
    local pinned
    pinned=$(sed -n 's/^\(ruff==[^ ]*\).*/\1/p' "$ROOT/requirements/constraints.txt")
    die "ruff is missing; run bin/test once (it makes .venv), or: python3 -m pip install ${pinned:-ruff}"
  fi
}

command -v shellcheck >/dev/null || die "shellcheck is missing; install it (apt-get install shellcheck)"
ruff_command
step "shellcheck"
shellcheck -x "$ROOT"/bin/up "$ROOT"/bin/down "$ROOT"/bin/test "$ROOT"/bin/lib.sh "$ROOT"/sbin/*.sh \
  "$ROOT"/ci/*.sh "$ROOT"/docker/*/*.sh "$ROOT"/tests/support/*.sh "$ROOT"/.ci/run "$ROOT"/requirements/lock.sh
step "ruff"
read -r -a paths <<<"${AIRFLEET_LINT_PATHS:-plugins dags tests benchmarks}"
(cd "$ROOT" && "${RUFF[@]}" check --no-cache --config "$ROOT/pyproject.toml" "${paths[@]}")
echo "lint: ok" >&2
