#!/bin/bash
# make-samples.sh OUTDIR: generate five sample camera clips of one "performance" (see samples/README.md).
#
# Every frame of every clip is unique (camera name and a running SMPTE timecode are burnt in) and frame counts are
# exact (num-buffers), so tests can tell which camera and which frame ended up in a program frame.
# Idempotent: a clip is only (re)made when it is missing, incomplete or made by another recipe. Clips are written
# under a temporary name and renamed when complete, so a crash or a concurrent run never leaves a half clip behind.
set -euo pipefail

if [ $# -ne 1 ] || [ -z "$1" ]; then
    echo "usage: $0 OUTDIR" >&2
    exit 2
fi
outdir=$1
mkdir -p "$outdir"

for tool in gst-launch-1.0 gst-inspect-1.0 ffprobe; do
    command -v "$tool" >/dev/null || { echo "make-samples: $tool not found (install gstreamer1.0-tools / ffmpeg)" >&2; exit 1; }
done
for el in videotestsrc audiotestsrc timecodestamper timeoverlay textoverlay x264enc vp8enc voaacenc opusenc \
          mp4mux matroskamux webmmux; do
    gst-inspect-1.0 --exists "$el" || {
        echo "make-samples: GStreamer element $el missing (packages: gstreamer1.0-plugins-good/-bad/-ugly, gstreamer1.0-x)" >&2
        exit 1
    }
done

# Burn in the camera name (top left) and the running timecode HH:MM:SS:FF (bottom right): unique frames.
overlay() {
    echo "timecodestamper ! textoverlay text=$1 valignment=top halignment=left font-desc=\"Sans Bold 28\" \
shaded-background=true ! timeoverlay time-mode=time-code valignment=bottom halignment=right \
font-desc=\"Monospace Bold 24\" shaded-background=true"
}
# Like a camera card: long GOP (1 s), 2 B-frames in a fixed pattern (so MP4 gets an edit list), constant quality.
h264="x264enc speed-preset=veryfast pass=qual quantizer=20 bframes=2 b-adapt=false key-int-max=30 threads=1 \
! video/x-h264,profile=high"
raw30="video/x-raw,format=I420,width=640,height=360,framerate=30/1,pixel-aspect-ratio=1/1"
raw25="video/x-raw,format=I420,width=480,height=360,framerate=25/1,pixel-aspect-ratio=1/1"
# 10 s of ticks at 48 kHz: 100 buffers of 4800 samples; a louder marker tick every 5 s.
ticks="audiotestsrc wave=ticks num-buffers=100 samplesperbuffer=4800 marker-tick-period=5 volume=0.5"

# name|file|frames|pipeline (the whole gst-launch description; the sink is appended).
recipes=(
"wide|wide.mp4|300|videotestsrc num-buffers=300 pattern=smpte75 horizontal-speed=2 ! $raw30 ! $(overlay WIDE) \
! $h264 ! queue ! mp4mux name=mux ! FILESINK $ticks freq=1000 ! audio/x-raw,rate=48000,channels=1 ! voaacenc \
! queue ! mux."
"close|close.mp4|300|videotestsrc num-buffers=300 pattern=ball background-color=0xff1d4f91 foreground-color=0xffffd000 \
! $raw30 ! $(overlay CLOSE) ! $h264 ! mp4mux ! FILESINK"
"crane|crane.mkv|300|videotestsrc num-buffers=300 pattern=pinwheel horizontal-speed=3 foreground-color=0xffd02020 \
background-color=0xfff0e6c8 ! $raw30 ! $(overlay CRANE) ! $h264 ! matroskamux ! FILESINK"
"drone|drone.mkv|300|videotestsrc num-buffers=300 pattern=chroma-zone-plate kx2=6 ky2=6 kt=2 ! $raw30 \
! $(overlay DRONE) ! $h264 ! matroskamux ! FILESINK"
"handheld|handheld.webm|250|videotestsrc num-buffers=250 pattern=colors horizontal-speed=4 ! $raw25 \
! $(overlay HANDHELD) ! vp8enc deadline=1 cpu-used=8 end-usage=cq cq-level=10 target-bitrate=4000000 \
keyframe-max-dist=50 threads=1 ! queue ! webmmux name=mux ! FILESINK $ticks freq=660 \
! audio/x-raw,rate=48000,channels=1 ! opusenc ! queue ! mux."
)

# Video frames in a file by counting packets (no decoding: fast).
count_frames() {
    ffprobe -v error -select_streams v:0 -count_packets -show_entries stream=nb_read_packets -of csv=p=0 "$1" \
        2>/dev/null | head -n1
}

make_one() {
    local name=$1 file=$2 frames=$3 pipeline=$4
    local dst=$outdir/$file recipe=$outdir/.$file.recipe
    if [ -f "$dst" ] && [ -f "$recipe" ] && [ "$(cat "$recipe")" = "$pipeline" ] &&
        [ "$(count_frames "$dst")" = "$frames" ]; then
        echo "kept  $dst ($frames frames)"
        return 0
    fi
    rm -f "$recipe"
    local tmp=$outdir/.$file.tmp.$$
    local desc=${pipeline/FILESINK/filesink location=\"$tmp\"}
    # eval: the description holds quoted font names, as a shell would pass them to gst-launch-1.0.
    if ! eval gst-launch-1.0 -q "$desc" >"$tmp.log" 2>&1; then
        echo "make-samples: $name failed:" >&2
        cat "$tmp.log" >&2
        rm -f "$tmp" "$tmp.log"
        return 1
    fi
    local got
    got=$(count_frames "$tmp")
    if [ "$got" != "$frames" ]; then
        echo "make-samples: $name has $got frames, expected $frames" >&2
        rm -f "$tmp" "$tmp.log"
        return 1
    fi
    rm -f "$tmp.log"
    mv -f "$tmp" "$dst"
    printf '%s\n' "$pipeline" >"$recipe"
    echo "made  $dst ($frames frames)"
}

# All at once: five small single-threaded encoders finish in a few seconds on 2 cores.
pids=()
for r in "${recipes[@]}"; do
    IFS='|' read -r name file frames pipeline <<<"$r"
    make_one "$name" "$file" "$frames" "$pipeline" &
    pids+=($!)
done
status=0
for p in "${pids[@]}"; do
    wait "$p" || status=1
done
[ $status -eq 0 ] || { echo "make-samples: some clips failed" >&2; exit 1; }
