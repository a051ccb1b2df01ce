#!/usr/bin/env bash
# The project's test command (`make test`): prepares the machine, then runs every
# check without stopping at the first failure, and prints "N passed, N failed".
# Usage: scripts/test.sh [all|lint|sanity|unit|build|molecule [SCENARIO...]]
set -uo pipefail
source "$(dirname "$0")/common.sh"
export NO_COLOR=1 ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0 PY_COLORS=0

what="${1:-all}"; shift || true
t_start=$(date +%s)
passed=0; failed=0; skipped=0; failures=(); skips=()

check() {
  # check NAME COMMAND... : run one counted check, keep its log, never abort.
  local name=$1; shift
  local t0 rc
  t0=$(date +%s)
  echo "=== RUN  $name"
  "$@"; rc=$?
  if [ "$rc" -eq 0 ]; then
    passed=$((passed + 1)); echo "=== PASS $name ($(( $(date +%s) - t0 ))s)"
  elif [ "$rc" -eq 77 ]; then
    skipped=$((skipped + 1)); echo "=== SKIP $name ($(( $(date +%s) - t0 ))s)"
  else
    failed=$((failed + 1)); failures+=("$name"); echo "=== FAIL $name ($(( $(date +%s) - t0 ))s)"
  fi
}

setup() {
  if [ "$what" = all ] || [ "$what" = molecule ]; then
    "$TOP/scripts/host-setup.sh" || { echo "host setup failed"; exit 1; }
  fi
  activate_venv || { echo "virtualenv setup failed"; exit 1; }
}

run_lint() {
  check yamllint bash -c "cd '$TOP' && yamllint -s ."
  check ansible-lint bash -c "cd '$TOP' && ansible-lint -q"
}

run_sanity() {
  check ansible-test-sanity "$TOP/scripts/sanity.sh"
}

run_unit() {
  local f
  while IFS= read -r f; do
    check "unit:${f#"$TOP"/}" bash -c "cd '$TOP' && python -m pytest -q -p no:cacheprovider '$f'"
  done < <(find "$TOP/tests/unit" -name 'test_*.py' | sort)
}

run_build() {
  check collection-build "$TOP/scripts/build.sh"
}

scenarios() {
  if [ "$#" -gt 0 ]; then printf '%s\n' "$@"; return; fi
  find "$TOP/molecule" -mindepth 2 -maxdepth 2 -name molecule.yml | sort |
    while IFS= read -r m; do basename "$(dirname "$m")"; done | grep -v '^_'
}

vendor_skip_reason() {
  # A scenario that needs the local vendor apt repository names its component in
  # molecule/<s>/vendor-apt; without a repository it is skipped, with the reason.
  # VOICEOPS_<COMPONENT>_SOURCE=vendor: the scenario installs from the vendor's own repository.
  local need="$TOP/molecule/$1/vendor-apt" component source_var
  [ -f "$need" ] || return 1
  component=$(tr -d '[:space:]' <"$need")
  source_var="VOICEOPS_$(printf '%s' "$component" | tr '[:lower:]-' '[:upper:]_')_SOURCE"
  [ "${!source_var:-}" = vendor ] && return 1
  if [ -n "$VOICEOPS_VENDOR_APT" ] && [ -f "$VOICEOPS_VENDOR_APT/Packages" ]; then return 1; fi
  echo "$component (no vendor packages: set VOICEOPS_VENDOR_APT)"
}

run_molecule() {
  # Scenarios run MOLECULE_JOBS at a time (default 2); each has its own containers
  # and network. Logs are printed whole, in order, once each scenario ends.
  local jobs="${MOLECULE_JOBS:-2}" logs s reason
  logs=$(mktemp -d)
  for s in $(scenarios "$@"); do
    if reason=$(vendor_skip_reason "$s"); then
      echo "SKIPPED: $reason" >"$logs/$s.log"; echo "77 0" >"$logs/$s.rc"; continue
    fi
    while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do sleep 2; done
    (
      t0=$(date +%s)
      # A scenario that proves a role only up to a step it cannot reach here writes
      # "SKIPPED: <what> (<why>)" lines to this file (molecule/_shared/report_skip.yml).
      export VOICEOPS_SKIP_REPORT="$logs/$s.skips"
      cd "$TOP" && molecule test -s "$s" >"$logs/$s.log" 2>&1
      echo "$? $(( $(date +%s) - t0 ))" >"$logs/$s.rc"
    ) &
  done
  wait
  for s in $(scenarios "$@"); do
    read -r rc secs <"$logs/$s.rc"
    echo "=== RUN  molecule:$s"
    cat "$logs/$s.log"
    # A deprecation is fixed when it appears, not left to pile up: it fails the scenario.
    if [ "$rc" -eq 0 ] && grep -q '\[DEPRECATION WARNING\]' "$logs/$s.log"; then
      echo "deprecation warnings in molecule:$s (fix them):"; grep -A2 '\[DEPRECATION WARNING\]' "$logs/$s.log" | sort -u
      rc=1
    fi
    if [ "$rc" -eq 0 ]; then
      passed=$((passed + 1)); echo "=== PASS molecule:$s (${secs}s)"
      if [ -s "$logs/$s.skips" ]; then
        while IFS= read -r line; do
          skipped=$((skipped + 1)); skips+=("molecule:$s: $line"); echo "=== SKIP molecule:$s: $line"
        done < <(sort -u "$logs/$s.skips")
      fi
    elif [ "$rc" -eq 77 ]; then
      skipped=$((skipped + 1)); skips+=("molecule:$s: $(cat "$logs/$s.log")"); echo "=== SKIP molecule:$s"
    else
      failed=$((failed + 1)); failures+=("molecule:$s"); echo "=== FAIL molecule:$s (${secs}s)"
    fi
  done
  rm -rf "$logs"
}

setup
case "$what" in
  all) run_lint; run_sanity; run_unit; run_build; run_molecule ;;
  lint) run_lint ;;
  sanity) run_sanity ;;
  unit) run_unit ;;
  build) run_build ;;
  molecule) run_molecule "$@" ;;
  *) echo "usage: $0 [all|lint|sanity|unit|build|molecule [SCENARIO...]]"; exit 2 ;;
esac

echo
for f in "${failures[@]}"; do echo "failed: $f"; done
for f in "${skips[@]}"; do echo "skipped: $f"; done
echo "duration: $(( $(date +%s) - t_start ))s"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
