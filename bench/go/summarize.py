"""summarize.py < go-test-bench-output: medians of each Go benchmark over its
runs (-count), and for each algorithm every library's time as a ratio to
authgate's (above 1: slower than authgate)."""
import re
import statistics
import sys

times = {}
for line in sys.stdin:
    sys.stdout.write(line)
    match = re.match(r"^(Benchmark\S+?)(?:-\d+)?\s+\d+\s+([\d.]+) ns/op", line)
    if match:
        times.setdefault(match.group(1), []).append(float(match.group(2)))

medians = {name: statistics.median(values) for name, values in times.items()}
print(f"\nmedians over {max(map(len, times.values()), default=0)} runs; ratio = ns/op / authgate's ns/op")
for name, median in medians.items():
    parts = name.split("/")
    ratio = ""
    if len(parts) == 3:
        base = medians.get(f"{parts[0]}/{parts[1]}/authgate")
        if base:
            ratio = f"{median / base:6.2f}"
    print(f"{name:45s} {median:12.0f} ns/op {1e9 / median:12.0f} /s {ratio}")
