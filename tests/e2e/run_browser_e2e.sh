#!/usr/bin/env bash
# run_browser_e2e.sh: the demo's parts on loopback, on ephemeral ports, and a headless
# Chromium logging in through them (tests/e2e/browser_login.mjs says what is checked).
#
#   tests/e2e/run_browser_e2e.sh
#
# Started here: the local OpenID Provider (scripts/lib/provider.mjs), an upstream serving
# examples/demo/site (a Python http.server that also echoes the request on any path that is not
# a file) and `authgate serve` with examples/demo/authgate.yaml, its fixed ports replaced.
# Last line: "e2e: N passed, M failed"; exit 0 only when all passed.
#
# Environment: AUTHGATE_BIN (default build/proxy/authgate), CHROMIUM (default /usr/bin/chromium).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
# shellcheck source=scripts/lib/deps.sh
source "$ROOT/scripts/lib/deps.sh"
AUTHGATE_BIN=${AUTHGATE_BIN:-$ROOT/build/proxy/authgate}
SITE=$ROOT/examples/demo/site

TMP=$(mktemp -d "${TMPDIR:-/tmp}/authgate-e2e.XXXXXX")
# shellcheck source=scripts/lib/children.sh
source "$ROOT/scripts/lib/children.sh"
children_trap "$TMP"

# setup_failed WHY: the run cannot start; counted as one failed check.
setup_failed() {
  echo "FAIL setup: $1"
  local log
  for log in "$TMP"/*.log; do
    [[ -s "$log" ]] || continue
    echo "--- $(basename "$log") (last lines)"
    tail -n 20 "$log"
  done
  echo "e2e: 0 passed, 1 failed"
  exit 1
}

# wait_for WHAT COMMAND...: polls COMMAND for up to 20 s while the servers live.
wait_for() {
  local what=$1 deadline=$((SECONDS + 20)) pid
  shift
  until "$@" >/dev/null 2>&1; do
    for pid in "${PIDS[@]}"; do
      kill -0 "$pid" 2>/dev/null || setup_failed "a server exited while waiting for $what"
    done
    ((SECONDS < deadline)) || setup_failed "$what not ready within 20 s"
    sleep 0.1
  done
}

[[ -x "$AUTHGATE_BIN" ]] || setup_failed "no authgate binary at $AUTHGATE_BIN"
deps_ensure_npm "$ROOT" >"$TMP/npm.log" 2>&1 || setup_failed "npm ci"

# Four free ports, all bound at once so that they differ, then released.
read -r PROVIDER_PORT UPSTREAM_PORT SIDECAR_PORT ADMIN_PORT < <(/usr/bin/python3 -c '
import socket
sockets = [socket.socket() for _ in range(4)]
for s in sockets:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in sockets))')
PROVIDER=http://localhost:$PROVIDER_PORT
SIDECAR=http://127.0.0.1:$SIDECAR_PORT

# The demo's configuration, on these ports.
sed -e "s|127\.0\.0\.1:8000|127.0.0.1:$SIDECAR_PORT|g" \
    -e "s|127\.0\.0\.1:8001|127.0.0.1:$UPSTREAM_PORT|g" \
    -e "s|127\.0\.0\.1:9901|127.0.0.1:$ADMIN_PORT|g" \
    -e "s|localhost:9000|localhost:$PROVIDER_PORT|g" \
    examples/demo/authgate.yaml >"$TMP/authgate.yaml"
if grep -nE ':(8000|8001|9000|9901)\b' "$TMP/authgate.yaml"; then
  setup_failed "a fixed demo port is left in the generated configuration"
fi

cat >"$TMP/upstream.py" <<'EOF'
"""The demo's static site, plus an echo of the request on any path that is not a file."""
import html
import json
import os
import sys
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


class Handler(SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive towards the sidecar, as a real app

    def do_GET(self):
        if os.path.exists(self.translate_path(self.path)):
            return super().do_GET()
        url = urlsplit(self.path)
        echo = json.dumps({"path": url.path, "query": url.query,
                           "headers": {k.lower(): v for k, v in self.headers.items()}})
        if "text/html" in self.headers.get("Accept", ""):
            body = f'<!DOCTYPE html><title>echo</title><pre id="echo">{html.escape(echo)}</pre>'
            content_type = "text/html; charset=utf-8"
        else:
            body, content_type = echo, "application/json"
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


port, site = int(sys.argv[1]), sys.argv[2]
ThreadingHTTPServer(("127.0.0.1", port), partial(Handler, directory=site)).serve_forever()
EOF

AUTHGATE_SESSION_SECRET=$(head -c 32 /dev/urandom | base64 -w0)
AUTHGATE_CLIENT_SECRET=$(head -c 32 /dev/urandom | base64 -w0)
export AUTHGATE_SESSION_SECRET AUTHGATE_CLIENT_SECRET

node scripts/lib/provider.mjs --port "$PROVIDER_PORT" \
  --redirect-uri "$SIDECAR/callback" --post-logout-redirect-uri "$SIDECAR/public/" \
  --audience "$SIDECAR/" >"$TMP/provider.out" 2>"$TMP/provider.log" &
PIDS+=("$!")
/usr/bin/python3 "$TMP/upstream.py" "$UPSTREAM_PORT" "$SITE" 2>"$TMP/upstream.log" &
PIDS+=("$!")
wait_for "the provider" grep -q '"msg":"listening"' "$TMP/provider.out"
wait_for "the upstream" curl -sf "http://127.0.0.1:$UPSTREAM_PORT/"

"$AUTHGATE_BIN" serve --config "$TMP/authgate.yaml" >"$TMP/access.log" 2>"$TMP/authgate.log" &
PIDS+=("$!")
wait_for "authgate's /readyz" curl -sf "http://127.0.0.1:$ADMIN_PORT/readyz"

rc=0
node tests/e2e/browser_login.mjs --sidecar "$SIDECAR" --provider "$PROVIDER" | tee "$TMP/result" \
  || rc=$?
if ((rc != 0)); then
  echo "--- authgate.log (last lines)"
  tail -n 30 "$TMP/authgate.log"
  # The summary again, last; a crash of the driver counts as one more failure.
  summary=$(grep -E '^e2e: [0-9]+ passed, [0-9]+ failed$' "$TMP/result" || true)
  if [[ -z "$summary" ]]; then
    summary="e2e: $(grep -c '^ok ' "$TMP/result" || true) passed, \
$(($(grep -c '^FAIL ' "$TMP/result" || true) + 1)) failed"
  fi
  echo "$summary"
fi
exit "$rc"
