#!/usr/bin/env bash
# Installs the Debian packages heapkit needs to build and test, when they are missing.
# usage: tools/install_deps.sh [bench]   (as root, or with sudo available); `bench` adds the
# mallocs heapkit's is compared with (bench/malloc/compare.py).
set -euo pipefail
packages=(cmake ninja-build g++ make python3 googletest libgtest-dev libgmock-dev libbenchmark-dev libcli11-dev
          clang clang-format libclang-rt-14-dev python3-dev pybind11-dev python3-pytest zlib1g-dev libzstd-dev libdw-dev git perl
          chromium librsvg2-bin imagemagick)
if [ "${1:-}" = bench ]; then
  packages+=(libmimalloc2.0 libjemalloc2 libtcmalloc-minimal4)
fi
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "heapkit: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
