#!/usr/bin/env bash
# Live capacity: how many live test cameras onetake takes at 30 fps without falling behind, with and without ISOs,
# where its CPU goes thread by thread, what its program path costs next to the program's encoder, and the same
# count for a GStreamer pipeline with leaky queues doing the same job (the peer).
#   bench/live.sh [--build DIR] [--sizes "1280x720 1920x1080"] [--seconds 60] [--max N] [--iso "off h264"]
#                 [--peer on|off] [--pattern "smpte horizontal-speed=4"] [--peer-iso-preset ultrafast]
#                 [--retries 1] [--latency MS] [--start N]
#
# For each size and ISO mode (off, h264, ffv1), N = 1, 2, 3... live test cameras until a take does not keep up (or
# --max): each camera `pipe:videotestsrc is-live=true pattern=P ! video/x-raw,format=I420,WxH,30/1`, a cue list
# cutting every 2 s round the cameras and ending at SECONDS, x264 ultrafast program and ISOs (`--preset
# ultrafast`: h264 ISOs follow it), proof on, headless. --start N begins the search at N (down from there when N
# does not keep up): a quicker way to the limit when it is roughly known.
# Kept up: the take closed at its end cue with every frame, no camera repeated, dropped, overflowed or came late, no
# program tick started late, no ISO frame dropped, and `onetake verify` passes (exit 0). A failed N is
# run again --retries times (a transient on a shared machine) before the search stops. --latency MS is passed to
# onetake (default: onetake's, 2 frames); the peer's leaky queues hold 8 frames (267 ms) before they drop.
# Per-thread CPU: /proc/PID/task/*/stat sampled every 0.5 s; the window runs from 1 s after the roll to 1.5 s before
# the end, so that start-up and the close are not in it. Logs in BUILD/bench-work/live; take folders are removed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(dirname "$here")/build sizes="1280x720 1920x1080" secs=60 max=16 isos="off h264" peer=on
pattern="smpte horizontal-speed=4" peer_iso_preset=ultrafast retries=1 latency="" start=1
while [ $# -gt 0 ]; do
  case $1 in
    --build) build=$2; shift 2 ;;
    --sizes) sizes=$2; shift 2 ;;
    --seconds) secs=$2; shift 2 ;;
    --max) max=$2; shift 2 ;;
    --iso) isos=$2; shift 2 ;;
    --peer) peer=$2; shift 2 ;;
    --pattern) pattern=$2; shift 2 ;;
    --peer-iso-preset) peer_iso_preset=$2; shift 2 ;;
    --retries) retries=$2; shift 2 ;;
    --latency) latency=$2; shift 2 ;;
    --start) start=$2; shift 2 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench/live.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
[ "$secs" -ge 5 ] 2>/dev/null || { echo "bench/live.sh: --seconds must be at least 5" >&2; exit 2; }
if ! [ "$max" -ge 1 ] 2>/dev/null || [ "$max" -gt 16 ]; then echo "bench/live.sh: --max is 1 to 16" >&2; exit 2; fi
for m in $isos; do
  case $m in off | h264 | ffv1) ;; *) echo "bench/live.sh: --iso takes off, h264, ffv1 (not $m)" >&2; exit 2 ;; esac
done
case $peer in on | off) ;; *) echo "bench/live.sh: --peer on or off" >&2; exit 2 ;; esac
onetake=$build/onetake
[ -x "$onetake" ] || { echo "bench/live.sh: $onetake is missing: build first (scripts/build.sh $build)" >&2; exit 2; }
for t in gst-launch-1.0 ffprobe python3 pgrep /usr/bin/time; do
  command -v "$t" >/dev/null || { echo "bench/live.sh: $t is missing (scripts/install-deps.sh)" >&2; exit 2; }
done
work=$build/bench-work/live
mkdir -p "$work"
rm -f "$work"/*.log "$work"/*.samples "$work"/*.time "$work"/*.json "$work"/results.jsonl "$work"/maxima
rm -rf "$work"/take-* "$work"/peer-*
export XDG_CONFIG_HOME=$work/config # a station key of the bench's own, never the user's
key=$work/station.key
[ -s "$key" ] || "$onetake" keygen --out "$key" >/dev/null
frames=$((secs * 30))
py=$work/live.py

cat >"$py" <<'PY'
"""bench/live.sh's helper: sample a process's threads, judge a run, print the report."""
import json, math, os, re, signal, sys, time

HZ = os.sysconf("SC_CLK_TCK")


def ticks(path):
    s = open(path).read()
    f = s[s.rindex(")") + 2:].split()
    return f[0], int(f[11]) + int(f[12])  # state, utime + stime


def machine_busy():
    """CPU ticks every process of the machine has used (/proc/stat: all but idle and iowait)."""
    f = open("/proc/stat").readline().split()[1:9]
    return sum(int(x) for i, x in enumerate(f) if i not in (3, 4))


def sample(pid, out, take, deadline):
    """Every 0.5 s: the process's CPU ticks and every thread's (tid, comm, ticks); 'roll' once the take's first
    cut (the cue at frame 0) is in cuts.jsonl. SIGINT (then SIGKILL) the process if it runs past the deadline."""
    pid, start, sent = int(pid), time.monotonic(), 0
    with open(out, "w") as o:
        while True:
            t = time.monotonic()
            try:
                state, proc = ticks(f"/proc/{pid}/stat")
                tids = os.listdir(f"/proc/{pid}/task")
            except (OSError, ValueError):
                break
            if state == "Z":
                break
            thr = []
            for tid in tids:
                try:
                    comm = open(f"/proc/{pid}/task/{tid}/comm").read().rstrip("\n")
                    thr.append([int(tid), comm, ticks(f"/proc/{pid}/task/{tid}/stat")[1]])
                except (OSError, ValueError):
                    pass
            cp = os.path.join(take, "cuts.jsonl") if take else ""  # the cut at frame 0 is written at the roll
            roll = bool(cp) and os.path.exists(cp) and os.path.getsize(cp) > 0
            o.write(json.dumps({"t": t, "roll": roll, "proc": proc, "busy": machine_busy(), "threads": thr}) + "\n")
            o.flush()
            if t - start > float(deadline) and sent < 2:
                os.kill(pid, signal.SIGINT if sent == 0 else signal.SIGKILL)
                sent += 1
                start = t - float(deadline) + 10  # SIGKILL 10 s after the SIGINT
            time.sleep(0.5)


def window(samples, secs, live_take):
    """(first, last) samples of the steady window: 1 s after the roll to 1.5 s before the end."""
    s = [json.loads(l) for l in open(samples) if l.strip()]
    if not s:
        return None
    if live_take:
        rolled = [x for x in s if x["roll"]]
        if not rolled:
            return None
        t0 = rolled[0]["t"]
    else:
        t0 = s[0]["t"] + 1.0
    a = [x for x in s if x["t"] >= t0 + 1.0]
    b = [x for x in s if x["t"] <= t0 + secs - 1.5]
    if not a or not b or b[-1]["t"] - a[0]["t"] < 1.5:
        return None
    return a[0], b[-1]


def group_of(comm, current):
    """Thread group of a onetake thread; current: the encoder whose threads came last (tid order), 'prog' or 'iso'."""
    for codec in ("x264", "ffv1"):
        if comm.startswith(f"ot-{codec}-program"):
            return "prog_enc", "prog"
        if comm.startswith(f"ot-{codec}-iso"):
            return "iso_enc", "iso"
    if comm == "ot-mux":  # a MuxWriter's thread is started right after its output's encoder opens
        return ("iso_mux" if current == "iso" else "mux"), current
    if comm in ("onetake", "ot-program"):
        return "program", current
    if comm.startswith("ot-live-") or ":" in comm or comm.startswith(("videotestsrc", "queue")):
        return "capture", current
    if comm.startswith("ot-preview"):
        return "preview", current
    return "other", current


GROUPS = ["capture", "program", "prog_enc", "mux", "iso_enc", "iso_mux", "preview", "other"]


def cpu_groups(samples, secs, live_take, classify=True):
    w = window(samples, secs, live_take)
    if not w:
        return None
    a, b = w
    dt = b["t"] - a["t"]
    pct = lambda tk: 100.0 * tk / HZ / dt
    start = {tid: tk for tid, _, tk in a["threads"]}
    g = dict.fromkeys(GROUPS, 0)
    current, named = None, False
    for tid, comm, tk in sorted(b["threads"]):
        grp, current = group_of(comm, current)
        named |= grp in ("prog_enc", "iso_enc")
        g[grp] += tk - start.get(tid, 0)
    total = b["proc"] - a["proc"]
    g["other"] = max(0, g["other"] + total - sum(g.values()))  # + threads that ended within the window
    out = {k: pct(v) for k, v in g.items()}
    # What the rest of the machine used meanwhile: a busy machine explains a take that fell behind.
    others = pct(max(0, b.get("busy", 0) - a.get("busy", 0) - total)) if "busy" in a else None
    out.update(total=pct(total), window_s=dt, encoders_named=named, others=others)
    return out


def tv(f):
    try:
        wall, user, sys_, rss = open(f).read().split()[-4:]
        return float(wall), float(user) + float(sys_), int(rss)
    except (OSError, ValueError):
        return None, None, None


def judge_onetake(tag, size, mode, n, attempt, secs, rc, vrc, work, ref, take):
    frames = secs * 30
    row = {"kind": "onetake", "size": size, "mode": mode, "n": n, "attempt": attempt}
    why = []
    if int(rc) != 0:
        why.append(f"record exited {rc}")
    d = {}
    try:
        d = json.load(open(f"{work}/{tag}.take.json"))
    except (OSError, ValueError):
        why.append("no take.json")
    cams = d.get("cameras", [])
    live = [c.get("live", {}) for c in cams]
    row["repeats"] = sum(c.get("repeats", 0) for c in cams) + d.get("program_repeats", 0)
    # Drops: frames skipped for a newer one, and queue overflows.
    row["drops"] = sum(c.get("drops", 0) for c in cams) + sum(l.get("overflow", 0) for l in live)
    row["late"] = sum(l.get("late", 0) for l in live) + d.get("live", {}).get("late_ticks", 0)
    row["lost"] = sum(l.get("losses", 0) for l in live)
    isos = d.get("iso", [])
    row["iso_dropped"] = d.get("iso_dropped", 0)
    row["frames"] = d.get("frames", 0)
    row["fps"] = d["frames"] / d["wall_seconds"] if d.get("wall_seconds") else 0
    row["max_late_ms"] = d.get("live", {}).get("max_late_ms", 0)
    row["jitter_ms"] = max([l.get("jitter_max_ms", 0) for l in live] or [0])
    if d and d.get("status") != "closed":
        why.append(f"take {d.get('status')}")
    if d and row["frames"] != frames:
        why.append(f"{row['frames']} frames for {frames}")
    for k in ("repeats", "drops", "late", "lost", "iso_dropped"):
        if row[k]:
            why.append(f"{row[k]} {k.replace('_', ' ')}")
    if any(i.get("failed_at") is not None for i in isos):
        why.append("an ISO failed")
    try:
        v = json.load(open(f"{work}/{tag}.verify.json"))
        row["verify"] = v.get("verdict", "?")
        if int(vrc) != 0:
            why.append(f"verify {row['verify']} ({(v.get('failure') or {}).get('check', '?')})")
    except (OSError, ValueError):
        row["verify"] = "-"
        why.append(f"verify exited {vrc}")
    row["kept"] = not why
    row["why"] = "; ".join(why)
    row["wall"], row["cpu_s"], rss = tv(f"{work}/{tag}.time")
    row["rss_mb"] = rss / 1024 if rss else 0
    g = cpu_groups(f"{work}/{tag}.samples", secs, True)
    row["cpu"] = g
    if g and ref:
        # The program path against the program's encoder, on the same per-thread figures. The program's ot-mux
        # thread does the proof (raw frame hashes, packet hashes, commits) and the encoder's own calling-thread
        # work (picture copy-in, frame hand-off, bitstream out) and muxing: the latter is measured without the
        # proof (the reference take) and counted as encoding. Capture hand-off: the streaming threads beyond what
        # videotestsrc alone costs per frame (and the live supervisors).
        proof = max(0.0, g["mux"] - ref["mux_noproof"])
        handoff = max(0.0, g["capture"] - n * ref["gen_pct"])
        enc = g["prog_enc"] + min(g["mux"], ref["mux_noproof"])
        path = g["program"] + handoff + proof
        row["path"] = {"program": g["program"], "handoff": handoff, "proof": proof, "total": path,
                       "encoder": enc, "ratio": 100.0 * path / enc if enc > 0 else 0}
    return row


def judge_peer(tag, size, mode, n, attempt, secs, rc, work, counts):
    frames = secs * 30
    need = math.ceil(0.995 * frames)
    c = [int(x) if x.isdigit() else 0 for x in counts.split()]
    prog, isos = (c[0] if c else 0), c[1:]
    row = {"kind": "peer", "size": size, "mode": mode, "n": n, "attempt": attempt, "program_frames": prog,
           "iso_min": min(isos) if isos else None}
    why = []
    if int(rc) != 0:
        why.append(f"gst-launch exited {rc}")
    if prog < need:
        why.append(f"program {prog} frames for {frames}")
    if isos and min(isos) < need:
        why.append(f"an ISO has {min(isos)} frames for {frames}")
    row["kept"], row["why"] = not why, "; ".join(why)
    row["wall"], row["cpu_s"], rss = tv(f"{work}/{tag}.time")
    row["rss_mb"] = rss / 1024 if rss else 0
    row["cpu"] = cpu_groups(f"{work}/{tag}.samples", secs, False)
    return row


def ref(work, size, secs, gen_time, gen_frames):
    """Reference figures of a size: videotestsrc's own cost per camera (% of one core at 30 fps) and the program
    ot-mux thread's cost without the proof."""
    _, gen_cpu, _ = tv(gen_time)
    g = cpu_groups(f"{work}/ref-{size}.samples", secs, True)
    return {"size": size, "gen_pct": 100.0 * gen_cpu / (int(gen_frames) / 30.0) if gen_cpu else 0,
            "mux_noproof": g["mux"] if g else 0, "ref_cpu": g}


def f1(x):
    return "-" if x is None else f"{x:.1f}"


def report(work, sizes, isos, peer, secs, nmax):
    rows = [json.loads(l) for l in open(f"{work}/results.jsonl") if l.strip()]
    refs = {}
    if os.path.exists(f"{work}/refs.jsonl"):
        for l in open(f"{work}/refs.jsonl"):
            r = json.loads(l)
            refs[r["size"]] = r
    maxima = {}
    for l in open(f"{work}/maxima"):
        kind, size, mode, best = l.split()
        maxima[(kind, size, mode)] = int(best)
    def mx(kind, size, mode):
        b = maxima.get((kind, size, mode))
        return "-" if b is None else (f">= {b}" if b == nmax else str(b))
    for size in sizes:
        r = refs.get(size)
        print(f"\n## {size}\n")
        if r:
            print(f"Reference: videotestsrc alone {r['gen_pct']:.1f}% of a core per camera; the program's ot-mux "
                  f"thread without the proof (`--no-proof`, 1 camera) {r['mux_noproof']:.1f}%.\n")
        for mode in isos:
            print(f"### onetake, ISOs {mode}\n")
            print("| N | kept up | repeats | drops | late | ISO drops | jitter ms | fps | verify "
                  "| CPU % | capture | program | prog x264 | mux/proof | ISO enc | ISO writers | other | path % core "
                  "| path / encoder | RSS MB | others' CPU % |")
            print("| " + " | ".join(["---"] * 21) + " |")
            for x in rows:
                if x["kind"] != "onetake" or x["size"] != size or x["mode"] != mode:
                    continue
                g = x.get("cpu") or {}
                p = x.get("path") or {}
                kept = "yes" if x["kept"] else f"no: {x['why']}"
                if x["attempt"] > 1:
                    kept += f" (run {x['attempt']})"
                print(f"| {x['n']} | {kept} | {x['repeats']} | {x['drops']} "
                      f"| {x['late']} | {x['iso_dropped']} "
                      f"| {x['jitter_ms']:.0f} | {x['fps']:.2f} | {x['verify']} | {f1(g.get('total'))} "
                      f"| {f1(g.get('capture'))} "
                      f"| {f1(g.get('program'))} | {f1(g.get('prog_enc'))} | {f1(g.get('mux'))} "
                      f"| {f1(g.get('iso_enc') if mode != 'off' else None)} "
                      f"| {f1(g.get('iso_mux') if mode != 'off' else None)} | {f1(g.get('other'))} "
                      f"| {f1(p.get('total'))} | {f1(p.get('ratio'))}% | {x['rss_mb']:.0f} | {f1(g.get('others'))} |")
            print()
        if peer == "on":
            for mode in isos:
                if mode == "ffv1":
                    continue
                iso = f"x264 {PEER_ISO} ISOs" if mode == "h264" else "no ISOs"
                print(f"### GStreamer peer, {iso}\n")
                print("| N | kept up | program frames | fewest ISO frames | CPU % | RSS MB | others' CPU % |")
                print("| --- | --- | --- | --- | --- | --- | --- |")
                for x in rows:
                    if x["kind"] != "peer" or x["size"] != size or x["mode"] != mode:
                        continue
                    kept = "yes" if x["kept"] else f"no: {x['why']}"
                    if x["attempt"] > 1:
                        kept += f" (run {x['attempt']})"
                    iso_min = "-" if x["iso_min"] is None else x["iso_min"]
                    print(f"| {x['n']} | {kept} | {x['program_frames']} | {iso_min} "
                          f"| {f1((x.get('cpu') or {}).get('total'))} | {x['rss_mb']:.0f} "
                          f"| {f1((x.get('cpu') or {}).get('others'))} |")
                print()
    print("## Summary\n")
    for size in sizes:
        parts = [f"{mx('onetake', size, m)} with ISOs {m}" if m != "off" else f"{mx('onetake', size, m)} without ISOs"
                 for m in isos]
        line = f"- {size}: onetake kept up with " + ", ".join(parts)
        if peer == "on":
            pp = [f"{mx('peer', size, m)} " + ("with x264 ISOs" if m == "h264" else "without ISOs")
                  for m in isos if m != "ffv1"]
            line += "; the GStreamer peer with " + ", ".join(pp)
        tgt = {"1280x720": 7, "1920x1080": 3}.get(size)
        if tgt:
            line += f" (target: at least the peer's and at least {tgt} with ISOs)"
        print(line)
        ratios = [x["path"]["ratio"] for x in rows if x["kind"] == "onetake" and x["size"] == size and x["kept"]
                  and x.get("path")]
        cores = [x["path"]["total"] for x in rows if x["kind"] == "onetake" and x["size"] == size and x["kept"]
                 and x.get("path")]
        if ratios:
            print(f"  program path (program thread + capture hand-off + proof): {min(ratios):.0f}-{max(ratios):.0f}% "
                  f"of the program encoder's CPU ({min(cores):.1f}-{max(cores):.1f}% of one core) over the takes that "
                  f"kept up (target <= 5%)")


if __name__ == "__main__":
    cmd, a = sys.argv[1], sys.argv[2:]
    PEER_ISO = os.environ.get("PEER_ISO_PRESET", "ultrafast")
    if cmd == "sample":
        sample(*a)
    elif cmd == "onetake":
        tag, size, mode, n, attempt, secs, rc, vrc, work, take = a
        refs = {}
        if os.path.exists(f"{work}/refs.jsonl"):
            refs = {json.loads(l)["size"]: json.loads(l) for l in open(f"{work}/refs.jsonl")}
        row = judge_onetake(tag, size, mode, int(n), int(attempt), int(secs), rc, vrc, work, refs.get(size), take)
        open(f"{work}/results.jsonl", "a").write(json.dumps(row) + "\n")
        g = row.get("cpu") or {}
        if g and not g.get("encoders_named"):
            print("bench/live.sh: warning: no encoder thread is named ot-x264-*: the encoders' CPU is counted "
                  "with the thread that opened them", file=sys.stderr)
        print("yes" if row["kept"] else f"no: {row['why']}")
    elif cmd == "peer":
        tag, size, mode, n, attempt, secs, rc, work, counts = a
        row = judge_peer(tag, size, mode, int(n), int(attempt), int(secs), rc, work, counts)
        open(f"{work}/results.jsonl", "a").write(json.dumps(row) + "\n")
        print("yes" if row["kept"] else f"no: {row['why']}")
    elif cmd == "ref":
        work, size, secs, gen_time, gen_frames = a
        r = ref(work, size, int(secs), gen_time, gen_frames)
        open(f"{work}/refs.jsonl", "a").write(json.dumps(r) + "\n")
    elif cmd == "report":
        work, sizes, isos, peer, secs, nmax = a
        report(work, sizes.split(), isos.split(), peer, int(secs), int(nmax))
PY
: >"$work/results.jsonl"
: >"$work/refs.jsonl"
: >"$work/maxima"
export PEER_ISO_PRESET=$peer_iso_preset

log() { echo "bench/live.sh: $*" >&2; }

# child_of PID: the process /usr/bin/time started (waits for it a little); empty if it is already gone.
child_of() {
  local c=""
  for _ in $(seq 100); do
    c=$(pgrep -P "$1" | head -n1) && [ -n "$c" ] && break
    kill -0 "$1" 2>/dev/null || break
    sleep 0.02
  done
  echo "$c"
}

# timed TAG TAKE DEADLINE CMD...: run CMD under /usr/bin/time (log, time file), its threads sampled; rc in $rc.
timed() {
  local tag=$1 take=$2 deadline=$3
  shift 3
  /usr/bin/time -f '%e %U %S %M' -o "$work/$tag.time" "$@" >"$work/$tag.log" 2>&1 &
  local tp=$! pid sp=""
  pid=$(child_of "$tp")
  if [ -n "$pid" ]; then
    python3 "$py" sample "$pid" "$work/$tag.samples" "$take" "$deadline" &
    sp=$!
  fi
  rc=0
  wait "$tp" || rc=$?
  [ -z "$sp" ] || wait "$sp" || true
}

# camera_args SIZE N: --cam options of N live test cameras.
camera_args() {
  local w=${1%x*} h=${1#*x} i
  local caps="video/x-raw,format=I420,width=$w,height=$h,framerate=30/1"
  cams=()
  for ((i = 0; i < $2; i++)); do
    cams+=(--cam "c$i=pipe:videotestsrc is-live=true pattern=$pattern ! $caps")
  done
}

# cue_list N FILE: a cut every 2 s round the N cameras, the end at SECONDS.
cue_list() {
  local f c
  : >"$2"
  for ((f = 0, c = 0; f < frames; f += 60, c = (c + 1) % $1)); do
    [ $f -gt 0 ] && [ "$1" = 1 ] && continue
    echo "$f cut c$c" >>"$2"
  done
  echo "$frames end" >>"$2"
}

# run_onetake SIZE MODE N ATTEMPT: one take; returns 0 if it kept up.
run_onetake() {
  local size=$1 mode=$2 n=$3 attempt=$4 tag="onetake-$1-$2-$3-$4" opts=()
  local take=$work/take-$tag
  camera_args "$size" "$n"
  cue_list "$n" "$work/$tag.cues"
  [ "$mode" = off ] || opts=(--iso --iso-codec "$mode")
  [ -z "$latency" ] || opts+=(--latency "$latency")
  timed "$tag" "$take" $((secs + 90)) "$onetake" record --headless --codec h264 --preset ultrafast --size "$size" \
    --fps 30/1 --key "$key" "${cams[@]}" --cues "$work/$tag.cues" "${opts[@]}" --out "$take"
  local vrc=0
  if [ -d "$take" ]; then
    "$onetake" verify "$take" --pubkey "$key.pub" --json --quiet >"$work/$tag.verify.json" 2>>"$work/$tag.log" ||
      vrc=$?
    cp "$take/take.json" "$work/$tag.take.json" 2>/dev/null || true
  else
    vrc=2
  fi
  local verdict
  verdict=$(python3 "$py" onetake "$tag" "$size" "$mode" "$n" "$attempt" "$secs" "$rc" "$vrc" "$work" "$take")
  rm -rf "$take"
  log "onetake $size ISOs $mode, $n cameras: kept up: $verdict"
  [ "$verdict" = yes ]
}

# run_peer SIZE MODE N ATTEMPT: the same cameras in one gst-launch-1.0 pipeline; returns 0 if it kept up.
run_peer() {
  local size=$1 mode=$2 n=$3 attempt=$4 tag="peer-$1-$2-$3-$4" i
  local w=${size%x*} h=${size#*x} dir=$work/peer-$tag
  mkdir -p "$dir"
  # x264 as onetake sets it up where GStreamer lets us: 2 threads per encoder (onetake's MUX_DEFAULT_THREADS),
  # constant quality 23 (libx264's default CRF; x264enc's pass=qual caps the rate at `bitrate`, so that is set out
  # of the way), a keyframe every 30 frames. Leaky queues of 8 frames before each encoder (onetake's ISO queue).
  local x264="x264enc pass=qual quantizer=23 bitrate=2048000 key-int-max=30 threads=2"
  local q="queue leaky=downstream max-size-buffers=8 max-size-bytes=0 max-size-time=0"
  # shellcheck disable=SC2206 # $x264, $q and $pattern are lists of words
  local p=(input-selector name=sel ! $x264 speed-preset=ultrafast ! h264parse ! matroskamux
    ! filesink location="$dir/program.mkv")
  for ((i = 0; i < n; i++)); do
    # shellcheck disable=SC2206,SC2054
    p+=(videotestsrc is-live=true num-buffers=$frames pattern=$pattern
      ! video/x-raw,format=I420,width=$w,height=$h,framerate=30/1 ! tee name=t$i t$i. ! $q ! sel.sink_$i)
    if [ "$mode" = h264 ]; then
      # shellcheck disable=SC2206
      p+=(t$i. ! $q ! $x264 speed-preset="$peer_iso_preset" ! h264parse ! matroskamux
        ! filesink location="$dir/iso$i.mkv")
    fi
  done
  timed "$tag" "" $((secs + 60)) gst-launch-1.0 -e -q "${p[@]}"
  local counts="" f
  for f in "$dir/program.mkv" $([ "$mode" = h264 ] && for ((i = 0; i < n; i++)); do echo "$dir/iso$i.mkv"; done); do
    counts="$counts $(ffprobe -v error -count_packets -select_streams v:0 -show_entries stream=nb_read_packets \
      -of csv=p=0 "$f" 2>/dev/null || echo 0)"
  done
  rm -rf "$dir"
  local verdict
  verdict=$(python3 "$py" peer "$tag" "$size" "$mode" "$n" "$attempt" "$secs" "$rc" "$work" "$counts")
  log "peer $size ISOs $mode, $n cameras: kept up: $verdict"
  [ "$verdict" = yes ]
}

# try KIND SIZE MODE N: 0 if N cameras kept up (in one of 1 + --retries runs).
try() {
  local a
  for ((a = 1; a <= 1 + retries; a++)); do
    if "run_$1" "$2" "$3" "$4" "$a"; then return 0; fi
  done
  return 1
}

# search KIND SIZE MODE: from --start, N up until a run (and its retries) does not keep up, or down until one does;
# appends the largest N kept.
search() {
  local kind=$1 size=$2 mode=$3 n best=0
  n=$((start > max ? max : start))
  if try "$kind" "$size" "$mode" "$n"; then
    best=$n
    for ((n = n + 1; n <= max; n++)); do
      try "$kind" "$size" "$mode" "$n" || break
      best=$n
    done
  else
    for ((n = n - 1; n >= 1; n--)); do
      if try "$kind" "$size" "$mode" "$n"; then best=$n; break; fi
    done
  fi
  echo "$kind $size $mode $best" >>"$work/maxima"
}

# reference SIZE: videotestsrc's own cost per frame, and a 1-camera take without the proof (the program's ot-mux
# thread then only encodes and muxes).
reference() {
  local size=$1 w=${1%x*} h=${1#*x} rs=$((secs < 20 ? secs : 20)) n=300
  # shellcheck disable=SC2086 # $pattern: the pattern and its properties
  /usr/bin/time -f '%e %U %S %M' -o "$work/gen-$size.time" gst-launch-1.0 -q videotestsrc num-buffers=$n \
    pattern=$pattern ! "video/x-raw,format=I420,width=$w,height=$h,framerate=30/1" ! fakesink >/dev/null 2>&1
  camera_args "$size" 1
  printf '0 cut c0\n%d end\n' $((rs * 30)) >"$work/ref-$size.cues"
  timed "ref-$size" "$work/take-ref-$size" $((rs + 90)) "$onetake" record --headless --no-proof --codec h264 \
    --preset ultrafast --size "$size" --fps 30/1 "${cams[@]}" --cues "$work/ref-$size.cues" \
    --out "$work/take-ref-$size"
  rm -rf "$work/take-ref-$size"
  [ $rc = 0 ] || log "the reference take ($size, --no-proof) exited $rc: see $work/ref-$size.log"
  python3 "$py" ref "$work" "$size" "$rs" "$work/gen-$size.time" $n
}

cpu_model=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)
cat <<EOF
# onetake live capacity, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $cpu_model, load average $(cut -d' ' -f1-3 /proc/loadavg) at the start

- Cameras: live \`videotestsrc is-live=true pattern=$pattern\`, I420, 30 fps (the same in the peer); ${secs} s takes
  with a cut every 2 s round the cameras. Program: x264 ultrafast, 2 threads, CRF 23, GOP 30, proof on, headless,
  --latency ${latency:-default (2 frames)}.
- ISOs: onetake's h264 ISOs are x264 ultrafast (they follow \`--preset\`), 2 threads, CRF 23 (ffv1 ISOs: FFV1
  level 3, range coder, sliced, 2 threads); the peer's are x264enc $peer_iso_preset, 2 threads, quality 23, behind
  leaky 8-frame queues.
- Kept up: every frame, no repeat, drop, overflow, late frame or late tick, no ISO drop, \`onetake verify\` exit 0
  (peer: every file >= 99.5% of the frames).
- CPU: % of one core ($(nproc) cores: $(($(nproc) * 100))% at most) from /proc/PID/task/*/stat, 1 s after the roll to 1.5 s
  before the end. capture = GStreamer streaming threads and the ot-live supervisors; program = the program thread;
  prog x264 = the program encoder's threads (ot-x264-program); mux/proof = the program's ot-mux thread (proof
  hashes and commits, x264's calling-thread work, Matroska); ISO enc / ISO writers = the ISOs' encoder threads and
  ot-mux threads; preview: none (headless); others' CPU: every other process of the machine meanwhile (a take that
  fell behind while it was high was likely disturbed: run again on a quiet machine).
- Program path = program thread + capture hand-off (capture beyond videotestsrc's own cost) + proof (mux/proof
  beyond the reference take without the proof), against the program encoder (its threads + the reference mux/proof).
EOF

for size in $sizes; do
  reference "$size"
  for mode in $isos; do
    search onetake "$size" "$mode"
    if [ "$peer" = on ] && [ "$mode" != ffv1 ]; then
      search peer "$size" "$mode"
    fi
  done
done

python3 "$py" report "$work" "$sizes" "$isos" "$peer" "$secs" "$max"

# Copy ISOs of compressed network sources: refused today (README, "What is not here yet"); say so from onetake itself.
copy_msg=$("$onetake" record --headless --iso --iso-codec copy --cam "net=srt://127.0.0.1:9000" --duration 1 \
  --out "$work/take-copy-check" 2>&1 | grep -m1 -o 'copying a live source.*not available yet' || true)
rm -rf "$work/take-copy-check"
echo "- \`--iso-codec copy\` on compressed network sources: not available (onetake: \"${copy_msg:-copy ISOs are for file cameras only}\")"
echo
echo "Logs, take.json and verify output of every run: $work"
