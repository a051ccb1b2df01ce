#!/usr/bin/env bash
# Prepare the control/test machine: Debian packages, a running Docker engine
# and the local Debian 12 systemd base image. Idempotent; safe to re-run.
# `host-setup.sh controller13` also builds the Debian 13 controller image (scripts/test.sh controller13)
# and prints its name on the last line.
set -euo pipefail

BASE_IMAGE="${BASE_IMAGE:-voiceops/debian12-systemd:latest}"
CACHE_DIR="${VOICEOPS_CACHE:-$HOME/.cache/voiceops}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

log() { printf '[host-setup] %s\n' "$*"; }

install_packages() {
  local missing=()
  command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
  command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
  command -v make >/dev/null 2>&1 || missing+=(make)
  command -v git >/dev/null 2>&1 || missing+=(git)
  command -v shellcheck >/dev/null 2>&1 || missing+=(shellcheck)
  if [ "${#missing[@]}" -gt 0 ]; then
    log "installing from Debian: ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

start_docker() {
  if docker info >/dev/null 2>&1; then
    return 0
  fi
  log "starting dockerd in the background (log: $CACHE_DIR/dockerd.log)"
  mkdir -p "$CACHE_DIR"
  # containerd ships with docker.io; dockerd starts its own when none runs.
  nohup $SUDO dockerd >"$CACHE_DIR/dockerd.log" 2>&1 &
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && { log "dockerd is up"; return 0; }
    sleep 1
  done
  log "dockerd did not start; last lines of its log:"
  tail -n 20 "$CACHE_DIR/dockerd.log" >&2
  return 1
}

apt_mirror() {
  # The mirror this machine already uses (never hard-coded in the project).
  local uri
  uri=$(grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -v security | head -n1 || true)
  if [ -z "$uri" ]; then
    uri=$(grep -hE '^deb ' /etc/apt/sources.list 2>/dev/null | grep -v security | awk '{print $2}' | head -n1 || true)
  fi
  [ -n "$uri" ] || { echo "no Debian mirror found in this machine's apt sources" >&2; return 1; }
  printf '%s\n' "$uri"
}

build_base_image() {
  if docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
    return 0
  fi
  local mirror root
  mirror=$(apt_mirror)
  root=$(mktemp -d)
  log "building $BASE_IMAGE with debootstrap from $mirror (about a minute)"
  $SUDO debootstrap --variant=minbase \
    --include=systemd,systemd-sysv,python3,python3-apt,sudo,iproute2,procps,ca-certificates,gnupg,iputils-ping \
    bookworm "$root" "$mirror" >"$CACHE_DIR/debootstrap.log" 2>&1 || {
      tail -n 30 "$CACHE_DIR/debootstrap.log" >&2; return 1; }
  # Containers need no getty; keep downloaded .debs so a mounted cache works.
  $SUDO rm -f "$root"/etc/systemd/system/getty.target.wants/* || true
  $SUDO tar -C "$root" -c . | docker import \
    --change 'CMD ["/lib/systemd/systemd"]' \
    --change 'ENV container=docker' - "$BASE_IMAGE" >/dev/null
  $SUDO rm -rf "$root"
  log "built $BASE_IMAGE"
}

# The Debian 13 controller: no systemd (the checks run as its one process), Python 3.13 with venv,
# git (the sanity tree is what git knows), iproute2 (the network facts the roles' defaults read),
# the docker CLI (molecule's docker connection), ShellCheck (ansible-test's test of the shell
# scripts), and curl and openssl (acceptance.yml probes the edge from the control node). The tag is a hash of this recipe: a changed recipe builds a new image, an unchanged
# one is never rebuilt.
CONTROLLER13_SUITE=trixie
CONTROLLER13_PACKAGES=python3,python3-venv,git,ca-certificates,iproute2,shellcheck,docker-cli,curl,openssl
CONTROLLER13_REPO=voiceops/debian13-controller

controller13_image() {
  printf '%s:%s\n' "$CONTROLLER13_REPO" \
    "$(printf '%s %s minbase v1' "$CONTROLLER13_SUITE" "$CONTROLLER13_PACKAGES" | sha256sum | cut -c1-12)"
}

build_controller13_image() {
  local image mirror root t0 old
  image=$(controller13_image)
  if docker image inspect "$image" >/dev/null 2>&1; then
    log "$image is there (not rebuilt)"
    return 0
  fi
  mirror=$(apt_mirror)
  root=$(mktemp -d)
  t0=$(date +%s)
  log "building $image: debootstrap $CONTROLLER13_SUITE from $mirror (a few minutes)"
  $SUDO debootstrap --variant=minbase --include="$CONTROLLER13_PACKAGES" \
    "$CONTROLLER13_SUITE" "$root" "$mirror" >"$CACHE_DIR/debootstrap-$CONTROLLER13_SUITE.log" 2>&1 || {
      tail -n 30 "$CACHE_DIR/debootstrap-$CONTROLLER13_SUITE.log" >&2; $SUDO rm -rf "$root"; return 1; }
  # A controller keeps no .debs nor package lists.
  $SUDO find "$root/var/cache/apt/archives" "$root/var/lib/apt/lists" -type f -delete
  $SUDO tar -C "$root" -c . | docker import --change 'CMD ["/bin/bash"]' - "$image" >/dev/null
  $SUDO rm -rf "$root"
  # Older recipes of this image are not needed any more.
  for old in $(docker image ls "$CONTROLLER13_REPO" --format '{{.Repository}}:{{.Tag}}'); do
    [ "$old" = "$image" ] || docker image rm "$old" >/dev/null 2>&1 || true
  done
  log "built $image in $(( $(date +%s) - t0 ))s"
}

mkdir -p "$CACHE_DIR"
install_packages
start_docker
build_base_image
if [ "${1:-}" = controller13 ]; then
  build_controller13_image
  controller13_image
fi
