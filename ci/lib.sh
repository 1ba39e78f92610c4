# Shared by the ci/ scripts.
# shellcheck shell=bash
# shellcheck source=bin/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../bin/lib.sh"

AIRFLOW_IMAGE=${AIRFLEET_IMAGE:-airfleet/airflow:$IMAGE_TAG}

step() { printf '\n== %s\n' "$*" >&2; }

# The airfleet command: installed (inside the airflow image), the test venv, or the image itself.
airfleet_cli() {
  if command -v airfleet >/dev/null && python3 -c 'import airflow' 2>/dev/null; then
    airfleet "$@"
  elif [[ -x $ROOT/.venv/bin/airfleet ]]; then
    "$ROOT/.venv/bin/airfleet" "$@"
  else
    ensure_airflow_image
    docker run --rm --network host -e AIRFLEET_API_URL -e AIRFLEET_API_USER -e AIRFLEET_API_PASSWORD \
      -e AIRFLEET_DEPLOY_SHA -e AIRFLEET_DEPLOY_FILES -e AIRFLEET_DEPLOY_TIMEOUT "$AIRFLOW_IMAGE" airfleet "$@"
  fi
}

ensure_airflow_image() {
  docker image inspect "$AIRFLOW_IMAGE" >/dev/null 2>&1 && return
  step "building $AIRFLOW_IMAGE"
  ensure_base_image
  stage_build_context
  build_image airflow
}
