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
*)
    fail "unknown case $case"
    ;;
esac
echo "ok: $case"
