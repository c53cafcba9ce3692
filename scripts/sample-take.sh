#!/usr/bin/env bash
# The main job on a fresh Debian 12 machine: install, build, generate the sample clips, record a sample take on the
# rehearsed song cue list with program audio and ISOs, verify it against the station key, and report it. The take
# lands in takes/sample-<date>/; the station key is takes/station.key (made on first run).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh build
samples/make-samples.sh build/samples
out=takes/sample-$(date +%Y%m%d-%H%M%S)
mkdir -p takes
[ -f takes/station.key ] || build/onetake keygen --out takes/station.key
build/onetake record --headless --key takes/station.key --audio wide --iso \
  --cam wide=build/samples/wide.mp4 --cam close=build/samples/close.mp4 --cam crane=build/samples/crane.mkv \
  --cam drone=build/samples/drone.mkv --cam handheld=build/samples/handheld.webm \
  --cues samples/cues/song.cues --actions samples/cues/song.actions \
  --size 1280x720 --fps 30/1 --codec h264 --out "$out"
echo
echo "verify:"
build/onetake verify "$out" --pubkey takes/station.key.pub
echo
echo "executed cuts ($out/cuts.jsonl):"
cat "$out/cuts.jsonl"
echo
ffprobe -v error -show_entries stream=codec_type,codec_name,width,height,sample_rate,nb_read_frames -count_frames \
  -of compact=p=0:nk=0 "$out/program.mkv"
echo
echo "take folder: $out ($(du -sh "$out" | cut -f1)); cut lists for post: $out/cuts.edl, $out/cuts.otio"
