#!/bin/bash
# test_program_no_io.sh ONETAKE SAMPLES_DIR CUES_DIR OUT_DIR
#
# The program thread does no I/O (README, threads): record the rehearsed song (16 events in cuts.jsonl) under
# strace and check that the thread named "ot-program" makes no write, fsync or fdatasync call from its start to its
# end, except its console progress and log lines on stderr (fd 2). The oracle is strace, not onetake: it also
# shows that cuts.jsonl was written and synced, by another thread. Skips (77) only when ptrace is not permitted.
set -euo pipefail
onetake=$1 samples=$2 cues=$3 out=$4
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
need_exe "$onetake"
need_samples "$samples"
# LeakSanitizer cannot run under ptrace: leaks are checked by every other test of the sanitizer run.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
command -v strace >/dev/null || fail "strace is not installed: apt-get install strace (scripts/install-deps.sh)"
fresh_dir "$out"
if ! probe=$(strace -f -o /dev/null true 2>&1); then
    echo "SKIP: strace cannot trace here (ptrace not permitted: $probe)"
    exit 77
fi
take=$out/take

mapfile -t cams < <(cam_args "$samples")
rc=0
# -y: each fd with its path; prctl: the program thread names itself with PR_SET_NAME.
timeout 150 strace -f -y -qq -s 64 -e trace=fsync,fdatasync,write,prctl -o "$out/strace.log" \
    "$onetake" record --headless "${cams[@]}" --cues "$cues/song.cues" --actions "$cues/song.actions" \
    --codec ffv1 --size 320x180 --fps 30/1 --out "$take" >"$out/record.log" 2>&1 || rc=$?
cat "$out/record.log"
[ $rc -eq 0 ] || fail "onetake record under strace exited $rc (trace in $out/strace.log)"
lines=$(grep -c . "$take/cuts.jsonl")
[ "$lines" -eq 16 ] || fail "cuts.jsonl has $lines lines, expected 16 (start, 14 cuts, end)"

python3 - "$out/strace.log" <<'EOF'
import re
import sys

# strace -f -o: "TID syscall(args) = ret", or split into "<unfinished ...>" / "<... syscall resumed>" halves.
log = open(sys.argv[1]).read().splitlines()
call = re.compile(r'^(\d+)\s+(?:<\.\.\. )?(\w+)(?:\(| resumed>)(.*)$')
program = None
calls = []
for line in log:
    m = call.match(line)
    if not m:
        continue
    tid, name, rest = int(m.group(1)), m.group(2), m.group(3)
    if 'resumed>' in line:
        continue  # its first half was counted
    if name == 'prctl' and 'PR_SET_NAME' in rest and '"ot-program"' in rest:
        program = tid
    calls.append((tid, name, rest))
if program is None:
    sys.exit('FAIL: no thread named itself "ot-program" (prctl PR_SET_NAME): the program thread is not found')

bad = []
cut_writes = cut_syncs = 0
for tid, name, rest in calls:
    if name not in ('write', 'fsync', 'fdatasync'):
        continue
    on_cuts = 'cuts.jsonl>' in rest.split(',')[0]
    if tid != program:
        cut_writes += on_cuts and name == 'write'
        cut_syncs += on_cuts and name == 'fdatasync'
        continue
    if name == 'write' and re.match(r'^2(<[^>]*>)?,', rest):
        continue  # console progress and log lines
    bad.append(f'{name}({rest}')
if bad:
    print(f'FAIL: the program thread (tid {program}) made {len(bad)} I/O call(s), e.g.:')
    for b in bad[:10]:
        print('  ' + b[:200])
    sys.exit(1)
# The trace saw the cut log being written: the assertion above is about a thread that could have done it.
if cut_writes < 16 or cut_syncs < 1:
    sys.exit(f'FAIL: strace saw {cut_writes} writes and {cut_syncs} fdatasyncs of cuts.jsonl by other threads, '
             'expected at least 16 and 1')
print(f'ok: program thread {program}: no write/fsync/fdatasync but stderr; '
      f'cuts.jsonl: {cut_writes} writes, {cut_syncs} fdatasyncs on other threads')
EOF
echo "ok: program thread does no I/O"
