#!/usr/bin/env python3
"""bench/control_latency.py [--build DIR] [--cuts N] [--size WxH] [--port P]: command-to-air latency of remote cuts.

A live take of two test cameras (ball: black with a white ball; smpte: colour bars) paced to real time at 30 fps;
a TCP client (the line protocol, docs/control.md) sends N cuts, alternating cameras, at irregular times (so that a
send falls anywhere within a frame). For each cut:
  - reply: from the send to the `ok frame=N` reply;
  - to air: from the send to the moment the program thread decided frame N (cuts.jsonl's wall_ns, CLOCK_REALTIME);
  - next tick: whether N is the first frame decided after the send (to air <= one frame period).
The program is then decoded (ffmpeg, 32x18 grey) and each frame classified by its mean (bars are bright, the ball's
frame dark): the camera must change exactly on every replied frame, so that the figures describe real cuts.
"""
import argparse
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--build', default='build')
    ap.add_argument('--cuts', type=int, default=200)
    ap.add_argument('--size', default='1280x720')
    ap.add_argument('--port', type=int, default=19050)
    a = ap.parse_args()
    work = os.path.join(a.build, 'bench-work', 'control_latency')
    subprocess.run(['rm', '-rf', work], check=True)
    os.makedirs(work)
    env = dict(os.environ, XDG_CONFIG_HOME=os.path.join(work, 'config'))
    onetake = os.path.join(a.build, 'onetake')
    subprocess.run([onetake, 'keygen', '--out', os.path.join(work, 'k.key')], env=env, check=True,
                   capture_output=True)
    seconds = a.cuts * 0.25 + 10
    log = open(os.path.join(work, 'record.log'), 'w')
    take = os.path.join(work, 'take')
    rec = subprocess.Popen([onetake, 'record', '--headless', '--realtime', '--cam', 'ball=test:ball', '--cam',
                            'bars=test:smpte', '--size', a.size, '--fps', '30/1', '--codec', 'h264', '--preset',
                            'ultrafast', '--duration', str(seconds), '--key', os.path.join(work, 'k.key'),
                            '--out', take, '--control', 'tcp://127.0.0.1:%d' % a.port], env=env, stdout=log,
                           stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 20
    while True:
        try:
            s = socket.create_connection(('127.0.0.1', a.port), timeout=5)
            break
        except OSError:
            if time.monotonic() > deadline or rec.poll() is not None:
                sys.exit('no control server: see %s/record.log' % work)
            time.sleep(0.1)
    f = s.makefile('rwb', buffering=0)

    def ask(line):
        t = time.time_ns()
        f.write(line.encode() + b'\n')
        r = f.readline().decode().strip()
        return t, time.time_ns(), r

    while True:
        _, _, st = ask('status')
        m = re.match(r'ok take=(\w+) frame=(-?\d+)', st)
        if m and int(m.group(2)) >= 30:
            break
        time.sleep(0.1)
    take_id = m.group(1)
    rnd = random.Random(14)
    sent = []
    for i in range(a.cuts):
        time.sleep(0.15 + rnd.random() * 0.1)  # 4-5 frames apart, at any phase of a frame
        cam = 'bars' if i % 2 == 0 else 'ball'
        t0, t1, r = ask('cut ' + cam)
        m = re.match(r'ok frame=(\d+) ', r)
        if not m:
            sys.exit('cut %s: %r' % (cam, r))
        sent.append({'cam': cam, 'send_ns': t0, 'reply_ns': t1, 'frame': int(m.group(1))})
    _, _, r = ask('end ' + take_id)
    end = int(re.match(r'ok frame=(\d+)', r).group(1))
    rec.wait(timeout=60)
    log.close()

    cuts = {}
    for l in open(os.path.join(take, 'cuts.jsonl')):
        e = json.loads(l)
        if e['type'] == 'cut' and e.get('origin') == 'remote':
            cuts[e['frame']] = e
    w, h = 32, 18
    raw = subprocess.run(['ffmpeg', '-v', 'error', '-i', os.path.join(take, 'program.mkv'), '-vf',
                          'scale=%d:%d' % (w, h), '-pix_fmt', 'gray', '-f', 'rawvideo', '-'], check=True,
                         capture_output=True).stdout
    means = [sum(raw[k:k + w * h]) / (w * h) for k in range(0, len(raw), w * h)]
    seen = ['bars' if v > 60 else 'ball' for v in means]
    if len(seen) != end:
        sys.exit('the program has %d frames, the end reply said %d' % (len(seen), end))
    changes = [k for k in range(1, end) if seen[k] != seen[k - 1]]
    if changes != [c['frame'] for c in sent]:
        sys.exit('the program changes camera on %r, the replies said %r' % (changes[:10], [c['frame'] for c in sent][:10]))
    period_ms = 1000 / 30
    reply = [(c['reply_ns'] - c['send_ns']) / 1e6 for c in sent]
    air = [(cuts[c['frame']]['wall_ns'] - c['send_ns']) / 1e6 for c in sent]
    next_tick = sum(1 for x in air if x <= period_ms)
    # The take's schedule: tick i is due at roll + i periods; roll estimated as the earliest decision less its
    # frame's offset (a late tick only moves it later). k: the first tick due after the send.
    period_ns = 1e9 / 30
    roll = min(cuts[c['frame']]['wall_ns'] - c['frame'] * period_ns for c in sent)
    behind = {}
    for c in sent:
        k = -(-(c['send_ns'] - roll) // period_ns)
        d = int(c['frame'] - k)
        behind[d] = behind.get(d, 0) + 1

    def row(name, xs):
        return '| %s | %.1f | %.1f | %.1f |' % (name, statistics.median(xs), max(xs), min(xs))
    print('command-to-air, %d TCP cuts on a %s 30 fps live take (test cameras), frame period %.1f ms' %
          (len(sent), a.size, period_ms))
    print('| ms | median | max | min |')
    print('| --- | --- | --- | --- |')
    print(row('send -> reply `ok frame=N`', reply))
    print(row('send -> frame N decided (cuts.jsonl wall_ns)', air))
    print('on the next tick (<= one frame period): %d of %d; every cut checked in the program\'s pixels' %
          (next_tick, len(sent)))
    print('the slowest, ms: %s' % ', '.join('%.1f' % x for x in sorted(air)[-6:]))
    print('frame N against the first tick due after the send (0: that tick): %s' %
          ', '.join('%+d: %d' % (d, behind[d]) for d in sorted(behind)))
    for l in open(os.path.join(work, 'record.log')):
        if 'real-time pacing' in l:
            print(l.strip())


if __name__ == '__main__':
    main()
