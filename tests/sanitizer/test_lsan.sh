#!/bin/bash
# test_lsan.sh PROBE SUPP OUT_DIR clean|leak
#
# LeakSanitizer with tests/lsan.supp and the options of scripts/test.sh --sanitize, on ot-leak-probe:
#   clean  GStreamer initialised, a factory element made and freed: the library's one-time allocations are
#          suppressed, so nothing is reported and the exit is 0;
#   leak   the same plus one g_strdup lost by the program: reported (through g_strdup, from main) as the only
#          leak, and the exit is the sanitizers' own 86, not a product exit code.
set -euo pipefail
probe=$1 supp=$2 out=$3 case=$4
rm -rf "$out" && mkdir -p "$out"
fail() { echo "FAIL: $*" >&2; exit 1; }
[ -x "$probe" ] || fail "$probe is not built"
[ -s "$supp" ] || fail "no suppressions file $supp"
# The options scripts/test.sh --sanitize exports, stated here so the test does not depend on the caller's.
export ASAN_OPTIONS=detect_leaks=1:exitcode=86:halt_on_error=1:abort_on_error=0
export LSAN_OPTIONS=suppressions=$supp:print_suppressions=0:exitcode=86:fast_unwind_on_malloc=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=86
rc=0
if [ "$case" = leak ]; then "$probe" leak; else "$probe"; fi >"$out/stdout" 2>"$out/stderr" || rc=$?
cat "$out/stderr"
case $case in
clean)
    [ $rc = 0 ] || fail "the clean probe exited $rc (a library allocation not suppressed? see above)"
    if grep -q 'LeakSanitizer' "$out/stderr"; then fail "a leak was reported for the clean probe"; fi
    ;;
leak)
    [ $rc = 86 ] || fail "the leaking probe exited $rc, expected the sanitizers' 86"
    grep -q 'ERROR: LeakSanitizer: detected memory leaks' "$out/stderr" || fail "no leak report"
    # Exactly one leak: ours (the string's 36 bytes), allocated through g_strdup from main in leak_probe.c.
    grep -q 'SUMMARY: AddressSanitizer: 36 byte(s) leaked in 1 allocation(s)' "$out/stderr" ||
        fail "the report is not exactly our one 36-byte allocation"
    grep -q 'in g_strdup' "$out/stderr" || fail "the leak's stack does not go through g_strdup"
    grep -q 'in main .*leak_probe.c' "$out/stderr" || fail "the leak's stack does not reach main"
    ;;
*) fail "unknown case $case" ;;
esac
echo "ok: lsan $case"
