#!/bin/bash
# test_checks.sh ONETAKE FORGE OUT_DIR CASE
#
# Every failure check of the verifier that no other test asserted (issue 19, item 5), one CASE each: a tiny take is
# recorded (two test-pattern cameras with ISOs, program audio, a cue list, 1 s at 160x90), damaged in the one way
# that must trip the check, and `onetake verify --json` must exit with the exact code, verdict, check, file, frame
# and timecode. The expected frame and timecode are computed here from what was changed (the take log's records,
# ffprobe, hashlib), never read from the verdict. Where a check only runs once the signatures pass, the change is
# made as a station-key holder could (ot-proof-forge re-signs the log). Also: a pause in production (a live take
# stopped with SIGSTOP: caught up and declared; one forged never to catch up: real-time), a take ended by SIGTERM,
# and verify's exit 2 (usage and I/O errors).
set -euo pipefail
onetake=$1 forge=$2 out=$3 case=$4
here=$(dirname "$0")
tool="python3 $here/proof_tool.py"
# shellcheck source=lib.sh
. "$here/lib.sh"
need_exe "$onetake"
need_exe "$forge"
fresh_dir "$out"
export XDG_CONFIG_HOME=$out/config
key=$out/station.key
"$onetake" keygen --out "$key" >/dev/null || fail "keygen failed"
printf '00:00:00:00 cut a\n00:00:00:15 cut b\n' >"$out/song.cues"
pids=()
cleanup() {
    local p
    for p in "${pids[@]}"; do
        kill -CONT "$p" 2>/dev/null || true
        kill "$p" 2>/dev/null || true
    done
    wait 2>/dev/null || true
}
trap cleanup EXIT

# record DIR: 30 frames at 30 fps, cameras a (on program from frame 0) and b (from frame 15), ISOs, program audio
# (FLAC, 48 kHz, stream 3 of the log), signed by $key.
record() {
    "$onetake" record --headless --cam a=test:ball --cam b=test:smpte --iso --size 160x90 --fps 30/1 --duration 1 \
        --audio-src test:sine --key "$key" --cues "$out/song.cues" --out "$1" >"$1.log" 2>&1 ||
        { cat "$1.log"; fail "onetake record $1 failed"; }
}

# verify DIR [NAME]: onetake verify --json, pinned to $key; sets $rc and $json (checked to be one JSON object).
verify() {
    json=$out/${2:-verdict}.json
    rc=0
    timeout 60 "$onetake" verify "$1" --json --quiet --pubkey "$key.pub" >"$json" 2>"$out/verify.err" || rc=$?
    [ $rc -ne 124 ] || fail "$case: verify did not finish within 60 s"
    if [ $rc -ge 128 ] || [ $rc = 86 ]; then
        cat "$out/verify.err"
        expect_exit "any verdict" $rc "$case: verify" # names the signal or the sanitizer report
    fi
    cat "$json"
    python3 -c 'import json, sys; json.load(open(sys.argv[1], encoding="utf-8"))' "$json" ||
        fail "$case: verify --json did not print one JSON object"
}

# copy NAME: a fresh copy of the recorded take in $out/NAME (printed).
copy() {
    rm -rf "${out:?}/$1"
    cp -r "$take" "$out/$1"
    echo "$out/$1"
}

# tc FRAME: the SMPTE timecode of FRAME at 30 fps (non-drop).
tc() {
    local f=$1
    printf '%02d:%02d:%02d:%02d' $((f / 108000)) $((f / 1800 % 60)) $((f / 30 % 60)) $((f % 30))
}

# what_has TEXT: the failure's message says TEXT (which branch of a check fired).
what_has() {
    grep -q -- "\"what\" : \".*$1" "$json" || fail "$case: the failure does not say '$1'"
}

take=$out/take
if [ "$case" != sigterm ] && [ "$case" != pause ] && [ "$case" != stall ]; then
    record "$take"
    log=$take/take.log
fi
case $case in
audio_gap)
    # Audio packet 10 is moved 960 samples later in its (re-signed) PKT record: a gap in the program audio at the
    # sample the track had reached, 10 packets x 960 = 9600 = program frame 6 (9600 x 30 / 48000).
    s=$($tool field "$log" GENESIS streams | python3 -c \
        'import json,sys; print([x["s"] for x in json.load(sys.stdin) if x["role"] == "program audio"][0])')
    [ "$s" = 3 ] || fail "the program audio is stream $s, expected 3"
    i=$($tool find-record "$log" PKT s=3 n=10)
    pts=$($tool field "$log" PKT pts s=3 n=10)
    prev_end=$(($($tool field "$log" PKT pts s=3 n=9) + $($tool field "$log" PKT dur s=3 n=9)))
    [ "$prev_end" = "$pts" ] || fail "the recorded audio is not continuous at packet 10"
    "$forge" "$take" --key "$key" --edit "$i" "\"pts\":$pts," "\"pts\":$((pts + 960)),"
    verify "$take"
    f=$((prev_end * 30 / 48000))
    expect_verify 1 INVALID audio-continuity file=program.mkv frame="$f" timecode="$(tc "$f")"
    what_has "starts at $((pts + 960)) where the track had reached $prev_end"
    ;;
audio_short)
    # The last audio packet is one sample shorter: the track no longer lasts as long as the 30 program frames.
    n=$(($($tool count "$log" PKT s=3) - 1))
    dur=$($tool field "$log" PKT dur s=3 n=$n)
    frames=$($tool count "$log" RAW)
    want=$((frames * 48000 / 30))
    i=$($tool find-record "$log" PKT s=3 n=$n)
    "$forge" "$take" --key "$key" --edit "$i" "\"dur\":$dur," "\"dur\":$((dur - 1)),"
    verify "$take"
    expect_verify 1 INVALID audio-continuity file=program.mkv frame="$frames" timecode="$(tc "$frames")"
    what_has "holds $((want - 1)) samples, the $frames program frames need $want"
    ;;
checkpoint_media)
    # Checkpoint 2's media line claims one program frame fewer than its records hold (re-signed).
    m=$($tool note-line "$take/checkpoints.txt" 1 'media ')
    m=${m%% *}
    [ "$m" -gt 0 ] || fail "checkpoint 2 holds no media"
    "$forge" "$take" --key "$key" --note 1 "media $m " "media $((m - 1)) "
    verify "$take"
    expect_verify 1 INVALID checkpoint-media file=checkpoints.txt frame=$((m - 1)) timecode="$(tc $((m - 1)))"
    what_has "checkpoint 2 says $((m - 1)) program frames are durable, its records hold $m program packets"
    ;;
checkpoint_take)
    # Checkpoint 3 replaced by checkpoint 3 of another take (signed, but by that take's session key).
    record "$out/take2"
    $tool copy-note "$out/take2/checkpoints.txt" "$take/checkpoints.txt" 2
    verify "$take"
    expect_verify 1 INVALID checkpoint-take file=checkpoints.txt frame=
    what_has "checkpoint 3 is for .*$($tool field "$out/take2/take.log" GENESIS take_id | tr -d '"').*not for this take"
    ;;
container)
    # iso/a.mkv's EBML magic overwritten: not a Matroska file any more. iso/b.mkv replaced by a file of this take's
    # tags holding only audio: no video stream.
    t=$(copy t1)
    printf '\0\0\0\0' | dd of="$t/iso/a.mkv" bs=1 seek=0 conv=notrunc status=none
    verify "$t"
    expect_verify 1 INVALID container file=iso/a.mkv frame=0 timecode=00:00:00:00
    what_has "cannot be demuxed"
    t=$(copy t2)
    ffmpeg -v error -y -i "$take/iso/b.mkv" -f lavfi -i sine=d=1 -map 1:a -c:a flac -map_metadata 0 \
        "$out/audio_only.mkv"
    mv "$out/audio_only.mkv" "$t/iso/b.mkv"
    verify "$t"
    expect_verify 1 INVALID container file=iso/b.mkv frame=0
    what_has "has no video stream"
    ;;
cut_order)
    # The cut to b moved from frame 15 to 16 in its (re-signed) CUT record: it no longer comes before frame 15's RAW
    # record.
    i=$($tool find-record "$log" CUT frame=15)
    "$forge" "$take" --key "$key" --edit "$i" '"frame":15' '"frame":16'
    verify "$take"
    expect_verify 1 INVALID cut-order file=take.log frame=16 timecode=00:00:00:16
    what_has "at frame 16 is out of place (next program frame 15)"
    ;;
file_missing)
    for f in iso/b.mkv program.mkv; do
        t=$(copy "t_${f//\//_}")
        rm "$t/$f"
        verify "$t"
        expect_verify 1 INVALID file-missing "file=$f" frame=0
        what_has "$f is missing"
    done
    ;;
file_size)
    # 1000 bytes appended to a closed ISO: every attested byte and packet is intact, the final size is not.
    size=$(stat -c %s "$take/iso/a.mkv")
    head -c 1000 /dev/urandom >>"$take/iso/a.mkv"
    verify "$take"
    expect_verify 1 INVALID file-size file=iso/a.mkv frame=
    what_has "iso/a.mkv is $((size + 1000)) bytes, the take log closed it at $size bytes"
    ;;
genesis_tag)
    # The log re-made by a holder of the station key (a new session, every signature valid): the files still name
    # the old GENESIS. Then, in a copy of the genuine take, one hex digit of iso/a.mkv's GENESIS tag changed.
    t=$(copy t2)
    old=$($tool genesis-hex "$log")
    "$forge" "$take" --key "$key"
    new=$($tool genesis-hex "$log")
    [ "$old" != "$new" ] || fail "the forged GENESIS hashes the same"
    verify "$take"
    expect_verify 1 INVALID genesis-tag file=program.mkv frame=0
    what_has "program.mkv names take log genesis $old, but this take log's genesis is $new"
    python3 - "$t/iso/a.mkv" "$old" <<'EOF'
import sys
path, hexid = sys.argv[1], sys.argv[2].encode()
b = bytearray(open(path, 'rb').read())
i = b.find(hexid)
assert i >= 0, 'iso/a.mkv does not carry the GENESIS hash of its log'
b[i] = ord('0') if b[i] != ord('0') else ord('1')
open(path, 'wb').write(bytes(b))
EOF
    verify "$t"
    expect_verify 1 INVALID genesis-tag file=iso/a.mkv frame=0
    ;;
log_extra)
    # After the final checkpoint: one more well-framed record, or a few stray bytes.
    t=$(copy t1)
    n=$($tool count "$t/take.log" CLOSE)
    [ "$n" = 1 ] || fail "no CLOSE record"
    $tool append-record "$t/take.log" '{"t":"ANOMALY","kind":"repeat","cam":0,"tick":29}'
    verify "$t"
    expect_verify 1 INVALID log-extra file=take.log frame=
    t=$(copy t2)
    printf 'xyz' >>"$t/take.log"
    verify "$t"
    expect_verify 1 INVALID log-extra file=take.log frame=
    ;;
log_record)
    # Records that are not what their place in the log allows, each re-signed: PKT out of sequence, an unknown
    # kind, a record that is no take log record, a FILE range that does not continue its stream, a record after
    # the CLOSE record.
    i_pkt=$($tool find-record "$log" PKT s=0 n=5)
    i_file=$($tool find-record "$log" FILE s=1)
    i_patch=$($tool find-record "$log" PATCH s=2)
    for v in "$i_pkt|\"n\":5,|\"n\":6,|out of sequence for stream 0 (expected packet 5)" \
        "$i_pkt|\"t\":\"PKT\"|\"t\":\"PKX\"|has an unknown kind" \
        "$i_pkt|\"t\":|\"u\":|is not a take log record" \
        "$i_file|\"off\":0,|\"off\":1,|does not continue stream 1" \
        "$i_patch|\"t\":\"PATCH\"|\"t\":\"CLOSE\"|record $((i_patch + 1)) follows the CLOSE record"; do
        IFS='|' read -r i o n w <<<"$v"
        t=$(copy "t$i${o//[^a-z0-9]/}")
        "$forge" "$t" --key "$key" --edit "$i" "$o" "$n"
        verify "$t"
        expect_verify 1 INVALID log-record file=take.log frame=
        what_has "$w"
    done
    ;;
log_truncated)
    # take.log cut cleanly after 170 records (no torn frame): the checkpoints signed more.
    $tool keep-records "$log" 170
    verify "$take"
    expect_verify 1 INVALID log-truncated file=take.log frame=
    what_has "take.log holds 170 records, but checkpoint"
    ;;
missed_cue)
    # The cue list gains a cue at frame 25 (back to a) that was never executed; GENESIS re-hashed and re-signed.
    old=$(sha256sum "$take/cues.txt" | cut -d' ' -f1)
    printf '00:00:00:25 cut a\n' >>"$take/cues.txt"
    new=$(sha256sum "$take/cues.txt" | cut -d' ' -f1)
    "$forge" "$take" --key "$key" --edit 0 "$old" "$new"
    verify "$take"
    expect_verify 1 INVALID missed-cue file=take.log frame=25 timecode=00:00:00:25
    what_has "cue #3 (line 3) puts camera a on program at frame 25"
    ;;
packet_extra)
    # A closed ISO holds a 31st packet after its 30 recorded ones (in the bytes its Cues held).
    $tool mkv-append-block "$take/iso/a.mkv" "$out/x.mkv" && mv "$out/x.mkv" "$take/iso/a.mkv"
    [ "$(ffprobe -v error -select_streams v -count_packets -show_entries stream=nb_read_packets -of csv=p=0 \
        "$take/iso/a.mkv")" = 31 ] || fail "ffprobe does not see 31 packets in the edited ISO"
    verify "$take"
    expect_verify 1 INVALID packet-extra file=iso/a.mkv frame=
    what_has "holds more packets than the 30 the take log recorded"
    ;;
packet_timestamp)
    # Block 10 of iso/a.mkv (FFV1: every packet a key frame, decode order = frame order) retimed by one frame
    # (+34 ms), then, in a copy, its key flag cleared: the payload is intact, its timing or flag is not.
    t=$(copy t2)
    f=$(ffprobe -v error -select_streams v -show_entries packet=pts_time -of csv=p=0 "$take/iso/a.mkv" |
        sed -n 11p | python3 -c 'import sys; print(round(float(sys.stdin.read()) * 30))')
    $tool mkv-block-time "$take/iso/a.mkv" "$out/x.mkv" 10 34 && mv "$out/x.mkv" "$take/iso/a.mkv"
    verify "$take"
    expect_verify 1 INVALID packet-timestamp file=iso/a.mkv frame="$f" timecode="$(tc "$f")"
    what_has "has pts $((f + 1)) (key 1), the log says $f (key 1)"
    $tool mkv-block-unkey "$t/iso/a.mkv" "$out/x.mkv" 10 && mv "$out/x.mkv" "$t/iso/a.mkv"
    verify "$t"
    expect_verify 1 INVALID packet-timestamp file=iso/a.mkv frame="$f" timecode="$(tc "$f")"
    what_has "has pts $f (key 0), the log says $f (key 1)"
    ;;
pts_continuity)
    # Program packet 5 (decode order) claims the pts of packet 4 in its (re-signed) PKT record: frame p4 twice.
    p4=$($tool field "$log" PKT pts s=0 n=4)
    p5=$($tool field "$log" PKT pts s=0 n=5)
    i=$($tool find-record "$log" PKT s=0 n=5)
    "$forge" "$take" --key "$key" --edit "$i" "\"pts\":$p5," "\"pts\":$p4,"
    verify "$take"
    expect_verify 1 INVALID pts-continuity file=take.log frame=$p4 timecode="$(tc "$p4")"
    what_has "program packet 5 has pts $p4"
    ;;
raw_continuity)
    # RAW record of frame 10 renamed frame 11 (frame 10 never recorded), then, in a copy, the cut at frame 15 made
    # an END: frame 15 recorded after the take ended. All re-signed.
    t=$(copy t2)
    t3=$(copy t3)
    i=$($tool find-record "$log" RAW tick=10)
    "$forge" "$take" --key "$key" --edit "$i" '"tick":10,' '"tick":11,'
    verify "$take"
    expect_verify 1 INVALID raw-continuity file=take.log frame=10 timecode=00:00:00:10
    what_has "is for program frame 11, expected frame 10"
    i=$($tool find-record "$t/take.log" CUT frame=15)
    "$forge" "$t" --key "$key" --edit "$i" '"t":"CUT"' '"t":"END"'
    verify "$t"
    expect_verify 1 INVALID raw-continuity file=take.log frame=15 timecode=00:00:00:15
    what_has "program frame 15 was recorded after the take ended at frame 15"
    # Frame 29's RAW record made an ANOMALY and the END moved to frame 29 (two edits): 30 program packets, 29 frames.
    t=$t3
    i=$($tool find-record "$t/take.log" RAW tick=29)
    e=$($tool find-record "$t/take.log" END)
    "$forge" "$t" --key "$key" --edit "$i" '"t":"RAW"' '"t":"ANOMALY","kind":"x"' --edit "$e" '"frame":30' '"frame":29'
    verify "$t"
    expect_verify 1 INVALID raw-continuity file=take.log frame=29 timecode=00:00:00:29
    what_has "30 program packets but only 29 RAW records"
    ;;
stall)
    # A live take whose recorder is stopped (SIGSTOP) for 4 s before its first checkpoint with media: when it goes
    # on it makes the frames it owes at once (repeats, declared), so its media time catches up with the clock:
    # UNCUT_WITH_DECLARED_ANOMALIES. (Was INVALID real-time, "ahead of the clock": the late first checkpoint was
    # taken as the take's reference lag.)
    live_cam="pipe:videotestsrc is-live=true pattern=ball ! video/x-raw,width=160,height=90,framerate=30/1"
    "$onetake" record --headless --size 160x90 --fps 30/1 --key "$key" --cam "a=$live_cam" --cam b=test:smpte \
        --duration 5 --out "$take" >"$out/record.log" 2>&1 &
    rec=$!
    pids+=($rec)
    for _ in $(seq 100); do
        [ -s "$take/checkpoints.txt" ] && break
        sleep 0.1
    done
    sleep 0.3
    kill -STOP $rec
    sleep 4
    kill -CONT $rec
    rc=0
    wait $rec || rc=$?
    cat "$out/record.log"
    expect_exit 0 $rc "record of a live take stopped for 4 s"
    # The stop, seen in the signed clock lines: two consecutive checkpoints more than 3.5 s apart.
    python3 - "$take/checkpoints.txt" <<'EOF'
import re, sys
clock = [int(c) for c in re.findall(r'^clock (\d+)$', open(sys.argv[1]).read(), re.M)]
gap = max(b - a for a, b in zip(clock, clock[1:]))
assert gap > 3.5e9, 'no checkpoint gap of 3.5 s: %s' % clock
print('ok: checkpoints %.3f s apart during the stop' % (gap / 1e9))
EOF
    verify "$take"
    expect_verify 0 UNCUT_WITH_DECLARED_ANOMALIES
    grep -q '"repeat: camera a' "$json" || fail "the repeats of the stop are not declared"
    [ "$(json_int "$json" end_frame)" = 150 ] || fail "end_frame $(json_int "$json" end_frame), expected 150"
    ;;
pause)
    # A pause in production that was never caught up, as a station-key holder would make it: an offline take
    # re-made to claim live pacing, its checkpoints' clock lines rewritten to an honest live schedule (0.2 s behind
    # the media: passes the real-time check), then from the checkpoint with media 60 on, 5 s later: INVALID real-time, at the
    # media of the checkpoint before it.
    "$onetake" record --headless --cam a=test:ball --cam b=test:smpte --size 160x90 --fps 30/1 --duration 4 \
        --key "$key" --out "$take" >"$take.log" 2>&1 || { cat "$take.log"; fail "record"; }
    n=$($tool note-count "$take/checkpoints.txt")
    # forge_clock DIR SHIFT_FROM_MEDIA: every clock line rewritten to 0.2 s + media time, + 5 s from that media on.
    forge_clock() {
        local args=() j c m
        for ((j = 1; j < n; j++)); do
            c=$($tool note-line "$1/checkpoints.txt" $j 'clock ')
            m=$($tool note-line "$1/checkpoints.txt" $j 'media ')
            m=${m%% *}
            args+=(--note $j "clock $c" "clock $((200000000 + m * 1000000000 / 30 + j + (m >= $2 ? 5000000000 : 0)))")
        done
        "$forge" "$1" --key "$key" --edit 0 '"live":false' '"live":true' "${args[@]}"
    }
    t=$(copy t1)
    forge_clock "$t" 1000000
    verify "$t" honest
    # The honest schedule passes the real-time check; what fails is the media files' GENESIS tag (the log was
    # re-made), which is checked after it.
    expect_verify 1 INVALID genesis-tag file=program.mkv
    grep -q '"live" : true' "$json" || fail "the forged take does not claim live production"
    grep -q 'live take: media time kept pace with the monotonic clock' "$json" ||
        fail "the honest live schedule did not pass the real-time check"
    grep -q '^media 60 ' "$take/checkpoints.txt" || fail "no checkpoint with media 60"
    before=$(grep '^media ' "$take/checkpoints.txt" | awk '$2 < 60 {m = $2} END {print m}')
    forge_clock "$take" 60
    verify "$take"
    expect_verify 1 INVALID real-time file=checkpoints.txt frame=$before timecode="$(tc "$before")"
    what_has "production paused after frame $before"
    ;;
sigterm)
    # SIGTERM mid-take (a live camera, program audio): the take closes cleanly, like SIGINT.
    live_cam="pipe:videotestsrc is-live=true pattern=ball ! video/x-raw,width=160,height=90,framerate=30/1"
    "$onetake" record --headless --size 160x90 --fps 30/1 --key "$key" --cam "a=$live_cam" --cam b=test:smpte \
        --audio-src test:sine --duration 60 --out "$take" >"$out/record.log" 2>&1 &
    rec=$!
    pids+=($rec)
    for _ in $(seq 100); do
        [ -s "$take/checkpoints.txt" ] && break
        sleep 0.1
    done
    sleep 1.5
    kill -TERM $rec
    rc=0
    wait $rec || rc=$?
    cat "$out/record.log"
    expect_exit 0 $rc "record ended by SIGTERM"
    at=$(sed -n 's/.*terminated: ending the take cleanly at frame \([0-9]*\).*/\1/p' "$out/record.log")
    [ -n "$at" ] || fail "no message about the SIGTERM"
    [ "$(json_str "$take/take.json" status)" = closed ] || fail "take.json is not closed"
    # What the master holds, counted by ffprobe and ffmpeg: the video packets and the decoded audio samples.
    vpk=$(ffprobe -v error -select_streams v -count_packets -show_entries stream=nb_read_packets -of csv=p=0 \
        "$take/program.mkv")
    samples=$(($(ffmpeg -v error -i "$take/program.mkv" -map 0:a -f s16le -ac 1 -ar 48000 - | wc -c) / 2))
    [ "$vpk" = "$at" ] || fail "the master holds $vpk frames, the take ended at frame $at"
    [ "$samples" = $((at * 1600)) ] || fail "the master holds $samples audio samples, $at frames need $((at * 1600))"
    [ "$at" -ge 30 ] || fail "only $at frames before SIGTERM"
    verify "$take"
    case $(json_str "$json" verdict) in
    UNCUT | UNCUT_WITH_DECLARED_ANOMALIES) expect_verify 0 "$(json_str "$json" verdict)" ;;
    *) fail "verdict $(json_str "$json" verdict) after SIGTERM" ;;
    esac
    [ "$(json_int "$json" end_frame)" = "$at" ] || fail "end_frame $(json_int "$json" end_frame), expected $at"
    ;;
verify_usage)
    # Exit 2: usage errors (nothing to verify) and I/O errors (a file the take needs cannot be read).
    u() {
        local what=$1
        shift
        rc=0
        "$onetake" verify "$@" >"$out/usage.out" 2>"$out/usage.err" || rc=$?
        expect_exit 2 $rc "verify $what"
        [ -s "$out/usage.err" ] || fail "verify $what: no message on stderr"
        cat "$out/usage.err"
    }
    u "without a folder"
    u "with two folders" "$take" "$take"
    u "with an unknown option" "$take" --no-such-option
    u "of a missing folder" "$out/nowhere"
    grep -q 'is not a folder' "$out/usage.err" || fail "the missing folder is not named"
    u "of a file" "$take/take.log"
    u "with a missing --pubkey file" "$take" --pubkey "$out/nowhere.pub"
    printf 'untrusted comment: x\nnot base64 at all\n' >"$out/bad.pub"
    u "with a --pubkey file that is no key" "$take" --pubkey "$out/bad.pub"
    head -c 100 /dev/urandom >"$out/random.pub"
    u "with a --pubkey file of random bytes" "$take" --pubkey "$out/random.pub"
    # I/O errors: a verdict (ERROR, exit 2) naming the file.
    for f in take.log checkpoints.txt; do
        t=$(copy "t_$f")
        rm "$t/$f"
        verify "$t"
        expect_verify 2 ERROR io "file=$f" frame=
    done
    # Not an I/O error: a take folder whose iso/ is a file is not a take's (INVALID, the file named, the reason
    # given; it was called a symbolic link).
    t=$(copy t_notdir)
    rm -r "$t/iso" && cp "$take/iso/a.mkv" "$t/iso"
    verify "$t"
    expect_verify 1 INVALID file-type file=iso/a.mkv frame=
    what_has "a folder on its path is not a folder"
    ;;
*)
    fail "unknown case $case"
    ;;
esac
echo "ok: $case"
