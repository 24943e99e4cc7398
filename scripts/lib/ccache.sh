# shellcheck shell=bash
# ccache.sh: the compiler cache that every build of the scripts shares.
#
#   source scripts/lib/ccache.sh
#   ccache_use "$ROOT"                          # exports CCACHE_* when ccache is installed
#   cmake -S . -B build "${CCACHE_CMAKE_ARGS[@]}"   # its compiler launcher, or nothing

# shellcheck disable=SC2034 # read by the scripts that source this file
CCACHE_CMAKE_ARGS=()

# ccache_use ROOT: when ccache is installed, exports its settings for builds
# of the clone at ROOT and sets CCACHE_CMAKE_ARGS to the compiler launcher.
ccache_use() {
  command -v ccache >/dev/null 2>&1 || return 0
  # Under $HOME, so the cache outlives the clone CI runs in. BASEDIR makes
  # paths inside the clone relative, so a clone elsewhere still hits.
  export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/ccache}
  export CCACHE_BASEDIR=$1
  export CCACHE_NOHASHDIR=true
  # shellcheck disable=SC2034
  CCACHE_CMAKE_ARGS=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
}
