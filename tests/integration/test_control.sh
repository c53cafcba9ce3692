#!/bin/bash
# test_control.sh ONETAKE SAMPLES OUT PORT
#
# Remote control over TCP (issue 14), with real clients: a take of two sample clips (FFV1, their own size, paced to
# real time) driven by two Python socket clients at once (control_client.py): cuts by name, by number, preview +
# take, bad and refused commands, a third client that never reads (dropped, nothing else held up), and the end with the take id. The oracle is the clips themselves: every program
# frame, decoded by ffmpeg, must be the frame of the camera the replies put on program; the subscriber must see
# every change in order; cuts.jsonl and the take log name the remote peer; the take verifies UNCUT.
set -euo pipefail
onetake=$1 samples=$2 out=$3 port=$4
here=$(dirname "$0")
. "$here/lib.sh"
need_exe "$onetake"
need_samples "$samples"
fresh_dir "$out"
new_station_key "$out"
take=$out/take
timeout 60 "$onetake" record --headless --realtime --cam "wide=$samples/wide.mp4" --cam "close=$samples/close.mp4" \
    --codec ffv1 --size 640x360 --fps 30/1 --duration 9 --key "$key" --out "$take" \
    --control "tcp://127.0.0.1:$port" >"$out/record.log" 2>&1 &
pid=$!
rc=0
timeout 30 python3 "$here/control_client.py" drive "$port" >"$out/plan.json" || rc=$?
[ $rc = 0 ] || { kill $pid 2>/dev/null || true; wait $pid || true; cat "$out/record.log"; fail "the control clients failed"; }
rc=0
wait $pid || rc=$?
cat "$out/record.log"
expect_exit 0 $rc "the remotely ended take"
cat "$out/plan.json"
end=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["end"])' "$out/plan.json")
python3 "$here/control_client.py" program "$take/program.mkv" "$end" "wide=$samples/wide.mp4" \
    "close=$samples/close.mp4" <"$out/plan.json" || fail "the program is not what the control replies said"
[ "$(grep -c '"type":"cut".*"origin":"remote","peer":"tcp:127.0.0.1:' "$take/cuts.jsonl")" = 3 ] ||
    fail "cuts.jsonl does not give the 3 remote cuts with their peer"
grep -q '"type":"end".*"origin":"remote","peer":"tcp:127.0.0.1:' "$take/cuts.jsonl" ||
    fail "cuts.jsonl does not say the end was remote"
grep -q '^control: 3 clients, .* 1 slow clients dropped' "$out/record.log" ||
    fail "the summary does not count the 3 clients and the slow one dropped"
python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))["control"]; sys.exit(not (c["clients"] == 3 and c["slow_clients_dropped"] == 1 and c["malformed"] >= 2))' "$take/take.json" ||
    fail "take.json's control counts are not the clients and the dropped one"
json=$out/verify.json case=control rc=0
"$onetake" verify "$take" --pubkey "$key.pub" --json -q >"$json" || rc=$?
expect_verify 0 UNCUT
echo "ok: control (tcp)"
