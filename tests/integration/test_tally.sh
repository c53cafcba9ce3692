#!/bin/bash
# test_tally.sh ONETAKE OUT UDP_PORT TCP_PORT
#
# TSL UMD v5.0 tally out (issue 14), to two receivers run by the test (tsl_receiver.py decodes every packet byte by
# byte against the protocol's layout): a 5 s take of two test cameras paced to real time, cut by a cue list. The
# UDP receiver must see the programs in the cue list's order and a refresh every second; the TCP receiver closes
# and stops listening mid-take, listens again, and must get tally again without the take noticing.
set -euo pipefail
onetake=$1 out=$2 uport=$3 tport=$4
here=$(dirname "$0")
. "$here/lib.sh"
need_exe "$onetake"
fresh_dir "$out"
new_station_key "$out"
printf '00:00:00:00 cut a\n00:00:01:00 cut b\n00:00:02:00 cut a\n00:00:03:00 cut b\n' >"$out/song.cues"
expected=a,b,a,b # the cue list's cameras in order, as the cue file says

# Bad tally addresses are refused before anything is recorded.
for bad in "--tally tcp://127.0.0.1:$tport" "--tally tsl5+udp://localhost:$uport" "--tally-index-base -1"; do
    rc=0
    # shellcheck disable=SC2086
    "$onetake" record --headless --cam a=test:ball --duration 1 --key "$key" --out "$out/refused" $bad \
        >"$out/refused.log" 2>&1 || rc=$?
    expect_exit 2 $rc "record $bad" # a usage error
    [ ! -e "$out/refused" ] || fail "record $bad left a take folder"
    grep -q -- "tally" "$out/refused.log" || fail "record $bad: the error does not name the tally option"
done

rx="python3 $here/tsl_receiver.py"
$rx udp "$uport" 9 "$out/udp.json" a,b 5 &
upid=$!
$rx tcp "$tport" 9 "$out/tcp.json" a,b 5 2.5 3.2 &
tpid=$!
sleep 0.3
rc=0
timeout 60 "$onetake" record --headless --realtime --cam a=test:ball --cam b=test:smpte --size 160x90 --fps 30/1 \
    --duration 5 --cues "$out/song.cues" --key "$key" --out "$out/take" --tally-index-base 5 \
    --tally "tsl5+udp://127.0.0.1:$uport" --tally "tsl5+tcp://127.0.0.1:$tport" >"$out/record.log" 2>&1 || rc=$?
cat "$out/record.log"
expect_exit 0 $rc "the take with tally"
wait $upid || fail "the UDP tally receiver failed"
wait $tpid || fail "the TCP tally receiver failed"
# A 5 s take: the four changes and the refresh a second after the last one (a refresh is due after 1 s unchanged).
$rx check "$out/udp.json" "$expected" 5 || fail "UDP tally is not the cue list's"
python3 - "$out/tcp.json" <<'P' || fail "TCP tally did not come back after the receiver did"
import json, sys
got = json.load(open(sys.argv[1]))
before = [g for g in got if g[1] == 0]
after = [g for g in got if g[1] == 1]
if not before or not after:
    sys.exit('tcp: %d packets before the receiver went away, %d after it came back' % (len(before), len(after)))
if after[0][0] - 3.2 > 2.0:  # it listens again at 3.2 s; the sender retries with a backoff of at most 1 s by then
    sys.exit('tcp: tally came back %.2f s after the receiver did' % (after[0][0] - 3.2))
if after[-1][2] != 'b':
    sys.exit('tcp: the last tally after the reconnect says %s on program, the cue list ends on b' % after[-1][2])
print('tcp: %d packets before the drop, %d after the reconnect' % (len(before), len(after)))
P
grep -q "^tally: .* TCP connects" "$out/record.log" || fail "the summary has no tally line"
python3 -c 'import json,sys; t=json.load(open(sys.argv[1]))["tally"]; sys.exit(not (t["packets"] >= 9 and t["tcp_connects"] == 2))' "$out/take/take.json" ||
    fail "take.json's tally counts are not the packets and the two TCP connects"
json=$out/verify.json case=tally rc=0
"$onetake" verify "$out/take" --pubkey "$key.pub" --json -q >"$json" || rc=$?
expect_verify 0 UNCUT
echo "ok: tally (TSL 5.0 over UDP and TCP)"
