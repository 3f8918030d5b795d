#!/bin/sh
# SPDX-License-Identifier: MIT
# Python's own regression tests test_gc and test_json under heapkit's checking modes, as under
# glibc: they pass with HEAPKIT_DEBUG=1 and with HEAPKIT_GUARD=all, the reports kept out of their
# output by HEAPKIT_LOG (these tests assert what a child process writes to stderr). Skipped (77)
# where the python3 on PATH has no test package (Debian's needs libpython3-testsuite).
# Usage: python_regression_tests.sh LIBRARY
set -u
library=$1
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
if ! python3 -c 'import test.test_gc, test.test_json' 2>/dev/null; then
    echo "SKIP: python3 ($(command -v python3)) has no test.test_gc / test.test_json"; exit 77
fi
if ! python3 -m test test_gc test_json > "$scratch/glibc" 2>&1; then
    echo "SKIP: the tests fail without heapkit"; tail -n 5 "$scratch/glibc"; exit 77
fi
failures=0
for mode in HEAPKIT_DEBUG=1 HEAPKIT_GUARD=all; do
    if env "$mode" HEAPKIT_LOG="$scratch/reports.%p" LD_PRELOAD="$library" python3 -m test test_gc test_json > "$scratch/heapkit" 2>&1 &&
        grep -q '^Result: SUCCESS' "$scratch/heapkit"; then
        echo "ok   $mode"
    else
        echo "FAIL $mode"; tail -n 20 "$scratch/heapkit"; failures=$((failures + 1))
    fi
done
# A misuse report ends the program, so a pass already says there was none; the log holds at most
# leak reports.
if cat "$scratch"/reports.* 2>/dev/null | grep -v '^heapkit: leak' | grep -q '^heapkit: '; then
    echo "FAIL a report other than a leak's:"; cat "$scratch"/reports.* | grep -v '^heapkit: leak' | head -n 5; failures=$((failures + 1))
fi
exit $((failures != 0))
