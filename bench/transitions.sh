#!/bin/bash
# bench/transitions.sh [--build DIR] [--seconds N] [--size WxH] [--runs N] [--cams N]: what mixes cost a live take.
# N live test cameras (`videotestsrc is-live=true`, I420 at SIZE, 30 fps), SECONDS long, a cue list changing camera
# every 2 s round them, the program x264 ultrafast, proof on, headless; the same take twice per run, alternating:
# once with a `mix CAM 15` every 2 s (15 mixed frames of the 60), once with plain cuts. Per take: late ticks and the
# latest tick (take.json "live"), mixed frames, the process's CPU seconds (/usr/bin/time) and the program thread's
# ("ot-program") and the program encoder's (/proc/PID/task/*/stat read until the take ends). Prints a Markdown table and the medians. Runs at
# the caller's priority (under `nice` on a shared machine the live cameras themselves fall behind).
set -euo pipefail
build=build seconds=20 size=1920x1080 runs=3 ncams=2
while [ $# -gt 0 ]; do
    case $1 in
    --build) build=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --size) size=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --cams) ncams=$2; shift 2 ;;
    *) echo "usage: $0 [--build DIR] [--seconds N] [--size WxH] [--runs N] [--cams N]" >&2; exit 2 ;;
    esac
done
onetake=$build/onetake
[ -x "$onetake" ] || { echo "no $onetake: build first (scripts/build.sh)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time is missing (Debian package time)" >&2; exit 2; }
work=$build/bench-work/transitions
rm -rf "$work"
mkdir -p "$work"
export XDG_CONFIG_HOME=$work/config
frames=$((seconds * 30))
w=${size%x*} h=${size#*x}
caps="video/x-raw,format=I420,width=$w,height=$h,framerate=30/1"
patterns=(smpte ball smpte100 bar snow circular)
cams=()
for ((i = 0; i < ncams; i++)); do
    cams+=(--cam "c$i=pipe:videotestsrc is-live=true pattern=${patterns[$((i % 6))]} ! $caps")
done
for kind in mix cut; do
    {
        echo "0 cut c0"
        for ((f = 60, c = 1; f < frames; f += 60, c = (c + 1) % ncams)); do
            if [ $kind = mix ]; then echo "$f mix c$c 15"; else echo "$f cut c$c"; fi
        done
        echo "$frames end"
    } >"$work/$kind.cues"
done

# thread_cpu PID: CPU seconds of its threads by name ({"ot-program": s, ...}, JSON): each thread's largest reading of
# /proc/PID/task/TID/stat, read every 0.2 s until the process ends (a thread's time only grows while it lives)
thread_cpu() {
    python3 - "$1" <<'PY'
import glob, json, os, sys, time
tck, pid, best = os.sysconf("SC_CLK_TCK"), sys.argv[1], {}
while os.path.exists("/proc/%s" % pid):
    for t in glob.glob("/proc/%s/task/*" % pid):
        try:
            comm = open(t + "/comm").read().strip()
            f = open(t + "/stat").read().rsplit(")", 1)[1].split()
            best[(comm, t)] = max(best.get((comm, t), 0), (int(f[11]) + int(f[12])) / tck)
        except (OSError, IndexError, ValueError):
            pass
    time.sleep(0.2)
cpu = {}
for (comm, _), v in best.items():
    cpu[comm] = cpu.get(comm, 0) + v
print(json.dumps(cpu))
PY
}

rows=$work/rows.txt
: >"$rows"
for ((r = 1; r <= runs; r++)); do
    order=(mix cut)
    [ $((r % 2)) = 0 ] && order=(cut mix)
    for kind in "${order[@]}"; do
        tag=$kind-$r
        /usr/bin/time -f "%U %S" -o "$work/$tag.time" "$onetake" record --headless "${cams[@]}" \
            --cues "$work/$kind.cues" --size "$size" --fps 30/1 --codec h264 --preset ultrafast \
            --out "$work/take-$tag" >"$work/$tag.log" 2>&1 &
        tpid=$!
        opid=
        for _ in $(seq 50); do
            opid=$(pgrep -P "$tpid" -x onetake || true)
            [ -n "$opid" ] && break
            sleep 0.1
        done
        tcpu=$(thread_cpu "$opid")
        wait "$tpid" || { cat "$work/$tag.log"; echo "the $tag take failed" >&2; exit 1; }
        python3 - "$work/take-$tag/take.json" "$work/$tag.time" "$work/$tag.log" "$kind" "$r" "$tcpu" "$frames" \
            >>"$rows" <<'PY'
import json, re, sys
d = json.load(open(sys.argv[1]))
u, s = map(float, open(sys.argv[2]).read().split()[-2:])
log = open(sys.argv[3]).read()
m = re.search(r"transitions: (\d+) mixed frames", log)
live = d.get("live", {})
ok = d.get("status") == "closed" and d.get("frames") == int(sys.argv[7])
threads = json.loads(sys.argv[6])
# the program's encoder threads are named after the output (mux_output.c): "ot-...-program"-like names
enc = sum(v for k, v in threads.items() if "program" in k and k != "ot-program")
print(json.dumps({"kind": sys.argv[4], "run": int(sys.argv[5]), "cpu": u + s, "program_cpu": threads.get("ot-program", 0),
                  "encoder_cpu": enc, "threads": threads,
                  "mixed": int(m.group(1)) if m else 0, "late": live.get("late_ticks", -1),
                  "max_late_ms": live.get("max_late_ms", -1), "frames": d.get("frames"), "ok": ok}))
PY
        rm -rf "$work/take-$tag"
    done
done
python3 - "$rows" "$size" "$ncams" "$seconds" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
print(f"{sys.argv[3]} live test cameras at {sys.argv[2]}p30, {sys.argv[4]} s, x264 ultrafast, proof on\n")
print("| take | run | frames | mixed | late ticks | latest tick ms | CPU s | program thread CPU s | program encoder CPU s |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
for r in rows:
    print(f"| {r['kind']} | {r['run']} | {r['frames']} | {r['mixed']} | {r['late']} | {r['max_late_ms']:.1f} "
          f"| {r['cpu']:.2f} | {r['program_cpu']:.2f} | {r['encoder_cpu']:.2f} |")
ratios = []
for run in sorted({r["run"] for r in rows}):
    m = [r for r in rows if r["run"] == run and r["kind"] == "mix"][0]
    c = [r for r in rows if r["run"] == run and r["kind"] == "cut"][0]
    ratios.append(m["cpu"] / c["cpu"])
med = lambda k, kind: statistics.median(r[k] for r in rows if r["kind"] == kind)
print(f"\nmedian CPU: mixes {med('cpu', 'mix'):.2f} s, cuts {med('cpu', 'cut'):.2f} s; per run mix/cut "
      f"{', '.join('%.3f' % x for x in ratios)} (median {statistics.median(ratios):.3f}); program thread "
      f"{med('program_cpu', 'mix'):.2f} s against {med('program_cpu', 'cut'):.2f} s; program encoder "
      f"{med('encoder_cpu', 'mix'):.2f} s against {med('encoder_cpu', 'cut'):.2f} s")
mixed = med('mixed', 'mix')
if mixed:
    print(f"program thread per mixed frame: {(med('program_cpu', 'mix') - med('program_cpu', 'cut')) / mixed * 1e3:.2f} ms")
print(f"late ticks: mixes {sum(r['late'] for r in rows if r['kind'] == 'mix')}, cuts "
      f"{sum(r['late'] for r in rows if r['kind'] == 'cut')}; every take complete: {all(r['ok'] for r in rows)}")
PY
