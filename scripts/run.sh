#!/usr/bin/env bash
# README's first command: set up, build, run the main job.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
./build/cli/qkv gradcheck --all
