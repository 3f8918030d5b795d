#!/bin/sh
# SPDX-License-Identifier: MIT
# HEAPKIT_DEBUG=1's leak report on leak_kinds.c: exactly the definitely lost blocks listed, by
# site, the indirectly lost and reachable ones counted; HEAPKIT_DEBUG_EXITCODE turns a leak into
# the exit status; HEAPKIT_SUPPRESS leaves a site out; heapkit_malloc_leak_check() reports on demand,
# with the stacks of other threads among the roots.
# Usage: leak_kinds.sh LIBRARY PROGRAM
set -u
library=$1 program=$2
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
failures=0
check() {  # check DESCRIPTION COMMAND...
    description=$1
    shift
    if "$@"; then echo "ok   $description"; else echo "FAIL $description"; failures=$((failures + 1)); fi
}
HEAPKIT_DEBUG=1 LD_PRELOAD="$library" "$program" > /dev/null 2> "$scratch/report"
status=$?
cat "$scratch/report"
check "the program's own status is kept" test "$status" -eq 0
check "the summary counts each kind" grep -Eq '^heapkit: leak summary: 3 blocks \(196 bytes\) definitely lost, 3 blocks \(144 bytes\) indirectly lost, [0-9]+ blocks \([0-9]+ bytes\) still reachable$' "$scratch/report"
check "one line per site of definitely lost blocks, no more" test "$(grep -c '^heapkit: leak of' "$scratch/report")" -eq 3
check "the dropped buffer" grep -Eq '^heapkit: leak of 100 bytes in 1 block, first at 0x[0-9a-f]+ allocated at lose_a_buffer\+0x[0-9a-f]+ \([^)]+\) at /[^ ]+/leak_kinds\.c:[0-9]+' "$scratch/report"
check "the chain's head" grep -Eq '^heapkit: leak of 48 bytes in 1 block, first at 0x[0-9a-f]+ allocated at make_node\+.* < lose_a_chain\+' "$scratch/report"
check "one of the cycle" grep -Eq '^heapkit: leak of 48 bytes in 1 block, first at 0x[0-9a-f]+ allocated at (make_node\+.* < )?lose_a_cycle\+' "$scratch/report"
check "the kept chain is not listed" sh -c "! grep -q 'keep_a_chain' '$scratch/report'"
HEAPKIT_DEBUG=1 HEAPKIT_DEBUG_EXITCODE=23 LD_PRELOAD="$library" "$program" > /dev/null 2>&1
check "HEAPKIT_DEBUG_EXITCODE=23 makes the leak the exit status" test "$?" -eq 23
printf '# comment\nleak:lose_a_buffer\nlose_a_cycle\n' > "$scratch/suppressions"
HEAPKIT_DEBUG=1 HEAPKIT_SUPPRESS="$scratch/suppressions" LD_PRELOAD="$library" "$program" > /dev/null 2> "$scratch/suppressed"
check "HEAPKIT_SUPPRESS leaves the suppressed sites out and counts them" \
    sh -c "grep -Eq '^heapkit: leak summary: 1 block \(48 bytes\) definitely lost, .* [0-9]+ blocks \([0-9]+ bytes\) suppressed$' '$scratch/suppressed' && test \$(grep -c '^heapkit: leak of' '$scratch/suppressed') -eq 1"
HEAPKIT_DEBUG=1 LD_PRELOAD="$library" "$program" check > "$scratch/on_demand" 2> /dev/null
check "heapkit_malloc_leak_check() answers the definitely lost count" grep -q '^leak check: 3$' "$scratch/on_demand"
HEAPKIT_DEBUG=1 LD_PRELOAD="$library" "$program" check_beside_a_thread > "$scratch/beside_a_thread" 2> /dev/null
check "a block another thread's stack holds is not lost" grep -q '^leak check: 3$' "$scratch/beside_a_thread"
HEAPKIT_DEBUG=1 LD_PRELOAD="$library" "$program" check_from_a_thread > "$scratch/from_a_thread" 2> /dev/null
check "a block the main thread's stack holds is not lost when another thread asks" grep -q '^leak check: 3$' "$scratch/from_a_thread"
LD_PRELOAD="$library" "$program" check > "$scratch/release" 2> /dev/null
check "outside debug mode it answers -1" grep -q '^leak check: -1$' "$scratch/release"
exit $((failures != 0))
