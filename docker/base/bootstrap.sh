#!/usr/bin/env bash
# Build the base image from Debian packages with mmdebstrap, for hosts that cannot pull images.
# The result is a minbase Debian root filesystem imported under the requested tag, so every
# Dockerfile that starts FROM "$BASE_IMAGE" builds unchanged.
set -euo pipefail

usage() {
  echo "usage: $0 IMAGE_TAG   (e.g. debian:bookworm-slim; the suite is taken from the tag)" >&2
  exit 2
}

die() { echo "bootstrap: $*" >&2; exit 1; }
# shellcheck source=bin/apt.sh
source "$(dirname "$0")/../../bin/apt.sh"

# Run by mmdebstrap with $1 = the root being built.
# shellcheck disable=SC2016
CLEANUP_HOOK='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin'

suite_of() {
  # debian:bookworm-slim -> bookworm
  local tag=${1##*:}
  tag=${tag%-slim}
  [[ $tag =~ ^[a-z]+$ ]] || die "cannot tell the Debian suite from '$1'; use a tag like debian:bookworm-slim"
  echo "$tag"
}

ensure_mmdebstrap() {
  command -v mmdebstrap >/dev/null && return
  [[ $(id -u) -eq 0 ]] || die "mmdebstrap is missing; install it with: sudo apt-get install mmdebstrap"
  echo "bootstrap: installing mmdebstrap from Debian packages" >&2
  if ! apt_install mmdebstrap; then
    die "could not install mmdebstrap; install it by hand (apt-get install mmdebstrap) and retry"
  fi
}

main() {
  [[ $# -eq 1 ]] || usage
  local tag=$1 suite mirror
  suite=$(suite_of "$tag")
  mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
  ensure_mmdebstrap
  echo "bootstrap: building $tag from Debian '$suite' packages ($mirror)" >&2
  # Like the official slim images: minbase, no docs or man pages, apt lists dropped.
  # Into a file first: piping straight into `docker import` would leave an empty image behind
  # when mmdebstrap fails half-way.
  # Global, so the EXIT trap still sees it after main returns.
  ROOTFS=$(mktemp --suffix=.tar)
  trap 'rm -f "$ROOTFS"' EXIT
  mmdebstrap --variant=minbase --format=tar --quiet \
    --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    --customize-hook="$CLEANUP_HOOK" \
    "$suite" "$ROOTFS" "$mirror" \
    || die "mmdebstrap failed for $tag (is the Debian mirror $mirror reachable, and is '$suite' a Debian suite?)"
  docker import --change 'CMD ["bash"]' --change 'ENV LANG=C.UTF-8' "$ROOTFS" "$tag" >/dev/null \
    || die "docker import failed for $tag"
  echo "bootstrap: $tag ready" >&2
}

main "$@"
