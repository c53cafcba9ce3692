#!/usr/bin/env bash
# libFuzzer campaigns on the harnesses of tests/fuzz (README there). Builds build-fuzz (clang, ASan+UBSan) if needed.
#   scripts/fuzz.sh NAME [--minutes N | --seconds S]   one campaign (default 1 minute)
#   scripts/fuzz.sh --all [--seconds S]                 each harness for S seconds (default 20), as CI does
#   scripts/fuzz.sh --list                              the harness names
# New inputs go to build-fuzz/fuzz/NAME/ (the committed seeds in tests/fuzz/corpus/NAME/ are only read); a crash,
# leak or UBSan report stops the run, leaves the input in build-fuzz/fuzz/crash-NAME-*, and exits non-zero.
set -euo pipefail
cd "$(dirname "$0")/.."
names=(cues actions ui_script take_log checkpoints log_minisig minisig pubkey take_json cuts_jsonl bag_manifest
       bag_info)
usage() { echo "usage: scripts/fuzz.sh NAME [--minutes N | --seconds S] | --all [--seconds S] | --list" >&2; exit 2; }
[ $# -ge 1 ] || usage
target=$1; shift
seconds=60
[ "$target" = --all ] && seconds=20
while [ $# -gt 0 ]; do
  case $1 in
    --minutes) [ $# -ge 2 ] && [[ $2 =~ ^[0-9]+$ ]] || usage; seconds=$(($2 * 60)); shift 2 ;;
    --seconds) [ $# -ge 2 ] && [[ $2 =~ ^[0-9]+$ ]] || usage; seconds=$2; shift 2 ;;
    *) usage ;;
  esac
done
if [ "$target" = --list ]; then printf '%s\n' "${names[@]}"; exit 0; fi
if [ "$target" = --all ]; then run=("${names[@]}")
else
  printf '%s\n' "${names[@]}" | grep -qx -- "$target" || { echo "fuzz.sh: no harness '$target' (--list)" >&2; exit 2; }
  run=("$target")
fi
command -v clang >/dev/null || { echo "fuzz.sh: clang is missing (scripts/install-deps.sh installs it)" >&2; exit 2; }
cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DOT_FUZZ=ON -DOT_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  >/dev/null
targets=(); for n in "${run[@]}"; do targets+=(--target "fuzz_$n"); done
cmake --build build-fuzz -j"$(nproc)" "${targets[@]}" >/dev/null
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
status=0
for n in "${run[@]}"; do
  work=build-fuzz/fuzz/$n
  mkdir -p "$work"
  log=build-fuzz/fuzz/$n.log
  echo "== fuzz $n for ${seconds}s"
  # -rss_limit_mb: the parsers read at most 16 MB of a file; far more is a bug too.
  if build-fuzz/tests/fuzz/fuzz_"$n" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
       -dict=tests/fuzz/"$n".dict -artifact_prefix=build-fuzz/fuzz/crash-"$n"- -print_final_stats=1 \
       "$work" tests/fuzz/corpus/"$n" >"$log" 2>&1; then
    echo "   $(grep -m1 'stat::number_of_executed_units' "$log" | awk '{print $2}') executions, no crash"
  else
    status=1
    echo "   FAILED: see $log; the input is in build-fuzz/fuzz/crash-$n-*" >&2
    grep -m5 -E 'ERROR|runtime error|SUMMARY' "$log" >&2 || tail -5 "$log" >&2
  fi
done
exit $status
