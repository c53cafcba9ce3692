#!/usr/bin/env python3
"""Helpers of test_stream.sh (the oracle is ffmpeg's decode, never onetake's output).

framecheck MASTER REC FPS   every frame ffmpeg decodes from REC (a stream recording) is the master's frame of the same
                            time: the first decoded frame is found in the master by its pixels (the test's source has a
                            time overlay: every frame differs), then frame i of REC must be the master's frame at
                            first + round((pts_i - pts_0) x FPS). Prints "FIRST LAST COUNT".
splice A B OUT K0 K1        a copy of MPEG-TS A whose video PES packets K0..K1 (decode order) are B's, B's PTS/DTS
                            overwritten with A's: other pictures at the same times, spliced at the TS level
json EXPR FILE              a value of a JSON file (Python expression on d)
rss PID                     VmRSS of a process in kB
"""
import json
import subprocess
import sys
from fractions import Fraction


def framemd5(path):
    out = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-map", "0:v:0", "-fps_mode", "passthrough",
                          "-copyts", "-f", "framemd5", "-"], check=True, capture_output=True, text=True).stdout
    tb = Fraction(1, 1)
    frames = []
    for line in out.splitlines():
        if line.startswith("#tb 0:"):
            tb = Fraction(line.split(":")[1].strip())
        if not line or line.startswith("#"):
            continue
        f = [x.strip() for x in line.split(",")]
        frames.append((Fraction(int(f[2])) * tb, f[5]))
    return frames


def framecheck(master, rec, fps):
    fps = Fraction(fps)
    m = framemd5(master)
    by_frame = {round(t * fps): h for t, h in m}
    where = {}
    for k, h in by_frame.items():
        where.setdefault(h, []).append(k)
    r = framemd5(rec)
    if not r:
        sys.exit("framecheck: %s decodes to no frame" % rec)
    first = where.get(r[0][1], [])
    if len(first) != 1:
        sys.exit("framecheck: the first decoded frame of %s is %s of the master" %
                 (rec, "not a frame" if not first else "several frames"))
    k0, t0 = first[0], r[0][0]
    last = k0
    for i, (t, h) in enumerate(r):
        k = k0 + round((t - t0) * fps)
        if by_frame.get(k) != h:
            sys.exit("framecheck: decoded frame %d of %s (master frame %d by its time) differs from the master's"
                     % (i, rec, k))
        last = max(last, k)
    print(k0, last, len(r))


def ts_units(path):
    """The file's 188-byte packets grouped: [(pid, [packets])], a new group at each payload unit start."""
    data = open(path, "rb").read()
    units = []
    for i in range(0, len(data) - 187, 188):
        p = data[i:i + 188]
        pid = (p[1] & 0x1f) << 8 | p[2]
        if p[1] & 0x40 or not units or units[-1][0] != pid:
            units.append((pid, [p]))
        else:
            units[-1][1].append(p)
    return units


def pes_offset(p):
    """Where the PES header starts in a TS packet that starts one."""
    off = 4
    if p[3] & 0x20:
        off += 1 + p[4]
    return off


def splice(a, b, out, k0, k1):
    ua, ub = ts_units(a), ts_units(b)
    video = 0x100  # libavformat's first elementary stream
    va = [i for i, (pid, _) in enumerate(ua) if pid == video and ua[i][1][0][1] & 0x40]
    vb = [u for u in ub if u[0] == video and u[1][0][1] & 0x40]
    res = []
    swap = {va[k]: vb[k] for k in range(int(k0), int(k1) + 1)}
    for i, (pid, pkts) in enumerate(ua):
        if i not in swap:
            res.extend(pkts)
            continue
        bp = [bytearray(x) for x in swap[i][1]]
        pa, pb = pkts[0], bp[0]
        oa, ob = pes_offset(pa), pes_offset(pb)
        if pa[oa + 7] & 0xc0 == pb[ob + 7] & 0xc0:  # same PTS/DTS flags: A's times into B's header
            n = 10 if pa[oa + 7] & 0x40 else 5
            pb[ob + 9:ob + 9 + n] = pa[oa + 9:oa + 9 + n]
        res.extend(bytes(x) for x in bp)
    open(out, "wb").write(b"".join(res))


def main():
    cmd = sys.argv[1]
    if cmd == "framecheck":
        framecheck(sys.argv[2], sys.argv[3], sys.argv[4])
    elif cmd == "splice":
        splice(*sys.argv[2:7])
    elif cmd == "json":
        d = json.load(open(sys.argv[3]))
        print(eval(sys.argv[2], {"d": d}))
    elif cmd == "rss":
        for line in open("/proc/%s/status" % sys.argv[2]):
            if line.startswith("VmRSS:"):
                print(line.split()[1])
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main()
