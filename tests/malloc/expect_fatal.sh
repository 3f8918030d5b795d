#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs PROGRAM ARGUMENT under heapkit's malloc and passes when it is killed by SIGABRT after
# printing exactly one line that matches PATTERN (grep -E). ARGUMENT may be several words.
# Usage: expect_fatal.sh LIBRARY PROGRAM ARGUMENT PATTERN
library=$1 program=$2 argument=$3 pattern=$4
# shellcheck disable=SC2086  # the argument is words
output=$(LD_PRELOAD="$library" "$program" $argument 2>&1)
status=$?
lines=$(printf '%s\n' "$output" | grep -c .)
if [ "$status" -ne 134 ] || [ "$lines" -ne 1 ] || ! printf '%s\n' "$output" | grep -Eq "$pattern"; then
    echo "FAIL: status $status, output:"; printf '%s\n' "$output"; exit 1
fi
echo "ok: $output"
