#!/usr/bin/env python3
"""A control surface for test_control.sh: real TCP clients (Python sockets) on onetake's line protocol.

  drive PORT          two clients at once: A subscribes, B cuts (by name, by number, preview + take), sends bad,
                      oversized and refused commands, then ends the take with its id. Prints, as JSON, the program
                      segments the replies name ([frame, camera] ...) and the end frame; fails when a reply or the
                      subscriber's event stream is not what the protocol says.
  program PROG END CAM=CLIP ...  the program's decoded frames (ffmpeg framemd5) against the cameras' own clips
                      decoded by ffmpeg: frame k must be the clip frame k of the camera the segments put on program
                      (segments as JSON on stdin); END frames in all.
"""
import json
import re
import socket
import subprocess
import sys
import time


def fail(msg):
    print('control_client: FAIL: ' + msg, file=sys.stderr)
    sys.exit(1)


class Client:
    def __init__(self, port):
        deadline = time.monotonic() + 10
        while True:
            try:
                self.s = socket.create_connection(('127.0.0.1', port), timeout=5)
                break
            except OSError:
                if time.monotonic() > deadline:
                    fail('no control server on 127.0.0.1:%d' % port)
                time.sleep(0.1)
        self.buf = b''

    def line(self):
        while b'\n' not in self.buf:
            d = self.s.recv(65536)
            if not d:
                fail('the server closed the connection')
            self.buf += d
        l, self.buf = self.buf.split(b'\n', 1)
        return l.decode()

    def send(self, text):
        self.s.sendall(text.encode() + b'\n')

    def ask(self, text):
        self.send(text)
        return self.line()


OK = re.compile(r'^ok frame=(\d+) tc=(\d\d:\d\d:\d\d:\d\d)$')


def frame_of(reply, what):
    m = OK.match(reply)
    if not m:
        fail('%s: reply %r is not "ok frame=N tc=..."' % (what, reply))
    return int(m.group(1))


def slow_reader(port):
    """A client that sends and never reads: the server must drop it (its unsent output is bounded), not grow."""
    c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    c.connect(('127.0.0.1', port))
    c.settimeout(5)
    chunk = b'status\n' * 4096
    deadline = time.monotonic() + 10
    try:
        while time.monotonic() < deadline:
            c.sendall(chunk)
    except (BrokenPipeError, ConnectionResetError, socket.timeout):
        pass
    else:
        fail('a client that never reads was not disconnected in 10 s')
    c.close()


def drive(port):
    a, b = Client(port), Client(port)
    if a.ask('subscribe') != 'ok':
        fail('subscribe was not answered ok')
    for _ in range(100):  # until the take has rolled (frame -1 before it)
        st = b.ask('status')
        m = re.match(r'^ok take=([0-9a-f]{32}) frame=(-?\d+) .*program=wide', st)
        if not m:
            fail('status %r does not give the take id, the frame and program=wide' % st)
        if int(m.group(2)) >= 15:
            break
        time.sleep(0.1)
    take_id = m.group(1)
    segs = [[0, 'wide']]
    segs.append([frame_of(b.ask('cut close'), 'cut close'), 'close'])
    time.sleep(0.3)
    segs.append([frame_of(b.ask('cut 1'), 'cut 1'), 'wide'])
    time.sleep(0.3)
    frame_of(b.ask('preview close'), 'preview close')
    segs.append([frame_of(b.ask('take'), 'take'), 'close'])
    for bad, want in (('bogus', 'unknown command'), ('cut nobody', 'nobody'), ('cut 9', '9'),
                      ('x' * 5000, ''), ('end', 'TAKE_ID'), ('end ' + '0' * 32, 'TAKE_ID')):
        r = b.ask(bad)
        if not r.startswith('error ') or want not in r:
            fail('%r: reply %r is not an error naming %r' % (bad[:20], r[:120], want))
    slow_reader(port)
    if not b.ask('status').startswith('ok take='):
        fail('the other clients are not served after a slow one was dropped')
    time.sleep(0.3)
    end = frame_of(b.ask('end ' + take_id), 'end')
    # The subscriber saw every change, in order, on the frames the replies named.
    want = ['program close frame=%d' % segs[1][0], 'program wide frame=%d' % segs[2][0],
            'program close frame=%d' % segs[3][0], 'end frame=%d' % end]
    got = []
    a.s.settimeout(5)
    while len(got) < len(want):
        l = re.sub(r' tc=\S+', '', a.line())
        # Subscribed before the roll, A is also told the opening camera (frame 0); after it, not.
        if (l.startswith('program ') or l.startswith('end ')) and not (not got and l == 'program wide frame=0'):
            got.append(l)
    if got != want:
        fail('the subscriber saw %r, the replies said %r' % (got, want))
    if [s[0] for s in segs] != sorted(set(s[0] for s in segs)) or end <= segs[-1][0]:
        fail('the replies name frames out of order: %r end %d' % (segs, end))
    print(json.dumps({'segments': segs, 'end': end}))


def md5s(path, n):
    out = subprocess.run(['ffmpeg', '-v', 'error', '-i', path, '-map', '0:v:0', '-frames:v', str(n),
                          '-pix_fmt', 'yuv420p', '-f', 'framemd5', '-'], check=True, capture_output=True,
                         text=True).stdout
    return [l.split(',')[-1].strip() for l in out.splitlines() if l and not l.startswith('#')]


def program(prog, end, cams):
    plan = json.load(sys.stdin)
    segs = plan['segments']
    got = md5s(prog, end + 10)
    if len(got) != end:
        fail('the program has %d frames, the end reply said %d' % (len(got), end))
    clips = {c.split('=', 1)[0]: md5s(c.split('=', 1)[1], end) for c in cams}
    for k in range(end):
        cam = [s[1] for s in segs if s[0] <= k][-1]
        if got[k] != clips[cam][k]:
            others = [c for c in clips if clips[c][k] == got[k]]
            fail('program frame %d is not %s frame %d (it is %s)' % (k, cam, k, others or 'no camera\'s'))
    print('program: %d frames, each the frame of the camera the control replies put on program' % end)


if __name__ == '__main__':
    if sys.argv[1] == 'drive':
        drive(int(sys.argv[2]))
    elif sys.argv[1] == 'program':
        program(sys.argv[2], int(sys.argv[3]), sys.argv[4:])
    else:
        fail('usage: drive PORT | program PROG END CAM=CLIP ...')
