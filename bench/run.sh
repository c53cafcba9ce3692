#!/usr/bin/env bash
# onetake against its peers on the same job, in one run, alternating, several times; prints per size the wall time,
# CPU seconds, peak RSS and frames per second of each, the ratios (medians over the runs), and whether each tool cut
# at the frames the cue list says (so that nobody wins by doing less work).
#   bench/run.sh [--build DIR] [--sizes "1280x720 1920x1080"] [--runs 3] [--seconds 20] [--cams 4] [--every 60]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=$root/build sizes="1280x720 1920x1080" runs=3 secs=20 ncams=4 every=60
while [ $# -gt 0 ]; do
  case $1 in
    --build) build=$2; shift 2 ;;
    --sizes) sizes=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --seconds) secs=$2; shift 2 ;;
    --cams) ncams=$2; shift 2 ;;
    --every) every=$2; shift 2 ;;
    *) echo "bench/run.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
onetake=$build/onetake
peer=$build/bench/ot-bench-gst-peer
for exe in "$onetake" "$peer"; do
  [ -x "$exe" ] || { echo "bench/run.sh: $exe is missing: build first (scripts/build.sh $build)" >&2; exit 2; }
done
work=$build/bench-work
mkdir -p "$work"
frames=$((secs * 30))
gop=30
echo "# onetake bench, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "# job: $ncams cameras H.264 long-GOP, ${secs} s at 30 fps, a cut every $every frames, x264 ultrafast program (GOP $gop) into Matroska"

# measure NAME SIZE RUN CMD...: appends "name size run wall cpu rss_kb" to $work/times.
measure() {
  local name=$1 size=$2 run=$3
  shift 3
  local tf=$work/time.$$
  /usr/bin/time -f '%e %U %S %M' -o "$tf" "$@" >"$work/$name.log" 2>&1 || {
    echo "bench/run.sh: $name failed, see $work/$name.log" >&2
    tail -5 "$work/$name.log" >&2
    exit 1
  }
  read -r wall user sys rss <"$tf"
  echo "$name $size $run $wall $(echo "$user + $sys" | bc) $rss" >>"$work/times"
  rm -f "$tf"
}

: >"$work/times"
for size in $sizes; do
  cues=$("$here/make-inputs.sh" "$work/inputs" "$size" "$secs" "$ncams" "$every" | tail -1)
  cams=() onetake_cams=()
  for ((i = 0; i < ncams; i++)); do
    cams+=("$work/inputs/cam$i-$size.mp4")
    onetake_cams+=(--cam "cam$i=$work/inputs/cam$i-$size.mp4")
  done
  # The ffmpeg peer: streamselect driven by sendcmd on the same schedule.
  cmdfile=$work/sendcmd-$size.txt
  : >"$cmdfile"
  for ((f = every, c = 1; f < frames; f += every, c = (c + 1) % ncams)); do
    printf '%s streamselect@sel map %d;\n' "$(echo "scale=6; $f / 30" | bc)" "$c" >>"$cmdfile"
  done
  inputs=() labels=""
  for ((i = 0; i < ncams; i++)); do inputs+=(-i "${cams[$i]}"); [ $i -gt 0 ] && labels="$labels[$i:v]"; done
  for ((run = 1; run <= runs; run++)); do
    # Alternate the order so that no tool always runs on a warm or a cold cache.
    order=("onetake ffmpeg gst" "ffmpeg gst onetake" "gst onetake ffmpeg")
    for tool in ${order[$(((run - 1) % 3))]}; do
      out=$work/$tool-$size.mkv
      rm -rf "$out" "$work/take-$size"
      case $tool in
        onetake)
          measure onetake "$size" "$run" "$onetake" record --headless -q --codec h264 --preset ultrafast \
            --gop "$gop" --size "$size" --fps 30/1 "${onetake_cams[@]}" --cues "$cues" --out "$work/take-$size"
          cp "$work/take-$size/program.mkv" "$out" ;;
        ffmpeg)
          measure ffmpeg "$size" "$run" ffmpeg -nostdin -v error -y "${inputs[@]}" -filter_complex \
            "[0:v]sendcmd=f=$cmdfile[s0];[s0]$labels streamselect@sel=inputs=$ncams:map=0[v]" -map "[v]" \
            -frames:v "$frames" -c:v libx264 -preset ultrafast -g "$gop" -keyint_min "$gop" -sc_threshold 0 \
            -threads 2 "$out" ;;
        gst)
          measure gst "$size" "$run" "$peer" "$out" "$frames" "$gop" "$every" "${cams[@]}" ;;
      esac
      if [ "$run" = 1 ]; then
        python3 "$here/classify.py" "$out" >"$work/cuts-$tool-$size.json"
      fi
    done
  done
done

python3 - "$work" "$sizes" "$frames" "$every" "$ncams" <<'PY'
import json, statistics, sys
work, sizes, frames, every, ncams = sys.argv[1], sys.argv[2].split(), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
rows = [l.split() for l in open(f"{work}/times")]
expected = [[f, (f // every) % ncams] for f in range(0, frames, every)]
for size in sizes:
    print(f"\n## {size}\n")
    print("| tool | wall s | CPU s | peak RSS MB | fps | x real time | cuts as planned |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    med = {}
    for tool in ("onetake", "ffmpeg", "gst"):
        r = [x for x in rows if x[0] == tool and x[1] == size]
        wall = statistics.median(float(x[3]) for x in r)
        cpu = statistics.median(float(x[4]) for x in r)
        rss = statistics.median(int(x[5]) for x in r) / 1024
        med[tool] = (wall, cpu, rss, r)
        got = json.load(open(f"{work}/cuts-{tool}-{size}.json"))
        exact = got["cuts"] == expected and got["frames"] == frames
        note = "yes" if exact else f"no: {got['frames']} frames, {len(got['cuts']) - 1} cuts"
        if not exact:
            diffs = [f"{g[0]}" for g, e in zip(got["cuts"], expected) if g != e][:3]
            if diffs:
                note += f", first off at frame {diffs[0]}"
        print(f"| {tool} | {wall:.2f} | {cpu:.2f} | {rss:.0f} | {frames / wall:.0f} | {frames / 30 / wall:.2f} | {note} |")
    print()
    for peer in ("ffmpeg", "gst"):
        # Ratios per run (pairs measured side by side), then the median.
        pw = {x[2]: float(x[3]) for x in med[peer][3]}
        ow = {x[2]: float(x[3]) for x in med["onetake"][3]}
        pc = {x[2]: float(x[4]) for x in med[peer][3]}
        oc = {x[2]: float(x[4]) for x in med["onetake"][3]}
        thr = statistics.median(pw[k] / ow[k] for k in ow)
        cpu = statistics.median(pc[k] / oc[k] for k in oc)
        mem = med["onetake"][2] / med[peer][2]
        print(f"- onetake vs {peer}: throughput {thr:.2f}x, CPU {cpu:.2f}x less, peak RSS {mem:.2f} of the peer's")
PY
