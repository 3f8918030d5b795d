#!/usr/bin/env bash
# The cost of a process start under each malloc: RUNS starts of a small program (/bin/true unless
# PROGRAM is given), rounds alternating between the mallocs, seconds per round and the median.
# usage: bench/malloc/process_start.sh ROUNDS RUNS LIBRARY... ("glibc" for none)
set -euo pipefail
rounds=$1 runs=$2
shift 2
program=${PROGRAM:-/bin/true}
declare -A seconds
for round in $(seq "$rounds"); do
  for library in "$@"; do
    preload=$library
    [ "$library" = glibc ] && preload=""
    start=$(date +%s.%N)
    for _ in $(seq "$runs"); do LD_PRELOAD="$preload" "$program" > /dev/null; done
    took=$(echo "$(date +%s.%N) - $start" | bc)
    seconds[$library]="${seconds[$library]:-} $took"
    echo "round $round $library: $took s for $runs starts"
  done
done
for library in "$@"; do
  median=$(tr ' ' '\n' <<< "${seconds[$library]}" | grep . | sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}')
  echo "median $library: $median s"
done
