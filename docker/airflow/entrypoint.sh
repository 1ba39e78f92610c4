#!/usr/bin/env bash
# Entrypoint of the airflow image: check the configuration, wait for what the role needs, then
# exec the role so signals (warm shutdown of a Celery worker) reach it directly.
#   init | api-server | scheduler | dag-processor | triggerer | worker [args] | flower | <command>
set -euo pipefail

log() { echo "airfleet: $*" >&2; }
die() { log "$*"; exit 1; }

# VAR_FILE=/run/secrets/x sets VAR from a file, so secrets need not sit in the environment.
load_secret_files() {
  local file_var var
  for file_var in $(compgen -v | grep -E '_FILE$' || true); do
    var=${file_var%_FILE}
    [[ $var == AIRFLOW__* || $var == AIRFLOW_ADMIN_PASSWORD ]] || continue
    [[ -r ${!file_var} ]] || die "$file_var points to ${!file_var}, which is not readable"
    export "$var=$(<"${!file_var}")"
  done
}

# Every role must share these, or log reads fail with 403 and tasks fail their JWT checks; a role
# never falls back to a random value of its own.
require_shared_config() {
  local name cmd secret
  for name in AIRFLOW__CORE__FERNET_KEY AIRFLOW__API__SECRET_KEY AIRFLOW__API_AUTH__JWT_SECRET \
              AIRFLOW__DATABASE__SQL_ALCHEMY_CONN AIRFLOW__CELERY__BROKER_URL; do
    cmd=${name}_CMD secret=${name}_SECRET  # Airflow's own indirections count as set
    [[ -n ${!name:-} || -n ${!cmd:-} || -n ${!secret:-} ]] \
      || die "$name is not set; generate .env with 'airfleet init' (compose) or fill in the node env file"
  done
}

# A reviewed Git repository as the DAG bundle, when AIRFLEET_DAGS_GIT_URL is set (airfleet.bundles).
configure_dag_bundle() {
  local exports
  exports=$(python -m airfleet.bundles) || die "bad DAG bundle settings (AIRFLEET_DAGS_GIT_*)"
  eval "$exports"
}

# [core] default_timezone follows the cluster's display zone (AIRFLOW_UI_TIMEZONE) unless it is set
# on its own, so schedules and the times the Cluster page shows agree (airfleet.ui.zones).
configure_timezone() {
  local exports
  exports=$(python -m airfleet.ui.zones) || die "bad AIRFLOW_UI_TIMEZONE; use an IANA name such as Asia/Shanghai"
  eval "$exports"
}

# AIRFLEET_CA_BUNDLE (mounted at EXTRA_CA) adds CA certificates for private mirrors and internal
# HTTPS services: pip, requests, httpx, git and Python's ssl all read the combined bundle.
EXTRA_CA=/etc/airfleet/ca-bundle.pem
configure_trust() {
  [[ -s $EXTRA_CA ]] || return 0
  grep -q -- '-----BEGIN CERTIFICATE-----' "$EXTRA_CA" \
    || die "AIRFLEET_CA_BUNDLE ($EXTRA_CA in the container) holds no PEM certificate; point it to a PEM file of CA certificates"
  local bundle=$HOME/.airfleet/ca-certificates.crt
  mkdir -p "${bundle%/*}"
  cat /etc/ssl/certs/ca-certificates.crt "$EXTRA_CA" >"$bundle"
  export SSL_CERT_FILE=$bundle REQUESTS_CA_BUNDLE=$bundle PIP_CERT=$bundle GIT_SSL_CAINFO=$bundle CURL_CA_BUNDLE=$bundle
}

# AIRFLEET_PIP_INDEX_URL: the package index virtualenv tasks install from, in pip's user config so an
# operator's own `index_urls` (written to the venv's pip.conf, which pip reads later) still wins.
configure_package_index() {
  [[ -n ${AIRFLEET_PIP_INDEX_URL:-} ]] || return 0
  local conf=$HOME/.config/pip/pip.conf
  mkdir -p "${conf%/*}"
  printf '[global]\nindex-url = %s\n' "$AIRFLEET_PIP_INDEX_URL" >"$conf"
  [[ -z ${AIRFLEET_PIP_TRUSTED_HOST:-} ]] || printf 'trusted-host = %s\n' "$AIRFLEET_PIP_TRUSTED_HOST" >>"$conf"
}

wait_for() {
  local what=$1
  python -m airfleet.health "wait-$what" \
    || die "gave up waiting for the $what; check its address and password in the env file (a volume created with another .env keeps that file's passwords: restore it, or delete the volume with bin/down --volumes)"
}

# Airflow never deletes logs: each role sweeps its log folder in the background (airfleet.retention,
# AIRFLEET_LOG_RETENTION_DAYS / _MB). Bad settings stop the role here rather than go unnoticed.
# The scheduler's sweeper also removes metadata older than AIRFLEET_DB_RETENTION_DAYS, daily.
start_log_retention() {
  python -m airfleet.retention --check || exit 1
  python -m airfleet.retention "$@" &
}

init_cluster() {
  wait_for db
  # A key that cannot read the stored connections would fail every task that uses one: stop here.
  python -m airfleet.fernet_check || exit 1
  # Migrate, then the admin user, in one process (airfleet.cluster_init says why).
  python -m airfleet.cluster_init || exit 1
  log "init done"
}

main() {
  local role=${1:-version}
  load_secret_files
  configure_trust
  configure_package_index
  configure_dag_bundle
  configure_timezone
  case $role in
    init) require_shared_config; init_cluster ;;
    scheduler)
      # `airflow scheduler` with an idle sleep that follows the load (AIRFLEET_SCHEDULER_BUSY_SLEEP).
      require_shared_config; start_log_retention --db; wait_for db; shift; exec python -m airfleet.scheduler "$@" ;;
    api-server | dag-processor | triggerer)
      require_shared_config; start_log_retention; wait_for db; shift; exec airflow "$role" "$@" ;;
    worker)
      require_shared_config; start_log_retention; wait_for broker; shift; exec airflow celery worker "$@" ;;
    flower)
      require_shared_config; wait_for broker; shift; exec airflow celery flower "$@" ;;
    version) exec airfleet version ;;
    *) exec "$@" ;;
  esac
}

main "$@"
