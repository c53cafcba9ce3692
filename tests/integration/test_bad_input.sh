#!/bin/bash
# test_bad_input.sh ONETAKE SAMPLES_DIR CUES_DIR OUT_DIR CASE
#
# Bad input must be refused: a non-zero exit, a clear message on stderr (checked by a key phrase; for cue lists the
# file:line:col of the error) and nothing left behind: no program.mkv, no take.json that says closed, in fact no take
# folder at all (docs/contract.md for cue lists; docs/take-folder.md "Nothing half-made"). One CASE per CTest test.
set -euo pipefail
onetake=$1 samples=$2 cues=$3 out=$4 case=$5
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
need_exe "$onetake"
need_samples "$samples"
fresh_dir "$out"
take=$out/take

# refuse RC PATTERN [record options...]: the record must exit exactly RC (1: the input is wrong, e.g. a cue list;
# 2: the command line or an unreadable input) and stderr must match the extended regex PATTERN.
refuse() {
    local want=$1 pattern=$2
    shift 2
    local rc=0
    "$onetake" record --headless "$@" --size "${size:-640x360}" --fps 30/1 --codec ffv1 --out "$take" \
        >"$out/stdout.log" 2>"$out/stderr.log" || rc=$?
    echo "exit $rc; stderr:"
    cat "$out/stderr.log"
    expect_exit "$want" $rc "$case: onetake record"
    grep -qE -- "$pattern" "$out/stderr.log" || fail "$case: stderr does not say /$pattern/"
    no_take_left "$take"
}

# untouched: the refused record must not leave the take folder behind at all (docs/contract.md for cue lists;
# docs/take-folder.md "Nothing half-made" for the rest: what was created before a camera failed is removed).
untouched() {
    [ ! -e "$take" ] ||
        fail "$case: $take was left behind by a refused record: $(find "$take" -mindepth 1 -printf '%P ')"
}

mapfile -t cams < <(cam_args "$samples")
one_cam=(--cam "wide=$samples/wide.mp4")

case $case in
unknown_camera)
    printf '00:00:00:00 cut wide\n00:00:01:00 cut close\n00:00:02:00 cut crane2\n' >"$out/bad.cues"
    refuse 1 "bad\.cues:3:17: .*unknown camera" "${cams[@]}" --cues "$out/bad.cues"
    untouched
    ;;
cues_out_of_order)
    printf '00:00:00:00 cut wide\n00:00:02:00 cut close\n00:00:01:00 cut crane\n' >"$out/bad.cues"
    refuse 1 "bad\.cues:3:1: .*order" "${cams[@]}" --cues "$out/bad.cues"
    untouched
    ;;
bad_timecode)
    printf '00:00:00:00 cut wide\n00:00:01:45 cut close\n' >"$out/bad.cues"
    refuse 1 "bad\.cues:2:1: .*out of range" "${cams[@]}" --cues "$out/bad.cues"
    untouched
    ;;
bad_action)
    printf '00:00:01:00 go\n00:00:02:00 cut nobody\n' >"$out/bad.actions"
    refuse 1 "bad\.actions:2:[0-9]+: .*unknown camera" "${cams[@]}" --cues "$cues/song.cues" \
        --actions "$out/bad.actions"
    untouched
    ;;
missing_camera_file)
    refuse 2 "not found" --cam "wide=$samples/wide.mp4" --cam "close=$out/no-such-clip.mp4"
    untouched
    ;;
source_is_audio)
    ffmpeg -nostdin -v error -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=2" "$out/tone.wav"
    refuse 1 "no video" "${one_cam[@]}" --cam "mic=$out/tone.wav"
    untouched
    ;;
source_is_text)
    printf 'this is not a video\n' >"$out/notes.txt"
    refuse 1 "no video|not a video|type of stream" "${one_cam[@]}" --cam "notes=$out/notes.txt"
    untouched
    ;;
size_zero)
    size=0x0 refuse 2 "size" "${one_cam[@]}"
    untouched
    ;;
iso_codec_copy)
    # Copy ISOs are the cameras' own packets: a test: camera makes raw frames, there are none. Refused before
    # anything is made, naming the camera and what to use instead.
    refuse 2 'copy: camera "bars" \(test:smpte\) makes raw frames.*nothing to copy.*--iso-codec ffv1' \
        "${one_cam[@]}" --cam bars=test:smpte --iso --iso-codec copy
    untouched
    ;;
iso_codec_copy_network)
    # A network camera's own stream is copied (test_live_copy); one that sends nothing when the take starts has
    # no stream to copy: refused once the cameras have started, before the roll, its folder removed.
    refuse 2 'copy: camera "stage" \(srt://127\.0\.0\.1:9\) sends no compressed video.*--iso-codec ffv1' \
        "${one_cam[@]}" --cam stage=srt://127.0.0.1:9 --iso --iso-codec copy
    untouched
    ;;
iso_codec_without_iso)
    refuse 2 "--iso-codec h264 without --iso" "${one_cam[@]}" --iso-codec h264
    untouched
    ;;
bad_preset)
    refuse 2 "--iso-preset fastt: not an x264 preset.*ultrafast" "${one_cam[@]}" --iso --iso-codec h264 --iso-preset fastt
    untouched
    refuse 2 "--preset quick: not an x264 preset" "${one_cam[@]}" --codec h264 --preset quick
    untouched
    refuse 2 "--iso-preset fast: only h264 ISOs have an x264 preset" "${one_cam[@]}" --iso --iso-preset fast
    untouched
    ;;
out_not_empty)
    # A real take first (one camera, 1 s), then a second record into the same folder must refuse and leave the
    # first take exactly as it was.
    rc=0
    "$onetake" record --headless "${one_cam[@]}" --size 640x360 --fps 30/1 --codec ffv1 --duration 1 \
        --out "$take" >"$out/first.log" 2>&1 || rc=$?
    [ $rc -eq 0 ] || { cat "$out/first.log"; fail "the first record exited $rc"; }
    [ -s "$take/program.mkv" ] || fail "the first record made no program.mkv"
    before=$(cd "$take" && find . -type f | LC_ALL=C sort | xargs sha256sum)
    rc=0
    "$onetake" record --headless "${cams[@]}" --size 640x360 --fps 30/1 --codec ffv1 --duration 1 \
        --out "$take" >"$out/stdout.log" 2>"$out/stderr.log" || rc=$?
    cat "$out/stderr.log"
    expect_exit 1 $rc "a second record into a folder that holds a take"
    grep -qE "not empty" "$out/stderr.log" || fail "stderr does not say the folder is not empty"
    after=$(cd "$take" && find . -type f | LC_ALL=C sort | xargs sha256sum)
    [ "$before" = "$after" ] || fail "the first take changed: before:
$before
after:
$after"
    ;;
*)
    fail "unknown case $case"
    ;;
esac
echo "ok: $case refused"
