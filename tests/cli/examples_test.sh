#!/usr/bin/env bash
# Every examples/*/authgate.yaml must pass `authgate check-config` (the real
# YAML translation and engine loader), with a dummy value for each ${VAR} it
# uses; where the example has a README.md, that must name each of those
# variables. An example that drifts from the loader, or asks for a variable
# its README never explains, fails here.
#
# Usage: examples_test.sh [AUTHGATE]   (default $AUTHGATE_BIN, then
# build/proxy/authgate of this tree)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
AUTHGATE=${1:-${AUTHGATE_BIN:-$ROOT/build/proxy/authgate}}

# One value fits every place a variable stands in the examples: a host name
# label (OKTA_DOMAIN), a tenant or client ID, and a secret, which the engine
# wants at least 32 bytes long.
DUMMY=check0123456789abcdef0123456789abcdef

passed=0
failed=0

fail() {  # fail EXAMPLE WHY
  failed=$((failed + 1))
  echo "FAIL $1: $2"
}

# referenced_variables FILE: the NAME of each ${NAME} in FILE, once each
# ($${ is a literal "${" to the loader, not a reference).
referenced_variables() {
  grep -oE '(^|[^$])\$\{[A-Za-z_][A-Za-z0-9_]*\}' "$1" |
    sed -E 's/.*\$\{([A-Za-z_][A-Za-z0-9_]*)\}/\1/' | sort -u || true
}

shopt -s nullglob
configs=("$ROOT"/examples/*/authgate.yaml)
if [[ ${#configs[@]} -eq 0 ]]; then
  echo "FAIL no examples/*/authgate.yaml under $ROOT"
  echo "examples: 0 passed, 1 failed"
  exit 1
fi

for config in "${configs[@]}"; do
  dir=$(dirname "$config")
  example=examples/$(basename "$dir")
  mapfile -t variables < <(referenced_variables "$config")

  assignments=()
  undocumented=()
  for variable in "${variables[@]}"; do
    assignments+=("$variable=$DUMMY")
    if [[ -f $dir/README.md ]] && ! grep -qw -- "$variable" "$dir/README.md"; then
      undocumented+=("$variable")
    fi
  done

  status=0
  output=$(env "${assignments[@]}" "$AUTHGATE" check-config "$config" 2>&1) || status=$?
  if [[ $status -ne 0 || $output != *"$config: configuration OK"* ]]; then
    fail "$example" "check-config exit $status: $output"
  elif [[ ${#undocumented[@]} -gt 0 ]]; then
    fail "$example" "README.md does not name ${undocumented[*]}"
  else
    passed=$((passed + 1))
    echo "ok   $example (${#variables[@]} variables)"
  fi
done

echo "examples: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
