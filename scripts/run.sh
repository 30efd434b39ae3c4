#!/usr/bin/env bash
# README's first command: set up, build, prepare the King James Bible, train gpt-tiny
# on it for a few minutes (progress line), and print a sample.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
./build/cli/qkv data kjv
./build/cli/qkv train --config configs/gpt-tiny.toml --set train.max_iters=${QKV_RUN_ITERS:-2000} --out out/gpt-tiny --overwrite
./build/cli/qkv sample --checkpoint out/gpt-tiny/best.h5 --prompt "And God said" --tokens 300 --temperature 0.8 --seed 1
