#!/usr/bin/env bash
# The README's picture of the multiview (docs/multiview.png), made by onetake itself: the sample take (song
# cue list, the scripted director of song.actions) recorded with the window open, in a private Xvfb when there
# is no display, and its --screenshot at frame 115 (close on program, handheld next on preview, the "Guitar
# solo" go cue pending). The window is 1024x576 so that the PNG stays under 300 KB (the test patterns compress
# badly); WINDOW=1280x720 scripts/screenshot.sh makes the full-size one.
#   scripts/screenshot.sh [BUILD_DIR] [OUT.png]     (defaults: build, docs/multiview.png)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
png=${2:-docs/multiview.png}
[ -x "$build/onetake" ] || scripts/build.sh "$build"
samples/make-samples.sh "$build/samples" >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; [ -z "${xvfb_pid:-}" ] || kill "$xvfb_pid" 2>/dev/null || true' EXIT
if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
    command -v Xvfb >/dev/null ||
        { echo "screenshot: no display and no Xvfb (scripts/install-deps.sh)" >&2; exit 1; }
    Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp 3>"$tmp/display" >/dev/null 2>&1 &
    xvfb_pid=$!
    for _ in $(seq 200); do [ -s "$tmp/display" ] && break; sleep 0.05; done
    export DISPLAY=:$(head -n1 "$tmp/display")
    export SDL_RENDER_DRIVER=software
fi
s=$build/samples
"$build/onetake" record --quiet \
    --cam wide="$s/wide.mp4" --cam close="$s/close.mp4" --cam crane="$s/crane.mkv" \
    --cam drone="$s/drone.mkv" --cam handheld="$s/handheld.webm" \
    --cues samples/cues/song.cues --actions samples/cues/song.actions --size 1280x720 --duration 5 \
    --window-size "${WINDOW:-1024x576}" \
    --screenshot "$tmp/multiview.png" --screenshot-at 115 --out "$tmp/take" >"$tmp/record.log" 2>&1 ||
    { cat "$tmp/record.log" >&2; exit 1; }
mkdir -p "$(dirname "$png")"
cp "$tmp/multiview.png" "$png"
size=$(stat -c %s "$png")
echo "screenshot: $png ($((size / 1024)) KB)"
[ "$size" -lt 307200 ] || echo "screenshot: over 300 KB: too big to commit" >&2
