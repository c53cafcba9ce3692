#!/bin/bash
# test_determinism.sh ONETAKE SAMPLES_DIR CUES_DIR OUT_DIR CODEC [DECODE1 DECODE2]
#
# With DECODE1=all DECODE2=program: decoding every camera and decoding only the camera on program (seeking a file
# camera to its cut) give the same program, packet for packet.
# Two identical records of the same inputs give the same program: identical per-packet hashes (framemd5 of the
# stream copied out: pts, duration, size and MD5 of every packet) and the same executed cuts (wall clock removed).
# Takes differ only in what makes them a take (take id, dates), never in media.
set -euo pipefail
onetake=$1 samples=$2 cues=$3 out=$4 codec=$5
decode=("" "${6:-program}" "${7:-program}")
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
need_exe "$onetake"
need_samples "$samples"
fresh_dir "$out"

mapfile -t cams < <(cam_args "$samples")
for run in 1 2; do
    rc=0
    "$onetake" record --headless "${cams[@]}" --cues "$cues/song.cues" --actions "$cues/song.actions" \
        --codec "$codec" --decode "${decode[$run]}" --size 640x360 --fps 30/1 --out "$out/take$run" >"$out/record$run.log" 2>&1 || rc=$?
    [ $rc -eq 0 ] || { cat "$out/record$run.log"; fail "record $run exited $rc"; }
    ffmpeg -nostdin -v error -i "$out/take$run/program.mkv" -map 0:v -c copy -f framemd5 "$out/packets$run.framemd5" ||
        fail "ffmpeg cannot read take$run/program.mkv"
    sed -e 's/"wall_ns":[0-9]*//' -e 's/"take_id":"[0-9a-f]*"//' "$out/take$run/cuts.jsonl" >"$out/cuts$run.txt"
done
n=$(grep -vc '^#' "$out/packets1.framemd5")
[ "$n" -gt 0 ] || fail "no packets in take1/program.mkv"
diff "$out/packets1.framemd5" "$out/packets2.framemd5" >"$out/packets.diff" ||
    fail "the two programs differ ($(grep -c '^[<>]' "$out/packets.diff") packet lines, see $out/packets.diff)"
diff "$out/cuts1.txt" "$out/cuts2.txt" || fail "the executed cuts differ"
echo "ok: $codec: two records (decode ${decode[1]}, ${decode[2]}), $n identical packets, identical cuts"
