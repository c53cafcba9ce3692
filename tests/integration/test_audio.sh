#!/usr/bin/env bash
# Program audio for a music take (issue 20): bit depth, loudness, stems. Every expectation comes from the inputs
# (WAVs made by audio_tool.py with numpy) and from ffmpeg's own decode of program.mkv, never from onetake's numbers.
#   bits24    a 24-bit source with a -110 dBFS tone (below the 16-bit floor): program.mkv's FLAC is 24-bit, its
#             decode is the source sample for sample, the tone is there at -110 dBFS in its FFT
#   bits16    --audio-bits 16: 16-bit FLAC; a 16-bit source sample for sample; the -110 dBFS tone is gone (rounded
#             away, no dither: every sample 0); --audio-bits 20 refused before the roll, no take folder
#   source_dies  a stem's live UDP source killed mid-take: the take goes on, the stem is the sender's tone then
#             silence (numpy on ffmpeg's decode), the silence declared in take.json and by verify
set -euo pipefail
onetake=$1 out=$2 case=$3
here=$(dirname "$0")
py=/usr/bin/python3 # Debian's, with python3-numpy (scripts/install-deps.sh)
tool="$py $here/audio_tool.py"
# shellcheck source=lib.sh
. "$here/lib.sh"
need_exe "$onetake"
if ! "$py" -c 'import numpy' 2>/dev/null; then
    echo "SKIP: python3-numpy is not installed (scripts/install-deps.sh)"
    exit 77
fi
fresh_dir "$out"
export XDG_CONFIG_HOME=$out/config
key=$out/station.key
"$onetake" keygen --out "$key" >/dev/null || fail "keygen failed"
small=(--headless --size 320x180 --fps 30/1 --key "$key" --codec ffv1 --cam a=test:ball)
take=$out/take

# record ARGS...: a take into $take, its output in $out/record.log.
record() {
    rm -rf "$take"
    "$onetake" record "${small[@]}" "$@" --out "$take" >"$out/record.log" 2>&1 ||
        { cat "$out/record.log"; fail "record $* failed"; }
}
# probe FIELD: ffprobe's FIELD of the program's first audio stream.
probe() {
    ffprobe -v error -select_streams a:0 -show_entries "stream=$1" -of default=nw=1:nk=1 "$take/program.mkv"
}
# verify_uncut: the take verifies UNCUT.
verify_uncut() {
    local rc=0
    "$onetake" verify "$take" --quiet --pubkey "$key.pub" >"$out/verify.log" 2>&1 || rc=$?
    expect_exit 0 $rc "verify of the take"
}

# audio_json EXPR: a value of take.json's audio object (Python expression on d).
audio_json() {
    $py -c 'import json,sys; d=json.load(open(sys.argv[1]))["audio"]; print('"$1"')' "$take/take.json"
}
# ours I|LRA|TP: take.json's integrated loudness, loudness range or true peak.
ours() {
    local k
    case $1 in I) k=integrated_lufs ;; LRA) k=range_lu ;; TP) k=true_peak_dbtp ;; esac
    audio_json "d['loudness']['$k']"
}
# loud I|LRA|TP WANT TOL: take.json's value is WANT within TOL.
loud() {
    local v
    v=$(ours "$1")
    echo "$1: $v (want $2 +/- $3)"
    awk -v v="$v" -v w="$2" -v t="$3" 'BEGIN { d = v - w; exit !(d <= t + 1e-9 && -d <= t + 1e-9) }' ||
        fail "$1 is $v, want $2 +/- $3"
}
# ffmpeg_agrees I|LRA|TP TOL: FFmpeg's own ebur128 filter on program.mkv reads what take.json says, within TOL.
ffmpeg_agrees() {
    local theirs
    ffmpeg -nostats -hide_banner -i "$take/program.mkv" -map 0:a:0 -af ebur128=peak=true -f null - 2>"$out/ebur128.log"
    case $1 in
    I) theirs=$(sed -n '/Summary:/,$p' "$out/ebur128.log" | awk '$1 == "I:" { print $2 }') ;;
    LRA) theirs=$(sed -n '/Summary:/,$p' "$out/ebur128.log" | awk '$1 == "LRA:" { print $2 }') ;;
    TP) theirs=$(sed -n '/Summary:/,$p' "$out/ebur128.log" | awk '$1 == "Peak:" { print $2 }') ;;
    esac
    [ -n "$theirs" ] || { cat "$out/ebur128.log"; fail "no $1 in ffmpeg's ebur128 summary"; }
    loud "$1" "$theirs" "$2"
}

case $case in
bits24)
    $tool tone "$out/low.wav" 24 4 997:-110 1499:-110
    record --duration 3 --audio-src "$out/low.wav"
    [ "$(probe codec_name)" = flac ] && [ "$(probe sample_fmt)" = s32 ] && [ "$(probe bits_per_raw_sample)" = 24 ] ||
        fail "program audio: $(probe codec_name) $(probe sample_fmt) $(probe bits_per_raw_sample)-bit, not 24-bit FLAC"
    $tool pcm "$take/program.mkv" 0 "$out/program.s32"
    $tool same "$out/low.wav" "$out/program.s32" 24 || fail "the 24-bit source is not in the master sample for sample"
    [ "$($tool low-bits "$out/program.s32")" -gt 100000 ] || fail "the master's low 16 bits are empty"
    read -r level peak < <($tool tone-level "$out/program.s32" 0 997)
    echo "left: 997 Hz at $level dBFS, strongest bin $peak Hz"
    awk -v l="$level" -v p="$peak" 'BEGIN { exit !(l > -110.5 && l < -109.5 && p == 997) }' ||
        fail "the -110 dBFS tone of the left channel reads $level dBFS (strongest bin $peak Hz)"
    read -r level peak < <($tool tone-level "$out/program.s32" 1 1499)
    awk -v l="$level" -v p="$peak" 'BEGIN { exit !(l > -110.5 && l < -109.5 && p == 1499) }' ||
        fail "the -110 dBFS tone of the right channel reads $level dBFS (strongest bin $peak Hz)"
    [ "$($py -c 'import json,sys; print(json.load(open(sys.argv[1]))["audio"]["bits"])' "$take/take.json")" = 24 ] ||
        fail "take.json does not say 24 bits"
    verify_uncut
    ;;
bits16)
    $tool tone "$out/cd.wav" 16 4 440:-20 1000:-6
    record --duration 3 --audio-src "$out/cd.wav" --audio-bits 16
    [ "$(probe sample_fmt)" = s16 ] && [ "$(probe bits_per_raw_sample)" = 16 ] ||
        fail "--audio-bits 16 made $(probe sample_fmt) $(probe bits_per_raw_sample)-bit FLAC"
    $tool pcm "$take/program.mkv" 0 "$out/program.s32"
    $tool same "$out/cd.wav" "$out/program.s32" 16 || fail "the 16-bit source is not in the 16-bit master exactly"
    verify_uncut
    $tool tone "$out/low.wav" 24 4 997:-110 1499:-110
    record --duration 3 --audio-src "$out/low.wav" --audio-bits 16
    $tool pcm "$take/program.mkv" 0 "$out/program.s32"
    n=$($py -c 'import numpy as np,sys; print(np.count_nonzero(np.fromfile(sys.argv[1], "<i4")))' "$out/program.s32")
    [ "$n" = 0 ] || fail "a -110 dBFS tone in a 16-bit master: $n nonzero samples (rounding gives none; dither?)"
    rc=0
    "$onetake" record "${small[@]}" --duration 1 --audio-src "$out/cd.wav" --audio-bits 20 --out "$out/bad" \
        >"$out/bad.log" 2>&1 || rc=$?
    expect_exit 2 $rc "--audio-bits 20"
    grep -q -- '--audio-bits 20: .*give 24 or 16' "$out/bad.log" || { cat "$out/bad.log"; fail "no clear error"; }
    [ ! -e "$out/bad" ] || fail "--audio-bits 20 left a take folder"
    ;;
loudness)
    # EBU Tech 3341 case 1: a 1 kHz sine at -23 dBFS on both channels is -23.0 LUFS; its true peak is -23.0 dBTP.
    $tool tone "$out/ebu.wav" 24 11 1000:-23 1000:-23
    record --duration 10 --audio-src "$out/ebu.wav" --loudness-target -14
    loud I -23.0 0.1
    loud TP -23.0 0.1
    loud LRA 0.0 0.1
    ffmpeg_agrees I 0.1
    ffmpeg_agrees TP 0.1
    off=$(audio_json "d['loudness']['off_target_lu']")
    awk -v o="$off" 'BEGIN { exit !(o > -9.1 && o < -8.9) }' || fail "off_target_lu $off, want -9.0 (-23 against -14)"
    grep -q 'loudness target -14.0 LUFS: the take is 9.0 LU below it' "$out/record.log" ||
        { cat "$out/record.log"; fail "the summary does not say how far the take is from --loudness-target"; }
    verify_uncut
    # True peak, not sample peak: a 6 kHz sine whose samples miss its crests by 0.69 dB (-6.69 dBFS sample peak).
    $tool tone "$out/tp.wav" 24 6 6000:-6:22.5 6000:-6:22.5
    sp=$($tool peak "$out/tp.wav")
    [ "$sp" = -6.69 ] || fail "the 6 kHz test signal's sample peak is $sp"
    record --duration 5 --audio-src "$out/tp.wav"
    loud TP -6.0 0.15
    ffmpeg_agrees I 0.1
    # Loudness range: 10 s at -20 dBFS then 10 s at -32: LRA 12 LU.
    $tool steps "$out/lra.wav" 1000 -20:10 -32:10.5
    record --duration 20 --audio-src "$out/lra.wav"
    loud LRA 12.0 0.5
    ffmpeg_agrees I 0.1
    ffmpeg_agrees LRA 0.1
    # Digital silence: no loudness (null in take.json, -inf in the summary).
    record --duration 2 --audio-src test:silence
    [ "$(audio_json "d['loudness']['integrated_lufs']")" = None ] || fail "silence has a loudness"
    grep -q 'program audio loudness: -inf LUFS integrated' "$out/record.log" || fail "silence: no -inf in the summary"
    rc=0
    "$onetake" record "${small[@]}" --duration 1 --audio-src test:sine --loudness-target loud --out "$out/bad" \
        >"$out/bad.log" 2>&1 || rc=$?
    expect_exit 2 $rc "--loudness-target loud"
    grep -q -- '--loudness-target loud: give the integrated loudness in LUFS' "$out/bad.log" ||
        { cat "$out/bad.log"; fail "no clear error"; }
    [ ! -e "$out/bad" ] || fail "--loudness-target loud left a take folder"
    ;;
stems)
    # Three stems and an 8-channel track beside the first track: 24-bit WAVs of their own tones, a camera file
    # carrying a stem in its own audio (cam:b), a mono one and a 7.1 one whose channels each have a tone.
    $tool tone "$out/vocals.wav" 24 4 440:-20 660:-20
    $tool tone "$out/bass.wav" 24 4 110:-12 165:-12
    $tool tone "$out/room.wav" 16 4 880:-30
    $tool tone "$out/surround.wav" 24 4 100:-20 200:-20 300:-20 400:-20 500:-20 600:-20 700:-20 800:-20
    ffmpeg -v error -y -f lavfi -i testsrc=size=320x180:rate=30 -i "$out/bass.wav" -t 3.5 -c:v ffv1 -c:a flac \
        -sample_fmt s32 "$out/camb.mkv"
    small+=(--cam "b=$out/camb.mkv")
    record --duration 3 --audio-src test:sine --audio-track "vocals=$out/vocals.wav" --audio-track bass=cam:b \
        --audio-channels 1 --audio-track "room=$out/room.wav" --audio-channels 8 \
        --audio-track "surround=$out/surround.wav"
    ffprobe -v error -select_streams a -show_entries stream=channels,channel_layout:stream_tags=title,ROLE \
        -of csv=p=0 "$take/program.mkv" >"$out/tracks.csv"
    cat "$out/tracks.csv"
    printf '%s\n' "2,stereo,program audio" "2,stereo,vocals,program audio vocals" "2,stereo,bass,program audio bass" \
        "1,mono,room,program audio room" "8,7.1,surround,program audio surround" | diff - "$out/tracks.csv" ||
        fail "program.mkv's audio tracks (channels, layout, title, ROLE) are not the ones asked for"
    [ "$(mkvinfo "$take/program.mkv" | grep -c 'Language: und')" = 6 ] || fail "a track's language is not und"
    # Every track exactly frames x 48000 / fps samples, the frames counted by ffprobe in the video track.
    frames=$(ffprobe -v error -select_streams v:0 -count_packets -show_entries stream=nb_read_packets -of csv=p=0 \
        "$take/program.mkv")
    want=$((frames * 48000 / 30))
    for k in 0 1 2 3 4; do
        $tool pcm "$take/program.mkv" $k "$out/track$k.s32"
        ch=$(sed -n "$((k + 1))p" "$out/tracks.csv" | cut -d, -f1)
        got=$(($(stat -c %s "$out/track$k.s32") / 4 / ch))
        echo "track $((k + 1)): $got samples, $ch channels"
        [ "$got" = "$want" ] || fail "audio track $((k + 1)) has $got samples, $frames frames need $want"
    done
    # Each stem is its source sample for sample (channel order included), the camera's own audio too.
    $tool same "$out/vocals.wav" "$out/track1.s32" 24 || fail "vocals is not its source"
    $tool same "$out/bass.wav" "$out/track2.s32" 24 || fail "bass (camera b's audio) is not its source"
    $tool same "$out/room.wav" "$out/track3.s32" 16 || fail "room (mono) is not its source"
    $tool same "$out/surround.wav" "$out/track4.s32" 24 || fail "surround (7.1) is not its source"
    $py -c '
import json, sys
t = json.load(open(sys.argv[1]))["audio_tracks"]
got = [(x["track"], x.get("title"), x["channels"], x.get("layout"), x["samples"], x["silence_samples"]) for x in t]
want = [(1, None, 2, "stereo"), (2, "vocals", 2, "stereo"), (3, "bass", 2, "stereo"), (4, "room", 1, "mono"),
        (5, "surround", 8, "7.1")]
want = [w + (int(sys.argv[2]), 0) for w in want]
assert got == want, got
assert t[2]["from"] == "camera b", t[2]
' "$take/take.json" "$want" || fail "take.json audio_tracks"
    verify_uncut
    for role in "program audio" "program audio vocals" "program audio bass" "program audio room" \
        "program audio surround"; do
        grep -q "the $role track is continuous" "$out/verify.log" || fail "verify did not check the $role track"
    done
    # A block of bass (Matroska track 4) cut out: INVALID, naming the track.
    k=$($py "$here/live_tool.py" block-of-track "$take/program.mkv" 4 40)
    $py "$here/proof_tool.py" mkv-drop "$take/program.mkv" "$out/cut.mkv" "$k"
    rc=0
    "$onetake" verify "$take" --master "$out/cut.mkv" --quiet --pubkey "$key.pub" >"$out/cut.log" 2>&1 || rc=$?
    expect_exit 1 $rc "verify of a master with a bass block removed"
    cat "$out/cut.log"
    grep -q 'INVALID' "$out/cut.log" && grep -q 'program audio bass sample [0-9]* (.*) is missing' "$out/cut.log" ||
        fail "the removed bass block is not reported INVALID naming the track"
    ;;
sync)
    # Two cameras that flash a white frame and click their audio at the same instant: A every second, B every
    # second at +0.5 s, B's audio stream starting 0.5 s after its video in the container (placed by timestamp).
    # A 2-minute take with audio following video across 16 cuts: in the program and in each ISO every flash frame
    # has its click within 48 samples (1 ms) of the frame's time, every click its flash, no drift to the end.
    flash="color=black:s=320x180:r=30,format=yuv420p,drawbox=x=0:y=0:w=iw:h=ih:color=white:t=fill"
    click="if(eq(mod(n\\,48000)\\,0)\\,0.9\\,0)"
    ffmpeg -v error -y -f lavfi -i "$flash:enable='eq(mod(n\,30)\,0)'" -f lavfi -i "aevalsrc='$click|$click':s=48000" \
        -t 125 -c:v ffv1 -c:a flac -sample_fmt s32 "$out/A.mkv"
    ffmpeg -v error -y -f lavfi -i "$flash:enable='eq(mod(n+15\,30)\,0)'" -itsoffset 0.5 \
        -f lavfi -i "aevalsrc='$click|$click':s=48000" -t 125 -c:v ffv1 -c:a flac -sample_fmt s32 "$out/B.mkv"
    # The checker can fail: a copy of A whose audio is 2 ms (96 samples) late.
    ffmpeg -v error -y -i "$out/A.mkv" -t 5 -af adelay=2 -c:v copy -c:a flac -sample_fmt s32 "$out/late.mkv"
    if $tool sync "$out/late.mkv" 30 48 3 >"$out/late.log" 2>&1; then
        fail "the sync check passed audio 96 samples late: $(cat "$out/late.log")"
    fi
    for i in $(seq 0 16); do
        echo "$((i * 211)) cut $([ $((i % 2)) = 0 ] && echo A || echo B)"
    done >"$out/sync.cues"
    small=(--headless --size 320x180 --fps 30/1 --key "$key" --codec ffv1 --cam "A=$out/A.mkv" --cam "B=$out/B.mkv")
    record --duration 120 --cues "$out/sync.cues" --afv --iso
    $tool sync "$take/program.mkv" 30 48 110 || fail "program: a click is not at its flash"
    $tool sync "$take/iso/A.mkv" 30 48 120 || fail "iso/A.mkv: a click is not at its flash"
    $tool sync "$take/iso/B.mkv" 30 48 120 || fail "iso/B.mkv: a click is not at its flash"
    for cam in A B; do
        [ "$(ffprobe -v error -select_streams a:0 -show_entries stream=codec_name,sample_fmt,bits_per_raw_sample \
            -of csv=p=0 "$take/iso/$cam.mkv")" = flac,s32,24 ] || fail "iso/$cam.mkv has no 24-bit FLAC audio"
    done
    verify_uncut
    grep -q 'the iso A audio track is continuous' "$out/verify.log" || fail "verify did not check iso A's audio"
    grep -q 'the iso B audio track is continuous' "$out/verify.log" || fail "verify did not check iso B's audio"
    # Copy ISOs: the cameras' own audio packets, remuxed: the same packets (framemd5) from the file's start, still
    # at their flashes (B's 0.5 s late start kept: the check pads from take time 0).
    record --duration 20 --cues "$out/sync.cues" --afv --iso --iso-codec copy
    for cam in A B; do
        $tool sync "$take/iso/$cam.mkv" 30 48 20 || fail "copy iso/$cam.mkv: a click is not at its flash"
        for f in src:"$out/$cam.mkv" iso:"$take/iso/$cam.mkv"; do
            ffmpeg -v error -i "${f#*:}" -map 0:a -c copy -f framemd5 - | grep -v '^#' | awk -F, '{ print $6 }' \
                >"$out/md5.$cam.${f%%:*}"
        done
        n=$(wc -l <"$out/md5.$cam.iso")
        [ "$n" -ge 40 ] || fail "copy iso/$cam.mkv has only $n audio packets"
        head -n "$n" "$out/md5.$cam.src" | diff -q - "$out/md5.$cam.iso" >/dev/null ||
            fail "copy iso/$cam.mkv: its $n audio packets are not the camera's own first $n"
    done
    verify_uncut
    grep -q "the iso A audio track is the camera's own" "$out/verify.log" || fail "verify did not list iso A's audio"
    ;;
replay)
    # onetake replay re-makes every program audio track from the ISOs: packet for packet the take's (ffmpeg's
    # framemd5 of each audio track of both masters), with FFV1 ISOs and with copy ISOs (the cameras' AAC and Opus
    # packets remuxed, decoded again by the replay), for a camera's track, stems and afv.
    $tool tone "$out/v.wav" 24 8 440:-20 660:-20
    ffmpeg -v error -y -f lavfi -i testsrc=size=320x180:rate=30 -i "$out/v.wav" -t 7 -c:v ffv1 -c:a flac \
        -sample_fmt s32 "$out/flac.mkv"
    ffmpeg -v error -y -f lavfi -i testsrc=size=320x180:rate=30 -f lavfi -i sine=f=500:r=48000 -t 7 -c:v libx264 \
        -preset ultrafast -c:a aac -b:a 128k "$out/aac.mp4"
    # Opus in WebM as GStreamer makes it (the pictures from 0, the first Opus packet its pre-skip before).
    gst-launch-1.0 -q videotestsrc num-buffers=210 ! video/x-raw,width=320,height=180,framerate=30/1 \
        ! vp8enc deadline=1 ! queue ! webmmux name=mux ! filesink location="$out/opus.webm" \
        audiotestsrc num-buffers=330 samplesperbuffer=1024 wave=sine freq=700 ! audio/x-raw,rate=48000,channels=2 \
        ! opusenc ! queue ! mux. || fail "gst-launch could not make the Opus camera"
    small=(--headless --size 320x180 --fps 30/1 --key "$key" --codec ffv1 --cam "f=$out/flac.mkv"
        --cam "a=$out/aac.mp4" --cam "o=$out/opus.webm")
    printf '0 cut f\n40 cut a\n90 cut o\n130 cut f\n' >"$out/replay.cues"
    same_audio() { # WHAT: the replay says identical, and ffmpeg finds every audio packet of both masters the same
        grep -q 'packets bit-identical to the take' "$out/replay.log" || { cat "$out/replay.log"; fail "$1: replay"; }
        for d in "$take" "$out/replay"; do
            ffmpeg -v error -i "$d/program.mkv" -map 0:a -c copy -f framemd5 - | grep -v '^#' >"$d.md5"
        done
        [ "$(wc -l <"$take.md5")" -ge 100 ] || fail "$1: too few audio packets"
        cmp -s "$take.md5" "$out/replay.md5" || fail "$1: the replay's audio packets are not the take's"
        echo "$1: $(wc -l <"$take.md5") audio packets identical"
    }
    replay() {
        rm -rf "$out/replay"
        "$onetake" replay "$take" --out "$out/replay" >"$out/replay.log" 2>&1 ||
            { cat "$out/replay.log"; fail "replay failed"; }
    }
    for iso in ffv1 copy; do
        record --duration 5 --cues "$out/replay.cues" --iso --iso-codec $iso --audio a --audio-track f=cam:f \
            --audio-channels 1 --audio-track o=cam:o
        replay
        same_audio "$iso ISOs, three camera tracks"
        record --duration 5 --cues "$out/replay.cues" --iso --iso-codec $iso --afv
        replay
        same_audio "$iso ISOs, afv"
    done
    # A track from a source of its own is in no ISO: the replay says so and makes no audio.
    record --duration 2 --iso --audio-src test:sine
    replay
    grep -q 'program audio track 1 comes from source test:sine, which is not in the ISOs' "$out/replay.log" ||
        { cat "$out/replay.log"; fail "replay did not say why it made no audio"; }
    [ -z "$(ffprobe -v error -select_streams a -show_entries stream=index -of csv=p=0 "$out/replay/program.mkv")" ] ||
        fail "the replay made audio it could not re-make"
    ;;
stems_refused)
    # Each refused before the roll: exit code, a message saying what to fix, no take folder.
    ffmpeg -v error -y -f lavfi -i testsrc=size=320x180:rate=30 -t 2 -c:v ffv1 "$out/pictures.mkv"
    echo "not audio" >"$out/text.txt"
    many=()
    for i in $(seq 17); do many+=(--audio-track "t$i=test:sine"); done
    refused() { # WANT_RC PATTERN ARGS...
        local want=$1 pattern=$2 rc=0
        shift 2
        rm -rf "$out/bad"
        "$onetake" record "${small[@]}" --duration 1 "$@" --out "$out/bad" >"$out/bad.log" 2>&1 || rc=$?
        expect_exit "$want" $rc "record $*"
        grep -q -- "$pattern" "$out/bad.log" || { cat "$out/bad.log"; fail "record $*: no clear error"; }
        [ ! -e "$out/bad" ] || fail "record $*: a take folder was left"
        echo "refused: $*"
    }
    refused 2 'camera a is test:ball, which carries no audio' --audio-track x=cam:a
    refused 2 'no camera "nope"' --audio-track x=cam:nope
    refused 1 "x=cam:c: the camera's source has no audio stream" --cam "c=$out/pictures.mkv" --audio-track x=cam:c
    refused 2 '17 program audio tracks: at most 16' "${many[@]}"
    refused 2 '17 program audio tracks: at most 16 (16 --audio-track and the one of --audio' --audio-src test:sine \
        "${many[@]:2}"
    # Sixteen in all is the most, and is taken.
    record --duration 1 --audio-src test:sine "${many[@]:4}"
    n=$(ffprobe -v error -select_streams a -show_entries stream=index -of csv=p=0 "$take/program.mkv" | wc -l)
    [ "$n" = 16 ] || fail "16 program audio tracks asked for, program.mkv has $n"
    verify_uncut
    refused 2 '--audio-channels 3: a program audio track has 1 (mono), 2 (stereo), 6 (5.1) or 8 (7.1)' \
        --audio-channels 3 --audio-track x=test:sine
    refused 1 "x=$out/text.txt: the source did not start" --audio-src test:sine --audio-track "x=$out/text.txt"
    refused 2 'file not found' --audio-track x=/nonexistent/x.wav
    refused 2 'track "x" is given twice' --audio-track x=test:sine --audio-track x=test:ticks
    refused 2 'is not a track name' --audio-track "x y=test:sine"
    ;;
source_dies)
    # A stem's live source dies mid-take (its UDP sender killed, never back): the take goes on to its end, the stem
    # keeps exactly frames x 1600 samples, the sender's tone up to the loss and silence after it, the silence
    # declared (take.json, verify's audio-gap with the same count); the first track is untouched.
    command -v gst-launch-1.0 >/dev/null || fail "gst-launch-1.0 is missing (scripts/install-deps.sh)"
    port=${4:-19070} # tests use 19000-19499: this one is audio_source_dies's
    gst-launch-1.0 -q audiotestsrc is-live=true wave=sine freq=100 volume=0.5 ! audio/x-raw,rate=48000,channels=2 \
        ! audioconvert ! avenc_aac ! aacparse ! mpegtsmux ! udpsink host=127.0.0.1 port="$port" &
    sender=$!
    (sleep 2.5 && kill $sender 2>/dev/null) &
    killer=$!
    rm -rf "$take"
    rc=0
    timeout 60 "$onetake" record "${small[@]}" --cam b=test:smpte --realtime --duration 5 --audio-src test:sine \
        --audio-track "bass=udp://127.0.0.1:$port" --out "$take" >"$out/record.log" 2>&1 || rc=$?
    kill $sender 2>/dev/null || true
    wait $killer 2>/dev/null || true
    expect_exit 0 $rc "the take whose stem's source died"
    frames=$(ffprobe -v error -select_streams v:0 -count_packets -show_entries stream=nb_read_packets -of csv=p=0 \
        "$take/program.mkv")
    [ "$frames" = 150 ] || fail "the take stopped at $frames frames, not 150"
    for t in 0 1; do
        ffmpeg -v error -i "$take/program.mkv" -map 0:a:$t -f s32le -c:a pcm_s32le "$out/track$t.raw"
    done
    $py - "$out/track0.raw" "$out/track1.raw" "$take/take.json" "$frames" <<'PY' >"$out/silence.txt" || fail "the stem is not what was sent"
import json, sys
import numpy as np
first, stem = (np.frombuffer(open(p, "rb").read(), dtype=np.int32).reshape(-1, 2) for p in sys.argv[1:3])
frames = int(sys.argv[4])
for name, a in (("first", first), ("bass", stem)):
    if len(a) != frames * 1600:
        sys.exit("%s track: %d samples for %d frames, not %d" % (name, len(a), frames, frames * 1600))
def zero_runs(a):
    z = np.concatenate([[0], (a[:, 0] == 0) & (a[:, 1] == 0), [0]]).astype(int)
    d = np.diff(z)
    return [(int(s), int(e - s)) for s, e in zip(np.where(d == 1)[0], np.where(d == -1)[0]) if e - s > 48]
if zero_runs(first):
    sys.exit("the first track has silence %r" % zero_runs(first))
runs = zero_runs(stem)
# The sender was killed 2.5 s after it started (the take rolled about as it did): one run of silence, from a time
# between 1 s and 4 s, to the end of the take.
if len(runs) != 1 or runs[0][0] + runs[0][1] != len(stem) or not 48000 <= runs[0][0] <= 4 * 48000:
    sys.exit("the stem's silence is %r, not one run from the loss to the end" % runs)
loss = runs[0][0]
# Before the loss: the sender's 100 Hz tone (FFT peak), at about half scale (AAC round trip).
head = stem[:loss, 0].astype(float) / 2**31
spec = np.abs(np.fft.rfft(head * np.hanning(len(head))))
peak = np.argmax(spec) * 48000.0 / len(head)
if abs(peak - 100) > 2 or not 0.3 < np.abs(head).max() < 0.7:
    sys.exit("before the loss the stem is not the sender's tone: peak %.1f Hz, level %.2f" % (peak, np.abs(head).max()))
t = [x for x in json.load(open(sys.argv[3]))["audio_tracks"] if x.get("title") == "bass"]
if len(t) != 1 or t[0]["silence_samples"] != runs[0][1]:
    sys.exit("take.json says %r, the decode has %d samples of silence" % (t, runs[0][1]))
print(runs[0][1])
PY
    silence=$(cat "$out/silence.txt")
    echo "the stem's source died at sample $((frames * 1600 - silence)): $silence samples of silence"
    json=$out/verify.json
    rc=0
    "$onetake" verify "$take" --pubkey "$key.pub" --json -q >"$json" || rc=$?
    expect_verify 0 UNCUT_WITH_DECLARED_ANOMALIES
    $py - "$json" "$silence" <<'PY' || fail "verify does not declare the stem's silence"
import json, re, sys
d = json.load(open(sys.argv[1]))
gaps = [re.fullmatch(r"audio-gap \((\d+) samples\)", a) for a in d["anomalies"]]
if not all(gaps) or sum(int(g.group(1)) for g in gaps) != int(sys.argv[2]):
    sys.exit("declared: %r, want audio-gap (%s samples)" % (d["anomalies"], sys.argv[2]))
PY
    ;;
*)
    fail "unknown case $case"
    ;;
esac
echo "ok: $case"
