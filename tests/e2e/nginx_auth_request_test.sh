#!/usr/bin/env bash
# nginx auth_request in front of an app, every request checked by `authgate serve`
# in auth-request mode: the documented examples/nginx/auth_request.conf, run by
# Debian's nginx, only its addresses replaced. Around it, on ephemeral loopback
# ports: an app that echoes the headers it got, and a small OpenID Provider
# (discovery, authorize, token) so that a whole login runs through nginx.
#
#   tests/e2e/nginx_auth_request_test.sh        # AUTHGATE_BIN=... to choose the binary
#
# Prints one line per check and `nginx e2e: N passed, M failed`; exit 0 only
# when every check passed.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
AUTHGATE_BIN=${AUTHGATE_BIN:-$ROOT/build/proxy/authgate}
EXAMPLE=$ROOT/examples/nginx/auth_request.conf
PY=/usr/bin/python3

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
  echo "nginx e2e: $passed passed, $failed failed"
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

# ---------------------------------------------------------------- helpers in Python

cat >"$WORK/helpers.py" <<'PY'
"""The test's stand-ins: the app, the OpenID Provider, and token minting."""
import base64, hashlib, hmac, json, os, secrets, socket, sys, threading, time, urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hs256(key, claims):
    signing_input = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()) + "." + \
        b64url(json.dumps(claims).encode())
    signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + b64url(signature)


def serve(handler, port_file):
    """Listens on an ephemeral port and publishes it (atomically) in port_file."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    with open(port_file + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(port_file + ".tmp", port_file)
    server.serve_forever()


class Quiet(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body, content_type="application/json", headers=()):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


class App(Quiet):
    """Answers every request with what it received; X-App marks its answers."""

    def do_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        headers = {}
        for name, value in self.headers.items():
            headers.setdefault(name.lower(), []).append(value)
        self.reply(200, json.dumps({"method": self.command, "target": self.path, "headers": headers}),
                   headers=[("X-App", "hello")])

    do_GET = do_POST = do_PUT = do_DELETE = do_any


class Provider(Quiet):
    """Just enough of an OpenID Provider: discovery, keys, an authorization
    endpoint that logs the user in at once, a token endpoint issuing an ID token
    signed HS256 with the client secret (oidc.id_token_algorithms: [HS256])."""
    codes = {}
    lock = threading.Lock()

    def issuer(self):
        return "http://127.0.0.1:%d" % self.server.server_address[1]

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        iss = self.issuer()
        if url.path == "/.well-known/openid-configuration":
            self.reply(200, json.dumps({
                "issuer": iss, "authorization_endpoint": iss + "/authorize",
                "token_endpoint": iss + "/token", "jwks_uri": iss + "/jwks",
                "end_session_endpoint": iss + "/end_session",
                "response_types_supported": ["code"], "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["HS256"],
                "code_challenge_methods_supported": ["S256"]}))
        elif url.path == "/jwks":
            with open(os.environ["OP_JWKS_FILE"]) as f:
                self.reply(200, f.read())
        elif url.path == "/authorize":
            code = secrets.token_urlsafe(16)
            with self.lock:
                self.codes[code] = query
            location = query["redirect_uri"] + "?" + urllib.parse.urlencode(
                {"code": code, "state": query["state"], "iss": iss})
            self.reply(302, "", "text/plain", [("Location", location)])
        elif url.path == "/end_session":
            self.reply(200, "signed out at the provider", "text/plain")
        else:
            self.reply(404, "{}")

    def do_POST(self):
        form = dict(urllib.parse.parse_qsl(self.rfile.read(int(self.headers["Content-Length"])).decode()))
        with self.lock:
            login = self.codes.pop(form.get("code"), None)
        verifier = form.get("code_verifier", "").encode()
        if self.path != "/token" or login is None or \
                b64url(hashlib.sha256(verifier).digest()) != login["code_challenge"]:
            self.reply(400, json.dumps({"error": "invalid_grant"}))
            return
        now = int(time.time())
        id_token = hs256(os.environ["OP_CLIENT_SECRET"].encode(), {
            "iss": self.issuer(), "sub": "bob", "aud": login["client_id"], "iat": now,
            "exp": now + 600, "nonce": login["nonce"], "email": "bob@example.com"})
        self.reply(200, json.dumps({"access_token": secrets.token_urlsafe(24), "token_type": "Bearer",
                                    "expires_in": 600, "id_token": id_token}),
                   headers=[("Cache-Control", "no-store")])


def main():
    command = sys.argv[1]
    if command == "free-port":
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            print(s.getsockname()[1])
    elif command == "app":
        serve(App, sys.argv[2])
    elif command == "provider":
        serve(Provider, sys.argv[2])
    elif command == "new-key":  # a random 32-byte HS256 key, base64url
        print(b64url(os.urandom(32)))
    elif command == "mint":  # mint KEY_B64URL CLAIMS_JSON: an HS256 token expiring in 10 min
        key = base64.urlsafe_b64decode(sys.argv[2] + "=" * (-len(sys.argv[2]) % 4))
        now = int(time.time())
        print(hs256(key, dict(json.loads(sys.argv[3]), iat=now, exp=now + 600)))
    elif command == "listen-address":  # listen-address STDERR_LOG LISTENER
        for line in open(sys.argv[2]):
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if entry.get("msg") == "listening" and entry.get("listener") == sys.argv[3]:
                print(entry["address"])
                return
        sys.exit(1)
    elif command == "app-target":  # app-target BODY_FILE: the target the app got
        with open(sys.argv[2]) as f:
            print(json.load(f)["target"])
    elif command == "app-header":  # app-header BODY_FILE NAME: the values the app got, one a line
        with open(sys.argv[2]) as f:
            for value in json.load(f)["headers"].get(sys.argv[3].lower(), []):
                print(value)


main()
PY

helper() { "$PY" "$WORK/helpers.py" "$@"; }

# ---------------------------------------------------------------- the scenario

[[ -x "$AUTHGATE_BIN" ]] || setup_failed "no authgate binary at $AUTHGATE_BIN"
command -v nginx >/dev/null || setup_failed "nginx is not installed (Debian package nginx)"

# Started without the helper function, so that $! is the server itself.
"$PY" "$WORK/helpers.py" app "$WORK/app.port" &
PIDS+=($!)
# The ID tokens are HS256 with the client secret: at least 32 bytes.
CLIENT_SECRET=$(openssl rand -hex 24)
OP_JWKS_FILE=$ROOT/tests/fixtures/example/jwks.json OP_CLIENT_SECRET=$CLIENT_SECRET \
  "$PY" "$WORK/helpers.py" provider "$WORK/op.port" &
PIDS+=($!)
wait_until 10 test -s "$WORK/app.port" || setup_failed "the app did not start"
wait_until 10 test -s "$WORK/op.port" || setup_failed "the provider did not start"
APP_PORT=$(<"$WORK/app.port")
OP=http://127.0.0.1:$(<"$WORK/op.port")
NGINX_PORT=$(helper free-port)
SITE=http://127.0.0.1:$NGINX_PORT

API_KEY=$(helper new-key)
cat >"$WORK/authgate.yaml" <<YAML
listen: 127.0.0.1:0
upstream: http://127.0.0.1:$APP_PORT
server:
  trusted_proxies: [127.0.0.1/32]
  auth_request_path: /authgate/auth
  auth_request_proxy: nginx
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

# The example, with its three documented addresses replaced (each must occur
# exactly as documented, or the test would silently stop testing the example).
mkdir -p "$WORK/nginx"
substitute() {  # substitute FROM TO: in $WORK/nginx/site.conf, FROM must occur exactly once
  local count
  count=$(grep -c -F -- "$1" "$WORK/nginx/site.conf" || true)
  [[ "$count" == 1 ]] || setup_failed "\"$1\" occurs $count times in $EXAMPLE, expected once"
  sed -i "s|$1|$2|" "$WORK/nginx/site.conf"
}
cp "$EXAMPLE" "$WORK/nginx/site.conf"
substitute "server 127.0.0.1:8001;" "server 127.0.0.1:$APP_PORT;"
substitute "server 127.0.0.1:8000;" "server $AUTHGATE_ADDRESS;"
substitute "listen 80;" "listen 127.0.0.1:$NGINX_PORT;"
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
    include $WORK/nginx/site.conf;
}
NGINX
nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -e "$WORK/nginx/error.log" -g 'daemon off;' &
PIDS+=($!)
wait_until 10 curl -s -o /dev/null "$SITE/public/" \
  || setup_failed "nginx did not start" "$WORK/nginx/error.log"

# ---------------------------------------------------------------- checks

# request URL_OR_PATH [CURL_ARGS...]: one request (a path goes to nginx); sets
# STATUS, leaves the response head in $WORK/head and the body in $WORK/body.
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

request /api/orders "${JSON[@]}" -H 'X-Original-URI: /public/x' -H 'X-Original-Method: GET'
expect "no token, the client's X-Original-URI ignored: 401" no_token

request /api/orders "${JSON[@]}" -H "Authorization: Bearer $(token alice profile)"
no_scope() { [[ $STATUS == 403 ]] && ! from_app; }
expect "token without the scope: 403" no_scope

request "/account?tab=1" "${BROWSER[@]}"
LOGIN_URL=$(header Location)
login_redirect() {
  [[ $STATUS == 302 && "$LOGIN_URL" == "$OP/authorize?"* ]] && ! from_app \
    && [[ "$LOGIN_URL" == *client_id=hello-world* && "$LOGIN_URL" == *code_challenge_method=S256* ]] \
    && [[ "$LOGIN_URL" == *"redirect_uri=http%3A%2F%2F127.0.0.1%3A$NGINX_PORT%2Fcallback"* ]] \
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
expect "callback through nginx: session set, flow cookie cleared, back to the URL" login_done

request "/account?tab=1" "${BROWSER[@]}"
session_ok() {
  [[ $STATUS == 200 ]] && from_app && [[ "$(app_got x-authgate-sub)" == bob ]] \
    && [[ "$(app_target)" == "/account?tab=1" ]]
}
expect "session: 200 from the app with the user's x-authgate-sub" session_ok

request "/callback?code=forged&state=forged" "${BROWSER[@]}"
forged_callback() { [[ $STATUS == 400 ]] && ! from_app && [[ "$(header Cache-Control)" == *no-store* ]]; }
expect "forged callback: 400 from authgate" forged_callback

request /signout "${BROWSER[@]}"
signed_out() {
  [[ $STATUS == 302 && "$(header Location)" == "$OP/end_session"* ]] && ! from_app \
    && clears authgate_session
}
expect "signout through nginx: session cleared, on to the provider's logout" signed_out

summary
