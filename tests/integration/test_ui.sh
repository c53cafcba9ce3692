#!/bin/bash
# test_ui.sh ONETAKE CHECKER MVCHECKER LAYOUT SAMPLES_DIR CUES_DIR OUT_DIR CASE
#
# The director's multiview, on the sample clips, in a private Xvfb (SDL's software renderer), driven by
# its own input hook (--ui-script: keys, clicks, stalls and closes pushed as SDL events at program frames).
#   screenshot  --screenshot of the sample take at frame 92: every tile and both panes show their camera
#               at that time (ot-check-multiview against frames ffmpeg extracts from the clips), a red ring
#               around program and its tile, green around preview and its tile, a camera that ended shows
#               NO SIGNAL, the clock holds text; with the window, file sources are paced to real time
#   program_master  the program camera ends: the program pane shows the master's held last frame (checked
#               against the master's frame of that tick, decoded by ffmpeg), not NO SIGNAL
#   program_slate  a live (SRT) camera on program is lost: the pane shows the master's slate
#   keys        keys, clicks, right-click, P+number, a click on the preview, Space (go), a stray Esc, Esc
#               Esc: every command lands on the frame the UI logged (the next tick), is in cuts.jsonl with
#               its origin (manual, go, stop), and the FFV1 program is byte-exact against the cue list plus
#               those cuts
#   stall       the window frozen twice for 500 ms: the program goes on meanwhile, no repeated or dropped
#               program frame (take.json counters equal a headless take's), the program byte-exact
#   end_close   closing the window asks; a second close ends the take at the next frame
#   esc_cue     Esc Esc on a frame with a timed cue: no cut logged on a frame not in the master
#   hold_esc    Esc held for a second ends the take
#   cancel      Esc Esc during a --countdown cancels the take: nothing recorded, nothing left behind
#   countdown   --countdown and --roll-at delay the roll (headless too); bad values are refused before
#               anything is touched
#   no_display  no $DISPLAY: the take is recorded headless, with a message
set -euo pipefail
onetake=$1 checker=$2 mvcheck=$3 layout=$4 samples=$5 cues=$6 out=$7 case=$8
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=ui_lib.sh
. "$(dirname "$0")/ui_lib.sh"
need_exe "$onetake"
need_exe "$checker"
need_exe "$mvcheck"
need_exe "$layout"
need_samples "$samples"
fresh_dir "$out"
take=$out/take
mapfile -t cams < <(cam_args "$samples")
three=(--cam "wide=$samples/wide.mp4" --cam "close=$samples/close.mp4" --cam "crane=$samples/crane.mkv")
small=(--codec ffv1 --size 640x360)

# record ARGS...: onetake record into $take, log in $out/record.log; sets rc.
record() {
    rc=0
    "$onetake" record "$@" --out "$take" >"$out/record.log" 2>&1 || rc=$?
    cat "$out/record.log"
}

closed_take() {
    [ $rc -eq 0 ] || fail "onetake record exited $rc"
    [ "$(json_str "$take/take.json" status)" = closed ] || fail "take.json status is not closed"
}

# end_line: "FRAME ORIGIN" of the end in cuts.jsonl
end_line() {
    python3 -c '
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e["type"] == "end":
        print(e["frame"], e["origin"])' "$take/cuts.jsonl"
}

# landed WHAT: "FIRST LAST", where a command landed by the UI's log ("WHAT: staged after frame A, lands at
# frame N[ to M]"); LAST is empty when it is FIRST.
landed() {
    grep -F "$1: staged after frame" "$out/record.log" | head -n1 |
        sed -n 's/.*lands at frame \([0-9]*\)\( to \([0-9]*\)\)\?$/\1 \3/p'
}

# is_true PYTHON-EXPRESSION
is_true() {
    python3 -c "import sys; sys.exit(0 if ($1) else 1)"
}

case $case in
screenshot)
    start_xvfb "$out"
    gone="pipe:videotestsrc num-buffers=45 pattern=white ! video/x-raw,width=640,height=360,framerate=30/1"
    record "${cams[@]}" --cam "gone=$gone" --cues "$cues/song.cues" "${small[@]}" --duration 4 \
        --screenshot "$out/shot.png" --screenshot-at 92
    closed_take
    [ -s "$out/shot.png" ] && [ -s "$out/shot.png.json" ] || fail "no screenshot or no shot.png.json"
    [ "$(json_field "$take/take.json" 'd["frames"]')" = 120 ] || fail "the take does not have 120 frames"
    # the window paces file sources to real time: 120 frames take 4 s
    wall=$(json_field "$take/take.json" 'd["wall_seconds"]')
    is_true "$wall >= 3.8" || fail "120 frames in $wall s: not paced to real time"
    gone_signal=$(json_field "$out/shot.png.json" '[t["signal"] for t in d["tiles"] if t["name"] == "gone"]')
    [ "$gone_signal" = "[False]" ] || fail "the camera that ended is not shown as NO SIGNAL"
    # every frame of every clip as 64x36 RGB, aspect kept with black borders like capture's conform chain
    refs=()
    for i in "${!cam_names[@]}"; do
        f=$samples/${cam_files[$i]} n=${cam_names[$i]}
        rate=$(ffprobe -v error -select_streams v:0 -show_entries stream=avg_frame_rate -of csv=p=0 "$f")
        fps=$(python3 -c "from fractions import Fraction; print(float(Fraction('$rate')))")
        scale="scale=64:36:force_original_aspect_ratio=decrease:flags=area,pad=64:36:(ow-iw)/2:(oh-ih)/2"
        ffmpeg -nostdin -v error -i "$f" -frames:v 150 -vf "$scale,format=rgb24" -f rawvideo \
            -y "$out/$n.rgb" || fail "ffmpeg cannot read $f"
        refs+=(--ref "$n=$out/$n.rgb@$fps")
    done
    # drone is on program from 90 to 109 and close is next: a window that draws late (a loaded machine,
    # sanitizers) may take the screenshot a few frames after 92
    "$mvcheck" --shot "$out/shot.png" "${refs[@]}" --expect-program drone --expect-preview close \
        --expect-frame 92 --frame-slack 17 --verbose ||
        fail "the screenshot does not show the take as it was (see $out/shot.png)"
    echo "ok: ui screenshot"
    ;;

program_master)
    # the program camera (a file camera) ends at frame 30: the master holds its last frame from there on, and
    # the program pane must show that frame (what goes to tape), judged against the master ffmpeg decodes
    start_xvfb "$out"
    bars="pipe:videotestsrc num-buffers=30 pattern=smpte ! video/x-raw,width=640,height=360,framerate=30/1"
    printf '2 key p\n2 key 2\n' >"$out/ui.script" # wide on preview
    record --cam "bars=$bars" --cam "wide=$samples/wide.mp4" "${small[@]}" --duration 3 \
        --ui-script "$out/ui.script" --screenshot "$out/shot.png" --screenshot-at 60
    closed_take
    [ -s "$out/shot.png" ] && [ -s "$out/shot.png.json" ] || fail "no screenshot or no shot.png.json"
    tick=$(json_field "$out/shot.png.json" 'd["program"]["program_tick"]')
    [ "$(json_field "$out/shot.png.json" 'd["program"]["name"]')" = bars ] || fail "bars is not on program"
    [ "$tick" -ge 31 ] || fail "the screenshot's program pane is of tick $tick: not after bars ended (30)"
    scale="scale=64:36:flags=area,format=rgb24"
    ffmpeg -nostdin -v error -i "$take/program.mkv" -vf "$scale" -f rawvideo -y "$out/master.rgb" ||
        fail "ffmpeg cannot decode the master"
    fps=$(ffprobe -v error -select_streams v:0 -show_entries stream=avg_frame_rate -of csv=p=0 \
        "$take/program.mkv")
    fps=$(python3 -c "from fractions import Fraction; print(float(Fraction('$fps')))")
    ffmpeg -nostdin -v error -i "$samples/wide.mp4" -frames:v 150 \
        -vf "scale=64:36:force_original_aspect_ratio=decrease:flags=area,pad=64:36:(ow-iw)/2:(oh-ih)/2,format=rgb24" \
        -f rawvideo -y "$out/wide.rgb" || fail "ffmpeg cannot read wide.mp4"
    ffmpeg -nostdin -v error -f lavfi -i "smptebars=size=640x360:rate=30" -frames:v 30 -vf "$scale" \
        -f rawvideo -y "$out/bars.rgb" || fail "ffmpeg cannot make the bars reference"
    "$mvcheck" --shot "$out/shot.png" --master "master=$out/master.rgb@$fps" --ref "bars=$out/bars.rgb@30" \
        --ref "wide=$out/wide.rgb@30" --expect-program bars --verbose ||
        fail "the program pane does not show the master's frame (see $out/shot.png)"
    echo "ok: ui program_master: the pane shows the master's held frame at tick $tick"
    ;;

program_slate)
    # a live camera on program is lost: once the hold is over the master records its slate, and so must the
    # program pane show it (judged against the master's frame of the pane's tick, and unlike the camera)
    for el in x264enc mpegtsmux srtsink srtsrc tsdemux; do
        gst-inspect-1.0 --exists $el || {
            echo "SKIP: GStreamer element $el is missing (gstreamer1.0-plugins-bad/-ugly)"
            exit 77
        }
    done
    start_xvfb "$out"
    port=$(python3 "$(dirname "$0")/live_tool.py" free-port)
    gst-launch-1.0 -q videotestsrc is-live=true pattern=smpte ! video/x-raw,width=320,height=180,framerate=30/1 \
        ! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=15 ! mpegtsmux \
        ! srtsink uri="srt://127.0.0.1:$port?mode=listener" latency=20 >"$out/sender.log" 2>&1 &
    sender=$!
    trap 'kill "$sender" "$xvfb_pid" 2>/dev/null || true' EXIT
    sleep 0.5
    printf 'armed key p\narmed key 2\n' >"$out/ui.script" # blue on preview
    blue="pipe:videotestsrc is-live=true pattern=blue ! video/x-raw,width=320,height=180,framerate=30/1"
    "$onetake" record --cam "stage=srt://127.0.0.1:$port?latency=20" --cam "blue=$blue" --codec ffv1 \
        --size 320x180 --fps 30/1 --duration 6 --latency 150 --ui-script "$out/ui.script" \
        --screenshot "$out/shot.png" --screenshot-at 150 --out "$take" >"$out/record.log" 2>&1 &
    rec=$!
    for _ in $(seq 100); do # rolling: the take log has its first checkpoint
        [ -s "$take/checkpoints.txt" ] && break
        sleep 0.1
    done
    sleep 1
    kill "$sender"
    rc=0
    wait "$rec" || rc=$?
    cat "$out/record.log"
    closed_take
    grep -q 'camera stage lost at frame' "$out/record.log" || fail "the loss was not reported"
    tick=$(json_field "$out/shot.png.json" 'd["program"]["program_tick"]')
    [ "$(json_field "$out/shot.png.json" 'd["program"]["name"]')" = stage ] || fail "stage is not on program"
    scale="scale=64:36:flags=area,format=rgb24"
    ffmpeg -nostdin -v error -i "$take/program.mkv" -vf "$scale" -f rawvideo -y "$out/master.rgb" ||
        fail "ffmpeg cannot decode the master"
    ffmpeg -nostdin -v error -f lavfi -i "smptebars=size=320x180:rate=30" -frames:v 1 -vf "$scale" \
        -f rawvideo -y "$out/bars.rgb" || fail "ffmpeg cannot make the bars reference"
    # the master's frame at the pane's tick is the slate, not the camera's bars
    python3 - "$out/master.rgb" "$out/bars.rgb" "$tick" <<'PY' || fail "the master's frame at the pane's tick is not a slate"
import sys
m = open(sys.argv[1], 'rb').read(); b = open(sys.argv[2], 'rb').read(); t = int(sys.argv[3]); n = 64 * 36 * 3
f = m[t * n:(t + 1) * n]
err = sum(abs(x - y) for x, y in zip(f, b)) / n
print("master frame %d against the bars: mean error %.1f" % (t, err))
sys.exit(0 if len(f) == n and err > 60 else 1)
PY
    ffmpeg -nostdin -v error -f lavfi -i "color=blue:size=320x180:rate=30" -frames:v 300 -vf "$scale" \
        -f rawvideo -y "$out/blue.rgb" || fail "ffmpeg cannot make the blue reference"
    "$mvcheck" --shot "$out/shot.png" --master "master=$out/master.rgb@30" --ref "stage=$out/bars.rgb@30" \
        --ref "blue=$out/blue.rgb@30" --expect-program stage --expect-preview blue --verbose ||
        fail "the program pane does not show the master's slate (see $out/shot.png)"
    echo "ok: ui program_slate: the pane shows the master's slate at tick $tick"
    ;;

keys)
    start_xvfb "$out"
    read -r hx hy < <(layout_center "$layout" 5 tile5)
    read -r wx wy < <(layout_center "$layout" 5 tile1)
    read -r px py < <(layout_center "$layout" 5 preview)
    cat >"$out/ui.script" <<SCRIPT
5    key 4              # manual cut to drone
30   click $hx $hy      # click on tile 5: manual cut to handheld
40   key escape         # one stray Esc: nothing happens
50   rclick $wx $wy     # right-click on tile 1: wide on preview (program untouched)
55   key p
55   key 3              # P 3: crane on preview
60   click $px $py      # click on the preview: crane to program
80   key space          # fires the go cue "Guitar solo" (crane)
100  key 5              # manual cut to handheld
150  key escape
150  key escape         # Esc twice: the end
SCRIPT
    record "${cams[@]}" --cues "$cues/song.cues" "${small[@]}" --ui-script "$out/ui.script"
    closed_take
    read -r end origin < <(end_line)
    [ "$origin" = stop ] || fail "the take ended by $origin, not by the director (Esc Esc)"
    [ "$end" -gt 100 ] || fail "the take ended at frame $end: the stray Esc at 40 ended it"
    python3 "$(dirname "$0")/check_ui_log.py" "$take/cuts.jsonl" "$out/record.log" "$out/generated.actions" ||
        fail "the cut log and the UI's log disagree"
    cat "$out/generated.actions"
    mapfile -t check_cams < <(cam_args "$samples")
    "$checker" --program "$take/program.mkv" --mode exact --cues "$cues/song.cues" \
        --actions "$out/generated.actions" --size 640x360 --fps 30/1 --frames "$end" \
        --cuts "$take/cuts.jsonl" --end-origin stop "${check_cams[@]}" ||
        fail "the program is not the cue list plus the director's cuts"
    echo "ok: ui keys"
    ;;

esc_cue)
    # Esc Esc landing on a frame that also has a timed cue: a cue on every frame from 31 to 60 (wide and close in
    # turn), Esc Esc after frame 30. Wherever the end lands (31 on a quiet machine), that frame is not in the
    # master, so cuts.jsonl must hold no cut on it or after it, the master (ffprobe's count) has exactly END
    # frames, and verify says UNCUT.
    start_xvfb "$out"
    {
        echo "00:00:00:00  cut  wide"
        for f in $(seq 31 60); do
            printf '00:00:%02d:%02d  cut  %s\n' $((f / 30)) $((f % 30)) "$([ $((f % 2)) = 0 ] && echo wide || echo close)"
        done
    } >"$out/esc.cues"
    printf '30 key escape\n30 key escape\n' >"$out/ui.script"
    new_station_key "$out"
    record "${cams[@]}" --cues "$out/esc.cues" "${small[@]}" --duration 4 --key "$key" --ui-script "$out/ui.script"
    closed_take
    read -r end origin < <(end_line)
    [ "$origin" = stop ] || fail "the take ended by $origin, not by Esc Esc"
    [ "$end" -ge 31 ] && [ "$end" -le 60 ] || fail "Esc Esc landed at $end, not on a cued frame (31-60)"
    late=$(python3 -c '
import json, sys
print(sum(1 for e in map(json.loads, open(sys.argv[1])) if e["type"] == "cut" and e["frame"] >= int(sys.argv[2])))' \
        "$take/cuts.jsonl" "$end")
    [ "$late" = 0 ] || fail "cuts.jsonl holds $late cut(s) on or after the end frame $end (not in the master)"
    n=$(ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames -of csv=p=0 \
        "$take/program.mkv")
    [ "$n" = "$end" ] || fail "the master has $n frames, the end is at frame $end"
    rc=0
    "$onetake" verify "$take" >"$out/verify.log" 2>&1 || rc=$?
    cat "$out/verify.log"
    [ $rc -eq 0 ] && grep -q UNCUT "$out/verify.log" || fail "verify exited $rc, not UNCUT"
    echo "ok: ui esc_cue: the end at $end, no cut logged on it, $n frames in the master"
    ;;

stall)
    # reference: the same take headless, every camera decoded like with the window (deterministic counters)
    "$onetake" record --headless --decode all "${cams[@]}" --cues "$cues/song.cues" "${small[@]}" \
        --duration 3 --out "$out/ref" >"$out/ref.log" 2>&1 ||
        { cat "$out/ref.log"; fail "the headless reference take failed"; }
    start_xvfb "$out"
    printf '20 stall 500\n50 stall 500\n' >"$out/ui.script"
    record "${cams[@]}" --cues "$cues/song.cues" "${small[@]}" --duration 3 --ui-script "$out/ui.script"
    closed_take
    [ "$(grep -c 'the window stalled for' "$out/record.log")" = 2 ] || fail "the window did not stall twice"
    counters='[(c["name"], c["frames"], c["repeats"], c["drops"]) for c in d["cameras"]]'
    counters+=' + [d["frames"], d["program_repeats"]]'
    ref=$(json_field "$out/ref/take.json" "$counters")
    got=$(json_field "$take/take.json" "$counters")
    echo "counters: $got"
    [ "$got" = "$ref" ] || fail "counters differ from the headless take's: $got vs $ref"
    [ "$(json_field "$take/take.json" 'd["program_repeats"]')" = 0 ] || fail "repeated program frames"
    # While the window was frozen the program went on: about 15 frames in 500 ms at 30 fps (fewer on a
    # machine too loaded to keep real time, none if the window held up the program thread).
    n='\([0-9.]*\)'
    stalls=$(sed -n "s/.*window stalled for $n ms, from frame $n to frame $n/\1 \2 \3/p" "$out/record.log")
    while read -r ms from to; do
        [ "${ms%.*}" -ge 490 ] || fail "a stall of only $ms ms"
        [ $((to - from)) -ge 5 ] || fail "the program decided $((to - from)) frames during a $ms ms stall"
    done <<<"$stalls"
    gap=$(sed -n 's/.*longest gap between two frames \([0-9.]*\) ms/\1/p' "$out/record.log")
    [ -n "$gap" ] || fail "no real-time pacing report"
    mapfile -t check_cams < <(cam_args "$samples")
    "$checker" --program "$take/program.mkv" --mode exact --cues "$cues/song.cues" --size 640x360 \
        --fps 30/1 --frames 90 --cuts "$take/cuts.jsonl" --end-origin duration "${check_cams[@]}" ||
        fail "the program is not exactly the cue list's"
    echo "ok: ui stall: two 500 ms stalls, the program went on; longest gap between ticks $gap ms"
    ;;

end_close)
    start_xvfb "$out"
    printf '30 close\n45 close\n' >"$out/ui.script"
    record "${three[@]}" "${small[@]}" --duration 10 --ui-script "$out/ui.script"
    closed_take
    read -r end origin < <(end_line)
    read -r first last < <(landed "window closed twice: end the take")
    [ -n "${first:-}" ] || fail "the second close did not end the take"
    [ "$origin" = stop ] && [ "$end" -ge "$first" ] && [ "$end" -le "${last:-$first}" ] ||
        fail "ended at $end by $origin, expected stop at $first"
    [ "$end" -gt 40 ] || fail "the first close (frame 30) ended the take"
    echo "ok: ui end_close: ended at frame $end"
    ;;

hold_esc)
    start_xvfb "$out"
    printf '20 keydown escape\n90 keyup escape\n' >"$out/ui.script"
    record "${three[@]}" "${small[@]}" --duration 10 --ui-script "$out/ui.script"
    closed_take
    read -r end origin < <(end_line)
    [ "$origin" = stop ] || fail "ended by $origin, expected stop"
    # held from about frame 21: a second is 30 frames
    [ "$end" -ge 48 ] && [ "$end" -le 70 ] || fail "ended at frame $end, expected about 51 (Esc held 1 s)"
    grep -q "Esc held: end the take" "$out/record.log" || fail "no 'Esc held' in the log"
    echo "ok: ui hold_esc: ended at frame $end"
    ;;

cancel)
    start_xvfb "$out"
    printf 'armed key escape\narmed key escape\n' >"$out/ui.script"
    start=$(date +%s)
    record "${three[@]}" "${small[@]}" --countdown 60 --ui-script "$out/ui.script"
    expect_exit 1 $rc "a take cancelled before it rolled"
    grep -q "cancelled before it rolled: nothing was recorded" "$out/record.log" || fail "no cancel message"
    [ $(($(date +%s) - start)) -lt 30 ] || fail "the cancel waited for the countdown"
    no_take_left "$take"
    [ ! -e "$take/cuts.jsonl" ] || fail "a cancelled take left cuts.jsonl"
    echo "ok: ui cancel"
    ;;

countdown)
    for bad in "--countdown abc" "--countdown -1" "--countdown 2 --roll-at 12:00:00" "--roll-at 25:00:00" \
        "--roll-at 12:00" "--realtime --no-realtime" "--screenshot-at 10" \
        "--headless --screenshot $out/x.png" "--window-size 10"; do
        rc=0
        # shellcheck disable=SC2086
        "$onetake" record "${three[@]}" --duration 1 $bad --out "$take" >"$out/bad.log" 2>&1 || rc=$?
        cat "$out/bad.log"
        expect_exit 2 $rc "record $bad (usage)"
        [ ! -e "$take" ] || fail "record $bad touched $take"
    done
    printf '5 frobnicate\n' >"$out/bad.script"
    rc=0
    "$onetake" record "${three[@]}" --duration 1 --ui-script "$out/bad.script" --out "$take" \
        >"$out/bad.log" 2>&1 || rc=$?
    cat "$out/bad.log"
    expect_exit 2 $rc "a bad UI script"
    grep -q "bad.script:1: error: unknown action" "$out/bad.log" || fail "a bad UI script: no file:line reason"
    # --countdown, headless: the roll (tick 0) comes 1.5 s after everything is ready
    t0=$(date +%s%N)
    record --headless "${three[@]}" "${small[@]}" --duration 1 --countdown 1.5
    closed_take
    first=$(head -n1 "$take/cuts.jsonl" | sed 's/.*"wall_ns":\([0-9]*\).*/\1/')
    [ $(((first - t0) / 1000000)) -ge 1500 ] || fail "rolled $(((first - t0) / 1000000)) ms after the start"
    grep -q "rolling in 2 s" "$out/record.log" || fail "no countdown in the log"
    # --roll-at, headless: the roll at that wall-clock second
    rm -rf "$take"
    at=$(date -d "+6 seconds" +%H:%M:%S) # room for the cameras to start on a loaded machine (ASan)
    at_ms=$(($(date -d "$at" +%s) * 1000))
    record --headless "${three[@]}" "${small[@]}" --duration 1 --roll-at "$at"
    closed_take
    first=$(head -n1 "$take/cuts.jsonl" | sed 's/.*"wall_ns":\([0-9]*\).*/\1/')
    [ $((first / 1000000)) -ge $((at_ms - 20)) ] || fail "rolled before $at"
    [ $((first / 1000000)) -le $((at_ms + 1500)) ] || fail "rolled well after $at"
    echo "ok: ui countdown"
    ;;

no_display)
    rc=0
    env -u DISPLAY -u WAYLAND_DISPLAY "$onetake" record "${three[@]}" "${small[@]}" --duration 1 \
        --out "$take" >"$out/record.log" 2>&1 || rc=$?
    cat "$out/record.log"
    closed_take
    grep -q "no display" "$out/record.log" || fail "no message about the missing display"
    echo "ok: ui no_display"
    ;;

*)
    fail "unknown case $case"
    ;;
esac
