#!/usr/bin/env bash
# Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
#
# verify_cli_test.sh: the exact contract of the `authgate` binary.
#
#   bash verify_cli_test.sh AUTHGATE MAKE_TOKEN
#
# AUTHGATE is the authgate binary; MAKE_TOKEN is the tests/cli/make_token
# helper that writes keys and signed tokens. Run by ctest as `cli_verify`.
#
# The contract under test:
#   authgate verify (--jwks FILE | --jwks-uri URL | --issuer ISS --discover)
#                   [--issuer ISS]... [--audience AUD]... [--alg ALG]...
#                   [--leeway SECONDS] [--now EPOCH] [--typ TYP] [--timeout SECONDS]
#                   [TOKEN|-]
#   - options may come before or after TOKEN; --opt=value works;
#   - `-` or no TOKEN reads the token from stdin, stripping one trailing LF or
#     CRLF only; an empty token is a verdict (malformed, exit 1);
#   - FILE holds a JWKS, a single JWK or a PEM key (or certificate);
#   - --leeway defaults to the core's clock skew (60 s); without --alg every
#     algorithm the keys allow is allowed; without --issuer/--audience those
#     claims are not checked;
#   - valid: the decoded payload bytes on stdout followed by a newline, exit 0;
#   - any verdict against the token: `error: <reason_name>: <detail>` as the
#     last line on stderr, exit 1;
#   - usage errors, an unreadable file, a key file with no usable key: a clear
#     message, exit 2;
#   - `authgate inspect TOKEN`: decoded header and payload, plainly marked as
#     not verified.
#
# Each check prints "ok - <name>" or "not ok - <name>" (with details as
# "#" lines); the last line is "N passed, N failed"; the exit status is 1 when
# any check failed.

set -u

if [ $# -ne 2 ]; then
  echo "usage: $0 AUTHGATE MAKE_TOKEN" >&2
  exit 2
fi
AUTHGATE=$1
MAKE_TOKEN=$2

WORK=$(mktemp -d "${TMPDIR:-/tmp}/authgate-cli-test.XXXXXX") || exit 2
trap 'rm -rf "$WORK"' EXIT
K=$WORK/keys
mkdir "$K"

# Keys and tokens. Fields are separated by single spaces; headers hold none,
# payloads may (the payload is the rest of the line, used byte for byte).
if ! "$MAKE_TOKEN" "$K" <<'EOF'; then
key rsa rsa k1
key rsa2 rsa k1
key ec ec256 e1
key ed ed25519
key hmac hmac h1
key weak rsa1024 w1
# valid: exact payload bytes with spaces, an escape and non-ASCII text.
token valid rsa RS256 {"alg":"RS256","kid":"k1","typ":"JWT"} { "iss":"https://idp.example", "aud":"api","sub":"al\u0069ce","exp":4102444800,"iat":1700000000,"name":"Zoë" }
token exp rsa RS256 {"alg":"RS256","kid":"k1"} {"sub":"alice","exp":1700000000}
token nbf rsa RS256 {"alg":"RS256","kid":"k1"} {"nbf":1700000000,"exp":4102444800}
token other_iss rsa RS256 {"alg":"RS256","kid":"k1"} {"iss":"https://other.example","aud":["web","mobile"],"exp":4102444800}
token no_iss rsa RS256 {"alg":"RS256","kid":"k1"} {"sub":"bob","exp":4102444800}
token ps256 rsa PS256 {"alg":"PS256","kid":"k1"} {"sub":"pss","exp":4102444800}
token typ rsa RS256 {"alg":"RS256","kid":"k1","typ":"at+jwt"} {"sub":"typed","exp":4102444800}
token kid9 rsa RS256 {"alg":"RS256","kid":"k9"} {"sub":"x","exp":4102444800}
token forged rsa2 RS256 {"alg":"RS256","kid":"k1"} {"sub":"mallory","exp":4102444800}
token es256 ec ES256 {"alg":"ES256","kid":"e1"} {"sub":"ec","exp":4102444800}
token eddsa ed EdDSA {"alg":"EdDSA"} {"sub":"ed","exp":4102444800}
token hs256 hmac HS256 {"alg":"HS256","kid":"h1"} {"sub":"hmac","exp":4102444800}
EOF
  echo "Bail out! make_token failed"
  echo "0 passed, 1 failed"
  exit 1
fi

tok() { cat "$K/$1.jwt"; }

b64url() { base64 -w0 | tr '+/' '-_' | tr -d '='; }

VALID=$(tok valid)
VALID_HEADER=${VALID%%.*}
VALID_SIG=${VALID##*.}
# The first signature character changed: a different, well-formed signature.
if [ "${VALID_SIG:0:1}" = A ]; then flip=B; else flip=A; fi
TAMPERED_SIG="${VALID%.*}.${flip}${VALID_SIG:1}"
# Another payload under the original signature.
TAMPERED_PAYLOAD="${VALID_HEADER}.$(printf '%s' '{"sub":"mallory","exp":4102444800}' | b64url).${VALID_SIG}"
ALG_NONE="$(printf '%s' '{"alg":"none"}' | b64url).$(printf '%s' '{"sub":"x","exp":4102444800}' | b64url)."

# A JWKS with one good and one unusable (1024-bit) key.
printf '{"keys":[%s,%s]}' "$(cat "$K/rsa.jwk")" "$(cat "$K/weak.jwk")" >"$K/mixed.jwks"
printf 'this is not a key\n' >"$K/garbage"
: >"$K/empty"

pass=0
fail=0
rc=0

# run [--stdin FILE] ARGS...: runs the binary (stdin /dev/null unless given);
# sets rc and leaves $WORK/out and $WORK/err.
run() {
  local input=/dev/null
  if [ "${1:-}" = "--stdin" ]; then
    input=$2
    shift 2
  fi
  timeout 120 "$AUTHGATE" "$@" <"$input" >"$WORK/out" 2>"$WORK/err"
  rc=$?
}

# report NAME WHY: ok when WHY is empty.
report() {
  if [ -z "$2" ]; then
    echo "ok - $1"
    pass=$((pass + 1))
  else
    echo "not ok - $1"
    echo "#   $2 (exit $rc)"
    head -c 2000 "$WORK/out" | sed 's/^/#   stdout: /'
    head -c 2000 "$WORK/err" | sed 's/^/#   stderr: /'
    fail=$((fail + 1))
  fi
}

# expect_valid NAME TOKEN_NAME [--stdin FILE] ARGS...: exit 0, stdout exactly
# the payload of token TOKEN_NAME and a newline, stderr empty (unless
# ALLOW_STDERR=1).
expect_valid() {
  local name=$1 payload=$K/$2.payload why=""
  shift 2
  run "$@"
  { cat "$payload"; printf '\n'; } >"$WORK/expected"
  if [ "$rc" -ne 0 ]; then
    why="exit status is not 0"
  elif ! cmp -s "$WORK/out" "$WORK/expected"; then
    why="stdout is not exactly the payload followed by a newline"
  elif [ "${ALLOW_STDERR:-0}" != 1 ] && [ -s "$WORK/err" ]; then
    why="stderr is not empty"
  fi
  report "$name" "$why"
}

# expect_rejected NAME REASON [--stdin FILE] ARGS...: exit 1, stdout empty,
# last stderr line "error: REASON: <detail>" with a non-empty detail.
expect_rejected() {
  local name=$1 reason=$2 why="" last
  shift 2
  run "$@"
  last=$(tail -n 1 "$WORK/err")
  if [ "$rc" -ne 1 ]; then
    why="exit status is not 1"
  elif [ -s "$WORK/out" ]; then
    why="stdout is not empty"
  elif [[ "$last" != "error: $reason: "?* ]]; then
    why="last stderr line is not 'error: $reason: <detail>'"
  fi
  report "$name" "$why"
}

# expect_usage NAME PATTERN [--stdin FILE] ARGS...: exit 2, stdout empty, a
# message on stderr matching the extended regex PATTERN (case-insensitive;
# "" matches anything).
expect_usage() {
  local name=$1 pattern=$2 why=""
  shift 2
  run "$@"
  if [ "$rc" -ne 2 ]; then
    why="exit status is not 2"
  elif [ -s "$WORK/out" ]; then
    why="stdout is not empty"
  elif [ ! -s "$WORK/err" ]; then
    why="no message on stderr"
  elif [ -n "$pattern" ] && ! grep -Eqi -- "$pattern" "$WORK/err"; then
    why="stderr does not match /$pattern/"
  fi
  report "$name" "$why"
}

# stdin_file NAME FORMAT ARGS...: writes printf FORMAT ARGS to $WORK/NAME.
stdin_file() {
  local file=$WORK/$1
  shift
  # shellcheck disable=SC2059
  printf "$@" >"$file"
  echo "$file"
}

RSA=$K/rsa.jwks

# --- valid tokens and the output format -------------------------------------

expect_valid "valid token: payload bytes and newline on stdout, empty stderr, exit 0" \
  valid verify --jwks "$RSA" "$VALID"
expect_valid "valid token with --now" valid verify --jwks "$RSA" --now 1700000000 "$VALID"
expect_valid "options after TOKEN" valid verify "$VALID" --jwks "$RSA"
expect_valid "options before and after TOKEN" \
  valid verify --issuer https://idp.example "$VALID" --jwks "$RSA" --audience api
expect_valid "--opt=value form for every option" valid verify --jwks="$RSA" \
  --issuer=https://idp.example --audience=api --alg=RS256 --leeway=0 --now=1700000000 \
  --typ=JWT "$VALID"
expect_valid "-- ends the options" valid verify --jwks "$RSA" -- "$VALID"
expect_valid "TOKEN argument: stdin is not read" \
  valid --stdin "$(stdin_file other "%s\n" "$(tok exp)")" verify --jwks "$RSA" "$VALID"

# --- standard input ---------------------------------------------------------

expect_valid "'-' reads stdin (token + LF)" \
  valid --stdin "$(stdin_file lf "%s\n" "$VALID")" verify --jwks "$RSA" -
expect_valid "no TOKEN reads stdin (token + LF)" \
  valid --stdin "$WORK/lf" verify --jwks "$RSA"
expect_valid "stdin: token + CRLF" \
  valid --stdin "$(stdin_file crlf "%s\r\n" "$VALID")" verify --jwks "$RSA" -
expect_valid "stdin: token without newline" \
  valid --stdin "$(stdin_file bare "%s" "$VALID")" verify --jwks "$RSA"
expect_valid "stdin: options after '-'" \
  valid --stdin "$WORK/lf" verify - --jwks "$RSA" --issuer https://idp.example
expect_rejected "stdin: token + LF LF is malformed (one LF stripped)" malformed \
  --stdin "$(stdin_file lflf "%s\n\n" "$VALID")" verify --jwks "$RSA"
expect_rejected "stdin: token + CRLF CRLF is malformed (one CRLF stripped)" malformed \
  --stdin "$(stdin_file crlfcrlf "%s\r\n\r\n" "$VALID")" verify --jwks "$RSA"
expect_rejected "stdin: token + CR is malformed (a lone CR is kept)" malformed \
  --stdin "$(stdin_file cr "%s\r" "$VALID")" verify --jwks "$RSA"
expect_rejected "stdin: token + space + LF is malformed (no other trimming)" malformed \
  --stdin "$(stdin_file space "%s \n" "$VALID")" verify --jwks "$RSA"
expect_rejected "stdin: leading space is malformed" malformed \
  --stdin "$(stdin_file lead " %s\n" "$VALID")" verify --jwks "$RSA" -
expect_rejected "empty stdin is a verdict: error: malformed, exit 1" malformed \
  --stdin /dev/null verify --jwks "$RSA"
expect_rejected "stdin holding only LF: empty token, malformed" malformed \
  --stdin "$(stdin_file only_lf "\n")" verify --jwks "$RSA" -
expect_rejected "empty TOKEN argument: malformed, exit 1" malformed verify --jwks "$RSA" ""

# --- time: exp, nbf, --leeway, --now -----------------------------------------

expect_rejected "expired token (system clock): error: expired" expired \
  verify --jwks "$RSA" "$(tok exp)"
expect_valid "--now overrides the clock" exp verify --jwks "$RSA" --now 1699990000 "$(tok exp)"
expect_valid "default leeway 60 s: exp + 59 valid" exp \
  verify --jwks "$RSA" --now 1700000059 "$(tok exp)"
expect_rejected "default leeway 60 s: exp + 60 expired" expired \
  verify --jwks "$RSA" --now 1700000060 "$(tok exp)"
expect_valid "--leeway 120 extends: exp + 119 valid" exp \
  verify --jwks "$RSA" --leeway 120 --now 1700000119 "$(tok exp)"
expect_rejected "--leeway 120: exp + 120 expired" expired \
  verify --jwks "$RSA" --leeway 120 --now 1700000120 "$(tok exp)"
expect_valid "--leeway 0: exp - 1 valid" exp verify --jwks "$RSA" --leeway 0 --now 1699999999 "$(tok exp)"
expect_rejected "--leeway 0: exp expired" expired \
  verify --jwks "$RSA" --leeway=0 --now=1700000000 "$(tok exp)"
expect_rejected "nbf in the future: error: not_yet_valid" not_yet_valid \
  verify --jwks "$RSA" --now 1699999900 "$(tok nbf)"
expect_valid "--leeway covers nbf" nbf verify --jwks "$RSA" --now 1699999900 --leeway 100 "$(tok nbf)"
expect_valid "default leeway covers nbf - 60" nbf verify --jwks "$RSA" --now 1699999940 "$(tok nbf)"

# --- issuer and audience -------------------------------------------------------

expect_valid "no --issuer: iss not checked" other_iss verify --jwks "$RSA" "$(tok other_iss)"
expect_valid "no --issuer: token without iss" no_iss verify --jwks "$RSA" "$(tok no_iss)"
expect_valid "--issuer match" valid verify --jwks "$RSA" --issuer https://idp.example "$VALID"
expect_rejected "--issuer mismatch: error: issuer_mismatch" issuer_mismatch \
  verify --jwks "$RSA" --issuer https://idp.example "$(tok other_iss)"
expect_valid "--issuer repeated: any match" valid \
  verify --jwks "$RSA" --issuer https://a.example --issuer https://idp.example "$VALID"
expect_valid "--issuer repeated: any match (second order)" other_iss \
  verify --jwks "$RSA" --issuer https://other.example --issuer https://idp.example "$(tok other_iss)"
expect_rejected "--issuer and no iss claim: error: missing_claim" missing_claim \
  verify --jwks "$RSA" --issuer https://idp.example "$(tok no_iss)"
expect_valid "no --audience: aud not checked" valid verify --jwks "$RSA" "$VALID"
expect_valid "--audience match" valid verify --jwks "$RSA" --audience api "$VALID"
expect_rejected "--audience mismatch: error: audience_mismatch" audience_mismatch \
  verify --jwks "$RSA" --audience web "$VALID"
expect_valid "--audience repeated: any match" valid \
  verify --jwks "$RSA" --audience web --audience api "$VALID"
expect_valid "--audience against an aud array" other_iss \
  verify --jwks "$RSA" --audience mobile "$(tok other_iss)"

# --- algorithms ---------------------------------------------------------------

expect_valid "no --alg: PS256 allowed by an RSA key" ps256 verify --jwks "$RSA" "$(tok ps256)"
expect_valid "--alg RS256 allows RS256" valid verify --jwks "$RSA" --alg RS256 "$VALID"
expect_rejected "--alg RS256 excludes PS256: error: alg_not_allowed" alg_not_allowed \
  verify --jwks "$RSA" --alg RS256 "$(tok ps256)"
expect_valid "--alg repeated: RS256 and PS256" ps256 \
  verify --jwks "$RSA" --alg RS256 --alg PS256 "$(tok ps256)"
expect_usage "--alg ES256 with only an RSA key: exit 2, says no algorithm fits" "algorithm" \
  verify --jwks "$RSA" --alg ES256 "$VALID"
expect_usage "--alg none: exit 2" "none" verify --jwks "$RSA" --alg none "$VALID"
expect_usage "--alg unknown: exit 2" "XX999" verify --jwks "$RSA" --alg XX999 "$VALID"
expect_rejected "alg none token: error: unsupported_alg" unsupported_alg \
  verify --jwks "$RSA" "$ALG_NONE"

# --- typ ------------------------------------------------------------------------

expect_valid "--typ at+jwt matches" typ verify --jwks "$RSA" --typ at+jwt "$(tok typ)"
expect_valid "--typ application/at+jwt matches at+jwt" typ \
  verify --jwks "$RSA" --typ application/at+jwt "$(tok typ)"
expect_rejected "--typ mismatch: error: type_mismatch" type_mismatch \
  verify --jwks "$RSA" --typ at+jwt "$VALID"
expect_valid "no --typ: typ not checked" typ verify --jwks "$RSA" "$(tok typ)"

# --- key files -------------------------------------------------------------------

expect_valid "FILE as a JWKS" valid verify --jwks "$K/rsa.jwks" "$VALID"
expect_valid "FILE as a single JWK" valid verify --jwks "$K/rsa.jwk" "$VALID"
expect_valid "FILE as a PEM public key" valid verify --jwks "$K/rsa.pem" "$VALID"
expect_valid "FILE as a PEM certificate" valid verify --jwks "$K/rsa.crt" "$VALID"
expect_valid "EC key (JWKS), ES256" es256 verify --jwks "$K/ec.jwks" "$(tok es256)"
expect_valid "EC key (PEM), ES256" es256 verify --jwks "$K/ec.pem" "$(tok es256)"
expect_valid "Ed25519 key (JWK), EdDSA" eddsa verify --jwks "$K/ed.jwk" "$(tok eddsa)"
expect_valid "Ed25519 certificate, EdDSA" eddsa verify --jwks "$K/ed.crt" "$(tok eddsa)"
expect_valid "oct key (JWK), HS256" hs256 verify --jwks "$K/hmac.jwk" "$(tok hs256)"
ALLOW_STDERR=1 expect_valid "JWKS with one unusable key: still verifies" valid \
  verify --jwks "$K/mixed.jwks" "$VALID"
expect_rejected "JWKS with one unusable key: error line is still last" expired \
  verify --jwks "$K/mixed.jwks" "$(tok exp)"
expect_rejected "unknown kid: error: key_not_found" key_not_found \
  verify --jwks "$RSA" "$(tok kid9)"
expect_usage "nonexistent FILE: exit 2" "$K/missing.jwks" \
  verify --jwks "$K/missing.jwks" "$VALID"
expect_usage "FILE is a directory: exit 2" "" verify --jwks "$K" "$VALID"
expect_usage "FILE with only a 1024-bit RSA key: exit 2" "2048" \
  verify --jwks "$K/weak.jwk" "$VALID"
expect_usage "FILE with garbage: exit 2" "" verify --jwks "$K/garbage" "$VALID"
expect_usage "empty FILE: exit 2" "" verify --jwks "$K/empty" "$VALID"
expect_usage "usage error wins over stdin: no token read" "" \
  --stdin "$WORK/lf" verify --jwks "$K/garbage"

# --- usage errors -----------------------------------------------------------------
# Not asserted: a single-dash argument other than `-` ("-h", "-x") is taken as
# the TOKEN (a malformed verdict, exit 1) rather than as an unknown option; no
# compact JWS can start with '-', but the contract does not say.

expect_usage "unknown option before TOKEN: exit 2" "bogus" verify --bogus --jwks "$RSA" "$VALID"
expect_usage "unknown option after TOKEN: exit 2" "bogus" verify --jwks "$RSA" "$VALID" --bogus
expect_usage "unknown option in --opt=value form: exit 2" "bogus" \
  verify --jwks "$RSA" --bogus=1 "$VALID"
expect_usage "missing --jwks: exit 2" "jwks" verify "$VALID"
expect_usage "missing --jwks with stdin: exit 2" "jwks" --stdin "$WORK/lf" verify
expect_usage "--jwks without a value: exit 2" "jwks" verify "$VALID" --jwks
expect_usage "two TOKENs: exit 2" "" verify --jwks "$RSA" "$VALID" "$VALID"
expect_usage "TOKEN and '-': exit 2" "" --stdin "$WORK/lf" verify --jwks "$RSA" "$VALID" -
expect_usage "--leeway not a number: exit 2" "leeway" verify --jwks "$RSA" --leeway abc "$VALID"
expect_usage "--leeway negative: exit 2" "leeway" verify --jwks "$RSA" --leeway=-5 "$VALID"
expect_usage "--now not a number: exit 2" "now" verify --jwks "$RSA" --now yesterday "$VALID"
expect_usage "no command: exit 2" "usage"
expect_usage "unknown command: exit 2" "frobnicate" frobnicate

# --- verdicts against the token -----------------------------------------------------

expect_rejected "tampered signature: error: signature_invalid" signature_invalid \
  verify --jwks "$RSA" "$TAMPERED_SIG"
expect_rejected "tampered payload: error: signature_invalid" signature_invalid \
  verify --jwks "$RSA" "$TAMPERED_PAYLOAD"
expect_rejected "signed by another key: error: signature_invalid" signature_invalid \
  verify --jwks "$RSA" "$(tok forged)"
expect_rejected "garbage token: error: malformed" malformed verify --jwks "$RSA" "not-a-token"
expect_rejected "two segments: error: malformed" malformed verify --jwks "$RSA" "${VALID%.*}"
expect_rejected "rejection message holds no token" signature_invalid \
  verify --jwks "$RSA" "$(tok forged)"
if grep -qF -- "$(tok forged | cut -d. -f3 | cut -c1-20)" "$WORK/err"; then
  report "stderr of a rejection does not echo the signature" "signature found on stderr"
else
  report "stderr of a rejection does not echo the signature" ""
fi

# --- inspect --------------------------------------------------------------------------

# expect_inspect NAME TOKEN [--stdin FILE]: exit 0, NOT VERIFIED, the exact
# header and payload JSON on stdout.
expect_inspect() {
  local name=$1 token=$2 header payload why=""
  shift 2
  header=$(printf '%s' "${token%%.*}" | tr -- '-_' '+/')
  while [ $((${#header} % 4)) -ne 0 ]; do header="$header="; done
  header=$(printf '%s' "$header" | base64 -d)
  payload=$(printf '%s' "$token" | cut -d. -f2 | tr -- '-_' '+/')
  while [ $((${#payload} % 4)) -ne 0 ]; do payload="$payload="; done
  payload=$(printf '%s' "$payload" | base64 -d)
  if [ "${1:-}" = "--stdin" ]; then
    run --stdin "$2" inspect "${@:3}"
  else
    run inspect "$token"
  fi
  if [ "$rc" -ne 0 ]; then
    why="exit status is not 0"
  elif ! grep -q "NOT VERIFIED" "$WORK/out"; then
    why="stdout does not say NOT VERIFIED"
  elif ! grep -qF -- "$header" "$WORK/out"; then
    why="stdout lacks the header $header"
  elif ! grep -qF -- "$payload" "$WORK/out"; then
    why="stdout lacks the payload"
  fi
  report "$name" "$why"
}

expect_inspect "inspect TOKEN: header, payload, NOT VERIFIED, exit 0" "$VALID"
expect_inspect "inspect a tampered token: still decoded, NOT VERIFIED" "$TAMPERED_SIG"
expect_inspect "inspect an expired token" "$(tok exp)"
expect_inspect "inspect -: reads stdin" "$VALID" --stdin "$WORK/lf" -
expect_inspect "inspect without TOKEN: reads stdin" "$VALID" --stdin "$WORK/crlf"
expect_rejected "inspect garbage: exit 1, error: malformed" malformed inspect "garbage"
expect_rejected "inspect empty stdin: exit 1, error: malformed" malformed --stdin /dev/null inspect
expect_usage "inspect two TOKENs: exit 2" "" inspect "$VALID" "$VALID"

# --- remote keys: --jwks-uri and --issuer ISS --discover ----------------------
# A plain file server on an ephemeral loopback port serves the keys and an
# OpenID configuration naming it as the issuer.

WWW=$WORK/www
mkdir -p "$WWW/.well-known"
/usr/bin/python3 -u -m http.server 0 --bind 127.0.0.1 --directory "$WWW" >"$WORK/http.log" 2>&1 &
HTTP_PID=$!
trap 'kill "$HTTP_PID" 2>/dev/null; rm -rf "$WORK"' EXIT
PORT=""
for _ in $(seq 1 100); do
  PORT=$(sed -nE 's/.*port ([0-9]+).*/\1/p' "$WORK/http.log" | head -n 1)
  [ -n "$PORT" ] && break
  sleep 0.1
done
if [ -z "$PORT" ]; then
  echo "not ok - start the loopback key server"
  fail=$((fail + 1))
else
  BASE="http://127.0.0.1:$PORT"
  R=$WORK/remote
  mkdir "$R"
  "$MAKE_TOKEN" "$R" <<EOF2 >/dev/null
key d ec256 d1
token disc d ES256 {"alg":"ES256","kid":"d1"} {"iss":"$BASE","sub":"remote","exp":4102444800}
EOF2
  cp "$R/d.jwks" "$WWW/jwks.json"
  printf '{"issuer":"%s","jwks_uri":"%s/jwks.json"}' "$BASE" "$BASE" \
    >"$WWW/.well-known/openid-configuration"
  mkdir -p "$WWW/other/.well-known"
  printf '{"issuer":"https://evil.example","jwks_uri":"%s/jwks.json"}' "$BASE" \
    >"$WWW/other/.well-known/openid-configuration"
  K=$R  # expect_valid reads the expected payload from $K
  expect_valid "--jwks-uri URL: keys fetched, valid token accepted" disc \
    verify --jwks-uri "$BASE/jwks.json" "$(cat "$R/disc.jwt")"
  expect_valid "--jwks-uri=URL form" disc verify "--jwks-uri=$BASE/jwks.json" "$(cat "$R/disc.jwt")"
  expect_valid "--issuer ISS --discover: keys through OIDC discovery" disc \
    verify --issuer "$BASE" --discover "$(cat "$R/disc.jwt")"
  expect_rejected "--discover: a document for another issuer is jwks_unavailable" \
    jwks_unavailable verify --issuer "$BASE/other" --discover --timeout 2 "$(cat "$R/disc.jwt")"
  expect_rejected "--jwks-uri: keys not fetched within --timeout: jwks_unavailable" \
    jwks_unavailable verify --jwks-uri "$BASE/missing.json" --timeout 1 "$(cat "$R/disc.jwt")"
  expect_usage "--discover without --issuer: exit 2" "issuer" verify --discover "$(cat "$R/disc.jwt")"
  expect_usage "--discover with two --issuer: exit 2" "issuer" \
    verify --discover --issuer "$BASE" --issuer "$BASE/x" "$(cat "$R/disc.jwt")"
  expect_usage "--jwks and --jwks-uri together: exit 2" "exactly one" \
    verify --jwks "$RSA" --jwks-uri "$BASE/jwks.json" "$(cat "$R/disc.jwt")"
  expect_usage "--jwks-uri over plain http to a remote host: exit 2" "https" \
    verify --jwks-uri "http://idp.example/jwks.json" "$(cat "$R/disc.jwt")"
  expect_usage "--discover over plain http to a remote host: exit 2" "https" \
    verify --issuer "http://idp.example" --discover "$(cat "$R/disc.jwt")"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
