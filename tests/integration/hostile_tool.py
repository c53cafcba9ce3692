#!/usr/bin/env python3
"""Builds hostile take folders for test_hostile.sh (standard library and the openssl command only).

  deep N                          print a JSON text nested N deep (arrays)
  set-record LOG INDEX FILE       replace record INDEX of take.log by FILE's bytes, framed (length, CRC)
  dup-record LOG INDEX            insert a copy of record INDEX after it
  foreign-sig CKPT WORKDIR        add to every checkpoint's session line a second one by an unrelated Ed25519 key
                                  under the same name, and remove the genuine one
"""
import base64
import binascii
import hashlib
import struct
import subprocess
import sys

import proof_tool  # the one take.log framing of the tests
from proof_tool import frame


def records(data):
    return [rec for _, rec in proof_tool.records(data, check_crc=False)]


def write_log(path, recs):
    with open(path, 'wb') as f:
        f.write(b''.join(frame(r) for r in recs))


def main(argv):
    cmd = argv[1]
    if cmd == 'deep':
        n = int(argv[2])
        sys.stdout.write('[' * n + ']' * n)
        return 0
    if cmd == 'set-record':
        recs = records(open(argv[2], 'rb').read())
        recs[int(argv[3])] = open(argv[4], 'rb').read()
        write_log(argv[2], recs)
        return 0
    if cmd == 'dup-record':
        recs = records(open(argv[2], 'rb').read())
        i = int(argv[3])
        recs.insert(i + 1, recs[i])
        write_log(argv[2], recs)
        return 0
    if cmd == 'foreign-sig':
        ckpt, work = argv[2], argv[3]
        key = work + '/foreign.pem'
        subprocess.run(['openssl', 'genpkey', '-algorithm', 'ed25519', '-out', key], check=True)
        der = subprocess.run(['openssl', 'pkey', '-in', key, '-pubout', '-outform', 'DER'], check=True,
                             capture_output=True).stdout
        pk = der[-32:]
        text = open(ckpt, encoding='utf-8').read()
        notes = text.split('\n\n')
        # notes alternate: body, signatures
        res = []
        for i in range(0, len(notes) - 1, 2):
            body, sigs = notes[i] + '\n', notes[i + 1]
            lines = [l for l in sigs.split('\n') if l]
            new = []
            for l in lines:
                name = l.split(' ')[1]
                if name.startswith('onetake-session-'):
                    open(work + '/body', 'w', encoding='utf-8').write(body)
                    sig = subprocess.run(['openssl', 'pkeyutl', '-sign', '-inkey', key, '-rawin', '-in',
                                          work + '/body'], check=True, capture_output=True).stdout
                    kh = hashlib.sha256(name.encode() + b'\n\x01' + pk).digest()[:4]
                    l = '\u2014 %s %s' % (name, base64.b64encode(kh + sig).decode())
                new.append(l)
            res.append(notes[i] + '\n\n' + '\n'.join(new) + '\n\n')
        open(ckpt, 'w', encoding='utf-8').write(''.join(res))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


sys.exit(main(sys.argv))
