#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# `heapkit map` end to end: the SVG parses as XML, its final bar holds exactly the blocks the
# policy leaves live (worked out by hand below), one timeline row per sampled moment, and a bad
# trace is refused with its line number. Usage: check_map_svg.py PATH/TO/heapkit
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ElementTree

SVG = "{http://www.w3.org/2000/svg}"
heapkit = sys.argv[1]

# first fit: 0:10, 10:20, 30:30; free 10:20; 5 units go to 10; best fit puts them there too,
# worst fit in the largest hole (60 onwards), next fit after the last placement (60).
TRACE = "a 0 10\na 1 20\na 2 30\nf 1\na 3 5\n"
EXPECTED = {
    "first": {(0, 10), (10, 5), (30, 30)},
    "best": {(0, 10), (10, 5), (30, 30)},
    "worst": {(0, 10), (60, 5), (30, 30)},
    "next": {(0, 10), (60, 5), (30, 30)},
}
failures = []


def draw(trace_path, policy, svg_path, rows):
    return subprocess.run([heapkit, "map", trace_path, "--policy", policy, "-o", svg_path, "--rows", str(rows)],
                          capture_output=True, text=True)


with tempfile.TemporaryDirectory() as scratch:
    trace_path = os.path.join(scratch, "small.trace")
    with open(trace_path, "w") as trace:
        trace.write(TRACE)
    for policy, expected in EXPECTED.items():
        svg_path = os.path.join(scratch, policy + ".svg")
        run = draw(trace_path, policy, svg_path, 5)
        if run.returncode != 0:
            failures.append(f"{policy}: exit {run.returncode}: {run.stderr}")
            continue
        root = ElementTree.parse(svg_path).getroot()  # raises if it is not XML
        groups = {group.get("id"): group for group in root.iter(SVG + "g")}
        final = {(int(rect.get("data-start")), int(rect.get("data-size")))
                 for rect in groups["final"].iter(SVG + "rect") if rect.get("class") == "block"}
        if final != expected:
            failures.append(f"{policy}: final bar {sorted(final)}, expected {sorted(expected)}")
        rows = {rect.get("y") for rect in groups["timeline"].iter(SVG + "rect") if rect.get("y") is not None}
        if rows != {str(row) for row in range(5)}:
            failures.append(f"{policy}: timeline rows {sorted(rows)}, expected 0..4")

    bad_path = os.path.join(scratch, "bad.trace")
    with open(bad_path, "w") as bad:
        bad.write("a 0 10\nf 7\n")
    run = draw(bad_path, "first", os.path.join(scratch, "bad.svg"), 5)
    if run.returncode == 0 or "bad.trace:2:" not in run.stderr:
        failures.append(f"a bad trace: exit {run.returncode}, stderr {run.stderr!r}")

for failure in failures:
    print("FAIL:", failure)
print(f"check_map_svg: {len(EXPECTED) + 1 - len(failures)} of {len(EXPECTED) + 1} cases passed")
sys.exit(1 if failures else 0)
