#!/bin/bash
# test_subs.sh ONETAKE OUT_DIR CASE
#
# Subtitles (issue 16) on two clips made here by ffmpeg (320x180, FFV1):
#   tracks    25 fps: sub cues in two languages (one fired by a go press of the action script) and three lyrics
#             files (SRT, WebVTT, LRC): every line's start and end, in every language, read back with ffprobe and
#             ffmpeg (-map 0:N) from program.mkv and from subtitles.LANG.srt/.vtt (ffmpeg's demuxers) against
#             check_subs.py's frames computed from the inputs; the cuts are the cue list's (cuts.jsonl, no sub in
#             it); verify UNCUT; the replay's subtitle packets are the take's, byte for byte.
#   ntsc      29.97 drop-frame: ';' cue times and an SRT in ms, exact frames the same way.
#   tamper    a line's text edited in program.mkv: verify INVALID (file-bytes); a remux with one line dropped (ffmpeg, the other
#             tracks copied): verify --master INVALID, at that line's frame.
#   multiview the window (private Xvfb) with --screenshot: its FILE.json's current and next line per language are
#             the lines check_subs.py computes for the frame the screenshot shows
#   bad       `sub` without text, an empty text, a bad language, overlapping and unordered lyrics, a malformed
#             LRC, a bad --lyrics argument: the exact exit code, file:line:col on stderr, no take folder.
set -euo pipefail
onetake=$1 out=$2 case=$3
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
need_exe "$onetake"
fresh_dir "$out"
check=$(dirname "$0")/check_subs.py
new_station_key "$out"

clips() { # FPS: a.mkv (testsrc) and b.mkv (smptebars), 4 s
    ffmpeg -v error -f lavfi -i "testsrc=size=320x180:rate=$1:duration=4" -c:v ffv1 "$out/a.mkv"
    ffmpeg -v error -f lavfi -i "smptebars=size=320x180:rate=$1:duration=4" -c:v ffv1 "$out/b.mkv"
}

record() { # DIR ARGS...: a take that must record (exit 0); headless unless $window is set
    local dir=$1 rc=0
    shift
    "$onetake" record ${window:---headless} -q --key "$key" --cam "a=$out/a.mkv" --cam "b=$out/b.mkv" --size 320x180 \
        --codec ffv1 --out "$dir" "$@" >"$dir.log" 2>&1 || rc=$?
    expect_exit 0 "$rc" "record $dir (see $dir.log)"
}

tracks_take() {
    clips 25
    cat >"$out/cues.txt" <<'CUES'
00:00:00:00  cut    a
00:00:00:10  sub    "Under the bridge we meet"
00:00:00:10  sub.ko "다리 밑에서 만나요"
00:00:01:00  cut    b    "verse"
00:00:01:05  sub    "A \"quoted\" word"
00:00:02:00  sub-clear
go           sub.ko "the director's line"
go           cut    a
00:00:03:00  sub.ko-clear
00:00:03:05  sub    "to the end"
CUES
    printf '0 cut b\n52 go\n60 go\n' >"$out/act.txt" # 0: a manual cut; 52: the go sub; 60: the go cut
    printf '1\n00:00:00,500 --> 00:00:01,500\nlyric one\nsecond row\n\n2\n00:00:02,020 --> 00:00:03,479\nlyric two\n' \
        >"$out/en.srt"
    printf 'WEBVTT\n\nNOTE not a line\n\n00:00.300 --> 00:01.000 align:start\nun\n\ncue-2\n00:01.000 --> 00:02.000\ndeux\n' \
        >"$out/fr.vtt"
    printf '[ti:song]\n[00:00.80]eins\n[00:01.50]\n[00:02.10]zwei\n' >"$out/de.lrc"
    lyr=(--lyrics "en=$out/en.srt" --lyrics "fr=$out/fr.vtt" --lyrics "de=$out/de.lrc")
    record "$out/take" --fps 25 --duration 4 --iso --cues "$out/cues.txt" --actions "$out/act.txt" "${lyr[@]}"
}

case $case in
tracks)
    tracks_take
    python3 "$check" --take "$out/take" --fps 25 --frames 100 --cues "$out/cues.txt" --actions "$out/act.txt" \
        --lyrics "en=$out/en.srt" --lyrics "fr=$out/fr.vtt" --lyrics "de=$out/de.lrc"
    # the cut log holds the cuts only: the cue's a at 0, the manual b at 0, none at 25 (b is on), the go cut a at
    # 60 (the press at 52 fired the go sub), the end
    python3 - "$out/take/cuts.jsonl" <<'PY'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
got = [(e["type"], e["frame"], e["camera"], e["origin"]) for e in ev]
want = [("cut", 0, "a", "cue"), ("cut", 0, "b", "manual"), ("cut", 60, "a", "go"), ("end", 100, "a", "duration")]
assert got == want, "cuts.jsonl %s, expected %s" % (got, want)
PY
    grep -q '"subtitle_lines"' "$out/take/take.json" || fail "take.json has no subtitle_lines"
    [ "$(json_int "$out/take/take.json" ko)" = 2 ] || fail "take.json: ko lines $(json_int "$out/take/take.json" ko)"
    rc=0
    json=$out/verify.json
    "$onetake" verify "$out/take" --pubkey "$key.pub" --json >"$json" 2>/dev/null || rc=$?
    expect_verify 0 UNCUT
    grep -q 'subtitles ko track (payload hash, pts, key flag, duration)' "$json" || fail "verify did not check ko"
    # replay: the same subtitle tracks (every packet's stream, time, duration and bytes)
    rc=0
    "$onetake" replay "$out/take" --out "$out/replay" -q >"$out/replay.log" 2>&1 || rc=$?
    expect_exit 0 "$rc" "replay (see $out/replay.log)"
    for d in take replay; do
        ffprobe -v error -select_streams s -show_entries packet=stream_index,pts,duration,size -show_data \
            -of compact "$out/$d/program.mkv" >"$out/$d.subpkts"
        ffprobe -v error -show_entries stream=index,codec_name:stream_tags=language,ROLE -of compact \
            "$out/$d/program.mkv" >"$out/$d.streams"
    done
    [ "$(wc -l <"$out/take.subpkts")" -eq 11 ] || fail "the take has $(wc -l <"$out/take.subpkts") subtitle packets"
    cmp "$out/take.subpkts" "$out/replay.subpkts" || fail "the replay's subtitle packets differ"
    cmp "$out/take.streams" "$out/replay.streams" || fail "the replay's tracks differ"
    python3 "$check" --take "$out/replay" --fps 25 --frames 100 --cues "$out/cues.txt" --actions "$out/act.txt" \
        --lyrics "en=$out/en.srt" --lyrics "fr=$out/fr.vtt" --lyrics "de=$out/de.lrc"
    ;;
ntsc)
    clips 30000/1001
    cat >"$out/cues.txt" <<'CUES'
00:00:00;00  cut  a
00:00:00;15  sub.en  "first"
00:00:01;00  cut  b
00:00:02;29  sub.en  "second"
00:00:03;10  sub.en-clear
CUES
    printf '1\n00:00:00,500 --> 00:00:01,001\nhalf\n\n2\n00:00:01,518 --> 00:00:03,003\nms\n' >"$out/ja.srt"
    record "$out/take" --fps 30000/1001 --duration 4 --cues "$out/cues.txt" --lyrics "ja=$out/ja.srt"
    python3 "$check" --take "$out/take" --fps 30000/1001 --frames 120 --cues "$out/cues.txt" \
        --lyrics "ja=$out/ja.srt"
    rc=0
    json=$out/verify.json
    "$onetake" verify "$out/take" --pubkey "$key.pub" --json >"$json" 2>/dev/null || rc=$?
    expect_verify 0 UNCUT
    ;;
tamper)
    tracks_take
    # 1. a byte of a line's text changed in place
    cp -r "$out/take" "$out/edited"
    python3 - "$out/edited/program.mkv" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
i = b.find(b"lyric two")
assert i > 0 and b.find(b"lyric two", i + 1) < 0, "the line's bytes are not in the file once"
b[i] = ord("L")
open(p, "wb").write(b)
PY
    rc=0
    json=$out/edited.json
    "$onetake" verify "$out/edited" --pubkey "$key.pub" --json >"$json" 2>/dev/null || rc=$?
    # the program's pass reads every byte of the file against its FILE records first
    expect_verify 1 INVALID file-bytes file=program.mkv
    # 2. a remux that drops the en track's second line (ffmpeg copies every other packet as it is)
    ffmpeg -v error -i "$out/take/program.mkv" -map 0:3 -c:s copy -f srt "$out/en_all.srt"
    python3 - "$out/en_all.srt" "$out/en_cut.srt" <<'PY'
import re, sys
blocks = re.split(r"\n\s*\n", open(sys.argv[1]).read().strip())
assert len(blocks) == 2, blocks
open(sys.argv[2], "w").write(blocks[0] + "\n\n")
PY
    ffmpeg -v error -i "$out/take/program.mkv" -i "$out/en_cut.srt" -map 0:0 -map 0:1 -map 0:2 -map 1:0 -map 0:4 \
        -map 0:5 -c copy -metadata:s:3 language=en "$out/remux.mkv"
    rc=0
    json=$out/remux.json
    "$onetake" verify "$out/take" --master "$out/remux.mkv" --pubkey "$key.pub" --json >"$json" 2>/dev/null || rc=$?
    expect_verify 1 INVALID file-truncated frame=51
    ;;
multiview)
    command -v Xvfb >/dev/null || { echo "SKIP: Xvfb is not installed (package xvfb)"; exit 77; }
    # shellcheck source=ui_lib.sh
    . "$(dirname "$0")/ui_lib.sh"
    start_xvfb "$out"
    clips 25
    cat >"$out/cues.txt" <<'CUES'
0   cut  a
10  sub     "one"
40  sub     "two \"2\""
40  sub.ko  "하나"
60  sub-clear
70  sub     "three"
CUES
    printf '1
00:00:00,800 --> 00:00:02,000
lyric one

2
00:00:03,000 --> 00:00:03,600
lyric two
' >"$out/en.srt"
    window=--realtime record "$out/take" --fps 25 --duration 4 --cues "$out/cues.txt" --lyrics "en=$out/en.srt" \
        --screenshot "$out/shot.png" --screenshot-at 50
    [ -s "$out/shot.png" ] && [ -s "$out/shot.png.json" ] || fail "no screenshot or no shot.png.json"
    python3 - "$out/shot.png.json" "$out/cues.txt" "$out/en.srt" "$(dirname "$0")" <<'PY'
import json, subprocess, sys
shot = json.load(open(sys.argv[1]))
f = shot["frame"]
sys.path.insert(0, sys.argv[4])
import check_subs
from fractions import Fraction
class A: pass
a = A(); a.cues = sys.argv[2]; a.actions = None; a.lyrics = ["en=" + sys.argv[3]]; a.frames = 100
want = check_subs.expected(a, Fraction(25))
got = {s["lang"]: (s["now"], s["next"]) for s in shot["subtitles"]}
assert sorted(got) == sorted(want), (got, want)
for lang, lines in want.items():
    now = [t for s, e, t in lines if s <= f < e]
    nxt = [t for s, e, t in lines if s > f]
    exp = (now[0] if now else None, nxt[0] if nxt else None)
    assert got[lang] == exp, "frame %d, %s: window shows %s, expected %s" % (f, lang, got[lang], exp)
print("ok: the multiview at frame %d shows %s" % (f, got))
PY
    ;;
bad)
    clips 25
    bad() { # WANT_RC WHERE ARGS...: refused with exit WANT_RC, WHERE (file:line:col) on stderr, no take
        local want=$1 where=$2 rc=0 dir=$out/t$RANDOM
        shift 2
        "$onetake" record --headless -q --key "$key" --cam "a=$out/a.mkv" --size 320x180 --fps 25 --codec ffv1 \
            --duration 1 --out "$dir" "$@" >"$out/bad.out" 2>"$out/bad.err" || rc=$?
        expect_exit "$want" "$rc" "record $* (stderr: $(cat "$out/bad.err"))"
        grep -qF -- "$where" "$out/bad.err" || fail "record $*: stderr does not name $where: $(cat "$out/bad.err")"
        no_take_left "$dir"
        [ ! -e "$dir" ] || [ -z "$(ls -A "$dir")" ] || fail "record $*: $dir is not empty"
        echo "ok: refused ($want): $where"
    }
    c=$out/c.txt
    printf '0 cut a\n00:00:00:10 sub\n' >"$c"
    bad 1 "$c:2:16: error: sub needs its text in double quotes" --cues "$c"
    printf '0 cut a\n10 sub.ko  a b\n' >"$c"
    bad 1 "$c:2:12: error: sub.ko needs its text" --cues "$c"
    printf '10 sub ""\n' >"$c"
    bad 1 "$c:1:8: error: an empty subtitle line" --cues "$c"
    printf '10 sub.k_o "x"\n' >"$c"
    bad 1 "$c:1:8: error: bad subtitle language" --cues "$c"
    printf '10 sub "x"\n5 sub "y"\n' >"$c"
    bad 1 "$c:2:1: error:" --cues "$c"
    l=$out/l.srt
    printf '1\n00:00:00,100 --> 00:00:00,500\na\n\n2\n00:00:00,400 --> 00:00:00,900\nb\n' >"$l"
    bad 1 "$l:6:1: error: this entry (from 00:00:00.400) overlaps the one at line 2" --lyrics "$l"
    printf '1\n00:00:00,600 --> 00:00:00,700\na\n\n2\n00:00:00,100 --> 00:00:00,200\nb\n' >"$l"
    bad 1 "$l:6:1: error: this entry (00:00:00.100) starts before the one at line 2" --lyrics "$l"
    l=$out/l.lrc
    printf '[00:00.50]a\n[00:00.30]b\n' >"$l"
    bad 1 "$l:2:1: error: this entry" --lyrics "ko=$l"
    printf '[00:00.50]a\n[0x:00.30]b\n' >"$l"
    bad 1 "$l:2:1: error: bad LRC" --lyrics "$l"
    printf '10 sub.ko "x"\n' >"$c"
    bad 1 "language ko already has sub cues in the cue list" --cues "$c" --lyrics "ko=$out/l.srt"
    bad 2 "--lyrics k0=x.srt: give [LANG=]FILE" --lyrics "k0=x.srt"
    bad 2 "cannot read \"$out/missing.srt\"" --lyrics "$out/missing.srt"
    ;;
*)
    fail "unknown case $case"
    ;;
esac
echo "PASS: subs $case"
