#!/bin/bash
# test_stream.sh ONETAKE OUT_DIR CASE
#
# Program out live (--stream, README "Streams", docs/take-folder.md): a live take of a test pattern with a time overlay
# (every frame differs), 320x180, streamed to real receivers on loopback (ports 19100-19199), each recording checked
# with `onetake verify --stream` and, independently of onetake, by ffmpeg's decode: every decoded frame of the
# recording is the master's frame of the same time (stream_tool.py framecheck).
#   udp_file          --stream udp:// to `ffmpeg -i udp://` and --stream FILE.ts: both verify, every frame matches
#   srt_listener      onetake listens, `ffmpeg -i srt://...?mode=caller` records: verifies, every frame matches
#   srt_caller        onetake calls a `gst-launch-1.0 srtsrc` listener recording the raw TS: verifies, its service
#                     name and provider carry the take id and genesis hash, every frame matches
#   receiver_killed   the SRT receiver is killed mid-take and started again: the take goes on (no tick held up), the
#                     master verifies UNCUT_WITH_DECLARED_ANOMALIES with the stream-drop, take.json counts the
#                     reconnect and the dropped GOPs, the second recording verifies with its gap listed as declared
#   receiver_stopped  the SRT receiver stops reading (SIGSTOP) for 3 s: the take goes on (no tick held up), whole GOPs
#                     are dropped and declared, onetake's memory stays bounded, the recording verifies
#   tamper            a .ts re-encoded from the master (same pictures, other bytes) and one with a GOP spliced from
#                     another take: both INVALID with the packet's frame; a recording of another take: INVALID
#   rtmp              nginx with libnginx-mod-rtmp (its own config, loopback port) records the published FLV:
#                     verifies, every frame matches (skipped, 77, when nginx or the module is missing)
#   refusals          a bad URL, an existing file, an FFV1 program (usage, 2); an SRT caller nobody listens to is
#                     refused before the roll (1, nothing left); with --stream-optional the take records anyway
set -euo pipefail
onetake=$1 out=$2 case=$3
here=$(dirname "$0")
tool="python3 $here/stream_tool.py"
# shellcheck source=lib.sh
. "$here/lib.sh"
need_exe "$onetake"
fresh_dir "$out"
new_station_key "$out"
W=320 H=180
src="pipe:videotestsrc is-live=true pattern=ball ! timeoverlay ! video/x-raw,width=$W,height=$H,framerate=30/1"
# --latency 300: a loaded machine (4 sessions on 2 cores) delays the test camera by up to ~250 ms. not_held_up: a
# stream that held up the take (the writer blocked on a dead or stopped receiver) makes its ticks seconds late; the
# machine's own load makes a tick a few tens of ms late at most.
small=(--headless -q --size ${W}x$H --fps 30/1 --gop 15 --latency 300 --key "$key")
take=$out/take
pids=()
cleanup() {
    local p
    for p in "${pids[@]}"; do
        kill -CONT "$p" 2>/dev/null || true
        kill "$p" 2>/dev/null || true
    done
    wait 2>/dev/null || true
}
trap cleanup EXIT

# verify DIR [ARGS]: onetake verify --json into $json, exit code in $rc.
verify() {
    json=$out/verify-$((++nverify)).json
    rc=0
    "$onetake" verify "$@" --json --quiet --pubkey "$key.pub" >"$json" 2>"$out/verify.err" || rc=$?
}
nverify=0
tj() { $tool json "$1" "$take/take.json"; }
# record_bg ARGS: onetake record in the background ($rec), its log in record.log.
record_bg() {
    "$onetake" record "${small[@]}" --cam "a=$src" --out "$take" "$@" >"$out/record.log" 2>&1 &
    rec=$!
    pids+=($rec)
}
wait_rec() {
    rc=0
    wait "$rec" || rc=$?
    cat "$out/record.log"
    expect_exit 0 "$rc" "record"
}
# rolling: the take log has its first checkpoint.
wait_roll() {
    local i
    for i in $(seq 150); do
        [ -s "$take/checkpoints.txt" ] && return 0
        sleep 0.1
    done
    fail "the take did not roll"
}
# srt_rx PORT FILE: a raw-TS SRT listener (gst-launch-1.0 srtsrc, the bytes as they arrive) in the background ($rx).
srt_rx() {
    gst-launch-1.0 -q srtsrc uri="srt://127.0.0.1:$1?mode=listener" latency=40 ! filesink buffer-mode=unbuffered location="$2" \
        >>"$out/rx.log" 2>&1 &
    rx=$!
    pids+=($rx)
}
not_held_up() {
    local late
    late=$(tj "d['live']['max_late_ms']")
    [ "$late" -lt 200 ] || fail "a tick was $late ms late ($(tj "d['live']['late_ticks']") late ticks): the stream held up the take"
    echo "not held up: $(tj "d['live']['late_ticks']") late ticks, at most $late ms late"
}
# stop_rx: the receiver ends (srtsrc may have ended by itself at the sender's close).
stop_rx() {
    kill "$rx" 2>/dev/null || true
    wait "$rx" 2>/dev/null || true
}
# frames_ok REC: every decoded frame of REC is the master's (prints FIRST LAST COUNT into $fc).
frames_ok() {
    fc=$($tool framecheck "$take/program.mkv" "$1" 30/1) || fail "$1: decoded frames differ from the master's"
    echo "framecheck $1: $fc"
}
# take_ok [VERDICT]: the verify run just made passed: VERDICT, or either passing verdict (a live camera's own
# declared drops make a take UNCUT_WITH_DECLARED_ANOMALIES).
take_ok() {
    if [ -n "${1:-}" ]; then
        expect_verify 0 "$1"
    elif [ "$(json_str "$json" verdict)" = UNCUT ]; then
        expect_verify 0 UNCUT
    else
        expect_verify 0 UNCUT_WITH_DECLARED_ANOMALIES
    fi
}
# stream_ok REC [VERDICT]: verify --stream passes (take_ok) and lists no undeclared gap.
stream_ok() {
    verify "$take" --stream "$1"
    take_ok "${2:-}"
    if grep -q '[0-9]-[0-9]* undeclared"' "$json"; then
        fail "$1: a gap the take did not declare: $(grep -o '"[0-9]*-[0-9]* undeclared"' "$json")"
    fi
}
need_gst() {
    local el
    for el in "$@"; do
        gst-inspect-1.0 --exists "$el" || fail "GStreamer element $el is missing (gstreamer1.0-plugins-bad)"
    done
}

case $case in
udp_file)
    port=19100
    # ffmpeg's own UDP receiver, started first; it ends 3 s after the last datagram.
    ffmpeg -v error -y -i "udp://127.0.0.1:$port?timeout=3000000&fifo_size=100000" -map 0 -c copy -f mpegts \
        "$out/udp.ts" >"$out/rx.log" 2>&1 &
    rx=$!
    pids+=($rx)
    sleep 1
    record_bg --duration 4 --stream "udp://127.0.0.1:$port" --stream "$out/file.ts"
    wait_rec
    wait "$rx" || fail "the ffmpeg UDP receiver failed: $(cat "$out/rx.log")"
    verify "$take"
    take_ok
    stream_ok "$out/file.ts"
    grep -q '"0-' "$json" && fail "the file stream has a gap"
    frames_ok "$out/file.ts"
    [ "$fc" = "0 119 120" ] || fail "file.ts decodes to frames $fc, expected 0 119 120 (all 120)"
    stream_ok "$out/udp.ts"
    frames_ok "$out/udp.ts"
    [ "$(echo "$fc" | cut -d' ' -f3)" -ge 110 ] || fail "udp.ts decodes to only $fc"
    [ "$(tj "d['streams'][0]['packets']")" = 120 ] || fail "take.json: stream 1 packets $(tj "d['streams'][0]")"
    [ "$(tj "d['streams'][1]['gops_dropped']")" = 0 ] || fail "take.json: the file stream dropped GOPs"
    [ "$(tj "d['streams'][1]['bytes']")" = "$(stat -c %s "$out/file.ts")" ] || fail "take.json: file bytes"
    grep -q "stream 1: udp://127.0.0.1:$port (mpegts): 120 packets" "$out/record.log" || fail "summary line"
    ;;
srt_listener)
    port=19102
    record_bg --duration 4 --stream "srt://127.0.0.1:$port?mode=listener"
    # The caller retries until onetake listens (it waits up to --stream-wait before the roll).
    for i in $(seq 40); do
        ffmpeg -v error -y -i "srt://127.0.0.1:$port?mode=caller" -map 0 -c copy -f mpegts "$out/srt.ts" \
            >"$out/rx.log" 2>&1 && break
        sleep 0.25
    done
    wait_rec
    stream_ok "$out/srt.ts"
    frames_ok "$out/srt.ts"
    [ "$(echo "$fc" | cut -d' ' -f3)" -ge 110 ] || fail "srt.ts decodes to only $fc"
    ;;
srt_caller)
    need_gst srtsrc
    port=19104
    srt_rx $port "$out/srt.ts"
    sleep 0.5
    record_bg --duration 4 --stream "srt://127.0.0.1:$port?mode=caller&latency=40000"
    wait_rec
    sleep 0.5
    stop_rx
    id=$(tj "d['take_id']")
    gen=$(grep -o '"genesis" *: *"[0-9a-f]*"' "$take/take.log" | head -1 | grep -o '[0-9a-f]\{64\}' || true)
    ffprobe -v error -show_programs "$out/srt.ts" >"$out/programs.txt"
    grep -q "service_name=onetake take $id" "$out/programs.txt" || fail "no take id in the service name"
    grep -q "service_provider=onetake genesis [0-9a-f]\{64\}" "$out/programs.txt" || fail "no genesis in the provider"
    stream_ok "$out/srt.ts"
    grep -q 'does not say which take' "$json" && fail "verify did not read the take id from the raw TS"
    frames_ok "$out/srt.ts"
    [ "$fc" = "0 119 120" ] || fail "srt.ts decodes to frames $fc, expected all 120"
    : "$gen"
    ;;
receiver_killed)
    need_gst srtsrc
    port=19106
    srt_rx $port "$out/rx1.ts"
    sleep 0.5
    record_bg --duration 12 --stream "srt://127.0.0.1:$port?mode=caller&latency=40000"
    wait_roll
    sleep 2
    kill -KILL "$rx"
    wait "$rx" 2>/dev/null || true
    echo "receiver killed"
    sleep 1
    srt_rx $port "$out/rx2.ts"
    echo "receiver started again"
    wait_rec
    sleep 0.5
    stop_rx
    not_held_up
    [ "$(tj "d['streams'][0]['reconnects']")" -ge 1 ] || fail "take.json: no reconnect: $(tj "d['streams'][0]")"
    [ "$(tj "d['streams'][0]['gops_dropped']")" -ge 1 ] || fail "take.json: no GOP dropped"
    verify "$take"
    expect_verify 0 UNCUT_WITH_DECLARED_ANOMALIES
    grep -q '"stream-drop (' "$json" || fail "verify does not list the stream-drop"
    # The second recording starts at a key frame after the reconnect, its frames before listed as a gap (those
    # sent to the first receiver, and those SRT took before it saw the loss, are not declared: they were sent).
    frames_ok "$out/rx2.ts"
    first=$(echo "$fc" | cut -d' ' -f1)
    [ "$first" -gt 60 ] && [ $((first % 15)) = 0 ] || fail "rx2.ts starts at frame $first, not at a key frame"
    verify "$take" --stream "$out/rx2.ts"
    expect_verify 0 UNCUT_WITH_DECLARED_ANOMALIES
    grep -q "\"0-$((first - 1))\( undeclared\)\?\"" "$json" || fail "rx2.ts: frames 0-$((first - 1)) not listed as a gap"
    # The first recording: the take's frames up to the kill, the rest listed.
    frames_ok "$out/rx1.ts"
    last=$(echo "$fc" | cut -d' ' -f2)
    verify "$take" --stream "$out/rx1.ts"
    expect_verify 0 UNCUT_WITH_DECLARED_ANOMALIES
    grep -q "\"$((last + 1))-[0-9]*\( undeclared\)\?\"" "$json" || fail "rx1.ts: frames from $((last + 1)) not listed"
    # Every frame the take declared dropped is in neither recording.
    dropped=$(tj "d['streams'][0]['frames_dropped']")
    [ "$dropped" -ge 1 ] && [ "$dropped" -le $((first - last - 1)) ] ||
        fail "$dropped frames declared dropped, but only $((first - last - 1)) are in neither recording"
    ;;
receiver_stopped)
    need_gst srtsrc
    port=19108
    srt_rx $port "$out/rx.ts"
    sleep 0.5
    # No SRT too-late drop and a small send buffer: a receiver that stops reading blocks the sender (the
    # stream's thread), so the stream's own queue fills and drops GOPs.
    record_bg --duration 10 --stream-queue 1000 \
        --stream "srt://127.0.0.1:$port?mode=caller&latency=40000&tlpktdrop=0&sndbuf=40000&linger=0"
    wait_roll
    sleep 2
    rss0=$($tool rss "$rec")
    kill -STOP "$rx"
    echo "receiver stopped"
    max=$rss0
    for _ in $(seq 12); do
        sleep 0.25
        [ -n "${STREAM_TOP:-}" ] && top -H -b -n1 -p "$rec" | head -20 >>"$out/top.txt"
        r=$($tool rss "$rec")
        [ "$r" -gt "$max" ] && max=$r
    done
    kill -CONT "$rx"
    echo "receiver goes on; onetake RSS $rss0 kB before, at most $max kB while it was stopped"
    wait_rec
    sleep 0.5
    stop_rx
    # Under AddressSanitizer freed memory sits in its quarantine: RSS says nothing there (the queue's bound is
    # still checked by the GOPs dropped and declared).
    if [ -z "${ASAN_OPTIONS:-}" ]; then
        [ $((max - rss0)) -lt 20000 ] || fail "onetake grew by $((max - rss0)) kB while the receiver was stopped"
    fi
    not_held_up
    [ "$(tj "d['streams'][0]['gops_dropped']")" -ge 1 ] || fail "take.json: no GOP dropped: $(tj "d['streams'][0]")"
    verify "$take"
    expect_verify 0 UNCUT_WITH_DECLARED_ANOMALIES
    grep -q '"stream-drop (' "$json" || fail "verify does not list the stream-drop"
    verify "$take" --stream "$out/rx.ts"
    expect_verify 0 UNCUT_WITH_DECLARED_ANOMALIES
    grep -q '"[0-9]*-[0-9]*"' "$json" || fail "rx.ts: no gap listed"
    frames_ok "$out/rx.ts"
    ;;
tamper)
    record_bg --duration 3 --stream "$out/a.ts"
    wait_rec
    verify "$take" --stream "$out/a.ts"
    take_ok
    # The same pictures, other bytes.
    ffmpeg -v error -y -i "$take/program.mkv" -c:v libx264 -preset veryfast -g 15 "$out/reencoded.ts"
    verify "$take" --stream "$out/reencoded.ts"
    case=reencoded expect_verify 1 INVALID stream-packet
    # Another take of the same source (other pictures: the overlay's time), its second GOP spliced in.
    src2="pipe:videotestsrc is-live=true pattern=smpte ! timeoverlay ! video/x-raw,width=$W,height=$H,framerate=30/1"
    "$onetake" record "${small[@]}" --cam "a=$src2" --out "$out/other" --duration 3 --stream "$out/b.ts" \
        >"$out/other.log" 2>&1 || fail "the other take failed: $(cat "$out/other.log")"
    $tool splice "$out/a.ts" "$out/b.ts" "$out/spliced.ts" 15 29
    verify "$take" --stream "$out/spliced.ts"
    case=spliced expect_verify 1 INVALID stream-packet
    f=$(json_int "$json" frame)
    [ "$f" -ge 15 ] && [ "$f" -le 45 ] || fail "spliced: INVALID at frame $f, expected the spliced GOP (15-45)"
    # A recording of another take says so.
    verify "$take" --stream "$out/b.ts"
    case=other_take expect_verify 1 INVALID stream-take-id
    ;;
rtmp)
    mod=/usr/lib/nginx/modules/ngx_rtmp_module.so
    if ! command -v nginx >/dev/null || [ ! -f $mod ]; then
        echo "SKIP: nginx with libnginx-mod-rtmp is not installed ($mod)"
        exit 77
    fi
    port=19110
    mkdir -p "$out/nginx/rec" "$out/nginx/logs"
    chmod 777 "$out/nginx/rec"
    cat >"$out/nginx/nginx.conf" <<EOF
load_module $mod;
error_log $out/nginx/logs/error.log info;
pid $out/nginx/nginx.pid;
worker_processes 1;
events { worker_connections 64; }
rtmp {
    server {
        listen 127.0.0.1:$port;
        application live {
            live on;
            record all;
            record_path $out/nginx/rec;
        }
    }
}
EOF
    nginx -p "$out/nginx" -c "$out/nginx/nginx.conf" -g 'daemon off;' >"$out/nginx/stdout.log" 2>&1 &
    pids+=($!)
    sleep 0.5
    record_bg --duration 4 --stream "rtmp://127.0.0.1:$port/live/take"
    wait_rec
    sleep 1
    flv=$out/nginx/rec/take.flv
    [ -s "$flv" ] || fail "nginx recorded nothing: $(cat "$out/nginx/logs/error.log")"
    grep -q 'rtmp://127.0.0.1:19110/live/\*\*\*' "$out/record.log" || fail "the stream key is shown in the summary"
    stream_ok "$flv"
    frames_ok "$flv"
    [ "$(echo "$fc" | cut -d' ' -f3)" -ge 110 ] || fail "take.flv decodes to only $fc"
    ;;
refusals)
    rc=0
    "$onetake" record "${small[@]}" --cam "a=$src" --out "$take" --duration 1 --stream "http://x/y" \
        >"$out/r1.log" 2>&1 || rc=$?
    expect_exit 2 $rc "an http:// stream"
    grep -q 'unknown scheme' "$out/r1.log" || fail "no reason for http://"
    touch "$out/exists.ts"
    rc=0
    "$onetake" record "${small[@]}" --cam "a=$src" --out "$take" --duration 1 --stream "$out/exists.ts" \
        >"$out/r2.log" 2>&1 || rc=$?
    expect_exit 2 $rc "an existing file"
    grep -q 'never overwrites' "$out/r2.log" || fail "no reason for an existing file"
    rc=0
    "$onetake" record "${small[@]}" --cam "a=$src" --out "$take" --duration 1 --codec ffv1 --stream "$out/f.ts" \
        >"$out/r3.log" 2>&1 || rc=$?
    expect_exit 2 $rc "an FFV1 program"
    grep -q 'MPEG-TS and FLV do not carry FFV1' "$out/r3.log" || fail "no reason for an FFV1 program"
    [ ! -e "$take" ] || fail "a refused FFV1 stream left a take folder"
    rc=0
    "$onetake" record "${small[@]}" --cam "a=$src" --out "$take" --duration 1 --stream-wait 1500 \
        --stream "srt://127.0.0.1:19112?mode=caller" >"$out/r4.log" 2>&1 || rc=$?
    cat "$out/r4.log"
    expect_exit 1 $rc "an SRT caller nobody listens to"
    grep -q 'could not be opened before the roll' "$out/r4.log" || fail "no reason for the refused stream"
    no_take_left "$take"
    "$onetake" record "${small[@]}" --cam "a=$src" --out "$take" --duration 2 --stream-optional --stream-wait 500 \
        --stream "srt://127.0.0.1:19112?mode=caller" >"$out/r5.log" 2>&1 || fail "--stream-optional: $(cat "$out/r5.log")"
    verify "$take"
    expect_verify 0 UNCUT_WITH_DECLARED_ANOMALIES
    [ "$(tj "d['streams'][0]['frames_dropped']")" = 60 ] || fail "take.json: $(tj "d['streams'][0]")"
    ;;
*)
    fail "unknown case $case"
    ;;
esac
echo "ok: stream $case"
