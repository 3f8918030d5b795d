#!/bin/sh
# SPDX-License-Identifier: MIT
# The HEAPKIT_* variables of heapkit's malloc: HEAPKIT_STATS=1 prints one summary at exit (with
# the pid and program), HEAPKIT_TRACE=FILE (with %p) writes a trace that `heapkit replay` reads
# back, HEAPKIT_LOG=FILE (with %p) takes every report off stderr, and an unknown HEAPKIT_*
# variable is reported once; `heapkit run --stats --trace FILE --log FILE` sets the first three
# (a relative FILE is the starting directory's), and `heapkit run --debug` HEAPKIT_DEBUG; under
# `heapkit run` a program with a malloc of its own (OWN_MALLOC, tests/malloc/own_malloc.c) is
# said at exit never to have called heapkit's, and a program that did call it is not. The tuning
# variables: malformed values are reported, sort works under every setting, and
# HEAPKIT_PURGE_DELAY_MS decides whether an idle program's freed heap memory goes back (RSS_TEST,
# tests/malloc/rss_after_peak.c).
# Usage: environment.sh LIBRARY HEAPKIT OWN_MALLOC RSS_TEST
set -u
library=$1 heapkit=$2 own_malloc=$3 rss_test=$4
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
seq 1 20000 | awk '{print ($1 * 7919) % 20000}' > "$scratch/numbers"
HEAPKIT_STATS=1 HEAPKIT_TRACE="$scratch/trace.%p" HEAPKIT_NO_SUCH_THING=1 LD_PRELOAD="$library" \
    sort -n "$scratch/numbers" > "$scratch/sorted" 2> "$scratch/stderr"
failures=0
check() {  # check DESCRIPTION COMMAND...
    description=$1
    shift
    if "$@"; then echo "ok   $description"; else echo "FAIL $description"; failures=$((failures + 1)); fi
}
check "sort still sorts" sh -c "seq 0 19999 | cmp -s - '$scratch/sorted'"
check "the unknown variable is reported once" \
    test "$(grep -c '^heapkit: unknown variable HEAPKIT_NO_SUCH_THING ignored' "$scratch/stderr")" -eq 1
check "one summary at exit" \
    test "$(grep -cE '^heapkit: [0-9]+ allocations, [0-9]+ frees, [0-9]+ reallocs; peak in use [0-9]+ bytes.* \(pid [0-9]+, sort\)$' "$scratch/stderr")" -eq 1
check "the summary counts allocations by path" \
    test "$(grep -cE '^heapkit: allocations by path: [0-9]+ slab, [0-9]+ heap, [0-9]+ mmap$' "$scratch/stderr")" -eq 1
trace=$(ls "$scratch"/trace.* 2>/dev/null | head -n 1)
check "a trace named with the process id" test -n "$trace"
check "the trace replays" sh -c "'$heapkit' replay '$trace' --policy first > '$scratch/replay' 2>&1"
check "the trace has allocations and frees" sh -c "grep -q '^a ' '$trace' && grep -q '^f ' '$trace'"
"$heapkit" run --stats --trace "$scratch/run.%p" -- sort -n "$scratch/numbers" > "$scratch/run_sorted" 2> "$scratch/run_stderr"
check "heapkit run --stats prints the summary" grep -qE '^heapkit: [0-9]+ allocations' "$scratch/run_stderr"
check "heapkit run --trace writes a trace that replays" \
    sh -c "'$heapkit' replay \$(ls '$scratch'/run.* | head -n 1) --policy first > /dev/null 2>&1"
check "the program under heapkit run still works" cmp -s "$scratch/sorted" "$scratch/run_sorted"
"$heapkit" run --debug -- sort -n "$scratch/numbers" > "$scratch/debug_sorted" 2> "$scratch/debug_stderr"
check "heapkit run --debug runs the program as it is" cmp -s "$scratch/sorted" "$scratch/debug_sorted"
"$heapkit" run --debug -- /usr/bin/python3 -c "import ctypes; print(ctypes.CDLL(None).heapkit_malloc_leak_check())" \
    > "$scratch/debug_check" 2> /dev/null
check "heapkit run --debug puts the program in debug mode" grep -qE '^[0-9]+$' "$scratch/debug_check"
HEAPKIT_LOG="$scratch/log.%p" HEAPKIT_STATS=1 HEAPKIT_NO_SUCH_THING=1 LD_PRELOAD="$library" \
    sort -n "$scratch/numbers" > /dev/null 2> "$scratch/log_stderr"
log=$(ls "$scratch"/log.* 2>/dev/null | head -n 1)
check "HEAPKIT_LOG leaves stderr empty" test ! -s "$scratch/log_stderr"
check "HEAPKIT_LOG names its file with the process id" sh -c "grep -q \"(pid \${1##*.}, sort)\" '$log'" sh "$log"
check "HEAPKIT_LOG holds the summary and the unknown variable" \
    sh -c "grep -q '^heapkit: allocations by path' '$log' && grep -q '^heapkit: unknown variable' '$log'"
mkdir "$scratch/start" "$scratch/elsewhere"
(cd "$scratch/start" && "$heapkit" run --stats --log reports.txt -- sh -c "cd '$scratch/elsewhere' && sort -n '$scratch/numbers'" \
    > /dev/null 2> "$scratch/run_log_stderr")
check "heapkit run --log writes where it started, whatever the program's directory" \
    sh -c "grep -q '(pid [0-9]*, sort)' '$scratch/start/reports.txt' && test ! -e '$scratch/elsewhere/reports.txt'"
LD_PRELOAD="$library" HEAPKIT_LOG="$scratch/no/such/dir/log" sort -n "$scratch/numbers" > /dev/null 2> "$scratch/bad_log"
check "an unopenable HEAPKIT_LOG is said on stderr" grep -q '^heapkit: HEAPKIT_LOG: cannot open .*; reporting on stderr$' "$scratch/bad_log"
LD_PRELOAD="$library" HEAPKIT_GUARD=sample:0 sort -n "$scratch/numbers" > /dev/null 2> "$scratch/bad_guard"
check "a malformed HEAPKIT_GUARD is reported" \
    grep -q '^heapkit: HEAPKIT_GUARD=sample:0 not understood (all, all:left, sample:N, sample:N:left); no guard pages$' "$scratch/bad_guard"
LD_PRELOAD="$library" HEAPKIT_GUARD=sample:5 sort -n "$scratch/numbers" > "$scratch/guard_sorted" 2> "$scratch/guard_stderr"
check "sort under HEAPKIT_GUARD=sample:5 still sorts, silently" sh -c "cmp -s '$scratch/sorted' '$scratch/guard_sorted' && test ! -s '$scratch/guard_stderr'"
"$heapkit" run --stats -- "$own_malloc" > "$scratch/own_stdout" 2> "$scratch/own_stderr"
check "heapkit run says when the program never called heapkit's malloc" sh -c "test \"\$(cat '$scratch/own_stdout')\" = done &&
    grep -qE \"^heapkit: $(basename "$own_malloc") \\(pid [0-9]+\\) never called heapkit's malloc: nothing was checked or recorded\" '$scratch/own_stderr'"
check "and not when it did" sh -c "! grep -q 'never called' '$scratch/run_stderr'"
LD_PRELOAD="$library" HEAPKIT_STATS=1 "$own_malloc" > /dev/null 2> "$scratch/own_preloaded"
check "outside heapkit run the library keeps quiet about it" test ! -s "$scratch/own_preloaded"
LD_PRELOAD="$library" HEAPKIT_PURGE_DELAY_MS=soon HEAPKIT_ARENAS=9 sort -n "$scratch/numbers" > /dev/null 2> "$scratch/bad_tuning"
check "a malformed HEAPKIT_PURGE_DELAY_MS is reported" \
    grep -q '^heapkit: HEAPKIT_PURGE_DELAY_MS=soon not understood (milliseconds, 0 to 3600000); 1000 kept$' "$scratch/bad_tuning"
check "a malformed HEAPKIT_ARENAS is reported" grep -q '^heapkit: HEAPKIT_ARENAS=9 not understood (1 to 8); 8 kept$' "$scratch/bad_tuning"
LD_PRELOAD="$library" HEAPKIT_PURGE_DELAY_MS=0 HEAPKIT_ARENAS=1 HEAPKIT_MEDIUM_CACHE=0 HEAPKIT_PURGE_THREAD=0 \
    sort -n "$scratch/numbers" > "$scratch/tuned_sorted" 2> "$scratch/tuned_stderr"
check "sort under every tuning variable still sorts, silently" \
    sh -c "cmp -s '$scratch/sorted' '$scratch/tuned_sorted' && test ! -s '$scratch/tuned_stderr'"
check "with HEAPKIT_PURGE_DELAY_MS=100 an idle program's freed heap memory goes back" \
    env LD_PRELOAD="$library" HEAPKIT_PURGE_DELAY_MS=100 "$rss_test" heap-idle
check "with HEAPKIT_PURGE_DELAY_MS=3600000 it stays (the delay is obeyed)" \
    sh -c "! env LD_PRELOAD='$library' HEAPKIT_PURGE_DELAY_MS=3600000 '$rss_test' heap-idle > /dev/null"
cat "$scratch/stderr" "$scratch/run_stderr" "$scratch/own_stderr"
exit $((failures != 0))
