#!/usr/bin/env bash
# Runs `heapkit bench` over the grid of indexes and live counts in one process after another
# and prints a Markdown table of ns per free+allocate pair (the seed's checked free by address,
# and for tlsf and the tree also by handle).
# usage: bench/offset_grid.sh [HEAPKIT_BINARY]
set -euo pipefail
heapkit=${1:-build/bin/heapkit}
rows="list tree tree-best tlsf buddy tlsf-handle tree-handle"
declare -A result
for live in 1000 10000 100000 1000000; do
  for row in $rows; do
    name=${row%-best}
    name=${name%-handle}
    fit=first
    [ "$row" = tree-best ] && fit=best
    free_by=address
    [ "${row%-handle}" != "$row" ] && free_by=handle
    ops=1000000
    if [ "$name" = list ]; then
      [ "$live" -gt 10000 ] && continue
      ops=20000
    fi
    echo "bench: $row live=$live" >&2
    line=$("$heapkit" bench --index "$name" --fit "$fit" --free-by "$free_by" --live "$live" --ops "$ops" | tail -n 1)
    result[$row,$live]=${line##*ns_per_pair=}
  done
done
echo "| index | fit | free by | 1k live | 10k live | 100k live | 1M live |"
echo "|---|---|---|---|---|---|---|"
for row in $rows; do
  name=${row%-best}; name=${name%-handle}
  fit=first; [ "$row" = tree-best ] && fit=best; [ "$name" = tlsf ] && fit=good; [ "$name" = buddy ] && fit=buddy
  free_by=address; [ "${row%-handle}" != "$row" ] && free_by=handle
  line="| $name | $fit | $free_by |"
  for live in 1000 10000 100000 1000000; do line="$line ${result[$row,$live]:--} |"; done
  echo "$line"
done
