#!/usr/bin/env bash
# The main job on a fresh Debian 12 machine: install, build, generate the sample clips, record a sample take on the
# rehearsed song cue list, and report it. The take lands in takes/sample-<date>/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh build
samples/make-samples.sh build/samples
out=takes/sample-$(date +%Y%m%d-%H%M%S)
build/onetake record --headless \
  --cam wide=build/samples/wide.mp4 --cam close=build/samples/close.mp4 --cam crane=build/samples/crane.mkv \
  --cam drone=build/samples/drone.mkv --cam handheld=build/samples/handheld.webm \
  --cues samples/cues/song.cues --actions samples/cues/song.actions \
  --size 1280x720 --fps 30/1 --codec h264 --out "$out"
echo
echo "executed cuts ($out/cuts.jsonl):"
cat "$out/cuts.jsonl"
echo
ffprobe -v error -show_entries format=duration,size:stream=codec_name,width,height,nb_read_frames -count_frames \
  -of default=nw=1 "$out/program.mkv"
