#!/usr/bin/env bash
# Initialise an empty data directory once (superuser `postgres` with POSTGRES_PASSWORD, database
# POSTGRES_DB), then run the server on every interface. Extra arguments go to postgres (-c ...).
set -euo pipefail

PGDATA=/var/lib/postgresql/data
BIN=$(echo /usr/lib/postgresql/*/bin)

die() { echo "airfleet-postgres: $*" >&2; exit 1; }

initialise() {
  [[ -n ${POSTGRES_PASSWORD:-} ]] || die "POSTGRES_PASSWORD is not set"
  local pwfile
  pwfile=$(mktemp)
  printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
  "$BIN/initdb" -D "$PGDATA" -U postgres --pwfile="$pwfile" -E UTF8 --locale=C.UTF-8 \
    --auth-local=trust --auth-host=scram-sha-256 >/dev/null
  rm -f "$pwfile"
  echo "host all all 0.0.0.0/0 scram-sha-256" >>"$PGDATA/pg_hba.conf"
  # Single-user mode: nothing can connect before the database exists.
  echo "CREATE DATABASE \"${POSTGRES_DB:-airflow}\"" | "$BIN/postgres" --single -D "$PGDATA" postgres >/dev/null
}

main() {
  [[ -f $PGDATA/PG_VERSION ]] || initialise
  exec "$BIN/postgres" -D "$PGDATA" -c listen_addresses='*' -c unix_socket_directories=/tmp "$@"
}

main "$@"
