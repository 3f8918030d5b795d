#!/usr/bin/env bash
# Installs the build in BUILD_DIR into a temporary prefix, then configures, builds and runs a
# consumer project against it with find_package(heapkit).
# usage: consume_installed.sh BUILD_DIR CMAKE
set -euo pipefail
build_dir=$1
cmake=$2
here=$(cd "$(dirname "$0")" && pwd)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
"$cmake" --install "$build_dir" --prefix "$scratch/prefix" >/dev/null
"$cmake" -S "$here" -B "$scratch/consumer" -DCMAKE_PREFIX_PATH="$scratch/prefix" >/dev/null
"$cmake" --build "$scratch/consumer" >/dev/null
"$scratch/consumer/consumer"
"$scratch/consumer/offset_consumer"
