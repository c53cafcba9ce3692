#!/bin/bash
# test_record_ffv1.sh ONETAKE CHECKER SAMPLES_DIR CUES_DIR OUT_DIR
#
# FATE-style: record the rehearsed song (song.cues + song.actions: timed cuts, a go, a manual cut, a timed end) from
# the five sample cameras to a lossless FFV1 program, then ot-check-program compares every decoded program frame byte
# for byte with the conformed frame of the camera the plan puts on program, checks the exact timestamps and the
# executed cut log. Also: the take folder is closed and cues.txt is the cue list byte for byte.
set -euo pipefail
onetake=$1 checker=$2 samples=$3 cues=$4 out=$5
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
need_exe "$onetake"
need_exe "$checker"
need_samples "$samples"
fresh_dir "$out"
take=$out/take
frames=285 # song.cues: 00:00:09:15 end, at 30 fps; that frame is not recorded

mapfile -t cams < <(cam_args "$samples")
rc=0
"$onetake" record --headless "${cams[@]}" --cues "$cues/song.cues" --actions "$cues/song.actions" \
    --codec ffv1 --size 640x360 --fps 30/1 --out "$take" >"$out/record.log" 2>&1 || rc=$?
cat "$out/record.log"
[ $rc -eq 0 ] || fail "onetake record exited $rc"

for f in program.mkv take.json cuts.jsonl cues.txt; do
    [ -s "$take/$f" ] || fail "$take/$f is missing or empty"
done
[ "$(json_str "$take/take.json" status)" = closed ] || fail "take.json status is not closed"
cmp "$cues/song.cues" "$take/cues.txt" || fail "cues.txt is not the cue list byte for byte"
# 14 executed cuts + the start + the end (the checker checks each line against the plan).
lines=$(grep -c . "$take/cuts.jsonl")
[ "$lines" -eq 16 ] || fail "cuts.jsonl has $lines lines, expected 16 (start, 14 cuts, end)"

mapfile -t check_cams < <(cam_args "$samples")
"$checker" --program "$take/program.mkv" --mode exact --cues "$cues/song.cues" --actions "$cues/song.actions" \
    --size 640x360 --fps 30/1 --frames $frames --cuts "$take/cuts.jsonl" --end-origin cue "${check_cams[@]}" ||
    fail "ot-check-program: the program is not what song.cues + song.actions asked for (outputs kept in $out)"
echo "ok: record ffv1"
