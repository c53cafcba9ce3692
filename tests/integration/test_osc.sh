#!/bin/bash
# test_osc.sh ONETAKE SAMPLES OUT PORT
#
# OSC control (issue 14) with liblo's own tools: a take of two sample clips (FFV1, their own size, paced to real
# time, a cue list with a go cue) served on osc:// and tcp:// at once, driven by oscsend and osc_client.py (raw
# OSC from other loopback hosts: one outside --control-allow, one flooding), its feedback received by oscdump. The
# oracle is the clips: every program frame, decoded by ffmpeg, must be the frame of the camera the feedback put on
# program, in the order the commands asked for; cuts.jsonl names the OSC peer; the counts say what was refused; the
# take verifies UNCUT. Ports PORT (OSC), PORT+1 (TCP), PORT+2 (oscdump), loopback only.
set -euo pipefail
onetake=$1 samples=$2 out=$3 port=$4
here=$(dirname "$0")
. "$here/lib.sh"
need_exe "$onetake"
need_samples "$samples"
for t in oscsend oscdump; do
    command -v $t >/dev/null || { echo "SKIP: $t (Debian liblo-tools) is not installed"; exit 77; }
done
fresh_dir "$out"
new_station_key "$out"
printf '00:00:00:00 cut wide\ngo cut close "Interview"\n' >"$out/show.cues"
take=$out/take
timeout 30 oscdump -L $((port + 2)) >"$out/dump.txt" 2>&1 &
dpid=$!
timeout 60 "$onetake" record --headless --realtime --cam "wide=$samples/wide.mp4" --cam "close=$samples/close.mp4" \
    --codec ffv1 --size 640x360 --fps 30/1 --duration 9 --key "$key" --out "$take" --cues "$out/show.cues" \
    --control "osc://127.0.0.1:$port" --control "tcp://127.0.0.1:$((port + 1))" \
    --control-allow 127.0.0.1/32,127.0.0.4/32 >"$out/record.log" 2>&1 &
pid=$!
sleep 0.5
rc=0
timeout 40 python3 "$here/osc_client.py" drive "$port" $((port + 1)) $((port + 2)) "$out/dump.txt" \
    >"$out/plan.json" || rc=$?
kill $dpid 2>/dev/null || true
wait $dpid || true
[ $rc = 0 ] || { kill $pid 2>/dev/null || true; wait $pid || true; cat "$out/record.log"; fail "the OSC clients failed"; }
rc=0
wait $pid || rc=$?
cat "$out/record.log"
expect_exit 0 $rc "the take ended over OSC"
cat "$out/plan.json"
end=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["end"])' "$out/plan.json")
python3 "$here/control_client.py" program "$take/program.mkv" "$end" "wide=$samples/wide.mp4" \
    "close=$samples/close.mp4" <"$out/plan.json" || fail "the program is not what the OSC feedback said"
[ "$(grep -c '"type":"cut".*"origin":"remote","peer":"osc:127.0.0.1:' "$take/cuts.jsonl")" = 4 ] ||
    fail "cuts.jsonl does not give the 4 remote cuts (cut, cut, go, take) with their OSC peer"
grep -q '"type":"end".*"origin":"remote","peer":"osc:127.0.0.1:' "$take/cuts.jsonl" ||
    fail "cuts.jsonl does not say the end came over OSC"
grep -q '127.0.0.3' "$take/cuts.jsonl" && fail "a refused host's command is in cuts.jsonl"
python3 - "$take/take.json" <<'PY' || fail "take.json's control counts are not what the clients did"
import json, sys
c = json.load(open(sys.argv[1]))["control"]
print("take.json control:", c)
want = {"peers_refused": 2, "end_refused": 1, "osc_unknown": 2, "osc_subscriptions": 1, "clients": 1}
bad = {k: (c.get(k), v) for k, v in want.items() if c.get(k) != v}
# malformed: 5 junk datagrams, the end without an id, cut nobody, cut 9, take 1; rate-limited: most of 400
if c["malformed"] != 9 or not 150 <= c["rate_limited"] <= 350 or bad:
    sys.exit("malformed %d (want 9), rate_limited %d (want most of 400), %r" % (c["malformed"], c["rate_limited"], bad))
PY
grep -q '^control: 1 clients, .* 2 peers refused, .* 1 ends refused; OSC: .* 2 unknown, 1 subscriptions' \
    "$out/record.log" || fail "the summary does not count the OSC refusals"
json=$out/verify.json case=control rc=0
"$onetake" verify "$take" --pubkey "$key.pub" --json -q >"$json" || rc=$?
expect_verify 0 UNCUT
echo "ok: control (osc)"
