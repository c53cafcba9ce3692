/* onetake replay DIR --out DIR2: re-make the program of the take in DIR from its ISOs and its executed cuts.
 *
 * The switcher core runs again (SwSwitcher + SwRunner), with capture reading DIR/iso/NAME.mkv as the cameras
 * and no cue list: every executed cut of DIR/cuts.jsonl, whatever its origin (cue, go, manual), is staged as
 * a manual cut just before its frame, and the end at its frame. Because ISO frame k of every camera is take
 * frame k (a copy ISO: the camera's own frames at their take times, which the runner maps to the same ticks;
 * a live camera's copy ISO starts at take time start_ms, from take.json, given to capture as its origin),
 * tick k of the replay sees exactly the frames tick k of the take saw: with lossless or copy ISOs every
 * program frame is the original's, and with the same deterministic encoder settings every packet too (FFV1;
 * H.264 with the same preset and thread count). The new program goes to DIR2, a take folder of its own
 * (take.json says "replay_of").
 *
 * Audio: the program audio tracks that came from cameras (--audio NAME, --afv, --audio-track NAME=cam:CAMERA) are
 * re-made from the ISOs' audio, which is the cameras' audio as the take conformed it: the same samples through
 * the same FLAC encoder give the same packets, and the replay says whether they are (mux_audio_compare). A take
 * with a track from a source of its own (--audio-src, --audio-track NAME=SOURCE) has that audio nowhere in its
 * folder: the replay then makes no audio, and says so.
 *
 * Threads: as in record (this thread is the program thread; capture and mux have their own). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "app.h"
#include "archive.h"
#include "capture.h"
#include "mux.h"
#include "ot_common.h"
#include "sw_runner.h"
#include "sw_switcher.h"
#include "take_post.h"
#include "take_setup.h"

#define REPLAY_START_TIMEOUT_MS 15000

typedef struct Replay {
    char *src_dir; /* the take's files: DIR, or DIR/data for a bag */
    MuxTakeInfo *info;
    MuxCutLog *cuts;
    int next_event; /* next event of cuts to stage */
    int64_t done_at; /* the early completion of the last staged cut's transition still to stage, 0: none */
    MuxCodec codec;
    int gop;
    char **iso_paths; /* ncams + NULL */
    MuxSubTracks *subtracks; /* the master's subtitle lines, re-made as they were */
    SwSubs *subs;
    AppTake t; /* the new take: folder, cameras (the ISOs), program, switcher and runner */
    int quiet;
    int tty;
    gint64 last_progress_us;
    /* Audio (plan_audio): the tracks' cameras (-1: afv), whether each ISO has audio, the stems for the output. */
    int naudio;
    int audio_cam[SW_AUDIO_MAX_TRACKS];
    int iso_has_audio[SW_MAX_CAMS];
    char *roles[SW_AUDIO_MAX_TRACKS];
} Replay;

static void free_replay(Replay *r)
{
    for (int i = 0; i < SW_AUDIO_MAX_TRACKS; i++)
        g_clear_pointer(&r->roles[i], g_free);
    app_take_free(&r->t);
    sw_subs_free(&r->subs);
    mux_sub_tracks_free(&r->subtracks);
    mux_cut_log_free(&r->cuts);
    g_clear_pointer(&r->iso_paths, g_strfreev);
    mux_take_info_free(&r->info);
    g_clear_pointer(&r->src_dir, g_free);
}

/* The executed events at this frame, staged in log order, so that they execute at it again. */
static void before_tick(void *opaque, int64_t tick)
{
    Replay *r = opaque;

    if (r->done_at && r->done_at <= tick) {
        int ret = sw_switcher_complete(r->t.sw); /* the director's second T, at the frame it landed on */
        if (ret < 0)
            ot_log(OT_LOG_WARNING, "replay", "the early completion at frame %" PRId64 " could not be staged: %s",
                   r->done_at, ot_strerror(ret));
        r->done_at = 0;
    }
    for (; r->next_event < r->cuts->nevents; r->next_event++) {
        const MuxCutEvent *ev = &r->cuts->events[r->next_event];
        int ret;
        if (ev->frame > tick)
            break;
        r->done_at = ev->done_at;
        ret = ev->end ? sw_switcher_end(r->t.sw) : sw_switcher_transition(r->t.sw, ev->cam, &ev->trans);
        if (ret == 0 && !ev->end && ev->done_at == ev->frame) {
            ret = sw_switcher_complete(r->t.sw); /* completed on its first frame: in the same tick, after it */
            r->done_at = 0;
        }
        if (ret < 0)
            ot_log(OT_LOG_WARNING, "replay",
                   "the %s at frame %" PRId64 " (line %d of %s) could not be staged: %s",
                   ev->end ? "end" : "cut", ev->frame, r->next_event + 1, MUX_TAKE_CUTS_FILE,
                   ot_strerror(ret));
    }
}

static void progress(void *opaque, const SwRunnerStats *st)
{
    Replay *r = opaque;
    gint64 now = g_get_monotonic_time();
    if (r->quiet || now - r->last_progress_us < G_USEC_PER_SEC)
        return;
    r->last_progress_us = now;
    fprintf(stderr, "%sreplay: frame %" PRId64 " of %" PRId64 "%s", r->tty ? "\r" : "", st->ticks,
            r->info->frames, r->tty ? "\033[K" : "\n");
}

/* Everything checked before DIR2 is created. */
static int prepare(Replay *r, const char *dir, const char *codec)
{
    char *cuts_path;

    r->src_dir = archive_bag_payload_dir(dir);
    r->info = mux_take_info_load(r->src_dir);
    if (!r->info)
        return -EINVAL;
    const MuxTakeInfo *in = r->info;
    if (!in->has_iso) {
        ot_log(OT_LOG_ERROR, "replay",
               "the take in \"%s\" has no ISOs: replay re-makes the program from them; "
               "record with --iso",
               dir);
        return -ENOENT;
    }
    r->iso_paths = g_new0(char *, (gsize)in->ncams + 1);
    for (int i = 0; i < in->ncams; i++) {
        char *file = g_strdup_printf("%s/%s.mkv", MUX_TAKE_ISO_DIR, in->cams[i]);
        r->iso_paths[i] = g_build_filename(r->src_dir, file, NULL);
        g_free(file);
        if (!g_file_test(r->iso_paths[i], G_FILE_TEST_IS_REGULAR)) {
            ot_log(OT_LOG_ERROR, "replay", "the ISO of camera \"%s\" is missing: %s", in->cams[i],
                   r->iso_paths[i]);
            return -ENOENT;
        }
        if (in->iso_dropped[i] > 0)
            ot_log(OT_LOG_WARNING, "replay",
                   "the ISO of camera \"%s\" dropped %" PRId64 " frames while recording: "
                   "where it is on program at those frames the replay shows the frame before the gap",
                   in->cams[i], in->iso_dropped[i]);
    }
    if (in->iso_codec == MUX_CODEC_H264)
        ot_log(OT_LOG_WARNING, "replay",
               "the ISOs are %s (lossy): the replay cuts at the same frames but its "
               "pixels are the ISOs', not the cameras'",
               mux_codec_name(in->iso_codec));
    if (strcmp(in->status, "closed"))
        ot_log(OT_LOG_WARNING, "replay", "the take is \"%s\", not closed: replaying what it recorded",
               in->status);

    cuts_path = g_build_filename(r->src_dir, MUX_TAKE_CUTS_FILE, NULL);
    r->cuts = mux_cut_log_load(cuts_path, (const char *const *)in->cams, in->ncams);
    g_free(cuts_path);
    if (!r->cuts)
        return -EINVAL;

    r->codec = in->codec;
    if (codec && mux_codec_from_name(codec, &r->codec) < 0) {
        ot_log(OT_LOG_ERROR, "replay", "--codec %s: give h264 or ffv1", codec);
        return -EINVAL;
    }
    r->gop = in->gop > 0 ? in->gop : sw_rate_nominal(in->rate);
    return 0;
}

/* Which program audio tracks can be re-made: each must come from a camera (or afv), whose ISO has its audio. */
static void plan_audio(Replay *r)
{
    const MuxTakeInfo *in = r->info;
    char codec[24];
    r->naudio = 0;
    for (int i = 0; i < in->ncams; i++)
        r->iso_has_audio[i] = mux_iso_copy_probe_audio(r->iso_paths[i], codec, sizeof(codec)) > 0;
    for (int t = 0; t < in->naudio; t++) {
        const char *from = in->audio[t].from ? in->audio[t].from : "";
        r->audio_cam[t] = -2;
        if (!strcmp(from, "afv"))
            r->audio_cam[t] = -1;
        for (int i = 0; i < in->ncams; i++)
            if (g_str_has_prefix(from, "camera ") && !strcmp(from + 7, in->cams[i]) && r->iso_has_audio[i])
                r->audio_cam[t] = i;
        if (r->audio_cam[t] == -2 || (r->audio_cam[t] == -1 && t > 0)) {
            ot_log(OT_LOG_WARNING, "replay",
                   "program audio track %d comes from %s, which is not in the ISOs: the replay makes no "
                   "program audio (only tracks from the cameras can be re-made)",
                   t + 1, from);
            return;
        }
    }
    r->naudio = in->naudio;
}

/* Camera i (an ISO): its audio, when a track takes it (afv: every ISO that has audio). */
static int add_camera(void *opaque, int i, CapCamera *cam)
{
    Replay *r = opaque;
    /* A live copy ISO's time 0 is not the take's: take.json's start_ms. */
    int ret = cap_camera_set_origin(cam, r->info->iso_start_ms[i] * 1000000);
    if (ret < 0)
        return ret;
    for (int t = 0; t < r->naudio; t++)
        if (r->audio_cam[t] == i || (r->audio_cam[t] == -1 && r->iso_has_audio[i]))
            return cap_camera_enable_audio(cam, r->info->audio[t].channels);
    return 0;
}

/* The runner's tracks and the output's stems, as the take had them. */
static void configure_audio(Replay *r, SwRunnerConfig *rc)
{
    const MuxTakeInfo *in = r->info;
    AppTake *t = &r->t;
    if (!r->naudio)
        return;
    rc->audio = r->audio_cam[0] == -1 ? SW_AUDIO_FOLLOW_VIDEO : SW_AUDIO_CAMERA;
    rc->audio_cam = r->audio_cam[0] >= 0 ? r->audio_cam[0] : 0;
    rc->audio_channels = in->audio[0].channels;
    t->stems.first_title = in->audio[0].title;
    for (int k = 1; k < r->naudio; k++) {
        rc->stems[k - 1] = cap_camera_audio_source(t->cams[r->audio_cam[k]]);
        rc->stem_names[k - 1] = in->audio[k].title;
        r->roles[k] = g_strdup_printf("program audio %s", in->audio[k].title ? in->audio[k].title : "?");
        t->stems.channels[k - 1] = in->audio[k].channels;
        t->stems.titles[k - 1] = in->audio[k].title;
        t->stems.roles[k - 1] = r->roles[k];
        rc->nstems = t->stems.n = k;
    }
}

/* The replay's audio packets against the take's: the summary says whether they are the same. */
static int compare_audio(const Replay *r, const char *out_dir)
{
    char *a = g_build_filename(r->src_dir, MUX_TAKE_PROGRAM_FILE, NULL);
    char *b = g_build_filename(out_dir, MUX_TAKE_PROGRAM_FILE, NULL);
    char diff[256];
    int ntracks = 0;
    int64_t npackets = 0;
    int ret = mux_audio_compare(a, b, &ntracks, &npackets, diff, sizeof(diff));
    if (ret == 0)
        printf("  audio: %d track%s re-made from the ISOs, %" PRId64 " packets bit-identical to the take's\n",
               ntracks, ntracks == 1 ? "" : "s", npackets);
    else if (ret > 0)
        ot_log(OT_LOG_ERROR, "replay", "the replay's audio DIFFERS from the take's: %s", diff);
    g_free(a);
    g_free(b);
    return ret != 0;
}

/* The replay's executed cuts against the original's: the same cameras from the same frames, the same transitions
 * completed early at the same frames (origins differ: every replayed cut is manual). 0 when they match, else 1
 * after saying where they part. */
static int compare_cuts(const Replay *r, const char *out_dir)
{
    char *path = g_build_filename(out_dir, MUX_TAKE_CUTS_FILE, NULL);
    MuxCutLog *got = mux_cut_log_load(path, (const char *const *)r->info->cams, r->info->ncams);
    int differ = 0;

    g_free(path);
    if (!got)
        return 1;
    /* A take that never ended (the recorder died) has no end to compare: the replay ends where the ISOs do. */
    int ngot = !r->cuts->ended && got->ended ? got->nevents - 1 : got->nevents;
    int n = ngot > r->cuts->nevents ? ngot : r->cuts->nevents;
    for (int i = 0; i < n && !differ; i++) {
        const MuxCutEvent *a = i < r->cuts->nevents ? &r->cuts->events[i] : NULL;
        const MuxCutEvent *b = i < ngot ? &got->events[i] : NULL;
        if (!a || !b || a->end != b->end || a->frame != b->frame || a->cam != b->cam || a->done_at != b->done_at) {
            ot_log(OT_LOG_ERROR, "replay", "executed event %d differs: the take has %s, the replay %s", i + 1,
                   a ? (a->end ? "an end" : r->info->cams[a->cam]) : "nothing",
                   b ? (b->end ? "an end" : r->info->cams[b->cam]) : "nothing");
            differ = 1;
        }
    }
    mux_cut_log_free(&got);
    return differ;
}

/* The subtitle tracks of the take's master, to be made again line for line (the director's go lines included):
 * their languages in track order, their lines as timed lines of the replay's switcher. A master that cannot
 * be read has nothing to replay of them: said, and the replay goes on. 0 or -ENOMEM. */
static int load_subtitles(Replay *r)
{
    char *master = g_build_filename(r->src_dir, MUX_TAKE_PROGRAM_FILE, NULL);
    r->subtracks = mux_sub_tracks_load(master, r->info->rate);
    g_free(master);
    if (!r->subtracks) {
        ot_log(OT_LOG_WARNING, "replay", "the master's subtitle tracks cannot be read: the replay has none");
        return 0;
    }
    MuxSubTracks *m = r->subtracks;
    if (m->nlangs == 0)
        return 0;
    if (!(r->subs = sw_subs_alloc(NULL, r->info->rate)))
        return -ENOMEM;
    int64_t *start = g_new(int64_t, m->nlines + 1), *end = g_new(int64_t, m->nlines + 1);
    const char **text = g_new(const char *, m->nlines + 1);
    int ret = 0;
    for (int l = 0; l < m->nlangs && !ret; l++) {
        int n = 0;
        for (int i = 0; i < m->nlines; i++)
            if (m->lines[i].lang == l) {
                start[n] = m->lines[i].start;
                end[n] = m->lines[i].end;
                text[n++] = m->lines[i].text;
            }
        ret = sw_subs_add_lines(r->subs, m->langs[l], start, end, text, n);
        if (ret < 0)
            ot_log(OT_LOG_ERROR, "replay", "the master's subtitles %s cannot be replayed: %s", m->langs[l],
                   ret == -EINVAL ? "lines out of order or overlapping" : ot_strerror(ret));
    }
    g_free(start);
    g_free(end);
    g_free(text);
    r->t.sub_langs = (const char *const *)m->langs;
    r->t.sub_nlangs = m->nlangs;
    return ret;
}

static int run_replay(Replay *r, const char *out_dir, const char *command_line)
{
    AppTake *t = &r->t;
    const MuxTakeInfo *in = r->info;
    /* One thread per camera decoder: the ISOs decode in parallel with each other (see record). */
    CapFormat fmt = {.width = in->width, .height = in->height, .rate = in->rate,
                     .decoder_threads = in->ncams > 1 ? 1 : 0};
    char start_tc[32];
    int first_cam = r->cuts->events[0].end ? 0 : r->cuts->events[0].cam;
    int ret;

    MuxTakeConfig tc = {
        .dir = out_dir,
        .cams = (const char *const *)in->cams,
        .sources = (const char *const *)r->iso_paths, /* the ISOs are the cameras */
        .ncams = in->ncams,
        .rate = in->rate,
        .width = in->width,
        .height = in->height,
        .codec = r->codec,
        .command_line = command_line,
        .gop = r->gop,
        .replay_of = in->take_id,
        .preset = r->codec == MUX_CODEC_H264 ? in->preset : NULL,
        .threads = in->threads, /* the same packets need the same encoder threads */
        .audio_bits = in->audio_bits,
    };
    plan_audio(r);
    if ((ret = app_take_create(t, &tc)) < 0)
        return ret;
    if ((ret = app_take_start_cameras(t, &fmt, REPLAY_START_TIMEOUT_MS, add_camera, r)) < 0)
        goto abort;
    SwRunnerConfig rc = {
        .rate = in->rate,
        .max_frames = -1,
        .progress = progress,
        .progress_opaque = r,
        .before_tick = before_tick,
        .before_tick_opaque = r,
    };
    configure_audio(r, &rc);
    if ((ret = load_subtitles(r)) < 0)
        goto abort;
    sw_timecode_format(in->rate, in->drop_frame, 0, start_tc, sizeof(start_tc));
    char *title = g_strdup_printf("onetake program (replay of take %s)", in->take_id);
    ret = app_take_open_program(t, title, start_tc, r->naudio ? in->audio[0].channels : 0, NULL);
    g_free(title);
    if (ret < 0)
        goto abort;

    /* The first event names the camera on program at frame 0; the rest are staged at their frames. */
    t->sw = sw_switcher_alloc(NULL, in->ncams, first_cam);
    if (r->subs)
        sw_switcher_set_subs(t->sw, r->subs);
    r->next_event = r->cuts->events[0].end ? 0 : 1;
    for (int i = 0; i < r->cuts->nevents; i++)
        rc.transitions |= r->cuts->events[i].trans.kind != SW_TRANS_CUT; /* the mixer's pool before tick 0 */
    if ((ret = app_take_start_runner(t, &rc)) < 0)
        goto abort;

    gint64 start_us = g_get_monotonic_time();
    r->last_progress_us = start_us;
    int run_ret = sw_runner_run(t->runner);
    AppTakeEnd end;
    app_take_finish(t, run_ret, start_us, &end);
    const SwRunnerStats *st = &end.stats;

    /* The replay's cameras are the original ISOs: its cut lists point at them. */
    char **media = g_new0(char *, (gsize)in->ncams + 1);
    for (int i = 0; i < in->ncams; i++)
        media[i] = g_canonicalize_filename(r->iso_paths[i], NULL);
    int cut_ret = app_write_cutlists(mux_take_dir(t->take), mux_take_id(t->take), in->rate, in->cams, media,
                                     in->ncams, st->ticks);
    app_media_free(media, in->ncams);
    MuxAudioTrackInfo ainfo[SW_AUDIO_MAX_TRACKS];
    for (int k = 0; k < r->naudio; k++)
        ainfo[k] = (MuxAudioTrackInfo){.title = in->audio[k].title, .from = in->audio[k].from,
                                       .channels = in->audio[k].channels};
    MuxTakeSummary sum = {.audio_from = r->naudio ? in->audio[0].from : NULL,
                          .audio_tracks = r->naudio ? ainfo : NULL, .naudio_tracks = r->naudio};
    app_take_close(t, &end, &sum);
    ret = end.error;
    if (r->tty && !r->quiet)
        fputc('\n', stderr);
    if (ret < 0) {
        ot_log(OT_LOG_ERROR, "replay", "the replay failed (%s): what was written so far is in %s",
               ot_strerror(ret), mux_take_dir(t->take));
        return ret;
    }
    int differ = compare_cuts(r, mux_take_dir(t->take));
    if (in->frames >= 0 && st->ticks != in->frames) {
        ot_log(OT_LOG_ERROR, "replay", "the replay has %" PRId64 " frames, the take %" PRId64 ": %s",
               st->ticks, in->frames,
               st->ticks < in->frames ? "an ISO is shorter than the take" : "the cut log has no end");
        differ = 1;
    }
    printf("replay of take %s: %" PRId64 " frames, %" PRId64 " cuts, in %.1f s: %s\n", in->take_id, st->ticks,
           st->cuts, end.wall_seconds, differ ? "DIFFERS from the take" : "same frames and cuts as the take");
    printf("  program: %s/%s (%s, %.1f MB, %" PRId64 " packets), take %s\n", mux_take_dir(t->take),
           MUX_TAKE_PROGRAM_FILE, mux_codec_name(r->codec), (double)end.program.bytes / 1e6,
           end.program.packets, mux_take_id(t->take));
    if (r->naudio)
        differ |= compare_audio(r, mux_take_dir(t->take));
    if (differ)
        return OT_ERROR_TAKE;
    return cut_ret;

abort:
    app_take_abort(t, NULL);
    return ret;
}

int cmd_replay(int argc, char **argv)
{
    char *out = NULL, *codec = NULL;
    gboolean quiet = FALSE, verbose = FALSE;
    GOptionEntry entries[] = {
        {"out", 'o', 0, G_OPTION_ARG_FILENAME, &out, "The new take folder (new or empty)", "DIR2"},
        {"codec", 0, 0, G_OPTION_ARG_STRING, &codec, "Program codec: h264 or ffv1 (default: the take's)",
         "CODEC"},
        {"quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "No progress line", NULL},
        {"verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, "More log", NULL},
        {NULL, 0, 0, 0, NULL, NULL, NULL}};
    GOptionContext *ctx = g_option_context_new("DIR - re-make the program of a take from its ISOs and cuts");
    char *command_line = g_strjoinv(" ", argv);
    GError *err = NULL;
    Replay r = {0};
    int ret;

    g_option_context_add_main_entries(ctx, entries, NULL);
    if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
        fprintf(stderr, "onetake replay: %s (see onetake replay --help)\n", err->message);
        ret = APP_EXIT_USAGE;
        goto out;
    }
    if (argc != 2 || !out) {
        fprintf(stderr,
                "onetake replay: give the take folder and a new folder: onetake replay DIR --out DIR2\n");
        ret = APP_EXIT_USAGE;
        goto out;
    }
    if (verbose)
        ot_log_set_level(OT_LOG_VERBOSE);
    r.quiet = quiet;
    r.tty = isatty(STDERR_FILENO);
    if (prepare(&r, argv[1], codec) < 0) {
        ret = APP_EXIT_USAGE;
        goto out;
    }
    if (cap_init(NULL, NULL) < 0) {
        ret = APP_EXIT_FAIL;
        goto out;
    }
    mux_init_logging();
    ret = run_replay(&r, out, command_line) < 0 ? APP_EXIT_FAIL : APP_EXIT_OK;
    free_replay(&r);
    cap_deinit();
out:
    free_replay(&r);
    g_free(out);
    g_free(codec);
    g_free(command_line);
    g_clear_error(&err);
    g_option_context_free(ctx);
    return ret;
}
