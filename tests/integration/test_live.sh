#!/bin/bash
# test_live.sh ONETAKE SAMPLES_DIR CUES_DIR OUT_DIR CASE
#
# Live cameras, frame sync, lost cameras, program audio and faults (README "Live sources", docs/proof.md). Every case
# records a real take (small: 320x180, a few seconds), then checks it with `onetake verify --json`, the take log
# (live_tool.py) and the decoded master (ffmpeg):
#   srt_lost        two SRT senders on loopback (gst-launch-1.0); the one on program is killed mid-take and started
#                   again: the take goes on, its slate is on program (decoded and checked), the loss and the return
#                   are declared, verify passes listing them, and the camera's own pictures come back
#   rates           live sources at 25, 30000/1001 and 50 fps into a 30 fps program: repeats and drops are what
#                   the rates imply and every one is declared in the take log
#   audio_wide      program audio from camera wide (AAC) across the song's 14 cuts: continuous, exactly
#   audio_handheld  frames x 1600 samples, every click where the camera's own audio has it (within a frame)
#   afv             audio follows video: each camera's clicks while it is on program, silence declared elsewhere
#   audio_tamper    an audio block cut out of the master: INVALID (the file's bytes; at packet level, on --master,
#                   the audio track's missing packet)
#   disk_full       a take into a 4 MB tmpfs: it closes with a message that says so, verify says PARTIAL up to the
#                   last commit, checked against the packets in the file (skipped, exit 77, only when not root)
#   sigint          SIGINT mid-take (live source, live audio): a clean close, verify UNCUT for what was recorded
#   sigint_window   the same with the multiview window (private Xvfb) and its audio meter
#   sigkill_audio   SIGKILL mid-take with program audio: PARTIAL_AUTHENTIC up to the last commit (the audio packet
#                   Matroska's muxer still held at a commit is not claimed by it)
set -euo pipefail
onetake=$1 samples=$2 cues=$3 out=$4 case=$5
here=$(dirname "$0")
tool="python3 $here/live_tool.py"
# shellcheck source=lib.sh
. "$here/lib.sh"
need_exe "$onetake"
fresh_dir "$out"
export XDG_CONFIG_HOME=$out/config
key=$out/station.key
"$onetake" keygen --out "$key" >/dev/null || fail "keygen failed"
W=320 H=180
small=(--size ${W}x$H --fps 30/1 --key "$key")
pids=()
cleanup() {
    local p
    for p in "${pids[@]}"; do
        kill "$p" 2>/dev/null || true
    done
    wait 2>/dev/null || true
    if [ -n "${mounted:-}" ]; then
        umount -l "$mounted" 2>/dev/null || true
    fi
}
trap cleanup EXIT

# verify DIR: onetake verify --json into $json, exit code in $rc.
verify() {
    json=$out/verify.json
    rc=0
    "$onetake" verify "$@" --json --quiet --pubkey "$key.pub" >"$json" 2>"$out/verify.err" || rc=$?
}
verdict() { json_str "$json" verdict; }
# decode DIR: the master's frames as raw yuv420p in $out/program.yuv.
decode() {
    ffmpeg -v error -y -i "$1/program.mkv" -map 0:v -f rawvideo -pix_fmt yuv420p "$out/program.yuv"
}
# take_json DIR EXPR: a value of DIR/take.json (Python expression on d).
take_json() {
    python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1/take.json" "$2"
}

take=$out/take
case $case in
srt_lost)
    for el in x264enc mpegtsmux srtsink srtsrc tsdemux; do
        gst-inspect-1.0 --exists $el || fail "GStreamer element $el is missing (gstreamer1.0-plugins-bad/-ugly)"
    done
    port_a=$($tool free-port)
    port_b=$($tool free-port)
    [ "$port_a" != "$port_b" ] || port_b=$((port_a + 1))
    # send PORT PATTERN: a live SRT listener on loopback, like a camera's encoder.
    send() {
        gst-launch-1.0 -q videotestsrc is-live=true pattern="$2" ! video/x-raw,width=$W,height=$H,framerate=30/1 \
            ! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=15 ! mpegtsmux \
            ! srtsink uri="srt://127.0.0.1:$1?mode=listener" latency=20 >>"$out/sender-$1.log" 2>&1 &
        pids+=($!)
        sender=$!
    }
    send "$port_a" ball
    send "$port_b" smpte
    sender_b=$sender
    sleep 0.5
    printf '30 cut b\n' >"$out/actions.txt" # b on program from 1 s to the end
    timeout 60 "$onetake" record --headless "${small[@]}" --codec ffv1 --duration 9 --latency 150 \
        --cam "a=srt://127.0.0.1:$port_a?latency=20" --cam "b=srt://127.0.0.1:$port_b?latency=20" \
        --actions "$out/actions.txt" --out "$take" >"$out/record.log" 2>&1 &
    rec=$!
    pids+=($rec)
    for _ in $(seq 100); do # rolling: the take log has its first checkpoint
        [ -s "$take/checkpoints.txt" ] && break
        sleep 0.1
    done
    sleep 2.5
    kill "$sender_b"
    echo "sender b killed"
    sleep 2.5
    send "$port_b" smpte
    echo "sender b started again"
    rc=0
    wait "$rec" || rc=$?
    cat "$out/record.log"
    [ $rc -eq 0 ] || fail "record exited $rc: a lost camera must never stop the take"
    grep -q 'camera b lost at frame' "$out/record.log" || fail "the loss was not reported"
    grep -q 'camera b is back at frame' "$out/record.log" || fail "the return was not reported"
    verify "$take"
    cat "$json"
    [ $rc -eq 0 ] && [ "$(verdict)" = UNCUT_WITH_DECLARED_ANOMALIES ] || fail "verify: $(verdict) (exit $rc)"
    for k in 'camera-lost: camera b' 'camera-back: camera b' 'slate: camera b'; do
        grep -q "\"$k (" "$json" || fail "verify does not list \"$k\""
    done
    decode "$take"
    n=$($tool frames "$take" "$out/program.yuv" $W $H) || fail "the master is not what the take log says"
    [ "$n" -eq 270 ] || fail "$n program frames, expected 270"
    $tool slate "$take" "$out/program.yuv" $W $H b || fail "slate check"
    [ "$(take_json "$take" "d['cameras'][1]['live']['losses']")" -ge 1 ] || fail "take.json has no loss for b"
    [ "$(take_json "$take" "d['cameras'][1]['live']['restarts']")" -ge 1 ] || fail "take.json has no reconnect"
    echo "ok: live srt_lost"
    ;;
rates)
    src() { echo "pipe:videotestsrc is-live=true pattern=$1 ! video/x-raw,width=$W,height=$H,framerate=$2"; }
    "$onetake" record --headless "${small[@]}" --codec h264 --duration 6 --latency 300 \
        --cam "p25=$(src ball 25/1)" --cam "p2997=$(src smpte 30000/1001)" --cam "p50=$(src snow 50/1)" \
        --out "$take" >"$out/record.log" 2>&1 || { cat "$out/record.log"; fail "record failed"; }
    cat "$out/record.log"
    verify "$take"
    cat "$json"
    [ $rc -eq 0 ] || fail "verify exited $rc"
    declared=$($tool anomalies "$take")
    echo "declared: $declared"
    ticks=180
    # Expected over 180 ticks (the source's frame grid against the program's, t = capture time): 25 fps gives a
    # new frame at 5 ticks of 6, so 30 repeats; 29.97 fps one repeat every 1001 ticks, 0.18; 50 fps two frames
    # at 2 ticks of 3 and one at the third, so 300 - 180 = 120 frames dropped. Tolerance 2: the phase of the
    # source's grid at the first and at the last tick each move a count by at most one (capture times are the
    # sources' own, so arrival jitter does not count; --latency 300 keeps a loaded machine's scheduling out).
    check_count() { # CAM FIELD EXPECTED
        local got
        got=$(take_json "$take" "[c for c in d['cameras'] if c['name'] == '$1'][0]['$2']")
        echo "camera $1: $2 $got, expected $3 +- 2"
        [ "$got" -ge $(($3 - 2)) ] && [ "$got" -le $(($3 + 2)) ] || fail "camera $1 $2 $got, expected $3 +- 2"
        # Every one declared: the take log's compact records add up to the count.
        local decl
        decl=$(python3 -c 'import json, sys; print(json.loads(sys.argv[1]).get(sys.argv[2], 0))' "$declared" \
            "camera-${2%s} $1")
        [ "$decl" = "$got" ] || fail "camera $1: $got $2, but the take log declares $decl"
    }
    check_count p25 repeats $((ticks / 6))
    check_count p25 drops 0
    check_count p2997 repeats 0
    check_count p2997 drops 0
    check_count p50 repeats 0
    check_count p50 drops $((ticks * 50 / 30 - ticks))
    # The program (the first camera, 25 fps) repeats are declared frame by frame.
    pr=$(take_json "$take" "d['program_repeats']")
    decl=$(python3 -c 'import json, sys; print(json.loads(sys.argv[1]).get("repeat p25", 0))' "$declared")
    [ "$pr" = "$decl" ] || fail "$pr program repeats, $decl declared"
    for c in 0 1 2; do
        [ "$(take_json "$take" "d['cameras'][$c]['live']['overflow']")" = 0 ] || fail "camera $c overflowed"
    done
    echo "ok: live rates"
    ;;
stall)
    # The whole process stopped for 2 s mid-take (SIGSTOP: a machine that stalls), then continued: the take
    # catches up (its late ticks made at once, the frames it missed declared) and verifies as one uncut take.
    src="pipe:videotestsrc is-live=true pattern=smpte ! video/x-raw,width=$W,height=$H,framerate=30/1"
    "$onetake" record --headless "${small[@]}" --codec h264 --preset ultrafast --duration 8 --cam "a=$src" \
        --cam "b=$src" --out "$take" >"$out/record.log" 2>&1 &
    pid=$!
    pids+=("$pid")
    sleep 4
    kill -STOP "$pid"
    sleep 2
    kill -CONT "$pid"
    wait "$pid" || { cat "$out/record.log"; fail "record failed"; }
    cat "$out/record.log"
    [ "$(take_json "$take" "d['frames']")" = 240 ] || fail "not 240 frames"
    verify "$take"
    cat "$json"
    [ $rc -eq 0 ] || fail "verify exited $rc: a stall that was caught up is not a pause"
    [ "$(verdict)" = UNCUT_WITH_DECLARED_ANOMALIES ] || fail "verdict $(verdict)"
    echo "ok: live stall"
    ;;
startup)
    # Six live cameras started one after the other: the first ones fill their queues with frames from before the
    # roll, which the queue drops. Those are not the take's: no overflow is counted or declared.
    src="pipe:videotestsrc is-live=true pattern=smpte ! video/x-raw,width=$W,height=$H,framerate=30/1"
    cams=()
    for c in 0 1 2 3 4 5; do cams+=(--cam "c$c=$src"); done
    "$onetake" record --headless "${small[@]}" --codec h264 --preset ultrafast --duration 3 "${cams[@]}" \
        --out "$take" >"$out/record.log" 2>&1 || { cat "$out/record.log"; fail "record failed"; }
    for c in 0 1 2 3 4 5; do
        [ "$(take_json "$take" "d['cameras'][$c]['live']['overflow']")" = 0 ] || fail "camera c$c overflowed"
    done
    declared=$($tool anomalies "$take")
    case $declared in *overflow*) fail "overflow declared: $declared" ;; esac
    verify "$take"
    [ $rc -eq 0 ] || fail "verify exited $rc"
    echo "ok: live startup"
    ;;
audio_wide | audio_handheld | afv)
    need_samples "$samples"
    mapfile -t cams < <(cam_args "$samples")
    case $case in
    audio_wide) audio=(--audio wide) ;;
    audio_handheld) audio=(--audio handheld) ;;
    afv) audio=(--afv) ;;
    esac
    "$onetake" record --headless "${cams[@]}" "${small[@]}" --codec ffv1 --cues "$cues/song.cues" \
        --actions "$cues/song.actions" "${audio[@]}" --out "$take" >"$out/record.log" 2>&1 ||
        { cat "$out/record.log"; fail "record failed"; }
    cat "$out/record.log"
    verify "$take"
    cat "$json"
    [ $rc -eq 0 ] || fail "verify exited $rc"
    grep -q 'program audio track is continuous' "$json" || fail "verify did not check the audio track"
    frames=285
    ffmpeg -v error -y -i "$take/program.mkv" -map 0:a -f s16le -ac 1 "$out/program.pcm"
    samples_got=$(($(stat -c %s "$out/program.pcm") / 2))
    echo "program audio: $samples_got samples for $frames frames"
    [ "$samples_got" -eq $((frames * 1600)) ] || fail "$samples_got samples, expected $((frames * 1600)) exactly"
    [ "$(ffprobe -v error -select_streams a -show_entries stream=codec_name,sample_rate -of csv=p=0 \
        "$take/program.mkv")" = "flac,48000" ] || fail "the program audio is not 48 kHz FLAC"
    got=$($tool onsets "$out/program.pcm")
    # source_clicks FILE: click times (s) in the camera's own audio, decoded by ffmpeg independently, on the take clock
    # (take time 0 is the camera's first video frame), below the end of the take.
    source_clicks() {
        local f=$samples/$1 vstart astart
        # The first decoded frame's time (a stream's start_time may count an Opus pre-skip that the decoder drops).
        vstart=$(ffprobe -v error -select_streams v -read_intervals %+#1 -show_entries frame=pts_time -of csv=p=0 \
            "$f" | head -n1 | tr -d ,)
        astart=$(ffprobe -v error -select_streams a -read_intervals %+#1 -show_entries frame=pts_time -of csv=p=0 \
            "$f" | head -n1 | tr -d ,)
        ffmpeg -v error -y -i "$f" -map 0:a -f s16le -ac 1 -ar 48000 "$out/$1.pcm"
        $tool onsets "$out/$1.pcm" | python3 -c 'import sys
a, v, end = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]) / 30
t = [a + int(x) / 48000 - v for x in sys.stdin.read().strip().split(",") if x]
print(",".join("%.5f" % x for x in t if 0 <= x < end))' "$astart" "$vstart" "$frames"
    }
    secs() { python3 -c 'import sys; print(",".join("%.5f" % (int(x) / 48000) for x in sys.argv[1].split(",") if x))' "$1"; }
    case $case in
    audio_wide | audio_handheld)
        file=wide.mp4
        [ $case = audio_handheld ] && file=handheld.webm
        want=$(source_clicks $file)
        echo "source clicks: $want"
        echo "program clicks: $(secs "$got")"
        # Within one frame (1/30 s) of where the camera's own audio puts them.
        $tool match "$want" "$(secs "$got")" 0.0333 || fail "program audio out of sync with its camera"
        ;;
    afv)
        # Only wide and handheld have audio: a click of either is in the program while that camera is on it; the
        # rest of the take is silence, declared as audio gaps.
        want=$(python3 - "$take/cuts.jsonl" "$(source_clicks wide.mp4)" "$(source_clicks handheld.webm)" <<'EOF'
import json, sys
cuts = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
on = []  # (first frame, camera)
for c in cuts:
    if c.get('event', c.get('type')) != 'end' and 'camera' in c:
        on.append((c['frame'], c['camera']))
def cam_at(t):
    f, cam = int(t * 30), None
    for first, c in on:
        if first <= f:
            cam = c
    return cam
clicks = [(float(x), 'wide') for x in sys.argv[2].split(',') if x] + \
         [(float(x), 'handheld') for x in sys.argv[3].split(',') if x]
# A click whose 10 ms tick is cut by a cut is not counted either way.
keep = sorted(t for t, c in clicks if cam_at(t) == c and cam_at(t + 0.012) == c)
print(','.join('%.5f' % t for t in keep))
EOF
        )
        echo "expected clicks (camera on program): $want"
        echo "program clicks: $(secs "$got")"
        $tool match "$want" "$(secs "$got")" 0.0333 || fail "afv: the clicks are not the program camera's"
        grep -q '"audio-gap (' "$json" || fail "afv: the silence of cameras without audio is not declared"
        ;;
    esac
    echo "ok: $case"
    ;;
audio_tamper)
    "$onetake" record --headless "${small[@]}" --codec ffv1 --duration 3 --cam a=test:ball --audio-src test:ticks \
        --out "$take" >"$out/record.log" 2>&1 || { cat "$out/record.log"; fail "record failed"; }
    verify "$take"
    [ $rc -eq 0 ] && [ "$(verdict)" = UNCUT ] || { cat "$json"; fail "clean take: $(verdict) (exit $rc)"; }
    k=$($tool block-of-track "$take/program.mkv" 2 40) # audio block 40: 0.8 s in
    python3 "$here/proof_tool.py" mkv-drop "$take/program.mkv" "$out/cut.mkv" "$k"
    verify "$take" --master "$out/cut.mkv"
    cat "$json"
    [ $rc -eq 1 ] && [ "$(json_str "$json" check)" = frame-missing ] || fail "audio block removed: $(verdict)"
    grep -q '"file" : "'"$out"'/cut.mkv"' "$json" || fail "the failure does not name the tampered file"
    cp "$out/cut.mkv" "$take/program.mkv"
    verify "$take"
    cat "$json"
    [ $rc -eq 1 ] && [ "$(verdict)" = INVALID ] || fail "tampered master in the folder: $(verdict) (exit $rc)"
    echo "ok: audio_tamper"
    ;;
disk_full)
    mkdir -p "$out/disk"
    # Skipped only when not root (mounting needs it); as root (CI) a failed mount fails the test.
    if [ "$(id -u)" != 0 ]; then
        echo "SKIP: disk_full mounts a 4 MB tmpfs, which needs root (uid $(id -u)): run as root to test it"
        exit 77
    fi
    mount -t tmpfs -o size=4m tmpfs "$out/disk" 2>"$out/mount.err" ||
        fail "running as root but cannot mount a tmpfs: $(cat "$out/mount.err")"
    mounted=$out/disk
    take=$out/disk/take
    rc=0
    "$onetake" record --headless "${small[@]}" --codec ffv1 --duration 20 --cam a=test:snow --cam b=test:ball \
        --out "$take" >"$out/record.log" 2>&1 || rc=$?
    cat "$out/record.log"
    expect_exit 1 $rc "record on a full disk"
    grep -q 'the disk is full after' "$out/record.log" || fail "no message that the disk is full"
    grep -q 'onetake verify' "$out/record.log" || fail "the message does not say how to check the take"
    verify "$take"
    cat "$json"
    [ $rc -eq 3 ] && [ "$(verdict)" = PARTIAL_AUTHENTIC ] || fail "verify: $(verdict) exit $rc, expected PARTIAL 3"
    end=$(json_int "$json" end_frame)
    # Against what was written: the end is the last complete checkpoint's media line (proof_tool.py, read from
    # checkpoints.txt), and the program.mkv prefix on the full disk holds at least that many video packets
    # (ffprobe), at most one commit interval (1 s, 30 frames) more.
    want=$(python3 "$here/proof_tool.py" last-media "$take")
    [ "$end" = "$want" ] || fail "PARTIAL ends at frame $end, the last checkpoint says $want"
    written=$(ffprobe -v error -select_streams v:0 -count_packets -show_entries stream=nb_read_packets \
        -of csv=p=0 "$take/program.mkv" | tr -d '[:space:],')
    [ "$end" -gt 0 ] && [ "$written" -ge "$end" ] && [ "$written" -le $((end + 30)) ] ||
        fail "PARTIAL ends at frame $end but the file holds $written video packets"
    echo "ok: disk_full: PARTIAL_AUTHENTIC up to frame $end"
    ;;
sigint | sigint_window)
    live_cam="pipe:videotestsrc is-live=true pattern=ball ! video/x-raw,width=$W,height=$H,framerate=30/1"
    opts=(--cam "a=$live_cam" --cam b=test:smpte --audio-src test:sine --duration 60)
    if [ $case = sigint_window ]; then
        # shellcheck source=ui_lib.sh
        . "$here/ui_lib.sh"
        start_xvfb "$out"
        opts+=(--screenshot "$out/shot.png" --screenshot-at 40)
    else
        opts+=(--headless)
    fi
    "$onetake" record "${small[@]}" "${opts[@]}" --out "$take" >"$out/record.log" 2>&1 &
    rec=$!
    pids+=($rec)
    for _ in $(seq 100); do
        [ -s "$take/checkpoints.txt" ] && break
        sleep 0.1
    done
    sleep 2.5
    kill -INT "$rec"
    rc=0
    wait "$rec" || rc=$?
    cat "$out/record.log"
    [ $rc -eq 0 ] || fail "record exited $rc after SIGINT, expected a clean close (0)"
    grep -q 'interrupted: ending the take cleanly' "$out/record.log" || fail "no message about the interruption"
    [ "$(take_json "$take" "d['status']")" = closed ] || fail "take.json is not closed"
    [ "$(take_json "$take" "d['end_reason']")" = stop ] || fail "end reason is not stop"
    verify "$take"
    cat "$json"
    [ $rc -eq 0 ] || fail "verify exited $rc after SIGINT, expected 0"
    case $(verdict) in UNCUT | UNCUT_WITH_DECLARED_ANOMALIES) ;; *) fail "verdict $(verdict)" ;; esac
    frames=$(json_int "$json" end_frame)
    [ "$frames" -ge 60 ] || fail "only $frames frames"
    [ "$(take_json "$take" "d['audio']['samples']")" -eq $((frames * 1600)) ] || fail "audio length"
    if [ $case = sigint_window ]; then
        [ -s "$out/shot.png" ] || fail "no screenshot"
        [ "$(json_field "$out/shot.png.json" "d['meter'][2]")" -gt 0 ] ||
            fail "no audio meter in the multiview"
    fi
    echo "ok: $case: $frames frames, UNCUT"
    ;;
sigkill_audio)
    live_cam="pipe:videotestsrc is-live=true pattern=ball ! video/x-raw,width=$W,height=$H,framerate=30/1"
    "$onetake" record --headless "${small[@]}" --cam "a=$live_cam" --audio-src test:ticks --duration 60 \
        --out "$take" >"$out/record.log" 2>&1 &
    rec=$!
    pids+=($rec)
    for _ in $(seq 100); do
        [ "$(grep -c '^onetake.take/' "$take/checkpoints.txt" 2>/dev/null || echo 0)" -ge 3 ] && break
        sleep 0.1
    done
    sleep 0.4 # between two commits
    kill -KILL "$rec"
    rc=0
    wait "$rec" 2>/dev/null || rc=$?
    expect_exit 137 $rc "the record killed with SIGKILL"
    verify "$take"
    cat "$json"
    [ $rc -eq 3 ] && [ "$(verdict)" = PARTIAL_AUTHENTIC ] || fail "after SIGKILL: $(verdict) (exit $rc)"
    [ "$(json_int "$json" end_frame)" -ge 60 ] || fail "only $(json_int "$json" end_frame) frames attested"
    grep -q 'program audio track is continuous' "$json" || fail "the audio's attested part was not checked"
    echo "ok: sigkill_audio: PARTIAL_AUTHENTIC up to frame $(json_int "$json" end_frame)"
    ;;
*)
    fail "unknown case $case"
    ;;
esac
