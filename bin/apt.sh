# Installing Debian packages on this host, shared by bin/test and docker/base/bootstrap.sh.
# shellcheck shell=bash

# apt_install PKG...: apt-get update, then install, quietly. Another apt on this host (a second
# bin/up or bin/test, unattended-upgrades) is waited for: DPkg::Lock::Timeout covers dpkg's lock
# but not the package lists' lock that `apt-get update` takes, which fails at once instead.
# Prints apt's own error and returns non-zero on any other failure.
apt_install() {
  local output attempt
  for attempt in {1..60}; do
    if output=$(apt-get -o DPkg::Lock::Timeout=600 update -qq 2>&1 \
                && DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq "$@" 2>&1 >/dev/null); then
      return 0
    fi
    grep -q 'Could not get lock' <<<"$output" || { printf '%s\n' "$output" >&2; return 1; }
    [[ $attempt == 1 ]] && echo "another apt is running on this host; waiting for it" >&2
    sleep 10
  done
  printf '%s\n' "$output" >&2
  return 1
}
