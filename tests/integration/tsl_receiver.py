#!/usr/bin/env python3
"""A TSL UMD v5.0 tally receiver for test_tally.sh, decoding every packet byte by byte as the protocol document
lays it out (not with onetake's code): PBC (u16: bytes that follow), VER (u8, 0), FLAGS (u8: 0 = ASCII text,
display messages), SCREEN (u16), then display messages: INDEX (u16), CONTROL (u16: bits 0-1 RH tally, 2-3 text
tally, 4-5 LH tally, 6-7 brightness, 15 = control data, not display), LENGTH (u16), TEXT; every u16 little-endian.
Over TCP a packet starts with DLE/STX (FE 02) and a FE byte in it is sent as FE FE.

  udp PORT SECONDS OUT.json NAMES BASE           listen, decode, write [[t, program, preview], ...]
  tcp PORT SECONDS OUT.json NAMES BASE DROP_AT BACK_AT
                                  the same over TCP; at DROP_AT s it closes the connection and stops listening,
                                  at BACK_AT s it listens again (the sender must come back by itself)
  check OUT.json EXPECTED [MIN_PACKETS]          the distinct programs in order equal EXPECTED (comma-separated)
NAMES: the camera names, comma-separated; BASE: the index of camera 1.
"""
import json
import socket
import struct
import sys
import time

RED, GREEN = 1, 2


def fail(msg):
    print('tsl_receiver: FAIL: ' + msg, file=sys.stderr)
    sys.exit(1)


def decode(pkt, names, base):
    """(program, preview) camera names of one packet; fails on anything the layout does not allow."""
    if len(pkt) < 6:
        fail('packet of %d bytes' % len(pkt))
    pbc, ver, flags, screen = struct.unpack_from('<HBBH', pkt, 0)
    if pbc != len(pkt) - 2 or ver != 0 or flags != 0:
        fail('header PBC %d (packet %d bytes) VER %d FLAGS %d' % (pbc, len(pkt), ver, flags))
    pos, seen, program, preview = 6, [], [], []
    while pos < len(pkt):
        if pos + 6 > len(pkt):
            fail('a display message header cut at byte %d' % pos)
        index, control, length = struct.unpack_from('<HHH', pkt, pos)
        text = pkt[pos + 6:pos + 6 + length]
        if len(text) != length:
            fail('display message %d: LENGTH %d past the end' % (index, length))
        pos += 6 + length
        if control & 0x8000:
            fail('display message %d has control data, not display data' % index)
        rh, tt, lh, bright = control & 3, (control >> 2) & 3, (control >> 4) & 3, (control >> 6) & 3
        if not (rh == tt == lh) or bright != 3 or control & 0x7f00:
            fail('display message %d: CONTROL %#06x (RH %d text %d LH %d brightness %d)' %
                 (index, control, rh, tt, lh, bright))
        cam = index - base
        if cam < 0 or cam >= len(names) or text.decode('ascii') != names[cam]:
            fail('display message INDEX %d TEXT %r is not camera %d %r' % (index, text, cam + 1,
                                                                           names[cam] if 0 <= cam < len(names) else None))
        seen.append(cam)
        if rh == RED:
            program.append(names[cam])
        elif rh == GREEN:
            preview.append(names[cam])
        elif rh:
            fail('display message %d: tally %d (neither red nor green)' % (index, rh))
    if sorted(seen) != list(range(len(names))):
        fail('the packet has displays %r, not one per camera' % seen)
    if len(program) != 1 or len(preview) > 1:
        fail('the packet has %d cameras red and %d green' % (len(program), len(preview)))
    return program[0], preview[0] if preview else None


def unstuff(stream):
    """TCP: the packets of a byte stream (DLE/STX starts one, DLE DLE is a DLE); the rest after the last one."""
    pkts, cur, i = [], None, 0
    while i < len(stream):
        b = stream[i]
        if b == 0xFE:
            if i + 1 >= len(stream):
                break
            if stream[i + 1] == 0x02:
                if cur is not None:
                    pkts.append(bytes(cur))
                cur = bytearray()
            elif stream[i + 1] == 0xFE and cur is not None:
                cur.append(0xFE)
            else:
                fail('FE %02X in the TCP stream' % stream[i + 1])
            i += 2
            continue
        if cur is None:
            fail('bytes before the first DLE/STX')
        cur.append(b)
        i += 1
    return pkts, cur, stream[i:]  # cur: the packet still being received


def complete(cur):
    return cur is not None and len(cur) >= 2 and struct.unpack_from('<H', cur, 0)[0] == len(cur) - 2


def udp(port, seconds, out, names, base):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(('127.0.0.1', port))
    s.settimeout(0.2)
    got, t0 = [], time.monotonic()
    while time.monotonic() - t0 < seconds:
        try:
            pkt = s.recv(4096)
        except socket.timeout:
            continue
        got.append([time.monotonic() - t0] + list(decode(pkt, names, base)))
    json.dump(got, open(out, 'w'))


def tcp(port, seconds, out, names, base, drop_at, back_at):
    got, t0 = [], time.monotonic()
    phase = 0
    while phase < 2 and time.monotonic() - t0 < seconds:
        ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind(('127.0.0.1', port))
        ls.listen(1)
        ls.settimeout(0.2)
        until = drop_at if phase == 0 else seconds
        conn, buf, ndone = None, b'', 0
        while time.monotonic() - t0 < until:
            if conn is None:
                try:
                    conn, _ = ls.accept()
                    conn.settimeout(0.2)
                except socket.timeout:
                    continue
            try:
                d = conn.recv(65536)
            except socket.timeout:
                continue
            if not d:
                conn, buf, ndone = None, b'', 0
                continue
            buf += d  # the connection's whole stream, parsed again: the packets not yet seen are new
            pkts, cur, _ = unstuff(buf)
            done = pkts + ([bytes(cur)] if complete(cur) else [])
            for p in done[ndone:]:
                got.append([time.monotonic() - t0, phase] + list(decode(p, names, base)))
            ndone = len(done)
        if conn:
            conn.close()
        ls.close()
        phase += 1
        while phase == 1 and time.monotonic() - t0 < back_at:
            time.sleep(0.05)
    json.dump(got, open(out, 'w'))


def check(path, expected, min_packets):
    got = json.load(open(path))
    if len(got) < min_packets:
        fail('%s: %d packets, expected at least %d' % (path, len(got), min_packets))
    seq = []
    for g in got:
        if not seq or seq[-1] != g[-2]:
            seq.append(g[-2])
    if seq != expected:
        fail('%s: the programs in order are %r, the cue list says %r' % (path, seq, expected))
    print('%s: %d packets, programs %s' % (path, len(got), ','.join(seq)))


if __name__ == '__main__':
    a = sys.argv
    if a[1] == 'udp':
        udp(int(a[2]), float(a[3]), a[4], a[5].split(','), int(a[6]))
    elif a[1] == 'tcp':
        tcp(int(a[2]), float(a[3]), a[4], a[5].split(','), int(a[6]), float(a[7]), float(a[8]))
    elif a[1] == 'check':
        check(a[2], a[3].split(','), int(a[4]) if len(a) > 4 else 1)
    else:
        fail('usage: see the docstring')
