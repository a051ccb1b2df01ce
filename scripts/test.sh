#!/usr/bin/env bash
# The project's test command (`make test`): prepares the machine, then runs every
# check without stopping at the first failure, and prints "N passed, N failed".
# Usage: scripts/test.sh [all|lint|sanity|unit|build|molecule [SCENARIO...]|controller13]
# controller13: a subset (sanity, unit, molecule:site and molecule:preflight) from a Debian 13
# controller with the current ansible (scripts/controller13.sh); `all` builds its image from the
# start and runs it as one job of the molecule pool, beside the Debian 12 scenarios.
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

# Each job's duration in the last run on this machine ("<job> <seconds>"): the pool starts the
# longest first, so that the longest does not end the run alone.
TIMES="$VOICEOPS_CACHE/test-job-seconds"
longest_first() {
  # longest_first JOB... : the jobs by last duration, longest first; a job never timed counts
  # 120 s per container of its scenario (the Debian 13 stage: 900 s).
  local j secs
  for j in "$@"; do
    secs=$(awk -v j="$stage$j" '$1 == j { s = $2 } END { print s }' "$TIMES" 2>/dev/null)
    if [ -z "$secs" ]; then
      if [ "$j" = controller13 ]; then secs=900
      else secs=$(( 120 * $(grep -cE '^  - \{?name: ' "$TOP/molecule/$j/molecule.yml") )); fi
    fi
    printf '%s %s\n' "$secs" "$j"
  done | sort -k1,1nr -k2 | cut -d' ' -f2
}
record_time() {
  # record_time JOB SECONDS
  # (the Debian 13 stage writes the same file from its container: one writer at a time)
  # shellcheck disable=SC2016
  flock "$TIMES.lock" bash -c 'tmp=$(mktemp); { grep -v "^$1 " "$2" 2>/dev/null; echo "$1 $3"; } >"$tmp" && mv "$tmp" "$2"' \
    _ "$stage$1" "$TIMES" "$2"
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

run_scenario() {
  # run_scenario NAME: one `molecule test`. A scenario's containers have fixed names, so the same
  # scenario never runs twice at once on this machine (the Debian 13 stage runs some of them too):
  # a lock per scenario, shared with that stage through the cache directory.
  mkdir -p "$VOICEOPS_CACHE/locks"
  cd "$TOP" && flock "$VOICEOPS_CACHE/locks/molecule-$1.lock" molecule test -s "$1"
}

may_start() {
  # may_start JOB (in run_molecule: its list and logs): the Debian 13 stage runs the site scenario
  # too, so it starts once the Debian 12 site scenario has ended (the lock would hold it idle).
  [ "$1" != controller13 ] || [[ " ${list[*]} " != *" site "* ]] || [ -f "$logs/site.rc" ]
}

run_molecule() {
  # Jobs run MOLECULE_JOBS at a time (default 2), longest first: the scenarios (each with its own
  # containers and network) and, with `all`, the Debian 13 controller stage (job "controller13").
  # Logs are printed whole, in order, once each job ends.
  local jobs="${MOLECULE_JOBS:-2}" logs s reason list=()
  logs=$(mktemp -d)
  [ "$with_controller13" = only ] || mapfile -t list < <(scenarios "$@")
  [ "$with_controller13" = 0 ] || list+=(controller13)
  local pending=() i
  for s in $(longest_first "${list[@]}"); do
    if [ "$s" != controller13 ] && reason=$(vendor_skip_reason "$s"); then
      echo "SKIPPED: $reason" >"$logs/$s.log"; echo "77 0" >"$logs/$s.rc"; continue
    fi
    pending+=("$s")
  done
  while [ "${#pending[@]}" -gt 0 ]; do
    while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do sleep 2; done
    # The first pending job that may start.
    s=""
    for i in "${!pending[@]}"; do may_start "${pending[$i]}" && { s=${pending[$i]}; break; }; done
    [ -n "$s" ] || { sleep 2; continue; }
    unset "pending[$i]"; pending=("${pending[@]}")
    (
      t0=$(date +%s)
      if [ "$s" = controller13 ]; then
        controller13_stage >"$logs/$s.log" 2>&1
      else
        # A scenario that proves a role only up to a step it cannot reach here writes
        # "SKIPPED: <what> (<why>)" lines to this file (molecule/_shared/report_skip.yml).
        export VOICEOPS_SKIP_REPORT="$logs/$s.skips"
        run_scenario "$s" >"$logs/$s.log" 2>&1
      fi
      echo "$? $(( $(date +%s) - t0 ))" >"$logs/$s.rc"
    ) &
  done
  wait
  for s in "${list[@]}"; do
    read -r rc secs <"$logs/$s.rc"
    [ "$rc" -eq 77 ] || record_time "$s" "$secs"
    if [ "$s" = controller13 ]; then
      count_controller13 "$logs/$s.log" "$rc" "$secs"
      continue
    fi
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

# The Debian 13 controller stage: its image (scripts/host-setup.sh controller13, built once per
# recipe) is built in the background from the start of the run (controller13_image_start), then
# the stage runs its subset in a container of it (scripts/controller13.sh) as one job of the
# molecule pool; its "=== PASS|FAIL|SKIP controller13:..." lines are counted afterwards.
controller13_image_start() {
  C13_DIR=$(mktemp -d)
  (
    t0=$(date +%s)
    "$TOP/scripts/host-setup.sh" controller13 >"$C13_DIR/image.log" 2>&1
    echo "$? $(( $(date +%s) - t0 ))" >"$C13_DIR/image.rc"
  ) &
}

controller13_stage() {
  local rc secs image
  while [ ! -f "$C13_DIR/image.rc" ]; do sleep 2; done
  read -r rc secs <"$C13_DIR/image.rc"
  cat "$C13_DIR/image.log"
  image=$(tail -n1 "$C13_DIR/image.log")
  if [ "$rc" -ne 0 ] || [ -z "$image" ]; then
    echo "=== FAIL controller13:image (${secs}s)"
    return 1
  fi
  echo "=== PASS controller13:image (${secs}s, built beside the Debian 12 stages)"
  "$TOP/scripts/controller13.sh" run "$image"
}

count_controller13() {
  # count_controller13 LOG RC SECONDS
  local line got_fail=0 ran=0
  while IFS= read -r line; do
    printf '%s\n' "$line"
    case "$line" in
      "=== PASS controller13:"*) passed=$((passed + 1)); ran=1 ;;
      "=== FAIL controller13:"*) failed=$((failed + 1)); failures+=("$(check_name "$line")"); got_fail=1; ran=1 ;;
      "=== SKIP controller13:"*) skipped=$((skipped + 1)); skips+=("$(check_name "$line")"); ran=1 ;;
    esac
  done <"$1"
  # A container that could not run its checks is a failure even if it printed none.
  if { [ "$2" -ne 0 ] && [ "$got_fail" -eq 0 ]; } || [ "$ran" -eq 0 ]; then
    failed=$((failed + 1)); failures+=("controller13 (exit $2)"); echo "=== FAIL controller13 (exit $2)"
  fi
  echo "controller13: $3s (image and container)"
}

with_controller13=0
setup
case "$what" in
  all) with_controller13=1; controller13_image_start; run_lint; run_sanity; run_unit; run_build; run_molecule ;;
  lint) run_lint ;;
  sanity) run_sanity ;;
  unit) run_unit ;;
  build) run_build ;;
  molecule) run_molecule "$@" ;;
  controller13) with_controller13=only; controller13_image_start; run_molecule ;;
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
