#!/usr/bin/env bash
# The Debian 13 controller stage (scripts/test.sh controller13): the collection's checks run from a
# Debian 13 container with the current ansible package (requirements-current.txt, Python 3.13).
#   scripts/controller13.sh run     on the host: starts the controller container (image built by
#                                   scripts/host-setup.sh controller13) with this checkout, its git
#                                   directory, the cache and the Docker socket mounted, and runs
#                                   `controller13.sh inside` there
#   scripts/controller13.sh inside  in the container: the cached virtualenv, then the same commands
#                                   as the Debian 12 stages, for a subset: sanity, unit, molecule:site
#                                   (the whole stack, with the acceptance call) and molecule:preflight
# Every check prints "=== PASS|FAIL|SKIP controller13:<name> (Ns)" for scripts/test.sh to count.
set -uo pipefail
source "$(dirname "$0")/common.sh"

# The subset run from the Debian 13 controller (the full scenario set runs on the Debian 12 one):
# site deploys every role with site.yml and runs acceptance.yml; preflight is the first play's checks.
CONTROLLER13_SCENARIOS=(site preflight)
CONTAINER=voiceops-d13-controller

run() {
  local image=$1 git_common mounts=()
  # The checkout and its git directory at the same paths (a worktree's lies outside it), the cache
  # (virtualenv, collection link) at the same path, ansible-test's own virtualenvs in a named volume.
  git_common=$(cd "$TOP" && cd "$(git rev-parse --git-common-dir)" && pwd)
  case "$git_common/" in "$TOP"/*) ;; *) mounts+=(-v "$git_common:$git_common:ro") ;; esac
  # The local vendor apt repository (OpenSIPS, FreeSWITCH) at the same path: the site scenario mounts it.
  [ -z "${VOICEOPS_VENDOR_APT:-}" ] || mounts+=(-v "$VOICEOPS_VENDOR_APT:$VOICEOPS_VENDOR_APT:ro")
  # PyPI is reached through a proxy whose CA is only in the host's bundle.
  if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
    mounts+=(-v /etc/ssl/certs/ca-certificates.crt:/etc/ssl/certs/ca-certificates.crt:ro
             -e PIP_CERT=/etc/ssl/certs/ca-certificates.crt -e REQUESTS_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt)
  fi
  docker rm -f "$CONTAINER" >/dev/null 2>&1 || true
  # The host's network (and so its /etc/hosts and addresses): the unit tests' hosts are the control
  # node itself, as on the Debian 12 controller.
  docker run --rm --name "$CONTAINER" --init --network host \
    -v /var/run/docker.sock:/var/run/docker.sock \
    -v "$TOP:$TOP" -v "$VOICEOPS_CACHE:$VOICEOPS_CACHE" -v voiceops-d13-ansible-test:/root/.ansible \
    "${mounts[@]}" \
    -e VOICEOPS_CACHE -e VOICEOPS_VENDOR_APT -e BASE_IMAGE -e MOLECULE_JOBS=1 \
    -e VOICEOPS_REQUIREMENTS="$TOP/requirements-current.txt" -e VOICEOPS_STAGE=controller13 \
    -e PIP_DISABLE_PIP_VERSION_CHECK=1 -e NO_COLOR=1 -e ANSIBLE_NOCOLOR=1 -e PY_COLORS=0 \
    -w "$TOP" "$image" "$TOP/scripts/controller13.sh" inside
}

inside() {
  local core molecule_log molecule_pid
  activate_venv || { echo "=== FAIL controller13:virtualenv (pip install -r requirements-current.txt)"; return 1; }
  core=$(python -c 'import ansible.release as r; print(r.__version__)')
  echo "controller13: Debian $(cat /etc/debian_version), Python $(python -c 'import platform; print(platform.python_version())'), ansible $(pip show ansible 2>/dev/null | sed -n 's/^Version: //p'), ansible-core $core: sanity, unit, molecule:${CONTROLLER13_SCENARIOS[*]} (subset; the full scenario set runs on the Debian 12 controller)"
  # The scenarios wait on their containers most of the time: they run one at a time (MOLECULE_JOBS=1:
  # this stage is one job of the outer pool) beside sanity and the unit tests, their lines printed
  # once they ended.
  molecule_log=$(mktemp)
  "$TOP/scripts/test.sh" molecule "${CONTROLLER13_SCENARIOS[@]}" >"$molecule_log" 2>&1 &
  molecule_pid=$!
  "$TOP/scripts/test.sh" sanity
  "$TOP/scripts/test.sh" unit
  wait "$molecule_pid"
  cat "$molecule_log"; rm -f "$molecule_log"
}

case "${1:-}" in
  run) run "${2:?image}" ;;
  inside) inside ;;
  *) echo "usage: $0 run IMAGE | inside"; exit 2 ;;
esac
