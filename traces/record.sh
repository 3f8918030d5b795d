#!/bin/sh
# SPDX-License-Identifier: MIT
# Records the real traces of this directory: each program runs under
# `valgrind --trace-malloc=yes` and `heapkit convert` rewrites the log in heapkit's format,
# gzip-compressed. Needs valgrind, python3, g++, git and perl. Usage: traces/record.sh [HEAPKIT]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
heapkit=${1:-$here/../build/bin/heapkit}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

record() {  # record NAME COMMENT COMMAND...: the log of the largest process the command starts
    name=$1 comment=$2
    shift 2
    valgrind --trace-malloc=yes --trace-children=yes --log-file="$scratch/$name.%p.log" "$@" > /dev/null 2>&1
    log=$(ls -S "$scratch/$name".*.log | head -n 1)
    "$heapkit" convert "$log" -o "$here/$name.trace.gz" --comment "$comment"
}

record python_json "python3 with PYTHONMALLOC=malloc: a 4000-key dict to JSON and back (traces/record.sh)" \
    env PYTHONMALLOC=malloc python3 "$here/sources/python_json.py"
record gxx_compile "cc1plus: g++ -O1 -c of a file including <map> and <string> (traces/record.sh)" \
    g++ -O1 -c "$here/sources/gxx_compile.cpp" -o "$scratch/gxx_compile.o"
record git_log "git log -p -n 30 --stat on the heapkit repository (traces/record.sh)" \
    git -C "$here/.." log -p -n 30 --stat
for copy in $(seq 1 20); do cat "$here/../README.md" "$here/../bench/RESULTS.md"; done > "$scratch/words.txt"
record perl_words "perl: word frequencies of a 20-copy text (traces/record.sh)" \
    perl -ne 'for my $w (split /\W+/) { $count{lc $w}++ } END { for (sort { $count{$b} <=> $count{$a} || $a cmp $b } keys %count) { print "$_ $count{$_}\n" } }' "$scratch/words.txt"
