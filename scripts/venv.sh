#!/usr/bin/env bash
# Create (once) the cached virtualenv with the pinned tools of $VOICEOPS_REQUIREMENTS
# (requirements-dev.txt by default, scripts/common.sh).
set -euo pipefail
source "$(dirname "$0")/common.sh"

if [ -x "$VENV/bin/ansible-playbook" ] && [ -f "$VENV/.complete" ]; then
  exit 0
fi
# Several commands may start at once (parallel scenarios, a lab): one creates, the others wait.
mkdir -p "$VOICEOPS_CACHE"
exec 9>"$VENV.lock"
flock 9
if [ -x "$VENV/bin/ansible-playbook" ] && [ -f "$VENV/.complete" ]; then
  exit 0
fi
PY="${PYTHON:-python3}"
if ! "$PY" -c 'import ensurepip, venv' 2>/dev/null; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-venv >/dev/null
fi
echo "[venv] creating $VENV"
rm -rf "$VENV"
"$PY" -m venv "$VENV"
log="$VENV.pip-install.log"
if ! "$VENV/bin/pip" install -r "$VOICEOPS_REQUIREMENTS" >"$log" 2>&1; then
  tail -n 30 "$log" >&2
  exit 1
fi
"$VENV/bin/ansible-playbook" --version >/dev/null
touch "$VENV/.complete"
