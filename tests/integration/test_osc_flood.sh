#!/bin/bash
# test_osc_flood.sh ONETAKE OUT PORT
#
# An OSC flood during a take (issue 14): a 320x180 take of two test cameras paced to real time, served on osc://
# (loopback, PORT), gets the issue's 20,000 malformed and 20,000 valid messages in 10 s, from 100 loopback hosts
# (each within its rate: burst 100, 50/s), 1,000 at once from one more host (900 rate-limited), and meanwhile a director's cut. No
# frame may start late, the cut must be answered within 100 ms and land where the answer says, the process must not
# grow (RSS), the counts must add up to what was sent, and the take verifies UNCUT.
set -euo pipefail
onetake=$1 out=$2 port=$3
here=$(dirname "$0")
. "$here/lib.sh"
need_exe "$onetake"
fresh_dir "$out"
new_station_key "$out"
take=$out/take
timeout 60 "$onetake" record --headless --realtime --cam a=test:ball --cam b=test:smpte --size 320x180 --fps 30/1 \
    --codec ffv1 --duration 20 --key "$key" --out "$take" --control "osc://127.0.0.1:$port" >"$out/record.log" 2>&1 &
pid=$!
sleep 0.5
rc=0
child=$(cat "/proc/$pid/task/$pid/children") # onetake itself, under timeout
timeout 60 python3 "$here/osc_client.py" flood "$port" "$child" 10 200 100 >"$out/flood.json" || rc=$?
[ $rc = 0 ] || { kill $pid 2>/dev/null || true; wait $pid || true; cat "$out/record.log"; fail "the flood client failed"; }
rc=0
wait $pid || rc=$?
cat "$out/record.log" "$out/flood.json"
expect_exit 0 $rc "the flooded take"
grep -q 'real-time pacing: 0 of [0-9]* frames started more than a frame late' "$out/record.log" ||
    fail "a frame started late during the flood"
python3 - "$take/take.json" "$take/cuts.jsonl" "$out/flood.json" <<'PY' || fail "the flood's counts or the cut are wrong"
import json, os, sys
c = json.load(open(sys.argv[1]))["control"]
cuts = [json.loads(l) for l in open(sys.argv[2])]
f = json.load(open(sys.argv[3]))
print("take.json control:", c)
sent = sum(f["sent"].values())
# Every datagram is read and counted (none lost in the kernel at this rate): the status/ask/end ones of the
# client itself come on top.
seen = c["osc_messages"] + c["rate_limited"] + c["peers_refused"]
if not sent <= seen <= sent + 200:
    sys.exit("%d datagrams sent, %d counted" % (sent, seen))
if c["rate_limited"] < 800:
    sys.exit("the host sending 1,000 at once was rate-limited %d times, not most of them" % c["rate_limited"])
if c["malformed"] + c["osc_unknown"] < f["sent"]["malformed"]:
    sys.exit("%d malformed sent, %d counted" % (f["sent"]["malformed"], c["malformed"] + c["osc_unknown"]))
cut = [e for e in cuts if e["type"] == "cut" and e.get("origin") == "remote"]
if len(cut) != 1 or cut[0]["frame"] != f["cut"]["frame"] or cut[0]["camera"] != "b":
    sys.exit("the cut during the flood: answered %r, cuts.jsonl %r" % (f["cut"], cut))
# Previews cannot take the slots kept for program commands: the director's cut is queued at its first send.
if f["cut"]["busy"]:
    sys.exit("the cut during the flood was refused busy %d times: previews starved it" % f["cut"]["busy"])
if f["cut"]["answered_ms"] > 100:
    sys.exit("the cut during the flood was answered after %.1f ms" % f["cut"]["answered_ms"])
grow = f["rss_kb"][1] - f["rss_kb"][0]
# Under AddressSanitizer freed memory sits in its quarantine: RSS says nothing there.
if grow > 16384 and not os.environ.get("ASAN_OPTIONS"):
    sys.exit("the process grew by %d KiB during the flood" % grow)
print("flood: %d datagrams, %d counted, cut answered in %.1f ms, RSS %+d KiB" % (sent, seen, f["cut"]["answered_ms"], grow))
PY
json=$out/verify.json case=flood rc=0
"$onetake" verify "$take" --pubkey "$key.pub" --json -q >"$json" || rc=$?
expect_verify 0 UNCUT
echo "ok: control (osc flood)"
