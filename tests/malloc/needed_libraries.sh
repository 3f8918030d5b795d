#!/bin/sh
# SPDX-License-Identifier: MIT
# libheapkit_malloc.so loads nothing into a process but libc and the loader: its libstdc++ and
# unwinder are linked in and hidden, and no function of theirs is exported.
# Usage: needed_libraries.sh LIBRARY
set -u
library=$1
needed=$(readelf -dW "$library" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | grep -v '^ld-linux' | sort | tr '\n' ' ')
echo "needed: $needed"
[ "$needed" = "libc.so.6 " ] || { echo "FAIL: more than libc and the loader"; exit 1; }
leaked=$(nm -D --defined-only "$library" | awk '$2 == "T" || $2 == "W" {print $3}' | grep -E '^(_ZNSt|_ZNKSt|_ZSt|_ZN9__gnu_cxx|__cxa_|__gxx_|_Unwind_)' | head -5)
[ -z "$leaked" ] || { echo "FAIL: libstdc++ functions exported: $leaked"; exit 1; }
echo ok
