#!/usr/bin/env bash
# MySQL for the Airflow metadata DB: initialise an empty data directory once, then run mysqld.
set -euo pipefail

DATADIR=/var/lib/mysql

die() { echo "airfleet-mysql: $*" >&2; exit 1; }

require_env() {
  local name
  for name in MYSQL_ROOT_PASSWORD MYSQL_DATABASE MYSQL_USER MYSQL_PASSWORD; do
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
CREATE DATABASE \`${MYSQL_DATABASE}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER '${MYSQL_USER}'@'%' IDENTIFIED BY '${MYSQL_PASSWORD}';
GRANT ALL PRIVILEGES ON \`${MYSQL_DATABASE}\`.* TO '${MYSQL_USER}'@'%';
ALTER USER 'root'@'localhost' IDENTIFIED BY '${MYSQL_ROOT_PASSWORD}';
SQL
  kill "$pid"
  wait "$pid" || true
}

main() {
  require_env
  [[ -d $DATADIR/mysql ]] || initialise
  exec mysqld --datadir="$DATADIR" "$@"
}

main "$@"
