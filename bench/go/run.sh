#!/usr/bin/env bash
# run.sh PREFIX [go test flags]: the Go verification benchmarks (authgate's Go
# binding against golang-jwt v4, go-jose v2 and go-oidc v2, Debian's
# packages) with the library installed in PREFIX.
#
#   bench/go/run.sh /tmp/authgate -benchtime 1s -count 6
#
# Prints go test's lines, then the median of each benchmark and its ratio to
# authgate on the same algorithm (summarize.py).
#
# GOPATH mode (GO111MODULE=off) with Debian's Go sources under
# /usr/share/gocode: the peers stay out of the binding's module and no
# module proxy is needed. Needs golang-github-golang-jwt-jwt-dev,
# golang-gopkg-square-go-jose.v2-dev, golang-github-coreos-go-oidc-dev.
set -euo pipefail
if (($# < 1)) || [[ ! -d "$1" ]]; then
  echo "usage: $0 PREFIX [go test flags]" >&2
  exit 2
fi
PREFIX=$(cd "$1" && pwd)
shift
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PC=$(find "$PREFIX" -name authgate.pc -path '*/pkgconfig/*' | head -n 1)
[[ -n "$PC" ]] || { echo "no authgate.pc under $PREFIX" >&2; exit 1; }

GOPATH_DIR=$(mktemp -d "${TMPDIR:-/tmp}/authgate-bench-go.XXXXXX")
trap 'rm -rf "$GOPATH_DIR"' EXIT
mkdir -p "$GOPATH_DIR/src"
ln -s "$ROOT/bindings/go" "$GOPATH_DIR/src/authgate"
ln -s "$HERE" "$GOPATH_DIR/src/bench"

export GO111MODULE=off GOPATH=$GOPATH_DIR:/usr/share/gocode GOFLAGS='' CGO_ENABLED=1
PKG_CONFIG_PATH=$(dirname "$PC")
export PKG_CONFIG_PATH
LD_LIBRARY_PATH=$(cd "$(dirname "$PC")/.." && pwd)${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export LD_LIBRARY_PATH
cd "$GOPATH_DIR/src/bench"
go test -run '^$' -bench . "$@" | /usr/bin/python3 "$HERE/summarize.py"
