"""The markdown report of bench/proxy/run.sh, from what it left in its directory.

  python3 report.py WORK DURATION CLK_TCK KEY|LABEL...

For each target KEY: KEY.wrk (wrk --latency output), KEY.before and
KEY.after (CPU ticks of the target and of the upstream, sidecar RSS, time),
KEY.before.times and KEY.after.times (bash `times`: wrk's CPU), and
KEY.before.metrics / KEY.after.metrics (the sidecar's /metrics). Also
WORK/sidecar (RSS at start and end) and WORK/notes (lines printed as they are).
Ratios are to target b, nginx as a plain reverse proxy.
"""
import collections
import os
import re
import sys

UPSTREAM = "a"
REFERENCE = "b"
SIDECAR_TARGETS = ("c", "d", "e")
# The sidecar's decisions answered with a 302, which wrk counts as successes.
REDIRECT_DECISIONS = ("login_redirect", "logged_in", "signed_out")
# Issue 5's targets for the JWT and session routes.
MIN_RATE_RATIO = 0.8
MAX_CPU_RATIO = 2.0


def read(path):
    with open(path) as f:
        return f.read()


def key_values(path):
    return {k: float(v) for k, v in (line.split() for line in read(path).splitlines() if line)}


def milliseconds(text):
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(value) * {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}[unit]


def parse_wrk(text):
    def number(pattern):
        match = re.search(pattern, text)
        return float(match.group(1)) if match else 0.0
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    return {
        "requests": number(r"(\d+) requests in"),
        "rate": number(r"Requests/sec:\s+([\d.]+)"),
        "p50_ms": milliseconds(re.search(r"\s50%\s+(\S+)", text).group(1)),
        "p99_ms": milliseconds(re.search(r"\s99%\s+(\S+)", text).group(1)),
        "non_2xx_3xx": number(r"Non-2xx or 3xx responses: (\d+)"),
        "socket_errors": sum(int(n) for n in socket.groups()) if socket else 0,
    }


def children_cpu_seconds(path):
    """bash `times`: the second line is the children's "0m1.234s 0m0.567s"."""
    children = read(path).splitlines()[1]
    return sum(int(m) * 60 + float(s) for m, s in re.findall(r"(\d+)m([\d.]+)s", children))


def metrics(path):
    """Decisions counted by authgate_requests_total, and the token cache counters."""
    decisions = collections.Counter()
    counters = {}
    for line in read(path).splitlines():
        if line.startswith("#") or not line.strip():
            continue
        name_labels, value = line.rsplit(" ", 1)
        if name_labels.startswith("authgate_requests_total{"):
            decisions[re.search(r'decision="([^"]*)"', name_labels).group(1)] += float(value)
        elif name_labels in ("authgate_token_cache_hits_total", "authgate_token_cache_misses_total"):
            counters[name_labels] = float(value)
    return decisions, counters


def measure(work, key, clock_ticks):
    result = parse_wrk(read(os.path.join(work, key + ".wrk")))
    before = key_values(os.path.join(work, key + ".before"))
    after = key_values(os.path.join(work, key + ".after"))
    elapsed = after["time_s"] - before["time_s"]
    requests = max(result["requests"], 1)
    target_s = (after["front_ticks"] - before["front_ticks"]) / clock_ticks
    upstream_s = (after["upstream_ticks"] - before["upstream_ticks"]) / clock_ticks
    wrk_s = children_cpu_seconds(os.path.join(work, key + ".after.times")) - \
        children_cpu_seconds(os.path.join(work, key + ".before.times"))
    if key == UPSTREAM:  # the target is the upstream: counted once
        upstream_s = 0.0
    other_s = (after["machine_busy_ticks"] - before["machine_busy_ticks"]) / clock_ticks - \
        target_s - upstream_s - wrk_s
    result.update(
        target_us=target_s / requests * 1e6, upstream_us=upstream_s / requests * 1e6,
        cores="%.2f / %s / %.2f / %.2f" % (
            target_s / elapsed, "-" if key == UPSTREAM else "%.2f" % (upstream_s / elapsed),
            wrk_s / elapsed, max(other_s, 0) / elapsed),
        rss_mib=after["sidecar_rss_kib"] / 1024, redirects=0, decisions={}, cache={})
    if key in SIDECAR_TARGETS:
        decisions_before, cache_before = metrics(os.path.join(work, key + ".before.metrics"))
        decisions_after, cache_after = metrics(os.path.join(work, key + ".after.metrics"))
        decisions = decisions_after - decisions_before
        result["decisions"] = dict(decisions)
        result["redirects"] = sum(decisions[decision] for decision in REDIRECT_DECISIONS)
        result["cache"] = {name: cache_after.get(name, 0) - cache_before.get(name, 0)
                           for name in cache_after}
    result["errors"] = int(result["non_2xx_3xx"] + result["socket_errors"] + result["redirects"])
    return result


def main():
    work, duration, clock_ticks = sys.argv[1], sys.argv[2], int(sys.argv[3])
    targets = [arg.split("|", 1) for arg in sys.argv[4:]]
    results = {key: measure(work, key, clock_ticks) for key, _ in targets}
    reference = results[REFERENCE]

    print("wrk -t2 -c64 -d%s --latency, after a 1 s warm-up per target." % duration)
    print()
    print("| | Target | req/s | x (b) | p50 ms | p99 ms | errors | CPU us/req | x (b) "
          "| upstream CPU us/req | cores: target / upstream / wrk / other |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for key, label in targets:
        r = results[key]
        upstream = "-" if key == UPSTREAM else "%.1f" % r["upstream_us"]
        print("| (%s) | %s | %s | %.2f | %.2f | %.2f | %d | %.1f | %.2f | %s | %s |" % (
            key, label, format(round(r["rate"]), ","), r["rate"] / reference["rate"], r["p50_ms"],
            r["p99_ms"], r["errors"], r["target_us"], r["target_us"] / reference["target_us"],
            upstream, r["cores"]))
    print()
    print("errors: socket errors, answers other than 2xx/3xx, and for authgate its 302s"
          " (login redirects), which wrk counts as successes; every authgate decision is listed below.")
    print("CPU us/req: user + system time of the target's processes (nginx: master and"
          " workers; authgate: all threads) over the run, divided by the requests wrk completed."
          " cores: CPU seconds per second of the run, other: the rest of the machine's busy time"
          " (other processes, and the kernel's work not charged to any of these).")
    print()

    sidecar = {key: results[key] for key, _ in targets if key in SIDECAR_TARGETS}
    rss = key_values(os.path.join(work, "sidecar"))
    print("- Sidecar RSS: %.1f MiB at start, %s, %.1f MiB at the end (%+.1f MiB)." % (
        rss["rss_start"] / 1024,
        ", ".join("%.1f after (%s)" % (r["rss_mib"], key) for key, r in sidecar.items()),
        rss["rss_end"] / 1024, (rss["rss_end"] - rss["rss_start"]) / 1024))
    for key, r in sidecar.items():
        cache = ", ".join("%s %d" % (name.replace("authgate_", "").replace("_total", ""), n)
                          for name, n in sorted(r["cache"].items()))
        decisions = ", ".join("%s %d" % item for item in sorted(r["decisions"].items()))
        print("- (%s) decisions: %s%s." % (key, decisions or "none counted",
                                           "; " + cache if key == "d" and cache else ""))
    for line in read(os.path.join(work, "notes")).splitlines():
        print("- " + line)
    print()
    for key, what in (("d", "Bearer ES256 JWT"), ("e", "session cookie")):
        r = results[key]
        rate_ratio = r["rate"] / reference["rate"]
        cpu_ratio = r["target_us"] / reference["target_us"]
        print("- %s: %.2fx nginx's req/s (target >= %.1f: %s), %.2fx its CPU per request"
              " (target <= %.1f: %s), %d errors." % (
                  what, rate_ratio, MIN_RATE_RATIO, "met" if rate_ratio >= MIN_RATE_RATIO else "MISSED",
                  cpu_ratio, MAX_CPU_RATIO, "met" if cpu_ratio <= MAX_CPU_RATIO else "MISSED",
                  r["errors"]))


main()
