#!/usr/bin/env bash
# Build and run every test (unit + integration on generated sample clips).
#   scripts/test.sh             normal build in build/
#   scripts/test.sh --sanitize  AddressSanitizer + UBSan build in build-asan/
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--sanitize" ]; then
  dir=build-asan
  scripts/build.sh "$dir" -DCMAKE_BUILD_TYPE=Debug -DOT_ASAN=ON -DOT_UBSAN=ON
  # A sanitizer report exits 86 (halt on the first), a code no onetake command uses: a memory error on an
  # error path can never pass a test that expects a refusal (1), INVALID (1) or a usage error (2).
  # tests/lsan.supp names specific library-internal stacks (never a whole library); they are only in the stack
  # with the slow unwinder (Debian's libraries have no frame pointers): fast_unwind_on_malloc=0.
  export ASAN_OPTIONS=detect_leaks=1:exitcode=86:halt_on_error=1:abort_on_error=0:strict_string_checks=1:detect_stack_use_after_return=1
  export LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp:print_suppressions=0:exitcode=86:fast_unwind_on_malloc=0
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=86
  # autotrans_ui_key presses real keys (XTEST) at wall-clock times, which a window started slowly under ASan can
  # miss; the same key path runs under the sanitizers in autotrans_ui (--ui-script, tied to frames).
  only=(-E '^autotrans_ui_key$')
else
  dir=build
  scripts/build.sh "$dir"
  only=()
fi
ctest --test-dir "$dir" --output-on-failure -j"$(nproc)" --timeout 300 "${only[@]}"
