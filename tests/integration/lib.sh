# shellcheck shell=bash
# Shared helpers of the shell-driven integration tests. Sourced, not run.
# Every test writes into its own fresh folder; failing runs keep their outputs there.

# The five sample cameras in docs/contract.md order (the first is on program before the first cut).
cam_names=(wide close crane drone handheld)
cam_files=(wide.mp4 close.mp4 crane.mkv drone.mkv handheld.webm)

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# fresh_dir DIR: an empty folder (leftovers of an earlier run removed).
fresh_dir() {
    rm -rf "$1"
    mkdir -p "$1"
}

# cam_args SAMPLES_DIR: --cam NAME=PATH for the five sample cameras (record options).
cam_args() {
    local i
    for i in "${!cam_names[@]}"; do
        printf -- '--cam\n%s=%s\n' "${cam_names[$i]}" "$1/${cam_files[$i]}"
    done
}

# need_samples SAMPLES_DIR: the fixture has made every clip.
need_samples() {
    local f
    for f in "${cam_files[@]}"; do
        [ -s "$1/$f" ] ||
            fail "sample clip $1/$f is missing: run the 'samples' test (fixture) or samples/make-samples.sh $1"
    done
}

# need_exe PATH: an executable that the build must have made.
need_exe() {
    [ -x "$1" ] || fail "$1 is not built"
}

# json_int FILE KEY: the integer value of "KEY" in a (flat enough) JSON file, empty when absent.
json_int() {
    grep -o "\"$2\"[[:space:]]*:[[:space:]]*-\?[0-9]\+" "$1" | head -n1 | grep -o -- '-\?[0-9]\+$' || true
}

# json_str FILE KEY: the string value of "KEY", empty when absent.
json_str() {
    grep -o "\"$2\"[[:space:]]*:[[:space:]]*\"[^\"]*\"" "$1" | head -n1 |
        sed 's/.*:[[:space:]]*"\(.*\)"/\1/' || true
}

# no_take_left DIR: a refused record must leave neither a master nor a take that claims to be closed.
no_take_left() {
    if [ -e "$1/program.mkv" ]; then
        fail "$1/program.mkv exists after a refused record"
    fi
    if [ -f "$1/take.json" ] && [ "$(json_str "$1/take.json" status)" = "closed" ]; then
        fail "$1/take.json says closed after a refused record"
    fi
    return 0
}

# expect_exit WANT GOT WHAT...: a command that must end with exactly exit WANT (onetake: 0 ok, 1 refused / failed /
# INVALID, 2 usage or unreadable input, 3 PARTIAL_AUTHENTIC). Any other code fails the test, and a sanitizer report
# (86, scripts/test.sh --sanitize) or a signal (128+N) is named as such: an error path that crashes never passes as
# the refusal it was meant to be.
expect_exit() {
    local want=$1 got=$2
    shift 2
    [ "$got" = "$want" ] && return 0
    if [ "$got" = 86 ]; then
        fail "$*: exit 86, a sanitizer report (expected $want)"
    elif [ "$got" -gt 128 ] 2>/dev/null; then
        fail "$*: killed by signal $((got - 128)) (exit $got, expected $want)"
    fi
    fail "$*: exit $got, expected $want"
}

# expect_verify RC VERDICT [CHECK] [FIELD=VALUE]...: the verify run just made ($rc, its --json report $json, named
# $case) exited RC with VERDICT, failing CHECK and, when given, the report's FIELDs (frame: a number; file, timecode,
# what: strings) equal to VALUE.
expect_verify() {
    [ "$rc" = "$1" ] || fail "$case: verify exited $rc, expected $1 (see $json)"
    [ "$(json_str "$json" verdict)" = "$2" ] || fail "$case: verdict $(json_str "$json" verdict), expected $2"
    if [ -n "${3:-}" ]; then
        [ "$(json_str "$json" check)" = "$3" ] || fail "$case: failing check $(json_str "$json" check), expected $3"
    fi
    local kv field want got
    for kv in "${@:4}"; do
        field=${kv%%=*} want=${kv#*=}
        if [ "$field" = frame ]; then got=$(json_int "$json" frame); else got=$(json_str "$json" "$field"); fi
        [ "$got" = "$want" ] || fail "$case: failing $field '$got', expected '$want'"
    done
    echo "ok: $case: $2 ${3:-} ${*:4}"
}

# new_station_key OUT: a private config folder and a station key for the test ($key, $key.pub).
new_station_key() {
    export XDG_CONFIG_HOME=$1/config
    key=$1/station.key
    "$onetake" keygen --out "$key" >/dev/null || fail "keygen failed"
}
