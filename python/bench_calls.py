#!/usr/bin/env python3
"""Calls per second through Python: free + allocate pairs at steady state with N live blocks
(sizes log-uniform in 16..16384 units, as `heapkit bench`) on heapkit's list and tree indexes
and on the pure-Python model of the tests, measured one after another in one run.

usage: PYTHONPATH=build/python python3 python/bench_calls.py [--live 1000 100000] [--seconds 2]
"""
import argparse
import math
import os
import random
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "tests"))

import heapkit  # noqa: E402
from seed_model import Model  # noqa: E402


def sizes(rng):
    while True:
        yield int(math.exp(rng.uniform(math.log(16), math.log(16384))))


def pairs_per_second(allocate, free, live_count, seconds, seed):
    rng = random.Random(seed)
    draw = sizes(rng)
    live = []
    for _ in range(live_count):
        size = next(draw)
        live.append((allocate(size), size))
    pairs = 0
    start = time.perf_counter()
    deadline = start + seconds
    while time.perf_counter() < deadline:
        for _ in range(100):
            victim = rng.randrange(live_count)
            address, size = live[victim]
            free(address, size)
            size = next(draw)
            live[victim] = (allocate(size), size)
        pairs += 100
    return pairs / (time.perf_counter() - start)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--live", type=int, nargs="+", default=[1000, 100000])
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--seed", type=int, default=1)
    options = parser.parse_args()
    print("| live | heapkit list | heapkit tree | Python model | tree / model |")
    print("|---|---|---|---|---|")
    for live in options.live:
        capacity = 2**34 if live > 100000 else 2**30
        rates = {}
        for name in ("list", "tree"):
            allocator = heapkit.MemoryAllocator(capacity, index=name)
            rates[name] = pairs_per_second(allocator.allocate, allocator.free, live, options.seconds, options.seed)
            print(f"bench: {name} live={live} pairs_per_second={rates[name]:.0f}", file=sys.stderr)
        model = Model(capacity, "first")
        rates["model"] = pairs_per_second(lambda size: model.allocate(size, 1), model.free, live, options.seconds, options.seed)
        print(f"bench: model live={live} pairs_per_second={rates['model']:.0f}", file=sys.stderr)
        print(f"| {live} | {rates['list']:.0f} | {rates['tree']:.0f} | {rates['model']:.0f} | {rates['tree'] / rates['model']:.1f}x |")


if __name__ == "__main__":
    main()
