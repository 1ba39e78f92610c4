#!/bin/sh
# The compose health check: over TCP, so the socket-only server of the first-run initialisation does not count.
exec mysqladmin ping -h 127.0.0.1 --silent
