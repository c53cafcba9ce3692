# shellcheck shell=bash
# Helpers of the multiview tests (test_ui.sh). Sourced after lib.sh, not run.

# start_xvfb DIR: a private X server for this test, on a display Xvfb picks itself (-displayfd: no race
# between tests running in parallel), DISPLAY exported, stopped when the test exits. SDL draws with its
# software renderer there.
start_xvfb() {
    command -v Xvfb >/dev/null || fail "Xvfb is not installed: run scripts/install-deps.sh (package xvfb)"
    local fdfile=$1/xvfb.display i
    rm -f "$fdfile"
    Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp -noreset 3>"$fdfile" >"$1/xvfb.log" 2>&1 &
    xvfb_pid=$!
    trap 'kill "$xvfb_pid" 2>/dev/null || true' EXIT
    for i in $(seq 200); do
        [ -s "$fdfile" ] && break
        kill -0 "$xvfb_pid" 2>/dev/null || fail "Xvfb did not start (see $1/xvfb.log)"
        sleep 0.05
    done
    [ -s "$fdfile" ] || fail "Xvfb gave no display within 10 s (see $1/xvfb.log)"
    DISPLAY=:$(head -n1 "$fdfile")
    export DISPLAY
    unset WAYLAND_DISPLAY
    export SDL_RENDER_DRIVER=software
}

# layout_center LAYOUT_TOOL NCAMS NAME: "X Y", the centre of NAME (tileN, preview, program) in a 1280x720
# window of NCAMS cameras at 16:9, as the UI lays it out.
layout_center() {
    "$1" --print 1280 720 "$2" 16 9 | awk -v n="$3" '$1 == n { print $6, $7 }'
}

# json_field FILE PYTHON-EXPRESSION-ON-d: a value read from a JSON file (Python 3 standard library).
json_field() {
    python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}
