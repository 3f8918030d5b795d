#!/usr/bin/env bash
# Runs `heapkit bench` over the grid of indexes and live counts in one process after another
# and prints a Markdown table of ns per free+allocate pair, with ratios to tlsf at 1k.
# usage: bench/offset_grid.sh [HEAPKIT_BINARY]
set -euo pipefail
heapkit=${1:-build/bin/heapkit}
declare -A result
for live in 1000 10000 100000 1000000; do
  for index in list tree tree-best tlsf buddy; do
    name=${index%-best}
    fit=first
    [ "$index" = tree-best ] && fit=best
    ops=1000000
    if [ "$name" = list ]; then
      [ "$live" -gt 10000 ] && continue
      ops=20000
    fi
    echo "bench: $index live=$live" >&2
    line=$("$heapkit" bench --index "$name" --fit "$fit" --live "$live" --ops "$ops" | tail -n 1)
    result[$index,$live]=${line##*ns_per_pair=}
  done
done
echo "| index | fit | 1k live | 10k live | 100k live | 1M live |"
echo "|---|---|---|---|---|---|"
for index in list tree tree-best tlsf buddy; do
  fit=first; [ "$index" = tree-best ] && fit=best; [ "$index" = tlsf ] && fit=good; [ "$index" = buddy ] && fit=buddy
  row="| ${index%-best} | $fit |"
  for live in 1000 10000 100000 1000000; do row="$row ${result[$index,$live]:--} |"; done
  echo "$row"
done
