#!/usr/bin/env bash
# Peak RSS (KB) of small processes under each malloc: the cost a preloaded library adds to every
# short command (its mapped code and data, its first heap). One run each (peak RSS varies little).
# usage: bench/malloc/small_process_rss.sh LIBRARY... ("glibc" for none)
set -euo pipefail
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
seq 1 200000 > "$scratch/numbers"
commands=("/bin/true" "ls -la /usr/lib" "awk {s+=\$1}END{print(s)} $scratch/numbers" "gzip -c $scratch/numbers"
          "sort -n $scratch/numbers" "tar cf - /usr/include/linux")
printf '%-50s' "malloc"; printf ' %8s' true ls awk gzip sort tar; echo
for library in "$@"; do
  preload=$library
  [ "$library" = glibc ] && preload=""
  printf '%-50s' "$library"
  for command in "${commands[@]}"; do
    # shellcheck disable=SC2086  # each command is words
    LD_PRELOAD="$preload" /usr/bin/time -f %M -o "$scratch/peak" $command > /dev/null 2>&1
    printf ' %8s' "$(cat "$scratch/peak")"
  done
  echo
done
