#!/bin/bash
# test_iso_copy.sh ONETAKE CHECKER SAMPLES_DIR CUES_DIR TAKE_DIR OUT_DIR CASE
#
# Copy ISOs (--iso-codec copy: each camera file's own packets, remuxed on the take clock). CASE record (the
# CTest fixture iso_copy_take) records the rehearsed song (song.cues + song.actions) from the five sample
# cameras with --iso --iso-codec copy, the program FFV1 at 640x360, into TAKE_DIR, and checks:
# - take.json: iso_codec "copy", one ISO per camera covering the take's 285 frames (ticks), the handheld's
#   repeats, nothing dropped, no error, and as many packets as the rule below gives;
# - each ISO's tags (TAKE_ID, ROLE "iso NAME", TIMECODE), and the camera's own codec and frame rate (the
#   25 fps handheld stays 25 fps);
# - each ISO's packets are the camera file's first packets in decode order, byte for byte (ffprobe data
#   hashes) with their key flags, exactly as many as the take needs: up to the last one, in decode order,
#   whose frame is at or before the take's last tick (1 ms container rounding), so the references of the
#   last B frames and nothing after them;
# - their timestamps are on the take clock: the camera's presentation time minus its first frame's, in ms, so
#   the ISO starts at 0;
# - decoding an ISO gives the camera's own frames (framemd5 against the camera file's first frames);
# - the ISOs advanced with the take: each ISO's first FILE record is in the take log before the program's
#   last commit (a remux written only at the end would come after it);
# - `onetake verify` says the take is uncut and lists every ISO's packets as checked.
# CASE program: program frame i is byte for byte the frame of the copy ISO of the camera on program at i,
# each ISO decoded and conformed as capture does and mapped to ticks by docs/contract.md's rule (ot-check-program
# with the ISOs as the cameras).
set -euo pipefail
onetake=$1 checker=$2 samples=$3 cues=$4 take=$5 out=$6 case=$7
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
need_exe "$onetake"
need_exe "$checker"
need_samples "$samples"
fresh_dir "$out"
frames=285 # song.cues ends at 00:00:09:15

if [ "$case" = program ]; then
    [ -f "$take/take.json" ] ||
        fail "$take holds no take: the iso_copy_take fixture (test iso_copy_record) did not run"
    iso_cams=()
    for name in "${cam_names[@]}"; do iso_cams+=(--cam "$name=$take/iso/$name.mkv"); done
    "$checker" --program "$take/program.mkv" --mode exact --cues "$cues/song.cues" \
        --actions "$cues/song.actions" --size 640x360 --fps 30/1 --frames $frames --cuts "$take/cuts.jsonl" \
        --end-origin cue "${iso_cams[@]}" \
        >"$out/check.log" 2>&1 || { cat "$out/check.log"; fail "the program is not the copy ISOs' frames"; }
    tail -n1 "$out/check.log"
    echo "ok: iso copy program"
    exit 0
fi
[ "$case" = record ] || fail "unknown case $case"
rm -rf "$take"

mapfile -t cams < <(cam_args "$samples")
rc=0
"$onetake" record --headless "${cams[@]}" --cues "$cues/song.cues" --actions "$cues/song.actions" --iso \
    --iso-codec copy --codec ffv1 --size 640x360 --fps 30/1 --out "$take" >"$out/record.log" 2>&1 || rc=$?
cat "$out/record.log"
[ $rc -eq 0 ] || fail "onetake record --iso --iso-codec copy exited $rc"
[ "$(json_str "$take/take.json" status)" = closed ] || fail "take.json status is not closed"
[ "$(json_str "$take/take.json" iso_codec)" = copy ] || fail "take.json iso_codec is not copy"
take_id=$(json_str "$take/take.json" take_id)

for i in "${!cam_names[@]}"; do
    name=${cam_names[$i]} src=$samples/${cam_files[$i]} iso=$take/iso/${cam_names[$i]}.mkv
    [ -s "$iso" ] || fail "$iso is missing"
    tags=$(ffprobe -v error -show_entries format_tags=TAKE_ID,ROLE:stream_tags=TIMECODE -of default=nw=1 \
        "$iso")
    grep -qx "TAG:TAKE_ID=$take_id" <<<"$tags" || fail "$iso: TAKE_ID tag is not the take's ($tags)"
    grep -qx "TAG:ROLE=iso $name" <<<"$tags" || fail "$iso: ROLE tag is not 'iso $name' ($tags)"
    grep -qx "TAG:TIMECODE=00:00:00:00" <<<"$tags" ||
        fail "$iso: TIMECODE tag is not the take's start ($tags)"
    for f in "$src" "$iso"; do
        ffprobe -v error -select_streams v:0 -show_entries stream=codec_name,avg_frame_rate -of csv=p=0 "$f"
    done >"$out/$name.streams"
    [ "$(sort -u "$out/$name.streams" | wc -l)" = 1 ] ||
        fail "$iso: codec or frame rate is not the camera's: $(tr '\n' ' ' <"$out/$name.streams")"
    for f in src iso; do
        file=$src
        [ $f = src ] || file=$iso
        ffprobe -v error -select_streams v:0 -show_data_hash sha256 \
            -show_entries packet=pts,flags,data_hash:stream=time_base -of json "$file" >"$out/$name.$f.json"
        ffmpeg -nostdin -v error -i "$file" -map 0:v:0 -f framemd5 - | grep -v '^#' |
            awk -F', *' '{print $NF}' >"$out/$name.$f.frames"
    done
    python3 - "$out/$name.src.json" "$out/$name.iso.json" "$take/take.json" "$name" "$frames" <<'EOF' ||
import json, sys
from fractions import Fraction
src, iso, take = (json.load(open(p)) for p in sys.argv[1:4])
name, frames = sys.argv[4], int(sys.argv[5])
def pkts(j):
    tb = Fraction(j["streams"][0]["time_base"])
    return [(Fraction(p["pts"]) * tb, p["flags"][0] == "K", p["data_hash"]) for p in j["packets"]]
s, i = pkts(src), pkts(iso)
first = min(t for t, _, _ in s)
# The take needs, in decode order, every packet up to the last one shown by the last tick (1 ms rounding).
last_tick = Fraction(frames - 1, 30)
need = max(k for k, (t, _, _) in enumerate(s) if t - first <= last_tick + Fraction(1, 1000)) + 1
assert len(i) == need, "%s: %d packets, the take needs the camera's first %d" % (name, len(i), need)
for k, ((ts, ks, hs), (ti, ki, hi)) in enumerate(zip(s, i)):
    assert hs == hi, "%s: packet %d differs from the camera's (%s / %s)" % (name, k, hi, hs)
    assert ks == ki, "%s: packet %d key flag %s, the camera's %s" % (name, k, ki, ks)
    want = round((ts - first) * 1000)  # ms on the take clock
    assert ti * 1000 == want, "%s: packet %d at %s ms, expected %d ms" % (name, k, ti * 1000, want)
assert min(t for t, _, _ in i) == 0, "%s: the ISO does not start at 0" % name
st = {x["camera"]: x for x in take["iso"]}[name]
assert (st["file"], st["frames"], st["dropped"], st["packets"], st["error"]) == \
    ("iso/%s.mkv" % name, frames, 0, need, None), st
assert (st["repeats"] > 0) == (name == "handheld"), st
print("%s: %d packets, byte for byte the camera's first %d, from 0 ms on the take clock"
      % (name, len(i), need))
EOF
        fail "copy ISO $name is not the camera's packets on the take clock"
    n=$(wc -l <"$out/$name.iso.frames")
    head -n "$n" "$out/$name.src.frames" | cmp -s - "$out/$name.iso.frames" ||
        fail "$iso does not decode to the camera's first $n frames"
done

# Progress: each ISO's records reached the take log before the program's last commit.
python3 - "$take/take.log" "${#cam_names[@]}" <<'EOF' || fail "the copy ISOs did not advance with the take"
import re, sys
log = open(sys.argv[1], "rb").read().decode("utf-8", "replace")
files = [(m.start(), int(m.group(1)), m.group(2)) for m in
         re.finditer(r'\{"t":"FILE","s":(\d+),[^}]*"final":(true|false)\}', log)]
last_program = max(pos for pos, s, final in files if s == 0 and final == "false")
for s in range(1, int(sys.argv[2]) + 1):
    first = min(pos for pos, st, _ in files if st == s)
    assert first < last_program, "stream %d: first FILE record after the program's last commit" % s
print("every copy ISO committed while the take ran")
EOF

rc=0
"$onetake" verify "$take" >"$out/verify.log" 2>&1 || rc=$?
cat "$out/verify.log"
[ $rc -eq 0 ] || fail "onetake verify exited $rc on a take with copy ISOs"
grep -q "^UNCUT" "$out/verify.log" || fail "onetake verify does not say UNCUT"
for name in "${cam_names[@]}"; do
    grep -qE "iso/$name\.mkv: [0-9]+ bytes .* packets" "$out/verify.log" ||
        fail "onetake verify does not list iso/$name.mkv as checked"
done
echo "ok: copy ISOs: ${#cam_names[@]} cameras, packets, timestamps, decoding, progress, verify"
