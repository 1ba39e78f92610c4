#!/usr/bin/env bash
# Deploy the merged commit: ask the cluster to refresh its Git DAG bundle now (Airflow's
# parseDagFile API), then wait until its DAGs are parsed at that commit, and report how long it took.
#   AIRFLEET_API_URL, AIRFLEET_API_USER, AIRFLEET_API_PASSWORD   the cluster and a login
#   AIRFLEET_DEPLOY_SHA   the commit (default: CI_COMMIT_SHA, or this checkout's HEAD)
#   AIRFLEET_DEPLOY_FILES the changed files, parsed first and waited for (default: the diff from
#                         AIRFLEET_DEPLOY_BEFORE or CI_COMMIT_BEFORE_SHA; without one, every DAG)
set -euo pipefail
# shellcheck source=ci/lib.sh
source "$(dirname "$0")/lib.sh"

for name in AIRFLEET_API_URL AIRFLEET_API_USER AIRFLEET_API_PASSWORD; do
  [[ -n ${!name:-} ]] || die "$name is not set; set it as a (masked) CI/CD variable"
done
export AIRFLEET_DEPLOY_SHA=${AIRFLEET_DEPLOY_SHA:-${CI_COMMIT_SHA:-$(git -C "$ROOT" rev-parse HEAD)}}
before=${AIRFLEET_DEPLOY_BEFORE:-${CI_COMMIT_BEFORE_SHA:-}}
if [[ -n $before && $before != 0000000000000000000000000000000000000000 ]] \
   && ! git -C "$ROOT" cat-file -e "$before^{commit}" 2>/dev/null; then
  # A force-push, or a shallow clone (GitLab's default depth), leaves the previous commit unknown here.
  say "the previous commit $before is not in this clone (a force-push, or a shallow clone: set GIT_DEPTH to 0); deploying every DAG"
  before=""
fi
if [[ -z ${AIRFLEET_DEPLOY_FILES:-} && -n $before && $before != 0000000000000000000000000000000000000000 ]]; then
  AIRFLEET_DEPLOY_FILES=$(git -C "$ROOT" diff --name-only "$before" "$AIRFLEET_DEPLOY_SHA" | tr '\n' ' ')
fi
export AIRFLEET_DEPLOY_FILES=${AIRFLEET_DEPLOY_FILES:-}
step "deploying $AIRFLEET_DEPLOY_SHA to $AIRFLEET_API_URL"
airfleet_cli deploy
