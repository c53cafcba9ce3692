#!/usr/bin/env python3
"""A control surface for test_osc.sh: onetake's OSC control driven by liblo's own client (oscsend), its feedback
received by liblo's oscdump, and a few raw OSC packets built here by hand (the OSC 1.0 encoding, independent of
liblo) where the test must read the answer to the sender or send from another loopback host.

  drive OSC_PORT TCP_PORT DUMP_PORT DUMP_FILE   subscribes oscdump (DUMP_PORT, writing DUMP_FILE) and a TCP client;
      cuts by name, by number, go, preview + take; malformed, unknown and wrong-argument messages; a refused host
      (127.0.0.3) and a flooding host (127.0.0.4); ends the take with its id. Prints, as JSON, the program segments
      ([frame, camera] ...) the feedback names and the end frame; fails when a reply or a feed is not what
      docs/control.md says.
  flood OSC_PORT PID SECONDS [ROUNDS [HOSTS]]   during a take (PID): ROUNDS x HOSTS malformed and as many valid
      messages (default 100 x 50: 5,000 + 5,000) from HOSTS loopback hosts in SECONDS, 1,000 at once from one more host (rate-limited), and meanwhile a cut from 127.0.0.1 that must be
      answered within a frame or two; prints the cut's frame, what was sent and the process's RSS before and after.
"""
import json
import re
import socket
import struct
import subprocess
import sys
import time


def fail(msg):
    print('osc_client: FAIL: ' + msg, file=sys.stderr)
    sys.exit(1)


def pad(b):
    return b + b'\0' * (4 - len(b) % 4)  # OSC strings: NUL-terminated, padded to 4 bytes


def encode(path, *args):
    types, data = ',', b''
    for a in args:
        if isinstance(a, int):
            types += 'i'
            data += struct.pack('>i', a)
        else:
            types += 's'
            data += pad(a.encode())
    return pad(path.encode()) + pad(types.encode()) + data


def decode(d):
    def string(off):
        end = d.index(b'\0', off)
        return d[off:end].decode(), (end // 4 + 1) * 4
    path, off = string(0)
    types, off = string(off)
    if not types.startswith(','):
        fail('reply %r has no type tags' % d[:40])
    args = []
    for t in types[1:]:
        if t == 'i':
            args.append(struct.unpack('>i', d[off:off + 4])[0])
            off += 4
        elif t == 's':
            s, off = string(off)
            args.append(s)
        else:
            fail('reply %r: type %r not expected' % (path, t))
    if off != len(d):
        fail('reply %r: %d bytes, its arguments end at %d' % (path, len(d), off))
    return path, args


class Raw:
    """A UDP socket on a given loopback host: sends OSC, reads what comes back to it."""

    def __init__(self, port, host='127.0.0.1'):
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.bind((host, 0))
        self.to = ('127.0.0.1', port)

    def send(self, data):
        self.s.sendto(data, self.to)

    def recv(self, timeout):
        self.s.settimeout(timeout)
        try:
            return decode(self.s.recv(4096))
        except socket.timeout:
            return None

    def ask(self, path, *args):
        self.send(encode(path, *args))
        r = self.recv(2)
        if r is None:
            fail('%s %r: no answer to the sender in 2 s' % (path, args))
        return r


def rolled(me, frames):
    """/onetake/status until the take is FRAMES in; asked again while nothing answers (not listening yet)."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        me.send(encode('/onetake/status'))
        r = me.recv(0.2)
        if r is None:
            continue
        path, a = r
        if path != '/onetake/status' or len(a) != 5 or not re.match(r'^[0-9a-f]{32}$', a[0]):
            fail('/onetake/status answered %r %r, not ,sisss TAKE FRAME TC PROGRAM PREVIEW' % (path, a))
        if a[1] >= frames:
            return a
        time.sleep(0.1)
    fail('/onetake/status: no answer, or the take not rolling, in 20 s')


def oscsend(port, path, *args):
    """liblo's own client, as a control surface would send it."""
    cmd = ['oscsend', '127.0.0.1', str(port), path]
    if args:
        cmd.append(''.join('i' if isinstance(a, int) else 's' for a in args))
        cmd += [str(a) for a in args]
    subprocess.run(cmd, check=True, timeout=5)


def dump_lines(path):
    with open(path, errors='replace') as f:
        return [l.rstrip('\n').split(' ', 1)[1] for l in f if ' /onetake/' in l]


PROGRAM = re.compile(r'^/onetake/program sis "(\w+)" (\d+) "(\d\d:\d\d:\d\d:\d\d)"$')
TALLY = re.compile(r'^/onetake/tally iii (\d+) ([01]) ([01])$')
END = re.compile(r'^/onetake/end is (\d+) "')


def feed(dump):
    """oscdump's lines -> [(frame, camera)] program changes, the end frame, and the tally checked after each."""
    lines = dump_lines(dump)
    progs, end, tally = [], None, {}
    for l in lines:
        m = PROGRAM.match(l)
        if m:
            progs.append((int(m.group(2)), m.group(1)))
            continue
        m = TALLY.match(l)
        if m:
            tally[int(m.group(1))] = (int(m.group(2)), int(m.group(3)))
            continue
        m = END.match(l)
        if m:
            end = int(m.group(1))
    return lines, progs, end, tally


def drive(oport, tport, dport, dump):
    cams = ['wide', 'close']
    # The TCP protocol alongside: a subscriber on the line protocol sees the same changes.
    me = Raw(oport)
    rolled(me, -1)  # the server is up (it answers before the roll too)
    tcp = socket.create_connection(('127.0.0.1', tport), timeout=5)
    tcp.sendall(b'subscribe\n')
    oscsend(oport, '/onetake/subscribe', dport)  # oscdump listens by now (started before the take)
    a = rolled(me, 15)
    take_id = a[0]
    if a[3] != 'wide':
        fail('status says program %r before any cut, not wide' % a[3])
    want = ['wide']  # the opening camera, then each change the commands below make
    oscsend(oport, '/onetake/cut', 'close')
    want.append('close')
    time.sleep(0.3)
    oscsend(oport, '/onetake/cut', 1)
    want.append('wide')
    time.sleep(0.3)
    oscsend(oport, '/onetake/go')  # the cue list's go cue: close
    want.append('close')
    time.sleep(0.3)
    path, a = me.ask('/onetake/preview', 'wide')
    if path != '/onetake/ok' or a[0] != 'preview':
        fail('/onetake/preview wide answered %r %r' % (path, a))
    path, a = me.ask('/onetake/take')
    if path != '/onetake/ok' or a[0] != 'take' or len(a) != 3:
        fail('/onetake/take answered %r %r, not /onetake/ok ,sis take FRAME TC' % (path, a))
    take_frame = a[1]
    want.append('wide')
    time.sleep(0.3)

    # Refusals that are answered (a well-formed /onetake/ message with wrong arguments).
    for msg, expect in ((encode('/onetake/end'), 'TAKE_ID'), (encode('/onetake/end', '0' * 32), 'TAKE_ID'),
                        (encode('/onetake/cut', 'nobody'), 'CAMERA'), (encode('/onetake/cut', 9), '1-2'),
                        (encode('/onetake/take', 1), 'no argument')):
        me.send(msg)
        r = me.recv(2)
        if not r or r[0] != '/onetake/error' or expect not in r[1][1]:
            fail('%r: answered %r, not /onetake/error naming %r' % (msg[:24], r, expect))
    # Counted, never answered: not OSC, a bundle, an address not served (by liblo's client too), too large.
    for junk in (b'hello', b'#bundle\0' + b'\0' * 8, b'/onetake/cut\0\0\0\0,x\0\0', b'\xff' * 64,
                 encode('/onetake/cut', 'x' * 2000)):
        me.send(junk)
    me.send(encode('/onetake/bogus'))
    oscsend(oport, '/onetake/bogus')
    if me.recv(0.5) is not None:
        fail('a malformed or unknown message was answered')
    # A host outside --control-allow: its cut is dropped and nothing answers it.
    stranger = Raw(oport, '127.0.0.3')
    stranger.send(encode('/onetake/cut', 'close'))
    stranger.send(encode('/onetake/status'))
    if stranger.recv(0.5) is not None:
        fail('a host outside --control-allow was answered')
    # A host that floods is rate-limited on its own; the others are not.
    flood = Raw(oport, '127.0.0.4')
    for _ in range(400):
        flood.send(encode('/onetake/status'))
    answers = 0
    while flood.recv(0.3) is not None:
        answers += 1
    if not 50 <= answers <= 250:
        fail('a host sending 400 status messages at once got %d answers (burst 100, 50/s)' % answers)
    path, a = me.ask('/onetake/status')
    if path != '/onetake/status':
        fail('the other hosts are not served while one floods: %r' % path)
    path, a = me.ask('/onetake/end', take_id)
    if path != '/onetake/ok' or a[0] != 'end':
        fail('/onetake/end TAKE_ID answered %r %r' % (path, a))
    end = a[1]

    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        lines, progs, fend, tally = feed(dump)
        if fend is not None:
            break
        time.sleep(0.1)
    else:
        fail('oscdump got no /onetake/end: %r' % dump_lines(dump)[-5:])
    if fend != end:
        fail('/onetake/end says frame %d, the reply to /onetake/end said %d' % (fend, end))
    if [c for _, c in progs] != want:
        fail('the feedback says programs %r, the commands made %r' % (progs, want))
    frames = [f for f, _ in progs]
    if frames[0] != 0 or frames != sorted(set(frames)) or end <= frames[-1]:
        fail('the feedback names frames out of order: %r end %d' % (progs, end))
    if frames[-1] != take_frame:
        fail('/onetake/take answered frame %d, the program changed on %d' % (take_frame, frames[-1]))
    if tally.get(1, (0,))[0] != 1 or tally.get(2, (1,))[0] != 0:
        fail('the last tally %r does not put wide (1) on program' % tally)
    tcs = [l for l in lines if l.startswith('/onetake/timecode s ')]
    if len(tcs) < 2 or tcs != sorted(tcs):
        fail('the timecode feedback is not once a second, increasing: %r' % tcs)
    if not any(l.startswith('/onetake/cue s "2 go cut close') for l in lines):
        fail('no /onetake/cue said the go cue was next')
    # The TCP subscriber saw the same changes.
    tcp.settimeout(5)
    buf = b''
    while b'end frame=' not in buf:
        d = tcp.recv(65536)
        if not d:
            break
        buf += d
    tprogs = [(int(m.group(2)), m.group(1)) for m in re.finditer(r'program (\w+) frame=(\d+)', buf.decode())]
    if tprogs and tprogs[0] == progs[0]:
        tprogs = tprogs[1:]  # subscribed before the roll, it was told the opening camera too
    if tprogs != progs[1:]:
        fail('the TCP subscriber saw %r, the OSC one %r' % (tprogs, progs))
    print(json.dumps({'segments': [[f, c] for f, c in progs], 'end': end, 'flood_answers': answers}))


def rss_kb(pid):
    with open('/proc/%d/status' % pid) as f:
        return int([l for l in f if l.startswith('VmRSS:')][0].split()[1])


JUNK = (b'hello', b'#bundle\0' + b'\0' * 8, b'/onetake/cut\0\0\0\0,x\0\0', b'\xff' * 64, b'/onetake/cut\0\0\0\0,s\0\0',
        encode('/onetake/cut', 'nobody'), encode('/onetake/end'), encode('/onetake/cut', 7))


def flood(port, pid, seconds, rounds=100, nhosts=50):
    me = Raw(port)
    a = rolled(me, 10)
    hosts = [Raw(port, '127.0.1.%d' % (i + 1)) for i in range(nhosts)]
    # status answered at once; preview queued for the program thread (the queue and the switcher's ring fill)
    valid = [encode('/onetake/status'), encode('/onetake/preview', 1), encode('/onetake/preview', 'b')]
    rss0 = rss_kb(pid)
    sent = {'malformed': 0, 'valid': 0, 'burst': 0}
    burst = Raw(port, '127.0.0.9')
    for _ in range(1000):
        burst.send(encode('/onetake/status'))
        sent['burst'] += 1
    # ROUNDS rounds of NHOSTS hosts x (1 malformed + 1 valid): 100 x 50 = 5,000 + 5,000 by default
    t0 = time.monotonic()
    cut = None
    for r in range(rounds):
        for i, h in enumerate(hosts):
            h.send(JUNK[(r + i) % len(JUNK)])
            h.send(valid[(r + i) % len(valid)])
        sent['malformed'] += len(hosts)
        sent['valid'] += len(hosts)
        if r == rounds // 2:  # mid-flood, a director's cut from another host
            t = time.monotonic()
            me.send(encode('/onetake/cut', 'b'))
            busy = 0
            while cut is None:
                got = me.recv(2)
                if got is None:
                    fail('a cut sent during the flood was not answered in 2 s')
                if got[0] == '/onetake/error' and got[1][0] == 'cut' and 'again' in got[1][1] and busy < 50:
                    # the queue is full of the 50 hosts' commands: the protocol says send it again, after the next
                    # frame has taken what is waiting (resending at once only finds the queue full again)
                    busy += 1
                    time.sleep(0.04)
                    me.send(encode('/onetake/cut', 'b'))
                elif got[0] == '/onetake/ok' and got[1][0] == 'cut':
                    cut = {'frame': got[1][1], 'answered_ms': round((time.monotonic() - t) * 1000, 1),
                           'busy': busy}
                elif got[0] != '/onetake/status':
                    fail('the cut during the flood was answered %r' % (got,))
        time.sleep(max(0, t0 + seconds * (r + 1) / rounds - time.monotonic()))
    time.sleep(0.5)
    rss1 = rss_kb(pid)
    for h in hosts + [burst]:
        h.s.close()
    print(json.dumps({'sent': sent, 'cut': cut, 'rss_kb': [rss0, rss1], 'take_id': a[0]}))
    sys.stdout.flush()
    path, r = me.ask('/onetake/end', a[0])
    if path != '/onetake/ok':
        fail('/onetake/end after the flood answered %r %r' % (path, r))


if __name__ == '__main__':
    if sys.argv[1] == 'drive':
        drive(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5])
    elif sys.argv[1] == 'flood':
        flood(int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), *[int(x) for x in sys.argv[5:7]])
    else:
        fail('usage: drive OSC_PORT TCP_PORT DUMP_PORT DUMP_FILE | flood OSC_PORT PID SECONDS [ROUNDS]')
