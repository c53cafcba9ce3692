#!/usr/bin/env bash
# Component costs of the bench job (run.sh's inputs), to show how far onetake is from the limit: the decoding the
# program truly needs (one camera's worth of frames) plus the program's encoding.
#   bench/components.sh [--build DIR] [--size 1280x720] [--seconds 20]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(dirname "$here")/build size=1280x720 secs=20
while [ $# -gt 0 ]; do
  case $1 in
    --build) build=$2; shift 2 ;;
    --size) size=$2; shift 2 ;;
    --seconds) secs=$2; shift 2 ;;
    *) echo "bench/components.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
work=$build/bench-work
cues=$("$here/make-inputs.sh" "$work/inputs" "$size" "$secs" 4 60 | tail -1)
frames=$((secs * 30))
cpu() { # CPU seconds of a command
  /usr/bin/time -f '%U %S' -o "$work/cpu.$$" "$@" >/dev/null 2>&1
  awk '{printf "%.2f", $1 + $2}' "$work/cpu.$$"
  rm -f "$work/cpu.$$"
}
cams=()
for i in 0 1 2 3; do cams+=("$work/inputs/cam$i-$size.mp4"); done
dec_one=$(cpu gst-launch-1.0 -q filesrc location="${cams[0]}" ! qtdemux ! h264parse ! avdec_h264 ! fakesink)
dec_all=0
for c in "${cams[@]}"; do
  d=$(cpu gst-launch-1.0 -q filesrc location="$c" ! qtdemux ! h264parse ! avdec_h264 ! fakesink)
  dec_all=$(echo "$dec_all + $d" | bc)
done
ffmpeg -v error -y -i "${cams[0]}" -f rawvideo -pix_fmt yuv420p "$work/raw-$size.yuv"
enc=$(cpu ffmpeg -v error -y -f rawvideo -pix_fmt yuv420p -s "$size" -r 30 -i "$work/raw-$size.yuv" -c:v libx264 \
  -preset ultrafast -g 30 -threads 2 "$work/enc-$size.mkv")
rm -f "$work/raw-$size.yuv"
args=(record --headless -q --codec h264 --preset ultrafast --gop 30 --size "$size" --fps 30/1 --cues "$cues")
for i in 0 1 2 3; do args+=(--cam "cam$i=${cams[$i]}"); done
rm -rf "$work/comp-take"
onetake=$(cpu "$build/onetake" "${args[@]}" --out "$work/comp-take")
rm -rf "$work/comp-take"
noproof=$(OT_NO_PROOF=1 cpu "$build/onetake" "${args[@]}" --out "$work/comp-take")
rm -rf "$work/comp-take"
all=$(cpu "$build/onetake" "${args[@]}" --decode all --out "$work/comp-take")
rm -rf "$work/comp-take"
limit=$(echo "$dec_one + $enc" | bc)
echo "# onetake components, $(date -u +%Y-%m-%dT%H:%MZ), $size, $frames frames, CPU seconds"
echo
echo "| what | CPU s |"
echo "| --- | --- |"
echo "| decode the 4 cameras (what the peers do) | $dec_all |"
echo "| decode one camera's worth (what the program needs) | $dec_one |"
echo "| encode the program (x264 ultrafast) | $enc |"
echo "| the limit: program decode + encode | $limit |"
echo "| onetake, proof on | $onetake |"
echo "| onetake, proof off | $noproof |"
echo "| onetake --decode all, proof on | $all |"
echo
echo "onetake is at $(echo "scale=2; $onetake / $limit" | bc)x the limit; the proof costs $(echo "scale=2; $onetake - $noproof" | bc) CPU s (hashing, signing, syncing)"
