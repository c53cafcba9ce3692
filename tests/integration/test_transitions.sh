#!/bin/bash
# test_transitions.sh ONETAKE SAMPLES_DIR OUT_DIR
#
# Transitions (issue 21), on three sample cameras at their own size and rate, to a lossless FFV1 program:
# - every program frame equals, byte for byte, the frame check_transitions.py computes itself (numpy) from the
#   cameras' frames decoded by ffmpeg with the rule of switcher/sw_transition.h: mixes, dips (black and a colour),
#   wipes (left, circle, box, up; soft and hard edges); every other frame is the camera's own;
# - the mixed frames are the only new pictures (record's count = the sum of the lengths), none copied on the
#   way to the encoder, none outside the pool;
# - cuts.jsonl logs each transition's kind and length (read back here as JSON);
# - cuts.edl (CMX3600 two-event dissolves and wipes) and cuts.otio (Transition.1) parsed here, against the cue list;
# - determinism: the same take recorded twice and replayed from its ISOs gives identical program packets.
set -euo pipefail
onetake=$1 samples=$2 out=$3
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
need_exe "$onetake"
need_samples "$samples"
fresh_dir "$out"
py=/usr/bin/python3 # Debian's, with python3-numpy (scripts/install-deps.sh)
"$py" -c 'import numpy' || fail "python3-numpy is not installed (scripts/install-deps.sh)"

cues=$out/transitions.cues
cat >"$cues" <<'CUES'
0 cut wide "open"
20 mix close 10
40 dip wide 8 #FF8000 # orange
60 wipe close 9 left soft 6
75 wipe wide 7 circle soft 4
85 wipe crane 5 box
95 wipe wide 6 up
105 dip close 6 "to black"
115 end
CUES
lengths=51 # 10 + 8 + 9 + 7 + 5 + 6 + 6
cams=(--cam "wide=$samples/wide.mp4" --cam "close=$samples/close.mp4" --cam "crane=$samples/crane.mkv")

record() {
    local rc=0
    "$onetake" record --headless "${cams[@]}" --cues "$cues" --codec ffv1 --size 640x360 --fps 30/1 "${@:2}" \
        --out "$out/$1" >"$out/$1.log" 2>&1 || rc=$?
    cat "$out/$1.log"
    [ $rc -eq 0 ] || fail "onetake record ($1) exited $rc"
}
record take --iso
grep -q "transitions: $lengths mixed frames (0 outside the pool), 0 shown unmixed" "$out/take.log" ||
    fail "record did not make exactly $lengths mixed frames, all from the pool"
grep -q " 0 program-path copies" "$out/take.log" || fail "a program frame was copied on the way to the encoder"

"$py" "$(dirname "$0")/check_transitions.py" "$out/take/program.mkv" 640 360 "$cues" \
    "wide=$samples/wide.mp4" "close=$samples/close.mp4" "crane=$samples/crane.mkv" >"$out/check.log" ||
    { cat "$out/check.log"; fail "the program is not the recomputed one (outputs kept in $out)"; }
cat "$out/check.log"
grep -qx "mixed=$lengths" "$out/check.log" || fail "the oracle counted another number of mixed frames"

# cuts.jsonl: kinds and lengths of the executed transitions
"$py" - "$out/take/cuts.jsonl" <<'PY' || fail "cuts.jsonl does not log the transitions"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
got = [(e["frame"], e["kind"], e["length"], e.get("colour"), e.get("pattern"), e.get("soft"))
       for e in ev if e["type"] == "cut"]
want = [(0, "cut", 0, None, None, None), (20, "mix", 10, None, None, None), (40, "dip", 8, "#FF8000", None, None),
        (60, "wipe", 9, None, "left", 6), (75, "wipe", 7, None, "circle", 4), (85, "wipe", 5, None, "box", 0),
        (95, "wipe", 6, None, "up", 0), (105, "dip", 6, "#000000", None, None)]
if got != want:
    sys.exit(f"cuts.jsonl: {got}\nexpected {want}")
if ev[-1]["type"] != "end" or ev[-1]["frame"] != 115:
    sys.exit("cuts.jsonl does not end at frame 115")
PY

# cuts.edl and cuts.otio read back against the cue list above (not against cuts.jsonl): one event (two-event form
# for a transition) and one clip per cue, D or the SMPTE wipe code with the length, Transition.1 objects.
"$py" - "$cues" "$out/take/cuts.edl" "$out/take/cuts.otio" <<'PY' || fail "cuts.edl or cuts.otio is not the cue list"
import json, re, shlex, sys
cues = []
for line in open(sys.argv[1]):
    w = shlex.split(line.split(" #")[0])
    if w:
        cues.append((int(w[0]), w[1], w[2:]))
end = cues[-1][0]
cues = cues[:-1]
wipe = {"left": 1, "right": 1, "down": 2, "up": 2, "box": 101, "circle": 119}
def tc(t):
    h, m, s_, f = map(int, re.fullmatch(r"(\d\d):(\d\d):(\d\d):(\d\d)", t).groups())
    return ((h * 60 + m) * 60 + s_) * 30 + f
ev = {}
for line in open(sys.argv[2]):
    m = re.match(r"(\d{3})  (\S+) +V +(C|D|W\d{3}) +(\d{3} )? *(\S+) (\S+) (\S+) (\S+)$", line.rstrip("\n"))
    if m:
        ev.setdefault(int(m[1]), []).append((m[2], m[3], int(m[4]) if m[4] else 0, *map(tc, m.groups()[4:])))
if sorted(ev) != list(range(1, len(cues) + 1)):
    sys.exit(f"EDL events {sorted(ev)}, expected 1..{len(cues)}")
prev = None
for i, (frame, kind, args) in enumerate(cues):
    cam, nxt = args[0], cues[i + 1][0] if i + 1 < len(cues) else end
    if kind == "cut":
        want = [(cam.upper(), "C", 0, frame, nxt, frame, nxt)]
    else:
        field = "D" if kind in ("mix", "dip") else "W%03d" % wipe[args[2]]
        want = [(prev.upper(), "C", 0, frame, frame, frame, frame),
                (cam.upper(), field, int(args[1]), frame, nxt, frame, nxt)]
    if ev[i + 1] != want:
        sys.exit(f"EDL event {i + 1}: {ev[i + 1]}, expected {want}")
    prev = cam
t = json.load(open(sys.argv[3]))
items = t["tracks"]["children"][0]["children"]
clips = [x for x in items if x["OTIO_SCHEMA"] == "Clip.1"]
trans = [x for x in items if x["OTIO_SCHEMA"] == "Transition.1"]
if len(clips) != len(cues) or len(trans) != sum(k != "cut" for _, k, _ in cues) or len(items) != len(clips) + len(trans):
    sys.exit(f"OTIO: {len(clips)} clips and {len(trans)} transitions for {len(cues)} cues")
k = 0
for i, (frame, kind, args) in enumerate(cues):
    nxt = cues[i + 1][0] if i + 1 < len(cues) else end
    if kind != "cut":
        tr = items[k]
        k += 1
        want = ("Transition.1", "SMPTE_Dissolve" if kind == "mix" else "Custom_Transition", 0, int(args[1]), kind)
        got = (tr["OTIO_SCHEMA"], tr["transition_type"], tr["in_offset"]["value"], tr["out_offset"]["value"],
               tr["metadata"]["onetake"]["kind"])
        if got != want or tr["out_offset"]["rate"] != 30:
            sys.exit(f"OTIO transition before cue {i + 1}: {got}, expected {want}")
        if kind == "wipe" and tr["metadata"]["onetake"]["pattern"] != args[2]:
            sys.exit(f"OTIO transition {i + 1}: pattern {tr['metadata']['onetake']['pattern']}")
    c = items[k]
    k += 1
    r = c["source_range"]
    if (c["OTIO_SCHEMA"], c["name"], r["start_time"]["value"], r["duration"]["value"]) != ("Clip.1", args[0], frame, nxt - frame):
        sys.exit(f"OTIO item {k}: {c['name']} {r}, expected {args[0]} [{frame}, {nxt})")
print(f"ok: EDL {len(ev)} events, OTIO {len(clips)} clips and {len(trans)} transitions, as the cue list says")
PY

# determinism: a second recording and a replay from the ISOs, packet for packet
record again
rc=0
"$onetake" replay "$out/take" --out "$out/replay" -q >"$out/replay.log" 2>&1 || rc=$?
cat "$out/replay.log"
[ $rc -eq 0 ] || fail "onetake replay exited $rc"
for d in take again replay; do
    ffmpeg -nostdin -v error -i "$out/$d/program.mkv" -map 0:v -c copy -f framemd5 "$out/$d.packets" ||
        fail "ffmpeg cannot read $out/$d/program.mkv"
done
n=$(grep -vc '^#' "$out/take.packets")
[ "$n" -eq 115 ] || fail "the take's program has $n packets, expected 115"
diff "$out/take.packets" "$out/again.packets" >/dev/null || fail "the same take recorded twice differs"
diff "$out/take.packets" "$out/replay.packets" >/dev/null || fail "the replay's program packets differ"
echo "ok: transitions: $n frames recomputed byte for byte ($lengths mixed), twice and replayed identically"
