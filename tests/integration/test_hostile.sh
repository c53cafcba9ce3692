#!/bin/bash
# test_hostile.sh ONETAKE OUT_DIR CASE
#
# A hostile take folder (issue 19): a take made here (two test-pattern cameras with ISOs, a cue list, 1 s at 160x90,
# under a second to record), then changed as CASE says by somebody who wants it to pass or to break the verifier.
# Each case asserts the exact exit code and verdict (and check, file) of `onetake verify --json`, or of replay and
# archive --check; that nothing hangs (timeout 20 s: exit 124 fails) or crashes (exit >= 128 fails); and that it
# runs within the memory bound docs/proof.md states: 512 MB of address space (ulimit -v), whatever the folder holds.
set -euo pipefail
onetake=$1 out=$2 case=$3
here=$(dirname "$0")
tool="python3 $here/hostile_tool.py"
# shellcheck source=lib.sh
. "$here/lib.sh"
need_exe "$onetake"
fresh_dir "$out"
export XDG_CONFIG_HOME=$out/config
mem_kb=524288
# AddressSanitizer reserves terabytes of shadow address space: the bound is asserted in the normal build only.
if [ -n "${ASAN_OPTIONS:-}" ]; then mem_kb=unlimited; fi
key=$out/station.key
"$onetake" keygen --out "$key" >/dev/null || fail "keygen failed"
printf '00:00:00:00 cut a\n00:00:00:15 cut b\n' >"$out/song.cues"

# record DIR [NAME_A]: the take (camera names a and b unless given).
record() {
    local dir=$1 a=${2:-a}
    "$onetake" record --headless --cam "$a=test:ball" --cam b=test:smpte --iso --size 160x90 --fps 30/1 \
        --duration 1 --key "$key" --out "$dir" $([ "$a" = a ] && echo --cues "$out/song.cues") \
        >"$dir.log" 2>&1 || { cat "$dir.log"; fail "onetake record $dir failed"; }
}

# bounded CMD...: run with the memory bound and a timeout; sets $rc; a hang or a crash fails the test.
bounded() {
    rc=0
    (ulimit -v $mem_kb && exec timeout 20 "$@") || rc=$?
    [ $rc -ne 124 ] || fail "$case: '$*' did not finish within 20 s (it hangs)"
    [ $rc -lt 128 ] || fail "$case: '$*' died of signal $((rc - 128)) (a crash)"
}

# verify DIR: onetake verify --json within the bounds; $rc, $json (checked to be valid UTF-8 JSON).
verify() {
    json=$out/verdict.json
    bounded "$onetake" verify "$1" --json --quiet --pubkey "$key.pub"
    cp "$json.tmp" "$json" 2>/dev/null || true
}
verify() {
    json=$out/verdict.json
    rc=0
    (ulimit -v $mem_kb && exec timeout 20 "$onetake" verify "$1" --json --quiet --pubkey "$key.pub") \
        >"$json" 2>"$out/verify.err" || rc=$?
    [ $rc -ne 124 ] || fail "$case: verify did not finish within 20 s (it hangs)"
    [ $rc -lt 128 ] || { cat "$out/verify.err"; fail "$case: verify died of signal $((rc - 128)) (a crash)"; }
    cat "$json"
    python3 -c 'import json,sys; json.load(open(sys.argv[1], encoding="utf-8", errors="strict"))' "$json" ||
        fail "$case: verify --json did not print valid UTF-8 JSON"
}


take=$out/take
record "$take"
case $case in
torn_checkpoint)
    # A crash, a power loss or a full disk leaves the last checkpoint incomplete (was: use-after-free).
    for cut in 1 40 appended; do
        rm -rf "$out/t" && cp -r "$take" "$out/t"
        if [ $cut = appended ]; then printf x >>"$out/t/checkpoints.txt"; else truncate -s -$cut "$out/t/checkpoints.txt"; fi
        verify "$out/t"
        expect_verify 3 PARTIAL_AUTHENTIC
        grep -q 'incomplete checkpoint' "$json" || fail "$case/$cut: the torn checkpoint is not mentioned"
    done
    ;;
genesis_deep)
    # GENESIS nested 100,000 deep, before any signature is checked (was: stack overflow).
    $tool deep 100000 >"$out/deep.json"
    $tool set-record "$take/take.log" 0 "$out/deep.json"
    verify "$take"
    expect_verify 1 INVALID log-genesis file=take.log
    ;;
take_json_deep)
    # take.json nested 100,000 deep for archive and replay (was: stack overflow).
    $tool deep 100000 >"$take/take.json"
    bounded "$onetake" archive "$take" --out "$out/bag" --key "$key" -q
    [ $rc = 2 ] || fail "archive of a take.json nested 100,000 deep exited $rc, expected 2 (not a take)"
    bounded "$onetake" replay "$take" --out "$out/replay"
    [ $rc = 2 ] || fail "replay of a take.json nested 100,000 deep exited $rc, expected 2 (not a take)"
    ;;
fifo)
    # A FIFO in place of any file verify opens: refused at once, never waited on.
    for fc in program.mkv:file-type take.log:file-type take.log.minisig:file-type cues.txt:cue-list \
        iso/a.mkv:file-type; do
        f=${fc%%:*}
        rm -rf "$out/t" && cp -r "$take" "$out/t"
        rm -f "$out/t/$f" && mkfifo "$out/t/$f"
        verify "$out/t"
        expect_verify 1 INVALID "${fc#*:}" "file=$f"
    done
    ;;
dev_zero)
    # /dev/zero linked in: a symlink is never followed (was: read whole into memory).
    for fc in checkpoints.txt:file-type cues.txt:cue-list take.log.minisig:file-type program.mkv:file-type; do
        f=${fc%%:*}
        rm -rf "$out/t" && cp -r "$take" "$out/t"
        ln -sf /dev/zero "$out/t/$f"
        verify "$out/t"
        expect_verify 1 INVALID "${fc#*:}" "file=$f"
    done
    ;;
symlink_out)
    # A file or a folder of the take pointing out of it, to a copy that would pass: not followed.
    cp -r "$take" "$out/elsewhere"
    rm "$take/program.mkv" && ln -s "$out/elsewhere/program.mkv" "$take/program.mkv"
    verify "$take"
    expect_verify 1 INVALID file-type file=program.mkv
    rm "$take/program.mkv" && cp "$out/elsewhere/program.mkv" "$take/program.mkv"
    rm -r "$take/iso" && ln -s "$out/elsewhere/iso" "$take/iso"
    verify "$take"
    expect_verify 1 INVALID file-type file=iso/a.mkv
    ;;
sparse_master)
    # A 20 GB sparse program.mkv: only the bytes the log recorded are read (was: read in full).
    truncate -s 20G "$take/program.mkv"
    start=$(date +%s)
    verify "$take"
    expect_verify 1 INVALID
    [ $(($(date +%s) - start)) -le 5 ] || fail "$case: verify took more than 5 s on a sparse 20 GB file"
    ;;
camera_name)
    # NAME is at most 64 characters: 65 is refused before anything is made (was: a corrupt take.log at 190-251).
    long=$(printf 'n%.0s' $(seq 65))
    rc=0
    "$onetake" record --headless --cam "$long=test:ball" --size 160x90 --duration 1 --key "$key" \
        --out "$out/long" >"$out/long.log" 2>&1 || rc=$?
    cat "$out/long.log"
    [ $rc = 2 ] || fail "record with a 65-character camera name exited $rc, expected 2 (usage)"
    grep -q 'at most 64' "$out/long.log" || fail "the refusal does not say the limit"
    [ ! -e "$out/long/take.log" ] || fail "a refused record left a take log"
    name=$(printf 'c%.0s' $(seq 64))
    record "$out/n64" "$name"
    verify "$out/n64"
    expect_verify 0 UNCUT
    [ -f "$out/n64/iso/$name.mkv" ] || fail "no ISO for the 64-character camera"
    ;;
minisig_strict)
    # take.log.minisig read as stock `minisign -V` reads it: the oracle is minisign itself.
    n=0
    while read -r mut; do
        rm -rf "$out/t" && cp -r "$take" "$out/t"
        python3 - "$out/t/take.log.minisig" "$mut" <<'EOF'
import sys
p, mut = sys.argv[1], sys.argv[2]
l = open(p).read().split('\n')
if mut == 'junk_in_sig': l[1] = l[1][:10] + '!' + l[1][10:]
elif mut == 'space_in_global': l[3] = l[3][:10] + ' ' + l[3][10:]
elif mut == 'trailing_space_sig': l[1] += ' '
elif mut == 'leading_space_sig': l[1] = ' ' + l[1]
elif mut == 'trailing_x_global': l[3] += 'x'
elif mut == 'no_padding_global': l[3] = l[3].rstrip('=')
elif mut == 'cr_line_ends': l = [x + '\r' if x else x for x in l]
elif mut == 'extra_line': l.append('more')
elif mut == 'no_untrusted_comment': l[0] = 'comment'
elif mut == 'tab_in_sig': l[1] = l[1][:5] + '\t' + l[1][5:]
open(p, 'w').write('\n'.join(l))
EOF
        mrc=0
        minisign -Vm "$out/t/take.log" -x "$out/t/take.log.minisig" -p "$key.pub" -q >/dev/null 2>&1 || mrc=$?
        verify "$out/t"
        if [ $mrc = 0 ]; then expect_verify 0 UNCUT; else expect_verify 1 INVALID final-signature file=take.log.minisig; fi
        n=$((n + 1))
    done <<'EOF'
junk_in_sig
space_in_global
trailing_space_sig
leading_space_sig
trailing_x_global
no_padding_global
cr_line_ends
extra_line
no_untrusted_comment
tab_in_sig
EOF
    [ $n = 10 ] || fail "only $n mutations ran"
    ;;
checkpoint_b64)
    # A checkpoint's signature line with junk inside its base64 or after it: not a signature.
    for mut in 's/\(— onetake-session-[0-9a-f]* [A-Za-z0-9+\/]\{10\}\)/\1!/' 's/\(— onetake-session-[0-9a-f]* .*=\)$/\1 x/'; do
        rm -rf "$out/t" && cp -r "$take" "$out/t"
        sed -i "$mut" "$out/t/checkpoints.txt"
        cmp -s "$take/checkpoints.txt" "$out/t/checkpoints.txt" && fail "the sed did not change checkpoints.txt"
        verify "$out/t"
        expect_verify 1 INVALID checkpoint-signature file=checkpoints.txt
    done
    ;;
foreign_checkpoint_key)
    # Every checkpoint carries a valid Ed25519 signature, by a key that is not the take's session key.
    $tool foreign-sig "$take/checkpoints.txt" "$out"
    verify "$take"
    expect_verify 1 INVALID checkpoint-signature file=checkpoints.txt
    ;;
merkle_overflow)
    # A checkpoint whose tree size overflows 64 bits.
    sed -i '0,/^[0-9]\+$/s//99999999999999999999999/' "$take/checkpoints.txt"
    verify "$take"
    expect_verify 1 INVALID checkpoint-signature file=checkpoints.txt
    ;;
duplicate_record)
    $tool dup-record "$take/take.log" 5
    verify "$take"
    expect_verify 1 INVALID merkle-root file=take.log
    ;;
json_utf8)
    # A folder name that is not UTF-8: --json still prints valid UTF-8 (verify() checks it).
    bad=$out/$'take-\xff\xfe'
    mv "$take" "$bad"
    verify "$bad"
    expect_verify 0 UNCUT
    ;;
cuts_jsonl_edited)
    # The cut list editors and QA read, edited: the take is not UNCUT any more, and the file is named.
    sed -i '2s/"frame":15/"frame":16/' "$take/cuts.jsonl"
    grep -q '"frame":16' "$take/cuts.jsonl" || fail "the sed did not edit cuts.jsonl"
    verify "$take"
    expect_verify 1 INVALID cuts-jsonl file=cuts.jsonl
    [ "$(json_int "$json" frame)" = 15 ] || fail "$case: failing frame is not 15"
    ;;
take_json_edited)
    sed -i 's/"fps" : "30\/1"/"fps" : "25\/1"/' "$take/take.json"
    verify "$take"
    expect_verify 1 INVALID take-json file=take.json
    ;;
station_pub_other)
    "$onetake" keygen --out "$out/other.key" >/dev/null
    cp "$out/other.key.pub" "$take/station.pub"
    verify "$take"
    expect_verify 1 INVALID station-pub file=station.pub
    ;;
extra_files)
    # Files the recorder did not make are reported as not part of the take; a symlink among them is not followed.
    echo notes >"$take/notes.txt"
    ln -s /etc/passwd "$take/iso/passwd"
    verify "$take"
    expect_verify 0 UNCUT
    grep -q 'notes.txt is not part of the take' "$json" || fail "$case: notes.txt is not reported"
    grep -q 'iso/passwd is not part of the take.*not followed' "$json" || fail "$case: the symlink is not reported"
    ;;
bag_paths)
    # archive --check of a bag whose manifests name ../ or absolute paths: refused (exit 1), nothing read outside.
    "$onetake" archive "$take" --out "$out/bag" --key "$key" -q >/dev/null || fail "archive failed"
    for mf in manifest-sha256.txt tagmanifest-sha256.txt; do
        for p in '../../etc/passwd' '/etc/passwd' 'data/../../x'; do
            rm -rf "$out/b" && cp -r "$out/bag" "$out/b"
            printf '%s  %s\n' "$(printf x | sha256sum | cut -d' ' -f1)" "$p" >>"$out/b/$mf"
            bounded "$onetake" archive --check "$out/b" --pubkey "$key.pub" -q
            [ $rc = 1 ] || fail "$case: archive --check of a $mf naming $p exited $rc, expected 1"
        done
    done
    # A FIFO as a tag file: refused, not waited on.
    rm -rf "$out/b" && cp -r "$out/bag" "$out/b" && rm "$out/b/bag-info.txt" && mkfifo "$out/b/bag-info.txt"
    bounded "$onetake" archive --check "$out/b" --pubkey "$key.pub" -q
    [ $rc = 1 ] || fail "$case: archive --check with a FIFO bag-info.txt exited $rc, expected 1"
    echo "ok: $case: refused"
    ;;
replay_hostile)
    # replay of a take whose cuts.jsonl is a 1 GB single line, or a FIFO: refused, within the memory bound.
    truncate -s 1G "$take/cuts.jsonl"
    bounded "$onetake" replay "$take" --out "$out/r1"
    [ $rc = 2 ] || [ $rc = 1 ] || fail "$case: replay of a 1 GB cuts.jsonl exited $rc, expected a refusal"
    rm "$take/cuts.jsonl" && mkfifo "$take/cuts.jsonl"
    bounded "$onetake" replay "$take" --out "$out/r2"
    [ $rc = 2 ] || [ $rc = 1 ] || fail "$case: replay of a FIFO cuts.jsonl exited $rc, expected a refusal"
    echo "ok: $case: refused"
    ;;
*)
    fail "unknown case $case"
    ;;
esac
