#!/bin/bash
# test_cutlists.sh ONETAKE SAMPLES_DIR CUES_DIR OUT_DIR CASE
#
# Cut lists for post (cuts.edl, CMX3600; cuts.otio, OpenTimelineIO), parsed back by check_cutlists.py and compared
# event by event with the executed cuts (cuts.jsonl); the OTIO clips must add up to the take's frames.
#   sources:    the rehearsed song without --iso: the lists point at the camera files (absolute paths).
#   drop_frame: 29.97 fps test sources for over a minute, cuts across the first minute boundary (where drop-frame
#               skips labels), cameras whose names collide as 8-character reels and one that would be the reserved
#               reel BL: FCM: DROP FRAME, ';' timecodes decoded back to the same frames, unique reels.
set -euo pipefail
onetake=$1 samples=$2 cues=$3 out=$4 case=$5
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
need_exe "$onetake"
need_samples "$samples"
fresh_dir "$out"
take=$out/take
check=$(dirname "$0")/check_cutlists.py

case $case in
sources)
    mapfile -t cams < <(cam_args "$samples")
    rc=0
    "$onetake" record --headless "${cams[@]}" --cues "$cues/song.cues" --actions "$cues/song.actions" \
        --codec ffv1 --size 640x360 --fps 30/1 --out "$take" >"$out/record.log" 2>&1 || rc=$?
    [ $rc -eq 0 ] || { cat "$out/record.log"; fail "onetake record exited $rc"; }
    [ ! -e "$take/iso" ] || fail "a take without --iso has an iso/ folder"
    python3 "$check" "$take" --media source --expect-reels \
        wide=WIDE,close=CLOSE,crane=CRANE,drone=DRONE,handheld=HANDHELD || fail "the cut lists are wrong"
    # 14 executed cuts + the start = 15 shots.
    [ "$(grep -c '^[0-9]\{3\}  ' "$take/cuts.edl")" = 15 ] || fail "cuts.edl does not have 15 events"
    ;;
drop_frame)
    # Frames: 0 handheld-left, 1795 handheld-right, 1800 (00:01:00;02: labels ;00 and ;01 do not exist in minute 1)
    # bl, 1850 handheld-left, end 1900.
    printf '0 cut handheld-left\n1795 cut handheld-right\n00:01:00;02 cut bl "after the skip"\n1850 cut handheld-left\n1900 end\n' \
        >"$out/df.cues"
    rc=0
    "$onetake" record --headless --cam handheld-left=test:ball --cam handheld-right=test:smpte --cam bl=test:snow \
        --cues "$out/df.cues" --codec ffv1 --size 64x36 --fps 30000/1001 --out "$take" >"$out/record.log" 2>&1 ||
        rc=$?
    [ $rc -eq 0 ] || { cat "$out/record.log"; fail "onetake record exited $rc"; }
    grep -q '^FCM: DROP FRAME$' "$take/cuts.edl" || fail "cuts.edl does not say FCM: DROP FRAME"
    grep -q ' 00:00:59;25 00:01:00;02 00:00:59;25 00:01:00;02$' "$take/cuts.edl" ||
        fail "cuts.edl has no event from 00:00:59;25 to 00:01:00;02 (frames 1795-1800)"
    python3 "$check" "$take" --media none --expect-reels handheld-left=HANDHELD,handheld-right=HANDHEL1,bl=BL1 ||
        fail "the drop-frame cut lists are wrong"
    ;;
*)
    fail "unknown case $case"
    ;;
esac
echo "ok: cut lists ($case)"
