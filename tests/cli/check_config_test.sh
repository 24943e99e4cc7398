#!/usr/bin/env bash
# The contract of `authgate check-config`: the sidecar's YAML is validated by
# the engine's own loader; exit 0 when valid (warnings on stderr), 1 with a
# message naming the key, 2 for usage errors and unreadable files.
set -u
AUTHGATE=$1
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
passed=0
failed=0

check() {  # check NAME EXPECTED_EXIT EXPECTED_TEXT FILE_OR_ARGS...
  local name=$1 want_exit=$2 want_text=$3
  shift 3
  local out
  out=$("$AUTHGATE" check-config "$@" 2>&1)
  local got=$?
  if [[ $got -eq $want_exit && "$out" == *"$want_text"* ]]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAIL $name: exit $got (want $want_exit), output: $out (want: $want_text)"
  fi
}

base() {
  cat <<'YAML'
listen: 127.0.0.1:8000
upstream: http://127.0.0.1:8001
admin: 127.0.0.1:9901
session:
  secret: ${CHECK_SECRET}
oidc:
  issuer: http://localhost:9000
  authorization_endpoint: http://localhost:9000/auth
  token_endpoint: http://localhost:9000/token
  jwks_uri: http://localhost:9000/jwks
  client_id: hello-world
  client_secret: "${CHECK_CLIENT_SECRET}"
  redirect_uri: http://127.0.0.1:8000/callback
  scopes: [openid, profile, email]
  signout_path: /signout
  forward_bearer_token: true
jwt:
  providers:
    idp:
      issuer: http://localhost:9000
      jwks_uri: http://localhost:9000/jwks
      audiences: [http://127.0.0.1:8000/]
      claim_to_headers: [{claim: sub, header: x-authgate-sub}]
rules:
  - match: {prefix: /public}
    requires: none
  - match: {prefix: /api}
    requires: {jwt: [idp]}
    claims: {scope: {contains: api:read}}
  - match: {prefix: /teams}
    requires: login
    claims:
      ? [https://example.com/roles]
      : {contains: admin}
      realm_access.roles: {one_of: [a, b]}
  - match: {prefix: /}
    requires: login
YAML
}

export CHECK_SECRET=0123456789abcdef0123456789abcdef CHECK_CLIENT_SECRET=s3cret
base > "$WORK/ok.yaml"
check "valid contract config" 0 "configuration OK" "$WORK/ok.yaml"
check "--config form" 0 "configuration OK" --config "$WORK/ok.yaml"
check "--config= form" 0 "configuration OK" "--config=$WORK/ok.yaml"
check "loopback http warns about cookies" 0 "warning: cookies are not Secure" "$WORK/ok.yaml"

CHECK_SECRET= check "short secret" 1 "session.secret: must be at least 32 bytes" "$WORK/ok.yaml"
unset CHECK_CLIENT_SECRET
check "unset variable named" 1 \
  "oidc.client_secret: environment variable CHECK_CLIENT_SECRET is not set" "$WORK/ok.yaml"
export CHECK_CLIENT_SECRET=s3cret

base | sed 's/  signout_path: \/signout/  signout_path: \/signout\n  bogus: 1/' > "$WORK/unknown.yaml"
check "unknown key named" 1 "oidc.bogus" "$WORK/unknown.yaml"

base | sed 's/forward_bearer_token: true/forward_bearer_token: yes/' > "$WORK/yes.yaml"
check "YAML 1.1 yes is not a boolean" 1 "oidc.forward_bearer_token" "$WORK/yes.yaml"

base | sed 's/forward_bearer_token: true/forward_bearer_token: "true"/' > "$WORK/quoted.yaml"
check "a quoted true is a string" 1 "oidc.forward_bearer_token" "$WORK/quoted.yaml"

base | sed 's/requires: {jwt: \[idp\]}/requires: {jwt: [nobody]}/' > "$WORK/provider.yaml"
check "unknown provider in a rule" 1 "rules[1].requires" "$WORK/provider.yaml"

base | sed 's/redirect_uri: http:\/\/127.0.0.1:8000\/callback/redirect_uri: http:\/\/app.example\/callback/' \
  > "$WORK/insecure.yaml"
check "plain http redirect URI off loopback" 1 "redirect_uri" "$WORK/insecure.yaml"

base | sed '/      audiences: /d' > "$WORK/noaudiences.yaml"
check "a provider without audiences is warned about" 0 "warning: jwt.providers.idp: no audiences" \
  "$WORK/noaudiences.yaml"

base | sed '/^listen:/d' > "$WORK/nolisten.yaml"
check "listen required" 1 "listen: required" "$WORK/nolisten.yaml"

base | sed 's/      audiences: \[http:\/\/127.0.0.1:8000\/\]/      audiences: [http:\/\/127.0.0.1:8000\/]\n      max_token_size: 01234/' > "$WORK/octal.yaml"
check "a non-JSON number is a string" 1 "max_token_size" "$WORK/octal.yaml"
base | sed 's/      audiences: \[http:\/\/127.0.0.1:8000\/\]/      audiences: [http:\/\/127.0.0.1:8000\/]\n      max_token_size: 2048/' > "$WORK/number.yaml"
check "a JSON number is a number" 0 "configuration OK" "$WORK/number.yaml"

server_key() {  # server_key NAME EXIT TEXT YAML-LINES: base plus a `server` section
  local name=$1 want_exit=$2 want_text=$3
  { base; printf 'server:\n%s\n' "$4"; } > "$WORK/server.yaml"
  check "$name" "$want_exit" "$want_text" "$WORK/server.yaml"
}
server_key "server keys accepted" 0 "configuration OK" "  threads: 2
  max_connections: 100
  max_header_bytes: 8192
  header_timeout: 500ms
  trusted_proxies: [10.0.0.0/8, '::1', 127.0.0.1]
  auth_request_path: /auth
  auth_request_proxy: caddy
  auth_request_redirect_status: 302
  access_log: false"
server_key "auth endpoint needs its proxy" 1 "server.auth_request_proxy: required" "  trusted_proxies: [127.0.0.1]
  auth_request_path: /auth"
server_key "auth endpoint needs trusted proxies" 1 "server.trusted_proxies: required" "  auth_request_path: /auth
  auth_request_proxy: nginx"
server_key "auth proxy is one of four" 1 "server.auth_request_proxy: must be" "  trusted_proxies: [127.0.0.1]
  auth_request_path: /auth
  auth_request_proxy: haproxy"
server_key "auth proxy without the endpoint" 1 "server.auth_request_proxy: only applies" "  auth_request_proxy: envoy"
server_key "unknown server key" 1 "server.max_conns: unknown key" "  max_conns: 5"
server_key "bad duration" 1 "server.idle_timeout" "  idle_timeout: 10"
server_key "bad CIDR" 1 "server.trusted_proxies[0]" "  trusted_proxies: [10.0.0.0/33]"
server_key "header limit range" 1 "server.max_header_bytes" "  max_header_bytes: 10"
server_key "TLS needs both files" 1 "server.tls" "  tls: {cert_file: /x.pem}"
server_key "upstream_tls only for https" 1 "server.upstream_tls" "  upstream_tls: {ca_file: /ca.pem}"
base | sed 's|^upstream: .*|upstream: http://127.0.0.1:8001/app|' > "$WORK/path.yaml"
check "upstream without a path" 1 "upstream: must be" "$WORK/path.yaml"
base | sed 's|^listen: .*|listen: 8000|' > "$WORK/port.yaml"
check "listen needs host:port" 1 "listen: must be host:port" "$WORK/port.yaml"

printf 'listen: [1, 2\n' > "$WORK/broken.yaml"
check "YAML syntax error names the line" 1 "at line" "$WORK/broken.yaml"

printf -- '- a\n- b\n' > "$WORK/list.yaml"
check "top level must be a mapping" 1 "must be a YAML mapping" "$WORK/list.yaml"

check "no file" 2 "usage"
check "unreadable file" 2 "cannot read" "$WORK/does-not-exist.yaml"

echo "check-config: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
