#!/usr/bin/env python3
"""Checks of live copy ISOs (test_live_copy.sh), from the senders' own files and ffmpeg/ffprobe, never from onetake.

  packets ISO SENDER.ts [SENDER2.ts]
      The ISO's packets are the sender's: NAL unit for NAL unit (the ISO holds them length-prefixed, the sender's
      MPEG-TS in Annex B), a contiguous run of SENDER.ts's packets; with SENDER2.ts (the sender started again
      after a kill) a run of the first file followed by a run of the second.
  clock TAKE CUES FPS_NUM FPS_DEN W H
      Program frame k (FFV1, decoded by ffmpeg) is, for the camera the cue list puts on program at k, the ISO frame
      the take clock gives tick k: the latest whose time (its pts plus take.json's start_ms) is at or before
      k / fps + 1 ms (the runner's tolerance).
  frames ISO
      ffprobe decodes every packet of the ISO into a frame; prints the count.
"""
import json
import re
import subprocess
import sys


def fail(msg):
    print(f"FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


def packet_data(path):
    out = subprocess.run(['ffprobe', '-v', 'error', '-select_streams', 'v:0', '-show_packets', '-show_data', '-of',
                          'json', path], capture_output=True, text=True, check=True).stdout
    pkts = []
    for p in json.loads(out).get('packets', []):
        # ffprobe's hex dump: "OFFSET: 8 groups of 4 hex digits  ascii"; the hex part is a fixed 40 columns.
        hexs = ''.join(line.split(':', 1)[1][:40].replace(' ', '') for line in p['data'].strip().split('\n'))
        pkts.append(bytes.fromhex(hexs))
    return pkts


def nals_prefixed(b):
    out, i = [], 0
    while i + 4 <= len(b):
        n = int.from_bytes(b[i:i + 4], 'big')
        out.append(b[i + 4:i + 4 + n].rstrip(b'\x00'))
        i += 4 + n
    if i != len(b):
        fail(f"a packet of {len(b)} bytes is not 4-byte length-prefixed NAL units")
    return tuple(out)


def nals_annexb(b):
    starts = [m.end() for m in re.finditer(b'\x00\x00\x01', b)]
    out = []
    for k, s in enumerate(starts):
        e = starts[k + 1] - 3 if k + 1 < len(starts) else len(b)
        # Zero bytes after a NAL unit (the next start code's leading zero, trailing_zero_8bits) are not part of it:
        # a NAL unit ends in its rbsp stop bit. Parsers drop them.
        out.append(b[s:e].rstrip(b'\x00'))
    return tuple(out)


def run_length(iso, i, ts):
    """How many of iso[i:] match ts from the first place iso[i] is found; (start in ts, length)."""
    try:
        j = ts.index(iso[i])
    except ValueError:
        return -1, 0
    n = 0
    while i + n < len(iso) and j + n < len(ts) and iso[i + n] == ts[j + n]:
        n += 1
    return j, n


def cmd_packets(iso_path, ts_paths):
    iso = [nals_prefixed(p) for p in packet_data(iso_path)]
    if not iso:
        fail(f"{iso_path} has no packets")
    runs = [[nals_annexb(p) for p in packet_data(t)] for t in ts_paths]
    i = 0
    for r, ts in enumerate(runs):
        j, n = run_length(iso, i, ts)
        if n == 0:
            fail(f"{iso_path}: packet {i} is not one of {ts_paths[r]}'s {len(ts)} packets")
        print(f"{iso_path}: packets {i}..{i + n - 1} are {ts_paths[r]}'s {j}..{j + n - 1}")
        i += n
        if i == len(iso):
            break
    if i != len(iso):
        fail(f"{iso_path}: packet {i} of {len(iso)} breaks the run of the senders' packets")
    if len(runs) > 1 and r != len(runs) - 1:
        fail(f"{iso_path}: no packet of {ts_paths[-1]} (the sender started again): the ISO did not go on")
    print(f"ok: {len(iso)} packets of {iso_path} are the sender's")


def raw_frames(path, w, h):
    raw = subprocess.run(['ffmpeg', '-v', 'error', '-i', path, '-map', '0:v', '-fps_mode', 'passthrough', '-f',
                          'rawvideo', '-pix_fmt', 'yuv420p', '-'], capture_output=True, check=True).stdout
    fs = w * h * 3 // 2
    if len(raw) % fs:
        fail(f"{path}: {len(raw)} bytes of frames is no whole number of {w}x{h} frames")
    return [raw[i:i + fs] for i in range(0, len(raw), fs)]


def frame_times(path):
    out = subprocess.run(['ffprobe', '-v', 'error', '-select_streams', 'v:0', '-show_entries', 'frame=pts_time',
                          '-of', 'json', path], capture_output=True, text=True, check=True).stdout
    return [round(float(f['pts_time']) * 1000) for f in json.loads(out)['frames']]


def cue_plan(path, num, den, nticks, cams):
    """Which camera the cue list puts on program at each tick (cuts only, timecodes at the program rate)."""
    fps = round(num / den)
    cuts = []
    for line in open(path):
        line = line.split('#', 1)[0].strip()
        if not line:
            continue
        tc, kind, *rest = line.split()
        hh, mm, ss, ff = (int(x) for x in tc.split(':'))
        if kind == 'cut':
            cuts.append((((hh * 60 + mm) * 60 + ss) * fps + ff, cams.index(rest[0])))
    plan, cur = [], cuts[0][1]
    for k in range(nticks):
        for f, c in cuts:
            if f == k:
                cur = c
        plan.append(cur)
    return plan


def cmd_clock(take, cues, num, den, w, h):
    info = json.load(open(f"{take}/take.json"))
    cams = [c['name'] for c in info['cameras']]
    prog = raw_frames(f"{take}/program.mkv", w, h)
    plan = cue_plan(cues, num, den, len(prog), cams)
    for ci, cam in enumerate(cams):
        iso_path = f"{take}/iso/{cam}.mkv"
        frames, times = raw_frames(iso_path, w, h), frame_times(iso_path)
        if len(frames) != len(times):
            fail(f"{iso_path}: {len(frames)} frames decoded, {len(times)} frame times")
        start = [i for i in info['iso'] if i['camera'] == cam][0]['start_ms']
        j, checked = -1, 0
        for k, p in enumerate(prog):
            limit_ns = k * den * 10**9 // num + 10**6
            while j + 1 < len(times) and (times[j + 1] + start) * 10**6 <= limit_ns:
                j += 1
            if plan[k] != ci:
                continue
            if j < 0:
                fail(f"tick {k}: camera {cam} is on program but its ISO has no frame at or before the tick")
            if frames[j] != p:
                fail(f"tick {k}: program frame is not ISO {cam}'s frame {j} (at {times[j] + start} ms take time)")
            checked += 1
        if checked == 0:
            fail(f"camera {cam} was never on program: nothing checked")
        print(f"ok: {cam}: the {checked} program frames it is on program for are its ISO's frames at their ticks")


def cmd_frames(iso_path):
    out = subprocess.run(['ffprobe', '-v', 'error', '-count_frames', '-count_packets', '-select_streams', 'v:0',
                          '-show_entries', 'stream=nb_read_frames,nb_read_packets', '-of', 'json', iso_path],
                         capture_output=True, text=True)
    if out.returncode != 0 or out.stderr.strip():
        fail(f"ffprobe on {iso_path}: {out.stderr.strip()}")
    st = json.loads(out.stdout)['streams'][0]
    frames, packets = int(st['nb_read_frames']), int(st['nb_read_packets'])
    if frames != packets or frames == 0:
        fail(f"{iso_path}: {packets} packets decode to {frames} frames")
    print(frames)


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == 'packets':
        cmd_packets(args[0], args[1:])
    elif cmd == 'clock':
        cmd_clock(args[0], args[1], int(args[2]), int(args[3]), int(args[4]), int(args[5]))
    elif cmd == 'frames':
        cmd_frames(args[0])
    else:
        fail(f"unknown command {cmd}")


if __name__ == '__main__':
    main()
