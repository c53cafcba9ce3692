#!/bin/bash
# test_proof.sh ONETAKE FORGE SAMPLES_DIR CUES_DIR OUT_DIR CASE
#
# The proof of one uncut take (docs/proof.md): records a real take on the sample clips, tampers with it as CASE says
# and asserts the exact verdict (exit code, verdict, failing check and frame) of `onetake verify --json`.
# Independent checks: the Merkle root recomputed by proof_tool.py (hashlib only) and `minisign -V` on the final
# signature.
set -euo pipefail
onetake=$1 forge=$2 samples=$3 cues=$4 out=$5 case=$6
here=$(dirname "$0")
tool="python3 $here/proof_tool.py"
# shellcheck source=lib.sh
. "$here/lib.sh"
need_exe "$onetake"
need_samples "$samples"
fresh_dir "$out"
export XDG_CONFIG_HOME=$out/config # the default station key, if any, stays in the test's folder

key=$out/station.key
"$onetake" keygen --out "$key" >"$out/keygen.log" || fail "keygen failed"

mapfile -t cams < <(cam_args "$samples")
# record DIR [options]: a 4 s take of simple.cues at 320x180 (cuts at 0, 40, 85; handheld's cut at 125 is after the
# end), signed by $key.
record() {
    local dir=$1
    shift
    "$onetake" record --headless "${cams[@]}" --cues "$cues/simple.cues" --size 320x180 --fps 30/1 --duration 4 \
        --key "$key" --out "$dir" "$@" >"$dir.log" 2>&1 || { cat "$dir.log"; fail "onetake record $dir failed"; }
}

# verify NAME DIR [options]: runs onetake verify --json; sets $rc and $json (the file with the verdict).
verify() {
    local name=$1 dir=$2
    shift 2
    json=$out/$name.json
    rc=0
    "$onetake" verify "$dir" --json --quiet "$@" >"$json" 2>"$out/$name.err" || rc=$?
    cat "$json"
}


take=$out/take
case $case in
clean)
    record "$take"
    verify clean "$take" --pubkey "$key.pub"
    expect_verify 0 UNCUT
    [ "$(json_int "$json" end_frame)" = 120 ] || fail "end_frame is not 120"
    grep -q '"station_key_pinned" : true' "$json" || fail "the key is not reported as pinned"
    # Independent: the Merkle root from the records (Python, hashlib) is the one the final checkpoint signs.
    $tool merkle "$take" || fail "independent Merkle check failed"
    # Stock minisign accepts the station's signature of the final log.
    minisign -Vm "$take/take.log" -x "$take/take.log.minisig" -p "$key.pub" || fail "minisign -V rejects the log"
    # Text output and exit code without --json, and unpinned.
    rc=0
    "$onetake" verify "$take" --quiet >"$out/text.txt" || rc=$?
    cat "$out/text.txt"
    [ $rc = 0 ] && grep -q '^UNCUT: ' "$out/text.txt" && grep -q 'NOT pinned' "$out/text.txt" ||
        fail "plain verify without --pubkey"
    ;;
remux_mp4)
    record "$take"
    ffmpeg -v error -i "$take/program.mkv" -c copy "$out/program.mp4"
    verify remux "$take" --master "$out/program.mp4" --pubkey "$key.pub"
    expect_verify 0 UNCUT
    grep -q 'packet level only' "$json" || fail "the verdict does not say the master was checked at packet level"
    ;;
other_key)
    record "$take"
    "$onetake" keygen --out "$out/other.key" >/dev/null
    verify other "$take" --pubkey "$out/other.key.pub"
    expect_verify 1 INVALID station-key
    ;;
keygen_refuses)
    rc=0
    "$onetake" keygen --out "$key" 2>"$out/refuse.err" || rc=$?
    expect_exit 1 $rc "keygen over an existing key"
    grep -q 'never overwrites' "$out/refuse.err" || fail "no reason given"
    [ "$(stat -c %a "$key")" = 600 ] || fail "secret key mode is $(stat -c %a "$key"), expected 600"
    # minisign signs with our secret key file (its checksum is right) and we verify it.
    echo hello >"$out/msg.txt"
    minisign -S -s "$key" -m "$out/msg.txt" -W >/dev/null 2>&1 ||
        minisign -S -s "$key" -m "$out/msg.txt" </dev/null >/dev/null || fail "minisign cannot use our secret key"
    minisign -Vm "$out/msg.txt" -p "$key.pub" || fail "minisign cannot verify with our public key"
    echo "ok: keygen refuses to overwrite; minisign uses our keys"
    ;;
default_key)
    "$onetake" record --headless --cam a=test:ball --size 160x90 --duration 1 --out "$take" >"$take.log" 2>&1 ||
        { cat "$take.log"; fail "record without --key"; }
    grep -q 'made a new station key' "$take.log" || fail "record did not say it made the default key"
    [ -f "$XDG_CONFIG_HOME/onetake/station.key" ] || fail "no default key in the config folder"
    verify default "$take" --pubkey "$XDG_CONFIG_HOME/onetake/station.key.pub"
    expect_verify 0 UNCUT
    ;;
flip_packet)
    record "$take"
    $tool mkv-flip-block "$take/program.mkv" "$out/x.mkv" 45 && mv "$out/x.mkv" "$take/program.mkv"
    verify flip "$take" --pubkey "$key.pub"
    expect_verify 1 INVALID packet-hash "frame=$($tool pkt-pts "$take/take.log" 45)" # block 45 in decode order
    ;;
flip_metadata)
    record "$take"
    $tool mkv-flip-text "$take/program.mkv" "$out/x.mkv" "onetake program" && mv "$out/x.mkv" "$take/program.mkv"
    verify meta "$take" --pubkey "$key.pub"
    expect_verify 1 INVALID file-bytes frame=0
    ;;
drop_frame)
    record "$take"
    $tool mkv-drop "$take/program.mkv" "$out/x.mkv" 50 && mv "$out/x.mkv" "$take/program.mkv"
    verify drop "$take" --pubkey "$key.pub"
    expect_verify 1 INVALID frame-missing
    ;;
dup_frame)
    record "$take"
    $tool mkv-dup "$take/program.mkv" "$out/x.mkv" 50 && mv "$out/x.mkv" "$take/program.mkv"
    verify dup "$take" --pubkey "$key.pub"
    expect_verify 1 INVALID frame-duplicated
    ;;
swap_gops)
    record "$take"
    $tool mkv-swap "$take/program.mkv" "$out/x.mkv" 1 2 && mv "$out/x.mkv" "$take/program.mkv"
    verify swap "$take" --pubkey "$key.pub"
    expect_verify 1 INVALID frame-order frame=30
    ;;
splice)
    # Two takes of the same cameras, B on another cue list: A's first second, then B's.
    record "$take"
    mkdir -p "$out/b"
    printf '0 cut drone\n20 cut crane\n70 cut close\n' >"$out/b/other.cues"
    "$onetake" record --headless "${cams[@]}" --cues "$out/b/other.cues" --size 320x180 --duration 4 --key "$key" \
        --out "$out/b/take" >"$out/b/take.log" 2>&1 || fail "record B"
    $tool mkv-splice "$take/program.mkv" "$out/b/take/program.mkv" "$out/x.mkv" 1 && mv "$out/x.mkv" "$take/program.mkv"
    verify splice "$take" --pubkey "$key.pub"
    expect_verify 1 INVALID packet-hash frame=30
    ;;
truncated)
    record "$take"
    size=$(stat -c %s "$take/program.mkv")
    truncate -s $((size * 2 / 3)) "$take/program.mkv"
    verify trunc "$take" --pubkey "$key.pub"
    expect_verify 1 INVALID file-truncated
    ;;
sigkill)
    # A live-like take of test sources with no end; SIGKILL after ~2 s. Everything up to the last commit stays
    # provably authentic: PARTIAL, ending exactly at the last checkpoint's media line, on a GOP boundary.
    "$onetake" record --headless --cam a=test:ball --cam b=test:smpte --size 320x180 --key "$key" --out "$take" \
        >"$take.log" 2>&1 &
    pid=$!
    sleep 2
    kill -9 $pid
    rc=0
    wait $pid || rc=$?
    expect_exit 137 $rc "the record killed with SIGKILL"
    end=$($tool last-media "$take")
    [ "$end" -gt 0 ] || fail "no commit after 2 s"
    [ $((end % 30)) = 0 ] || fail "the last commit ($end) is not on a GOP boundary"
    verify kill "$take" --pubkey "$key.pub"
    expect_verify 3 PARTIAL_AUTHENTIC
    [ "$(json_int "$json" end_frame)" = "$end" ] || fail "end_frame $(json_int "$json" end_frame), expected $end"
    ;;
torn_after)
    # The recorder died while writing the log's tail: the final checkpoint never made it; the tail is torn.
    record "$take"
    $tool drop-note "$take/checkpoints.txt" -1
    rm "$take/take.log.minisig"
    truncate -s -5 "$take/take.log"
    end=$($tool last-media "$take")
    verify torn_after "$take" --pubkey "$key.pub"
    expect_verify 3 PARTIAL_AUTHENTIC
    [ "$(json_int "$json" end_frame)" = "$end" ] || fail "end_frame $(json_int "$json" end_frame), expected $end"
    ;;
torn_before)
    record "$take"
    truncate -s -5 "$take/take.log"
    verify torn_before "$take" --pubkey "$key.pub"
    expect_verify 1 INVALID log-torn
    ;;
record_edited)
    record "$take"
    i=$($tool find-record "$take/take.log" PKT n=45)
    $tool edit-record "$take/take.log" "$i" '"key":0' '"key":1'
    verify edited "$take" --pubkey "$key.pub"
    expect_verify 1 INVALID merkle-root
    ;;
resigned)
    # Somebody re-signs the whole log with a key of their own: self-consistent, but not the pinned station.
    record "$take"
    "$onetake" keygen --out "$out/mallory.key" >/dev/null
    "$forge" "$take" --key "$out/mallory.key"
    verify resigned "$take" --pubkey "$key.pub"
    expect_verify 1 INVALID station-key
    ;;
uncertified)
    # The session key in GENESIS is certified by another key than the station key GENESIS names.
    record "$take"
    "$onetake" keygen --out "$out/mallory.key" >/dev/null
    "$forge" "$take" --key "$key" --cert-key "$out/mallory.key"
    verify uncert "$take" --pubkey "$key.pub"
    expect_verify 1 INVALID session-certificate
    ;;
other_take)
    record "$take"
    record "$out/take2"
    for f in take.log checkpoints.txt take.log.minisig; do cp "$out/take2/$f" "$take/$f"; done
    verify other_take "$take" --pubkey "$key.pub"
    expect_verify 1 INVALID take-id frame=0
    ;;
reordered)
    record "$take"
    $tool swap-notes "$take/checkpoints.txt" 1 2
    verify reordered "$take" --pubkey "$key.pub"
    expect_verify 1 INVALID checkpoint-order
    ;;
wrong_camera)
    # Program frame 50 claims to come from camera close while the executed cuts put wide on program (signed by a
    # station key holder: only the semantic check can catch it).
    record "$take"
    i=$($tool find-record "$take/take.log" RAW tick=50)
    "$forge" "$take" --key "$key" --edit "$i" '"cam":0' '"cam":1'
    verify wrong_camera "$take" --pubkey "$key.pub"
    expect_verify 1 INVALID program-camera frame=50
    ;;
unplanned_cut)
    # The cut at frame 40 claims cue #3 (which plans drone at frame 85): a cut nobody planned or made.
    record "$take"
    i=$($tool find-record "$take/take.log" CUT frame=40)
    "$forge" "$take" --key "$key" --edit "$i" '"cue":1' '"cue":2'
    verify unplanned "$take" --pubkey "$key.pub"
    expect_verify 1 INVALID unplanned-cut frame=40
    ;;
iso_flip)
    record "$take" --iso
    $tool mkv-flip-block "$take/iso/close.mkv" "$out/x.mkv" 45 && mv "$out/x.mkv" "$take/iso/close.mkv"
    verify iso_flip "$take" --pubkey "$key.pub"
    expect_verify 1 INVALID packet-hash frame=45 # FFV1: intra only, decode order is frame order
    [ "$(json_str "$json" file)" = iso/close.mkv ] || fail "the failure is not about iso/close.mkv"
    ;;
iso_swapped)
    record "$take" --iso
    mv "$take/iso/wide.mkv" "$out/x.mkv" && mv "$take/iso/close.mkv" "$take/iso/wide.mkv" &&
        mv "$out/x.mkv" "$take/iso/close.mkv"
    verify iso_swapped "$take" --pubkey "$key.pub"
    expect_verify 1 INVALID role-tag frame=0
    ;;
faster_than_live)
    # A take made offline (lockstep, ~10x real time) whose log is re-made to claim live production: media time
    # ran faster than the clock between checkpoints.
    record "$take"
    "$forge" "$take" --key "$key" --edit 0 '"live":false' '"live":true'
    verify live "$take" --pubkey "$key.pub"
    expect_verify 1 INVALID real-time
    ;;
cues_edited)
    record "$take"
    sed -i 's/cut     wide /cut     crane/' "$take/cues.txt"
    verify cues "$take" --pubkey "$key.pub"
    expect_verify 1 INVALID cue-list
    ;;
*)
    fail "unknown case $case"
    ;;
esac
