#!/usr/bin/env bash
# run_tests.sh PREFIX: the Python binding's tests against an installed library.
#
#   cmake --install build --prefix PREFIX && bindings/python/run_tests.sh PREFIX
#
# Makes a venv with Debian's Python (/usr/bin/python3, --system-site-packages for
# python3-pytest, -flask, -starlette, -fastapi, -httpx, -jwt), pip-installs the binding from
# this source tree offline (--no-build-isolation: no PyPI), and runs pytest on tests/ against
# the installed package, with AUTHGATE_LIBRARY pointing at PREFIX's libauthgate.so.0.2. The
# tests include the example (examples/python) at the e2e tests' OpenID Provider, for which
# node_modules is installed at the repository root when missing (npm ci).
# Last line: "N passed, N failed"; exit 0 only when nothing failed.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PYTHON=/usr/bin/python3

if (($# != 1)) || [[ ! -d "$1" ]]; then
  echo "usage: $0 PREFIX   (a directory made by cmake --install build --prefix PREFIX)" >&2
  exit 2
fi
PREFIX=$(cd "$1" && pwd)

# setup_failed WHY: nothing could be tested; counted as one failure.
setup_failed() {
  echo "FAIL setup: $1"
  echo "0 passed, 1 failed"
  exit 1
}

LIBRARY=$(find "$PREFIX" -name 'libauthgate.so.0.2' -print -quit)
[[ -n "$LIBRARY" ]] || setup_failed "no libauthgate.so.0.2 under $PREFIX"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/authgate-py.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

# shellcheck source=scripts/lib/deps.sh
source "$ROOT/scripts/lib/deps.sh"
deps_ensure_npm "$ROOT" >"$TMP/npm.log" 2>&1 || { tail -n 20 "$TMP/npm.log"; setup_failed "npm ci"; }

"$PYTHON" -m venv --system-site-packages "$TMP/venv" || setup_failed "python3 -m venv (python3-venv)"
# A copy, so that the build leaves no build/ or *.egg-info in the source tree.
cp -r "$HERE" "$TMP/source"
rm -rf "$TMP/source/tests"
"$TMP/venv/bin/pip" install --quiet --no-build-isolation --no-index --no-deps "$TMP/source" \
  >"$TMP/pip.log" 2>&1 || { tail -n 20 "$TMP/pip.log"; setup_failed "pip install"; }

export AUTHGATE_LIBRARY=$LIBRARY
installed=$(cd "$TMP" && "$TMP/venv/bin/python" -c 'import authgate; print(authgate.__file__)') \
  || setup_failed "import authgate from the venv"
[[ "$installed" == "$TMP/venv/"* ]] || setup_failed "authgate imported from $installed, not the venv"
echo "testing $installed with $LIBRARY"

# From $TMP, so that nothing but the venv provides `authgate`.
(cd "$TMP" && timeout 240 "$TMP/venv/bin/python" -m pytest "$HERE/tests" -q -p no:cacheprovider \
  -o "cache_dir=$TMP/cache" --junitxml="$TMP/results.xml")
rc=$?

[[ -f "$TMP/results.xml" ]] || setup_failed "pytest wrote no results (exit status $rc)"
read -r passed failed < <("$PYTHON" - "$TMP/results.xml" <<'PY'
import sys
import xml.etree.ElementTree as ET

root = ET.parse(sys.argv[1]).getroot()
suites = [root] if root.tag == "testsuite" else list(root)
total = sum(int(s.get("tests", 0)) for s in suites)
failed = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
skipped = sum(int(s.get("skipped", 0)) for s in suites)
print(total - failed - skipped, failed)
PY
)
if ((rc != 0 && failed == 0)); then
  failed=1  # pytest itself failed (a timeout, a crash): one more failure
fi
echo "$passed passed, $failed failed"
((failed == 0))
