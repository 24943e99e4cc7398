# shellcheck shell=bash
# fuzz.sh: building and running the libFuzzer targets of tests/fuzz/ (listed
# in tests/fuzz/targets.txt), for scripts/test and scripts/fuzz.
#
#   source scripts/lib/ccache.sh
#   source scripts/lib/fuzz.sh
#   fuzz_targets "$ROOT"                          # the target names, one per line
#   fuzz_build "$ROOT" "$DIR" "$JOBS"             # clang, libFuzzer, ASan+UBSan; ccache
#   fuzz_run "$ROOT" "$DIR" TARGET SECONDS ARTIFACTS LOG CORPUS... [LIBFUZZER_FLAGS...]
#   fuzz_stats LOG                                # "executions N, N exec/s, cov N, ft N"
#   fuzz_report_findings "$DIR" TARGET FILE...   # each reproducer and how to replay it

# fuzz_targets ROOT: the names of the targets, in the order of the list.
fuzz_targets() {
  sed -n 's/^\([a-z][a-z0-9_]*\).*/\1/p' "$1/tests/fuzz/targets.txt"
}

# fuzz_build ROOT DIR JOBS: configures DIR as a fuzzing tree and builds only
# the fuzz targets. Every object is compiled with coverage feedback and
# AddressSanitizer + UndefinedBehaviorSanitizer (any UB aborts).
fuzz_build() {
  local root=$1 dir=$2 jobs=$3 targets
  ccache_use "$root"
  mapfile -t targets < <(fuzz_targets "$root")
  cmake -S "$root" -B "$dir" -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAUTHGATE_BUILD_FUZZ=ON -DAUTHGATE_SANITIZE=ON \
    -DAUTHGATE_BUILD_TESTS=ON -DAUTHGATE_BUILD_CLI=ON -DAUTHGATE_BUILD_BENCH=OFF \
    -DAUTHGATE_BUILD_EXAMPLES=OFF -DAUTHGATE_TSAN=OFF -DAUTHGATE_WERROR=ON \
    "${CCACHE_CMAKE_ARGS[@]}"
  cmake --build "$dir" --parallel "$jobs" --target "${targets[@]}"
}

# fuzz_run ROOT DIR TARGET SECONDS ARTIFACTS LOG ARGS...: runs TARGET for
# SECONDS with its dictionary, writing what it finds (crash-*, leak-*,
# timeout-*, oom-*) into ARTIFACTS and its output into LOG. ARGS are corpus
# folders (new inputs go into the first; libFuzzer never writes to the
# others) and any further libFuzzer flags. One input running longer than
# 10 s or growing past 2 GB is a finding too. Returns libFuzzer's status: 0
# when nothing was found.
fuzz_run() {
  local root=$1 dir=$2 target=$3 seconds=$4 artifacts=$5 log=$6
  shift 6
  mkdir -p "$artifacts"
  UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1} \
    "$dir/tests/fuzz/$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -dict="$root/tests/fuzz/dict/$target.dict" \
    -artifact_prefix="$artifacts/" "$@" >"$log" 2>&1
}

# fuzz_stats LOG: the executions, their rate and the coverage at the end of
# a run (libFuzzer's cov: edges and ft: features), in one line.
fuzz_stats() {
  local log=$1 executions rate cov ft
  executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n1)
  cov=$(sed -nE 's/.* cov: ([0-9]+) .*/\1/p' "$log" | tail -n1)
  ft=$(sed -nE 's/.* ft: ([0-9]+) .*/\1/p' "$log" | tail -n1)
  echo "executions ${executions:-?}, ${rate:-?} exec/s, cov ${cov:-?}, ft ${ft:-?}"
}

# fuzz_report_findings DIR TARGET FILE...: prints each reproducer (escaped,
# its first 2 KB) and the command that replays it.
fuzz_report_findings() {
  local dir=$1 target=$2 file
  shift 2
  for file in "$@"; do
    [[ -f "$file" ]] || continue
    echo "  reproducer $file ($(wc -c <"$file") bytes):"
    head -c 2048 "$file" | od -An -c -w32 | sed 's/^/    /'
    echo "  replay: $dir/tests/fuzz/$target $file"
  done
}
