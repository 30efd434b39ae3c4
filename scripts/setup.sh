#!/usr/bin/env bash
# Installs the Debian 12 packages qkv needs, only those that are missing; uses sudo
# when not root. Does nothing (and asks for nothing) when all are present.
set -euo pipefail

packages=(
  g++ cmake make pkg-config git
  libopenblas-openmp-dev   # BLAS on OpenMP: one thread pool for BLAS and our loops
  libfmt-dev catch2 libcli11-dev libhdf5-dev zlib1g-dev libtomlplusplus-dev libsentencepiece-dev
  libsword-utils sword-text-kjv sword-text-web sword-text-sparv   # the Bible corpora (qkv data)
  gnuplot-nox              # loss-curve PNGs
  libopenmpi-dev openmpi-bin   # mpirun: data-parallel train, distributed ablate
  clang-14 libclang-rt-14-dev libomp-14-dev   # the sanitizer and fuzz build (scripts/build_asan.sh)
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

sudo=""
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "setup: need root or sudo to install: ${missing[*]}" >&2; exit 2; }
  sudo="sudo"
fi
echo "setup: installing ${missing[*]}"
$sudo apt-get update -q
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
