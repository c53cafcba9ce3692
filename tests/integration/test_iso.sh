#!/bin/bash
# test_iso.sh ONETAKE CHECKER SAMPLES_DIR CUES_DIR TAKE_DIR OUT_DIR CASE
#
# ISOs on the take clock. CASE record (the CTest fixture iso_take) records the rehearsed song (song.cues +
# song.actions: a dozen timed cuts, a go, a manual cut) from the five sample cameras with --iso, everything FFV1 at
# 640x360, into TAKE_DIR, and checks:
# - every ISO has exactly the take's frame count (take.json, ffprobe), no drop, its tags (TAKE_ID of the take, ROLE
#   "iso NAME", TIMECODE of the take's start); the handheld's repeats are written again and counted in take.json;
# - cuts.edl and cuts.otio point at the ISOs and match the executed cuts (check_cutlists.py).
# CASE camera:NAME: decoded ISO frame k is byte for byte the conformed camera frame of tick k (ot-check-program
# with the ISO as the "program" of that one camera): for the 25 fps handheld, the frame docs/contract.md's rule maps to
# tick k.
# CASE program: program frame i is byte for byte ISO frame i of the camera on program at i (ot-check-program with
# the ISOs as the cameras), and the executed cut log matches the plan.
set -euo pipefail
onetake=$1 checker=$2 samples=$3 cues=$4 take=$5 out=$6 case=$7
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
need_exe "$onetake"
need_exe "$checker"
need_samples "$samples"
fresh_dir "$out"
frames=285 # song.cues ends at 00:00:09:15

if [ "$case" != record ]; then
    [ -f "$take/take.json" ] || fail "$take holds no take: the iso_take fixture (test iso_record) did not run"
    if [ "$case" = program ]; then
        iso_cams=()
        for name in "${cam_names[@]}"; do iso_cams+=(--cam "$name=$take/iso/$name.mkv"); done
        # Program frame i = ISO frame i of the camera the plan puts on program at i.
        "$checker" --program "$take/program.mkv" --mode exact --cues "$cues/song.cues" \
            --actions "$cues/song.actions" --size 640x360 --fps 30/1 --frames $frames --cuts "$take/cuts.jsonl" \
            --end-origin cue "${iso_cams[@]}" >"$out/check.log" 2>&1 ||
            { cat "$out/check.log"; fail "the program is not the ISOs' frames"; }
    else
        name=${case#camera:}
        file=
        for i in "${!cam_names[@]}"; do [ "${cam_names[$i]}" != "$name" ] || file=${cam_files[$i]}; done
        [ -n "$file" ] || fail "unknown camera $name"
        # ISO frame k = the conformed camera frame of tick k (the checker's own decode and mapping of the clip).
        "$checker" --program "$take/iso/$name.mkv" --mode exact --size 640x360 --fps 30/1 --frames $frames \
            --cam "$name=$samples/$file" >"$out/check.log" 2>&1 ||
            { cat "$out/check.log"; fail "ISO $name is not the camera's frames on the take clock"; }
    fi
    tail -n1 "$out/check.log"
    echo "ok: iso $case"
    exit 0
fi
rm -rf "$take"

mapfile -t cams < <(cam_args "$samples")
rc=0
"$onetake" record --headless "${cams[@]}" --cues "$cues/song.cues" --actions "$cues/song.actions" --iso \
    --codec ffv1 --size 640x360 --fps 30/1 --out "$take" >"$out/record.log" 2>&1 || rc=$?
cat "$out/record.log"
[ $rc -eq 0 ] || fail "onetake record --iso exited $rc"
[ "$(json_str "$take/take.json" status)" = closed ] || fail "take.json status is not closed"
[ "$(json_str "$take/take.json" iso_codec)" = ffv1 ] || fail "take.json iso_codec is not ffv1"
[ "$(json_int "$take/take.json" iso_dropped)" = 0 ] || fail "take.json says ISO frames were dropped"
take_id=$(json_str "$take/take.json" take_id)

python3 - "$take/take.json" "$frames" <<'EOF' || fail "take.json ISO stats are wrong"
import json, sys
t = json.load(open(sys.argv[1])); frames = int(sys.argv[2])
isos = {i["camera"]: i for i in t["iso"]}
assert list(isos) == [c["name"] for c in t["cameras"]], "one ISO per camera, in --cam order: %s" % list(isos)
for name, i in isos.items():
    assert i["file"] == "iso/%s.mkv" % name, i
    assert (i["frames"], i["packets"], i["dropped"], i["error"]) == (frames, frames, 0, None), i
# The 25 fps handheld has no new frame at 1 tick in 6: written again, counted; the 30 fps cameras never repeat.
assert isos["handheld"]["repeats"] > 0, isos["handheld"]
assert all(i["repeats"] == 0 for n, i in isos.items() if n != "handheld"), isos
print("take.json: %d ISOs of %d frames, handheld repeats %d" % (len(isos), frames, isos["handheld"]["repeats"]))
EOF

for name in "${cam_names[@]}"; do
    iso=$take/iso/$name.mkv
    [ -s "$iso" ] || fail "$iso is missing"
    n=$(ffprobe -v error -count_packets -select_streams v:0 -show_entries stream=nb_read_packets -of csv=p=0 "$iso")
    [ "$n" = "$frames" ] || fail "$iso has $n frames, the take $frames"
    tags=$(ffprobe -v error -show_entries format_tags=TAKE_ID,ROLE:stream_tags=TIMECODE -of default=nw=1 "$iso")
    grep -qx "TAG:TAKE_ID=$take_id" <<<"$tags" || fail "$iso: TAKE_ID tag is not the take's ($tags)"
    grep -qx "TAG:ROLE=iso $name" <<<"$tags" || fail "$iso: ROLE tag is not 'iso $name' ($tags)"
    grep -qx "TAG:TIMECODE=00:00:00:00" <<<"$tags" || fail "$iso: TIMECODE tag is not the take's start ($tags)"
done

python3 "$(dirname "$0")/check_cutlists.py" "$take" --media iso ||
    fail "cuts.edl / cuts.otio do not match the executed cuts"
echo "ok: ISOs: 5 cameras x $frames frames, tags, stats, cut lists"
