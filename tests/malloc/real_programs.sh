#!/bin/sh
# SPDX-License-Identifier: MIT
# Real programs on heapkit's malloc: each runs without and with LD_PRELOAD and the outputs must
# match: a Python workload (a million small objects, dicts, strings), git (init, add, commit,
# log), gcc compiling a C file, sort of a large file, and perl. With a MODE, heapkit's runs are in
# that checking mode (debug: HEAPKIT_DEBUG=1; guard: HEAPKIT_GUARD=all), their reports sent to a
# log (HEAPKIT_LOG) so that only the programs' own output is compared: a misuse found ends the
# program, which fails the comparison. Usage: real_programs.sh LIBRARY [debug|guard]
set -u
library=$1 mode=${2:-release}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
failures=0
case $mode in
    release) ;;
    debug) export HEAPKIT_DEBUG=1 HEAPKIT_LOG="$scratch/reports.%p" ;;
    guard) export HEAPKIT_GUARD=all HEAPKIT_LOG="$scratch/reports.%p" ;;
    *) echo "real_programs.sh: unknown mode $mode"; exit 2 ;;
esac

same() {  # same NAME COMMAND...: stdout with and without heapkit must be equal, both exit 0
    name=$1
    shift
    if ! "$@" > "$scratch/$name.glibc" 2>&1; then echo "SKIP $name: fails without heapkit"; return; fi
    if ! (export LD_PRELOAD="$library"; "$@") > "$scratch/$name.heapkit" 2>&1; then
        echo "FAIL $name: exit status under heapkit"; tail -n 5 "$scratch/$name.heapkit"; failures=$((failures + 1)); return
    fi
    if cmp -s "$scratch/$name.glibc" "$scratch/$name.heapkit"; then echo "ok   $name"; else
        echo "FAIL $name: output differs"; diff "$scratch/$name.glibc" "$scratch/$name.heapkit" | head -n 5; failures=$((failures + 1)); fi
}

if LD_PRELOAD="$library" /usr/bin/python3 -c 'import ctypes; ctypes.CDLL(None).heapkit_malloc_version' 2>/dev/null; then
    echo "ok   heapkit's malloc is the one in use under LD_PRELOAD"
else
    echo "FAIL heapkit's malloc is not in use under LD_PRELOAD"; failures=$((failures + 1))
fi

same python /usr/bin/python3 -c '
import json, random
random.seed(1)
objects = [{"id": i, "name": "n%d" % i, "tags": [str(j) for j in range(i % 5)]} for i in range(300000)]
text = json.dumps(objects[:50000])
words = {}
for o in objects:
    words[o["name"][-2:]] = words.get(o["name"][-2:], 0) + len(o["tags"])
print(len(text), sum(words.values()), len(json.loads(text)))
'

repository="$scratch/repository"
git_session() {
    rm -rf "$repository" && mkdir -p "$repository" && cd "$repository" &&
    git init -q && for i in 1 2 3 4 5; do seq 1 $((i * 1000)) > "file$i"; done &&
    git add . && git -c user.name=heapkit -c user.email=h@k -c commit.gpgsign=false commit -q -m "files" --date="2026-01-01T00:00:00" &&
    GIT_COMMITTER_DATE="2026-01-01T00:00:00" git log --stat --format='%an %s' && git cat-file -p HEAD^{tree}
}
same git git_session

printf 'int square(int x) { return x * x; }\nint main(void) { return square(3) - 9; }\n' > "$scratch/program.c"
gcc_compile() { gcc -O2 -o "$scratch/program" "$scratch/program.c" && "$scratch/program" && echo compiled; }
same gcc gcc_compile

seq 1 300000 | awk '{print ($1 * 7919) % 300000, "line", $1}' > "$scratch/lines"
same sort sort -k1,1n "$scratch/lines"

same perl perl -e 'my %h; $h{$_ % 1000} .= "x" for 1..200000; print join(",", map { length $h{$_} } sort { $a <=> $b } keys %h), "\n"'

echo "real programs ($mode): $failures failed"
exit $((failures != 0))
