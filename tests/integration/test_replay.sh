#!/bin/bash
# test_replay.sh ONETAKE SAMPLES_DIR CUES_DIR OUT_DIR CODEC [DURATION [TAKE_DIR]]   (DURATION 0: the whole song)
#
# Deterministic replay: record (or take TAKE_DIR, recorded so by the iso_take fixture) the rehearsed song (song.cues + song.actions: a dozen timed cuts, a go cue fired by
# the director, a manual cut) with --iso (FFV1 ISOs) and program codec CODEC, then `onetake replay` re-makes the
# program from the ISOs and the executed cut log alone. The replay must give:
# - the same raw frames: per-frame hashes of the decoded programs (ffmpeg framemd5) identical;
# - the same packets, bit for bit (framemd5 of the stream copied out: pts, size, MD5 of every packet): FFV1 and the
#   muxer's bitexact mode make the program a function of its frames; for H.264 the same x264 settings do too;
# - the same executed cuts (frame, camera; a replayed cut is "manual"), its own take folder (take.json: replay_of,
#   the codec), and cut lists that point at the original ISOs.
set -euo pipefail
onetake=$1 samples=$2 cues=$3 out=$4 codec=$5 duration=${6:-} given=${7:-}
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
need_exe "$onetake"
need_samples "$samples"
fresh_dir "$out"
take=$out/take
replay=$out/replay

mapfile -t cams < <(cam_args "$samples")
extra=()
[ -z "$duration" ] || [ "$duration" = 0 ] || extra=(--duration "$duration")
if [ -n "$given" ]; then
    [ -f "$given/take.json" ] || fail "$given holds no take: the iso_take fixture (test iso_record) did not run"
    [ "$(json_str "$given/take.json" codec)" = "$codec" ] || fail "$given is not a $codec take"
    take=$given
else
    rc=0
    "$onetake" record --headless "${cams[@]}" --cues "$cues/song.cues" --actions "$cues/song.actions" --iso \
        --codec "$codec" --size 640x360 --fps 30/1 "${extra[@]}" --out "$take" >"$out/record.log" 2>&1 || rc=$?
    [ $rc -eq 0 ] || { cat "$out/record.log"; fail "onetake record exited $rc"; }
fi

rc=0
"$onetake" replay "$take" --out "$replay" -q >"$out/replay.log" 2>&1 || rc=$?
cat "$out/replay.log"
[ $rc -eq 0 ] || fail "onetake replay exited $rc"
[ ${#extra[@]} -gt 0 ] || grep -q '"origin":"go"' "$take/cuts.jsonl" || fail "the take has no go cut to replay"
[ "$(json_str "$replay/take.json" status)" = closed ] || fail "the replay's take.json is not closed"
[ "$(json_str "$replay/take.json" replay_of)" = "$(json_str "$take/take.json" take_id)" ] ||
    fail "the replay's take.json does not say replay_of the take"
[ "$(json_str "$replay/take.json" codec)" = "$codec" ] || fail "the replay's codec is not $codec"
frames() { python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["frames"])' "$1/take.json"; }
[ "$(frames "$replay")" = "$(frames "$take")" ] ||
    fail "the replay has $(frames "$replay") frames, the take $(frames "$take")"

for d in take replay; do
    dir=$take
    [ $d = take ] || dir=$replay
    ffmpeg -nostdin -v error -i "$dir/program.mkv" -map 0:v -f framemd5 "$out/$d.frames" ||
        fail "ffmpeg cannot decode $dir/program.mkv"
    ffmpeg -nostdin -v error -i "$dir/program.mkv" -map 0:v -c copy -f framemd5 "$out/$d.packets" ||
        fail "ffmpeg cannot read $dir/program.mkv"
done
n=$(grep -vc '^#' "$out/take.frames")
[ "$n" -gt 0 ] || fail "no frame in the take's program"
diff "$out/take.frames" "$out/replay.frames" >"$out/frames.diff" ||
    fail "raw frames differ ($(grep -c '^<' "$out/frames.diff") of $n, see $out/frames.diff)"
diff "$out/take.packets" "$out/replay.packets" >"$out/packets.diff" ||
    fail "packets differ ($(grep -c '^<' "$out/packets.diff") of $n, see $out/packets.diff)"

# The executed cuts, as (type, frame, camera): the same list.
sed -e 's/.*"type":"\([a-z]*\)","frame":\([0-9]*\),"timecode":"[^"]*","camera":"\([^"]*\)".*/\1 \2 \3/' \
    "$take/cuts.jsonl" >"$out/take.cuts"
for d in replay; do
    sed -e 's/.*"type":"\([a-z]*\)","frame":\([0-9]*\),"timecode":"[^"]*","camera":"\([^"]*\)".*/\1 \2 \3/' \
        "$replay/cuts.jsonl" >"$out/$d.cuts"
done
diff "$out/take.cuts" "$out/replay.cuts" || fail "the replay's executed cuts differ from the take's"
python3 "$(dirname "$0")/check_cutlists.py" "$replay" --media replay ||
    fail "the replay's cut lists do not match its cuts"
echo "ok: replay $codec: $n frames, identical raw frames and packets, $(grep -c '^cut' "$out/take.cuts") cuts"
