#!/bin/bash
# test_checker.sh CHECKER SAMPLES_DIR CUES_DIR OUT_DIR VARIANT
#
# Proves ot-check-program without the recorder: builds a "program" of song.cues + song.actions with ffmpeg alone
# (trim/concat of the sample clips at hand-written cut frames; the 25 fps handheld mapped with fps=30:round=up, which
# is docs/contract.md's "latest frame at or before the tick"; pillarboxed with pad), then checks that the checker passes
# the correct program and fails each deliberately wrong one for the right reason. One VARIANT per CTest test.
set -euo pipefail
checker=$1 samples=$2 cues=$3 out=$4 variant=$5
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
need_exe "$checker"
need_samples "$samples"
fresh_dir "$out"
cd "$out"

# song.cues + song.actions as program segments CAM:FIRST:END[:SOURCE_FIRST], written out by hand from the files
# (independent of the checker's own simulation): go at 150 fires the crane cue, manual cut to handheld at 245, end 285.
song="wide:0:20 crane:20:45 close:45:70 wide:70:90 drone:90:110 close:110:128 handheld:128:150 crane:150:165
      drone:165:190 close:190:215 handheld:215:235 wide:235:245 handheld:245:260 crane:260:275 drone:275:285"
frames=285

# build OUT.mkv "SEGMENTS" [handheld rounding] [setpts expression] -- [ffmpeg output options]
build() {
    local dst=$1 segs=$2 hround=${3:-up} pts=${4:-N/(30*TB)}
    shift 4
    [ "${1:-}" = "--" ] && shift
    local -A count=()
    local s cam a b src
    for s in $segs; do
        cam=${s%%:*}
        count[$cam]=$((${count[$cam]:-0} + 1))
    done
    local graph="" i
    for i in "${!cam_names[@]}"; do
        cam=${cam_names[$i]}
        local n=${count[$cam]:-0}
        [ "$n" -gt 0 ] || continue
        local chain="[$i:v]setpts=PTS-STARTPTS"
        # Only the handheld needs conforming: 480x360 at 25 fps -> 640x360 pillarbox at 30 fps.
        [ "$cam" = handheld ] && chain+=",fps=30:round=$hround,pad=640:360:80:0"
        chain+=",split=$n"
        local k
        for ((k = 0; k < n; k++)); do chain+="[${cam}_$k]"; done
        graph+="$chain;"
    done
    local -A used=()
    local j=0 labels=""
    for s in $segs; do
        IFS=: read -r cam a b src <<<"$s"
        src=${src:-$a}
        local k=${used[$cam]:-0}
        used[$cam]=$((k + 1))
        graph+="[${cam}_$k]trim=start_frame=$src:end_frame=$((src + b - a)),setpts=PTS-STARTPTS[s$j];"
        labels+="[s$j]"
        j=$((j + 1))
    done
    graph+="${labels}concat=n=$j:v=1:a=0,setpts=${pts}[out]"
    local inputs=()
    for i in "${!cam_files[@]}"; do inputs+=(-i "$samples/${cam_files[$i]}"); done
    ffmpeg -nostdin -v error -y "${inputs[@]}" -filter_complex "$graph" -map "[out]" -fps_mode passthrough "$@" "$dst" ||
        fail "ffmpeg could not build $dst"
}

ffv1=(-c:v ffv1 -level 3 -slices 4 -threads 2 -pix_fmt yuv420p)
# Keyframes where the recorder puts them: every 30 frames and at every cut, nowhere else.
key_expr="expr:eq(mod(n,30),0)+eq(n,20)+eq(n,45)+eq(n,70)+eq(n,90)+eq(n,110)+eq(n,128)+eq(n,150)+eq(n,165)"
key_expr+="+eq(n,190)+eq(n,215)+eq(n,235)+eq(n,245)+eq(n,260)+eq(n,275)"
h264=(-c:v libx264 -preset veryfast -crf 20 -bf 2 -pix_fmt yuv420p -threads 2
      -x264-params keyint=300:min-keyint=300:scenecut=0 -forced-idr 1 -force_key_frames "$key_expr")

cams=()
for i in "${!cam_names[@]}"; do cams+=(--cam "${cam_names[$i]}=$samples/${cam_files[$i]}"); done
check_args=(--cues "$cues/song.cues" --actions "$cues/song.actions" --size 640x360 --fps 30/1 --frames "$frames"
            "${cams[@]}")

# The executed cut log a correct recorder writes for song.cues + song.actions (docs/take-folder.md).
good_cuts() {
    local f c o
    {
        echo '{"type":"cut","frame":0,"timecode":"00:00:00:00","camera":"wide","origin":"cue"}'
        for f in 20:crane:cue 45:close:cue 70:wide:cue 90:drone:cue 110:close:cue 128:handheld:cue 150:crane:go \
                 165:drone:cue 190:close:cue 215:handheld:cue 235:wide:cue 245:handheld:manual 260:crane:cue \
                 275:drone:cue; do
            IFS=: read -r n c o <<<"$f"
            echo "{\"type\":\"cut\",\"frame\":$n,\"timecode\":\"\",\"camera\":\"$c\",\"origin\":\"$o\"}"
        done
        echo '{"type":"end","frame":285,"timecode":"00:00:09:15","camera":"drone","origin":"cue"}'
    } >"$1"
}

# expect pass|fail PHRASE... -- CHECKER ARGS: run the checker; a failure must print every phrase.
expect() {
    local want=$1
    shift
    local phrases=()
    while [ "$1" != "--" ]; do phrases+=("$1"); shift; done
    shift
    local rc=0
    "$checker" "$@" >check.log 2>&1 || rc=$?
    cat check.log
    if [ "$want" = pass ]; then
        [ $rc -eq 0 ] || fail "$variant: the checker failed a correct program (exit $rc)"
    else
        expect_exit 1 $rc "$variant: the checker on a wrong program"
        local p
        for p in "${phrases[@]}"; do
            grep -qF -- "$p" check.log || fail "$variant: the checker's report lacks \"$p\""
        done
    fi
    echo "ok: $variant"
}

case $variant in
exact_good)
    build program.mkv "$song" up "" -- "${ffv1[@]}"
    good_cuts cuts.jsonl
    expect pass -- --program program.mkv --mode exact --cuts cuts.jsonl --end-origin cue "${check_args[@]}"
    ;;
exact_wrong_frame) # one frame of close inside the drone shot
    build program.mkv "${song/drone:90:110/drone:90:100 close:100:101 drone:101:110}" up "" -- "${ffv1[@]}"
    expect fail "frame 100 (00:00:03:10)" "identical to close frame 100" -- --program program.mkv --mode exact \
        "${check_args[@]}"
    ;;
exact_late_cut) # the verse cut one frame late
    build program.mkv "${song/crane:20:45 close:45:70/crane:20:46 close:46:70}" up "" -- "${ffv1[@]}"
    expect fail "frame 45 (00:00:01:15)" "identical to crane frame 45" -- --program program.mkv --mode exact \
        "${check_args[@]}"
    ;;
exact_handheld_nearest) # 25 -> 30 fps by the nearest frame (videorate's rule) instead of the latest at or before
    build program.mkv "$song" near "" -- "${ffv1[@]}"
    expect fail "frame 128 (00:00:04:08)" "identical to handheld frame 107" -- --program program.mkv --mode exact \
        "${check_args[@]}"
    ;;
exact_dropped_frame) # frame 150 lost: everything after it one frame early, one frame short
    build program.mkv "${song/crane:150:165/crane:151:165}" up "" -- "${ffv1[@]}"
    expect fail "frame 150 (00:00:05:00)" "the program has 284 frames, expected 285" -- --program program.mkv \
        --mode exact "${check_args[@]}"
    ;;
exact_pts_gap) # right pixels, but a timestamp gap after frame 199
    build program.mkv "$song" up "if(gte(N\\,200)\\,N+1\\,N)/(30*TB)" -- "${ffv1[@]}"
    expect fail "frame 200 (00:00:06:20): pts" "frames are missing before it" -- --program program.mkv --mode exact \
        "${check_args[@]}"
    ;;
cuts_wrong) # right program, but the cut log has the manual cut a frame late and no end
    build program.mkv "$song" up "" -- "${ffv1[@]}"
    good_cuts cuts.jsonl
    sed -i -e 's/"frame":245,/"frame":246,/' -e '/"type":"end"/d' cuts.jsonl
    expect fail "cut at frame 246 to handheld (manual), the plan has frame 245" "0 end lines" -- \
        --program program.mkv --mode exact --cuts cuts.jsonl "${check_args[@]}"
    ;;
psnr_good)
    build program.mkv "$song" up "" -- "${h264[@]}"
    good_cuts cuts.jsonl
    expect pass -- --program program.mkv --mode psnr --keyframes 30 --cuts cuts.jsonl "${check_args[@]}"
    ;;
psnr_late_cut)
    build program.mkv "${song/crane:20:45 close:45:70/crane:20:46 close:46:70}" up "" -- "${h264[@]}"
    expect fail "frame 45 (00:00:01:15): expected close frame 45: crane looks more like it" -- \
        --program program.mkv --mode psnr "${check_args[@]}"
    ;;
psnr_one_frame_late) # the drone shot shows each drone frame one tick late: right camera, wrong time
    build program.mkv "${song/drone:90:110/drone:90:110:89}" up "" -- "${h264[@]}"
    expect fail "frame 90 (00:00:03:00): expected drone frame 90: drone frame 89" \
        "matches better than the tick's frame 90" -- --program program.mkv --mode psnr "${check_args[@]}"
    ;;
keyframes_missing) # x264's own GOP (keyint 250, scene cuts) instead of GOP 30 + cuts
    build program.mkv "$song" up "" -- -c:v libx264 -preset veryfast -crf 20 -bf 2 -pix_fmt yuv420p -threads 2
    expect fail "frame 30 (00:00:01:00) is not a keyframe but it starts a GOP" -- --program program.mkv --mode psnr \
        --keyframes 30 "${check_args[@]}"
    ;;
*)
    fail "unknown variant $variant"
    ;;
esac
