# shellcheck shell=bash
# deps.sh: the Debian packages authgate's build and tests need, in one place,
# and the function that installs whichever are missing.
#
#   source scripts/lib/deps.sh
#   deps_ensure            # apt-get only when something is missing

# One list for everything scripts/test runs. Add packages here (and only
# here) when a new stage needs them.
AUTHGATE_DEBIAN_PACKAGES=(
  build-essential cmake pkg-config ccache
  clang libclang-rt-14-dev llvm
  libssl-dev libcurl4-openssl-dev rapidjson-dev libabsl-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libboost-dev libyaml-cpp-dev libre2-dev
  openssl curl python3 nginx caddy wrk chromium
  golang-go
  # The Go peers of bench/go (Debian's sources under /usr/share/gocode).
  golang-github-golang-jwt-jwt-dev golang-gopkg-square-go-jose.v2-dev
  golang-github-coreos-go-oidc-dev golang-golang-x-oauth2-dev
  # bindings/python: the offline venv install, its tests, its benchmark's peers
  python3-venv python3-setuptools python3-wheel python3-pytest python3-yaml
  python3-flask python3-starlette python3-fastapi python3-httpx
  python3-jwt python3-jwcrypto python3-authlib
)

# deps_missing prints the packages of AUTHGATE_DEBIAN_PACKAGES that are not
# installed, one per line.
deps_missing() {
  local pkg status
  for pkg in "${AUTHGATE_DEBIAN_PACKAGES[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
    [[ "$status" == installed ]] || printf '%s\n' "$pkg"
  done
}

# deps_ensure installs the missing packages with apt-get (running
# `apt-get update` first, and only when something is missing). Idempotent:
# with everything installed it touches neither the network nor dpkg.
deps_ensure() {
  local missing
  mapfile -t missing < <(deps_missing)
  if ((${#missing[@]} == 0)); then
    echo "all ${#AUTHGATE_DEBIAN_PACKAGES[@]} Debian packages are installed"
    return 0
  fi
  echo "installing: ${missing[*]}"
  local sudo=()
  if ((EUID != 0)); then
    if command -v sudo >/dev/null 2>&1; then
      sudo=(sudo -n)
    else
      echo "not root and no sudo: install these packages: ${missing[*]}" >&2
      return 1
    fi
  fi
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q </dev/null
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null
  mapfile -t missing < <(deps_missing)
  if ((${#missing[@]} != 0)); then
    echo "still missing after apt-get install: ${missing[*]}" >&2
    return 1
  fi
}

# deps_ensure_node makes sure `node` and `npm` exist: Debian's nodejs and
# npm when neither is on PATH. A Node.js from elsewhere (NodeSource ships
# npm inside its nodejs package) is used as it is: Debian's npm package
# would conflict with it.
deps_ensure_node() {
  if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
    echo "node $(node --version), npm $(npm --version)"
    return 0
  fi
  local sudo=()
  if ((EUID != 0)); then sudo=(sudo -n); fi
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q </dev/null
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends nodejs npm </dev/null
}

# deps_ensure_npm ROOT runs `npm ci` in ROOT when node_modules is missing or
# older than package-lock.json (the lockfile is the only source of
# versions; nothing is resolved afresh).
deps_ensure_npm() {
  local root=$1 stamp=$1/node_modules/.package-lock.json
  if [[ -f "$stamp" && "$stamp" -nt "$root/package-lock.json" ]]; then
    echo "node_modules is up to date with package-lock.json"
    return 0
  fi
  (cd "$root" && npm ci --no-audit --no-fund)
}
