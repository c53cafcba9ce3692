#!/usr/bin/env python3
"""The director's auto (T) for test_autotrans.sh, over the control protocol: real clients on loopback.

  tcp PORT OUT     a TCP client (Python sockets): preview close, auto (the default transition), preview crane, auto
                   and 0.2 s later auto again (the early completion), then end with the take's id. Writes OUT, the
                   plan in check_transitions.py's cue format from the frames the replies name ("ok frame=N": the
                   frame the command lands on): `0 cut wide`, `A KIND close LEN ...`, `B KIND crane LEN ...`,
                   `C complete`, `E end`.
  osc PORT OUT     the same over OSC (raw OSC 1.0 datagrams built by osc_client.py, answered to the sender):
                   /onetake/preview, /onetake/auto twice, /onetake/end.
The transition's text (KIND LEN ARGS) is the test's --auto-transition in cue-list words (argument 3)."""
import os
import re
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from control_client import Client, fail  # noqa: E402
import osc_client  # noqa: E402

OK = re.compile(r'^ok frame=(\d+) tc=\S+$')


def tcp(port, trans):
    c = Client(port)
    take = re.search(r'take=([0-9a-f]{32})', c.ask('status'))
    if not take:
        fail('status has no take id')
    # wait until the take rolls (frame >= 10): the first transition must not be at frame 0
    for _ in range(200):
        m = re.search(r'frame=(-?\d+)', c.ask('status'))
        if m and int(m.group(1)) >= 10:
            break
        time.sleep(0.05)
    frames = []
    for i, cmd in enumerate(('preview close', 'auto', 'preview crane', 'auto', 'auto')):
        if cmd == 'preview crane':
            time.sleep(1.0)  # the first transition runs its length
        if i == 4:
            time.sleep(0.2)  # about 6 frames into the second
        r = c.ask(cmd)
        m = OK.match(r)
        if not m:
            fail('%s: %r' % (cmd, r))
        frames.append(int(m.group(1)))
    r = c.ask('auto')  # nothing on preview now: refused, and said why
    if not r.startswith('error auto: no camera is on preview'):
        fail('auto with nothing on preview: %r' % r)
    time.sleep(0.5)
    r = c.ask('end ' + take.group(1))
    m = OK.match(r)
    if not m:
        fail('end: %r' % r)
    return frames[1], frames[3], frames[4], int(m.group(1))


def osc(port, trans):
    raw = osc_client.Raw(port)

    def ask(path, *args):
        raw.send(osc_client.encode(path, *args))
        for _ in range(50):
            r = raw.recv(5)
            if r is None:
                fail('%s: no answer' % path)
            p, a = r
            if p == '/onetake/ok' and a[0] == path.split('/')[-1]:
                return a
            if p == '/onetake/error':
                fail('%s: %r' % (path, a))
        fail('%s: no /onetake/ok' % path)

    for _ in range(200):
        raw.send(osc_client.encode('/onetake/status'))
        r = raw.recv(0.2)
        if r:
            p, a = r
            if p == '/onetake/status' and a[1] >= 10:
                take = a[0]
                break
        time.sleep(0.05)
    else:
        fail('the take did not roll')
    ask('/onetake/preview', 'close')
    a = ask('/onetake/auto')[1]
    time.sleep(1.0)
    ask('/onetake/preview', 'crane')
    b = ask('/onetake/auto')[1]
    time.sleep(0.2)  # about 6 frames into it
    c = ask('/onetake/auto')[1]
    time.sleep(0.5)
    e = ask('/onetake/end', take)[1]
    return a, b, c, e


def main():
    how, port, out, trans = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    a, b, c, e = (tcp if how == 'tcp' else osc)(port, trans)
    kind, length = trans.split()[0], int(trans.split()[1])
    rest = ' '.join(trans.split()[2:])
    # c == b: the second auto was staged before the first's tick was made (a loaded machine): completed on its first
    # frame, nothing mixed
    if not (a + length <= b <= c < b + length and c < e):
        fail('the replies name frames %d %d %d %d: not two transitions with the second completed early' %
             (a, b, c, e))
    with open(out, 'w') as f:
        f.write('0 cut wide\n%d %s close %d %s\n%d %s crane %d %s\n%d complete\n%d end\n' %
                (a, kind, length, rest, b, kind, length, rest, c, e))
    print('ok: %s: auto at %d, auto at %d completed at %d, end at %d' % (how, a, b, c, e))


if __name__ == '__main__':
    main()
