#!/usr/bin/env python3
"""Test helper for the proof (docs/proof.md), standard library only.

  merkle DIR                      recompute the RFC 6962 root of DIR/take.log independently and compare it with
                                  the final (last) checkpoint's signed root; prints "ok SIZE ROOT"
  last-media DIR                  the media line (program frames) of the last complete checkpoint
  edit-record LOG INDEX OLD NEW   replace OLD by NEW (same length or not) in record INDEX, fix its frame (length, CRC)
  find-record LOG KIND [KEY=VAL]  index of the first record of KIND (with "KEY":VAL), e.g. find-record take.log RAW tick=45
  pkt-pts LOG N                   pts of program packet N (decode order)
  drop-note FILE INDEX            remove checkpoint INDEX (-1: the last) from checkpoints.txt
  swap-notes FILE I J             swap two checkpoints
  mkv-drop IN OUT K               remove block K (decode order) of a Matroska file
  mkv-dup IN OUT K                insert a copy of block K after it
  mkv-swap IN OUT C1 C2           swap clusters C1 and C2
  mkv-flip-block IN OUT K         flip one byte in the middle of block K's frame data
  mkv-flip-text IN OUT TEXT       flip one byte of the first occurrence of TEXT (container metadata)
  mkv-splice A B OUT C            A's header and clusters before C, then B's clusters from C on
  mkv-append-block IN OUT         cut the file after its last cluster (the Cues) and add one 4-byte SimpleBlock to
                                  that cluster, one frame after its last block: a packet the log does not have
  mkv-block-time IN OUT K MS      add MS milliseconds to block K's timecode (the payload untouched)
  mkv-block-unkey IN OUT K        clear block K's keyframe flag
  field LOG KIND FIELD [KEY=VAL]  FIELD of the first record of KIND (with "KEY":VAL)
  count LOG KIND [KEY=VAL]        how many records of KIND (with "KEY":VAL)
  keep-records LOG N              keep the first N records (a log cut cleanly at a record boundary)
  append-record LOG TEXT          append TEXT as one more framed record
  genesis-hex LOG                 SHA-256 of 0x00 || the GENESIS record (the tag the media files carry), in hex
  note-line FILE INDEX PREFIX     what follows PREFIX on that line of checkpoint INDEX (-1: the last)
  note-count FILE                 how many complete checkpoints
  copy-note SRC DST INDEX         checkpoint INDEX of SRC in place of DST's
"""
import base64
import binascii
import hashlib
import json
import struct
import sys


def records(data, check_crc=True):
    """(offset, bytes) of each framed record (u32 length, record, u32 CRC-32), up to a torn or bad frame; with
    check_crc False a bad CRC does not stop the walk (the hostile tests edit records on purpose)."""
    out, pos = [], 0
    while pos + 8 <= len(data):
        (n,) = struct.unpack_from('<I', data, pos)
        if pos + 8 + n > len(data):
            break
        rec = data[pos + 4:pos + 4 + n]
        (crc,) = struct.unpack_from('<I', data, pos + 4 + n)
        if check_crc and binascii.crc32(data[pos:pos + 4 + n]) & 0xffffffff != crc:
            break
        out.append((pos, rec))
        pos += 8 + n
    return out


def frame(rec):
    hdr = struct.pack('<I', len(rec))
    return hdr + rec + struct.pack('<I', binascii.crc32(hdr + rec) & 0xffffffff)


def mth(leaves):
    """RFC 6962 Merkle Tree Hash, straight from its recursive definition."""
    if not leaves:
        return hashlib.sha256(b'').digest()
    if len(leaves) == 1:
        return hashlib.sha256(b'\x00' + leaves[0]).digest()
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return hashlib.sha256(b'\x01' + mth(leaves[:k]) + mth(leaves[k:])).digest()


def notes(text):
    parts = text.split('\n\n')
    out = []
    for i in range(0, len(parts) - 1, 2):
        out.append((parts[i], parts[i + 1]))
    return out


def write_notes(path, ns):
    with open(path, 'w', encoding='utf-8') as f:
        for body, sigs in ns:
            f.write(body + '\n\n' + sigs + '\n\n')


# ---- Matroska (EBML) ----

def read_id(b, i):
    first, n, mask = b[i], 1, 0x80
    while not first & mask:
        mask >>= 1
        n += 1
    return int.from_bytes(b[i:i + n], 'big'), n


def read_size(b, i):
    first, n, mask = b[i], 1, 0x80
    while not first & mask:
        mask >>= 1
        n += 1
    val = first & (mask - 1)
    for k in range(1, n):
        val = (val << 8) | b[i + k]
    return (None if val == (1 << (7 * n)) - 1 else val), n


def elements(b, start, end):
    i, out = start, []
    while i < end:
        eid, idn = read_id(b, i)
        size, sn = read_size(b, i + idn)
        data = i + idn + sn
        stop = end if size is None else data + size
        out.append((eid, i, data, stop))
        i = stop
    return out


CLUSTER, SEGMENT, SIMPLEBLOCK, BLOCKGROUP = 0x1F43B675, 0x18538067, 0xA3, 0xA0


def parse_mkv(b):
    top = elements(b, 0, len(b))
    seg = [e for e in top if e[0] == SEGMENT][0]
    kids = elements(b, seg[2], seg[3])
    first = [e for e in kids if e[0] == CLUSTER][0]
    header = b[:first[1]]
    clusters = [e for e in kids if e[0] == CLUSTER]
    return header, clusters


def cluster_bytes(b, children):
    body = b''.join(b[c[1]:c[3]] for c in children)
    return bytes.fromhex('1F43B675') + bytes([0x01]) + len(body).to_bytes(7, 'big') + body


def blocks(b, clusters):
    out = []
    for ci, c in enumerate(clusters):
        for ch in elements(b, c[2], c[3]):
            if ch[0] in (SIMPLEBLOCK, BLOCKGROUP):
                out.append((ci, ch))
    return out


def mkv_edit(path_in, path_out, op, k):
    b = open(path_in, 'rb').read()
    header, clusters = parse_mkv(b)
    blk = blocks(b, clusters)
    ci, target = blk[k]
    out = [header]
    for i, c in enumerate(clusters):
        if i != ci:
            out.append(b[c[1]:c[3]])
            continue
        children = []
        for ch in elements(b, c[2], c[3]):
            if ch == target and op == 'drop':
                continue
            children.append(ch)
            if ch == target and op == 'dup':
                children.append(ch)
        out.append(cluster_bytes(b, children))
    open(path_out, 'wb').write(b''.join(out))


def match(data, kind, kvs):
    want = dict(kv.split('=', 1) for kv in kvs)
    for i, (_, rec) in enumerate(records(data)):
        o = json.loads(rec)
        if o.get('t') == kind and all(str(o.get(k)) == v for k, v in want.items()):
            yield i, o


def block_edit(argv, op):
    b = bytearray(open(argv[2], 'rb').read())
    header, clusters = parse_mkv(bytes(b))
    _, ch = blocks(bytes(b), clusters)[int(argv[4])]
    assert ch[0] == SIMPLEBLOCK and b[ch[2]] & 0x80  # a one-byte track number
    if op == 'time':
        (tc,) = struct.unpack_from('>h', b, ch[2] + 1)
        struct.pack_into('>h', b, ch[2] + 1, tc + int(argv[5]))
    else:
        b[ch[2] + 3] &= 0x7f
    open(argv[3], 'wb').write(bytes(b))


def append_block(path_in, path_out):
    b = open(path_in, 'rb').read()
    header, clusters = parse_mkv(b)
    last = clusters[-1]
    children = elements(b, last[2], last[3])
    blk = [c for c in children if c[0] == SIMPLEBLOCK][-1]
    (tc,) = struct.unpack_from('>h', b, blk[2] + 1)
    body = b[blk[2]:blk[2] + 1] + struct.pack('>h', tc + 33) + b[blk[2] + 3:blk[2] + 4] + b'\x00' * 4
    extra = bytes([SIMPLEBLOCK, 0x80 | len(body)]) + body
    inner = b''.join(b[c[1]:c[3]] for c in children) + extra
    cl = bytes.fromhex('1F43B675') + bytes([0x01]) + len(inner).to_bytes(7, 'big') + inner
    out = b[:last[1]] + cl
    assert len(out) <= len(b), 'the extra block does not fit in the bytes the Cues held'
    open(path_out, 'wb').write(out)


def main(argv):
    cmd = argv[1]
    if cmd == 'mkv-append-block':
        append_block(argv[2], argv[3])
        return 0
    if cmd in ('mkv-block-time', 'mkv-block-unkey'):
        block_edit(argv, cmd[10:])
        return 0
    if cmd == 'field':
        for _, o in match(open(argv[2], 'rb').read(), argv[3], argv[5:]):
            print(json.dumps(o.get(argv[4])))
            return 0
        return 1
    if cmd == 'count':
        print(sum(1 for _ in match(open(argv[2], 'rb').read(), argv[3], argv[4:])))
        return 0
    if cmd == 'keep-records':
        data = open(argv[2], 'rb').read()
        pos, rec = records(data)[int(argv[3])]
        open(argv[2], 'wb').write(data[:pos])
        return 0
    if cmd == 'append-record':
        with open(argv[2], 'ab') as f:
            f.write(frame(argv[3].encode()))
        return 0
    if cmd == 'genesis-hex':
        rec = records(open(argv[2], 'rb').read())[0][1]
        print(hashlib.sha256(b'\x00' + rec).hexdigest())
        return 0
    if cmd == 'note-line':
        body = notes(open(argv[2], encoding='utf-8').read())[int(argv[3])][0]
        for line in body.split('\n'):
            if line.startswith(argv[4]):
                print(line[len(argv[4]):])
                return 0
        return 1
    if cmd == 'note-count':
        print(len(notes(open(argv[2], encoding='utf-8').read())))
        return 0
    if cmd == 'copy-note':
        src = notes(open(argv[2], encoding='utf-8').read())
        dst = notes(open(argv[3], encoding='utf-8').read())
        dst[int(argv[4])] = src[int(argv[4])]
        write_notes(argv[3], dst)
        return 0
    if cmd == 'merkle':
        d = argv[2]
        data = open(d + '/take.log', 'rb').read()
        recs = [r for _, r in records(data)]
        ns = notes(open(d + '/checkpoints.txt', encoding='utf-8').read())
        lines = ns[-1][0].split('\n')
        size, root = int(lines[1]), base64.b64decode(lines[2])
        mine = mth(recs[:size])
        if mine != root:
            print('MISMATCH: recomputed root of %d records is %s, the last checkpoint signs %s' %
                  (size, base64.b64encode(mine).decode(), lines[2]))
            return 1
        if size != len(recs):
            print('MISMATCH: the last checkpoint covers %d of %d records' % (size, len(recs)))
            return 1
        print('ok %d %s' % (size, lines[2]))
        return 0
    if cmd == 'last-media':
        ns = notes(open(argv[2] + '/checkpoints.txt', encoding='utf-8').read())
        for line in ns[-1][0].split('\n'):
            if line.startswith('media '):
                print(line.split()[1])
        return 0
    if cmd == 'edit-record':
        log, idx, old, new = argv[2], int(argv[3]), argv[4].encode(), argv[5].encode()
        data = open(log, 'rb').read()
        recs = records(data)
        pos, rec = recs[idx]
        if old not in rec:
            print('record %d does not contain %r: %r' % (idx, old, rec))
            return 1
        out = data[:pos] + frame(rec.replace(old, new, 1)) + data[pos + 8 + len(rec):]
        open(log, 'wb').write(out)
        return 0
    if cmd == 'find-record':
        data = open(argv[2], 'rb').read()
        want = dict(kv.split('=', 1) for kv in argv[4:])
        for i, (_, rec) in enumerate(records(data)):
            o = json.loads(rec)
            if o.get('t') == argv[3] and all(str(o.get(k)) == v for k, v in want.items()):
                print(i)
                return 0
        return 1
    if cmd == 'pkt-pts':
        data = open(argv[2], 'rb').read()
        for _, rec in records(data):
            o = json.loads(rec)
            if o.get('t') == 'PKT' and o.get('s') == 0 and o.get('n') == int(argv[3]):
                print(o['pts'])
                return 0
        return 1
    if cmd == 'drop-note':
        ns = notes(open(argv[2], encoding='utf-8').read())
        del ns[int(argv[3])]
        write_notes(argv[2], ns)
        return 0
    if cmd == 'swap-notes':
        ns = notes(open(argv[2], encoding='utf-8').read())
        i, j = int(argv[3]), int(argv[4])
        ns[i], ns[j] = ns[j], ns[i]
        write_notes(argv[2], ns)
        return 0
    if cmd in ('mkv-drop', 'mkv-dup'):
        mkv_edit(argv[2], argv[3], cmd[4:], int(argv[4]))
        return 0
    if cmd == 'mkv-swap':
        b = open(argv[2], 'rb').read()
        header, clusters = parse_mkv(b)
        i, j = int(argv[4]), int(argv[5])
        parts = [b[c[1]:c[3]] for c in clusters]
        parts[i], parts[j] = parts[j], parts[i]
        open(argv[3], 'wb').write(header + b''.join(parts))
        return 0
    if cmd == 'mkv-flip-block':
        b = bytearray(open(argv[2], 'rb').read())
        header, clusters = parse_mkv(bytes(b))
        _, ch = blocks(bytes(b), clusters)[int(argv[4])]
        assert ch[0] == SIMPLEBLOCK
        start = ch[2] + 4  # track number (1 byte), timecode (2), flags (1)
        b[start + (ch[3] - start) // 2] ^= 0x40
        open(argv[3], 'wb').write(bytes(b))
        return 0
    if cmd == 'mkv-flip-text':
        b = bytearray(open(argv[2], 'rb').read())
        i = b.find(argv[4].encode())
        assert i >= 0
        b[i + 1] ^= 0x20
        open(argv[3], 'wb').write(bytes(b))
        return 0
    if cmd == 'mkv-splice':
        a, bb = open(argv[2], 'rb').read(), open(argv[3], 'rb').read()
        ha, ca = parse_mkv(a)
        _, cb = parse_mkv(bb)
        c = int(argv[5])
        out = ha + b''.join(a[x[1]:x[3]] for x in ca[:c]) + b''.join(bb[x[1]:x[3]] for x in cb[c:])
        open(argv[4], 'wb').write(out)
        return 0
    print(__doc__)
    return 2


if __name__ == '__main__':
    sys.exit(main(sys.argv))
