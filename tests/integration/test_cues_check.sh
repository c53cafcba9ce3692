#!/bin/bash
# test_cues_check.sh ONETAKE CUES_DIR OUT_DIR
#
# `onetake cues check FILE --cams a,b`: the sample cue lists are valid (exit 0); bad lists exit non-zero with a
# `file:line:col:` message on stderr that points at the offending token.
set -euo pipefail
onetake=$1 cues=$2 out=$3
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
need_exe "$onetake"
fresh_dir "$out"
cams=wide,close,crane,drone,handheld

for f in song.cues simple.cues; do
    rc=0
    "$onetake" cues check "$cues/$f" --cams $cams >"$out/$f.log" 2>&1 || rc=$?
    cat "$out/$f.log"
    [ $rc -eq 0 ] || fail "cues check $f exited $rc"
done
grep -q "285" "$out/song.cues.log" || fail "cues check does not show song.cues' end at frame 285"

# bad NAME CONTENT REGEX: cues check must fail and stderr must match REGEX (anchored at the file name).
bad() {
    local file=$out/$1 rc=0
    printf '%b' "$2" >"$file"
    "$onetake" cues check "$file" --cams $cams >"$out/$1.out" 2>"$out/$1.err" || rc=$?
    cat "$out/$1.err"
    expect_exit 1 $rc "cues check of $1"
    grep -qE -- "^$file:$3" "$out/$1.err" || fail "cues check on $1: stderr does not start with $file:$3"
}
bad unknown.cues '00:00:00:00 cut wide\n00:00:01:00 cut crane2\n' "2:17: .*crane2"
bad order.cues '00:00:00:00 cut wide\n00:00:02:00 cut close\n00:00:01:00 cut crane\n' "3:1: "
bad timecode.cues '# comment\n\n00:00:01:30 cut close\n' "3:1: "
bad noaction.cues '00:00:01:00\n' "1:[0-9]+: "
bad label.cues '00:00:01:00 cut close "unterminated\n' "1:[0-9]+: "
# transitions (issue 21): a good list, then one bad list per rule, each at the token to fix
good=$out/trans.cues
printf '0 cut wide\n30 mix close 30\n60 dip crane 20 #FF8000\n80 wipe drone 15 circle soft 8 "c"\ngo mix wide 5\n200 end\n' >"$good"
"$onetake" cues check "$good" --cams $cams >"$out/trans.log" 2>&1 || fail "cues check rejected $good: $(cat "$out/trans.log")"
grep -qE "line 3 .* dip +crane +20 frames to #FF8000" "$out/trans.log" || fail "cues check does not show the dip"
grep -qE "line 4 .* wipe +drone +15 frames circle soft 8" "$out/trans.log" || fail "cues check does not show the wipe"
bad trans-zero.cues '0 cut wide\n30 mix close 0\n' "2:14: .*at least 1 frame"
bad trans-negative.cues '0 cut wide\n30 dip close -3\n' "2:14: .*at least 1 frame"
bad trans-overlap.cues '0 cut wide\n30 mix close 30\n50 cut crane\n' "2:14: .*past the next cue at line 3"
bad trans-past-end.cues '0 cut wide\n30 wipe close 30 left\n40 end\n' "2:15: .*past the end at line 3"
bad trans-pattern.cues '0 cut wide\n30 wipe close 10 zigzag\n' "2:18: .*unknown wipe pattern"
bad trans-colour.cues '0 cut wide\n30 dip close 10 purple\n' "2:17: .*unknown dip colour"
bad trans-hex.cues '0 cut wide\n30 dip close 10 #12345G\n' "2:17: .*unknown dip colour"
for f in zero negative overlap past-end pattern colour hex; do
    "$onetake" cues check "$out/trans-$f.cues" --cams $cams >/dev/null 2>&1 && fail "trans-$f accepted"
    rc=$?
    [ $rc -eq 1 ] || fail "cues check on trans-$f.cues exited $rc, expected 1"
done
echo "ok: cues check"
