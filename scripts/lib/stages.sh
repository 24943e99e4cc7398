# shellcheck shell=bash
# stages.sh: run the stages of a test script so that a failing stage is
# recorded and the run goes on, then print one summary of them all.
#
#   source scripts/lib/stages.sh
#   stages_init "$tmpdir"
#   my_stage() { make ...; }                 # runs under set -euo pipefail
#   run_stage "my stage" my_stage
#   run_stage "needs it" --after "my stage" other_stage
#   stages_summary                           # returns 1 when anything failed
#
# A stage passes when its function returns 0. It counts as one test case,
# unless it reports its own counts with stage_counts PASSED FAILED (ctest
# results, or several checks in one stage). A stage that fails with no failed
# count is counted as one failure more, so no failure is ever lost.

_STAGES_DIR=""
_STAGE_NAMES=()

stages_init() {
  _STAGES_DIR=$1/stages
  mkdir -p "$_STAGES_DIR"
}

# stage_counts PASSED FAILED: called inside a stage to report its test cases.
stage_counts() {
  printf '%s %s\n' "$1" "$2" >"$_STAGE_COUNTS_FILE"
}

# stage_note TEXT: one short remark shown in the summary.
stage_note() {
  printf '%s\n' "$*" >"$_STAGE_NOTE_FILE"
}

# check DESCRIPTION COMMAND...: one test case inside a stage. Runs COMMAND,
# prints ok/FAILED, counts it; never stops the stage. Use check_counts at the
# end of the stage to report the counts and fail it when a check failed.
_CHECK_PASSED=0
_CHECK_FAILED=0
_CHECK_FAILURES=()
check() {
  local description=$1
  shift
  if ("$@"); then
    _CHECK_PASSED=$((_CHECK_PASSED + 1))
    echo "ok      $description"
  else
    _CHECK_FAILED=$((_CHECK_FAILED + 1))
    _CHECK_FAILURES+=("$description")
    echo "FAILED  $description"
  fi
}
check_counts() {
  stage_counts "$_CHECK_PASSED" "$_CHECK_FAILED"
  if ((_CHECK_FAILED > 0)); then
    local IFS=';'
    stage_note "failed: ${_CHECK_FAILURES[*]}"
    return 1
  fi
}

_stage_file() {  # _stage_file NAME -> the result file of stage NAME
  printf '%s/%s' "$_STAGES_DIR" "$(printf '%s' "$1" | tr -c 'A-Za-z0-9._-' '_')"
}

# stage_status NAME: prints PASS, FAIL or SKIP for a stage that has run.
stage_status() {
  local file
  file=$(_stage_file "$1")
  [[ -f "$file" ]] || { echo NONE; return; }
  cut -f1 "$file"
}

_record() {  # _record NAME STATUS PASSED FAILED SECONDS NOTE
  _STAGE_NAMES+=("$1")
  printf '%s\t%s\t%s\t%s\t%s\n' "$2" "$3" "$4" "$5" "$6" >"$(_stage_file "$1")"
}

# skip_stage NAME REASON: records a stage that is not run.
skip_stage() {
  echo
  echo "=== $1: skipped ($2)"
  _record "$1" SKIP 0 0 0 "$2"
}

# off_stage NAME REASON: records a stage left out on purpose (an option);
# unlike a skipped stage it does not make the run fail.
off_stage() {
  echo
  echo "=== $1: off ($2)"
  _record "$1" OFF 0 0 0 "$2"
}

# run_stage NAME [--after STAGE]... FUNCTION [ARGS...]
run_stage() {
  local name=$1
  shift
  while [[ "${1:-}" == --after ]]; do
    if [[ "$(stage_status "$2")" != PASS ]]; then
      skip_stage "$name" "$2 did not pass"
      return 0
    fi
    shift 2
  done

  echo
  echo "=== $name"
  local counts_file="$_STAGES_DIR/.counts" note_file="$_STAGES_DIR/.note"
  rm -f "$counts_file" "$note_file"
  local start=$SECONDS rc
  # The stage runs in a subshell with errexit of its own: its first failing
  # command ends it, and this script goes on. (Not inside `if`, where bash
  # would ignore errexit.)
  set +e
  (
    set -euo pipefail
    _STAGE_COUNTS_FILE=$counts_file
    _STAGE_NOTE_FILE=$note_file
    "$@"
  )
  rc=$?
  set -e

  local passed=0 failed=0 note="" status
  if [[ -s "$counts_file" ]]; then
    read -r passed failed <"$counts_file"
  elif ((rc == 0)); then
    passed=1
  fi
  [[ -s "$note_file" ]] && note=$(head -n1 "$note_file")
  if ((rc == 0)); then
    status=PASS
  else
    status=FAIL
    ((failed > 0)) || failed=$((failed + 1))
    [[ -n "$note" ]] || note="exit status $rc"
  fi
  _record "$name" "$status" "$passed" "$failed" "$((SECONDS - start))" "$note"
  echo "=== $name: $status ($passed passed, $failed failed, $((SECONDS - start))s)"
}

# stages_summary: prints every stage and the totals; the last line is
# exactly "N passed, N failed". Returns 1 when a stage failed or was skipped
# (because a stage it needs did not pass).
stages_summary() {
  local total_passed=0 total_failed=0 bad=0 name status passed failed seconds note
  echo
  echo "=================================== summary ==================================="
  for name in "${_STAGE_NAMES[@]}"; do
    IFS=$'\t' read -r status passed failed seconds note <"$(_stage_file "$name")"
    total_passed=$((total_passed + passed))
    total_failed=$((total_failed + failed))
    [[ "$status" == PASS || "$status" == OFF ]] || bad=1
    printf '%-4s  %-44s %5s passed, %3s failed %6ss%s\n' "$status" "$name" "$passed" "$failed" \
      "$seconds" "${note:+  ($note)}"
  done
  echo "==============================================================================="
  echo "total time ${SECONDS}s"
  echo "$total_passed passed, $total_failed failed"
  ((bad == 0 && total_failed == 0))
}
