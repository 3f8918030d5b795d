#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Compares mallocs through LD_PRELOAD on the workloads of bench/malloc/workloads.cpp: glibc,
# heapkit, mimalloc, jemalloc and tcmalloc, run alternately, REPETITIONS times each; prints the
# median wall time and peak RSS of every pair with ratios to glibc and to mimalloc, and the
# geometric means. Usage: compare.py WORKLOADS_BINARY HEAPKIT_LIBRARY [REPETITIONS [WORKLOAD...]]
import math
import os
import statistics
import subprocess
import sys

WORKLOADS = ["small_objects", "producer_consumer", "server", "medium_server", "false_sharing", "large_blocks", "malloc_large", "realloc_growth",
             "glibc_thread", "glibc_simple", "mstress", "xmalloc", "cache_scratch", "alloc_test"]
LIBRARIES = "/usr/lib/x86_64-linux-gnu"


def allocators(heapkit):
    candidates = [("glibc", ""), ("heapkit", heapkit), ("mimalloc", f"{LIBRARIES}/libmimalloc.so.2"),
                  ("jemalloc", f"{LIBRARIES}/libjemalloc.so.2"), ("tcmalloc", f"{LIBRARIES}/libtcmalloc_minimal.so.4")]
    found = [(name, path) for name, path in candidates if not path or os.path.exists(path)]
    for name, path in candidates:
        if path and not os.path.exists(path):
            print(f"compare: {name} not installed ({path}); tools/install_deps.sh bench installs it", file=sys.stderr)
    return found


def run(binary, workload, preload):
    environment = dict(os.environ, LD_PRELOAD=preload) if preload else dict(os.environ)
    result = subprocess.run(["/usr/bin/time", "-f", "%e %M", binary, workload], env=environment, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"compare: {workload} failed under {preload or 'glibc'}: {result.stderr}")
    seconds, kilobytes = result.stderr.strip().splitlines()[-1].split()
    return float(seconds), int(kilobytes), result.stdout.strip()


def geometric_mean(values):
    return math.exp(sum(math.log(v) for v in values) / len(values))


def main():
    binary, heapkit = sys.argv[1], sys.argv[2]
    repetitions = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    if len(sys.argv) > 4:
        unknown = [w for w in sys.argv[4:] if w not in WORKLOADS]
        if unknown:
            raise SystemExit(f"compare: unknown workloads {unknown}; known: {' '.join(WORKLOADS)}")
        WORKLOADS[:] = sys.argv[4:]
    chosen = allocators(heapkit)
    times = {(w, name): [] for w in WORKLOADS for name, _ in chosen}
    rss = {(w, name): [] for w in WORKLOADS for name, _ in chosen}
    for repetition in range(repetitions):
        for workload in WORKLOADS:
            outputs = set()
            for name, path in chosen:  # alternating, so drift in the machine hits all alike
                seconds, kilobytes, output = run(binary, workload, path)
                times[workload, name].append(seconds)
                rss[workload, name].append(kilobytes)
                outputs.add(output)
            if len(outputs) != 1:
                raise SystemExit(f"compare: {workload} printed different checksums: {outputs}")
        print(f"compare: repetition {repetition + 1} of {repetitions} done", file=sys.stderr)
    names = [name for name, _ in chosen]
    median_time = {key: statistics.median(value) for key, value in times.items()}
    median_rss = {key: statistics.median(value) for key, value in rss.items()}
    print(f"{'workload':18} {'malloc':9} {'time s':>8} {'/glibc':>7} {'/mimalloc':>9} {'RSS MiB':>8} {'/glibc':>7} {'/jemalloc':>9}")
    for workload in WORKLOADS:
        for name in names:
            t, r = median_time[workload, name], median_rss[workload, name]
            mi = f"{t / median_time[workload, 'mimalloc']:9.2f}" if "mimalloc" in names else f"{'-':>9}"
            je = f"{r / median_rss[workload, 'jemalloc']:9.2f}" if "jemalloc" in names else f"{'-':>9}"
            print(f"{workload:18} {name:9} {t:8.2f} {t / median_time[workload, 'glibc']:7.2f} {mi} {r / 1024:8.1f} "
                  f"{r / median_rss[workload, 'glibc']:7.2f} {je}")
    print()
    for name in names:
        time_ratio = geometric_mean([median_time[w, name] / median_time[w, "glibc"] for w in WORKLOADS])
        rss_ratio = geometric_mean([median_rss[w, name] / median_rss[w, "glibc"] for w in WORKLOADS])
        print(f"geometric mean {name:9} time {time_ratio:5.2f} x glibc, peak RSS {rss_ratio:5.2f} x glibc")


if __name__ == "__main__":
    main()
