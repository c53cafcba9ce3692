#!/bin/bash
# test_ltc.sh ONETAKE LTC_GEN OUT_DIR CASE
#
# LTC in (issue 16). Two camera clips made here by ffmpeg (320x180 yuv420p FFV1, 4 s) and LTC audio made by
# ot-ltc-gen (libltc's encoder: LTC frame k starts with video frame k) from 10:00:00:00; a cue list in LTC time
# (--cue-clock ltc). The expected cut frames are computed here (Python) from the cue list's timecodes and the
# LTC's start, and every program frame is compared byte for byte (ffmpeg framemd5) with the camera frame the cut
# list puts there:
#   ltc25     25 fps; verify UNCUT and its LTC records; take.json's ltc counts
#   ltc2997   29.97 drop-frame LTC and program, the list in ;-timecode
#   jump      the LTC jumps ahead 30 s at LTC frame 40: ltc-jump declared at take frame 40, the cues after it land
#             where freewheeling puts them (the song's own time), verify UNCUT_WITH_DECLARED_ANOMALIES
#   lost      the LTC stops at frame 50: ltc-lost declared at frame 50 (two frames after the last one decoded),
#             later cues on freewheeled frames
#   multiview the window (private Xvfb) with --screenshot: the clock's LTC is the one of the frame it shows
#   bad       no LTC in the audio, cam:NAME of no camera, --cue-clock ltc without --ltc, a bad --ltc-fps, a live
#             LTC source, a cue before the LTC starts: the exact exit code, the message, no take folder
set -euo pipefail
onetake=$1 gen=$2 out=$3 case=$4
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
need_exe "$onetake"
need_exe "$gen"
fresh_dir "$out"
new_station_key "$out"

clips() { # RATE
    ffmpeg -v error -f lavfi -i "testsrc=size=320x180:rate=$1:duration=4" -pix_fmt yuv420p -c:v ffv1 "$out/a.mkv"
    ffmpeg -v error -f lavfi -i "smptebars=size=320x180:rate=$1:duration=4" -pix_fmt yuv420p -c:v ffv1 "$out/b.mkv"
}

# check FPS START_TC CUES EXPECTED_CUTS: the program frame by frame against the cameras, cuts from the cue list
check_program() {
    local fps=$1 start=$2 cues=$3
    ffmpeg -v error -i "$out/take/program.mkv" -map 0:v -f framemd5 "$out/program.md5"
    ffmpeg -v error -i "$out/a.mkv" -f framemd5 "$out/a.md5"
    ffmpeg -v error -i "$out/b.mkv" -f framemd5 "$out/b.md5"
    python3 - "$fps" "$start" "$cues" "$out" "${4:-}" <<'PY'
import re, sys
fps, start, cues, out, want_cuts = sys.argv[1:6]
num, _, den = fps.partition("/")
nominal = round(int(num) / int(den or 1))
def count(tc):  # SMPTE timecode -> frames since 00:00:00:00 (drop-frame with ';' at 29.97)
    h, m, s, ff = map(int, re.split("[:;]", tc))
    n = ((h * 60 + m) * 60 + s) * nominal + ff
    if ";" in tc:
        mins = h * 60 + m
        n -= 2 * (mins - mins // 10)
    return n
origin = count(start)
cuts, end = [], None
for line in open(cues):
    f = line.split("#")[0].split()
    if len(f) >= 2 and f[1] == "cut":
        cuts.append((count(f[0]) - origin, f[2]))
    elif len(f) >= 2 and f[1] == "end":
        end = count(f[0]) - origin
if want_cuts:
    assert [c[0] for c in cuts] == [int(x) for x in want_cuts.split(",")], (cuts, want_cuts)
def md5s(p):
    return [l.split(",")[-1].strip() for l in open(p) if not l.startswith("#")]
prog, cam = md5s(out + "/program.md5"), {"a": md5s(out + "/a.md5"), "b": md5s(out + "/b.md5")}
n = end if end is not None else min(len(cam["a"]), len(cam["b"]))
assert len(prog) == n, "program has %d frames, expected %d" % (len(prog), n)
on = "a"
for i in range(n):
    for f, c in cuts:
        if f == i:
            on = c
    assert prog[i] == cam[on][i], "program frame %d is not %s's frame %d (cuts %s)" % (i, on, i, cuts)
print("ok: %d program frames are the cameras' frames at the cuts %s (LTC from %s)" % (n, cuts, start))
PY
}

record() { # ARGS...: must record (exit 0); headless unless $window is set
    local rc=0
    "$onetake" record ${window:---headless} -q --key "$key" --cam "a=$out/a.mkv" --cam "b=$out/b.mkv" --size 320x180 \
        --codec ffv1 --out "$out/take" "$@" >"$out/record.log" 2>&1 || rc=$?
    expect_exit 0 "$rc" "record (see $out/record.log)"
}

verify_take() { # RC VERDICT
    rc=0
    json=$out/verify.json
    "$onetake" verify "$out/take" --pubkey "$key.pub" --json >"$json" 2>/dev/null || rc=$?
    expect_verify "$1" "$2"
    grep -q 'LTC mapping records' "$json" || fail "verify did not check the LTC records"
}

anomaly_at() { # KIND FRAME: the take log declares KIND at FRAME, and its LTC records are in order
    python3 - "$(dirname "$0")" "$out/take/take.log" "$1" "$2" <<'PY'
import json, sys
sys.path.insert(0, sys.argv[1])
import proof_tool
recs = [json.loads(r) for _, r in proof_tool.records(open(sys.argv[2], "rb").read())]
hits = [r["tick"] for r in recs if r.get("t") == "ANOMALY" and r.get("kind") == sys.argv[3]]
assert hits == [int(sys.argv[4])], "%s at %s, expected [%s]" % (sys.argv[3], hits, sys.argv[4])
ltc = [r for r in recs if r.get("t") == "LTC"]
assert ltc and all(b["tick"] > a["tick"] for a, b in zip(ltc, ltc[1:])), ltc
# once a second; a freewheeled record carries the song's time run on from the last good frame
assert [r["tick"] for r in ltc] == list(range(0, 25 * len(ltc), 25)), ltc
assert all(r["frame"] == 900000 + r["tick"] for r in ltc), ltc
assert any(r["freewheel"] for r in ltc), ltc
print("ok: %s declared at frame %s; %d LTC records" % (sys.argv[3], sys.argv[4], len(ltc)))
PY
}

cues25() {
    cat >"$out/cues.txt" <<'CUES'
10:00:00:00  cut  a
10:00:01:07  cut  b   "verse"
10:00:02:00  sub  "the song's line"
10:00:02:13  cut  a
10:00:03:05  cut  b
10:00:03:20  end
CUES
}

case $case in
ltc25)
    clips 25
    "$gen" "$out/ltc.wav" --fps 25 --start 10:00:00:00 --seconds 4 >/dev/null
    cues25
    record --fps 25 --ltc "$out/ltc.wav" --cue-clock ltc --cues "$out/cues.txt"
    check_program 25 10:00:00:00 "$out/cues.txt" 0,32,63,80
    verify_take 0 UNCUT
    [ "$(json_int "$out/take/take.json" first_ltc_frame)" = 900000 ] || fail "take.json first_ltc_frame"
    [ "$(json_int "$out/take/take.json" jumps)" = 0 ] || fail "take.json jumps"
    grep -q '^32  cut  b   "verse"   # LTC 10:00:01:07$' "$out/take/cues.txt" || fail "cues.txt is not on frames"
    ;;
ltc2997)
    clips 30000/1001
    "$gen" "$out/ltc.wav" --fps 29.97 --start '10:00:00;00' --seconds 4 >/dev/null
    cat >"$out/cues.txt" <<'CUES'
10:00:00;00  cut  a
10:00:01;10  cut  b
10:00:02;29  cut  a
10:00:03;15  cut  b
10:00:03;25  end
CUES
    record --fps 30000/1001 --ltc "$out/ltc.wav" --ltc-fps 29.97 --cue-clock ltc --cues "$out/cues.txt"
    check_program 30000/1001 '10:00:00;00' "$out/cues.txt" 0,40,89,105
    verify_take 0 UNCUT
    ;;
jump)
    clips 25
    "$gen" "$out/ltc.wav" --fps 25 --start 10:00:00:00 --seconds 4 --jump-at 40 --jump-to 10:00:30:00 >/dev/null
    cues25
    record --fps 25 --ltc "$out/ltc.wav" --cue-clock ltc --cues "$out/cues.txt"
    check_program 25 10:00:00:00 "$out/cues.txt" 0,32,63,80
    verify_take 0 UNCUT_WITH_DECLARED_ANOMALIES
    grep -q 'ltc-jump' "$json" || fail "verify does not list the ltc-jump"
    anomaly_at ltc-jump 40
    [ "$(json_int "$out/take/take.json" jumps)" = 1 ] || fail "take.json jumps"
    [ "$(json_int "$out/take/take.json" freewheel_from_take_frame)" = 40 ] || fail "take.json freewheel"
    ;;
lost)
    clips 25
    "$gen" "$out/ltc.wav" --fps 25 --start 10:00:00:00 --seconds 4 --stop-at 50 >/dev/null
    cues25
    record --fps 25 --ltc "$out/ltc.wav" --cue-clock ltc --cues "$out/cues.txt"
    check_program 25 10:00:00:00 "$out/cues.txt" 0,32,63,80
    verify_take 0 UNCUT_WITH_DECLARED_ANOMALIES
    # frames 0..49 are sent; libltc confirms a frame by the edge after its sync word, so 48 is the last one decoded,
    # and the loss is declared when the next should have begun and one more frame has passed: 48 + 2
    anomaly_at ltc-lost 50
    ;;
multiview)
    command -v Xvfb >/dev/null || { echo "SKIP: Xvfb is not installed (package xvfb)"; exit 77; }
    # shellcheck source=ui_lib.sh
    . "$(dirname "$0")/ui_lib.sh"
    start_xvfb "$out"
    clips 25
    "$gen" "$out/ltc.wav" --fps 25 --start 10:00:00:00 --seconds 4 --jump-at 30 --jump-to 11:00:00:00 >/dev/null
    cues25
    window=--realtime record --fps 25 --ltc "$out/ltc.wav" --cue-clock ltc --cues "$out/cues.txt" \
        --screenshot "$out/shot.png" --screenshot-at 50
    python3 - "$out/shot.png.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
f = d["frame"]
# past the jump at 30 the clock freewheels: 10:00:00:00 + f, not 11:00:...
want = "10:00:%02d:%02d" % (f // 25, f % 25)
assert d["ltc"] == want, "the clock shows LTC %s at frame %d, expected %s" % (d["ltc"], f, want)
print("ok: the multiview's clock shows LTC %s at frame %d" % (d["ltc"], f))
PY
    ;;
bad)
    clips 25
    "$gen" "$out/ltc.wav" --fps 25 --start 10:00:00:00 --seconds 2 >/dev/null
    ffmpeg -v error -f lavfi -i anullsrc=r=48000:cl=stereo -t 2 "$out/silence.wav"
    bad() { # WANT_RC WHAT ARGS...
        local want=$1 what=$2 rc=0 dir=$out/t$RANDOM
        shift 2
        "$onetake" record --headless -q --key "$key" --cam "a=$out/a.mkv" --cam "b=$out/b.mkv" --size 320x180 \
            --fps 25 --codec ffv1 --duration 1 --out "$dir" "$@" >"$out/bad.out" 2>"$out/bad.err" || rc=$?
        expect_exit "$want" "$rc" "record $* (stderr: $(cat "$out/bad.err"))"
        grep -qF -- "$what" "$out/bad.err" || fail "record $*: stderr does not say $what: $(cat "$out/bad.err")"
        [ ! -e "$dir" ] || [ -z "$(ls -A "$dir")" ] || fail "record $*: $dir is not empty"
        echo "ok: refused ($want): $what"
    }
    printf '10:00:00:00 cut a\n' >"$out/c.txt"
    bad 1 "no LTC found in 2.0 s of audio (left channel)" --ltc "$out/silence.wav" --cue-clock ltc --cues "$out/c.txt"
    bad 2 "--ltc cam:c: no camera \"c\"" --ltc cam:c
    bad 2 "--ltc cam:a:3: CHANNEL is 1 (left) or 2 (right)" --ltc cam:a:3
    bad 2 "--cue-clock ltc needs --ltc SOURCE" --cue-clock ltc
    bad 2 "--ltc-fps 50: LTC runs at 24, 25, 29.97 (drop-frame) or 30" --ltc "$out/ltc.wav" --ltc-fps 50
    bad 2 "live LTC is not here yet" --ltc "srt://127.0.0.1:9"
    bad 2 "cannot read \"$out/none.wav\"" --ltc "$out/none.wav"
    bad 1 "camera 3 (srt://127.0.0.1:9?mode=listener) is live: LTC is read from a file" --ltc "$out/ltc.wav" \
        --cam "c=srt://127.0.0.1:9?mode=listener"
    printf '09:59:59:00 cut a\n' >"$out/c.txt"
    bad 1 "$out/c.txt:1:1: error: LTC 09:59:59:00 is before the take's first frame" \
        --ltc "$out/ltc.wav" --cue-clock ltc --cues "$out/c.txt"
    printf '10:00:00:00 cut a\n10:00:00:25 cut b\n' >"$out/c.txt"
    bad 1 "$out/c.txt:2:1: error: frame 25 is out of range at 25/1 fps" --ltc "$out/ltc.wav" --cue-clock ltc \
        --cues "$out/c.txt"
    ;;
*)
    fail "unknown case $case"
    ;;
esac
echo "PASS: ltc $case"
