#!/usr/bin/env bash
# PostgreSQL for the Airflow metadata DB: initialise an empty data directory once (superuser
# `postgres` with DB_ROOT_PASSWORD; DB_USER with DB_PASSWORD owning database DB_NAME), then run the
# server on every interface. Extra arguments go to postgres (-c ...).
set -euo pipefail

PGDATA=/var/lib/postgresql/data
# Written once the user and database exist: a data directory without it was left by an interrupted
# first start, which held nothing of the user's yet.
DONE=/var/lib/postgresql/.airfleet-initialised
BIN=$(echo /usr/lib/postgresql/*/bin)

die() { echo "airfleet-postgres: $*" >&2; exit 1; }

require_env() {
  local name
  for name in DB_ROOT_PASSWORD DB_NAME DB_USER DB_PASSWORD; do
    [[ -n ${!name:-} ]] || die "$name is not set; run 'airfleet init' to generate .env"
  done
}

# SQL string literal.
quote() { printf "'%s'" "${1//\'/\'\'}"; }

initialise() {
  echo "airfleet-postgres: initialising $PGDATA" >&2
  local pwfile
  pwfile=$(mktemp)
  printf '%s\n' "$DB_ROOT_PASSWORD" >"$pwfile"
  "$BIN/initdb" -D "$PGDATA" -U postgres --pwfile="$pwfile" -E UTF8 --locale=C.UTF-8 \
    --auth-local=trust --auth-host=scram-sha-256 >/dev/null
  rm -f "$pwfile"
  echo "host all all 0.0.0.0/0 scram-sha-256" >>"$PGDATA/pg_hba.conf"
  # Single-user mode: nothing can connect before the user and database exist.
  "$BIN/postgres" --single -D "$PGDATA" postgres >/dev/null <<SQL
CREATE USER "$DB_USER" PASSWORD $(quote "$DB_PASSWORD");
CREATE DATABASE "$DB_NAME" OWNER "$DB_USER";
SQL
  touch "$DONE"
}

prepare_datadir() {
  [[ -e $DONE ]] && return
  if [[ -f $PGDATA/PG_VERSION ]]; then
    echo "airfleet-postgres: the first start was interrupted before it finished; initialising again" >&2
    find "$PGDATA" -mindepth 1 -maxdepth 1 -exec rm -rf {} +
  fi
  initialise
}

main() {
  require_env
  prepare_datadir
  exec "$BIN/postgres" -D "$PGDATA" -c listen_addresses='*' -c unix_socket_directories=/tmp "$@"
}

main "$@"
