#!/usr/bin/env bash
# bench/proof-cost.sh [ONETAKE] [SECONDS] [RUNS]: what the proof costs. Records the same 1080p30 H.264 take (one
# videotestsrc camera) with the proof on and off (record --no-proof) RUNS times each and reports the CPU seconds per
# second of take that the proof adds: RAW hashing of every program frame, packet hashing, the file hashes, signing
# once a second and the commits' fdatasyncs. Target: under 10% of one core (0.10 s per second of take).
# The smallest CPU time of the runs is kept for each side (the least disturbed run).
set -euo pipefail
cd "$(dirname "$0")/.."
onetake=${1:-build/onetake}
secs=${2:-10}
runs=${3:-3}
[ -x "$onetake" ] || { echo "proof-cost: $onetake is not built (scripts/build.sh)" >&2; exit 2; }
work=$(mktemp -d /tmp/onetake-proof-cost.XXXXXX)
trap 'rm -rf "$work"' EXIT
"$onetake" keygen --out "$work/station.key" >/dev/null

# cpu_of DIR OPTIONS...: user+sys CPU seconds of one record.
cpu_of() {
    local dir=$1
    shift
    local t
    t=$( { /usr/bin/env time -f '%U %S' "$onetake" record --headless --cam a=test:ball --size 1920x1080 --fps 30/1 \
        --codec h264 --duration "$secs" --key "$work/station.key" --quiet --out "$dir" "$@" >/dev/null 2>"$dir.err"; \
        tail -n1 "$dir.err"; } )
    awk '{printf "%.3f", $1 + $2}' <<<"$t"
}

best_on=""
best_off=""
for i in $(seq 1 "$runs"); do
    on=$(cpu_of "$work/on$i")
    off=$(cpu_of "$work/off$i" --no-proof)
    echo "run $i: proof on ${on} s CPU, off ${off} s CPU (take: ${secs} s)"
    best_on=$(awk -v a="$on" -v b="${best_on:-$on}" 'BEGIN{print (a < b ? a : b)}')
    best_off=$(awk -v a="$off" -v b="${best_off:-$off}" 'BEGIN{print (a < b ? a : b)}')
done
"$onetake" verify "$work/on1" --quiet >/dev/null || { echo "proof-cost: the take with the proof does not verify" >&2; exit 1; }
log_kb=$(($(stat -c %s "$work/on1/take.log") / 1024))
awk -v on="$best_on" -v off="$best_off" -v s="$secs" -v kb="$log_kb" 'BEGIN{
    d = on - off; if (d < 0) d = 0;
    printf "proof cost at 1080p30 h264: %.3f CPU s per second of take (%.1f%% of one core; target < 10%%)\n", d / s,
        100 * d / s;
    printf "  whole record: %.3f (on) vs %.3f (off) CPU s per second of take; take.log %d KiB for %d s\n", on / s,
        off / s, kb, s }'
