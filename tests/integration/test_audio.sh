#!/usr/bin/env bash
# Program audio for a music take (issue 20): bit depth, loudness, stems. Every expectation comes from the inputs
# (WAVs made by audio_tool.py with numpy) and from ffmpeg's own decode of program.mkv, never from onetake's numbers.
#   bits24    a 24-bit source with a -110 dBFS tone (below the 16-bit floor): program.mkv's FLAC is 24-bit, its
#             decode is the source sample for sample, the tone is there at -110 dBFS in its FFT
#   bits16    --audio-bits 16: 16-bit FLAC; a 16-bit source sample for sample; the -110 dBFS tone is gone (rounded
#             away, no dither: every sample 0); --audio-bits 20 refused before the roll, no take folder
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
*)
    fail "unknown case $case"
    ;;
esac
echo "ok: $case"
