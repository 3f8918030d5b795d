#!/usr/bin/env python3
"""The heapkit command at its edges, as a new user meets them (docs/PROTOCOL.md: exit status,
numbers, messages): bad numbers, unknown commands, truncated traces, unwritable outputs, names that
promise another format, CSV and comments that could inject, log lines skipped by kind.

usage: edges.py PATH/TO/heapkit PATH/TO/traces    (prints each failing case, then `N passed, N failed`)
"""
import gzip
import os
import re
import subprocess
import sys
import tempfile

USAGE, FAILED = 2, 1


class Cases:
    def __init__(self, binary):
        self.binary = binary
        self.passed = 0
        self.failed = 0

    def run(self, arguments, stdin="", stdout=subprocess.PIPE):
        done = subprocess.run([self.binary, *arguments], input=stdin.encode(), stdout=stdout, stderr=subprocess.PIPE,
                              timeout=60)
        out = done.stdout.decode(errors="replace") if done.stdout is not None else ""
        return done.returncode, out, done.stderr.decode(errors="replace")

    def check(self, name, arguments, status, stderr_pattern=None, stdin="", stdout=subprocess.PIPE, stdout_check=None):
        code, out, err = self.run(arguments, stdin, stdout)
        problems = []
        if code != status:
            problems.append(f"exit {code}, expected {status}")
        if stderr_pattern and not re.search(stderr_pattern, err):
            problems.append(f"stderr {err.strip()!r} does not match {stderr_pattern!r}")
        if stdout_check and not stdout_check(out):
            problems.append(f"stdout {out[:300]!r}")
        if problems:
            self.failed += 1
            print(f"FAIL {name}: " + "; ".join(problems))
        else:
            self.passed += 1


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    cases = Cases(sys.argv[1])
    traces = sys.argv[2]
    git_log = os.path.join(traces, "git_log.trace.gz")
    scratch = tempfile.mkdtemp(prefix="heapkit_edges_")
    number = r"^heapkit {}: {}: must be a whole number .* in decimal digits, got '{}'"

    # One rule for numbers: decimal digits only, in range, or exit 2 naming the option.
    for value in ("18446744073709551616", "0x64", "+100", "-1", "1e3", "", " 5"):
        cases.check(f"replay --capacity {value!r}", ["replay", git_log, "--capacity", value], USAGE,
                    number.format("replay", "--capacity", re.escape(value)))
    cases.check("shell --capacity +5", ["shell", "--capacity", "+5"], USAGE, number.format("shell", "--capacity", r"\+5"))
    cases.check("gen --seed -1", ["gen", "ramp", "--seed", "-1"], USAGE, number.format("gen", "--seed", "-1"))
    cases.check("gen --seed above 2^64", ["gen", "ramp", "--seed", "18446744073709551616"], USAGE)
    cases.check("bench --ops 2^64", ["bench", "--ops", "18446744073709551616"], USAGE, number.format("bench", "--ops", r"\d+"))
    bench_line = re.compile(r"index=tlsf fit=tlsf free_by=handle live=200 ops=2000 metadata_per_block=\d+\.\d "
                            r"ns_per_pair=\d+\.\d\n$")
    cases.check("bench --free-by handle", ["bench", "--index", "tlsf", "--live", "200", "--ops", "2000", "--free-by", "handle"],
                0, stdout_check=lambda out: bench_line.search(out) is not None)
    cases.check("bench --free-by refuses other names", ["bench", "--free-by", "pointer"], USAGE, r"--free-by")
    ten = cases.run(["gen", "ramp", "--ops", "10"])[1]
    cases.check("gen --ops 010 is ten", ["gen", "ramp", "--ops", "010"], 0, stdout_check=lambda out: out == ten)
    cases.check("a refused number is echoed bounded and escaped", ["replay", git_log, "--capacity", "\x1b[2J" + "9" * 5000],
                USAGE, r"got '\\x1b\[2J9{50,70}\.\.\.'")

    # Usage errors exit 2 and name what was wrong; an unknown command is named with the list.
    cases.check("unknown command", ["frob"], USAGE, r"^heapkit: unknown command 'frob'; the commands are .*shell")
    cases.check("unknown option before the command", ["--frob"], USAGE, r"^heapkit: unknown option '--frob'; the commands are")
    cases.check("unknown option", ["replay", git_log, "--frob"], USAGE, r"^heapkit replay: .*--frob")
    cases.check("missing argument", ["shell"], USAGE, r"^heapkit shell: --capacity is required")
    for command in ("shell", "replay", "gen", "map", "convert", "bench", "run", "demo"):
        cases.check(f"{command} --version", [command, "--version"], 0,
                    stdout_check=lambda out: re.match(r"^\d+\.\d+\.\d+\n$", out))

    # A trace is whole or refused: a cut gzip stream fails every reader, naming the file and line.
    cut = os.path.join(scratch, "cut.trace.gz")
    with open(git_log, "rb") as whole, open(cut, "wb") as part:
        part.write(whole.read()[:60000])
    for command in (["replay", cut], ["convert", cut, "-o", os.path.join(scratch, "out.trace")],
                    ["map", cut, "-o", os.path.join(scratch, "out.svg")]):
        cases.check(f"{command[0]} of a truncated gzip", command, FAILED,
                    rf"^heapkit {command[0]}: {re.escape(cut)}:\d+: the file is truncated or corrupt")
    bad = os.path.join(scratch, "bad.trace")
    with open(bad, "w") as file:
        file.write("a 1 5\nf 2\n")
    cases.check("a malformed trace fails with its line", ["replay", bad], FAILED, rf"^heapkit replay: {re.escape(bad)}:2: ")

    # Every write is checked, the last one and the close included.
    full = open("/dev/full", "w")
    for command in (["gen", "ramp"], ["replay", git_log, "--policy", "first"], ["demo"], ["shell", "--capacity", "10"]):
        cases.check(f"{command[0]} to a full disk", command, FAILED, r"cannot write standard output: No space left on device",
                    stdin="allocate 1\n", stdout=full)
    closed = subprocess.run([cases.binary, "gen", "ramp"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            pass_fds=(), preexec_fn=lambda: os.close(1))
    if closed.returncode == FAILED and b"cannot write standard output" in closed.stderr:
        cases.passed += 1
    else:
        cases.failed += 1
        print(f"FAIL gen to a closed standard output: exit {closed.returncode}, {closed.stderr!r}")
    for command in (["gen", "ramp", "-o", "/dev/full"], ["convert", git_log, "-o", "/dev/full"]):
        cases.check(f"{command[0]} -o /dev/full", command, FAILED, rf"^heapkit {command[0]}: /dev/full: cannot write: No space")

    # A file name's promise is kept or refused.
    compressed = os.path.join(scratch, "ramp.trace.gz")
    cases.check("gen -o x.trace.gz", ["gen", "ramp", "--ops", "100", "-o", compressed], 0)
    with gzip.open(compressed, "rt") as file:
        ok = file.read() == cases.run(["gen", "ramp", "--ops", "100"])[1]
    cases.passed, cases.failed = (cases.passed + 1, cases.failed) if ok else (cases.passed, cases.failed + 1)
    if not ok:
        print("FAIL gen -o x.trace.gz did not write the trace gzip-compressed")
    cases.check("map -o x.png", ["map", git_log, "-o", os.path.join(scratch, "x.png")], USAGE, r"the map is SVG")

    # Output that could be misread: CSV fields quoted, comments kept comments.
    odd = os.path.join(scratch, 'a,b"c.trace')
    with open(odd, "w") as file:
        file.write("a 1 5\n")
    cases.check("--csv quotes a trace name", ["replay", odd, "--policy", "first", "--csv"], 0,
                stdout_check=lambda out: out.splitlines()[1].startswith('"' + odd.replace('"', '""') + '",first,1,'))
    converted = os.path.join(scratch, "commented.trace")
    cases.check("convert --comment with a line break", ["convert", odd, "-o", converted, "--comment", "note\na 9 9"], 0)
    with open(converted) as file:
        lines = file.read().splitlines()
    ok = lines == ["# note", "# a 9 9", "a 0 5"]
    cases.passed, cases.failed = (cases.passed + 1, cases.failed) if ok else (cases.passed, cases.failed + 1)
    if not ok:
        print(f"FAIL convert --comment injected an operation: {lines}")

    # Failures shown: the failed column appears when allocations fail; map takes --capacity.
    big = os.path.join(scratch, "big.trace")
    with open(big, "w") as file:
        file.write("a 1 100\na 2 200\n")
    cases.check("replay shows failed allocations", ["replay", big, "--policy", "first", "--capacity", "150"], 0,
                stdout_check=lambda out: "failed" in out.splitlines()[0] and out.splitlines()[1].split()[-1] == "1")
    cases.check("map --capacity", ["map", big, "--capacity", "150", "-o", os.path.join(scratch, "big.svg")], 0)

    # The shell: a command the index cannot do is unsupported, not a parse error; echoes are bounded.
    for index in ("tlsf", "buddy"):
        cases.check(f"compact on {index}", ["shell", "--capacity", "10", "--index", index], 0,
                    stdin="compact\nmake_room 2\n", stdout_check=lambda out: out.splitlines() == [
                        f"error unsupported: {command} needs --index list or tree (an index that can place a block at a "
                        "chosen address)" for command in ("compact", "make_room")])
    cases.check("a long unknown command comes back cut", ["shell", "--capacity", "10"], 0,
                stdin="\x01" + "y" * 50_000_000 + "\n",
                stdout_check=lambda out: out == "error parse: unknown command '\\x01" + "y" * 63 + "...'; help lists the commands\n")

    # Skipped log lines are counted by kind.
    log = os.path.join(scratch, "valgrind.log")
    with open(log, "w") as file:
        file.write("--1-- free(0x0)\n--1-- malloc(10) = 0x10\n--1-- free(0x10)\n--1-- free(0x10)\n--1-- free(0x99)\n"
                   "--1-- malloc(5) = 0x0\n")
    cases.check("skipped lines by kind", ["replay", log, "--policy", "first"], 0,
                r"skipped 1 free of null, 1 free of a block allocated before the log began, 1 double free, "
                r"1 allocation that failed")

    print(f"{cases.passed} passed, {cases.failed} failed")
    sys.exit(1 if cases.failed else 0)


if __name__ == "__main__":
    main()
