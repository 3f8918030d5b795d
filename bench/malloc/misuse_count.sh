#!/usr/bin/env bash
# How many planted heap bugs each malloc stops in release mode: every kind of
# tests/malloc/misuse_corpus.c at 8, 4096 and 262144 bytes (small, page-sized, large), and the
# mismatched frees of tests/malloc/mismatched_free.cpp. A bug is stopped when the program ends
# before it prints NOT_CAUGHT (a verdict, an abort or a fault). Prints one row per kind and size
# (x: stopped, .: not) and the totals.
# usage: bench/malloc/misuse_count.sh BUILD_DIR LIBRARY... ("glibc" for none)
set -uo pipefail
build=$1
shift
corpus=$build/bin/malloc_misuse_corpus
mismatched=$build/bin/malloc_mismatched_free
for program in "$corpus" "$mismatched"; do
  [ -x "$program" ] || { echo "misuse_count: $program is not built (cmake --build $build)" >&2; exit 2; }
done
kinds=(overflow_1 overflow_32 overflow_1m underflow_1 underflow_32 underflow_1m copy_overflow_1 copy_overflow_32
       copy_underflow_1 copy_underflow_32 double_free double_free_later double_free_after_reuse free_interior free_far
       free_unaligned free_stack write_after_free write_after_free_reuse zero_after_free zero_on_malloc reuse_at_once
       reuse_after_realloc read_zero_size write_zero_size huge_request)
cases=()
for kind in "${kinds[@]}"; do
  for size in 8 4096 262144; do cases+=("$corpus $kind $size"); done
done
for kind in free_of_new delete_of_new_array delete_array_of_new delete_of_malloc wrong_sized_delete; do
  cases+=("$mismatched $kind")
done
declare -A stopped
printf '%-48s' "case"
for library in "$@"; do printf ' %10s' "$(basename "$library" | cut -c1-10)"; stopped[$library]=0; done
echo
for case in "${cases[@]}"; do
  read -r program kind size <<< "$case"
  printf '%-48s' "$kind ${size:-}"
  for library in "$@"; do
    preload=$library
    [ "$library" = glibc ] && preload=""
    # shellcheck disable=SC2086  # the case is words
    output=$(LD_PRELOAD="$preload" timeout 20 $program $kind $size 2>/dev/null)
    if printf '%s' "$output" | grep -q NOT_CAUGHT; then
      printf ' %10s' .
    else
      printf ' %10s' x
      stopped[$library]=$((stopped[$library] + 1))
    fi
  done
  echo
done
printf '%-48s' "stopped of ${#cases[@]}"
for library in "$@"; do printf ' %10s' "${stopped[$library]}"; done
echo
