/* onetake record: wires capture -> runner (switcher) -> mux for one take.
 *
 * Threads: the take runs on a program thread of its own, "ot-program" (sw_runner_run, record_ui.c), while this
 * (main) thread waits for it or runs the multiview window; each camera has GStreamer streaming threads; the mux
 * writer and the cut log have their own threads. Signals only set a flag that the program thread reads
 * before every tick. */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>

#include "app.h"
#include "app_proof.h"
#include "capture.h"
#include "mux.h"
#include "ot_common.h"
#include "record_live.h"
#include "record_ltc.h"
#include "record_stream.h"
#include "record_ui.h"
#include "sw_cues.h"
#include "sw_runner.h"
#include "control.h"
#include "sw_switcher.h"
#include "take_post.h"
#include "take_setup.h"

#define RECORD_START_TIMEOUT_MS 15000

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
    stop_signal = sig;
}

typedef struct RecordOptions {
    char **cams;
    char *out;
    char *cues;
    char *actions;
    char *size;
    char *fps;
    char *codec;
    char *preset;
    char *iso_preset;
    char *decode;
    char *duration;
    gboolean headless;
    gboolean iso;
    char *iso_codec;
    char *audio;
    char *key;
    int gop;
    gboolean quiet;
    gboolean verbose;
    gboolean no_proof;
    char **control;
    char *control_allow;
    char **tally;
    int tally_index_base;
    char *auto_transition;
    char **lyrics;
} RecordOptions;

typedef struct Record {
    SwRate rate;
    int width, height;
    MuxCodec codec;
    int64_t max_frames;
    int ncams;
    char **names;   /* ncams + NULL */
    char **sources; /* ncams + NULL */
    SwCueList *cues;
    SwSubs *subs; /* the subtitle schedule: the cue list's sub cues and --lyrics; NULL: no subtitles */
    const char *sub_langs[SW_SUB_MAX_LANGS];
    SwActionList *actions;
    int next_action;
    int cues_later;       /* --cue-clock ltc: the cue list is read after the LTC */
    const char *cues_run; /* the cue list the take runs (o->cues, or it on program frames) */
    AppTake t;      /* the take folder, cameras, program, ISOs (with --iso), switcher and runner */
    AppProof proof; /* station key and take log */
    MuxCodec iso_codec;
    int iso_auto;  /* --iso-codec auto: copy where every camera can, else ffv1 */
    int live_copy; /* copy ISOs: the live cameras' compressed streams are tapped */
    int refused;   /* the take was refused before the roll for a usage reason (exit 2) */
    gboolean quiet;
    gboolean tty;
    gint64 start_us;
    gint64 last_progress_us;
    RecordUi ui; /* the multiview, the roll (countdown), real-time pacing: record_ui.c */
    RecordLive live; /* live cameras (clock, latency, losses) and the program audio: record_live.c */
    RecordLtc ltc;   /* --ltc, --cue-clock ltc: record_ltc.c */
    RecordStream stream; /* --stream: record_stream.c */
    SwSink writer_sink; /* the program writer's, for what before_tick declares (LTC) */
    CtlEndpoint control[CTL_MAX_ENDPOINTS]; /* --control */
    int ncontrol;
    CtlCidr allow[CTL_MAX_CIDRS];
    int nallow;
    CtlServer *ctl; /* the ot-control thread, during the take */
    CtlEndpoint tally[CTL_MAX_ENDPOINTS]; /* --tally */
    int ntally;
    int tally_index_base;
    CtlTally *tsl; /* the ot-tally thread, during the take */
    SwTransSpec auto_trans; /* --auto-transition: what T and the control protocol's auto run */
} Record;

static void free_options(RecordOptions *o)
{
    g_strfreev(o->cams);
    g_free(o->out);
    g_free(o->cues);
    g_free(o->actions);
    g_free(o->size);
    g_free(o->fps);
    g_free(o->codec);
    g_free(o->preset);
    g_free(o->iso_preset);
    g_free(o->decode);
    g_free(o->duration);
    g_free(o->iso_codec);
    g_free(o->audio);
    g_free(o->key);
    g_strfreev(o->control);
    g_free(o->control_allow);
    g_strfreev(o->tally);
    g_free(o->auto_transition);
    g_strfreev(o->lyrics);
}

static void free_record(Record *r)
{
    record_stream_free(&r->stream);
    ctl_server_free(&r->ctl);
    ctl_tally_free(&r->tsl);
    record_ui_free(&r->ui);
    record_live_free(&r->live);
    record_ltc_free(&r->ltc);
    app_proof_free(&r->proof);
    app_take_free(&r->t);
    sw_subs_free(&r->subs);
    sw_actions_free(&r->actions);
    sw_cues_free(&r->cues);
    g_clear_pointer(&r->names, g_strfreev);
    g_clear_pointer(&r->sources, g_strfreev);
}

/* h264 ISOs take --iso-preset, else the program's --preset (one knob for a take that must keep up live). */
static const char *iso_preset(const RecordOptions *o)
{
    return o->iso_preset ? o->iso_preset : o->preset;
}

#define RECORD_AUTO_TRANSITION "mix:15" /* --auto-transition's default */

/* Everything that can be checked before anything is opened or created: nothing is touched on failure. */
/* --control (tally 0) or --tally (tally 1) addresses into eps[CTL_MAX_ENDPOINTS]; 0 or -EINVAL (said). */
static int parse_endpoints(char **urls, int tally, CtlEndpoint *eps, int *n)
{
    for (int i = 0; urls && urls[i]; i++) {
        if (i >= CTL_MAX_ENDPOINTS) {
            ot_log(OT_LOG_ERROR, "record", "%s: at most %d addresses", tally ? "--tally" : "--control",
                   CTL_MAX_ENDPOINTS);
            return -EINVAL;
        }
        if (ctl_endpoint_parse(urls[i], tally, &eps[i]) < 0)
            return -EINVAL;
        *n = i + 1;
    }
    return 0;
}

/* The subtitle schedule: the cue list's sub cues, then each --lyrics [LANG=]FILE. 0, -EINVAL (a bad option or an
 * unreadable file: usage) or OT_ERROR_CUES (a bad lyrics file, said with its file:line:col). */
static int load_subs(const RecordOptions *o, Record *r)
{
    SwCueError cerr;
    char msg[768];
    if (!sw_cues_nlangs(r->cues) && !o->lyrics)
        return 0;
    if (!(r->subs = sw_subs_alloc(r->cues, r->rate)))
        return -ENOMEM;
    for (int i = 0; o->lyrics && o->lyrics[i]; i++) {
        const char *lang, *path;
        size_t llen;
        if (sw_subs_split_arg(o->lyrics[i], &lang, &llen, &path) < 0) {
            ot_log(OT_LOG_ERROR, "record", "--lyrics %s: give [LANG=]FILE, LANG a language such as en, ko or "
                   "pt-BR", o->lyrics[i]);
            return -EINVAL;
        }
        char *code = lang ? g_strndup(lang, llen) : NULL;
        int ret = sw_subs_load_lyrics(r->subs, code, path, SW_LYRICS_AUTO, &cerr);
        g_free(code);
        if (ret < 0) {
            fprintf(stderr, "%s\n", sw_cue_error_format(&cerr, path, msg, sizeof(msg)));
            return cerr.code == SW_CUE_ERR_IO ? -EINVAL : OT_ERROR_CUES;
        }
    }
    for (int i = 0; i < sw_subs_nlangs(r->subs); i++)
        r->sub_langs[i] = sw_subs_lang(r->subs, i);
    return 0;
}

static int check_options(const RecordOptions *o, Record *r)
{
    if (o->iso_codec && !o->iso) {
        ot_log(OT_LOG_ERROR, "record", "--iso-codec %s without --iso: add --iso to record the ISOs",
               o->iso_codec);
        return -EINVAL;
    }
    if (o->iso && app_iso_codec(o->iso_codec, &r->iso_codec, &r->iso_auto) < 0)
        return -EINVAL;
    if (o->iso_preset && (!o->iso || r->iso_codec != MUX_CODEC_H264)) {
        ot_log(OT_LOG_ERROR, "record", "--iso-preset %s: only h264 ISOs have an x264 preset: add --iso "
               "--iso-codec h264", o->iso_preset);
        return -EINVAL;
    }
    if (app_x264_preset_check("--preset", o->preset) < 0 || app_x264_preset_check("--iso-preset", o->iso_preset) < 0)
        return -EINVAL;
    if (!o->cams || !o->cams[0]) {
        ot_log(OT_LOG_ERROR, "record", "no camera: give at least one --cam NAME=SOURCE, e.g. --cam wide=test:smpte");
        return -EINVAL;
    }
    if (!o->out || !*o->out) {
        ot_log(OT_LOG_ERROR, "record", "no take folder: give --out DIR (a new or empty folder)");
        return -EINVAL;
    }
    r->ncams = (int)g_strv_length(o->cams);
    if (r->ncams > SW_MAX_CAMS) {
        ot_log(OT_LOG_ERROR, "record", "%d cameras: onetake takes at most %d", r->ncams, SW_MAX_CAMS);
        return -EINVAL;
    }
    r->names = g_new0(char *, r->ncams + 1);
    r->sources = g_new0(char *, r->ncams + 1);
    for (int i = 0; i < r->ncams; i++) {
        const char *eq = strchr(o->cams[i], '=');
        if (!eq) {
            ot_log(OT_LOG_ERROR, "record", "--cam %s: give NAME=SOURCE, e.g. --cam wide=stage.mp4", o->cams[i]);
            return -EINVAL;
        }
        r->names[i] = g_strndup(o->cams[i], (gsize)(eq - o->cams[i]));
        r->sources[i] = g_strdup(eq + 1);
        if (!sw_cam_name_valid(r->names[i], strlen(r->names[i]))) {
            ot_log(OT_LOG_ERROR, "record", "--cam %s: \"%s\" is not a camera name: use letters, digits, _ and -, "
                   "at most %d", o->cams[i], r->names[i], SW_CAM_NAME_MAX);
            return -EINVAL;
        }
        for (int j = 0; j < i; j++)
            if (!strcmp(r->names[i], r->names[j])) {
                ot_log(OT_LOG_ERROR, "record", "--cam %s: camera \"%s\" is given twice: names must be unique",
                       o->cams[i], r->names[i]);
                return -EINVAL;
            }
    }
    r->rate = (SwRate){30, 1};
    r->width = 1280;
    r->height = 720;
    if (o->fps && app_parse_rate("--fps", o->fps, &r->rate) < 0)
        return -EINVAL;
    if (o->size && app_parse_size("--size", o->size, &r->width, &r->height) < 0)
        return -EINVAL;
    r->codec = MUX_CODEC_H264;
    if (o->codec && mux_codec_from_name(o->codec, &r->codec) < 0) {
        ot_log(OT_LOG_ERROR, "record", "--codec %s: give h264 or ffv1", o->codec);
        return -EINVAL;
    }
    r->max_frames = -1;
    if (o->duration) {
        char *end = NULL;
        double sec = g_ascii_strtod(o->duration, &end);
        if (end == o->duration || *end || !(sec > 0) || sec > 7 * 24 * 3600.0) {
            ot_log(OT_LOG_ERROR, "record", "--duration %s: give a positive number of seconds, e.g. 20 or 4.5",
                   o->duration);
            return -EINVAL;
        }
        r->max_frames = llround(sec * r->rate.num / r->rate.den);
        if (r->max_frames < 1)
            r->max_frames = 1;
    }
    if (record_live_check(&r->live, o->audio, r->names, r->sources, r->ncams, r->rate) < 0)
        return -EINVAL;
    if (o->decode && strcmp(o->decode, "program") && strcmp(o->decode, "all")) {
        ot_log(OT_LOG_ERROR, "record", "--decode %s: give program or all", o->decode);
        return -EINVAL;
    }
    if (o->gop < 0) {
        ot_log(OT_LOG_ERROR, "record", "--gop %d: give a positive number of frames", o->gop);
        return -EINVAL;
    }
    for (int i = 0; i < r->ncams; i++)
        if (cap_source_check(r->names[i], r->sources[i]) < 0)
            return -EINVAL;
    if (o->iso && r->iso_codec == MUX_CODEC_COPY &&
        app_iso_copy_check(r->names, r->sources, r->ncams, r->iso_auto) < 0) {
        if (!r->iso_auto)
            return -EINVAL;
        ot_log(OT_LOG_INFO, "record", "--iso-codec auto: a camera makes raw frames (test:, pipe:): every ISO "
               "is ffv1 (lossless)");
        r->iso_codec = MUX_CODEC_FFV1;
    }
    for (int i = 0; o->iso && r->iso_codec == MUX_CODEC_COPY && i < r->ncams; i++)
        r->live_copy |= !cap_source_is_file(r->sources[i]);

    if (parse_endpoints(o->control, 0, r->control, &r->ncontrol) < 0 ||
        parse_endpoints(o->tally, 1, r->tally, &r->ntally) < 0)
        return -EINVAL;
    if (o->tally_index_base < 0 || o->tally_index_base > 65000) {
        ot_log(OT_LOG_ERROR, "record", "--tally-index-base %d: give 0 to 65000 (the TSL index of camera 1)",
               o->tally_index_base);
        return -EINVAL;
    }
    r->tally_index_base = o->tally_index_base;
    if (o->control_allow && (r->nallow = ctl_cidr_parse(o->control_allow, r->allow, CTL_MAX_CIDRS)) < 0)
        return -EINVAL;
    const char *at = o->auto_transition ? o->auto_transition : RECORD_AUTO_TRANSITION;
    if (sw_trans_parse_spec(at, &r->auto_trans) < 0) {
        ot_log(OT_LOG_ERROR, "record",
               "--auto-transition %s: give KIND:FRAMES[:ARG] with FRAMES 1-%d: mix:15, dip:20 (black), "
               "dip:20:white or dip:20:#RRGGBB, wipe:15:PATTERN or wipe:15:PATTERN:SOFT (PATTERN left, right, up, "
               "down, box or circle; SOFT 0-%d pixels)",
               at, SW_TRANS_MAX_FRAMES, SW_TRANS_MAX_SOFT);
        return -EINVAL;
    }

    SwCueError cerr;
    char msg[768];
    if (record_ltc_check(&r->ltc, r->names, r->sources, r->ncams, r->rate) < 0)
        return -EINVAL;
    if (o->cues && r->ltc.cue_clock_ltc) {
        r->cues_later = 1; /* read in LTC time once the LTC is decoded (record_ltc_convert_cues) */
    } else if (o->cues) {
        r->cues = sw_cues_load(o->cues, r->rate, (const char *const *)r->names, r->ncams, &cerr);
        if (!r->cues) {
            fprintf(stderr, "%s\n", sw_cue_error_format(&cerr, o->cues, msg, sizeof(msg)));
            return OT_ERROR_CUES;
        }
    }
    int sret = r->cues_later ? 0 : load_subs(o, r);
    if (sret < 0)
        return sret;
    if (o->actions) {
        r->actions = sw_actions_load(o->actions, r->rate, (const char *const *)r->names, r->ncams, &cerr);
        if (!r->actions) {
            fprintf(stderr, "%s\n", sw_cue_error_format(&cerr, o->actions, msg, sizeof(msg)));
            return OT_ERROR_CUES;
        }
    }
    return 0;
}

/* Scripted director actions due at this tick are staged just before it is decided. */
static void before_tick(void *opaque, int64_t tick)
{
    Record *r = opaque;
    if (tick == 0) {
        r->start_us = r->last_progress_us = g_get_monotonic_time(); /* the take starts at its roll */
        mux_iso_set_roll(r->t.iso, sw_runner_get_roll_ns(r->t.runner)); /* live copy ISOs: the take clock */
    }
    if (stop_signal) {
        ot_log(OT_LOG_WARNING, "record", "%s: ending the take cleanly at frame %" G_GINT64_FORMAT,
               stop_signal == SIGINT ? "interrupted" : "terminated", tick);
        stop_signal = 0;
        sw_runner_stop(r->t.runner);
    }
    record_ltc_before_tick(&r->ltc, r->t.writer, &r->writer_sink, tick);
    ctl_server_before_tick(r->ctl, r->t.sw, tick);
    ctl_tally_before_tick(r->tsl, r->t.sw);
    for (; r->actions && r->next_action < sw_actions_count(r->actions); r->next_action++) {
        const SwAction *a = sw_actions_get(r->actions, r->next_action);
        if (a->frame > tick)
            break;
        int ret = 0;
        switch (a->type) {
        case SW_ACTION_CUT:
            ret = sw_switcher_cut(r->t.sw, a->cam);
            break;
        case SW_ACTION_GO:
            ret = sw_switcher_go(r->t.sw);
            break;
        case SW_ACTION_END:
            ret = sw_switcher_end(r->t.sw);
            break;
        case SW_ACTION_PREVIEW:
            ret = sw_switcher_preview(r->t.sw, a->cam);
            break;
        }
        if (ret < 0)
            ot_log(OT_LOG_WARNING, "record", "action on line %d at frame %" G_GINT64_FORMAT " ignored: %s", a->line,
                   tick, ret == -ENOENT ? "no go cue is left" : ot_strerror(ret));
    }
}

static void format_tc(const Record *r, int64_t frame, char *buf, int size)
{
    sw_timecode_format(r->rate, sw_rate_allows_drop_frame(r->rate), frame, buf, size);
}

/* Once a second: frames, speed against real time, camera on program, next cue. Runs on the program thread, so it
 * only formats a line; stderr is unbuffered. */
static void progress(void *opaque, const SwRunnerStats *st)
{
    Record *r = opaque;
    gint64 now = g_get_monotonic_time();
    if (r->quiet || now - r->last_progress_us < G_USEC_PER_SEC)
        return;
    r->last_progress_us = now;
    char tc[32], next[160] = "none";
    format_tc(r, st->ticks, tc, sizeof(tc));
    double media_s = (double)st->ticks * r->rate.den / r->rate.num;
    double wall_s = (double)(now - r->start_us) / G_USEC_PER_SEC;
    SwState state;
    sw_switcher_get_state(r->t.sw, &state);
    if (state.next_cue >= 0 && r->cues) {
        const SwCue *c = sw_cues_get(r->cues, state.next_cue);
        char ctc[32] = "go";
        if (c->frame >= 0)
            format_tc(r, c->frame, ctc, sizeof(ctc));
        const char *what = c->action == SW_CUE_CUT ? "cut" : c->action == SW_CUE_END ? "end" : "sub";
        const char *label = c->action == SW_CUE_SUB ? c->text : c->label;
        g_snprintf(next, sizeof(next), "%s %s %s%s%s%s", ctc, what, c->camera ? c->camera : "",
                   label ? " \"" : "", label ? label : "", label ? "\"" : "");
    }
    fprintf(stderr, "%s%s  frame %-7" G_GINT64_FORMAT " speed %.2fx  program %-10s next %s%s", r->tty ? "\r" : "",
            tc, st->ticks, wall_s > 0 ? media_s / wall_s : 0.0, r->names[st->program_cam], next,
            r->tty ? "\033[K" : "\n");
}

static void print_summary(const Record *r, const SwRunnerStats *st, const MuxOutputStats *ps, int error,
                          double wall_s)
{
    char tc[32];
    format_tc(r, st->ticks, tc, sizeof(tc));
    if (r->tty && !r->quiet)
        fputc('\n', stderr);
    printf("take %s %s: %" G_GINT64_FORMAT " frames (%s at %d/%d fps), %" G_GINT64_FORMAT
           " cut%s, ended by %s, in %.1f s (%.2fx real time)\n",
           mux_take_id(r->t.take), error ? "FAILED" : "closed", st->ticks, tc, r->rate.num, r->rate.den,
           st->cuts, st->cuts == 1 ? "" : "s", sw_origin_name(st->end_origin), wall_s,
           wall_s > 0 ? (double)st->ticks * r->rate.den / r->rate.num / wall_s : 0.0);
    for (int i = 0; i < r->ncams; i++) {
        const SwCamStats *c = &st->cams[i];
        printf("  camera %-10s %6" G_GINT64_FORMAT " frames  %4" G_GINT64_FORMAT " repeats  %4" G_GINT64_FORMAT
               " drops%s\n",
               r->names[i], c->frames, c->repeats, c->drops, c->failed ? "  LOST" : c->ended ? "  ended" : "");
    }
    char *master = mux_take_path(r->t.take, MUX_TAKE_PROGRAM_FILE);
    printf("  program: %" G_GINT64_FORMAT " repeated frames, %" G_GINT64_FORMAT " program-path copies\n",
           st->program_repeats, ps->copies);
    if (st->mixed_frames > 0 || st->mix_unmixable > 0)
        printf("  transitions: %" G_GINT64_FORMAT " mixed frames (%" G_GINT64_FORMAT " outside the pool), %"
               G_GINT64_FORMAT " shown unmixed\n",
               st->mixed_frames, st->mix_pool_misses, st->mix_unmixable);
    printf("  master: %s (%s, %.1f MB, %" G_GINT64_FORMAT " packets)\n", master, mux_codec_name(r->codec),
           (double)ps->bytes / 1e6, ps->packets);
    g_free(master);
}

/* Between cap_camera_alloc and cap_camera_start: the camera's preview branch and its live clock. */
static int add_camera(void *opaque, int cam, CapCamera *camera)
{
    Record *r = opaque;
    record_ui_add_camera(&r->ui, cam, camera);
    int ret = r->live_copy && !cap_source_is_file(r->sources[cam]) ? cap_camera_enable_packets(camera, 0) : 0;
    return ret < 0 ? ret : record_live_add_camera(&r->live, cam, r->sources[cam], camera);
}

static int run_take(Record *r, const RecordOptions *o, const char *command_line)
{
    AppTake *t = &r->t;
    /* Threads for the job. Several cameras: one thread per decoder, for they decode in parallel with each other
     * and the encoder (a decoder's own threads only add overhead and frames in flight). The program encoder: one
     * thread for a take made as fast as it can be (the cameras' decoders have the other cores, which costs less
     * than x264's own threads), two when it must keep real time (live, or paced for the multiview), so that one
     * encoder keeps 1080p30 at veryfast. Recorded in take.json: replay needs it for the same packets. */
    CapFormat fmt = {.width = r->width, .height = r->height, .rate = r->rate,
                     .decoder_threads = r->ncams > 1 ? 1 : 0};
    record_live_prepare(&r->live, r->sources, r->ncams, &fmt);
    r->live.iso_audio = o->iso && r->iso_codec != MUX_CODEC_COPY; /* each ISO has its camera's audio */
    r->live.iso_copy = o->iso && r->iso_codec == MUX_CODEC_COPY;
    MuxTakeConfig tc = {
        .dir = o->out,
        .cams = (const char *const *)r->names,
        .sources = (const char *const *)r->sources,
        .ncams = r->ncams,
        .rate = r->rate,
        .width = r->width,
        .height = r->height,
        .codec = r->codec,
        .cues_path = r->cues_run,
        .command_line = command_line,
        .gop = o->gop > 0 ? o->gop : sw_rate_nominal(r->rate),
        .iso_codec = o->iso ? mux_codec_name(r->iso_codec) : NULL,
        .preset = r->codec == MUX_CODEC_H264 ? o->preset : NULL,
        .iso_preset = o->iso && r->iso_codec == MUX_CODEC_H264 ? iso_preset(o) : NULL,
        .threads = fmt.live || record_ui_wants_realtime(&r->ui) ? 2 : 1,
        .audio_bits = r->live.audio_bits,
    };
    /* The key before the folder: a bad --key leaves nothing behind. */
    if (app_proof_load_key(&r->proof, o->key, o->no_proof) < 0)
        return -EINVAL;
    int ret = app_take_create(t, &tc);
    if (ret < 0)
        return ret;
    if (r->cues)
        mux_take_set_cues(t->take, r->cues);
    t->sub_langs = r->sub_langs;
    t->sub_nlangs = sw_subs_nlangs(r->subs);

    if ((ret = app_take_start_cameras(t, &fmt, RECORD_START_TIMEOUT_MS, add_camera, r)) < 0 ||
        (ret = record_live_start(&r->live, r->sources, &fmt, RECORD_START_TIMEOUT_MS)) < 0)
        goto abort;
    if (r->live_copy && app_iso_live_check(r->names, r->sources, t->cams, r->ncams, r->iso_auto) < 0) {
        if (!r->iso_auto) {
            r->refused = 1; /* a usage error found once the cameras said what they send */
            ret = -ENOTSUP;
            goto abort;
        }
        ot_log(OT_LOG_INFO, "record", "--iso-codec auto: a live camera sends no compressed stream to copy: every "
               "ISO is ffv1 (lossless)");
        r->iso_codec = MUX_CODEC_FFV1;
        t->cfg.iso_codec = mux_codec_name(r->iso_codec);
        for (int i = 0; i < SW_MAX_CAMS; i++) { /* decided too late to decode the cameras' audio for them */
            r->live.iso_channels[i] = 0;
            r->live.iso_audio_codec[i] = NULL;
        }
        if ((ret = mux_take_set_iso_codec(t->take, t->cfg.iso_codec)) < 0)
            goto abort;
    }
    MuxAudioTrackInfo audio_info[SW_AUDIO_MAX_TRACKS];
    int naudio = record_live_audio_tracks(&r->live, &t->stems, audio_info, NULL);
    int audio_channels = naudio > 0 ? r->live.audio_channels : 0;

    char start_tc[32];
    format_tc(r, 0, start_tc, sizeof(start_tc));
    AppProofTake pt;
    app_take_proof_describe(t, &pt);
    pt.audio_channels = audio_channels;
    pt.iso_audio = r->live.iso_audio_codec;
    pt.pacing = "lockstep: every source pulled as fast as the program is made";
    for (int i = 0; i < r->ncams; i++)
        pt.live |= cap_source_is_live(r->sources[i]);
    if (pt.live)
        pt.pacing = "live: sources deliver in real time";
    if (r->live.live) {
        pt.live = 1;
        pt.pacing = "live: ticks on the monotonic clock (roll + i/fps + latency), live cameras never waited for";
    }
    if (app_proof_start(&r->proof, &pt) < 0) {
        ret = -EIO;
        goto abort;
    }
    t->streams = record_stream_config(&r->stream, mux_take_id(t->take),
                                      r->proof.log ? proof_log_genesis_hex(r->proof.log) : NULL);
    if ((ret = app_take_open_program(t, "onetake program", start_tc, audio_channels, &r->proof)) < 0)
        goto abort;
    r->writer_sink = mux_writer_sink(t->writer);

    if (o->iso) {
        AppIsoStart is = {.dir = mux_take_dir(t->take), .take_id = mux_take_id(t->take), .names = r->names,
                          .sources = r->sources, .cams = t->cams, .ncams = r->ncams, .codec = r->iso_codec,
                          .preset = tc.iso_preset, .width = r->width, .height = r->height, .rate = r->rate,
                          .gop = tc.gop, .timecode = start_tc,
                          .audio_channels = r->live.iso_channels, .audio_bits = r->live.audio_bits};
        t->iso = app_iso_start(&is, &r->proof);
        if (!t->iso) {
            ret = OT_ERROR_CODEC;
            goto abort;
        }
    }

    r->ui.auto_trans = r->auto_trans;
    record_ui_open(&r->ui, o->out);
    t->sw = sw_switcher_alloc(r->cues, r->ncams, 0);
    if (r->subs)
        sw_switcher_set_subs(t->sw, r->subs);
    SwRunnerConfig rc = {
        .rate = r->rate,
        .max_frames = r->max_frames,
        .progress = progress,
        .progress_opaque = r,
        .before_tick = before_tick,
        .before_tick_opaque = r,
        .realtime = record_ui_realtime(&r->ui),
        /* Off-program file cameras need not be decoded when nothing else shows them (no window, no ISO). */
        .program_only = o->headless && (!o->decode || !strcmp(o->decode, "program")),
        /* T in the window or auto from the network may start one: the mixer's pool is made before tick 0 */
        .transitions = r->ui.ui != NULL || r->ncontrol > 0,
    };
    record_live_configure(&r->live, &rc);
    if (r->ncontrol > 0) {
        CtlServerConfig cc = {.eps = r->control, .neps = r->ncontrol, .allow = r->allow, .nallow = r->nallow,
                              .cams = (const char *const *)r->names, .ncams = r->ncams, .cues = r->cues,
                              .rate = r->rate, .rate_per_s = 50, .burst = 100, .auto_trans = r->auto_trans};
        if (!(r->ctl = ctl_server_alloc(&cc, mux_take_id(t->take)))) {
            ret = -EINVAL;
            goto abort;
        }
    }
    if (r->ntally > 0) {
        CtlTallyConfig tlc = {.eps = r->tally, .neps = r->ntally, .cams = (const char *const *)r->names,
                             .ncams = r->ncams, .index_base = r->tally_index_base};
        if (!(r->tsl = ctl_tally_alloc(&tlc))) {
            ret = -EINVAL;
            goto abort;
        }
    }
    r->ui.audio = audio_channels > 0;
    if (r->ltc.on) {
        r->ui.get_ltc = record_ltc_tc_at;
        r->ui.ltc_opaque = &r->ltc;
    }
    if ((ret = app_take_start_runner(t, &rc)) < 0)
        goto abort;

    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    r->start_us = r->last_progress_us = g_get_monotonic_time();
    int run_ret = record_ui_run(&r->ui, t->sw, t->runner, &stop_signal);
    if (run_ret == RECORD_UI_CANCELLED) {
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        ot_log(OT_LOG_WARNING, "record", "the take was cancelled before it rolled: nothing was recorded");
        ret = run_ret;
        goto abort;
    }
    AppTakeEnd end;
    app_take_finish(t, run_ret, r->start_us, &end);
    record_live_stop(&r->live);
    CtlServerStats cst = {0};
    if (r->ctl) {
        ctl_server_stop(r->ctl);
        ctl_server_get_stats(r->ctl, &cst);
        ctl_server_free(&r->ctl);
    }
    CtlTallyStats tst = {0};
    if (r->tsl) {
        ctl_tally_get_stats(r->tsl, &tst);
        ctl_tally_free(&r->tsl);
    }
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);

    const SwRunnerStats *st = &end.stats;
    int post_ret = end.iso_error;
    /* Every output is closed: the take log's CLOSE and final signatures. */
    int proof_ret = app_proof_close(&r->proof, st, end.error);
    if (!end.error)
        end.error = proof_ret;
    MuxIsoStats isos[SW_MAX_CAMS];
    for (int i = 0; i < mux_iso_count(t->iso); i++)
        mux_iso_get_stats(t->iso, i, &isos[i]);
    /* The cut lists before take.json says closed: a closed take has them. */
    char **media = app_cutlist_media(r->names, r->sources, r->ncams, t->iso != NULL);
    int cut_ret = 0; /* not a frame: nothing to cut */
    if (st->ticks > 0)
        cut_ret = app_write_cutlists(mux_take_dir(t->take), mux_take_id(t->take), r->rate, r->names, media,
                                     r->ncams, st->ticks);
    app_media_free(media, r->ncams);
    if (!post_ret)
        post_ret = cut_ret;
    MuxLiveCamInfo live_info[SW_MAX_CAMS];
    record_live_cam_info(t->cams, r->ncams, live_info);
    char *audio_from = r->live.audio == SW_AUDIO_CAMERA   ? g_strdup_printf("camera %s", r->live.audio_name)
                       : r->live.audio == SW_AUDIO_SOURCE ? g_strdup_printf("source %s", r->live.audio_src)
                       : r->live.audio == SW_AUDIO_FOLLOW_VIDEO ? g_strdup("afv")
                                                                : NULL;
    MuxTakeSummary sum = {.isos = t->iso ? isos : NULL, .nisos = mux_iso_count(t->iso),
                          .live = r->live.live ? live_info : NULL, .latency_ns = r->live.latency_ns,
                          .audio_from = audio_from, .audio_tracks = audio_info, .naudio_tracks = naudio};
    if (naudio > 0)
        audio_info[0].from = audio_from;
    MuxCount ccounts[] = {{"clients", cst.clients},
                          {"commands_staged", cst.commands_staged},
                          {"malformed", cst.malformed},
                          {"rate_limited", cst.rate_limited},
                          {"peers_refused", cst.refused_peers + cst.refused_full},
                          {"queue_full", cst.queue_full},
                          {"slow_clients_dropped", cst.clients_dropped_slow},
                          {"events_dropped", cst.events_dropped},
                          {"end_refused", cst.refused_end},
                          {"osc_messages", cst.osc_messages},
                          {"osc_unknown", cst.unknown},
                          {"osc_subscriptions", cst.subscriptions},
                          {"osc_subscriptions_expired", cst.subscriptions_expired},
                          {"osc_feedback_not_sent", cst.feedback_not_sent}};
    MuxCount tcounts[] = {{"packets", tst.packets},
                          {"bytes", tst.bytes},
                          {"not_sent", tst.send_errors},
                          {"tcp_connects", tst.connects}};
    MuxCount scounts[SW_SUB_MAX_LANGS];
    for (int i = 0; i < t->sub_nlangs; i++)
        scounts[i] = (MuxCount){r->sub_langs[i], end.program.sub_lines_lang[i]};
    MuxCount lcounts[6];
    int nl = record_ltc_counts(&r->ltc, lcounts);
    MuxCountGroup groups[5] = {{0}};
    int ngroups = 0;
    if (nl > 0)
        groups[ngroups++] = (MuxCountGroup){"ltc", lcounts, nl};
    if (t->sub_nlangs > 0)
        groups[ngroups++] = (MuxCountGroup){"subtitle_lines", scounts, t->sub_nlangs};
    if (r->ncontrol > 0)
        groups[ngroups++] = (MuxCountGroup){"control", ccounts, (int)G_N_ELEMENTS(ccounts)};
    if (r->ntally > 0)
        groups[ngroups++] = (MuxCountGroup){"tally", tcounts, (int)G_N_ELEMENTS(tcounts)};
    sum.groups = groups;
    record_live_loudness(&r->live, &end.program, &sum);
    app_take_close(t, &end, &sum);
    g_free(audio_from);
    ret = end.error;
    print_summary(r, st, &end.program, ret, end.wall_seconds);
    record_stream_print_summary(&end.program);
    record_live_print_summary(&r->live, st, t->cams, r->names, r->ncams);
    record_live_print_loudness(&r->live, st, &end.program);
    if (r->ncontrol > 0)
        fprintf(stderr,
                "control: %" G_GINT64_FORMAT " clients, %" G_GINT64_FORMAT " commands staged, %" G_GINT64_FORMAT
                " malformed, %" G_GINT64_FORMAT " rate-limited, %" G_GINT64_FORMAT " peers refused, %"
                G_GINT64_FORMAT " slow clients dropped, %" G_GINT64_FORMAT " events dropped, %" G_GINT64_FORMAT
                " ends refused; OSC: %" G_GINT64_FORMAT " messages, %" G_GINT64_FORMAT " unknown, %" G_GINT64_FORMAT
                " subscriptions (%" G_GINT64_FORMAT " expired), %" G_GINT64_FORMAT " feedback not sent\n",
                cst.clients, cst.commands_staged, cst.malformed, cst.rate_limited, cst.refused_peers + cst.refused_full,
                cst.clients_dropped_slow, cst.events_dropped, cst.refused_end, cst.osc_messages, cst.unknown,
                cst.subscriptions, cst.subscriptions_expired, cst.feedback_not_sent);
    if (r->ntally > 0)
        fprintf(stderr,
                "tally: %" G_GINT64_FORMAT " TSL 5.0 packets (%" G_GINT64_FORMAT " bytes) sent, %" G_GINT64_FORMAT
                " not sent, %" G_GINT64_FORMAT " TCP connects\n",
                tst.packets, tst.bytes, tst.send_errors, tst.connects);
    app_print_iso_summary(t->iso);
    if (ret == -ENOSPC || ret == -EDQUOT || ret == -EIO)
        ot_log(OT_LOG_ERROR, "record",
               "%s after %" G_GINT64_FORMAT " frames: the take was closed there; `onetake verify %s` says how "
               "far it is authentic (PARTIAL_AUTHENTIC up to the last commit). %s",
               ret == -EIO ? "the disk reported an I/O error" : "the disk is full", st->ticks,
               mux_take_dir(t->take),
               ret == -EIO ? "Check the disk and record to another one." : "Free space or record to another disk.");
    else if (ret < 0)
        ot_log(OT_LOG_ERROR, "record", "the take did not close cleanly (%s): what was written so far is in %s",
               ot_strerror(ret), mux_take_dir(t->take));
    else if (post_ret < 0)
        ot_log(OT_LOG_ERROR, "record", "the program is complete in %s, but %s (see above)",
               mux_take_dir(t->take),
               post_ret == cut_ret ? "the cut lists could not be written" : "an ISO failed");
    return ret < 0 ? ret : post_ret;

abort:
    /* Nothing was recorded: leave nothing behind that looks like a take. */
    app_take_abort(t, &r->proof);
    return ret;
}

int cmd_record(int argc, char **argv)
{
    RecordOptions o = {0};
    GOptionEntry entries[] = {
        {"cam", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o.cams,
         "A camera, once per camera in order. SOURCE: a file, a URI (file://, v4l2://, srt://, rtsp://, udp://...), "
         "test:PATTERN or pipe:FRAGMENT", "NAME=SOURCE"},
        {"out", 'o', 0, G_OPTION_ARG_FILENAME, &o.out, "The take folder (new or empty)", "DIR"},
        {"cues", 0, 0, G_OPTION_ARG_FILENAME, &o.cues, "The cue list", "FILE"},
        {"actions", 0, 0, G_OPTION_ARG_FILENAME, &o.actions,
         "A scripted director: TIME go|cut CAM|preview CAM|end per line", "FILE"},
        {"size", 0, 0, G_OPTION_ARG_STRING, &o.size, "Program size (default 1280x720)", "WxH"},
        {"fps", 0, 0, G_OPTION_ARG_STRING, &o.fps, "Program frame rate (default 30/1)", "N/D"},
        {"codec", 0, 0, G_OPTION_ARG_STRING, &o.codec, "Program codec: h264 (default) or ffv1", "CODEC"},
        {"preset", 0, 0, G_OPTION_ARG_STRING, &o.preset, "x264 preset for h264 (default veryfast)", "PRESET"},
        {"iso-preset", 0, 0, G_OPTION_ARG_STRING, &o.iso_preset,
         "x264 preset for h264 ISOs (default: --preset's)", "PRESET"},
        {"decode", 0, 0, G_OPTION_ARG_STRING, &o.decode,
         "program (default): decode a file camera only while it is on program; all: every camera, always",
         "WHAT"},
        {"duration", 0, 0, G_OPTION_ARG_STRING, &o.duration, "End after round(SECONDS x fps) frames", "SECONDS"},
        {"gop", 0, 0, G_OPTION_ARG_INT, &o.gop, "Frames between keyframes (default: one second)", "N"},
        {"headless", 0, 0, G_OPTION_ARG_NONE, &o.headless, "Record with no window", NULL},
        {"iso", 0, 0, G_OPTION_ARG_NONE, &o.iso, "Also record every camera to DIR/iso/NAME.mkv", NULL},
        {"iso-codec", 0, 0, G_OPTION_ARG_STRING, &o.iso_codec,
         "ISO codec: ffv1 (lossless, default), h264, copy (the cameras' own packets: files, and live cameras "
         "that send H.264/H.265/MPEG-2) or auto (copy where every camera can, else ffv1)", "CODEC"},
        {"audio", 0, 0, G_OPTION_ARG_STRING, &o.audio,
         "Program audio from this camera's audio, continuous across cuts (FLAC in program.mkv)", "NAME"},
        {"key", 0, 0, G_OPTION_ARG_FILENAME, &o.key,
         "Station key that signs the take (onetake keygen); default: the user's, made on first use", "FILE"},
        {"no-proof", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_NONE, &o.no_proof,
         "No take log (benchmarks only: the take cannot be verified)", NULL},
        {"control", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o.control,
         "Remote control: tcp://ADDR:PORT (line protocol) or osc://ADDR:PORT (OSC over UDP), docs/control.md; "
         "repeatable",
         "URL"},
        {"control-allow", 0, 0, G_OPTION_ARG_STRING, &o.control_allow,
         "Peers allowed to control (default: loopback only; needed for a non-loopback --control)", "CIDR[,CIDR...]"},
        {"tally", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o.tally,
         "Tally out, TSL UMD v5.0: tsl5+udp://HOST:PORT or tsl5+tcp://HOST:PORT; repeatable", "URL"},
        {"tally-index-base", 0, 0, G_OPTION_ARG_INT, &o.tally_index_base,
         "TSL display index of camera 1 (default 0)", "N"},
        {"auto-transition", 0, 0, G_OPTION_ARG_STRING, &o.auto_transition,
         "What key T in the multiview and the control protocol's auto run from program to preview (a second T "
         "during it completes it at once): mix:15 (default), dip:20[:COLOUR], wipe:15:PATTERN[:SOFT]",
         "KIND:FRAMES[:ARG]"},
        {"lyrics", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &o.lyrics,
         "Timed subtitle lines from a SubRip (.srt), WebVTT (.vtt) or LRC (.lrc) file, as language LANG "
         "(default und); repeatable, one file per language", "[LANG=]FILE"},
        {"quiet", 'q', 0, G_OPTION_ARG_NONE, &o.quiet, "No progress line", NULL},
        {"verbose", 'v', 0, G_OPTION_ARG_NONE, &o.verbose, "More log", NULL},
        {NULL, 0, 0, 0, NULL, NULL, NULL}};
    GOptionContext *ctx = g_option_context_new("- record one take");
    g_option_context_add_main_entries(ctx, entries, NULL);
    GError *err = NULL;
    char *command_line = g_strjoinv(" ", argv);
    Record r = {0};
    int ret;
    g_option_context_add_main_entries(ctx, record_ui_entries(&r.ui), NULL);
    g_option_context_add_main_entries(ctx, record_live_entries(&r.live), NULL);
    g_option_context_add_main_entries(ctx, record_ltc_entries(&r.ltc), NULL);
    g_option_context_add_main_entries(ctx, record_stream_entries(&r.stream), NULL);
    g_option_context_add_group(ctx, record_live_audio_group(&r.live));

    if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
        fprintf(stderr, "onetake record: %s (see onetake record --help)\n", err->message);
        ret = APP_EXIT_USAGE;
        goto out;
    }
    if (argc > 1) {
        fprintf(stderr, "onetake record: unexpected argument \"%s\" (see onetake record --help)\n", argv[1]);
        ret = APP_EXIT_USAGE;
        goto out;
    }
    if (o.verbose)
        ot_log_set_level(OT_LOG_VERBOSE);
    r.quiet = o.quiet;
    r.tty = isatty(STDERR_FILENO);
    ret = check_options(&o, &r);
    if (!ret)
        ret = record_stream_check(&r.stream, r.codec);
    if (ret < 0) {
        ret = ret == OT_ERROR_CUES ? APP_EXIT_FAIL : APP_EXIT_USAGE;
        goto out;
    }
    if (record_ui_check(&r.ui, o.headless, (const char *const *)r.names, r.ncams, r.rate, r.width, r.height,
                        r.cues, r.max_frames) < 0) {
        ret = APP_EXIT_USAGE;
        goto out;
    }
    if (cap_init(NULL, NULL) < 0) {
        ret = APP_EXIT_FAIL;
        goto out;
    }
    mux_init_logging();
    r.cues_run = o.cues;
    if (record_ltc_decode(&r.ltc, r.sources, r.ncams) < 0 ||
        (r.cues_later && record_ltc_convert_cues(&r.ltc, o.cues, r.names, r.ncams, &r.cues_run, &r.cues) < 0)) {
        ret = APP_EXIT_FAIL;
        free_record(&r);
        cap_deinit();
        goto out;
    }
    if (r.cues_later)
        r.ui.cues = r.cues; /* the multiview shows the list the take runs (on program frames) */
    if (r.cues_later && (ret = load_subs(&o, &r)) < 0) {
        ret = ret == OT_ERROR_CUES ? APP_EXIT_FAIL : APP_EXIT_USAGE;
        free_record(&r);
        cap_deinit();
        goto out;
    }
    ret = run_take(&r, &o, command_line) < 0 ? (r.refused ? APP_EXIT_USAGE : APP_EXIT_FAIL) : APP_EXIT_OK;
    free_record(&r);
    cap_deinit();
out:
    free_record(&r); /* idempotent: everything it frees is set to NULL */
    free_options(&o);
    g_free(command_line);
    g_clear_error(&err);
    g_option_context_free(ctx);
    return ret;
}
