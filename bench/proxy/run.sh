#!/usr/bin/env bash
# bench/proxy/run.sh: the sidecar under load, next to nginx, in one run.
#
#   bench/proxy/run.sh [--duration 10s]       # AUTHGATE_BIN=... to choose the binary
#
# wrk -t2 -c64 --latency against, in this order:
#   (a) the upstream directly: nginx `return 200 "hello"` (worker_processes auto);
#   (b) nginx as a plain reverse proxy to it (keep-alive upstream), no auth;
#   (c) authgate serve, a `requires: none` route (/public);
#   (d) authgate serve, a Bearer ES256 JWT route (/api, verified-token cache on);
#   (e) authgate serve, a session-cookie route (/), the session from a real login
#       through scripts/lib/provider.mjs.
# Each target gets a 1 s warm-up, then the measured run. Prints a markdown table
# (bench/proxy/report.py): requests/s, p50, p99, errors, each figure as a ratio to
# (b), CPU time per request of the proxy (utime+stime from /proc, nginx summed over
# its processes), and the sidecar's RSS over the run. Everything runs on loopback,
# ephemeral ports, nothing pinned: wrk, nginx and the sidecar share the cores.
# Needs: nginx, wrk, openssl, curl, node with the root package's node_modules (npm ci).
set -euo pipefail

DURATION=10s
while (($#)); do
  case $1 in
    -d | --duration) DURATION=${2:?--duration needs a value such as 10s}; shift 2 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "usage: $0 [--duration 10s]" >&2; exit 2 ;;
  esac
done

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HERE=$ROOT/bench/proxy
AUTHGATE_BIN=${AUTHGATE_BIN:-$ROOT/build/proxy/authgate}
PY=/usr/bin/python3
WRK=(wrk -t2 -c64 --latency)

fail() { echo "run.sh: $*" >&2; exit 1; }
[[ -x "$AUTHGATE_BIN" ]] || fail "no authgate binary at $AUTHGATE_BIN (set AUTHGATE_BIN)"
for tool in nginx wrk openssl curl node; do
  command -v "$tool" >/dev/null || fail "$tool is not installed"
done
[[ -d "$ROOT/node_modules/oidc-provider" ]] || fail "run 'npm ci' in $ROOT first (oidc-provider)"

WORK=$(mktemp -d)
# nginx's workers run as nobody when the master runs as root: they must reach
# their temp directories under $WORK.
chmod 755 "$WORK"
# shellcheck source=scripts/lib/children.sh
source "$ROOT/scripts/lib/children.sh"
children_trap "$WORK"

free_port() {
  "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_nginx NAME TEMPLATE PORT [UPSTREAM_PORT]: renders the template into
# $WORK/NAME and starts nginx there in the foreground (a child of this script).
start_nginx() {
  local name=$1 template=$2 port=$3 upstream_port=${4:-}
  local dir=$WORK/$name
  mkdir -p "$dir"
  sed "s|@DIR@|$dir|g; s|@PORT@|$port|g; s|@UPSTREAM_PORT@|$upstream_port|g" "$template" \
    >"$dir/nginx.conf"
  nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" -g 'daemon off;' &
  PIDS+=($!)
  echo $! >"$dir/master.pid"
  wait_until 10 curl -sf -o /dev/null "http://127.0.0.1:$port/" \
    || fail "nginx ($name) did not start: $(tail -n 5 "$dir/error.log")"
}

# nginx_pids NAME: the master and its workers.
nginx_pids() {
  local master
  master=$(<"$WORK/$1/master.pid")
  echo "$master $(ps -o pid= --ppid "$master" | xargs)"
}

# cpu_ticks PID...: utime + stime of these processes (all their threads), in clock ticks.
cpu_ticks() {
  local pid stat fields total=0
  for pid in "$@"; do
    stat=$(<"/proc/$pid/stat")
    # Fields after "pid (comm) "; utime and stime are fields 14 and 15.
    read -r -a fields <<<"${stat##*) }"
    total=$((total + fields[11] + fields[12]))
  done
  echo "$total"
}

rss_kib() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status"; }

# ---------------------------------------------------------------- the parts

UPSTREAM_PORT=$(free_port)
start_nginx upstream "$HERE/upstream.conf.template" "$UPSTREAM_PORT"
PROXY_PORT=$(free_port)
start_nginx proxy "$HERE/proxy.conf.template" "$PROXY_PORT" "$UPSTREAM_PORT"

SITE_PORT=$(free_port)
SITE=http://127.0.0.1:$SITE_PORT
OP_PORT=$(free_port)
export BENCH_CLIENT_SECRET BENCH_SESSION_SECRET
BENCH_CLIENT_SECRET=$(openssl rand -hex 24)
BENCH_SESSION_SECRET=$(openssl rand -base64 32)
node "$ROOT/scripts/lib/provider.mjs" --port "$OP_PORT" --redirect-uri "$SITE/callback" \
  --audience "$SITE/" --client-secret "$BENCH_CLIENT_SECRET" >"$WORK/provider.out" 2>"$WORK/provider.err" &
PIDS+=($!)
wait_until 20 grep -q '"msg":"listening"' "$WORK/provider.out" \
  || fail "the provider did not start: $(tail -n 5 "$WORK/provider.err")"

openssl ecparam -name prime256v1 -genkey -noout -out "$WORK/bench-key.pem" 2>/dev/null
JWK=$("$PY" "$HERE/es256.py" jwk "$WORK/bench-key.pem" bench-es256)
sed "s|@PORT@|$SITE_PORT|g; s|@UPSTREAM_PORT@|$UPSTREAM_PORT|g; s|@OP_PORT@|$OP_PORT|g; s|@JWK@|$JWK|g" \
  "$HERE/authgate.yaml.template" >"$WORK/authgate.yaml"
# The access log is on (the default) and goes to /dev/null, as nginx's does.
"$AUTHGATE_BIN" serve --config "$WORK/authgate.yaml" >/dev/null 2>"$WORK/authgate.err" &
SIDECAR_PID=$!
PIDS+=("$SIDECAR_PID")
wait_until 20 grep -q '"msg":"ready"' "$WORK/authgate.err" \
  || fail "authgate serve did not log ready: $(tail -n 5 "$WORK/authgate.err")"
ADMIN=$("$PY" -c '
import json, sys
for line in open(sys.argv[1]):
    try:
        entry = json.loads(line)
    except ValueError:
        continue
    if entry.get("msg") == "listening" and entry.get("listener") == "admin":
        print(entry["address"])
        break' "$WORK/authgate.err")
[[ -n "$ADMIN" ]] || fail "authgate serve logged no admin listener"

NOW=$(date +%s)
TOKEN=$("$PY" "$HERE/es256.py" sign "$WORK/bench-key.pem" bench-es256 \
  "{\"iss\":\"https://bench.example\",\"aud\":\"$SITE/\",\"sub\":\"bench-client\",\"scope\":\"api:read\",\"iat\":$NOW,\"exp\":$((NOW + 3600))}")
SESSION=$("$PY" "$HERE/login.py" "$SITE" bench-user) || fail "the login through the provider failed"
{
  echo "$(date -u +%Y-%m-%d), $(nproc) cores ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)), nothing pinned: wrk, nginx and authgate share them; load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)."
  echo "$(nginx -v 2>&1 | sed 's|.*/||' | sed 's/^/nginx /'), $(wrk -v 2>&1 | head -n 1 | cut -d' ' -f1-2), $AUTHGATE_BIN."
  echo "ES256 token: ${#TOKEN} bytes; session cookies (Cookie header for (e)): ${#SESSION} bytes."
} >"$WORK/notes"

# Each target once, and a refusal next to it, so that the load below measures
# what it claims to (a 302 or 401 would count as a success for wrk).
expect_status() {  # expect_status WANT URL [CURL_ARGS...]
  local want=$1 url=$2 got
  shift 2
  got=$(curl -s -o /dev/null -w '%{http_code}' "$@" "$url")
  [[ "$got" == "$want" ]] || fail "GET $url: expected $want, got $got"
}
expect_status 200 "http://127.0.0.1:$UPSTREAM_PORT/"
expect_status 200 "http://127.0.0.1:$PROXY_PORT/"
expect_status 200 "$SITE/public/hello"
expect_status 200 "$SITE/api/orders" -H "Authorization: Bearer $TOKEN"
SIGNATURE=${TOKEN##*.}
[[ ${SIGNATURE:0:1} == A ]] && OTHER=B || OTHER=A
expect_status 401 "$SITE/api/orders" -H "Authorization: Bearer ${TOKEN%.*}.$OTHER${SIGNATURE:1}"
expect_status 200 "$SITE/" -H "Cookie: $SESSION"
expect_status 302 "$SITE/" -H 'Accept: text/html'

# ---------------------------------------------------------------- the load

UPSTREAM_PIDS=$(nginx_pids upstream)
PROXY_PIDS=$(nginx_pids proxy)
echo "rss_start $(rss_kib "$SIDECAR_PID")" >"$WORK/sidecar"

# snapshot FILE FRONT_PIDS: CPU ticks of the proxy under test, of the
# upstream and of the machine, the sidecar's RSS and metrics.
snapshot() {
  local file=$1 front_pids=$2
  # shellcheck disable=SC2086 # pid lists
  {
    echo "front_ticks $(cpu_ticks $front_pids)"
    echo "upstream_ticks $(cpu_ticks $UPSTREAM_PIDS)"
    echo "sidecar_rss_kib $(rss_kib "$SIDECAR_PID")"
    # The whole machine's busy time (every field of /proc/stat's cpu line but
    # idle and iowait): what other processes took shows as "other".
    echo "machine_busy_ticks $(awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat)"
    echo "time_s $(date +%s.%N)"
  } >"$file"
  curl -s "http://$ADMIN/metrics" >"$file.metrics"
}

TARGETS=()
# measure KEY LABEL FRONT_PIDS URL [WRK_ARGS...]
measure() {
  local key=$1 label=$2 front_pids=$3 url=$4
  shift 4
  echo "measuring ($key) $label for $DURATION" >&2
  "${WRK[@]}" -d1s "$@" "$url" >/dev/null
  snapshot "$WORK/$key.before" "$front_pids"
  # The CPU time of wrk, the only child finished in between: bash's `times`
  # (in this shell, not a subshell, which would start from zero).
  times >"$WORK/$key.before.times"
  "${WRK[@]}" -d"$DURATION" "$@" "$url" >"$WORK/$key.wrk"
  times >"$WORK/$key.after.times"
  snapshot "$WORK/$key.after" "$front_pids"
  TARGETS+=("$key|$label")
}

measure a "upstream directly (nginx \`return 200\`)" "$UPSTREAM_PIDS" "http://127.0.0.1:$UPSTREAM_PORT/"
measure b 'nginx reverse proxy, no auth' "$PROXY_PIDS" "http://127.0.0.1:$PROXY_PORT/"
measure c "authgate, \`/public\` (requires: none)" "$SIDECAR_PID" "$SITE/public/hello"
measure d 'authgate, Bearer ES256 JWT' "$SIDECAR_PID" "$SITE/api/orders" \
  -H "Authorization: Bearer $TOKEN"
measure e 'authgate, session cookie' "$SIDECAR_PID" "$SITE/" -H "Cookie: $SESSION"
echo "rss_end $(rss_kib "$SIDECAR_PID")" >>"$WORK/sidecar"

"$PY" "$HERE/report.py" "$WORK" "$DURATION" "$(getconf CLK_TCK)" "${TARGETS[@]}"
