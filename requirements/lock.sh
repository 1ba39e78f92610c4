#!/usr/bin/env bash
# Re-resolve requirements/constraints.txt, the one lock used by the image and by .venv.
# Run only when an .in file changes; commit the result.
set -euo pipefail
cd "$(dirname "$0")"
uv pip compile --quiet --universal --python-version 3.11 \
  --no-header --annotation-style line --excludes excludes.txt dev.in -o constraints.txt
