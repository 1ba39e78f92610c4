# Shared by bin/up, bin/down and bin/test: locations, the compose command, env-file values.
# shellcheck shell=bash

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ENV_FILE=${AIRFLEET_ENV_FILE:-$ROOT/.env}
BASE_IMAGE=${BASE_IMAGE:-debian:bookworm-slim}
IMAGE_TAG=${AIRFLEET_IMAGE_TAG:-local}
export BASE_IMAGE AIRFLEET_IMAGE_TAG=$IMAGE_TAG

say() { echo "airfleet: $*" >&2; }
die() { say "$*"; exit 1; }

# The value of NAME in the env file (empty when absent).
env_value() { sed -n "s/^$1=//p" "$ENV_FILE" | tail -n 1; }

# Compose v2 plugin when present, the v1 standalone command otherwise; both read the same file.
compose() {
  local project
  project=$(env_value COMPOSE_PROJECT_NAME)
  if docker compose version >/dev/null 2>&1; then
    docker compose --env-file "$ENV_FILE" -p "${project:-airfleet}" -f "$ROOT/docker-compose.yml" "$@"
  elif command -v docker-compose >/dev/null; then
    docker-compose --env-file "$ENV_FILE" -p "${project:-airfleet}" -f "$ROOT/docker-compose.yml" "$@"
  else
    die "Docker Compose is missing; install the compose plugin (or docker-compose) and retry"
  fi
}

airfleet_init() {
  PYTHONPATH="$ROOT/plugins" python3 -m airfleet init --env-file "$ENV_FILE" >&2
}

ensure_base_image() {
  docker image inspect "$BASE_IMAGE" >/dev/null 2>&1 && return
  say "base image $BASE_IMAGE is missing; pulling it"
  docker pull "$BASE_IMAGE" >/dev/null 2>&1 && return
  say "cannot pull $BASE_IMAGE; building it from Debian packages (docker/base/bootstrap.sh)"
  "$ROOT/docker/base/bootstrap.sh" "$BASE_IMAGE" \
    || die "base image $BASE_IMAGE can be neither pulled nor bootstrapped; set BASE_IMAGE to an image you have, or make a Debian mirror reachable (DEBIAN_MIRROR)"
}

# Package downloads inside the build trust what this host trusts (needed behind a TLS-inspecting
# proxy; harmless elsewhere). The copy stays in the build stage and never reaches an image.
stage_build_trust() {
  local bundle=${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}
  [[ -r $bundle ]] || die "no CA bundle at $bundle; install ca-certificates or set SSL_CERT_FILE"
  mkdir -p "$ROOT/.build"
  cmp -s "$bundle" "$ROOT/.build/ca-certificates.crt" || cp "$bundle" "$ROOT/.build/ca-certificates.crt"
}

# Build airfleet/IMAGE from docker/IMAGE/Dockerfile, showing progress; cached layers are reused.
build_image() {
  local image=$1 log="$ROOT/.build/$1.log"
  say "building airfleet/$image:$IMAGE_TAG"
  if ! docker build --build-arg "BASE_IMAGE=$BASE_IMAGE" -f "$ROOT/docker/$image/Dockerfile" \
      -t "airfleet/$image:$IMAGE_TAG" "$ROOT" 2>&1 | tee "$log" | grep --line-buffered -E '^Step [0-9]+/' >&2; then
    tail -n 30 "$log" >&2
    die "building airfleet/$image failed (full output: $log)"
  fi
}

# Every image of the cluster, from the base image (found, pulled or bootstrapped).
build_images() {
  ensure_base_image
  stage_build_trust
  local image
  for image in mysql redis airflow; do build_image "$image"; done
}
