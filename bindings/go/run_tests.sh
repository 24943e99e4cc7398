#!/usr/bin/env bash
# run_tests.sh PREFIX: builds and tests the Go binding against the authgate
# installed in PREFIX (`cmake --install build --prefix PREFIX`), then runs
# examples/go against the local test provider and logs in through it.
#
#   bindings/go/run_tests.sh /tmp/authgate
#
# The tests run with -race and GODEBUG=cgocheck=2 (every pointer handed to C
# is checked). Go's module proxy is not used (GOPROXY=off): the binding is
# standard library only. Each test and subtest counts once; gofmt, go vet
# and the example's start count as one check each. Last line: "N passed,
# M failed"; exit 0 only when nothing failed.
set -uo pipefail

if (($# != 1)) || [[ ! -d "$1" ]]; then
  echo "usage: $0 PREFIX   (an install prefix of authgate)" >&2
  exit 2
fi
PREFIX=$(cd "$1" && pwd)
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
# shellcheck source=scripts/lib/deps.sh
source "$ROOT/scripts/lib/deps.sh"
# shellcheck source=scripts/lib/children.sh
source "$ROOT/scripts/lib/children.sh"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/authgate-go.XXXXXX")
children_trap "$TMP"

PC=$(find "$PREFIX" -name authgate.pc -path '*/pkgconfig/*' | head -n 1)
if [[ -z "$PC" ]]; then
  echo "FAIL setup: no authgate.pc under $PREFIX"
  echo "0 passed, 1 failed"
  exit 1
fi
LIBDIR=$(cd "$(dirname "$PC")/.." && pwd)
PKG_CONFIG_PATH=$(dirname "$PC")
LD_LIBRARY_PATH=$LIBDIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export PKG_CONFIG_PATH LD_LIBRARY_PATH
export GOPROXY=off GOFLAGS='' GO111MODULE=on CGO_ENABLED=1
export AUTHGATE_GO_REQUIRE_PROVIDER=1

passed=0
failed=0
check() {  # check NAME COMMAND...: one counted check, its output shown on failure
  local name=$1 log=$TMP/check.log
  shift
  if "$@" >"$log" 2>&1; then
    passed=$((passed + 1))
    echo "ok $name"
  else
    failed=$((failed + 1))
    echo "FAIL $name"
    tail -n 30 "$log"
  fi
}

# go_test LOG ARGS...: `go test -v` with the checkers on; each test and
# subtest counts, and a build failure or a crash counts once more.
go_test() {
  local log=$1 rc=0 p f
  shift
  GODEBUG=cgocheck=2 go test -v -race -count=1 "$@" >"$log" 2>&1 || rc=$?
  p=$(grep -cE '^\s*--- PASS' "$log" || true)
  f=$(grep -cE '^\s*--- FAIL' "$log" || true)
  if ((rc != 0 && f == 0)); then
    f=1  # no test failed: the build did, or the test binary crashed
  fi
  if ((f != 0)); then
    grep -vE '^(=== |\s*--- (PASS|SKIP)|PASS$|ok )' "$log" | tail -n 60
  fi
  passed=$((passed + p))
  failed=$((failed + f))
  echo "go test $*: $p passed, $f failed"
}

if ! deps_ensure_npm "$ROOT" >"$TMP/npm.log" 2>&1; then
  failed=$((failed + 1))
  echo "FAIL npm ci"
  tail -n 20 "$TMP/npm.log"
fi

cd "$HERE" || exit 1
check gofmt test -z "$(gofmt -l . "$ROOT/examples/go")"
check "go vet" go vet ./...
check "go vet examples/go" bash -c "cd '$ROOT/examples/go' && go vet ."
go_test "$TMP/binding.log" .

# The example, on free ports, against the test provider.
read -r PROVIDER_PORT APP_PORT < <(/usr/bin/python3 -c '
import socket
sockets = [socket.socket() for _ in range(2)]
for s in sockets:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in sockets))')
APP=http://127.0.0.1:$APP_PORT
ISSUER=http://localhost:$PROVIDER_PORT
sed -e "s|127\.0\.0\.1:8000|127.0.0.1:$APP_PORT|g" -e "s|localhost:9000|localhost:$PROVIDER_PORT|g" \
  "$ROOT/examples/go/authgate.json" >"$TMP/authgate.json"
AUTHGATE_SESSION_SECRET=$(head -c 32 /dev/urandom | base64 -w0)
AUTHGATE_CLIENT_SECRET=$(head -c 32 /dev/urandom | base64 -w0)
export AUTHGATE_SESSION_SECRET AUTHGATE_CLIENT_SECRET

example_started() {
  (cd "$ROOT/examples/go" && go build -o "$TMP/example" .) || return 1
  node "$ROOT/scripts/lib/provider.mjs" --port "$PROVIDER_PORT" --redirect-uri "$APP/callback" \
    --post-logout-redirect-uri "$APP/public/" --audience "$APP/" >"$TMP/provider.out" 2>"$TMP/provider.log" &
  PIDS+=("$!")
  wait_until 20 grep -q '"msg":"listening"' "$TMP/provider.out" || { cat "$TMP/provider.log"; return 1; }
  "$TMP/example" -config "$TMP/authgate.json" >"$TMP/example.out" 2>"$TMP/example.log" &
  PIDS+=("$!")
  wait_until 30 grep -q '"msg":"listening"' "$TMP/example.out" || { cat "$TMP/example.log"; return 1; }
}
check "example starts" example_started
AUTHGATE_GO_EXAMPLE_URL=$APP AUTHGATE_GO_EXAMPLE_ISSUER=$ISSUER \
  go_test "$TMP/example-test.log" -run '^TestExampleAgainstTheTestProvider$' .

echo "$passed passed, $failed failed"
((failed == 0))
