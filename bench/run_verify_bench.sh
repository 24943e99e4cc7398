#!/usr/bin/env bash
# run_verify_bench.sh: runs `openssl speed` and authgate_bench on this machine
# and prints the markdown table of bench/README.md (medians of 3 repetitions),
# followed by the issue's targets, each marked met or missed. `openssl speed`
# runs before and after the benchmark; the table uses the mean of the two.
#
#   bench/run_verify_bench.sh build/bench/authgate_bench [JSON_OUT] [-- extra benchmark flags]
#
# Builds nothing. JSON_OUT keeps the benchmark's JSON (default: a temporary
# file, removed at exit). OPENSSL_SPEED_SECONDS (default 3) sets the length of
# each `openssl speed` test. Run it on a quiet machine: the two-thread
# figures need both cores.
set -euo pipefail

if [[ $# -lt 1 || ! -x "$1" ]]; then
  echo "usage: $0 path/to/authgate_bench [JSON_OUT] [-- extra benchmark flags]" >&2
  exit 2
fi
bench=$1
shift
json_out=""
if [[ $# -gt 0 && "$1" != "--" ]]; then
  json_out=$1
  shift
fi
[[ $# -gt 0 && "$1" == "--" ]] && shift
extra=("$@")

python=/usr/bin/python3
seconds=${OPENSSL_SPEED_SECONDS:-3}
tmpdir=$(mktemp -d)
trap 'rm -rf "$tmpdir"' EXIT
json=${json_out:-$tmpdir/bench.json}

# openssl speed runs before and after the benchmark; the table uses the mean
# of the two, and a large difference between them says the machine changed
# speed meanwhile (other load, frequency scaling).
run_speed() {
  echo "openssl speed -seconds $seconds rsa2048 ecdsap256 ecdsap384 ed25519 ($1)" >&2
  openssl speed -seconds "$seconds" rsa2048 ecdsap256 ecdsap384 ed25519 \
    >"$tmpdir/speed-$1.txt" 2>/dev/null
}

run_speed before
echo "$bench --benchmark_repetitions=3 ... (a few minutes)" >&2
"$bench" --benchmark_repetitions=3 --benchmark_report_aggregates_only=true \
  --benchmark_format=json "${extra[@]}" >"$json"
run_speed after

"$python" - "$json" "$tmpdir/speed-before.txt" "$tmpdir/speed-after.txt" <<'EOF'
import json
import re
import sys

with open(sys.argv[1]) as f:
    doc = json.load(f)
speed_texts = []
for path in sys.argv[2:4]:
    with open(path) as f:
        speed_texts.append(f.read())

# openssl speed verify/s (the last column of each result line).
speed_lines = {
    "rsa2048": r"^rsa\s+2048 bits\s.*?([\d.]+)\s*$",
    "ecdsap256": r"^\s*256 bits ecdsa \(nistp256\)\s.*?([\d.]+)\s*$",
    "ecdsap384": r"^\s*384 bits ecdsa \(nistp384\)\s.*?([\d.]+)\s*$",
    "ed25519": r"^\s*253 bits EdDSA \(Ed25519\)\s.*?([\d.]+)\s*$",
}
speed_runs = []  # [before, after]: {test: verify/s}
for text in speed_texts:
    run = {}
    for key, pattern in speed_lines.items():
        m = re.search(pattern, text, re.M)
        if m:
            run[key] = float(m.group(1))
    speed_runs.append(run)
speed = {}
for key in speed_lines:
    values = [run[key] for run in speed_runs if key in run]
    if values:
        speed[key] = sum(values) / len(values)
speed_of = {"RS256": "rsa2048", "PS256": "rsa2048", "ES256": "ecdsap256",
            "ES384": "ecdsap384", "EdDSA": "ed25519"}

# Medians by run name.
median = {}
for b in doc.get("benchmarks", []):
    if b.get("aggregate_name") == "median":
        median[b["run_name"]] = b
if not median:
    sys.exit("no medians in the benchmark output: was --benchmark_repetitions >= 2?")


def rate(name, counter="items_per_second"):
    b = median.get(name)
    return b.get(counter) if b else None


def parallel_rate(name):
    # Combined rate of both threads: the bench's own wall-clock counter, or
    # else iterations over the median real time.
    r = rate(name, "all_threads_per_second")
    if r is None and name in median:
        b = median[name]
        scale = {"ns": 1e9, "us": 1e6, "ms": 1e3, "s": 1.0}[b.get("time_unit", "ns")]
        r = scale / b["real_time"]
    return r


def fmt(v, ratio=False):
    if v is None:
        return "n/a"
    return f"{v:.2f}" if ratio else f"{v:,.0f}"


def div(a, b):
    return a / b if a is not None and b else None


algs = ["RS256", "PS256", "ES256", "ES384", "EdDSA", "HS256"]
rows = {}
print("| ALG | BM_Verify/s | BM_RawOpenSSL/s | openssl speed verify/s | Verify/raw "
      "| Verify/openssl-speed | Cached/s | Parallel/s | Parallel/single |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
for alg in algs:
    v = rate(f"BM_Verify/{alg}")
    raw = rate(f"BM_RawOpenSSL/{alg}")
    sp = speed.get(speed_of.get(alg, ""))
    cached = rate(f"BM_VerifyCached/{alg}")
    par = parallel_rate(f"BM_VerifyParallel/{alg}/threads:2")
    rows[alg] = dict(verify=v, raw=raw, speed=sp, cached=cached, par=par)
    print(f"| {alg} | {fmt(v)} | {fmt(raw)} | {fmt(sp)} | {fmt(div(v, raw), True)} "
          f"| {fmt(div(v, sp), True)} | {fmt(cached)} | {fmt(par)} "
          f"| {fmt(div(par, v), True)} |")

print()
print("| ALG | Raw/openssl-speed | BM_VerifyWithClaims/s | WithClaims/raw "
      "| BM_VerifyRemoteKeys/s | RemoteKeys/Verify "
      "| BM_VerifyCachedParallel/s | CachedParallel/cached |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
for alg in algs:
    r = rows[alg]
    wc = rate(f"BM_VerifyWithClaims/{alg}")
    rk = rate(f"BM_VerifyRemoteKeys/{alg}")
    cp = parallel_rate(f"BM_VerifyCachedParallel/{alg}/threads:2")
    print(f"| {alg} | {fmt(div(r['raw'], r['speed']), True)} | {fmt(wc)} "
          f"| {fmt(div(wc, r['raw']), True)} | {fmt(rk)} | {fmt(div(rk, r['verify']), True)} "
          f"| {fmt(cp)} | {fmt(div(cp, r['cached']), True)} |")
reinit = rate("BM_RawOpenSSLReinit/EdDSA")
if reinit is not None:
    print()
    print(f"EdDSA raw with per-call EVP_DigestVerifyInit (BM_RawOpenSSLReinit/EdDSA): "
          f"{fmt(reinit)}/s, {fmt(div(reinit, rows['EdDSA']['raw']), True)}x the reused context")

print()
print("Targets (medians):")


def target(label, value, threshold):
    if value is None:
        print(f"- {label}: n/a (not measured)")
        return
    verdict = "met" if value >= threshold else "MISSED"
    print(f"- {label}: {value:.2f} (target >= {threshold:.2f}): {verdict}")


for alg, t in [("RS256", 0.90), ("PS256", 0.90), ("ES256", 0.95), ("EdDSA", 0.95)]:
    target(f"BM_Verify/{alg} / openssl speed", div(rows[alg]["verify"], rows[alg]["speed"]), t)
target("BM_Verify/HS256 / BM_RawOpenSSL/HS256",
       div(rows["HS256"]["verify"], rows["HS256"]["raw"]), 0.6)
for alg in algs:
    c = rows[alg]["cached"]
    target(f"BM_VerifyCached/{alg} (millions/s, one core)", c / 1e6 if c else None, 3.0)
for alg in algs:
    target(f"BM_VerifyParallel/{alg} / BM_Verify/{alg} (about 2x)",
           div(rows[alg]["par"], rows[alg]["verify"]), 1.8)

print()
print("openssl speed verify/s, before / after the benchmark: " + ", ".join(
    f"{key} {fmt(speed_runs[0].get(key))} / {fmt(speed_runs[1].get(key))}" for key in speed_lines))

ctx = doc.get("context", {})
print()
print(f"Context: {ctx.get('date', '?')}, {ctx.get('num_cpus', '?')} CPUs at "
      f"{ctx.get('mhz_per_cpu', '?')} MHz, {ctx.get('openssl', '?')}, "
      f"claims JSON {ctx.get('claims_json_bytes', '?')} bytes, "
      f"RS256 token {ctx.get('token_bytes_RS256', '?')} bytes, "
      f"load average at start {ctx.get('load_avg', '?')}")
load = ctx.get("load_avg") or [0]
if load[0] > 0.7:
    print(f"WARNING: load average {load[0]:.2f} when the benchmark started: other processes "
          "shared the CPUs; the two-thread figures and the comparison with openssl speed "
          "are not reliable.")
EOF
