#!/bin/bash
# bench/audio.sh [--build DIR] [--seconds N] [--size WxH] [--tracks N]: what program audio costs a live take (issue
# 20): the same paced take of two test cameras (H.264 ultrafast program, no ISOs) with no audio, then with N
# stereo 24-bit FLAC tracks (the first from --audio-src, the rest --audio-track stems, every one metered for
# loudness with libebur128), each run under /usr/bin/time: CPU seconds (user + sys) against the take's length,
# peak RSS, and the frames that started late (record's own pacing line).
set -euo pipefail
build=build seconds=20 size=1920x1080 tracks=8
while [ $# -gt 0 ]; do
    case $1 in
    --build) build=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --size) size=$2; shift 2 ;;
    --tracks) tracks=$2; shift 2 ;;
    *) echo "usage: $0 [--build DIR] [--seconds N] [--size WxH] [--tracks N]" >&2; exit 2 ;;
    esac
done
[ -x /usr/bin/time ] || { echo "bench/audio.sh: /usr/bin/time is missing (apt-get install time)" >&2; exit 2; }
work=$build/bench-work/audio
rm -rf "$work"
mkdir -p "$work"
export XDG_CONFIG_HOME=$work/config
audio=(--audio-src test:sine)
for i in $(seq 2 "$tracks"); do audio+=(--audio-track "stem$i=test:sine"); done

# run NAME ARGS...: one take; prints NAME, CPU s, CPU % of one core over the take, peak RSS MiB, late frames.
run() {
    local name=$1
    shift
    /usr/bin/time -f '%U %S %M' -o "$work/$name.time" "$build/onetake" record --headless --realtime \
        --cam a=test:ball --cam b=test:smpte --size "$size" --fps 30/1 --codec h264 --preset ultrafast \
        --duration "$seconds" "$@" --out "$work/$name" >"$work/$name.log" 2>&1 ||
        { cat "$work/$name.log"; echo "bench/audio.sh: the $name take failed" >&2; exit 1; }
    read -r user sys rss <"$work/$name.time"
    late=$(sed -n 's/.*real-time pacing: \([0-9]*\) of \([0-9]*\) frames started more than a frame late.*/\1 of \2/p' \
        "$work/$name.log")
    awk -v n="$name" -v u="$user" -v s="$sys" -v r="$rss" -v t="$seconds" -v l="$late" \
        'BEGIN { printf "%-12s CPU %7.2f s  %6.1f%% of a core  peak RSS %6.1f MiB  late %s\n", n, u + s, 100 * (u + s) / t, r / 1024, l }'
}
echo "audio bench: $size 30 fps, $seconds s paced, two test cameras, H.264 ultrafast, no ISOs"
a=$(run no-audio)
b=$(run "audio-$tracks" "${audio[@]}")
echo "$a"
echo "$b"
cpu() { awk '{ print $3 }' <<<"$1"; }
rss() { awk '{ print $11 }' <<<"$1"; }
awk -v a="$(cpu "$a")" -v b="$(cpu "$b")" -v ra="$(rss "$a")" -v rb="$(rss "$b")" -v t="$seconds" -v n="$tracks" \
    'BEGIN { printf "%d tracks of 24-bit stereo audio: +%.1f%% of one core, peak RSS %+.1f MiB\n", n, 100 * (b - a) / t, rb - ra }'
