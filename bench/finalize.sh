#!/bin/bash
# bench/finalize.sh [--build DIR] [--seconds N] [--size WxH]: what finishing the files adds to a take's close
# (Cues appended, header patched, PATCH record committed, one more sync per file), from record -v's log lines
# ("finished at the close in X ms"), for a program and 6 ISOs of test sources.
set -euo pipefail
build=build seconds=10 size=1920x1080
while [ $# -gt 0 ]; do
    case $1 in
    --build) build=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --size) size=$2; shift 2 ;;
    *) echo "usage: $0 [--build DIR] [--seconds N] [--size WxH]" >&2; exit 2 ;;
    esac
done
work=$build/bench-work/finalize
rm -rf "$work"
mkdir -p "$work"
export XDG_CONFIG_HOME=$work/config
cams=()
for p in ball smpte snow pinwheel gamut circular; do cams+=(--cam "$p=test:$p"); done
nice "$build/onetake" record -v --headless "${cams[@]}" --size "$size" --fps 30/1 --duration "$seconds" \
    --codec h264 --preset ultrafast --iso --iso-codec h264 --iso-preset ultrafast --out "$work/take" \
    >"$work/record.log" 2>&1
grep "finished at the close" "$work/record.log" | python3 -c '
import re, sys
files = [(float(m.group(1)), int(m.group(2)), float(m.group(3))) for m in
         (re.search(r"in ([0-9.]+) ms \((\d+) cue points: ([0-9.]+) ms", l) for l in sys.stdin) if m]
total = sum(f[0] for f in files)
cues = sum(f[1] for f in files)
cue_ms = sum(f[2] for f in files)
print("files finished: %d, total %.2f ms (%d cue points, %.3f ms for the Cues)" % (len(files), total, cues, cue_ms))
print("per file: %.2f ms" % (total / max(1, len(files))))
# A 60-minute take: the Cues grow with the cue points (one a GOP: 3600 a file); the rest does not grow.
per_cue = cue_ms / max(1, cues)
print("60 min, 7 files, extrapolated: %.1f ms" % (total - cue_ms + per_cue * 3600 * len(files)))
'
