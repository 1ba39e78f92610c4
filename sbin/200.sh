#!/usr/bin/env bash
# 200.sh ROLE [options]: start one Airflow role on this machine, joined to an existing Airfleet
# cluster described by a node env file, and wait until it is healthy.
set -euo pipefail
# shellcheck source=bin/lib.sh
source "$(dirname "$0")/../bin/lib.sh"

usage() {
  role_usage >&2
  cat >&2 <<EOF
  --env-file PATH     node env file (default /etc/airfleet/node.env): the cluster's .env values plus
                      AIRFLEET_DB_HOST, AIRFLEET_BROKER_HOST, AIRFLEET_API_URL, AIRFLEET_NODE_ADDRESS
  --timeout SECONDS   how long to wait for the role's health check (default 300)
  --image IMAGE       airflow image (default AIRFLEET_IMAGE from the env file, else
                      AIRFLEET_REGISTRY/airfleet/airflow:TAG, pulled when missing, else airfleet/airflow:local)
  --network NAME      Docker network to join (default AIRFLEET_NETWORK from the env file, or host)
  --dags DIR          DAG folder to mount (default AIRFLEET_DAGS_DIR from the env file, or $ROOT/dags)
 worker only:
  --queues Q1,Q2      queues to consume (default: the default queue)
  --concurrency N     task slots
  --name NODE         Celery node name; also names the container, so one machine can run several
  --docker-socket     give tasks the host's Docker (DockerOperator) through the socket's group
exit: 0 started or already started (with the same options and env file), 1 failed to become healthy
      or already running with other settings, 2 bad usage
EOF
  exit 2
}

say() { echo "200: $*" >&2; }

MISSING_MARKER=__airfleet_missing__
ENV_FILE=/etc/airfleet/node.env TIMEOUT=300 IMAGE="" NETWORK="" DAGS="" QUEUES="" CONCURRENCY="" NAME="" DOCKER_SOCKET=""

parse_args() {
  role_argument "$@"
  shift
  while [[ $# -gt 0 ]]; do
    case $1 in
      -h | --help) usage ;;
      --env-file | --timeout | --image | --network | --dags | --queues | --concurrency | --name)
        [[ $# -ge 2 ]] || usage_error "$1 needs a value" ;;&
      --env-file) ENV_FILE=$2; shift 2 ;;
      --timeout) TIMEOUT=$2; shift 2 ;;
      --image) IMAGE=$2; shift 2 ;;
      --network) NETWORK=$2; shift 2 ;;
      --dags) DAGS=$2; shift 2 ;;
      --queues) QUEUES=$2; shift 2 ;;
      --concurrency) CONCURRENCY=$2; shift 2 ;;
      --name) NAME=$2; shift 2 ;;
      --docker-socket) DOCKER_SOCKET=1; shift ;;
      *) usage_error "unknown option '$1'" ;;
    esac
  done
  [[ $TIMEOUT =~ ^[0-9]+$ ]] || usage_error "--timeout '$TIMEOUT' is not a whole number of seconds"
  [[ -z $CONCURRENCY || $CONCURRENCY =~ ^[1-9][0-9]*$ ]] || usage_error "--concurrency '$CONCURRENCY' is not a number of task slots above 0"
  [[ -z $NAME || $NAME =~ ^[a-z0-9][a-z0-9-]*$ ]] || usage_error "--name '$NAME' must be lower-case letters, digits and '-'"
  if [[ $ROLE != worker && -n $QUEUES$CONCURRENCY$NAME$DOCKER_SOCKET ]]; then
    usage_error "--queues, --concurrency, --name and --docker-socket are for the worker role"
  fi
}

load_node_env() {
  [[ -r $ENV_FILE ]] || die "cannot read the node env file $ENV_FILE; copy the cluster's .env there and add this node's addresses (see --help)"
  load_env
  local registry
  registry=$(env_value AIRFLEET_REGISTRY)
  IMAGE=${IMAGE:-$(env_value AIRFLEET_IMAGE)}
  IMAGE=${IMAGE:-${registry:+$(registry_image "$registry" airflow)}}
  IMAGE=${IMAGE:-airfleet/airflow:$IMAGE_TAG}
  NETWORK=${NETWORK:-$(env_value AIRFLEET_NETWORK)}; NETWORK=${NETWORK:-host}
  DAGS=${DAGS:-$(env_value AIRFLEET_DAGS_DIR)}; DAGS=${DAGS:-$ROOT/dags}
  NODE_ADDRESS=$(env_value AIRFLEET_NODE_ADDRESS)
  CA_BUNDLE=$(env_value AIRFLEET_CA_BUNDLE)
  ensure_role_image "$registry"
  [[ -d $DAGS ]] || die "DAG folder $DAGS does not exist; pass --dags or set AIRFLEET_DAGS_DIR"
}

# The image is on this machine, or pulled from the cluster's registry (AIRFLEET_REGISTRY).
ensure_role_image() {
  local registry=$1 output
  docker image inspect "$IMAGE" >/dev/null 2>&1 && return
  [[ -n $registry && $IMAGE == "$registry"/* ]] \
    || die "image $IMAGE is not on this machine; set AIRFLEET_REGISTRY in $ENV_FILE to pull it, build it (bin/up) or load it (docker save | docker load)"
  say "pulling $IMAGE"
  output=$(docker pull "$IMAGE" 2>&1) \
    || die "cannot pull $IMAGE from the registry $registry (AIRFLEET_REGISTRY): $(tail -n 1 <<<"$output"); check that it runs, that bin/up pushed to it, and 'docker login $registry'"
}

container_name() { echo "airfleet-$ROLE${NAME:+-$NAME}"; }

state_of() { docker inspect -f '{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{end}}' "$1" 2>/dev/null || true; }

# Compose refuses to render while any `${NAME:?}` of the file is empty, even one only another role
# uses (MYSQL_ROOT_PASSWORD): each missing one renders as a marker instead, and airfleet.nodeenv
# names those the role itself needs.
compose_config() {
  local name markers=()
  compose_command
  while read -r name; do
    name=${name:1:-2}
    [[ -z $(env_value "$name") ]] && markers+=("$name=$MISSING_MARKER$name")
  done < <(grep -oE '[{][A-Z0-9_]+:[?]' "$ROOT/docker-compose.yml" | sort -u)
  env "${markers[@]}" "${COMPOSE[@]}" --env-file "$ENV_FILE" -f "$ROOT/docker-compose.yml" config
}

# The role's environment, rendered from docker-compose.yml with this node's values: one source.
write_role_env() {
  local out=$1 rendered
  rendered=$(compose_config 2>&1) \
    || die "cannot render the $ROLE settings from $ENV_FILE: $(grep -v '^\s*$' <<<"$rendered" | tail -n 1)"
  docker run --rm -i --entrypoint python -e "AIRFLEET_MISSING_MARKER=$MISSING_MARKER" "$IMAGE" \
    -m airfleet.nodeenv "$ROLE" --env-file-name "$ENV_FILE" <<<"$rendered" >"$out" || exit 1
}

# What the running container was started with: options and env file. A re-run with other ones must
# not answer "already started" while the old ones stay in force.
settings_label() {
  local options
  options="image=$IMAGE network=$NETWORK dags=$DAGS queues=$QUEUES concurrency=$CONCURRENCY docker-socket=${DOCKER_SOCKET:-0}"
  echo "$options env-file=$(sha256sum "$ENV_FILE" | cut -c1-16)"
}

refuse_other_settings() {
  local name=$1 running wanted
  running=$(docker inspect -f '{{index .Config.Labels "airfleet.settings"}}' "$name" 2>/dev/null || true)
  wanted=$(settings_label)
  [[ $running == "$wanted" ]] && return 0
  die "$name is running with other settings ($(diff_settings "$running" "$wanted")); to apply the new ones: sbin/503.sh $ROLE${NAME:+ --name $NAME} && $0 $ARGS"
}

# "key old -> new" for each setting that differs, joined by "; ".
diff_settings() {
  local old new key changes=() value
  declare -A before=()
  for old in $1; do before[${old%%=*}]=${old#*=}; done
  for new in $2; do
    key=${new%%=*} value=${new#*=}
    [[ ${before[$key]-} == "$value" ]] || changes+=("$key ${before[$key]:-(none)} -> ${value:-(none)}")
  done
  [[ ${#changes[@]} -gt 0 ]] || changes=("started without recorded settings")
  local joined
  printf -v joined '%s; ' "${changes[@]}"
  echo "${joined%; }"
}

role_command() {
  COMMAND=("$ROLE")
  [[ $ROLE == worker ]] || return 0
  [[ -n $QUEUES ]] && COMMAND+=(--queues "$QUEUES")
  [[ -n $CONCURRENCY ]] && COMMAND+=(--concurrency "$CONCURRENCY")
  [[ -n $NAME ]] && COMMAND+=(--celery-hostname "$NAME@$(container_name)")
  return 0
}

start() {
  local name socket_gid
  name=$(container_name)
  ROLE_ENV=$(mktemp)  # holds secrets: private, and removed on exit
  chmod 0600 "$ROLE_ENV"
  trap 'rm -f "$ROLE_ENV"' EXIT
  write_role_env "$ROLE_ENV"
  role_command
  local args=(--detach --name "$name" --hostname "$name" --restart unless-stopped --env-file "$ROLE_ENV"
    --label "airfleet.settings=$(settings_label)"
    --user 50000:0 --volume "$DAGS:/opt/airflow/dags:ro" --volume "airfleet-logs:/opt/airflow/logs"
    --health-cmd "python -m airfleet.health $ROLE" --health-interval 15s --health-timeout 20s
    --health-retries 5 --health-start-period 120s)
  if [[ $NETWORK == host ]]; then
    args+=(--network host)
  else
    args+=(--network "$NETWORK")
    [[ -n $NODE_ADDRESS ]] && args+=(--network-alias "$NODE_ADDRESS")
  fi
  [[ $ROLE == worker ]] && args+=(--stop-timeout 600 -e "AIRFLEET_CELERY_NODE=${NAME:-celery}@$name")
  [[ -n $CA_BUNDLE ]] && args+=(--volume "$CA_BUNDLE:/etc/airfleet/ca-bundle.pem:ro")
  if [[ -n $DOCKER_SOCKET ]]; then
    socket_gid=$(stat -c %g /var/run/docker.sock) || die "no /var/run/docker.sock on this machine"
    args+=(--volume /var/run/docker.sock:/var/run/docker.sock --group-add "$socket_gid")
  fi
  docker run "${args[@]}" "$IMAGE" "${COMMAND[@]}" >/dev/null || die "docker run failed for $name"
}

wait_healthy() {
  local name=$1 deadline=$((SECONDS + TIMEOUT)) state
  while :; do
    state=$(state_of "$name")
    case $state in
      "running healthy") return 0 ;;
      exited* | dead* | "running unhealthy") break ;;
    esac
    ((SECONDS < deadline)) || break
    sleep 2
  done
  docker logs --tail 30 "$name" >&2 || true
  die "$name did not become healthy within ${TIMEOUT}s (state: ${state:-gone}); its last log lines are above"
}

main() {
  ARGS=$*
  parse_args "$@"
  load_node_env
  local name state
  name=$(container_name)
  state=$(state_of "$name")
  [[ $state == running* ]] && refuse_other_settings "$name"
  case $state in
    "running healthy") echo "$name: already started"; exit 0 ;;
    running*) say "$name is running; waiting for its health check" ;;
    "") start ;;
    *) say "removing the stopped $name"; docker rm "$name" >/dev/null; start ;;
  esac
  wait_healthy "$name"
  echo "$name: started"
}

main "$@"
