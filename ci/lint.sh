#!/usr/bin/env bash
# Lint: shell scripts with shellcheck, Python (DAGs and the package) must at least compile.
set -euo pipefail
# shellcheck source=ci/lib.sh
source "$(dirname "$0")/lib.sh"

command -v shellcheck >/dev/null || die "shellcheck is missing; install it (apt-get install shellcheck)"
step "shellcheck"
shellcheck -x "$ROOT"/bin/up "$ROOT"/bin/down "$ROOT"/bin/test "$ROOT"/bin/lib.sh "$ROOT"/sbin/*.sh \
  "$ROOT"/ci/*.sh "$ROOT"/docker/*/*.sh "$ROOT"/tests/support/*.sh "$ROOT"/.ci/run "$ROOT"/requirements/lock.sh
step "python syntax"
python3 -m compileall -q "$ROOT/dags" "$ROOT/plugins" "$ROOT/tests" >/dev/null
echo "lint: ok" >&2
