#!/bin/bash
# test_finalize.sh ONETAKE SAMPLES_DIR CUES_DIR OUT_DIR CASE
#
# Finished masters (issue 13): at a clean close every Matroska file of the take gets Cues, a Segment size, a
# Duration and a SeekHead entry for the Cues, patched in place; the take log's PATCH record says so and verify
# checks it. Oracles are other tools: ffprobe (duration), mkvinfo (cue points), ffmpeg (seek), mediaconch -mc
# (conformance), and expectations computed from the inputs (frames / fps, the input's own frame at 30 s).
set -euo pipefail
onetake=$1 samples=$2 cues=$3 out=$4 case=$5
here=$(dirname "$0")
# shellcheck source=lib.sh
. "$here/lib.sh"
need_exe "$onetake"
need_samples "$samples"
fresh_dir "$out"
export XDG_CONFIG_HOME=$out/config
key=$out/station.key
"$onetake" keygen --out "$key" >"$out/keygen.log" || fail "keygen failed"
mapfile -t cams < <(cam_args "$samples")

# expect_duration FILE SECONDS: ffprobe's format duration, to the microsecond it prints.
expect_duration() {
    local got
    got=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$1")
    [ "$got" = "$2" ] || fail "$1: ffprobe duration $got, expected $2"
}
# expect_cues FILE MIN: mkvinfo lists at least MIN cue points.
expect_cues() {
    local n
    n=$(mkvinfo -v -v "$1" | grep -c "Cue point at" || true)
    [ "$n" -ge "$2" ] || fail "$1: mkvinfo lists $n cue points, expected at least $2"
}
expect_conformant() {
    # A home of its own: mediaconch keeps a database there, locked by a concurrent run.
    mkdir -p "$out/mchome"
    HOME=$out/mchome XDG_DATA_HOME=$out/mchome XDG_CONFIG_HOME=$out/mchome mediaconch -mc "$1" >"$out/mc.txt" 2>&1 ||
        true
    grep -q "^pass! " "$out/mc.txt" || { cat "$out/mc.txt"; fail "$1: mediaconch -mc reports a failure"; }
}
# verify_take DIR WANT_RC: sets $json.
verify_take() {
    json=$out/verify.json
    rc=0
    "$onetake" verify "$1" --json --quiet --pubkey "$key.pub" >"$json" 2>"$out/verify.err" || rc=$?
    [ "$rc" = "$2" ] || { cat "$json"; fail "verify exited $rc, expected $2"; }
}
check_finished() { # DIR SECONDS (empty: not checked) MIN_CUES
    local dir=$1 seconds=$2 min_cues=${3:-3}
    for f in "$dir/program.mkv" "$dir"/iso/*.mkv; do
        [ -f "$f" ] || continue
        mkvinfo "$f" | grep -q "Segment: size unknown" && fail "$f is still in its streaming form"
        expect_conformant "$f"
        [ -n "$seconds" ] && expect_duration "$f" "$seconds"
        expect_cues "$f" "$min_cues"
    done
    verify_take "$dir" 0
    grep -q '"finalized" : true' "$json" || fail "verify does not say finalized"
    # Into a file first: grep -q leaving early would make a longer report die of SIGPIPE under pipefail.
    "$onetake" verify "$dir" --pubkey "$key.pub" >"$out/verify.txt" || fail "verify (text) failed"
    grep -q "finalized: yes" "$out/verify.txt" || fail "no 'finalized: yes'"
}

record() {
    local dir=$1
    shift
    "$onetake" record --headless --size 320x180 --fps 30/1 --key "$key" --out "$dir" "$@" >"$dir.log" 2>&1 ||
        { cat "$dir.log"; fail "onetake record $dir failed"; }
}

# patch_range TAKE FILE LEN: offset of the PATCH record's range of LEN bytes for FILE (from take.log's text).
patch_range() {
    python3 - "$1/take.log" "$2" "$3" <<'EOF'
import json, re, sys
log = open(sys.argv[1], 'rb').read().decode('utf-8', 'replace')
for m in re.finditer(r'\{"t":"PATCH".*?\]\}', log):
    r = json.loads(m.group(0))
    if r['file'] == sys.argv[2]:
        print([x['off'] for x in r['ranges'] if x['len'] == int(sys.argv[3])][0])
        break
EOF
}
flip() { # flip FILE OFFSET
    python3 -c "import sys
f=open(sys.argv[1],'r+b'); f.seek(int(sys.argv[2])); b=f.read(1); f.seek(int(sys.argv[2])); f.write(bytes([b[0]^0x55]))" "$1" "$2"
}

case $case in
ffv1_60s)
    # A 60 s master of an FFV1 camera file (lossless all the way), its ISOs and program audio.
    ffmpeg -v error -f lavfi -i testsrc2=size=320x180:rate=30 -t 60 -pix_fmt yuv420p -c:v ffv1 "$out/cam.mkv"
    record "$out/take" --cam a="$out/cam.mkv" --cam b=test:smpte --codec ffv1 --duration 60 --iso \
        --audio-src test:sine
    check_finished "$out/take" "$(python3 -c 'print("%.6f" % (round(60 * 30) / 30))')"
    # -ss 30 on the master lands on input frame 900 (take frame k is the camera's frame k: no cut).
    frame() { ffmpeg -v error "$@" -frames:v 1 -f rawvideo -pix_fmt yuv420p - | md5sum | cut -d' ' -f1; }
    got=$(frame -ss 30 -i "$out/take/program.mkv")
    want=$(frame -i "$out/cam.mkv" -vf 'select=eq(n\,900)')
    before=$(frame -i "$out/cam.mkv" -vf 'select=eq(n\,899)')
    after=$(frame -i "$out/cam.mkv" -vf 'select=eq(n\,901)')
    [ "$want" != "$before" ] && [ "$want" != "$after" ] || fail "the input's frames 899..901 are not distinct"
    [ "$got" = "$want" ] || fail "ffmpeg -ss 30 on the master does not give the input's frame 900"
    ;;
h264)
    record "$out/take" "${cams[@]}" --cues "$cues/simple.cues" --codec h264 --duration 4 --iso --iso-codec h264
    check_finished "$out/take" "4.000000"
    ;;
copy)
    record "$out/take" "${cams[@]}" --cues "$cues/simple.cues" --codec h264 --duration 4 --iso --iso-codec copy
    check_finished "$out/take" "" 1 # a copy has the camera file's key frames only (2 s apart in handheld.webm)
    expect_duration "$out/take/program.mkv" "4.000000"
    for i in "${!cam_names[@]}"; do
        iso=$out/take/iso/${cam_names[$i]}.mkv
        # Its own packets at the camera's rate: n frames / fps, to Matroska's millisecond.
        n=$(ffprobe -v error -select_streams v -count_packets -show_entries stream=nb_read_packets -of csv=p=0 "$iso")
        fps=$(ffprobe -v error -select_streams v -show_entries stream=r_frame_rate -of csv=p=0 "$samples/${cam_files[$i]}")
        # The pictures' end (the last video packet's pts + duration): the camera's own audio, remuxed too, may
        # reach a packet further.
        got=$(ffprobe -v error -select_streams v -show_entries packet=pts_time,duration_time -of csv=p=0 "$iso" |
            awk -F, '$1 + $2 > m { m = $1 + $2 } END { printf "%.6f\n", m }')
        python3 -c "import sys; n,f,g=int(sys.argv[1]),sys.argv[2],float(sys.argv[3]); a,b=map(int,f.split('/'))
sys.exit(0 if abs(g - n*b/a) <= 0.001 else 1)" "$n" "$fps" "$got" || fail "$iso: duration $got, expected $n / $fps"
    done
    ;;
tamper_inside | tamper_beside)
    record "$out/take" "${cams[@]}" --cues "$cues/simple.cues" --codec ffv1 --duration 2
    off=$(patch_range "$out/take" program.mkv 11) # the Duration
    [ -n "$off" ] || fail "no PATCH record for program.mkv"
    if [ "$case" = tamper_inside ]; then
        at=$((off + 6))
        flip "$out/take/program.mkv" "$at"
        verify_take "$out/take" 1
        grep -q '"check" : "file-patch"' "$json" || fail "not a file-patch failure"
        grep -q "byte $at of program.mkv" "$json" || fail "the failure does not name byte $at"
    else
        flip "$out/take/program.mkv" $((off - 1)) # the last byte of Info's WritingApp, just before it
        verify_take "$out/take" 1
        grep -q '"check" : "file-bytes"' "$json" || fail "not a file-bytes failure"
        grep -q '"what" : "bytes 0\.\.' "$json" || fail "the failure does not name the range at offset 0"
    fi
    ;;
sigkill_salvage)
    "$onetake" record --headless --cam a=test:ball --cam b=test:smpte --size 320x180 --iso --audio-src test:sine \
        --key "$key" --out "$out/take" >"$out/take.log" 2>&1 &
    pid=$!
    sleep 3
    kill -9 $pid
    wait $pid || true
    verify_take "$out/take" 3
    grep -q '"verdict" : "PARTIAL_AUTHENTIC"' "$json" || fail "not PARTIAL_AUTHENTIC"
    mkvinfo "$out/take/program.mkv" | grep -q "Segment: size unknown" || fail "the crashed master is not streaming"
    sum_before=$(cd "$out/take" && find . -type f | sort | xargs sha256sum)
    "$onetake" archive "$out/take" --out "$out/bag" --salvage --key "$key" >"$out/archive.log" 2>&1 ||
        { cat "$out/archive.log"; fail "archive --salvage failed"; }
    sum_after=$(cd "$out/take" && find . -type f | sort | xargs sha256sum)
    [ "$sum_before" = "$sum_after" ] || fail "salvage changed the take folder"
    for f in "$out/bag/data/program.mkv" "$out/bag/data"/iso/*.mkv; do
        expect_conformant "$f"
        d=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$f")
        [ "$d" != "N/A" ] || fail "$f: no duration after salvage"
        expect_cues "$f" 1
    done
    grep -q "^Onetake-Salvage-Finished: program.mkv " "$out/bag/bag-info.txt" || fail "bag-info.txt does not record it"
    "$onetake" archive --check "$out/bag" --pubkey "$key.pub" >"$out/check.log" 2>&1 ||
        { cat "$out/check.log"; fail "archive --check refuses the salvaged bag"; }
    verify_take "$out/take" 3
    ;;
*)
    fail "unknown case $case"
    ;;
esac
echo "PASS: finalize $case"
