#!/usr/bin/env bash
# A front proxy in front of an app, every request checked by `authgate serve`
# in auth-request mode: nginx `auth_request` running the documented
# examples/nginx/auth_request.conf, or Caddy `forward_auth` running the
# documented examples/caddy/Caddyfile, by Debian's nginx or caddy, only their
# addresses replaced. Around it, on ephemeral loopback ports: an app that
# echoes what it got, and a small OpenID Provider (discovery, authorize,
# token) so that a whole login runs through the proxy.
#
#   tests/e2e/front_proxy_test.sh nginx|caddy   # AUTHGATE_BIN=... to choose the binary
#
# The same checks for both: tokens, forged identity headers, the client
# spoofing the original request with every proxy's headers, a browser login,
# a forged callback, sign-out. Prints one line per check and `<proxy> e2e: N
# passed, M failed`; exit 0 only when every check passed.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
AUTHGATE_BIN=${AUTHGATE_BIN:-$ROOT/build/proxy/authgate}
PROXY=${1:-}
PY=/usr/bin/python3
HELPERS=$ROOT/tests/e2e/front_proxy_helpers.py
case "$PROXY" in
  nginx) EXAMPLE=$ROOT/examples/nginx/auth_request.conf REDIRECT_STATUS=401 ;;
  caddy) EXAMPLE=$ROOT/examples/caddy/Caddyfile REDIRECT_STATUS=302 ;;
  *) echo "usage: $0 nginx|caddy" >&2; exit 2 ;;
esac

WORK=$(mktemp -d)
# nginx's workers run as nobody when the master runs as root: they must reach
# their temp directories under $WORK/nginx.
chmod 755 "$WORK"
# shellcheck source=scripts/lib/children.sh
source "$ROOT/scripts/lib/children.sh"
children_trap "$WORK"

passed=0
failed=0
summary() {
  echo "$PROXY e2e: $passed passed, $failed failed"
  ((failed == 0 && passed > 0))
}
# setup_failed WHY LOG...: the scenario cannot run; show why and stop.
setup_failed() {
  echo "FAIL setup: $1"
  shift
  local log
  for log in "$@"; do [[ -s "$log" ]] && { echo "--- $log"; tail -n 20 "$log"; }; done
  failed=$((failed + 1))
  summary || exit 1
}

helper() { "$PY" "$HELPERS" "$@"; }

# ---------------------------------------------------------------- the scenario

[[ -x "$AUTHGATE_BIN" ]] || setup_failed "no authgate binary at $AUTHGATE_BIN"
command -v "$PROXY" >/dev/null || setup_failed "$PROXY is not installed (Debian package $PROXY)"

# Started without the helper function, so that $! is the server itself.
"$PY" "$HELPERS" app "$WORK/app.port" &
PIDS+=($!)
# The ID tokens are HS256 with the client secret: at least 32 bytes.
CLIENT_SECRET=$(openssl rand -hex 24)
OP_JWKS_FILE=$ROOT/tests/fixtures/example/jwks.json OP_CLIENT_SECRET=$CLIENT_SECRET \
  "$PY" "$HELPERS" provider "$WORK/op.port" &
PIDS+=($!)
wait_until 10 test -s "$WORK/app.port" || setup_failed "the app did not start"
wait_until 10 test -s "$WORK/op.port" || setup_failed "the provider did not start"
APP_PORT=$(<"$WORK/app.port")
OP=http://127.0.0.1:$(<"$WORK/op.port")
PROXY_PORT=$(helper free-port)
SITE=http://127.0.0.1:$PROXY_PORT

API_KEY=$(helper new-key)
cat >"$WORK/authgate.yaml" <<YAML
listen: 127.0.0.1:0
upstream: http://127.0.0.1:$APP_PORT
server:
  trusted_proxies: [127.0.0.1/32]
  auth_request_path: /authgate/auth
  auth_request_proxy: $PROXY
  auth_request_redirect_status: $REDIRECT_STATUS
session:
  secret: \${E2E_SESSION_SECRET}
oidc:
  issuer: $OP
  client_id: hello-world
  client_secret: \${E2E_CLIENT_SECRET}
  redirect_uri: $SITE/callback
  signout_path: /signout
  id_token_algorithms: [HS256]
  claim_to_headers: [{claim: sub, header: x-authgate-sub}]
jwt:
  providers:
    api:
      issuer: https://tokens.example
      audiences: [$SITE/]
      jwks: {keys: [{kty: oct, alg: HS256, k: "$API_KEY"}]}
      claim_to_headers: [{claim: sub, header: x-authgate-sub}]
rules:
  - match: {prefix: /public}
    requires: none
  - match: {prefix: /api}
    requires: {jwt: [api]}
    claims: {scope: {contains: api:read}}
  - match: {prefix: /}
    requires: login
YAML
E2E_SESSION_SECRET=$(openssl rand -base64 32) E2E_CLIENT_SECRET=$CLIENT_SECRET \
  "$AUTHGATE_BIN" serve --config "$WORK/authgate.yaml" >"$WORK/authgate.out" 2>"$WORK/authgate.err" &
PIDS+=($!)
wait_until 15 grep -q '"msg":"ready"' "$WORK/authgate.err" \
  || setup_failed "authgate serve did not log ready" "$WORK/authgate.err"
AUTHGATE_ADDRESS=$(helper listen-address "$WORK/authgate.err" main) \
  || setup_failed "authgate serve logged no main listener" "$WORK/authgate.err"

# The example, with its documented addresses replaced (each must occur exactly
# as documented, or the test would silently stop testing the example).
mkdir -p "$WORK/$PROXY"
SITE_CONF=$WORK/$PROXY/site.conf
substitute() {  # substitute FROM TO: in $SITE_CONF, FROM must occur exactly once
  local count
  count=$(grep -c -F -- "$1" "$SITE_CONF" || true)
  [[ "$count" == 1 ]] || setup_failed "\"$1\" occurs $count times in $EXAMPLE, expected once"
  sed -i "s|$1|$2|" "$SITE_CONF"
}
cp "$EXAMPLE" "$SITE_CONF"
if [[ $PROXY == nginx ]]; then
  substitute "server 127.0.0.1:8001;" "server 127.0.0.1:$APP_PORT;"
  substitute "server 127.0.0.1:8000;" "server $AUTHGATE_ADDRESS;"
  substitute "listen 80;" "listen 127.0.0.1:$PROXY_PORT;"
  cat >"$WORK/nginx/nginx.conf" <<NGINX
worker_processes 1;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
events { worker_connections 256; }
http {
    access_log $WORK/nginx/access.log;
    client_body_temp_path $WORK/nginx/client_body;
    proxy_temp_path $WORK/nginx/proxy;
    fastcgi_temp_path $WORK/nginx/fastcgi;
    uwsgi_temp_path $WORK/nginx/uwsgi;
    scgi_temp_path $WORK/nginx/scgi;
    include $SITE_CONF;
}
NGINX
  PROXY_LOG=$WORK/nginx/error.log
  nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -e "$PROXY_LOG" -g 'daemon off;' &
  PIDS+=($!)
else
  substitute "reverse_proxy 127.0.0.1:8001" "reverse_proxy 127.0.0.1:$APP_PORT"
  substitute "forward_auth 127.0.0.1:8000" "forward_auth $AUTHGATE_ADDRESS"
  substitute "http://app.example:80 {" "http://127.0.0.1:$PROXY_PORT {"
  PROXY_LOG=$WORK/caddy/caddy.log
  # Caddy keeps its state under XDG directories: the test's own.
  XDG_DATA_HOME=$WORK/caddy XDG_CONFIG_HOME=$WORK/caddy \
    caddy run --config "$SITE_CONF" --adapter caddyfile >"$PROXY_LOG" 2>&1 &
  PIDS+=($!)
fi
wait_until 10 curl -s -o /dev/null "$SITE/public/" \
  || setup_failed "$PROXY did not start" "$PROXY_LOG"

# ---------------------------------------------------------------- checks

# request URL_OR_PATH [CURL_ARGS...]: one request (a path goes to the proxy);
# sets STATUS, leaves the response head in $WORK/head and the body in $WORK/body.
request() {
  local url=$1
  shift
  [[ "$url" == http* ]] || url=$SITE$url
  STATUS=$(curl -s -o "$WORK/body" -D "$WORK/head" -w '%{http_code}' "$@" "$url") || STATUS=000
}
# header NAME: the response header's values, one a line.
header() { sed -n "s/^$1: *//Ip" "$WORK/head" | tr -d '\r'; }
from_app() { [[ -n "$(header X-App)" ]]; }
app_got() { helper app-header "$WORK/body" "$1"; }
app_target() { helper app-target "$WORK/body"; }
# clears COOKIE: the response deletes that cookie.
clears() { header Set-Cookie | grep -Eiq "^$1=[^;]*;.*(max-age=0|expires=thu, 01 jan 1970)"; }

# expect NAME CONDITION: one check; on failure the response is shown.
expect() {
  if "$2"; then
    passed=$((passed + 1))
    echo "ok   $1"
  else
    failed=$((failed + 1))
    echo "FAIL $1: status $STATUS"
    tr -d '\r' <"$WORK/head" | sed 's/^/       /'
    head -c 600 "$WORK/body" | sed 's/^/       /'
    echo
  fi
}

token() {  # token SUB SCOPE [KEY]: an HS256 token of the api provider
  helper mint "${3:-$API_KEY}" \
    "{\"iss\":\"https://tokens.example\",\"aud\":\"$SITE/\",\"sub\":\"$1\",\"scope\":\"$2\"}"
}
OTHER_KEY=$(helper new-key)
JSON=(-H 'Accept: application/json')
BROWSER=(-H 'Accept: text/html,application/xhtml+xml,*/*;q=0.8' -b "$WORK/jar" -c "$WORK/jar")
# Every proxy's way of naming the original request, naming a public GET.
SPOOF=(-H 'X-Original-URI: /public/x' -H 'X-Original-Method: GET'
       -H 'X-Forwarded-Uri: /public/x' -H 'X-Forwarded-Method: GET')

request /api/orders?page=2 "${JSON[@]}" -H "Authorization: Bearer $(token alice api:read)"
good_token() {
  [[ $STATUS == 200 ]] && from_app && [[ "$(app_got x-authgate-sub)" == alice ]] \
    && [[ "$(app_target)" == "/api/orders?page=2" ]] && [[ -z "$(app_got authorization)" ]]
}
expect "good token: 200 from the app with x-authgate-sub, the target, no token" good_token

request /api/orders "${JSON[@]}" -H "Authorization: Bearer $(token alice api:read)" \
  -H 'X-Authgate-Sub: mallory' -H 'x-authgate-sub: root'
spoof_replaced() { [[ $STATUS == 200 ]] && [[ "$(app_got x-authgate-sub)" == alice ]]; }
expect "good token: the client's x-authgate-sub replaced by the real one" spoof_replaced

request /public/index.html "${JSON[@]}" -H 'X-Authgate-Sub: mallory'
spoof_removed() { [[ $STATUS == 200 ]] && from_app && [[ -z "$(app_got x-authgate-sub)" ]]; }
expect "public route: the client's x-authgate-sub removed" spoof_removed

request /public/index.html "${JSON[@]}" -H 'X_Authgate_Sub: mallory'
underscore_removed() { [[ $STATUS == 200 ]] && from_app && ! grep -qi mallory "$WORK/body"; }
expect "public route: the client's X_Authgate_Sub removed" underscore_removed


request /api/orders "${JSON[@]}" -H "Authorization: Bearer $(token alice api:read "$OTHER_KEY")"
bad_token() {
  [[ $STATUS == 401 ]] && ! from_app && [[ "$(header WWW-Authenticate | wc -l)" == 1 ]] \
    && header WWW-Authenticate | grep -q 'error="invalid_token"'
}
expect "token signed with another key: 401 with authgate's challenge" bad_token

request /api/orders "${JSON[@]}"
no_token() {
  [[ $STATUS == 401 ]] && ! from_app && header WWW-Authenticate | grep -q '^Bearer' \
    && [[ -z "$(header Location)" ]]
}
expect "no token: 401 with a Bearer challenge, no redirect" no_token

request /api/orders "${JSON[@]}" "${SPOOF[@]}"
expect "no token, a public GET spoofed in every proxy's headers: 401" no_token

request /api/orders -X DELETE "${JSON[@]}" "${SPOOF[@]}"
expect "DELETE without a token, a public GET spoofed in every proxy's headers: 401" no_token

request /api/orders "${JSON[@]}" -H "Authorization: Bearer $(token alice profile)"
no_scope() { [[ $STATUS == 403 ]] && ! from_app; }
expect "token without the scope: 403" no_scope

request "/account?tab=1" "${BROWSER[@]}"
LOGIN_URL=$(header Location)
login_redirect() {
  [[ $STATUS == 302 && "$LOGIN_URL" == "$OP/authorize?"* ]] && ! from_app \
    && [[ "$LOGIN_URL" == *client_id=hello-world* && "$LOGIN_URL" == *code_challenge_method=S256* ]] \
    && [[ "$LOGIN_URL" == *"redirect_uri=http%3A%2F%2F127.0.0.1%3A$PROXY_PORT%2Fcallback"* ]] \
    && header Set-Cookie | grep -q '^authgate_flow\.[^=]*=.'
}
expect "browser without a session: 302 to the provider with a flow cookie" login_redirect

request "$LOGIN_URL"
CALLBACK_URL=$(header Location)
request "$CALLBACK_URL" "${BROWSER[@]}"
login_done() {
  [[ $STATUS == 302 && "$(header Location)" == */account\?tab=1 ]] && ! from_app \
    && header Set-Cookie | grep -q '^authgate_session=.' && clears 'authgate_flow\.[^=]*'
}
expect "callback through $PROXY: session set, flow cookie cleared, back to the URL" login_done

request "/account?tab=1" "${BROWSER[@]}"
session_ok() {
  [[ $STATUS == 200 ]] && from_app && [[ "$(app_got x-authgate-sub)" == bob ]] \
    && [[ "$(app_target)" == "/account?tab=1" ]]
}
expect "session: 200 from the app with the user's x-authgate-sub" session_ok

# The session is bound to the host: had the client's X-Forwarded-Host reached
# authgate, the session would not open there.
request "/account?tab=1" "${BROWSER[@]}" -H 'X-Forwarded-Host: evil.example'
expect "session: the client's X-Forwarded-Host is replaced by the proxy's" session_ok

request "/callback?code=forged&state=forged" "${BROWSER[@]}"
forged_callback() { [[ $STATUS == 400 ]] && ! from_app && [[ "$(header Cache-Control)" == *no-store* ]]; }
expect "forged callback: 400 from authgate" forged_callback

request /signout "${BROWSER[@]}"
signed_out() {
  [[ $STATUS == 302 && "$(header Location)" == "$OP/end_session"* ]] && ! from_app \
    && clears authgate_session
}
expect "signout through $PROXY: session cleared, on to the provider's logout" signed_out

summary
