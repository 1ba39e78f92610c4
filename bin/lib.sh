# Shared by bin/, sbin/ and ci/: locations, the env-file reader, the compose command, image builds.
# shellcheck shell=bash

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ENV_FILE=${AIRFLEET_ENV_FILE:-$ROOT/.env}
BASE_IMAGE=${BASE_IMAGE:-debian:bookworm-slim}
IMAGE_TAG=${AIRFLEET_IMAGE_TAG:-local}
# The oldest Docker Engine the suite runs on (API 1.41).
MIN_DOCKER_VERSION=20.10
export BASE_IMAGE AIRFLEET_IMAGE_TAG=$IMAGE_TAG

# The roles a machine can run (sbin/200.sh, sbin/503.sh). airfleet.roles and the image's
# entrypoint name the same ones; tests/unit/test_roles.py keeps the three in step.
ROLES=(api-server scheduler dag-processor triggerer worker flower)

# ROLE's own name, with Airflow 2's "webserver" taken as the api-server; fails for an unknown role.
canonical_role() {
  local role=$1 known
  [[ $role == webserver ]] && role=api-server
  for known in "${ROLES[@]}"; do
    if [[ $role == "$known" ]]; then echo "$role"; return 0; fi
  done
  return 1
}

# The first argument of a node script (sbin/): sets ROLE; no argument or --help shows the script's
# own `usage`, an unknown role is a one-line usage error.
role_argument() {
  [[ -n ${1:-} && $1 != -h && $1 != --help ]] || usage
  # shellcheck disable=SC2034  # ROLE is read by the script that sourced this
  ROLE=$(canonical_role "$1") || usage_error "unknown role '$1' (roles: ${ROLES[*]}, webserver)"
}

# The first lines of a node script's usage: ROLE, then the roles, as "api-server (alias webserver) | ...".
role_usage() {
  local role line=""
  for role in "${ROLES[@]}"; do
    [[ $role == api-server ]] && role="api-server (alias webserver)"
    line+="${line:+ | }$role"
  done
  printf 'usage: %s ROLE [options]\n  ROLE: %s\n' "$0" "$line"
}

say() { echo "airfleet: $*" >&2; }
die() { say "$*"; exit 1; }
# A bad command line: what is wrong, and where the usage is, on one line; exit 2.
usage_error() { say "$*; see $0 --help"; exit 2; }

airfleet_py() { PYTHONPATH="$ROOT/plugins" python3 -m airfleet "$@"; }

# The env file's values, read once by the same parser `airfleet init` validates with (Compose's
# quoting, comment and CRLF rules), so every script reads what Compose reads.
declare -gA ENV_VALUES=()
ENV_LOADED=""
load_env() {
  local pair dump
  dump=$(airfleet_py env --env-file "$ENV_FILE" | tr '\0' '\036'; exit "${PIPESTATUS[0]}") || exit 1
  ENV_VALUES=()
  while IFS= read -r -d $'\036' pair; do ENV_VALUES[${pair%%=*}]=${pair#*=}; done <<<"$dump"
  ENV_LOADED=$ENV_FILE
}

# The value of NAME as Compose interpolates it: from this shell's environment when set there (it
# wins over the file, e.g. `AIRFLEET_API_PORT=9999 bin/up`), else from the env file, else empty.
env_value() {
  if [[ -n ${!1+set} ]]; then
    echo "${!1}"
    return
  fi
  [[ $ENV_LOADED == "$ENV_FILE" ]] || load_env
  echo "${ENV_VALUES[$1]-}"
}

# Compose v2 plugin when present, the v1 standalone command otherwise; both read the same file.
# AIRFLEET_COMPOSE chooses one ("docker compose" or "docker-compose").
compose_command() {
  if [[ -n ${AIRFLEET_COMPOSE:-} ]]; then
    read -r -a COMPOSE <<<"$AIRFLEET_COMPOSE"
    "${COMPOSE[@]}" version >/dev/null 2>&1 || die "AIRFLEET_COMPOSE='$AIRFLEET_COMPOSE' does not run; set it to 'docker compose' or 'docker-compose', or unset it"
  elif docker compose version >/dev/null 2>&1; then
    COMPOSE=(docker compose)
  elif command -v docker-compose >/dev/null; then
    COMPOSE=(docker-compose)
  else
    die "Docker Compose is missing; install the compose plugin (apt-get install docker-compose-plugin, or docker-compose) and retry"
  fi
}

compose() {
  [[ -n ${COMPOSE+x} ]] || compose_command
  local project
  project=$(env_value COMPOSE_PROJECT_NAME)
  "${COMPOSE[@]}" --env-file "$ENV_FILE" -p "${project:-airfleet}" -f "$ROOT/docker-compose.yml" "$@"
}

# Create or complete the env file. The project's volumes are named to `init`, which then refuses to
# generate a secret their data depends on (a lost Fernet key or database password).
airfleet_init() {
  local project=airfleet volume existing=()
  if [[ -f $ENV_FILE ]]; then
    load_env
    project=$(env_value COMPOSE_PROJECT_NAME)
    project=${project:-airfleet}
  fi
  for volume in $(docker volume ls -q --filter "label=com.docker.compose.project=$project" 2>/dev/null); do
    existing+=(--existing-data "volume $volume")
  done
  airfleet_py init --env-file "$ENV_FILE" "${existing[@]}" >&2 || exit 1
  load_env
}

require_docker() {
  command -v docker >/dev/null || die "docker is not installed; install Docker Engine and retry"
  local version
  version=$(docker version --format '{{.Server.Version}}' 2>/dev/null) \
    || die "cannot reach the Docker daemon; start it, or run as a user in the docker group"
  [[ $(printf '%s\n' "$MIN_DOCKER_VERSION" "${version%%[+~-]*}" | sort -V | head -n 1) == "$MIN_DOCKER_VERSION" ]] \
    || die "Docker Engine $version is older than $MIN_DOCKER_VERSION; upgrade Docker Engine and retry"
}

ensure_base_image() {
  if ! docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
    say "base image $BASE_IMAGE is missing; pulling it"
    if ! docker pull "$BASE_IMAGE" >/dev/null 2>&1; then
      say "cannot pull $BASE_IMAGE; building it from Debian packages (docker/base/bootstrap.sh)"
      "$ROOT/docker/base/bootstrap.sh" "$BASE_IMAGE" \
        || die "base image $BASE_IMAGE can be neither pulled nor bootstrapped; set BASE_IMAGE to an image you have, or make a Debian mirror reachable (DEBIAN_MIRROR)"
    fi
  fi
  docker run --rm --network none --entrypoint sh "$BASE_IMAGE" -c 'command -v apt-get' >/dev/null 2>&1 \
    || die "base image $BASE_IMAGE has no apt-get: Airfleet's images install Debian packages; set BASE_IMAGE to a Debian-based image (e.g. debian:bookworm-slim)"
}

# What the Dockerfiles COPY from .build/: the host's CA bundle, so package downloads work behind a
# TLS-inspecting proxy (build stage only, never in an image), and the user's own packages.
# AIRFLEET_EXTRA_REQUIREMENTS names another file of packages than requirements/extra.txt.
stage_build_context() {
  local bundle=${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt} extra=${AIRFLEET_EXTRA_REQUIREMENTS:-$ROOT/requirements/extra.txt}
  [[ -r $bundle ]] || die "no CA bundle at $bundle; install ca-certificates or set SSL_CERT_FILE"
  mkdir -p "$ROOT/.build"
  cmp -s "$bundle" "$ROOT/.build/ca-certificates.crt" || cp "$bundle" "$ROOT/.build/ca-certificates.crt"
  if [[ -f $extra ]]; then
    cmp -s "$extra" "$ROOT/.build/extra.txt" || cp "$extra" "$ROOT/.build/extra.txt"
  elif [[ -n ${AIRFLEET_EXTRA_REQUIREMENTS:-} ]]; then
    die "AIRFLEET_EXTRA_REQUIREMENTS=$extra is not a file; point it to a requirements file or unset it"
  elif [[ -s $ROOT/.build/extra.txt || ! -f $ROOT/.build/extra.txt ]]; then
    : >"$ROOT/.build/extra.txt"
  fi
}

# Step lines of both builders: BuildKit's plain progress (`#7 [build 3/9] RUN ...`) and the legacy
# builder's `Step 3/9 : RUN ...`. BuildKit is the default wherever the buildx plugin is installed.
STEP_LINES='^(Step [0-9]+/[0-9]+ :|#[0-9]+ \[[^]]*[0-9]+/[0-9]+\])'

# Build airfleet/IMAGE from docker/IMAGE/Dockerfile, showing progress; cached layers are reused.
build_image() {
  local image=$1 log="$ROOT/.build/$1.log"
  say "building airfleet/$image:$IMAGE_TAG"
  if ! (set -o pipefail  # the build's status, whatever the caller set
         # --force-rm: the legacy builder otherwise keeps a failed step's container.
         BUILDKIT_PROGRESS=plain docker build --force-rm --build-arg "BASE_IMAGE=$BASE_IMAGE" -f "$ROOT/docker/$image/Dockerfile" \
           -t "airfleet/$image:$IMAGE_TAG" "$ROOT" 2>&1 | tee "$log" | { grep --line-buffered -E "$STEP_LINES" >&2 || true; }); then
    tail -n 30 "$log" >&2
    die "building airfleet/$image failed; the last lines are above (full output: $log)"
  fi
}

# The metadata database's engine, AIRFLEET_DB (validated by `airfleet init`): mysql or postgresql.
db_engine() {
  local db=${AIRFLEET_DB:-}
  [[ -z $db && -f $ENV_FILE ]] && db=$(env_value AIRFLEET_DB)
  echo "${db:-mysql}"
}

# The images the cluster runs; each is built from docker/IMAGE/Dockerfile.
cluster_images() { echo "$(db_engine) redis airflow"; }

# Every image of the cluster, from the base image (found, pulled or bootstrapped).
build_images() {
  ensure_base_image
  stage_build_context
  local image
  for image in $(cluster_images); do build_image "$image"; done
}

# REGISTRY/airfleet/IMAGE:TAG, the name nodes pull.
registry_image() { echo "$1/airfleet/$2:$IMAGE_TAG"; }

# Tag and push every image to AIRFLEET_REGISTRY, so other machines can pull them.
push_images() {
  local registry=$1 image target output
  for image in $(cluster_images); do
    target=$(registry_image "$registry" "$image")
    say "pushing $target"
    docker tag "airfleet/$image:$IMAGE_TAG" "$target"
    if ! output=$(docker push "$target" 2>&1); then
      die "cannot push to the registry $registry (AIRFLEET_REGISTRY): $(tail -n 1 <<<"$output"); check that it runs and that 'docker login $registry' succeeded"
    fi
  done
}
