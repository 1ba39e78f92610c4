#!/usr/bin/env bash
# The DAG tests: the unit tests, which import every DAG and check the package they use.
set -euo pipefail
# shellcheck source=ci/lib.sh
source "$(dirname "$0")/lib.sh"

step "DAG and unit tests"
exec "$ROOT/bin/test" "$ROOT/tests/unit" -q
