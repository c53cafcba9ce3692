#!/usr/bin/env python3
"""Test helper for live takes and program audio (test_live.sh), standard library only.

  free-port                        a free UDP port on 127.0.0.1 (SRT runs over UDP)
  frames DIR YUV W H               every decoded program frame (yuv420p, W x H) against its RAW record's hash:
                                   the program holds exactly what the take log says; prints the frame count
  slate DIR YUV W H CAM            camera CAM was lost while on program: its slate (one picture, dark, with light
                                   text) is on program for a run of ticks, declared (RAW slate flag and ANOMALY),
                                   and CAM's own pictures come back after it (reconnected); prints what it saw
  anomalies DIR                    per "kind cam" the declared count (ANOMALY "n", 1 when absent) as JSON
  onsets PCM [THRESHOLD]           click onsets (sample index) of mono s16le 48 kHz PCM, one per click
  match EXPECTED_S GOT_S TOL_S     two lists of onset times (s, comma-separated) match one to one within TOL_S;
                                   prints the largest error
  block-of-track MKV TRACK N       index (decode order, all tracks: what proof_tool.py mkv-drop takes) of the
                                   Nth block of Matroska track number TRACK
"""
import hashlib
import json
import socket
import struct
import sys

import proof_tool  # the one take.log framing of the tests


def records(path):
    return [json.loads(rec) for _, rec in proof_tool.records(open(path, 'rb').read(), check_crc=False)]


def fail(msg):
    print('live_tool: FAIL: ' + msg, file=sys.stderr)
    sys.exit(1)


def yuv_frames(path, w, h):
    size = w * h * 3 // 2
    data = open(path, 'rb').read()
    return [data[i:i + size] for i in range(0, len(data) - size + 1, size)]


def cmd_frames(d, yuv, w, h):
    raws = [r for r in records(d + '/take.log') if r['t'] == 'RAW']
    frames = yuv_frames(yuv, w, h)
    if len(frames) != len(raws):
        fail('%d decoded frames, %d RAW records' % (len(frames), len(raws)))
    for r, f in zip(raws, frames):
        if hashlib.sha256(f).hexdigest() != r['h']:
            fail('program frame %d differs from its RAW record' % r['tick'])
    print(len(frames))


def cam_index(recs, name):
    cams = [c['name'] for c in recs[0]['cams']]
    if name not in cams:
        fail('no camera %s in %s' % (name, cams))
    return cams.index(name)


def cmd_slate(d, yuv, w, h, name):
    recs = records(d + '/take.log')
    cam = cam_index(recs, name)
    raws = [r for r in recs if r['t'] == 'RAW']
    frames = yuv_frames(yuv, w, h)
    slate = [r['tick'] for r in raws if r.get('slate')]
    if not slate:
        fail('no slate on program')
    if any(raws[t]['cam'] != cam for t in slate):
        fail('a slate frame is not camera %s on program' % name)
    if slate != list(range(slate[0], slate[-1] + 1)):
        fail('the slate ticks are not one run: %s' % slate)
    if len({raws[t]['h'] for t in slate}) != 1:
        fail('the slate frames are not one picture')
    y = frames[slate[0]][:w * h]
    mean, bright = sum(y) / len(y), sum(1 for v in y if v > 180)
    if mean > 40 or bright < 50:
        fail('the slate is not dark with light text (mean luma %.1f, %d bright pixels)' % (mean, bright))
    kinds = [(a['kind'], a['cam']) for a in recs if a['t'] == 'ANOMALY']
    for k in ('camera-lost', 'camera-back', 'slate'):
        if (k, cam) not in kinds:
            fail('no %s anomaly for camera %s' % (k, name))
    held = [r['tick'] for r in raws if r.get('lost') and r['cam'] == cam]
    if held and held[-1] >= slate[0]:
        fail('held frames after the slate began')
    # Back: pictures of the camera itself (not the slate, not a held frame) after the slate, and moving on.
    after = [r for r in raws[slate[-1] + 1:] if r['cam'] == cam and not r.get('slate') and not r.get('lost')]
    if len(after) < 10:
        fail('only %d frames of camera %s after its slate: not picked up again' % (len(after), name))
    if len({r['seq'] for r in after}) < 5:
        fail('camera %s does not move after its return' % name)
    back = frames[after[-1]['tick']][:w * h]
    if sum(back) / len(back) < 60:
        fail('the frame after the return is dark (mean luma %.1f): still a slate?' % (sum(back) / len(back)))
    lost_rec = next(a for a in recs if a['t'] == 'ANOMALY' and a['kind'] == 'camera-lost' and a['cam'] == cam)
    print('slate frames %d..%d (%d), held before it %d, lost at %d (%s), %d frames of %s after it'
          % (slate[0], slate[-1], len(slate), len(held), lost_rec['tick'], lost_rec['detail'], len(after), name))


def cmd_anomalies(d):
    recs = records(d + '/take.log')
    cams = [c['name'] for c in recs[0]['cams']]
    out = {}
    for a in recs:
        if a['t'] != 'ANOMALY':
            continue
        key = a['kind'] + (' ' + cams[a['cam']] if a['cam'] >= 0 else '')
        out[key] = out.get(key, 0) + a.get('n', 1)
    print(json.dumps(out, sort_keys=True))


def cmd_onsets(pcm, threshold):
    data = open(pcm, 'rb').read()
    n = len(data) // 2
    s = struct.unpack('<%dh' % n, data[:2 * n])
    out, i = [], 0
    while i < n:
        if abs(s[i]) > threshold:
            out.append(i)
            i += 24000  # one click: ticks are a second apart
        else:
            i += 1
    print(','.join(str(x) for x in out))


def cmd_match(expected, got, tol):
    e = [float(x) for x in expected.split(',') if x]
    g = [float(x) for x in got.split(',') if x]
    if len(e) != len(g):
        fail('%d clicks expected (%s), %d found (%s)' % (len(e), expected, len(g), got))
    worst = max((abs(a - b) for a, b in zip(e, g)), default=0.0)
    if worst > tol:
        fail('a click is %.4f s away from where its source puts it (tolerance %.4f s)' % (worst, tol))
    print('%d clicks, largest error %.5f s' % (len(e), worst))


def cmd_block_of_track(path, track, n):
    sys.path.insert(0, __file__.rsplit('/', 1)[0])
    import proof_tool  # the same Matroska walk as the tamper tool
    b = open(path, 'rb').read()
    _, clusters = proof_tool.parse_mkv(b)
    seen = 0
    for k, (_, ch) in enumerate(proof_tool.blocks(b, clusters)):
        data = ch[2]
        if ch[0] == proof_tool.BLOCKGROUP:  # its Block child
            data = proof_tool.elements(b, ch[2], ch[3])[0][2]
        if b[data] & 0x7f == track:  # a one-byte EBML vint: 0x80 | track
            if seen == n:
                print(k)
                return
            seen += 1
    fail('track %d has %d blocks' % (track, seen))


def main():
    a = sys.argv[1:]
    if a and a[0] == 'free-port':
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(('127.0.0.1', 0))
        print(s.getsockname()[1])
        s.close()
    elif a and a[0] == 'frames' and len(a) == 5:
        cmd_frames(a[1], a[2], int(a[3]), int(a[4]))
    elif a and a[0] == 'slate' and len(a) == 6:
        cmd_slate(a[1], a[2], int(a[3]), int(a[4]), a[5])
    elif a and a[0] == 'anomalies' and len(a) == 2:
        cmd_anomalies(a[1])
    elif a and a[0] == 'onsets' and len(a) in (2, 3):
        cmd_onsets(a[1], int(a[2]) if len(a) == 3 else 4000)
    elif a and a[0] == 'block-of-track' and len(a) == 4:
        cmd_block_of_track(a[1], int(a[2]), int(a[3]))
    elif a and a[0] == 'match' and len(a) == 4:
        cmd_match(a[1], a[2], float(a[3]))
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)


if __name__ == '__main__':
    main()
