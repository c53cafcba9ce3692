#!/usr/bin/env bash
# bench/stream.sh [ONETAKE] [SECONDS] [PRESET]: what one --stream costs. A live 1080p30 H.264 take (one live
# videotestsrc camera) is streamed as MPEG-TS over SRT (onetake listens on 127.0.0.1:19190, a gst-launch-1.0 srtsrc
# caller receives into fakesink). Reports:
#   - the CPU of the stream (mux + send, no encode): the ot-stream-1 thread and libsrt's own threads (SRT:*), from
#     /proc/PID/task/*/stat sampled every 0.5 s, as a share of one core over the take (target: under 2%);
#   - the latency from the program tick (the frame handed to the writer) to its packet written to the socket:
#     median and max over every packet, from take.json (x264's lookahead and frame threads are most of it).
# The take is verified and the stream's counts shown.
set -euo pipefail
cd "$(dirname "$0")/.."
onetake=${1:-build/onetake}
secs=${2:-20}
preset=${3:-veryfast}
port=19190
[ -x "$onetake" ] || { echo "stream: $onetake is not built (scripts/build.sh)" >&2; exit 2; }
work=$(mktemp -d /tmp/onetake-stream-bench.XXXXXX)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$work"' EXIT
"$onetake" keygen --out "$work/station.key" >/dev/null
# A scrolling SMPTE pattern: every frame moves, a few Mb/s at 1080p30 like a camera picture of a stage.
src="pipe:videotestsrc is-live=true pattern=smpte horizontal-speed=3 ! video/x-raw,width=1920,height=1080,framerate=30/1"
"$onetake" record --headless --quiet --cam "a=$src" --size 1920x1080 --fps 30/1 --codec h264 --preset "$preset" \
    --latency 300 --duration "$secs" --key "$work/station.key" --out "$work/take" \
    --stream "srt://127.0.0.1:$port?mode=listener" >"$work/record.log" 2>&1 &
rec=$!
pids+=($rec)
for _ in $(seq 40); do
    gst-launch-1.0 -q srtsrc uri="srt://127.0.0.1:$port?mode=caller" ! fakesink >/dev/null 2>&1 &
    rx=$!
    sleep 0.5
    kill -0 "$rx" 2>/dev/null && break
done
pids+=($rx)
# CPU ticks per thread name group, sampled until the record ends (threads leave /proc when they end).
python3 - "$rec" >"$work/cpu.txt" <<'PY'
import os, sys, time
pid = sys.argv[1]
hz = os.sysconf("SC_CLK_TCK")
first, last = {}, {}
t0 = None
while os.path.exists("/proc/%s" % pid):
    try:
        for tid in os.listdir("/proc/%s/task" % pid):
            with open("/proc/%s/task/%s/stat" % (pid, tid)) as f:
                s = f.read()
            name = s[s.index("(") + 1:s.rindex(")")]
            fields = s[s.rindex(")") + 2:].split()
            ticks = int(fields[11]) + int(fields[12])
            first.setdefault(tid, (name, ticks))
            last[tid] = (name, ticks)
    except (FileNotFoundError, ProcessLookupError, ValueError):
        pass
    if t0 is None:
        t0 = time.monotonic()
    t1 = time.monotonic()
    time.sleep(0.5)
groups = {}
for tid, (name, ticks) in last.items():
    g = "stream" if name.startswith("ot-stream") or name.startswith("SRT:") else name
    groups[g] = groups.get(g, 0) + ticks - first[tid][1]
wall = max(t1 - t0, 1e-9)
print("%.4f %.1f %s" % (groups.get("stream", 0) / hz / wall, wall,
                        " ".join("%s=%.3f" % (k, v / hz / wall) for k, v in sorted(groups.items()))))
PY
rc=0
wait "$rec" || rc=$?
[ $rc -eq 0 ] || { cat "$work/record.log"; echo "stream: record exited $rc" >&2; exit 1; }
"$onetake" verify "$work/take" --quiet >/dev/null || { echo "stream: the take does not verify" >&2; exit 1; }
read -r share wall groups <"$work/cpu.txt"
python3 - "$work/take/take.json" "$share" "$wall" "$preset" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
s = d["streams"][0]
share, wall = float(sys.argv[2]), float(sys.argv[3])
print("one SRT stream of a 1080p30 program (x264 %s): %.2f%% of one core for mux + send (target < 2%%) over %.1f s"
      % (sys.argv[4], 100 * share, wall))
print("  tick to socket: %.1f ms median, %.1f ms max; %d packets, %.1f MB, %d GOPs dropped, %d late ticks"
      % (s["latency_median_ms"], s["latency_max_ms"], s["packets"], s["bytes"] / 1e6, s["gops_dropped"],
         d["live"]["late_ticks"]))
PY
echo "  threads (share of one core): $groups"
