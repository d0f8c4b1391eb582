#!/bin/sh
# Installs, through apt-get, only the Debian packages bundlerun needs that are
# missing. Idempotent: a machine that has everything does nothing (and needs no
# network). Run as root, or with sudo available.
set -eu

# Build and runtime dependencies (see README.md, "Dependencies"). OpenMPI is
# optional for the build (bundle.mpi) but installed here so tests/mpi runs.
PKGS="build-essential pkg-config lua5.4 liblua5.4-dev libopenblas-dev libcsv-dev \
zlib1g-dev lua-busted libcmocka-dev libseccomp-dev libxgboost-dev libopenmpi-dev openmpi-bin"
# scripts/render-report also needs a browser; make fuzz clang (libFuzzer);
# make valgrind valgrind; scripts/bench/gbdt python3-xgboost (its peer);
# scripts/bench/csv and models pandas, data.table (R), scikit-learn, PyTorch.
# Only they ask for these.
case "${1:-}" in
  --render) PKGS="chromium" ;;
  --fuzz) PKGS="clang" ;;
  --valgrind) PKGS="valgrind" ;;
  --bench) PKGS="python3-xgboost python3-pandas python3-sklearn python3-torch r-base-core r-cran-data.table" ;;
esac

missing=""
for p in $PKGS; do
  # dpkg-query prints "install ok installed" only for a fully installed package.
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  case "$status" in
    "install ok installed") ;;
    *) missing="$missing $p" ;;
  esac
done

if [ -z "$missing" ]; then
  exit 0
fi

echo "install-deps: installing:$missing" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "install-deps: need root (or sudo) to install:$missing" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
echo "install-deps: done" >&2
