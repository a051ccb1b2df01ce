# shellcheck shell=bash
# Shared settings for the scripts: paths, the cached virtualenv, and a
# collection path that makes this checkout importable as voiceops.platform.

TOP="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export VOICEOPS_CACHE="${VOICEOPS_CACHE:-$HOME/.cache/voiceops}"
export BASE_IMAGE="${BASE_IMAGE:-voiceops/debian12-systemd:latest}"
# .deb files downloaded inside test containers are kept here between runs.
export VOICEOPS_APT_CACHE="${VOICEOPS_APT_CACHE:-$VOICEOPS_CACHE/apt-archives}"
mkdir -p "$VOICEOPS_APT_CACHE/partial"

# Local apt repository of OpenSIPS/FreeSWITCH packages (vendor names), built from upstream
# by ../shared/vendor-apt/build.sh: scenarios that need it mount it read-only at /srv/vendor-apt.
# Empty when none is found: those scenarios are then reported SKIPPED with the reason.
if [ -z "${VOICEOPS_VENDOR_APT:-}" ] && [ -f "$TOP/../shared/vendor-apt/apt/Packages" ]; then
  VOICEOPS_VENDOR_APT="$(cd "$TOP/../shared/vendor-apt/apt" && pwd)"
fi
export VOICEOPS_VENDOR_APT="${VOICEOPS_VENDOR_APT:-}"

# The requirements of the virtualenv: requirements-dev.txt (ansible 12.x, the Debian 12 controller)
# unless VOICEOPS_REQUIREMENTS names another file (requirements-current.txt: the Debian 13 controller).
VOICEOPS_REQUIREMENTS="${VOICEOPS_REQUIREMENTS:-requirements-dev.txt}"
case "$VOICEOPS_REQUIREMENTS" in /*) ;; *) VOICEOPS_REQUIREMENTS="$TOP/$VOICEOPS_REQUIREMENTS" ;; esac
export VOICEOPS_REQUIREMENTS
requirements_files() {
  # The file and every file it includes with -r, recursively (they all key the cached virtualenv).
  local f=$1 inc
  printf '%s\n' "$f"
  while IFS= read -r inc; do
    requirements_files "$(dirname "$f")/$inc"
  done < <(sed -nE 's/^-r[[:space:]]*([^[:space:]]+).*/\1/p' "$f")
}
_req_hash=$(requirements_files "$VOICEOPS_REQUIREMENTS" | xargs cat | sha256sum | cut -c1-12)
export VENV="${VENV:-$VOICEOPS_CACHE/venv-$_req_hash}"

# ansible_collections/voiceops/platform -> this checkout (one link per checkout).
_top_hash=$(printf '%s' "$TOP" | sha256sum | cut -c1-8)
export VOICEOPS_COLLECTIONS_ROOT="$VOICEOPS_CACHE/collections-$_top_hash"
mkdir -p "$VOICEOPS_COLLECTIONS_ROOT/ansible_collections/voiceops"
ln -sfn "$TOP" "$VOICEOPS_COLLECTIONS_ROOT/ansible_collections/voiceops/platform"
export ANSIBLE_COLLECTIONS_PATH="$VOICEOPS_COLLECTIONS_ROOT"
export ANSIBLE_ROLES_PATH="$TOP/roles"
export ANSIBLE_CONFIG="$TOP/ansible.cfg"

# The fast mode (LAB_MITOGEN=1, BENCH_MITOGEN=1): Mitogen for Ansible's mitogen_linear strategy
# (PyPI mitogen, in the virtualenv; call after activate_venv). Exports the strategy and its plugin path.
use_mitogen() {
  local dir
  dir=$(python3 -c 'import os, ansible_mitogen; print(os.path.join(os.path.dirname(ansible_mitogen.__file__), "plugins", "strategy"))') ||
    { echo "mitogen is not importable from the virtualenv ($VENV)" >&2; return 1; }
  export ANSIBLE_STRATEGY_PLUGINS="$dir" ANSIBLE_STRATEGY=mitogen_linear
}

activate_venv() {
  "$TOP/scripts/venv.sh" >&2
  # shellcheck disable=SC1091
  source "$VENV/bin/activate"
}
