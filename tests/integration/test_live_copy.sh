#!/bin/bash
# test_live_copy.sh ONETAKE OUT_DIR CASE
#
# Live copy ISOs (--iso-codec copy on live cameras: README "ISOs", docs/take-folder.md "iso/"). Real senders on
# loopback (gst-launch-1.0, ports 19230-19249), each writing its own MPEG-TS to a file through a tee: that file is
# the oracle of the packets, ffmpeg the oracle of the frames.
#   copy     two SRT senders (H.264; H.265 when x265enc is there, else H.264) and one UDP MPEG-TS sender (H.264);
#            the SRT H.264 sender is killed mid-take while it is off program and started again. Every ISO holds
#            exactly a run of its sender's packets (the restarted one: a run of each of its two files), ffprobe
#            decodes every packet, each program frame (FFV1) is its camera's ISO frame at that tick on the take
#            clock (pts + start_ms), the restart is declared (verify: UNCUT_WITH_DECLARED_ANOMALIES, exit 0, with
#            iso-restart), and replay from the ISOs re-makes the program: same pictures, same FFV1 packets
#   refuse   --iso-codec copy with a raw camera (test:, pipe: videotestsrc): exit 2 before the roll, a message
#            naming the camera and what to use instead, nothing left
#   auto     --iso-codec auto: copy for live compressed cameras; ffv1 for every ISO when a camera is raw
set -euo pipefail
onetake=$1 out=$2 case=$3
here=$(dirname "$0")
tool="python3 $here/live_copy_tool.py"
# shellcheck source=lib.sh
. "$here/lib.sh"
need_exe "$onetake"
fresh_dir "$out"
new_station_key "$out"
W=320 H=180
small=(--size ${W}x$H --fps 30/1 --key "$key" --headless)
pids=()
cleanup() {
    local p
    for p in "${pids[@]}"; do
        kill "$p" 2>/dev/null || true
    done
    wait 2>/dev/null || true
}
trap cleanup EXIT
for el in x264enc mpegtsmux srtsink srtsrc tsdemux h264parse udpsink; do
    gst-inspect-1.0 --exists $el || { echo "SKIP: GStreamer element $el is missing"; exit 77; }
done
enc_h264="x264enc tune=zerolatency speed-preset=ultrafast key-int-max=15"
enc_h265="x265enc tune=zerolatency speed-preset=ultrafast key-int-max=15 ! h265parse config-interval=-1 ! \
video/x-h265,stream-format=byte-stream,alignment=au"
# send NAME SINK PATTERN ENCODER: a live camera's encoder on loopback; its MPEG-TS also goes to $out/NAME.ts
# (NAME-2.ts, ... when started again). Its pid in $sender.
send() {
    local ts=$out/$1.ts n=2
    while [ -e "$ts" ]; do ts=$out/$1-$n.ts n=$((n + 1)); done
    gst-launch-1.0 -q -e videotestsrc is-live=true pattern="$3" ! video/x-raw,format=I420,width=$W,height=$H,framerate=30/1 \
        ! $4 ! mpegtsmux ! tee name=t ! queue ! $2 t. ! queue ! filesink location="$ts" >>"$out/sender-$1.log" 2>&1 &
    sender=$!
    pids+=($sender)
}
srt_sink() { echo "srtsink uri=srt://127.0.0.1:$1?mode=listener latency=20 wait-for-connection=false"; }
take=$out/take

case $case in
copy)
    enc_b=$enc_h264 codec_b=h264
    if gst-inspect-1.0 --exists x265enc && gst-inspect-1.0 --exists h265parse; then
        enc_b=$enc_h265 codec_b=hevc
    else
        echo "note: no x265enc (gstreamer1.0-plugins-bad): camera b sends H.264 too"
    fi
    send a "$(srt_sink 19230)" ball "$enc_h264"
    sender_a=$sender
    send b "$(srt_sink 19231)" smpte "$enc_b"
    send c "udpsink host=127.0.0.1 port=19232" pinwheel "$enc_h264"
    sleep 0.5
    # a is off program from frame 30 to 150: it is killed and back in between.
    printf '00:00:00:00 cut a\n00:00:01:00 cut b\n00:00:02:00 cut c\n00:00:05:00 cut a\n' >"$out/cues.txt"
    timeout 60 "$onetake" record "${small[@]}" --codec ffv1 --duration 6 --iso --iso-codec copy \
        --cam "a=srt://127.0.0.1:19230?mode=caller&latency=20" --cam "b=srt://127.0.0.1:19231?mode=caller&latency=20" \
        --cam "c=udp://127.0.0.1:19232" --cues "$out/cues.txt" --out "$take" >"$out/record.log" 2>&1 &
    rec=$!
    pids+=($rec)
    for _ in $(seq 150); do # rolling: the take log has its first checkpoint
        [ -s "$take/checkpoints.txt" ] && break
        sleep 0.1
    done
    sleep 1.2
    kill -INT "$sender_a" # -e: its file is a whole MPEG-TS
    wait "$sender_a" || true
    echo "sender a killed"
    sleep 1
    send a "$(srt_sink 19230)" ball "$enc_h264"
    echo "sender a started again"
    rc=0
    wait "$rec" || rc=$?
    cat "$out/record.log"
    expect_exit 0 $rc "record with live copy ISOs"
    for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    pids=()
    grep -q 'camera a lost at frame' "$out/record.log" || fail "the loss of camera a was not reported"
    [ -s "$out/a-2.ts" ] || fail "the restarted sender wrote nothing"
    [ "$(json_str "$take/take.json" iso_codec)" = copy ] || fail "take.json: iso_codec is not copy"
    for cam in a b c; do
        n=$($tool frames "$take/iso/$cam.mkv") || fail "ISO $cam does not decode"
        echo "ok: ISO $cam: ffprobe decodes its $n packets into $n frames"
    done
    [ "$(ffprobe -v error -show_entries stream=codec_name -of csv=p=0 "$take/iso/b.mkv")" = "$codec_b" ] ||
        fail "ISO b is not $codec_b"
    $tool packets "$take/iso/a.mkv" "$out/a.ts" "$out/a-2.ts"
    $tool packets "$take/iso/b.mkv" "$out/b.ts"
    $tool packets "$take/iso/c.mkv" "$out/c.ts"
    $tool clock "$take" "$out/cues.txt" 30 1 $W $H
    restarts=$(python3 -c 'import json,sys; print([i for i in json.load(open(sys.argv[1]))["iso"] if i["camera"] == "a"][0]["restarts"])' "$take/take.json")
    [ "$restarts" -ge 1 ] || fail "take.json: ISO a has no restart"
    json=$out/verify.json
    rc=0
    "$onetake" verify "$take" --json --quiet --pubkey "$key.pub" >"$json" 2>"$out/verify.err" || rc=$?
    cat "$json"
    expect_verify 0 UNCUT_WITH_DECLARED_ANOMALIES
    grep -q '"iso-restart: camera a (' "$json" || fail "verify does not list the ISO's restart (iso-restart: camera a)"
    # Replay from the ISOs: the same program, picture for picture and FFV1 packet for packet.
    rc=0
    "$onetake" replay "$take" --out "$out/replay" >"$out/replay.log" 2>&1 || rc=$?
    cat "$out/replay.log"
    expect_exit 0 $rc "replay from live copy ISOs"
    for f in take replay; do
        ffmpeg -v error -i "$out/$f/program.mkv" -map 0:v -f framemd5 - | grep -v '^#' | awk -F, '{print $6}' \
            >"$out/$f.frames"
        ffmpeg -v error -i "$out/$f/program.mkv" -map 0:v -c copy -f framemd5 - | grep -v '^#' | awk -F, '{print $6}' \
            >"$out/$f.packets"
    done
    [ "$(wc -l <"$out/take.frames")" -eq 180 ] || fail "the take has $(wc -l <"$out/take.frames") frames, not 180"
    cmp "$out/take.frames" "$out/replay.frames" || fail "the replay's pictures are not the take's"
    cmp "$out/take.packets" "$out/replay.packets" || fail "the replay's FFV1 packets are not the take's"
    echo "ok: replay from the live copy ISOs: 180 frames, the take's pictures and packets"
    echo "ok: live_copy copy"
    ;;
refuse)
    for src in test:ball "pipe:videotestsrc is-live=true pattern=ball"; do
        rm -rf "$take"
        rc=0
        "$onetake" record "${small[@]}" --duration 1 --iso --iso-codec copy --cam "raw=$src" --out "$take" \
            >"$out/record.log" 2>&1 || rc=$?
        cat "$out/record.log"
        expect_exit 2 $rc "--iso-codec copy with a raw camera ($src)"
        grep -q 'camera "raw" (.*) makes raw frames' "$out/record.log" || fail "the refusal does not name the camera"
        grep -q -- '--iso-codec ffv1' "$out/record.log" || fail "the refusal does not say what to use instead"
        no_take_left "$take"
    done
    echo "ok: live_copy refuse"
    ;;
auto)
    send a "$(srt_sink 19235)" ball "$enc_h264"
    sleep 0.5
    rc=0
    timeout 60 "$onetake" record "${small[@]}" --duration 2 --iso --iso-codec auto \
        --cam "a=srt://127.0.0.1:19235?mode=caller&latency=20" --out "$take" >"$out/record.log" 2>&1 || rc=$?
    cat "$out/record.log"
    expect_exit 0 $rc "--iso-codec auto, a live H.264 camera"
    [ "$(json_str "$take/take.json" iso_codec)" = copy ] || fail "auto did not copy the live H.264 camera"
    rc=0
    timeout 60 "$onetake" record "${small[@]}" --duration 2 --iso --iso-codec auto \
        --cam "a=srt://127.0.0.1:19235?mode=caller&latency=20" --cam "t=test:smpte" --out "$take-2" \
        >"$out/record-2.log" 2>&1 || rc=$?
    cat "$out/record-2.log"
    expect_exit 0 $rc "--iso-codec auto, a live camera and a test pattern"
    [ "$(json_str "$take-2/take.json" iso_codec)" = ffv1 ] || fail "auto with a raw camera did not fall back to ffv1"
    [ "$(ffprobe -v error -show_entries stream=codec_name -of csv=p=0 "$take-2/iso/a.mkv")" = ffv1 ] ||
        fail "ISO a is not ffv1"
    kill -INT "$sender" # -e: its file ends cleanly
    wait "$sender" || true
    $tool packets "$take/iso/a.mkv" "$out/a.ts"
    echo "ok: live_copy auto"
    ;;
*)
    fail "unknown case $case"
    ;;
esac
