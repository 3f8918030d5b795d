#!/usr/bin/env python3
"""heapkit's own conformance cases for the `heapkit shell` protocol (docs/PROTOCOL.md, version 4).

usage: shell_protocol.py PATH/TO/heapkit [EXTRA ARGUMENT ...]

EXTRA ARGUMENTs are passed to every `heapkit shell` (`--index tree` runs the cases on the tree,
which must make the list's choices). Each case feeds a script and compares every output line;
for a line starting with `error `, only the kind (up to the colon) is compared, and for one starting
with `no: ` (explain's refusal) only that word, since messages are for people. A conversation reads each reply before writing the next line; another frees by
handle, whose values are opaque and so are read back rather than written into a case.
Prints one line per failing case and a closing `N passed, N failed`; exits 1 on any failure.
"""
import subprocess
import sys

MAX = 2**64 - 1

# (name, capacity, shell arguments, input lines, expected output lines)
CASES = [
    ("the seed's worked example", 100, [],
     ["allocate 20", "allocate 30", "allocate 40", "free 20 30", "allocate 25", "free 0 20", "free 20 25",
      "free_blocks", "map", "free_memory", "largest_free_block"],
     ["0", "20", "50", "ok", "20", "ok", "ok", "0:50 90:10", "[Free(0-49)] [Allocated(50-89)] [Free(90-99)]",
      "60", "50"]),
    ("blank lines and comments print nothing", 16, [],
     ["", "# allocate 4", "   ", "\t", "allocate 4", "#", "free_memory"],
     ["0", "12"]),
    ("a fresh range is one free block", 7, [],
     ["free_blocks", "map", "largest_free_block"],
     ["0:7", "[Free(0-6)]", "7"]),
    ("neighbouring allocations stay separate in the map", 12, [],
     ["allocate 4", "allocate 4", "allocate 4", "map", "free_blocks"],
     ["0", "4", "8", "[Allocated(0-3)] [Allocated(4-7)] [Allocated(8-11)]", ""]),
    ("a full range: empty free_blocks, zero largest block", 5, [],
     ["allocate 5", "free_blocks", "largest_free_block", "free_memory", "allocate 1"],
     ["0", "", "0", "0", "error out_of_memory"]),
    ("sizes that are not positive", 10, [],
     ["allocate 0", "allocate -1", "allocate -18446744073709551616", "allocate 3", "free 0 0", "free 0 -3"],
     ["error invalid_size", "error invalid_size", "error invalid_size", "0", "error invalid_size",
      "error invalid_size"]),
    ("exhausted and fragmented memory are both out_of_memory", 60, [],
     ["allocate 61"] + [f"allocate 10" for _ in range(6)] + [f"free {a} 10" for a in (0, 20, 40)] +
     ["allocate 20", "free_memory", "largest_free_block"],
     ["error out_of_memory"] + [str(a) for a in range(0, 60, 10)] + ["ok"] * 3 + ["error out_of_memory", "30", "10"]),
    ("free checks the address, then the size, then the range", 50, [],
     ["allocate 10", "free -1 10", "free 50 10", "free 45 10", "free 5 -1", "free 5 0", "free -1 0"],
     ["0", "error invalid_address", "error invalid_address", "error invalid_address", "error invalid_size",
      "error invalid_size", "error invalid_address"]),
    ("frees the ledger refuses", 50, [],
     ["allocate 10", "allocate 10", "free 0 9", "free 0 11", "free 2 8", "free 30 10", "free 10 10",
      "free 10 10", "free 0 10", "free 0 10"],
     ["0", "10", "error invalid_free", "error invalid_free", "error invalid_free", "error invalid_free", "ok",
      "error invalid_free", "ok", "error invalid_free"]),
    ("a failed command changes nothing", 30, [],
     ["allocate 10", "free 0 5", "allocate 40", "allocate 8 3", "free_blocks", "map", "free 0 10", "free_blocks"],
     ["0", "error invalid_free", "error out_of_memory", "error invalid_alignment", "10:20",
      "[Allocated(0-9)] [Free(10-29)]", "ok", "0:30"]),
    ("free merges with no neighbour, the previous, the next and both", 50, [],
     [f"allocate 10" for _ in range(5)] +
     ["free 10 10", "free_blocks", "free 20 10", "free_blocks", "free 40 10", "free 30 10", "free_blocks",
      "free 0 10", "free_blocks"],
     ["0", "10", "20", "30", "40", "ok", "10:10", "ok", "10:20", "ok", "ok", "10:40", "ok", "0:50"]),
    ("alignment: the gap before the block stays free", 64, [],
     ["allocate 5", "allocate 4 8", "allocate 1 32", "free_blocks", "allocate 2 1", "allocate 1 6", "allocate 1 0"],
     ["0", "8", "32", "5:3 12:20 33:31", "5", "error invalid_alignment", "error invalid_alignment"]),
    ("alignment can make a large enough block unusable", 32, [],
     ["allocate 1", "allocate 30", "free 1 30", "allocate 17 16", "allocate 16 16"],
     ["0", "1", "ok", "error out_of_memory", "16"]),
    ("first fit takes the lowest block that fits", 100, ["--fit", "first"],
     ["allocate 30", "allocate 10", "allocate 10", "allocate 10", "free 0 30", "free 40 10", "allocate 8"],
     ["0", "30", "40", "50", "ok", "ok", "0"]),
    ("best fit takes the smallest block, the lowest among equals", 100, ["--fit", "best"],
     ["allocate 10", "allocate 5", "allocate 20", "allocate 5", "allocate 10", "allocate 5",
      "free 0 10", "free 15 20", "free 40 10", "allocate 8", "allocate 15", "allocate 10"],
     ["0", "10", "15", "35", "40", "50", "ok", "ok", "ok", "0", "15", "40"]),
    ("worst fit takes the largest block, the lowest among equals", 100, ["--fit", "worst"],
     ["allocate 20", "allocate 10", "allocate 20", "allocate 10", "free 0 20", "free 30 20", "allocate 5",
      "allocate 5"],
     ["0", "20", "30", "50", "ok", "ok", "60", "65"]),
    ("next fit goes on from the last placement, then wraps to 0", 40, ["--fit", "next"],
     ["allocate 10", "allocate 10", "allocate 10", "allocate 10", "free 0 10", "free 20 10", "allocate 5",
      "allocate 5", "allocate 5", "allocate 5", "allocate 1"],
     ["0", "10", "20", "30", "ok", "ok", "0", "5", "20", "25", "error out_of_memory"]),
    ("lines the shell cannot read are parse errors, and it goes on", 10, [],
     ["allocate", "allocate 1 2 3", "allocate ten", "allocate 1.5", "free 1", "free_memory now", "frob 1",
      "ALLOCATE 1", "allocate 2"],
     ["error parse"] * 8 + ["0"]),
    ("help lists the commands in one line; quit ends the conversation", 10, [],
     ["help", "allocate 2", "help me", "quit", "allocate 3"],
     ["commands: allocate SIZE [ALIGNMENT] [phase=P] [nocross=N] [min=LO] [max=HI], free ADDRESS SIZE, "
      "allocate_handle SIZE [ALIGNMENT], free_handle HANDLE, allocate_at ADDRESS SIZE, explain SIZE [ALIGNMENT] "
      "[phase=P] [nocross=N] [min=LO] [max=HI], free_after ADDRESS SIZE EPOCH, complete EPOCH, queued_memory, "
      "add_span START SIZE, remove_span START SIZE, spans, free_memory, largest_free_block, free_blocks, map, compact, make_room SIZE [ALIGNMENT], help, quit", "0",
      "error parse", "ok"]),
    ("free_handle refuses what names no allocation", 10, [],
     ["free_handle 0", "free_handle -1", f"free_handle {2**64}", "free_handle x", "free_handle", "free_handle 1 2",
      "allocate_handle 0", "allocate_handle 4 3", "allocate_handle 11", "free_memory"],
     ["error invalid_free", "error invalid_free", "error invalid_free", "error parse", "error parse", "error parse",
      "error invalid_size", "error invalid_alignment", "error out_of_memory", "10"]),
    ("an echoed word is bounded and escaped", 10, [],
     ["frob\x1b" + "x" * 100000, "allocate 1\x07"],
     ["error parse", "error parse"]),
    ("a 64-bit range never wraps around", MAX, [],
     [f"allocate {MAX}", "free_memory", f"free {MAX - 1} 2", f"free 0 {MAX}", "largest_free_block",
      "allocate 1", f"allocate 1 {2**63}", "free_blocks", f"allocate {2**63} {2**63}"],
     ["0", "0", "error invalid_address", "ok", str(MAX), "0", str(2**63), f"1:{2**63 - 1} {2**63 + 1}:{2**63 - 2}",
      "error out_of_memory"]),
    ("numbers past 64 bits are refused by kind, not wrapped", 10, [],
     ["allocate 18446744073709551617", "free 18446744073709551616 1", "allocate 3"],
     ["error invalid_size", "error invalid_address", "0"]),
    ("compact slides every block down", 20, [],
     ["allocate 4", "allocate 4", "allocate 4", "free 0 4", "compact", "free_blocks", "compact"],
     ["0", "4", "8", "ok", "4->0:4 8->4:4", "8:12", ""]),
    ("make_room moves as little as it can", 20, [],
     ["allocate 5", "allocate 2", "allocate 5", "allocate 8", "free 0 5", "free 7 5", "make_room 11",
      "make_room 10", "allocate 10"],
     ["0", "5", "7", "12", "ok", "ok", "error out_of_memory", "5->10:2", "0"]),
    ("compaction keeps each block's alignment", 50, [],
     ["allocate 5", "allocate 3", "allocate 10 16", "free 0 5", "compact", "map"],
     ["0", "5", "16", "ok", "5->0:3", "[Allocated(0-2)] [Free(3-15)] [Allocated(16-25)] [Free(26-49)]"]),
    ("allocate places by phase, boundary and window", 100, [],
     ["allocate 10 8 phase=3", "allocate 10 8 phase=3 nocross=16", "allocate 20 min=50 max=80", "allocate 30 min=70",
      "allocate 1 min=70", "allocate 6 max=19 min=13", "free_blocks", "allocate 4 nocross=4", "allocate 2 1 max=100"],
     ["3", "19", "50", "70", "error out_of_memory", "13", "0:3 29:21", "32", "0"]),
    ("constraints are checked after the size and the alignment", 10, [],
     ["allocate 0 phase=-1", "allocate 4 3 phase=9", "allocate 4 8 phase=8", "allocate 4 nocross=3",
      "allocate 4 nocross=2", "allocate 4 min=5 max=8", "allocate 4 phase=-1", f"allocate 4 max={2**64}",
      "allocate 4 phase=1 phase=1", "allocate 4 size=3", "allocate 4 phase=x", "allocate 4 phase=0 8", "allocate phase=0",
      "free_memory"],
     ["error invalid_size", "error invalid_alignment", "error invalid_constraint", "error invalid_constraint",
      "error invalid_constraint", "error invalid_constraint", "error invalid_constraint", "error invalid_constraint",
      "error parse", "error parse", "error parse", "error parse", "error parse", "10"]),
    ("explain tells where a request would go, or why not, and changes nothing", 100, [],
     ["allocate 50", "explain 10", "explain 10 16 phase=1", "explain 60", "explain 10 min=95", "explain 0",
      "explain 4 8 phase=8", "free_blocks"],
     ["0", "fits 50", "fits 65", "no:", "no:", "error invalid_size", "error invalid_constraint", "50:50"]),
    ("allocate_at takes exactly its range, checked as free is", 50, [],
     ["allocate_at 10 5", "allocate_at 12 1", "allocate_at 15 35", "allocate_at 50 1", "allocate_at 49 2",
      "allocate_at 0 0", "allocate_at -1 1", "allocate_at 5 -1", "allocate_at 5", "map", "allocate 10", "free 10 5",
      "free_blocks"],
     ["10", "error out_of_memory", "15", "error invalid_address", "error invalid_address", "error invalid_size",
      "error invalid_address", "error invalid_size", "error parse", "[Free(0-9)] [Allocated(10-14)] [Allocated(15-49)]",
      "0", "ok", "10:5"]),
    ("a deferred free holds its units until its epoch completes", 30, [],
     ["allocate 10", "allocate 10", "free_after 0 10 5", "free 0 10", "free_after 0 10 6", "queued_memory",
      "free_memory", "allocate 15", "allocate_at 5 1", "complete 4", "queued_memory", "complete 5", "queued_memory",
      "free_blocks", "free 10 10", "allocate 15"],
     ["0", "10", "ok", "error invalid_free", "error invalid_free", "10", "10", "error out_of_memory",
      "error out_of_memory", "ok", "10", "ok", "0", "0:10 20:10", "ok", "0"]),
    ("free_after checks as free does, and its epoch is a number", 30, [],
     ["allocate 10", "free_after -1 10 1", "free_after 0 0 1", "free_after 0 9 1", "free_after 0 10 -1",
      f"free_after 0 10 {2**64}", "free_after 0 10", "complete -1", "complete", "free_after 0 10 0", "complete 0",
      "free_memory"],
     ["0", "error invalid_address", "error invalid_size", "error invalid_free", "error parse", "error parse",
      "error parse", "error parse", "error parse", "ok", "ok", "30"]),
    ("compaction waits until no free is queued", 20, [],
     ["allocate 4", "allocate 4", "free_after 0 4 1", "compact", "make_room 16", "complete 1", "compact"],
     ["0", "4", "ok", "error unsupported", "error unsupported", "ok", "4->0:4"]),
    ("make_room checks its request as allocate does", 50, [],
     ["allocate 5", "make_room 5 0", "make_room 5 3", "make_room 0", "make_room -1", "make_room 51", "allocate 1"],
     ["0", "error invalid_alignment", "error invalid_alignment", "error invalid_size", "error invalid_size",
      "error out_of_memory", "5"]),
    ("capacity 0 starts with no span; add_span makes memory and coalescing never crosses a gap", 0, [],
     ["free_memory", "spans", "allocate 1", "add_span 0 10", "add_span 20 10", "spans", "allocate 10", "allocate 10",
      "free 0 10", "free 20 10", "free_blocks", "allocate 15", "map", "free 10 5", "free 25 10"],
     ["0", "", "error out_of_memory", "ok", "ok", "0:10 20:10", "0", "20", "ok", "ok", "0:10 20:10",
      "error out_of_memory", "[Free(0-9)] [Free(20-29)]", "error invalid_address", "error invalid_address"]),
    ("spans that touch are one; remove_span takes a wholly free part of one", 10, [],
     ["add_span 10 10", "spans", "allocate 20", "remove_span 0 5", "free 0 20", "remove_span 5 10", "spans",
      "free_blocks", "add_span 5 10", "add_span 5 0", "add_span -1 2", f"add_span {2**64 - 2} 2", "remove_span 5 1",
      "remove_span 0 6", "remove_span 0 5", "remove_span 15 5", "spans", "free_memory", "allocate 1"],
     ["ok", "0:20", "0", "error invalid_free", "ok", "ok", "0:5 15:5", "0:5 15:5", "ok", "error invalid_size",
      "error invalid_address", "error invalid_address", "ok", "error invalid_address", "ok", "ok", "6:9", "9", "6"]),
    ("compaction refuses a range with gaps", 10, [],
     ["add_span 20 10", "allocate 4", "compact", "make_room 8", "remove_span 20 10", "compact"],
     ["ok", "0", "error unsupported", "error unsupported", "ok", ""]),
]


def kind_only(line):
    """The part of a line the protocol fixes: for an error, its kind; for explain's refusal, `no:`."""
    if line.startswith("no: "):
        return "no:"
    return line.split(":", 1)[0] if line.startswith("error ") else line


def run_case(binary, extra, capacity, arguments, lines):
    command = [binary, "shell", "--capacity", str(capacity), *arguments, *extra]
    done = subprocess.run(command, input="".join(line + "\n" for line in lines), capture_output=True, text=True,
                          timeout=30)
    return done.returncode, done.stdout.splitlines(), done.stderr


def conversation(binary, extra):
    """Each reply must arrive before the next line is written: the shell flushes per line."""
    shell = subprocess.Popen([binary, "shell", "--capacity", "100", *extra], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    replies = []
    for line in ("allocate 10", "allocate 20", "free 0 10", "free_blocks"):
        shell.stdin.write(line + "\n")
        shell.stdin.flush()
        replies.append(shell.stdout.readline().rstrip("\n"))
    shell.stdin.close()
    status = shell.wait(timeout=30)
    return replies == ["0", "10", "ok", "0:10 30:70"] and status == 0, replies


def handles(binary, extra):
    """allocate_handle prints ADDRESS HANDLE; free_handle frees once, and a handle is refused after
    its block was freed either way, or when it was never handed out."""
    shell = subprocess.Popen([binary, "shell", "--capacity", "100", *extra], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)

    def say(line):
        shell.stdin.write(line + "\n")
        shell.stdin.flush()
        return shell.stdout.readline().rstrip("\n")

    replies = []
    first = say("allocate_handle 10")
    second = say("allocate_handle 20 8")
    replies += [first, second]
    try:
        (first_address, first_handle), (second_address, second_handle) = (
            [int(word) for word in reply.split(" ")] for reply in (first, second))
    except ValueError:
        shell.kill()
        return False, replies
    forged = second_handle ^ (1 << 40)
    script = [f"free_handle {first_handle}", f"free_handle {first_handle}", f"free_handle {forged}",
              "free_blocks", f"free {second_address} 20", f"free_handle {second_handle}", "free_blocks",
              "allocate_handle 10"]
    replies += [kind_only(say(line)) for line in script]
    shell.stdin.close()
    status = shell.wait(timeout=30)
    reused = replies[-1].split(" ")
    expected = ["ok", "error invalid_free", "error invalid_free", "0:16 36:64", "ok", "error invalid_free", "0:100"]
    ok = (first_address, second_address) == (0, 16) and replies[2:-1] == expected and status == 0
    # The slot of the first handle is reused, with a new generation: the new handle differs.
    ok = ok and len(reused) == 2 and reused[0] == "0" and int(reused[1]) not in (first_handle, second_handle)
    return ok, replies


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    binary, extra = sys.argv[1], sys.argv[2:]
    passed = failed = 0
    for name, capacity, arguments, lines, expected in CASES:
        status, output, errors = run_case(binary, extra, capacity, arguments, lines)
        if status == 0 and [kind_only(line) for line in output] == expected:
            passed += 1
            continue
        failed += 1
        print(f"FAIL {name}: exit {status}\n  expected {expected}\n  got      {output}\n  stderr   {errors.strip()}")
    for name, case in (("a conversation over pipes", conversation), ("allocate_handle and free_handle", handles)):
        ok, replies = case(binary, extra)
        if ok:
            passed += 1
        else:
            failed += 1
            print(f"FAIL {name}: got {replies}")
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
