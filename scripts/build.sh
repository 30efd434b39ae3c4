#!/usr/bin/env bash
# Configures and builds qkv (Release) into build/. Extra arguments go to cmake
# (scripts/test.sh passes -DQKV_BUILD_BENCH=OFF: the suite needs no benchmarks).
set -euo pipefail
cd "$(dirname "$0")/.."
launcher=()
if command -v ccache >/dev/null; then  # used when installed, not required
  export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD}  # so that another clone hits the same cache
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DQKV_BUILD_BENCH=ON "${launcher[@]}" "$@" >/dev/null
cmake --build build -j"$(nproc)"
