#!/usr/bin/env bash
# Configure and build. scripts/build.sh [BUILD_DIR] [extra cmake args...]
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build}
shift || true
cmake -S . -B "$dir" -DOT_WERROR=ON "$@" >/dev/null
cmake --build "$dir" -j"$(nproc)"
