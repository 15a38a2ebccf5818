#!/usr/bin/env bash
# Builds a local base image for machines that cannot reach Docker Hub (CI, air-gapped hosts):
# Debian bookworm (debootstrap from the host's Debian mirror) with openjdk-17-jre-headless,
# redis-server and prometheus. docker/compose-test.sh runs the whole stack on it: the service
# image is docker/Dockerfile with BASE_IMAGE set to it, Redis and Prometheus run from it as they are.
#   docker/local-base-image.sh [IMAGE]      (root; needs debootstrap and a running dockerd)
set -euo pipefail
image=${1:-inferbus/local-base:bookworm}
if docker image inspect "$image" >/dev/null 2>&1; then
  echo "local-base-image: $image already built"
  exit 0
fi
mirror=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1)
mirror=${mirror:-$(awk '/^deb /{print $2; exit}' /etc/apt/sources.list 2>/dev/null)}
mirror=${mirror:-http://deb.debian.org/debian}
root=$(mktemp -d /tmp/inferbus-base.XXXXXX)
cleanup() {
  umount "$root/proc" 2>/dev/null || true
  rm -rf "$root"
}
trap cleanup EXIT

started=$(date +%s)
debootstrap --variant=minbase bookworm "$root" "$mirror" >/tmp/inferbus-debootstrap.log 2>&1 \
  || { tail -20 /tmp/inferbus-debootstrap.log; exit 1; }
mount -t proc proc "$root/proc"
chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
  openjdk-17-jre-headless redis-server prometheus curl >/tmp/inferbus-base-apt.log 2>&1 \
  || { tail -20 /tmp/inferbus-base-apt.log; exit 1; }
chroot "$root" apt-get clean
umount "$root/proc"
rm -rf "$root"/var/lib/apt/lists/* "$root"/tmp/* "$root"/dev/*
tar -C "$root" -c . | docker import -c 'ENV LANG=C.UTF-8' - "$image" >/dev/null
echo "local-base-image: $image built in $(( $(date +%s) - started )) s ($(docker image inspect -f '{{.Size}}' "$image" | awk '{printf "%d MB", $1/1e6}'))"
