#!/bin/bash
# test_autotrans.sh ONETAKE SAMPLES_DIR OUT_DIR CASE [FORGE]
#
# The director's auto (issue 21, item 2): key T in the multiview and the control protocol's auto run the default
# transition (--auto-transition) from program to preview; a second one during it completes it at once. On three
# sample cameras at their own size (640x360) to a lossless FFV1 program with ISOs:
#   ui        --ui-script presses T (`key t`) and `auto` (the script verb) in a private Xvfb: a mix:15 to close,
#             then to crane and a second T 6 frames in
#   tcp       a TCP client (Python sockets, 127.0.0.1:19311) sends auto twice the same way (wipe:30:left:8)
#   ui_key    T pressed as a real keyboard does (XTEST events through Xvfb): input "key"
#   osc       raw OSC datagrams from 127.0.0.1 to /onetake/auto (127.0.0.1:19312) (dip:24:#2040C0)
#   tally     a cue-list mix in the window: both tallies red and the progress bar under the program pane, from pixels
#   bad_option  bad --auto-transition values refused with exit 2 and the reason, nothing created
# Each take: every program frame equals, byte for byte, what check_transitions.py computes itself (numpy) from
# ffmpeg's decode of the cameras with sw_transition.h's rule at the frames the presses land on (ui: the frame after
# the script's line; tcp/osc: the frame each reply names), the early completion's frames the new camera's own;
# cuts.jsonl has the transition's cut and the completion (kind, length, mixed, input), the take log a DONE record;
# verify says UNCUT (a cuts.jsonl completion moved a frame: INVALID cuts-jsonl; with FORGE, ot-proof-forge, a DONE
# record re-signed with another `mixed`: INVALID log-record, or at another frame: INVALID cut-order); the replay from
# the ISOs makes the same program packets; cuts.otio's transition is cut short.
set -euo pipefail
onetake=$1 samples=$2 out=$3 case=$4 forge=${5:-}
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
need_exe "$onetake"
need_samples "$samples"
fresh_dir "$out"
py=/usr/bin/python3 # Debian's, with python3-numpy (scripts/install-deps.sh)
"$py" -c 'import numpy' || fail "python3-numpy is not installed (scripts/install-deps.sh)"
here=$(dirname "$0")
cams=(--cam "wide=$samples/wide.mp4" --cam "close=$samples/close.mp4" --cam "crane=$samples/crane.mkv")
clips=("wide=$samples/wide.mp4" "close=$samples/close.mp4" "crane=$samples/crane.mkv")
take=$out/take
new_station_key "$out"

# checks PLAN KIND LENGTH MIXED INPUT: the take against the plan (check_transitions.py's cue format)
checks() {
    local plan=$1 kind=$2 length=$3 mixed=$4 input=$5
    cat "$plan"
    "$py" "$here/check_transitions.py" "$take/program.mkv" 640 360 "$plan" "${clips[@]}" >"$out/check.log" ||
        { cat "$out/check.log"; fail "the program is not the recomputed one (outputs kept in $out)"; }
    cat "$out/check.log"
    grep -qx "mixed=$((length + mixed))" "$out/check.log" ||
        fail "the oracle counted another number of mixed frames than $length + $mixed"
    grep -q "transitions: $((length + mixed)) mixed frames (0 outside the pool), 0 shown unmixed" "$out/record.log" ||
        fail "record did not make exactly $((length + mixed)) mixed frames, all from the pool"
    # cuts.jsonl: the two transitions' cuts and the completion, against the plan
    "$py" - "$take/cuts.jsonl" "$plan" "$kind" "$length" "$mixed" "$input" <<'PY' || fail "cuts.jsonl is not the plan"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
plan = [l.split() for l in open(sys.argv[2]) if l.strip()]
kind, length, mixed, inp = sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
origin = "remote" if inp == "control" else "manual"
trans = [e for e in ev if e["type"] == "cut" and e["kind"] != "cut"]
done = [e for e in ev if e["type"] == "complete"]
want = [(int(plan[1][0]), "close", "wide"), (int(plan[2][0]), "crane", "close")]
got = [(e["frame"], e["camera"], e["prev"]) for e in trans]
if got != want or any(e["kind"] != kind or e["length"] != length or e["origin"] != origin or
                      e.get("input") != inp for e in trans):
    sys.exit(f"transitions in cuts.jsonl: {trans}\nexpected {want}, {kind} {length} by {origin}/{inp}")
if len(done) != 1:
    sys.exit(f"{len(done)} completions in cuts.jsonl, expected 1")
d = done[0]
if (d["frame"], d["camera"], d["prev"], d["kind"], d["length"], d["mixed"], d["origin"], d["input"]) != \
        (int(plan[3][0]), "crane", "close", kind, length, mixed, origin, inp):
    sys.exit(f"the completion in cuts.jsonl: {d}")
if origin == "remote" and not d.get("peer", "").startswith(("tcp:127.0.0.1:", "osc:127.0.0.1:")):
    sys.exit(f"the completion names no peer: {d}")
print(f"ok: cuts.jsonl: 2 {kind} {length} by {inp}, completed at {d['frame']} after {mixed} frames")
PY
    # the take log: one DONE record at the completion's frame, with what was mixed
    "$py" -c '
import json, sys
sys.path.insert(0, sys.argv[1])
import proof_tool
data = open(sys.argv[2], "rb").read()
recs = [json.loads(r) for _, r in proof_tool.records(data)]
done = [r for r in recs if r.get("t") == "DONE"]
if len(done) != 1 or done[0]["frame"] != int(sys.argv[3]) or done[0]["mixed"] != int(sys.argv[4]):
    sys.exit("DONE records: %r" % done)
print("ok: take.log: DONE at frame %d, %d mixed" % (done[0]["frame"], done[0]["mixed"]))
' "$here" "$take/take.log" "$(sed -n 4p "$plan" | cut -d' ' -f1)" "$mixed" || fail "the take log's DONE record"
    # verify: UNCUT
    json=$out/verify.json case=$case rc=0
    "$onetake" verify "$take" --json >"$json" 2>"$out/verify.log" || rc=$?
    expect_verify 0 UNCUT
    # a cuts.jsonl whose completion is moved one frame no longer matches the log's DONE record: INVALID
    rm -rf "$out/moved" && cp -r "$take" "$out/moved"
    "$py" - "$out/moved/cuts.jsonl" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
for e in lines:
    if e["type"] == "complete":
        e["frame"] += 1
        e["mixed"] += 1
open(sys.argv[1], "w").write("".join(json.dumps(e, separators=(",", ":")) + "\n" for e in lines))
PY
    json=$out/moved.json rc=0
    "$onetake" verify "$out/moved" --json >"$json" 2>"$out/moved.log" || rc=$?
    expect_verify 1 INVALID cuts-jsonl
    rm -rf "$out/moved"
    # the DONE record forged (re-signed by a station-key holder): its numbers and its place are checked
    if [ -n "$forge" ]; then
        need_exe "$forge"
        local i f m
        read -r i f m < <("$py" -c '
import json, sys
sys.path.insert(0, sys.argv[1])
import proof_tool
recs = [json.loads(r) for _, r in proof_tool.records(open(sys.argv[2], "rb").read())]
i = [k for k, r in enumerate(recs) if r.get("t") == "DONE"][0]
print(i, recs[i]["frame"], recs[i]["mixed"])' "$here" "$take/take.log")
        forged() { # OLD NEW CHECK: record i edited, re-signed: INVALID, failing CHECK
            rm -rf "$out/forged" && cp -r "$take" "$out/forged"
            "$forge" "$out/forged" --key "$key" --edit "$i" "$1" "$2" >/dev/null || fail "ot-proof-forge failed"
            json=$out/forged.json rc=0
            "$onetake" verify "$out/forged" --json >"$json" 2>"$out/forged.log" || rc=$?
            expect_verify 1 INVALID "$3"
        }
        forged "\"mixed\":$m," "\"mixed\":$((m + 1))," log-record
        forged "\"frame\":$f," "\"frame\":$((f + 1))," cut-order
        rm -rf "$out/forged"
    fi
    # cuts.otio: the completed transition's out_offset is the frames mixed, the other's its length
    "$py" - "$take/cuts.otio" "$length" "$mixed" <<'PY' || fail "cuts.otio does not cut the transition short"
import json, sys
t = json.load(open(sys.argv[1]))
tr = [x for x in t["tracks"]["children"][0]["children"] if x["OTIO_SCHEMA"] == "Transition.1"]
got = [x["out_offset"]["value"] for x in tr]
if got != [int(sys.argv[2])] + ([int(sys.argv[3])] if int(sys.argv[3]) else []):  # mixed 0: a cut
    sys.exit(f"OTIO transitions' out_offset {got}")
PY
    # replay from the ISOs: the same program packets (the completion staged again where it landed)
    rc=0
    "$onetake" replay "$take" --out "$out/replay" -q >"$out/replay.log" 2>&1 || rc=$?
    [ $rc -eq 0 ] || { cat "$out/replay.log"; fail "onetake replay exited $rc"; }
    for d in take replay; do
        ffmpeg -nostdin -v error -i "$out/$d/program.mkv" -map 0:v -c copy -f framemd5 "$out/$d.packets" ||
            fail "ffmpeg cannot read $out/$d/program.mkv"
    done
    diff "$out/take.packets" "$out/replay.packets" >/dev/null || fail "the replay's program packets differ"
    echo "ok: replay: identical program packets"
}

# landed HOW N WANT TYPE INPUT: the program frame the Nth T the UI logged as HOW ("script key T", "key T") landed
# on. The UI's log brackets it ("HOW: auto[ (complete the transition)]: staged after frame A, lands at frame N[ to
# M]"): a loaded machine may land a press later than WANT (said); only a bracket of several frames is read from
# cuts.jsonl (the one event of TYPE by INPUT inside it).
landed() {
    local br first last
    br=$(grep -E "onetake\[ui\]: $1: auto( \(complete the transition\))?: staged after frame" "$out/record.log" |
        sed -n "${2}p" | sed -n 's/.*lands at frame \([0-9]*\)\( to \([0-9]*\)\)\?$/\1 \3/p')
    read -r first last <<<"$br"
    [ -n "${first:-}" ] || fail "the UI did not log T #$2 ($1)"
    if [ -z "${last:-}" ]; then
        [ -z "$3" ] || [ "$first" = "$3" ] ||
            echo "note: T #$2 ($1) landed at $first by the UI's log, not $3 (a loaded machine)" >&2
        echo "$first"
        return
    fi
    echo "note: T #$2 ($1) landed between $first and $last: read from cuts.jsonl" >&2
    "$py" -c '
import json, sys
f = [e["frame"] for e in map(json.loads, open(sys.argv[1])) if e["type"] == sys.argv[2] and
     e.get("input") == sys.argv[5] and int(sys.argv[3]) <= e["frame"] <= int(sys.argv[4])]
print(f[0] if len(f) == 1 else -1)' "$take/cuts.jsonl" "$4" "$first" "$last" "$5"
}

case $case in
ui)
    # shellcheck source=ui_lib.sh
    . "$here/ui_lib.sh"
    start_xvfb "$out"
    cat >"$out/ui.script" <<'SCRIPT'
2    key p
2    key 2       # close on preview
20   key t       # T: mix:15 wide -> close, lands at 21
50   key p
50   key 3       # crane on preview
60   auto        # T (the script verb): close -> crane, lands at 61
65   key t       # a second T 5 frames in: completed at once, at 66
SCRIPT
    rc=0
    "$onetake" record "${cams[@]}" --codec ffv1 --size 640x360 --fps 30/1 --duration 4 --iso --key "$key" \
        --ui-script "$out/ui.script" --out "$take" >"$out/record.log" 2>&1 || rc=$?
    cat "$out/record.log"
    [ $rc -eq 0 ] || fail "onetake record exited $rc"
    # the press frames from the script: the frame after the line's (the UI stages right after that frame)
    a=$(landed "script key T" 1 21 cut script)
    b=$(landed "script key T" 2 61 cut script)
    c=$(landed "script key T" 3 66 complete script)
    printf '0 cut wide\n%d mix close 15\n%d mix crane 15\n%d complete\n120 end\n' "$a" "$b" "$c" >"$out/plan.cues"
    checks "$out/plan.cues" mix 15 $((c - b)) script
    echo "ok: autotrans ui"
    ;;
ui_key)
    # T pressed on a real keyboard: XTEST key events through the X server (xtest_key.py, libXtst by ctypes) about
    # 1.5 s into the run (wide -> close), then twice 0.2 s apart at about 4 s (close -> crane, completed early); the
    # script only sets the previews (close at 2, crane at 75). No script frame fixes a real key's frame: the UI's
    # own bracket of each press gives it, and the rest is checked as above, with input "key".
    # shellcheck source=ui_lib.sh
    . "$here/ui_lib.sh"
    start_xvfb "$out"
    printf '2 key p\n2 key 2\n75 key p\n75 key 3\n' >"$out/ui.script"
    rc=0
    "$onetake" record "${cams[@]}" --codec ffv1 --size 640x360 --fps 30/1 --duration 7 --iso --key "$key" \
        --ui-script "$out/ui.script" --out "$take" >"$out/record.log" 2>&1 &
    pid=$!
    "$py" "$here/xtest_key.py" t 640 360 1.5 2.5 0.2 || fail "xtest_key.py could not press T"
    wait $pid || rc=$?
    cat "$out/record.log"
    [ $rc -eq 0 ] || fail "onetake record exited $rc"
    a=$(landed "key T" 1 "" cut key)
    b=$(landed "key T" 2 "" cut key)
    c=$(landed "key T" 3 "" complete key)
    printf '0 cut wide\n%d mix close 15\n%d mix crane 15\n%d complete\n210 end\n' "$a" "$b" "$c" >"$out/plan.cues"
    checks "$out/plan.cues" mix 15 $((c - b)) key
    echo "ok: autotrans ui_key"
    ;;
tally)
    # The multiview during a cue-list mix (frame 20, 15 frames, wide -> close): a screenshot 8 frames in, checked
    # from its pixels (ffmpeg decodes the PNG): both cameras' tile frames red (double tally), crane's not, and a
    # red bar under the program pane filled by the frames mixed so far (the shown tick - 20 + 1 of 15, from the
    # cue list), within a frame. The rectangles come from the screenshot's JSON; the colours only from the pixels.
    # shellcheck source=ui_lib.sh
    . "$here/ui_lib.sh"
    start_xvfb "$out"
    printf '00:00:00:20  mix  close  15\n' >"$out/mix.cues"
    rc=0
    "$onetake" record "${cams[@]}" --codec ffv1 --size 640x360 --fps 30/1 --duration 2 --key "$key" \
        --cues "$out/mix.cues" --screenshot "$out/shot.png" --screenshot-at 27 --out "$take" \
        >"$out/record.log" 2>&1 || rc=$?
    cat "$out/record.log"
    [ $rc -eq 0 ] || fail "onetake record exited $rc"
    [ -s "$out/shot.png" ] && [ -s "$out/shot.png.json" ] || fail "no screenshot or no shot.png.json"
    w=$(json_field "$out/shot.png.json" 'd["width"]')
    h=$(json_field "$out/shot.png.json" 'd["height"]')
    ffmpeg -nostdin -v error -i "$out/shot.png" -f rawvideo -pix_fmt rgb24 -y "$out/shot.rgb" ||
        fail "ffmpeg cannot read the screenshot"
    "$py" - "$out/shot.png.json" "$out/shot.rgb" "$w" "$h" 20 15 <<'PY' || fail "tally or progress bar wrong (see $out/shot.png)"
import json, sys
import numpy as np
d = json.load(open(sys.argv[1]))
w, h, start, length = map(int, sys.argv[3:7])
img = np.fromfile(sys.argv[2], dtype=np.uint8).reshape(h, w, 3).astype(int)
def red(px):
    return px[0] > 180 and px[1] < 80 and px[2] < 80
tick = d["frame"]
if not start <= tick < start + length:
    sys.exit(f"the screenshot is of tick {tick}, not inside the mix ({start}..{start + length - 1})")
for t in d["tiles"]:
    fx, fy, fw, fh = t["frame"]
    px = img[fy + fh // 2, fx + 1]
    want = t["name"] in ("wide", "close")
    if red(px) != want:
        sys.exit(f"tile {t['name']}: frame colour {px.tolist()}, want {'red' if want else 'not red'}")
fx, fy, fw, fh = d["program"]["frame"]
y = fy + fh + 1 + d["border"]  # inside the margin under the program pane
row = img[y, fx:fx + fw]
got = sum(1 for px in row if red(px)) / fw
want = (tick - start + 1) / length
if abs(got - want) > 1.0 / length + 0.01:
    sys.exit(f"progress bar {got:.3f} of the pane's width at tick {tick}, want {want:.3f}")
print(f"ok: tick {tick}: wide and close red, crane not; progress bar {got:.3f} (want {want:.3f})")
PY
    echo "ok: autotrans tally"
    ;;
bad_option)
    for v in "mix" "mix:0" "mix:15:x" "dip:5:purple" "wipe:10" "wipe:10:diagonal" "wipe:10:left:-1" "fade:10" \
        "mix:100001" ":15"; do
        rc=0
        "$onetake" record "${cams[@]}" --headless --duration 1 --auto-transition "$v" --out "$out/bad" \
            >"$out/bad.log" 2>&1 || rc=$?
        expect_exit 2 $rc "--auto-transition $v"
        grep -qF -- "--auto-transition $v: give KIND:FRAMES[:ARG]" "$out/bad.log" ||
            { cat "$out/bad.log"; fail "--auto-transition $v: no reason given"; }
        [ ! -e "$out/bad" ] || fail "--auto-transition $v: a take folder was created"
    done
    echo "ok: autotrans bad_option: 10 values refused with exit 2"
    ;;
tcp | osc)
    if [ "$case" = tcp ]; then
        port=19311 url=tcp://127.0.0.1:19311 spec=wipe:30:left:8 words="wipe 30 left soft 8" kind=wipe len=30
    else
        port=19312 url=osc://127.0.0.1:19312 spec=dip:24:#2040C0 words="dip 24 #2040C0" kind=dip len=24
    fi
    rc=0
    "$onetake" record "${cams[@]}" --headless --realtime --codec ffv1 --size 640x360 --fps 30/1 --duration 9 \
        --iso --key "$key" --control "$url" --auto-transition "$spec" --out "$take" >"$out/record.log" 2>&1 &
    pid=$!
    crc=0
    "$py" "$here/autotrans_client.py" "$case" "$port" "$out/plan.cues" "$words" || crc=$?
    wait $pid || rc=$?
    cat "$out/record.log"
    [ $crc -eq 0 ] || fail "the $case client failed"
    [ $rc -eq 0 ] || fail "onetake record exited $rc"
    b=$(sed -n 3p "$out/plan.cues" | cut -d' ' -f1) c=$(sed -n 4p "$out/plan.cues" | cut -d' ' -f1)
    checks "$out/plan.cues" $kind $len $((c - b)) control
    echo "ok: autotrans $case"
    ;;
*)
    fail "unknown case $case"
    ;;
esac
