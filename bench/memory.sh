#!/usr/bin/env bash
# Peak RSS against take length: four test cameras (not live: made as fast as the program), a cut every 2 s, H.264
# ultrafast program with the proof on, for 1, 10 and 60 minutes of take. Memory must stay flat: every queue is
# bounded and the take log keeps only what the next commit needs.
#   bench/memory.sh [--build DIR] [--minutes "1 10 60"] [--size 320x180]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(dirname "$here")/build minutes="1 10 60" size=320x180
while [ $# -gt 0 ]; do
  case $1 in
    --build) build=$2; shift 2 ;;
    --minutes) minutes=$2; shift 2 ;;
    --size) size=$2; shift 2 ;;
    *) echo "bench/memory.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
onetake=$build/onetake
[ -x "$onetake" ] || { echo "bench/memory.sh: build first (scripts/build.sh $build)" >&2; exit 2; }
work=$build/bench-work/memory
mkdir -p "$work"
echo "# onetake memory, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores; 4 test cameras $size, cut every 60 frames, h264 ultrafast, proof on"
echo
echo "| take | frames | wall s | x real time | peak RSS MB | take.log MB |"
echo "| --- | --- | --- | --- | --- | --- |"
first=""
for m in $minutes; do
  frames=$((m * 60 * 30))
  cues=$work/every60-$m.cues
  : >"$cues"
  for ((f = 0, c = 0; f < frames; f += 60, c = (c + 1) % 4)); do echo "$f cut c$c" >>"$cues"; done
  echo "$frames end" >>"$cues"
  rm -rf "$work/take-$m"
  /usr/bin/time -f '%e %M' -o "$work/time-$m" "$onetake" record --headless -q --codec h264 --preset ultrafast \
    --size "$size" --fps 30/1 --cam c0=test:ball --cam c1=test:smpte --cam c2=test:pinwheel --cam c3=test:gradient \
    --cues "$cues" --out "$work/take-$m" >"$work/record-$m.log" 2>&1
  read -r wall rss <"$work/time-$m"
  log=$(stat -c %s "$work/take-$m/take.log" 2>/dev/null || echo 0)
  printf '| %d min | %d | %.1f | %.1f | %.1f | %.1f |\n' "$m" "$frames" "$wall" "$(echo "$frames / 30 / $wall" | bc -l)" \
    "$(echo "$rss / 1024" | bc -l)" "$(echo "$log / 1048576" | bc -l)"
  [ -n "$first" ] || first=$rss
  last=$rss
  rm -rf "$work/take-$m/program.mkv"
done
echo
echo "peak RSS at the longest take is $(echo "scale=1; 100 * $last / $first" | bc)% of the shortest's (target: within 110%)"
