#!/usr/bin/env bash
# Bench inputs: N cameras, H.264 long-GOP (IBP, 1 s GOP, B-frames) in MP4 like camera cards, with film grain so that
# they cost what camera footage costs to decode (about 16 Mb/s at 720p, 30 Mb/s at 1080p), SIZE at 30 fps, SECONDS long,
# each with a solid colour patch in the top-left corner (classify.py tells the cameras apart by it), and a cue list
# cutting every CUT_EVERY frames round the cameras.
#   bench/make-inputs.sh OUTDIR WxH [SECONDS=20] [CAMS=4] [CUT_EVERY=60]
set -euo pipefail
out=$1 size=$2 secs=${3:-20} ncams=${4:-4} every=${5:-60}
mkdir -p "$out"
colours=(red lime blue yellow magenta cyan)
sources=(testsrc2 smptehdbars testsrc rgbtestsrc pal100bars yuvtestsrc)
for ((i = 0; i < ncams; i++)); do
  f=$out/cam$i-$size.mp4
  [ -s "$f" ] && continue
  ffmpeg -v error -y -f lavfi -i "${sources[$i]}=size=$size:rate=30:duration=$secs" \
    -vf "noise=alls=6:allf=t,drawbox=x=0:y=0:w=48:h=48:color=${colours[$i]}@1:t=fill,drawtext=fontfile=/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf:text='cam$i %{frame_num}':x=60:y=10:fontsize=32:fontcolor=white:box=1:boxcolor=black" \
    -c:v libx264 -preset veryfast -crf 20 -g 30 -bf 2 -pix_fmt yuv420p "$f.tmp.mp4"
  mv "$f.tmp.mp4" "$f"
done
frames=$((secs * 30))
cues=$out/cut-every-$every-$ncams-$secs.cues
{
  echo "# bench: cut every $every frames round $ncams cameras, end at $frames"
  for ((f = 0, c = 0; f < frames; f += every, c = (c + 1) % ncams)); do echo "$f cut cam$c"; done
  echo "$frames end"
} >"$cues"
echo "$cues"
