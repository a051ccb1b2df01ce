#!/usr/bin/env bash
# The project's test command (`make test`): prepares the machine, then runs every
# check without stopping at the first failure, and prints "N passed, N failed".
# Usage: scripts/test.sh [all|lint|sanity|unit|build|molecule [SCENARIO...]|controller13]
# controller13: a subset (sanity, unit, molecule:preflight) from a Debian 13 controller with the
# current ansible (scripts/controller13.sh); `all` runs it after the Debian 12 stages.
set -uo pipefail
source "$(dirname "$0")/common.sh"
export NO_COLOR=1 ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0 PY_COLORS=0

what="${1:-all}"; shift || true
t_start=$(date +%s)
passed=0; failed=0; skipped=0; failures=(); skips=()
# Inside another stage (scripts/controller13.sh sets VOICEOPS_STAGE=controller13) every check is
# named "<stage>:<check>" and the outer run prints the totals.
stage="${VOICEOPS_STAGE:+$VOICEOPS_STAGE:}"

check() {
  # check NAME COMMAND... : run one counted check, keep its log, never abort.
  local name=$stage$1; shift
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
  # Inside a stage the host is already set up (docker, base image) by the outer run.
  if [ -z "$stage" ] && { [ "$what" = all ] || [ "$what" = molecule ]; }; then
    "$TOP/scripts/host-setup.sh" || { echo "host setup failed"; exit 1; }
  fi
  # The controller13 stage runs in its own container with its own virtualenv.
  [ "$what" = controller13 ] && return 0
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
    echo "=== RUN  ${stage}molecule:$s"
    cat "$logs/$s.log"
    # A deprecation is fixed when it appears, not left to pile up: it fails the scenario.
    if [ "$rc" -eq 0 ] && grep -q '\[DEPRECATION WARNING\]' "$logs/$s.log"; then
      echo "deprecation warnings in ${stage}molecule:$s (fix them):"; grep -A2 '\[DEPRECATION WARNING\]' "$logs/$s.log" | sort -u
      rc=1
    fi
    if [ "$rc" -eq 0 ]; then
      passed=$((passed + 1)); echo "=== PASS ${stage}molecule:$s (${secs}s)"
      if [ -s "$logs/$s.skips" ]; then
        while IFS= read -r line; do
          skipped=$((skipped + 1)); skips+=("${stage}molecule:$s: $line"); echo "=== SKIP ${stage}molecule:$s: $line"
        done < <(sort -u "$logs/$s.skips")
      fi
    elif [ "$rc" -eq 77 ]; then
      skipped=$((skipped + 1)); skips+=("${stage}molecule:$s: $(cat "$logs/$s.log")"); echo "=== SKIP ${stage}molecule:$s"
    else
      failed=$((failed + 1)); failures+=("${stage}molecule:$s"); echo "=== FAIL ${stage}molecule:$s (${secs}s)"
    fi
  done
  rm -rf "$logs"
}

check_name() {
  # "=== FAIL name (12s)" -> "name"
  local name=${1#=== * }
  [[ $name =~ ^(.*)\ \([0-9]+s\)$ ]] && name=${BASH_REMATCH[1]}
  printf '%s\n' "$name"
}

run_controller13() {
  # The Debian 13 controller image (built once per recipe, scripts/host-setup.sh), then the subset in
  # a container of it; its "=== PASS|FAIL|SKIP controller13:..." lines are counted here.
  local image out t0 rc line name got_fail=0 ran=0
  t0=$(date +%s)
  echo "=== RUN  controller13:image"
  out=$(mktemp)
  "$TOP/scripts/host-setup.sh" controller13 | tee "$out"
  rc=$?; image=$(tail -n1 "$out"); rm -f "$out"
  if [ "$rc" -ne 0 ] || [ -z "$image" ]; then
    failed=$((failed + 1)); failures+=("controller13:image"); echo "=== FAIL controller13:image ($(( $(date +%s) - t0 ))s)"
    return
  fi
  passed=$((passed + 1)); echo "=== PASS controller13:image ($(( $(date +%s) - t0 ))s)"
  t0=$(date +%s); rc=""
  while IFS= read -r line; do
    printf '%s\n' "$line"
    case "$line" in
      "=== PASS controller13:"*) passed=$((passed + 1)); ran=1 ;;
      "=== FAIL controller13:"*) failed=$((failed + 1)); failures+=("$(check_name "$line")"); got_fail=1; ran=1 ;;
      "=== SKIP controller13:"*) skipped=$((skipped + 1)); skips+=("$(check_name "$line")"); ran=1 ;;
      "=== controller13 exit "*) rc=${line#=== controller13 exit } ;;
    esac
  done < <("$TOP/scripts/controller13.sh" run "$image" 2>&1; echo "=== controller13 exit $?")
  # A container that could not run its checks is a failure even if it printed none.
  if [ "${rc:-1}" -ne 0 ] && [ "$got_fail" -eq 0 ] || [ "$ran" -eq 0 ]; then
    failed=$((failed + 1)); failures+=("controller13 (exit ${rc:-?})"); echo "=== FAIL controller13 (exit ${rc:-?})"
  fi
  echo "controller13: $(( $(date +%s) - t0 ))s in the container"
}

setup
case "$what" in
  all) run_lint; run_sanity; run_unit; run_build; run_molecule; run_controller13 ;;
  lint) run_lint ;;
  sanity) run_sanity ;;
  unit) run_unit ;;
  build) run_build ;;
  molecule) run_molecule "$@" ;;
  controller13) run_controller13 ;;
  *) echo "usage: $0 [all|lint|sanity|unit|build|molecule [SCENARIO...]|controller13]"; exit 2 ;;
esac

# Inside a stage, the outer run counts the lines above and prints the totals.
[ -n "$stage" ] && exit $(( failed > 0 ))

echo
for f in "${failures[@]}"; do echo "failed: $f"; done
for f in "${skips[@]}"; do echo "skipped: $f"; done
echo "duration: $(( $(date +%s) - t_start ))s"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
