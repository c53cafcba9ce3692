#!/bin/bash
# test_record_h264.sh ONETAKE CHECKER SAMPLES_DIR CUES_DIR OUT_DIR
#
# Record simple.cues (a cue at frame 0 that overrides the first --cam, cuts at 40, 85, 125, an end at 195) with
# --duration 6 to H.264: exactly 180 frames (the duration ends the take before the end cue), each from the camera
# the plan names (PSNR: best camera and >= 25 dB, and the tick's frame better than its neighbours), exact
# timestamps, keyframes exactly at every GOP of 30 and every cut, the cut log ending by "duration".
set -euo pipefail
onetake=$1 checker=$2 samples=$3 cues=$4 out=$5
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
need_exe "$onetake"
need_exe "$checker"
need_samples "$samples"
fresh_dir "$out"
take=$out/take

mapfile -t cams < <(cam_args "$samples")
rc=0
"$onetake" record --headless "${cams[@]}" --cues "$cues/simple.cues" --codec h264 --size 640x360 --fps 30/1 \
    --duration 6 --out "$take" >"$out/record.log" 2>&1 || rc=$?
cat "$out/record.log"
[ $rc -eq 0 ] || fail "onetake record exited $rc"
[ -s "$take/program.mkv" ] || fail "no program.mkv"
[ "$(json_str "$take/take.json" status)" = closed ] || fail "take.json status is not closed"
[ "$(json_str "$take/take.json" end_reason)" = duration ] || fail "take.json end_reason is not duration"

n=$(ffprobe -v error -select_streams v:0 -count_frames -show_entries stream=nb_read_frames -of csv=p=0 \
    "$take/program.mkv")
[ "$n" = 180 ] || fail "ffprobe counts $n frames, expected 180 (--duration 6 at 30 fps)"

"$checker" --program "$take/program.mkv" --mode psnr --keyframes 30 --cues "$cues/simple.cues" \
    --size 640x360 --fps 30/1 --frames 180 --cuts "$take/cuts.jsonl" --end-origin duration "${cams[@]}" ||
    fail "ot-check-program: the H.264 program does not follow simple.cues (outputs kept in $out)"
echo "ok: record h264 --duration 6"
