#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# `heapkit map` end to end: the SVG parses as XML, its final bar holds exactly the blocks the
# policy leaves live (worked out by hand below), one timeline row per sampled moment, and a bad
# trace is refused with its line number. The first-fit map is also rendered by rsvg-convert and
# ImageMagick (both installed by `make deps`; ImageMagick 6 strokes every shape that inherits no
# stroke="none" and once drew the map black): live blocks dark, holes white, the picture mostly
# light. Usage: check_map_svg.py PATH/TO/heapkit
import os
import shutil
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


RENDERERS = [["rsvg-convert", "-o"], ["convert"]]  # each followed by IN.svg [OUT.png]


def pixels(png_path):
    """(width, height, rgb bytes) of a PNG, decoded by ImageMagick into a binary PPM."""
    ppm = subprocess.run(["convert", png_path, "-depth", "8", "ppm:-"], capture_output=True, check=True).stdout
    fields = ppm.split(maxsplit=4)  # P6 WIDTH HEIGHT MAXVAL DATA
    return int(fields[1]), int(fields[2]), fields[4]


def rendering_problems(renderer, svg_path, scratch):
    """What is wrong with the first-fit map as `renderer` draws it (empty: nothing)."""
    if shutil.which(renderer[0]) is None or shutil.which("convert") is None:
        return [f"not installed (make deps installs librsvg2-bin and imagemagick)"]
    png_path = os.path.join(scratch, renderer[0] + ".png")
    command = renderer + [png_path, svg_path] if renderer[0] == "rsvg-convert" else renderer + [svg_path, png_path]
    drawn = subprocess.run(command, capture_output=True, text=True)
    if drawn.returncode != 0:
        return [f"exit {drawn.returncode}: {drawn.stderr.strip()}"]
    width, height, rgb = pixels(png_path)
    root = ElementTree.parse(svg_path).getroot()
    final = next(group for group in root.iter(SVG + "g") if group.get("id") == "final")
    left, top = (float(value) for value in final.get("transform")[len("translate("):-1].split(","))
    problems = []

    def brightness(x, y):
        at = (int(y) * width + int(x)) * 3
        return sum(rgb[at:at + 3]) / 3

    # The final bar over units 0..60 as 1000 pixels: 0..15 live, 15..30 a hole, 30..60 live.
    for unit, live in ((5, True), (20, False), (45, True)):
        shade = brightness(left + unit * 1000 / 60, top + 15)
        if (shade < 128) != live:
            problems.append(f"unit {unit} of the final bar is {'dark' if shade < 128 else 'light'} ({shade:.0f})")
    dark = sum(1 for at in range(0, len(rgb) - 2, 3) if sum(rgb[at:at + 3]) < 3 * 64) / (width * height)
    if dark > 0.3:
        problems.append(f"{dark:.0%} of the picture is dark (the map drawn black?)")
    return problems


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

    first_svg = os.path.join(scratch, "first.svg")
    if os.path.exists(first_svg):
        for renderer in RENDERERS:
            failures.extend(f"{renderer[0]}: {problem}" for problem in rendering_problems(renderer, first_svg, scratch))

    bad_path = os.path.join(scratch, "bad.trace")
    with open(bad_path, "w") as bad:
        bad.write("a 0 10\nf 7\n")
    run = draw(bad_path, "first", os.path.join(scratch, "bad.svg"), 5)
    if run.returncode == 0 or "bad.trace:2:" not in run.stderr:
        failures.append(f"a bad trace: exit {run.returncode}, stderr {run.stderr!r}")

for failure in failures:
    print("FAIL:", failure)
cases = len(EXPECTED) + 1 + len(RENDERERS)
print(f"check_map_svg: {cases - len(failures)} of {cases} cases passed")
sys.exit(1 if failures else 0)
