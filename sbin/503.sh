#!/usr/bin/env bash
# 503.sh ROLE [options]: stop a role started by 200.sh on this machine, gracefully.
# A worker gets SIGTERM, which is Celery's warm shutdown: it takes no new task and finishes the ones
# it runs; only when the drain timeout passes does Docker kill it. Other roles get SIGTERM and a
# bounded wait. Never SIGKILL first.
set -euo pipefail
# shellcheck source=bin/lib.sh
source "$(dirname "$0")/../bin/lib.sh"

usage() {
  role_usage >&2
  cat >&2 <<EOF
  --name NODE               the worker's node name given to 200.sh --name
  --drain-timeout SECONDS   worker: how long running tasks may take to finish (default 600)
  --timeout SECONDS         other roles: how long to wait after SIGTERM (default 60)
exit: 0 stopped or not running, 1 had to be killed or could not be stopped, 2 bad usage
EOF
  exit 2
}

NAME="" DRAIN_TIMEOUT=600 TIMEOUT=60

parse_args() {
  role_argument "$@"
  shift
  while [[ $# -gt 0 ]]; do
    case $1 in
      -h | --help) usage ;;
      --name | --drain-timeout | --timeout) [[ $# -ge 2 ]] || usage_error "$1 needs a value" ;;&
      --name) NAME=$2 ;;
      --drain-timeout) DRAIN_TIMEOUT=$2 ;;
      --timeout) TIMEOUT=$2 ;;
      *) usage_error "unknown option '$1'" ;;
    esac
    shift 2
  done
  [[ $DRAIN_TIMEOUT =~ ^[0-9]+$ ]] || usage_error "--drain-timeout '$DRAIN_TIMEOUT' is not a whole number of seconds"
  [[ $TIMEOUT =~ ^[0-9]+$ ]] || usage_error "--timeout '$TIMEOUT' is not a whole number of seconds"
  [[ -z $NAME || $ROLE == worker ]] || usage_error "--name is for the worker role"
}

main() {
  parse_args "$@"
  local name="airfleet-$ROLE${NAME:+-$NAME}" wait=$TIMEOUT code
  if [[ $(docker inspect -f '{{.State.Running}}' "$name" 2>/dev/null) != true ]]; then
    echo "$name: not running"
    exit 0
  fi
  if [[ $ROLE == worker ]]; then
    wait=$DRAIN_TIMEOUT
    echo "$name: draining (warm shutdown, up to ${wait}s for running tasks)" >&2
  fi
  docker stop --time "$wait" "$name" >/dev/null || { echo "$name: docker stop failed" >&2; exit 1; }
  code=$(docker inspect -f '{{.State.ExitCode}}' "$name")
  if [[ $code == 137 ]]; then
    echo "$name: did not stop within ${wait}s and was killed" >&2
    exit 1
  fi
  echo "$name: stopped"
}

main "$@"
