# shellcheck shell=bash
# children.sh: the servers a script starts in the background, stopped (and
# its scratch directory removed) whenever the script exits.
#
#   source scripts/lib/children.sh
#   children_trap "$WORK"             # EXIT: stop every PID in PIDS, rm -rf WORK
#   some_server & PIDS+=("$!")
#   wait_until 10 curl -sf http://127.0.0.1:$PORT/ || fail "no answer"

PIDS=()
_CHILDREN_DIR=""

# children_stop: SIGTERM to every PID in PIDS; one that has not exited 10 s
# later gets SIGKILL, so a stuck server cannot hang the run.
children_stop() {
  local pid deadline=$((SECONDS + 10))
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
}

# shellcheck disable=SC2317 # run by the EXIT trap
_children_exit() {
  children_stop
  [[ -z "$_CHILDREN_DIR" ]] || rm -rf "$_CHILDREN_DIR"
}

# children_trap DIR: stop the children and remove DIR when the script exits.
children_trap() {
  _CHILDREN_DIR=$1
  trap _children_exit EXIT
}

# wait_until SECONDS COMMAND...: polls COMMAND every 50 ms; 1 when it has not
# succeeded within SECONDS.
wait_until() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || return 1
    sleep 0.05
  done
}
