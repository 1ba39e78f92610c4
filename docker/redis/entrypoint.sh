#!/usr/bin/env bash
# Redis with the password from the environment written to a private config file (not argv, which
# any process can read), AOF persistence fsynced every second, and a clean save on SIGTERM.
set -euo pipefail

[[ -n ${REDIS_PASSWORD:-} ]] || { echo "airfleet-redis: REDIS_PASSWORD is not set; run 'airfleet init'" >&2; exit 1; }

conf=$(mktemp /tmp/redis.XXXXXX.conf)
chmod 0600 "$conf"
cat >"$conf" <<CONF
bind 0.0.0.0
protected-mode no
port 6379
dir /data
requirepass ${REDIS_PASSWORD}
appendonly yes
appendfsync everysec
save 60 1000
CONF
exec redis-server "$conf" "$@"
