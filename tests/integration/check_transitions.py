#!/usr/bin/env python3
"""check_transitions.py PROGRAM W H CUES NAME=FILE...

Recomputes every program frame of a take with transitions from the cameras' own frames (decoded by ffmpeg, not by
onetake) with the rule documented in switcher/sw_transition.h, and compares byte for byte. The cue list is parsed
here (the subset the test writes: TIME as a frame number, cut / mix / dip / wipe / end, and `FRAME complete`: the
transition before it completed at once at FRAME, a second T). A transition ends at its length, at its completion or
at the next cut, whichever comes first (a cut during a transition completes it). Prints the number of mixed frames;
exits 1 at the first frame that differs."""
import math
import re
import subprocess
import sys

import numpy as np


def decode(path, w, h):
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-f", "rawvideo", "-pix_fmt", "yuv420p", "-"],
                         check=True, stdout=subprocess.PIPE, timeout=120).stdout
    size = w * h * 3 // 2
    n = len(raw) // size
    return np.frombuffer(raw[:n * size], dtype=np.uint8).reshape(n, size)


def planes(frame, w, h):
    y = frame[:w * h].reshape(h, w)
    cw, ch = w // 2, h // 2
    u = frame[w * h:w * h + cw * ch].reshape(ch, cw)
    v = frame[w * h + cw * ch:].reshape(ch, cw)
    return [y, u, v]


def blend(a, b, w):
    a = a.astype(np.int64)
    b = b.astype(np.int64)
    return ((a * (256 - w) + b * w + 128) >> 8).astype(np.uint8)


def colour_yuv(rgb):
    r, g, b = rgb
    return [(66 * r + 129 * g + 25 * b + 4224) >> 8, (-38 * r - 74 * g + 112 * b + 32896) >> 8,
            (112 * r - 94 * g - 18 * b + 32896) >> 8]


def isqrt_arr(n):
    r = np.floor(np.sqrt(n.astype(np.float64))).astype(np.int64)
    r -= (r * r > n)
    r += ((r + 1) * (r + 1) <= n)
    return r


def wipe_weights(pattern, soft, k, n, w, h):
    y, x = np.mgrid[0:h, 0:w].astype(np.int64)
    dx, dy = 2 * x + 1 - w, 2 * y + 1 - h
    if pattern == "left":
        v, m, s = x, w, soft
    elif pattern == "right":
        v, m, s = w - 1 - x, w, soft
    elif pattern == "down":
        v, m, s = y, h, soft
    elif pattern == "up":
        v, m, s = h - 1 - y, h, soft
    elif pattern == "box":
        v, m, s = np.maximum(np.abs(dx) * h, np.abs(dy) * w), w * h, 2 * soft * h
    else:
        v, m, s = isqrt_arr(dx * dx + dy * dy), math.isqrt(w * w + h * h) + 1, 2 * soft
    e = (k + 1) * (m + s) // (n + 1)
    d = e - v
    full = np.where(d >= s, 256, (d * 256) // max(s, 1))
    return np.where(d <= 0, 0, full)


def expected(tr, k, a, b, w, h):
    pa, pb = planes(a, w, h), planes(b, w, h)
    n = tr["frames"]
    if tr["kind"] == "mix":
        wt = (k + 1) * 256 // (n + 1)
        out = [blend(pa[i], pb[i], wt) for i in range(3)]
    elif tr["kind"] == "dip":
        p = (k + 1) * 512 // (n + 1)
        c = colour_yuv(tr["rgb"])
        if p < 256:
            out = [blend(pa[i], np.full_like(pa[i], c[i]), p) for i in range(3)]
        else:
            out = [blend(np.full_like(pb[i], c[i]), pb[i], p - 256) for i in range(3)]
    else:
        wy = wipe_weights(tr["pattern"], tr["soft"], k, n, w, h)
        wc = wy[::2, ::2]
        out = [blend(pa[0], pb[0], wy), blend(pa[1], pb[1], wc), blend(pa[2], pb[2], wc)]
    return np.concatenate([p.reshape(-1) for p in out])


def parse_cues(path, names):
    cues = []
    for line in open(path, encoding="utf-8"):
        f = []
        for t in re.sub(r'"[^"]*"', " ", line).split():
            if t.startswith("#") and not (len(f) == 4 and f[1] == "dip"):
                break  # a comment (after a dip's length, #RRGGBB is its colour)
            f.append(t)
        if not f:
            continue
        frame, action = int(f[0]), f[1]
        if action == "complete":
            cues[-1]["done"] = frame
            continue
        if action == "end":
            cues.append({"frame": frame, "kind": "end"})
            continue
        c = {"frame": frame, "kind": action, "cam": names.index(f[2]), "frames": 0}
        if action != "cut":
            c["frames"] = int(f[3])
        if action == "dip":
            col = f[4] if len(f) > 4 else "black"
            named = {"black": (0, 0, 0), "white": (255, 255, 255)}
            c["rgb"] = named[col] if col in named else tuple(int(col[i:i + 2], 16) for i in (1, 3, 5))
        if action == "wipe":
            c["pattern"] = f[4]
            c["soft"] = int(f[6]) if len(f) > 6 and f[5] == "soft" else 0
        cues.append(c)
    return cues


def main():
    prog, w, h, cues_path = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    names, cams = [], []
    for arg in sys.argv[5:]:
        name, path = arg.split("=", 1)
        names.append(name)
        cams.append(decode(path, w, h))
    cues = parse_cues(cues_path, names)
    program = decode(prog, w, h)
    end = next(c["frame"] for c in cues if c["kind"] == "end")
    if len(program) != end:
        sys.exit(f"FAIL: the program has {len(program)} frames, the cue list ends at {end}")
    # where each transition stops mixing: its length, its early completion, the next cut
    for i, c in enumerate(cues):
        stop = c["frame"] + c.get("frames", 0)
        if "done" in c:
            stop = min(stop, c["done"])
        if i + 1 < len(cues):
            stop = min(stop, cues[i + 1]["frame"])
        c["stop"] = stop
    mixed, plain = 0, 0
    for t in range(end):
        tr = None
        # a transition at frame 0 is a cut (nothing to come from)
        active = [c for c in cues if c["kind"] not in ("end", "cut") and c["frame"] > 0 and
                  c["frame"] <= t < c["stop"]]
        current = [c for c in cues if c["kind"] != "end" and c["frame"] <= t]
        cam = current[-1]["cam"] if current else 0
        if active:
            tr = active[0]
            before = [c for c in cues if c["kind"] != "end" and c["frame"] < tr["frame"]]
            src = before[-1]["cam"] if before else 0
            want = expected(tr, t - tr["frame"], cams[src][t], cams[cam][t], w, h)
            mixed += 1
        else:
            want = cams[cam][t]
            plain += 1
        if not np.array_equal(program[t], want):
            diff = np.nonzero(program[t] != want)[0]
            kind = tr["kind"] if tr else "camera " + names[cam]
            sys.exit(f"FAIL: program frame {t} ({kind}) differs in {len(diff)} bytes, first at byte {diff[0]}: "
                     f"{program[t][diff[0]]} != {want[diff[0]]}")
    print(f"ok: {end} program frames equal to the recomputed ones: {mixed} mixed, {plain} the camera's own")
    print(f"mixed={mixed}")


if __name__ == "__main__":
    main()
