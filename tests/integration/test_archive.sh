#!/bin/bash
# test_archive.sh ONETAKE SAMPLES_DIR OUT_DIR CASE
#
# BagIt bags of takes (RFC 8493), signed by the station key. A small real take (two sample cameras with ISOs and
# the take log, FFV1, 2 s) is recorded with a station key made for the test, then per CASE:
#   copy:     archive --out BAG: the bag passes `onetake archive --check` (pinned key), stock `minisign -V` on the tag
#             manifest, `sha256sum -c` of both manifests, and `onetake verify` (which accepts a bag); the take folder
#             is untouched; archiving it again into the same folder is refused.
#   in_place: archive DIR: DIR becomes the bag, every file of the take under DIR/data, nothing lost (same hashes);
#             a second archive is refused (already a bag).
#   tamper:   on copies of a good bag, each of these is caught by the check, with its reason: a payload byte edited,
#             a payload file added, a tag file added, a payload file removed, bag-info.txt edited, bag-info.txt
#             edited with the tag manifest re-hashed to match (the signature catches it: minisign -V too), the
#             signature removed.
#   salvage:  a take whose recorder was killed (SIGKILL): refused without --salvage (exit 1, the message says
#             --salvage), packaged as "partial" with it, and the bag checks.
set -euo pipefail
onetake=$1 samples=$2 out=$3 case=$4
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
need_exe "$onetake"
need_samples "$samples"
command -v minisign >/dev/null || fail "minisign is not installed (scripts/install-deps.sh installs it)"
fresh_dir "$out"
take=$out/take
key=$out/station.key
"$onetake" keygen --out "$key" >/dev/null || fail "onetake keygen failed"

record() {
    local rc=0
    "$onetake" record --headless --cam "wide=$samples/wide.mp4" --cam "close=$samples/close.mp4" --iso \
        --codec ffv1 --size 320x180 --fps 30/1 --duration 2 --key "$key" --out "$take" >"$out/record.log" 2>&1 ||
        rc=$?
    [ $rc -eq 0 ] || { cat "$out/record.log"; fail "onetake record exited $rc"; }
}

# check_ok BAG: every independent check accepts the bag.
check_ok() {
    local bag=$1
    "$onetake" archive --check "$bag" --pubkey "$key.pub" -q || fail "onetake archive --check refuses $bag"
    minisign -Vm "$bag/tagmanifest-sha256.txt" -p "$key.pub" >/dev/null ||
        fail "minisign -V refuses the signature of $bag/tagmanifest-sha256.txt"
    (cd "$bag" && sha256sum --quiet -c manifest-sha256.txt && sha256sum --quiet -c tagmanifest-sha256.txt) ||
        fail "sha256sum -c refuses the manifests of $bag"
    grep -q "^Payload-Oxum: [0-9]*\.[0-9]*$" "$bag/bag-info.txt" || fail "bag-info.txt has no Payload-Oxum"
    grep -qx "BagIt-Version: 1.0" "$bag/bagit.txt" || fail "bagit.txt does not say BagIt-Version: 1.0"
    # minisign's public key file names the key id in its comment line.
    local kid
    kid=$(sed -n '1s/.* \([0-9A-F]\{16\}\)$/\1/p' "$key.pub")
    grep -qx "Onetake-Station-Key-Id: $kid" "$bag/bag-info.txt" || fail "bag-info.txt does not name key $kid"
}

# refused BAG PATTERN: the check fails (exit 1) and says PATTERN.
refused() {
    local bag=$1 pattern=$2 rc=0
    "$onetake" archive --check "$bag" --pubkey "$key.pub" -q >"$out/check.log" 2>&1 || rc=$?
    cat "$out/check.log"
    expect_exit 1 $rc "the check of $bag (invalid)"
    grep -qE -- "$pattern" "$out/check.log" || fail "the check of $bag does not say /$pattern/"
}

# onetake verify on a bag checks the bag too: an edit the take log cannot see is INVALID (bag-manifest).
verify_refused() {
    local rc=0 json=$out/verify.json case="verify $1"
    "$onetake" verify "$1" --pubkey "$key.pub" --json -q >"$json" 2>"$out/verify.err" || rc=$?
    expect_verify 1 INVALID bag-manifest
}

hashes() { (cd "$1" && find . -type f -exec sha256sum {} + | sort -k2); }

case $case in
copy)
    record
    hashes "$take" >"$out/before.sha"
    "$onetake" archive "$take" --out "$out/bag" --key "$key" --organization "onetake tests" -q ||
        fail "onetake archive --out failed"
    check_ok "$out/bag"
    hashes "$take" | diff - "$out/before.sha" || fail "archive --out changed the take folder"
    hashes "$out/bag/data" | diff - "$out/before.sha" || fail "the bag's payload is not the take"
    grep -qx "Onetake-Status: complete" "$out/bag/bag-info.txt" || fail "a clean take is not complete"
    grep -qx "Onetake-Take-Id: $(json_str "$take/take.json" take_id)" "$out/bag/bag-info.txt" ||
        fail "bag-info.txt does not name the take"
    grep -qx "Source-Organization: onetake tests" "$out/bag/bag-info.txt" || fail "no Source-Organization"
    grep -q "^Onetake-Merkle-Root: [0-9a-f]\{64\}$" "$out/bag/bag-info.txt" || fail "no Merkle root of the take log"
    "$onetake" verify "$out/bag" --pubkey "$key.pub" >"$out/verify.log" 2>&1 ||
        { cat "$out/verify.log"; fail "onetake verify does not accept the bag"; }
    rc=0
    "$onetake" archive "$take" --out "$out/bag" --key "$key" -q 2>"$out/again.log" || rc=$?
    expect_exit 1 $rc "archive into a full --out folder"
    grep -q "not empty" "$out/again.log" || fail "archive into a full --out folder: no reason given"
    ;;
in_place)
    record
    hashes "$take" >"$out/before.sha"
    "$onetake" archive "$take" --key "$key" -q || fail "onetake archive in place failed"
    check_ok "$take"
    hashes "$take/data" | diff - "$out/before.sha" || fail "the take's files are not all in data/, unchanged"
    [ "$(find "$take" -mindepth 1 -maxdepth 1 | wc -l)" = 6 ] ||
        fail "the bag holds more than data/ and its 5 tag files: $(ls "$take")"
    rc=0
    "$onetake" archive "$take" --key "$key" -q 2>"$out/again.log" || rc=$?
    expect_exit 1 $rc "archiving a bag again"
    grep -q "already a bag" "$out/again.log" || fail "archiving a bag again: no reason given"
    ;;
tamper)
    record
    "$onetake" archive "$take" --out "$out/bag" --key "$key" -q || fail "onetake archive failed"
    check_ok "$out/bag"
    bad=$out/bad
    fresh() { rm -rf "$bad" && cp -a "$out/bag" "$bad"; }
    fresh
    printf '\x5a' | dd of="$bad/data/iso/close.mkv" bs=1 seek=4000 conv=notrunc 2>/dev/null
    refused "$bad" "data/iso/close.mkv: SHA-256 differs"
    fresh
    echo extra >"$bad/data/notes.txt"
    refused "$bad" "data/notes.txt is not in manifest-sha256.txt"
    verify_refused "$bad"
    fresh
    echo extra >"$bad/notes.txt"
    refused "$bad" "notes.txt is not covered by tagmanifest-sha256.txt"
    verify_refused "$bad"
    fresh
    rm "$bad/data/cuts.jsonl"
    refused "$bad" "data/cuts.jsonl is listed in the manifest but missing"
    fresh
    sed -i 's/^Onetake-Status: complete$/Onetake-Status: partial/' "$bad/bag-info.txt"
    refused "$bad" "tag file bag-info.txt does not match"
    # The same edit with the tag manifest re-hashed: only the signature can tell.
    (cd "$bad" && h=$(sha256sum bag-info.txt | cut -d' ' -f1) &&
        sed -i "s/^[0-9a-f]*  bag-info.txt$/$h  bag-info.txt/" tagmanifest-sha256.txt)
    refused "$bad" "signature is not valid"
    verify_refused "$bad"
    ! minisign -Vm "$bad/tagmanifest-sha256.txt" -p "$key.pub" >/dev/null 2>&1 ||
        fail "minisign -V accepts a re-hashed tag manifest"
    fresh
    rm "$bad/tagmanifest-sha256.txt.minisig"
    refused "$bad" "minisig is missing"
    ;;
salvage)
    "$onetake" record --headless --cam "wide=$samples/wide.mp4" --cam a=test:ball --iso --codec ffv1 --size 320x180 \
        --fps 30/1 --duration 600 --key "$key" --out "$take" >"$out/record.log" 2>&1 &
    pid=$!
    for _ in $(seq 100); do # until the take is well under way
        [ -s "$take/cuts.jsonl" ] && [ "$(stat -c %s "$take/program.mkv" 2>/dev/null || echo 0)" -gt 200000 ] && break
        sleep 0.1
    done
    kill -KILL $pid
    rc=0
    wait $pid || rc=$?
    expect_exit 137 $rc "the killed record"
    [ "$(json_str "$take/take.json" status)" = recording ] || fail "the killed take's take.json is not 'recording'"
    rc=0
    "$onetake" archive "$take" --key "$key" -q 2>"$out/refused.log" || rc=$?
    cat "$out/refused.log"
    expect_exit 1 $rc "archiving a crashed take without --salvage"
    grep -q -- "--salvage" "$out/refused.log" || fail "the refusal does not tell to use --salvage"
    [ ! -e "$take/data" ] && [ ! -e "$take/bagit.txt" ] || fail "the refused archive touched the take"
    "$onetake" archive "$take" --salvage --key "$key" -q || fail "archive --salvage failed"
    check_ok "$take"
    grep -qx "Onetake-Status: partial" "$take/bag-info.txt" || fail "a salvaged take is not partial"
    # The salvaged bag verifies as what it is: authentic up to the last signed checkpoint, not a whole take.
    json=$out/verify.json case="verify the salvaged bag" rc=0
    "$onetake" verify "$take" --pubkey "$key.pub" --json -q >"$json" 2>"$out/verify.err" || rc=$?
    expect_verify 3 PARTIAL_AUTHENTIC
    grep -q '"bag: ' "$json" || fail "verify of a bag does not say it checked the bag"
    ;;
*)
    fail "unknown case $case"
    ;;
esac
echo "ok: archive ($case)"
