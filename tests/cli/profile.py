#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Profiles end to end on a program with known sites (tests/malloc/profiled_sites.c): `heapkit run
# --profile` records every site with its count, bytes and stack, threads and the peak; a program
# it starts leaves the profile alone; `heapkit report` prints them and writes the HTML page;
# `replay` takes the profile's sizes; `diff` finds the one site that grew; heaptrack's recording of the same program (when heaptrack
# is installed) reads to the same sites; a sampled profile says so; a cut-short file is refused.
# A threaded program's profile (blocks freed by one thread and handed to another at once) reads
# whole. The page charts each policy's footprint and largest hole; the map has its legend, axes
# and peak marker, rows spaced in time. The page is opened in headless Chromium (installed by `make deps`): it renders without
# console errors, its DOM holds the top site, the peak and the policy rows, and a screenshot is
# left at build/report.png for a person to look at. Usage: profile.py PATH/TO/heapkit PATH/TO/profiled_sites PATH/TO/threads
import os
import re
import shutil
import subprocess
import sys
import tempfile

heapkit, program, threaded = sys.argv[1], sys.argv[2], sys.argv[3]
failures = []


def check(description, condition, detail=""):
    print(("ok   " if condition else "FAIL ") + description)
    if not condition:
        failures.append(description)
        if detail:
            print("     " + detail.replace("\n", "\n     "))


def run(*arguments):
    return subprocess.run([heapkit, *arguments], capture_output=True, text=True)


def site_line(report, function):
    """The first 'top sites by allocations' line whose innermost frame is `function`."""
    section = report.split("top sites by allocations:")[1].split("top sites by bytes leaked:")[0]
    for line in section.splitlines():
        if re.search(r": " + function + r" \(", line):
            return line
    return ""


def source_line(text):
    """The line number in profiled_sites.c of the first line holding `text`."""
    source = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "malloc", "profiled_sites.c")
    with open(source, encoding="utf-8") as file:
        return next(number for number, line in enumerate(file, 1) if text in line)


def check_sites(name, report):
    small = site_line(report, "make_small")
    check(f"{name}: make_small made 10 allocations, all leaked (1000 bytes)",
          re.search(r"^  1000 bytes at peak, 10 allocations, 0 temporary, 1000 bytes leaked in 10 blocks", small), small)
    check(f"{name}: make_small's caller is main", " < main (" in small, small)
    check(f"{name}: the frames carry the file and line of each call (make_small's malloc, main's call)",
          re.search(r"make_small \([^)]*profiled_sites\.c:" + str(source_line("malloc(100)")) + r"\) < main \([^)]*profiled_sites\.c:"
                                                 + str(source_line("make_small();")) + r"\)", small), small)
    temporary = site_line(report, "make_temporary")
    check(f"{name}: make_temporary's 5 allocations are temporary, none live at the peak",
          re.search(r"^  0 bytes at peak, 5 allocations, 5 temporary, 0 bytes leaked", temporary), temporary)
    big = site_line(report, "make_big")
    check(f"{name}: make_big's 65536 bytes are live at the peak and freed",
          re.search(r"^  65536 bytes at peak, 1 allocations, 0 temporary, 0 bytes leaked", big), big)
    thread = site_line(report, "make_in_thread")
    check(f"{name}: the thread's 3 blocks of 200 bytes", re.search(r"^  600 bytes at peak, 3 allocations", thread), thread)


with tempfile.TemporaryDirectory() as scratch:
    profile = os.path.join(scratch, "sites.prof")
    ran = run("run", "--profile", profile, "--", program)
    check("heapkit run --profile runs the program", ran.returncode == 0 and ran.stdout == "done\n", ran.stderr)
    report = run("report", profile)
    check("heapkit report reads the profile", report.returncode == 0, report.stderr)
    print(report.stdout)
    check("the header names the format, the program and both threads",
          re.match(r"heapkit profile 1 of \S*profiled_sites: \d+ allocations, \d+ frees, \d+ reallocs in [0-9.]+ s, 2 threads\n",
                   report.stdout), report.stdout.splitlines()[0] if report.stdout else "")
    check_sites("heapkit", report.stdout)
    check("every allocation recorded has its stack (the profiler's own blocks are left out)",
          "(no stack recorded)" not in report.stdout, report.stdout)
    with open(profile, "rb") as file:
        size = len(file.read())
    check("the started /bin/true left the profile to its parent (one process record)", size > 100)

    replay = run("replay", profile, "--policy", "first")
    check("heapkit replay takes the profile's sizes", replay.returncode == 0 and "first" in replay.stdout, replay.stderr)

    page = os.path.join(scratch, "report.html")
    html = run("report", profile, "-o", page, "--policy", "first,tlsf")
    check("heapkit report -o writes the page", html.returncode == 0 and os.path.exists(page), html.stderr)
    text = open(page, encoding="utf-8").read() if os.path.exists(page) else ""
    peak = re.search(r"peak live: (\d+) bytes", report.stdout)
    check("the page shows the peak", peak is not None and f'<b id="peak-bytes">{peak.group(1)} bytes</b>' in text)
    check("the page lists make_big among the top sites at the peak", re.search(r'id="by-peak".*make_big', text, re.S))
    check("the page has one fragmentation row per policy", text.count('<tr class="policy">') == 2)
    check("the page draws the timeline and the memory map", '<svg id="timeline"' in text and '<div id="map">' in text)
    check("the timeline has one footprint line per policy", text.count('class="footprint"') == 2)
    check("the page charts each policy's largest free block over time",
          '<svg id="largest-free"' in text and text.count('class="largest-hole"') == 2)
    check("the map has a legend, both axes, rows spaced in time and the peak marked",
          all(part in text for part in ('id="legend"', 'id="time-axis"', 'id="address-axis"', 'id="peak-marker"',
                                        "address across, time down")))
    check("the page loads nothing from elsewhere", "http://" not in text.replace("http://www.w3.org/2000/svg", ""))
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    check("Chromium is installed (make deps installs it)", browser is not None)
    if browser:
        flags = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--enable-logging=stderr",
                 "--user-data-dir=" + os.path.join(scratch, "chromium")]
        dom = subprocess.run(flags + ["--dump-dom", "file://" + page], capture_output=True, text=True, timeout=120)
        check("Chromium renders the page", dom.returncode == 0 and "</html>" in dom.stdout, dom.stderr[-800:])
        check("the page logs no console errors", "CONSOLE" not in dom.stderr and "Uncaught" not in dom.stderr,
              "\n".join(line for line in dom.stderr.splitlines() if "CONSOLE" in line))
        check("the rendered DOM holds the top site at the peak, the peak and both policy rows",
              re.search(r'id="by-peak".*make_big', dom.stdout, re.S) and peak is not None and
              f'{peak.group(1)} bytes' in dom.stdout and dom.stdout.count('class="policy"') == 2)
        check("the rendered DOM holds the icicle graph with make_big", re.search(r'id="flame-peak".*make_big', dom.stdout, re.S))
        check("the rendered DOM holds both policies' footprint lines",
              'data-name="footprint under first"' in dom.stdout and 'data-name="footprint under tlsf"' in dom.stdout)
        screenshot = os.path.join(os.path.dirname(os.path.abspath(heapkit)), "..", "report.png")
        shot = subprocess.run(flags + ["--window-size=1300,2400", "--screenshot=" + screenshot, "file://" + page],
                              capture_output=True, text=True, timeout=120)
        check("a screenshot of the page is saved for a person to look at",
              shot.returncode == 0 and os.path.getsize(screenshot) > 10000, shot.stderr[-800:])
    map_path = os.path.join(scratch, "sites.svg")
    by_time = run("map", profile, "-o", map_path)
    svg = open(map_path, encoding="utf-8").read() if by_time.returncode == 0 else ""
    check("heapkit map of a profile spaces its rows in time and labels bytes and milliseconds (a run under a second)",
          "address across, time down" in svg and re.search(r'id="time-axis".*? ms</text>', svg, re.S) and
          " B</text>" in svg, by_time.stderr)
    by_operations = run("map", profile, "--spacing", "operations", "-o", map_path)
    svg = open(map_path, encoding="utf-8").read() if by_operations.returncode == 0 else ""
    check("heapkit map --spacing operations spaces them by operation count",
          "address across, operations down" in svg, by_operations.stderr)
    refused = run("report", profile, "-o", os.path.join(scratch, "report.pdf"))
    check("an output name that is not .html is refused", refused.returncode == 2 and "HTML" in refused.stderr, refused.stderr)

    sampled_profile = os.path.join(scratch, "sampled.prof")
    run("run", "--profile", sampled_profile, "--sample-bytes", "4096", "--", program)
    sampled = run("report", sampled_profile)
    full_count = re.search(r": (\d+) allocations", report.stdout)
    sampled_count = re.search(r": (\d+) allocations", sampled.stdout)
    check("a sampled profile says so and holds fewer allocations",
          "sampled: one allocation per 4096 bytes allocated" in sampled.stdout and full_count and sampled_count and
          int(sampled_count.group(1)) < int(full_count.group(1)), sampled.stdout + sampled.stderr)

    more_profile = os.path.join(scratch, "more.prof")
    run("run", "--profile", more_profile, "--", program, "more")
    diff = run("diff", profile, more_profile)
    grown = diff.stdout.splitlines()
    check("heapkit diff A B names the one site that grew, by how much",
          diff.returncode == 0 and len(grown) >= 2 and grown[0] == "1 site whose live bytes grew:" and
          re.match(r"  \+2000 bytes \(1000 -> 3000\): make_small \(", grown[1]), diff.stdout + diff.stderr)
    diff_page = os.path.join(scratch, "diff.html")
    diff_html = run("diff", profile, more_profile, "--html", diff_page)
    page_text = open(diff_page, encoding="utf-8").read() if diff_html.returncode == 0 else ""
    rows = re.findall(r'<tr class="grown"><td data-bytes="(\d+)">.*?</td><td class="site">([^<]*)</td>', page_text)
    check("heapkit diff --html writes the page: one grown row, make_small's 2000 bytes, both timelines",
          len(rows) == 1 and rows[0][0] == "2000" and rows[0][1].startswith("make_small (") and
          page_text.count('class="live"') == 2 and diff_html.stdout == diff.stdout, diff_html.stderr + page_text[-500:])
    refused_diff = run("diff", profile, more_profile, "--html", os.path.join(scratch, "diff.txt"))
    check("diff --html refuses a name that is not .html", refused_diff.returncode == 2 and "HTML" in refused_diff.stderr,
          refused_diff.stderr)
    moments = run("diff", profile, "--at", "0", "--at", "1000")
    check("heapkit diff A --at T1 --at T2 compares two moments of one recording",
          moments.returncode == 0 and re.search(r"^  \+1000 bytes \(0 -> 1000\): make_small \(", moments.stdout, re.M),
          moments.stdout + moments.stderr)
    one = run("diff", profile)
    check("one recording without two moments is refused", one.returncode == 1 and "--at" in one.stderr, one.stderr)

    threads_profile = os.path.join(scratch, "threads.prof")
    threads_run = subprocess.run([heapkit, "run", "--profile", threads_profile, "--", threaded], capture_output=True, text=True)
    threads_report = run("report", threads_profile, "--top", "1")
    check("a threaded program's profile reads whole, every thread in it",
          threads_run.returncode == 0 and threads_report.returncode == 0 and
          re.search(r"in [0-9.]+ s, ([2-9]|\d\d+) threads\n", threads_report.stdout), threads_report.stdout + threads_report.stderr)

    cut = os.path.join(scratch, "cut.prof")
    with open(profile, "rb") as source, open(cut, "wb") as target:
        target.write(source.read()[:size - 1])
    truncated = run("report", cut)
    check("a profile cut short is refused, not read short",
          truncated.returncode == 1 and "truncated" in truncated.stderr, truncated.stderr)

    if shutil.which("heaptrack"):
        recorded = subprocess.run(["heaptrack", "-o", os.path.join(scratch, "heaptrack.sites"), program],
                                  capture_output=True, text=True)
        recordings = [name for name in os.listdir(scratch) if name.startswith("heaptrack.sites")]
        check("heaptrack recorded the program", recorded.returncode == 0 and recordings, recorded.stderr[-500:])
        if recordings:
            imported = run("report", os.path.join(scratch, recordings[0]))
            check("heapkit report reads heaptrack's recording", imported.returncode == 0, imported.stderr)
            print(imported.stdout)
            check_sites("heaptrack", imported.stdout)
    else:
        print("skip heaptrack is not installed")

if failures:
    print(f"{len(failures)} failed")
    sys.exit(1)
