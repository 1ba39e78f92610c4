#!/usr/bin/env bash
# Import every DAG in a folder inside the same airflow image the cluster runs: import errors,
# dependency cycles, duplicate dag_ids and cluster-policy violations fail, naming file and error.
#   ci/validate.sh [DAG_FOLDER]   (default: dags)
set -euo pipefail
# shellcheck source=ci/lib.sh
source "$(dirname "$0")/lib.sh"

folder=$(cd "${1:-$ROOT/dags}" && pwd) || die "no DAG folder ${1:-dags}"
step "importing the DAGs in $folder inside $AIRFLOW_IMAGE"
if python3 -c 'import airflow' 2>/dev/null && command -v airfleet >/dev/null; then
  exec airfleet dags check "$folder"   # already inside the airflow image (GitLab job image)
fi
ensure_airflow_image
exec docker run --rm --network none -v "$folder:/opt/airflow/dags:ro" "$AIRFLOW_IMAGE" \
  airfleet dags check /opt/airflow/dags
