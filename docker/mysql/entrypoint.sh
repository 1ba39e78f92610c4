#!/usr/bin/env bash
# MySQL for the Airflow metadata DB: initialise an empty data directory once, then run mysqld.
set -euo pipefail

DATADIR=/var/lib/mysql
# Written once initialise() has set every password. The database is created last, so a directory
# with neither this nor the database was left by an interrupted first start.
DONE=$DATADIR/.airfleet-initialised

die() { echo "airfleet-mysql: $*" >&2; exit 1; }

require_env() {
  local name
  for name in DB_ROOT_PASSWORD DB_NAME DB_USER DB_PASSWORD; do
    [[ -n ${!name:-} ]] || die "$name is not set; run 'airfleet init' to generate .env"
  done
}

initialise() {
  echo "airfleet-mysql: initialising $DATADIR" >&2
  mysqld --initialize-insecure --datadir="$DATADIR" >/dev/null 2>&1 \
    || die "mysqld --initialize failed; is the volume at $DATADIR writable by uid $(id -u)?"
  # A private server on a socket only, so nothing can connect before the passwords are set.
  mysqld --datadir="$DATADIR" --skip-networking --socket=/run/mysqld/init.sock &
  local pid=$! i
  for i in $(seq 60); do
    mysqladmin --socket=/run/mysqld/init.sock -uroot ping >/dev/null 2>&1 && break
    [[ $i -lt 60 ]] || die "the temporary server did not start"
    sleep 1
  done
  mysql --socket=/run/mysqld/init.sock -uroot <<SQL
CREATE USER '${DB_USER}'@'%' IDENTIFIED BY '${DB_PASSWORD}';
GRANT ALL PRIVILEGES ON \`${DB_NAME}\`.* TO '${DB_USER}'@'%';
ALTER USER 'root'@'localhost' IDENTIFIED BY '${DB_ROOT_PASSWORD}';
CREATE DATABASE \`${DB_NAME}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
SQL
  kill "$pid"
  wait "$pid" || true
  touch "$DONE"
}

# The data directory's state: empty, initialised, or left by an interrupted first start.
prepare_datadir() {
  [[ -e $DONE ]] && return
  if [[ -z $(ls -A "$DATADIR") ]]; then
    initialise
  elif [[ -d $DATADIR/$DB_NAME ]]; then
    touch "$DONE"  # initialised before this marker existed
  elif [[ -d $DATADIR/mysql ]]; then
    # Only system tables, no database and maybe no users: nothing of the user's is here yet.
    echo "airfleet-mysql: the first start was interrupted before it finished; initialising again" >&2
    find "$DATADIR" -mindepth 1 -maxdepth 1 -exec rm -rf {} +
    initialise
  else
    die "$DATADIR holds files but no MySQL data directory; mount the right volume, or delete this one (bin/down --volumes) if nothing in it is needed"
  fi
}

main() {
  require_env
  prepare_datadir
  exec mysqld --datadir="$DATADIR" "$@"
}

main "$@"
