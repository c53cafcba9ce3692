#!/usr/bin/env bash
# Build and run every test (unit + integration on generated sample clips).
#   scripts/test.sh             normal build in build/
#   scripts/test.sh --sanitize  AddressSanitizer + UBSan build in build-asan/
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--sanitize" ]; then
  dir=build-asan
  scripts/build.sh "$dir" -DCMAKE_BUILD_TYPE=Debug -DOT_ASAN=ON -DOT_UBSAN=ON
  # GLib/GStreamer/fontconfig keep one-time global allocations for the life of the process: suppressed by library
  # name in tests/lsan.supp; nothing of onetake's is.
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:strict_string_checks=1:detect_stack_use_after_return=1
  export LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp:print_suppressions=0
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
else
  dir=build
  scripts/build.sh "$dir"
fi
ctest --test-dir "$dir" --output-on-failure -j"$(nproc)" --timeout 300
