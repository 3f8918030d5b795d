#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Debug mode's cost on the Python workload of bench/RESULTS.md (debug_workload.py with
# PYTHONMALLOC=malloc): ROUNDS alternating rounds of glibc and of each LIBRARY preloaded with
# HEAPKIT_DEBUG=1, then per run the CPU seconds (user + system), sorted. Alternating runs share the
# machine's noise; CPU time leaves out waiting. Compare two builds of the library by copying one
# aside first.
#   bench/malloc/debug_cost.sh ROUNDS LIBRARY [LIBRARY...]
#   e.g. bench/malloc/debug_cost.sh 5 /tmp/before.so $PWD/build/lib/libheapkit_malloc.so
set -euo pipefail
if [[ $# -lt 2 || ! $1 =~ ^[1-9][0-9]*$ ]]; then
    echo "usage: $0 ROUNDS LIBRARY [LIBRARY...]" >&2
    exit 2
fi
rounds=$1
shift
for library in "$@"; do
    [[ -f $library ]] || { echo "$0: no library at $library" >&2; exit 2; }
done
workload="$(dirname "$0")/debug_workload.py"
python=/usr/bin/python3  # the binary itself: a wrapper script would be what the library saw

# CPU seconds of one run; $1 is "glibc" or a library's path.
cpu_seconds() {
    local preload=()
    [[ $1 == glibc ]] || preload=(LD_PRELOAD="$1" HEAPKIT_DEBUG=1)
    env PYTHONMALLOC=malloc "${preload[@]}" /usr/bin/time -f '%U %S' "$python" "$workload" 2>&1 >/dev/null |
        grep -v '^heapkit' | tail -n 1 | awk '{ printf "%.2f", $1 + $2 }'
}

declare -A seconds
for ((round = 1; round <= rounds; ++round)); do
    for subject in glibc "$@"; do
        seconds[$subject]+="$(cpu_seconds "$subject") "
    done
    echo "round $round of $rounds done" >&2
done
for subject in glibc "$@"; do
    echo "$subject: $(tr ' ' '\n' <<<"${seconds[$subject]}" | grep . | sort -n | tr '\n' ' ')"
done
