#!/bin/sh
# The compose health check: the server accepts connections over TCP (not only the first start's socket).
exec pg_isready -q -h 127.0.0.1 -p 5432
