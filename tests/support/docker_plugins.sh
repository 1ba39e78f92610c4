#!/usr/bin/env bash
# Put Debian trixie's Compose v2 and buildx plugins into a private Docker config folder, so the tests
# can drive the Docker set-up most users have (BuildKit, `docker compose`) without changing this
# host's Docker. Prints the folder; use it as DOCKER_CONFIG. Idempotent: a second run reuses it.
#   tests/support/docker_plugins.sh DIR
set -euo pipefail

SUITE=${AIRFLEET_PLUGINS_SUITE:-trixie}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
PACKAGES=(docker-buildx docker-compose)

die() { echo "docker_plugins: $*" >&2; exit 1; }

main() {
  [[ $# -eq 1 ]] || { echo "usage: $0 DIR" >&2; exit 2; }
  local dir=$1 work
  if [[ -x $dir/cli-plugins/docker-compose && -x $dir/cli-plugins/docker-buildx ]]; then
    echo "$dir"
    return
  fi
  work=$(mktemp -d)
  # shellcheck disable=SC2064  # expand now: work is local
  trap "rm -rf '$work'" EXIT
  mkdir -p "$work/lists/partial" "$work/debs" "$work/root"
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $MIRROR $SUITE main" >"$work/sources.list"
  local apt=(apt-get -qq -o Dir::Etc::sourcelist="$work/sources.list" -o Dir::Etc::sourceparts=-
             -o Dir::State::Lists="$work/lists" -o APT::Get::List-Cleanup=0 -o Debug::NoDropPrivs=1)
  "${apt[@]}" update >/dev/null 2>&1 || die "cannot read Debian $SUITE's package lists from $MIRROR; set DEBIAN_MIRROR to a reachable mirror"
  (cd "$work/debs" && "${apt[@]}" download "${PACKAGES[@]}" >/dev/null 2>&1) \
    || die "cannot download ${PACKAGES[*]} from Debian $SUITE ($MIRROR)"
  local deb
  for deb in "$work"/debs/*.deb; do dpkg-deb -x "$deb" "$work/root"; done
  mkdir -p "$dir/cli-plugins"
  install -m 0755 "$work"/root/usr/libexec/docker/cli-plugins/docker-{compose,buildx} "$dir/cli-plugins/"
  echo "$dir"
}

main "$@"
