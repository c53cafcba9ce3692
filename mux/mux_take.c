/* onetake mux: the take folder (layout and fields: docs/take-folder.md).
 *
 * take.json is rewritten atomically (write FILE.tmp, fsync, rename, fsync the folder): a reader, or a crash,
 * sees the old version or the new one, never a mix. cuts.jsonl is append-only, one JSON object per line,
 * synced per event, so a crash keeps every executed cut up to the last line.
 *
 * Threads: create, close, abort and free on one thread (the app's). The event sink runs on the program thread,
 * which does no I/O: it only stashes the event in a bounded queue (entries from a preallocated pool; a full pool
 * drops the event and counts it). The cut log's thread ("ot-cuts", from create to close) formats each line,
 * writes and syncs it, and is the only one touching cuts_fd until it is joined. */
#include <errno.h>
#include <math.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "mux.h"
#include "mux_trans.h"
#include "ot_common.h"
#include "proof_json.h"
#include "sw_audio.h"
#include "sw_cues.h"
#include "sw_queue.h"

/* Events the cut log holds while its thread writes: cuts are rare, so only a disk stalled for many cuts fills it. */
#define MUX_TAKE_CUTS_QUEUE 256

#define MUX_TAKE_FORMAT "onetake-take"
#define MUX_TAKE_FORMAT_VERSION 1

struct MuxTake {
    char *dir;
    char take_id[33];
    int created_dir;   /* we made the folder: abort removes it */
    char *created_top; /* the highest folder we made (dir or one of its parents) */
    int ncams;
    char **cams;
    char **sources;
    SwRate rate;
    int drop_frame; /* timecodes in cuts.jsonl are drop-frame (30000/1001, 60000/1001) */
    int width, height;
    MuxCodec codec;
    char *command_line;
    int gop;          /* 0: not recorded */
    int threads;      /* program encoder threads, 0: the default */
    int audio_bits;   /* program audio's FLAC bits (0: 24) */
    char *iso_codec;  /* NULL without ISOs */
    char *replay_of;  /* take id of the replayed take, or NULL */
    char *preset;     /* x264 preset, or NULL */
    char *iso_preset; /* x264 preset of h264 ISOs, or NULL */
    char *started; /* ISO 8601 UTC */
    int has_cues;
    const SwCueList *cues; /* borrowed (mux_take_set_cues) */
    int cuts_fd;
    atomic_int event_err; /* first error of the cut log's thread: later events return it */
    int closed;
    /* The cut log's thread and its two queues of CutEntry: free (the pool) and cuts (to write). */
    SwQueue *cuts_free;
    SwQueue *cuts_todo;
    struct CutEntry *cuts_pool;
    pthread_t cuts_thread;
    int cuts_thread_on;
    atomic_llong cuts_dropped; /* events the full queue dropped: reported at close */
};

/* One executed event as the program thread stashed it. */
typedef struct CutEntry {
    SwEvent ev;
    int64_t wall_ns; /* CLOCK_REALTIME when the program thread got it */
} CutEntry;

/* ---- files ---- */

static const char *fix_for(int err)
{
    switch (err) {
    case -ENOSPC:
    case -EDQUOT:
        return "free disk space or choose an --out folder on another disk";
    case -EACCES:
    case -EPERM:
    case -EROFS:
        return "choose an --out folder you can write to";
    default:
        return "check the disk and the --out folder";
    }
}

/* Write name in the take folder atomically (ot_file_replace). Logged on failure. */
static int write_atomic(const MuxTake *take, const char *name, const char *data, size_t len)
{
    char *path = g_build_filename(take->dir, name, NULL);
    const char *what = "create";
    int ret = ot_file_replace(path, data, len, &what);

    if (ret)
        ot_log(OT_LOG_ERROR, "mux", "cannot %s \"%s\": %s: %s", what, path, ot_strerror(ret), fix_for(ret));
    g_free(path);
    return ret;
}

/* ---- JSON ---- */

static void add_int(JsonBuilder *b, const char *key, int64_t value)
{
    json_builder_set_member_name(b, key);
    json_builder_add_int_value(b, value);
}

static void add_int_or_null(JsonBuilder *b, const char *key, int64_t value, int is_null)
{
    json_builder_set_member_name(b, key);
    if (is_null)
        json_builder_add_null_value(b);
    else
        json_builder_add_int_value(b, value);
}

/* The builder's object as text that ends with a newline (a text file, a JSON Lines line). Frees the
 * builder. */
static char *json_to_text(JsonBuilder *b, int pretty, gsize *len)
{
    JsonNode *root = json_builder_get_root(b);
    JsonGenerator *gen = json_generator_new();
    char *text;

    json_generator_set_root(gen, root);
    json_generator_set_pretty(gen, pretty);
    if (pretty)
        json_generator_set_indent(gen, 2);
    text = json_generator_to_data(gen, len);
    g_object_unref(gen);
    json_node_unref(root);
    g_object_unref(b);
    text = g_realloc(text, *len + 2);
    text[(*len)++] = '\n';
    text[*len] = '\0';
    return text;
}

static char *now_iso8601(void)
{
    GDateTime *now = g_date_time_new_now_utc();
    char *text = g_date_time_format_iso8601(now);
    g_date_time_unref(now);
    return text;
}

/* A measured value, or null for -inf (silence: JSON has no infinity). */
static void add_level(JsonBuilder *b, const char *key, double v)
{
    json_builder_set_member_name(b, key);
    if (isfinite(v))
        json_builder_add_double_value(b, round(v * 100) / 100);
    else
        json_builder_add_null_value(b);
}

/* A track's loudness (EBU R128), and how far it is from --loudness-target. */
static void add_loudness(JsonBuilder *b, const MuxLoudness *l, const MuxTakeSummary *sum)
{
    if (!l->measured)
        return;
    json_builder_set_member_name(b, "loudness");
    json_builder_begin_object(b);
    proof_json_add_string(b, "standard", "ITU-R BS.1770-4 / EBU R128 (libebur128)");
    add_level(b, "integrated_lufs", l->integrated_lufs);
    add_level(b, "range_lu", l->range_lu);
    add_level(b, "true_peak_dbtp", l->true_peak_dbtp);
    if (sum->has_loudness_target) {
        add_level(b, "target_lufs", sum->loudness_target);
        add_level(b, "off_target_lu", l->integrated_lufs - sum->loudness_target);
    }
    json_builder_end_object(b);
}

/* Each program audio track, in program.mkv's order: what it is and what it measured. */
static void add_audio_tracks(JsonBuilder *b, const MuxTakeSummary *sum, const SwRunnerStats *st)
{
    static const char *const layouts[] = {NULL, "mono", "stereo", NULL, NULL, NULL, "5.1", NULL, "7.1"};
    json_builder_set_member_name(b, "audio_tracks");
    json_builder_begin_array(b);
    for (int t = 0; t < sum->naudio_tracks && t < SW_AUDIO_MAX_TRACKS; t++) {
        const MuxAudioTrackInfo *a = &sum->audio_tracks[t];
        json_builder_begin_object(b);
        add_int(b, "track", t + 1);
        if (a->title)
            proof_json_add_string(b, "title", a->title);
        if (a->from)
            proof_json_add_string(b, "from", a->from);
        add_int(b, "channels", a->channels);
        if (a->channels > 0 && a->channels <= 8 && layouts[a->channels])
            proof_json_add_string(b, "layout", layouts[a->channels]);
        add_int(b, "samples", st->audio_frames);
        add_int(b, "silence_samples", t < st->audio_tracks ? st->track_gap_frames[t] : 0);
        if (sum->program && t < sum->program->audio_tracks) {
            add_int(b, "packets", sum->program->audio_track_packets[t]);
            add_loudness(b, &sum->program->audio_loudness[t], sum);
        }
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
}

static void add_program(JsonBuilder *b, const MuxOutputStats *p)
{
    json_builder_set_member_name(b, "program");
    json_builder_begin_object(b);
    proof_json_add_string(b, "file", MUX_TAKE_PROGRAM_FILE);
    add_int(b, "frames", p->frames);
    add_int(b, "packets", p->packets);
    add_int(b, "keyframes", p->keyframes);
    add_int(b, "bytes", p->bytes);
    add_int(b, "copies", p->copies);
    add_int(b, "zero_copy", p->zero_copy);
    if (p->audio_packets > 0)
        add_int(b, "audio_packets", p->audio_packets);
    json_builder_end_object(b);
}

/* The --stream outputs: what each sent and dropped (mux_stream.c). */
static void add_streams(JsonBuilder *b, const MuxOutputStats *p)
{
    json_builder_set_member_name(b, "streams");
    json_builder_begin_array(b);
    for (int i = 0; i < p->nstreams; i++) {
        const MuxStreamStats *s = &p->streams[i];
        json_builder_begin_object(b);
        proof_json_add_string(b, "url", s->url);
        proof_json_add_string(b, "format", s->format);
        add_int(b, "bytes", s->bytes);
        add_int(b, "packets", s->packets);
        add_int(b, "gops_dropped", s->gops_dropped);
        add_int(b, "frames_dropped", s->frames_dropped);
        add_int(b, "reconnects", s->reconnects);
        json_builder_set_member_name(b, "latency_median_ms");
        json_builder_add_double_value(b, s->latency_median_ms);
        json_builder_set_member_name(b, "latency_max_ms");
        json_builder_add_double_value(b, s->latency_max_ms);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
}

static void add_isos(JsonBuilder *b, const MuxIsoStats *isos, int n)
{
    int64_t dropped = 0;

    json_builder_set_member_name(b, "iso");
    json_builder_begin_array(b);
    for (int i = 0; i < n; i++) {
        const MuxIsoStats *s = &isos[i];
        json_builder_begin_object(b);
        proof_json_add_string(b, "camera", s->camera);
        proof_json_add_string(b, "file", s->file);
        add_int(b, "frames", s->frames);
        add_int(b, "repeats", s->repeats);
        add_int(b, "dropped", s->dropped);
        if (s->live) {
            add_int(b, "start_ms", s->start_ms);
            add_int(b, "restarts", s->restarts);
            add_int(b, "lost_packets", s->lost_packets);
        }
        add_int(b, "packets", s->out.packets);
        add_int(b, "keyframes", s->out.keyframes);
        add_int(b, "bytes", s->out.bytes);
        add_int_or_null(b, "failed_at", s->failed_at, s->failed_at < 0);
        proof_json_add_string(b, "error", s->error ? ot_strerror(s->error) : NULL);
        json_builder_end_object(b);
        dropped += s->dropped;
    }
    json_builder_end_array(b);
    add_int(b, "iso_dropped", dropped);
}

/* take.json: the fixed part at creation; summary (NULL while recording) adds the outcome. */
/* A live camera's timing and losses (sw_runner.h, capture's MuxLiveCamInfo). */
static void add_live_cam(JsonBuilder *b, const SwCamStats *c, const MuxLiveCamInfo *info)
{
    json_builder_set_member_name(b, "live");
    json_builder_begin_object(b);
    add_int(b, "late", c->late);
    add_int(b, "overflow", c->overflow);
    add_int(b, "losses", c->losses);
    add_int(b, "lost_frames", c->lost_ticks);
    add_int(b, "slate_frames", c->slate_ticks);
    json_builder_set_member_name(b, "latency_mean_ms");
    json_builder_add_double_value(b, c->latency_count ? (double)c->latency_sum_ns / (double)c->latency_count / 1e6
                                                      : 0.0);
    json_builder_set_member_name(b, "latency_max_ms");
    json_builder_add_double_value(b, (double)c->latency_max_ns / 1e6);
    if (info) {
        add_int(b, "restarts", info->restarts);
        json_builder_set_member_name(b, "jitter_max_ms");
        json_builder_add_double_value(b, (double)info->jitter_max_ns / 1e6);
        add_int(b, "audio_late", info->audio_late);
    }
    json_builder_end_object(b);
}

static int write_take_json(MuxTake *take, const MuxTakeSummary *sum)
{
    const SwRunnerStats *st = sum ? sum->stats : NULL;
    JsonBuilder *b = json_builder_new();
    char buf[64];
    char *closed = NULL;
    char *text;
    gsize len;
    int ret;

    json_builder_begin_object(b);
    proof_json_add_string(b, "format", MUX_TAKE_FORMAT);
    add_int(b, "format_version", MUX_TAKE_FORMAT_VERSION);
    proof_json_add_string(b, "take_id", take->take_id);
    proof_json_add_string(b, "status", !sum ? "recording" : sum->error ? "failed" : "closed");
    proof_json_add_string(b, "started", take->started);
    if (sum) {
        closed = now_iso8601();
        proof_json_add_string(b, "closed", closed);
    }
    proof_json_add_string(b, "command_line", take->command_line);
    snprintf(buf, sizeof(buf), "%dx%d", take->width, take->height);
    proof_json_add_string(b, "size", buf);
    snprintf(buf, sizeof(buf), "%d/%d", take->rate.num, take->rate.den);
    proof_json_add_string(b, "fps", buf);
    json_builder_set_member_name(b, "drop_frame");
    json_builder_add_boolean_value(b, take->drop_frame);
    proof_json_add_string(b, "codec", mux_codec_name(take->codec));
    if (take->gop > 0)
        add_int(b, "gop", take->gop);
    proof_json_add_string(b, "iso_codec", take->iso_codec);
    if (take->replay_of)
        proof_json_add_string(b, "replay_of", take->replay_of);
    if (take->preset)
        proof_json_add_string(b, "preset", take->preset);
    if (take->iso_preset)
        proof_json_add_string(b, "iso_preset", take->iso_preset);
    if (take->threads > 0)
        add_int(b, "encoder_threads", take->threads);

    json_builder_set_member_name(b, "cameras");
    json_builder_begin_array(b);
    for (int i = 0; i < take->ncams; i++) {
        json_builder_begin_object(b);
        proof_json_add_string(b, "name", take->cams[i]);
        proof_json_add_string(b, "source", take->sources[i]);
        if (st && i < st->ncams && i < SW_MAX_CAMS) {
            const SwCamStats *c = &st->cams[i];
            add_int(b, "frames", c->frames);
            add_int(b, "repeats", c->repeats);
            add_int(b, "drops", c->drops);
            json_builder_set_member_name(b, "ended");
            json_builder_add_boolean_value(b, c->ended);
            json_builder_set_member_name(b, "failed");
            json_builder_add_boolean_value(b, c->failed);
            if (c->live && sum)
                add_live_cam(b, c, sum->live ? &sum->live[i] : NULL);
        }
        json_builder_end_object(b);
    }
    json_builder_end_array(b);

    json_builder_set_member_name(b, "files");
    json_builder_begin_object(b);
    proof_json_add_string(b, "program", MUX_TAKE_PROGRAM_FILE);
    proof_json_add_string(b, "cues", take->has_cues ? MUX_TAKE_CUES_FILE : NULL);
    proof_json_add_string(b, "cuts", MUX_TAKE_CUTS_FILE);
    proof_json_add_string(b, "edl", MUX_TAKE_EDL_FILE);
    proof_json_add_string(b, "otio", MUX_TAKE_OTIO_FILE);
    json_builder_set_member_name(b, "iso");
    if (take->iso_codec) {
        json_builder_begin_object(b);
        for (int i = 0; i < take->ncams; i++) {
            char *file = g_strdup_printf("%s/%s.mkv", MUX_TAKE_ISO_DIR, take->cams[i]);
            proof_json_add_string(b, take->cams[i], file);
            g_free(file);
        }
        json_builder_end_object(b);
    } else {
        json_builder_add_null_value(b);
    }
    json_builder_end_object(b);

    if (sum) {
        if (sum->error) {
            proof_json_add_string(b, "error", ot_strerror(sum->error));
            add_int(b, "error_code", sum->error);
        }
        if (st) {
            add_int(b, "frames", st->ticks);
            add_int(b, "cuts", st->cuts);
            add_int(b, "program_repeats", st->program_repeats);
            proof_json_add_string(b, "end_reason", st->ended ? sw_origin_name(st->end_origin) : NULL);
            json_builder_set_member_name(b, "duration_s");
            json_builder_add_double_value(b, (double)st->ticks * take->rate.den / take->rate.num);
        }
        if (st && st->live) {
            json_builder_set_member_name(b, "live");
            json_builder_begin_object(b);
            add_int(b, "latency_ms", sum->latency_ns / 1000000);
            add_int(b, "late_ticks", st->late_ticks);
            add_int(b, "max_late_ms", st->max_late_ns / 1000000);
            json_builder_end_object(b);
        }
        if (st && st->audio_channels) {
            json_builder_set_member_name(b, "audio");
            json_builder_begin_object(b);
            proof_json_add_string(b, "from", sum->audio_from);
            proof_json_add_string(b, "codec", "flac");
            add_int(b, "rate", SW_AUDIO_RATE);
            add_int(b, "channels", st->audio_channels);
            add_int(b, "bits", take->audio_bits);
            add_int(b, "samples", st->audio_frames);
            add_int(b, "silence_samples", st->audio_gap_frames);
            if (sum->program)
                add_loudness(b, &sum->program->audio_loudness[0], sum);
            json_builder_end_object(b);
            if (sum->audio_tracks)
                add_audio_tracks(b, sum, st);
        }
        if (sum->program)
            add_program(b, sum->program);
        if (sum->program && sum->program->nstreams > 0)
            add_streams(b, sum->program);
        if (sum->isos)
            add_isos(b, sum->isos, sum->nisos);
        for (const MuxCountGroup *g = sum->groups; g && g->key; g++) {
            json_builder_set_member_name(b, g->key);
            json_builder_begin_object(b);
            for (int i = 0; i < g->n; i++)
                add_int(b, g->counts[i].name, g->counts[i].value);
            json_builder_end_object(b);
        }
        json_builder_set_member_name(b, "wall_seconds");
        json_builder_add_double_value(b, sum->wall_seconds);
    }
    json_builder_end_object(b);

    text = json_to_text(b, 1, &len);
    ret = write_atomic(take, MUX_TAKE_JSON_FILE, text, len);
    g_free(text);
    g_free(closed);
    return ret;
}

/* ---- the take ---- */

static int make_take_id(char out[33])
{
    uint8_t raw[16];
    size_t got = 0;

    /* getrandom(2): the kernel's CSPRNG (g_random is not one). */
    while (got < sizeof(raw)) {
        ssize_t n = getrandom(raw + got, sizeof(raw) - got, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        got += (size_t)n;
    }
    for (size_t i = 0; i < sizeof(raw); i++)
        snprintf(out + 2 * i, 3, "%02x", raw[i]);
    return 0;
}

/* 0 when dir can hold a new take (missing, or an empty folder); logged otherwise. *exists says which. */
static int check_dir(const char *dir, int *exists)
{
    struct stat sb;
    GDir *d;
    GError *gerr = NULL;
    int empty;

    *exists = 0;
    if (stat(dir, &sb) < 0) {
        int ret = -errno;
        if (ret == -ENOENT)
            return 0;
        ot_log(OT_LOG_ERROR, "mux", "cannot use take folder \"%s\": %s: %s", dir, ot_strerror(ret),
               fix_for(ret));
        return ret;
    }
    if (!S_ISDIR(sb.st_mode)) {
        ot_log(OT_LOG_ERROR, "mux",
               "take folder \"%s\" exists and is not a folder: choose a new --out folder", dir);
        return OT_ERROR_TAKE;
    }
    d = g_dir_open(dir, 0, &gerr);
    if (!d) {
        ot_log(OT_LOG_ERROR, "mux",
               "cannot read take folder \"%s\": %s: choose an --out folder you can write to", dir,
               gerr->message);
        g_error_free(gerr);
        return -EACCES;
    }
    empty = g_dir_read_name(d) == NULL;
    g_dir_close(d);
    if (!empty) {
        ot_log(OT_LOG_ERROR, "mux",
               "take folder \"%s\" is not empty: onetake never overwrites a take; choose a new --out folder",
               dir);
        return OT_ERROR_TAKE;
    }
    *exists = 1;
    return 0;
}

/* The highest missing folder on the way to dir (dir itself when its parent exists): what mkdir -p will
 * create. */
static char *first_missing(const char *dir)
{
    char *path = g_strdup(dir);

    for (;;) {
        char *parent = g_path_get_dirname(path);
        if (!strcmp(parent, path) || g_file_test(parent, G_FILE_TEST_EXISTS)) {
            g_free(parent);
            return path;
        }
        g_free(path);
        path = parent;
    }
}

static void *cuts_thread_main(void *opaque);

/* The pool, the queues and the cut log's thread. */
static int start_cuts_thread(MuxTake *take)
{
    take->cuts_free = sw_queue_alloc(MUX_TAKE_CUTS_QUEUE);
    take->cuts_todo = sw_queue_alloc(MUX_TAKE_CUTS_QUEUE);
    take->cuts_pool = calloc(MUX_TAKE_CUTS_QUEUE, sizeof(*take->cuts_pool));
    if (!take->cuts_free || !take->cuts_todo || !take->cuts_pool) {
        ot_log(OT_LOG_ERROR, "mux", "out of memory for the cut log's queue");
        return -ENOMEM;
    }
    for (int i = 0; i < MUX_TAKE_CUTS_QUEUE; i++)
        sw_queue_try_push(take->cuts_free, &take->cuts_pool[i]);
    int err = pthread_create(&take->cuts_thread, NULL, cuts_thread_main, take);
    if (err) {
        ot_log(OT_LOG_ERROR, "mux", "cannot start the cut log's thread: %s", ot_strerror(-err));
        return -err;
    }
    take->cuts_thread_on = 1;
    return 0;
}

/* Let the cut log's thread write what is queued and end; then free the queues. 0 or its first error. */
static int stop_cuts_thread(MuxTake *take)
{
    if (take->cuts_thread_on) {
        sw_queue_close(take->cuts_todo);
        pthread_join(take->cuts_thread, NULL);
        take->cuts_thread_on = 0;
    }
    sw_queue_free(&take->cuts_todo);
    sw_queue_free(&take->cuts_free);
    free(take->cuts_pool);
    take->cuts_pool = NULL;
    return atomic_load(&take->event_err);
}

static int create_cuts_file(MuxTake *take)
{
    char *path = g_build_filename(take->dir, MUX_TAKE_CUTS_FILE, NULL);
    int ret = 0;

    take->cuts_fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0644);
    if (take->cuts_fd < 0) {
        ret = -errno;
        ot_log(OT_LOG_ERROR, "mux", "cannot create \"%s\": %s: %s", path, ot_strerror(ret), fix_for(ret));
    }
    g_free(path);
    return ret ? ret : start_cuts_thread(take);
}

static int valid_config(const MuxTakeConfig *cfg)
{
    if (!cfg || !cfg->dir || !cfg->dir[0] || cfg->ncams < 1 || cfg->ncams > SW_MAX_CAMS || !cfg->cams ||
        cfg->rate.num <= 0 || cfg->rate.den <= 0 || cfg->width <= 0 || cfg->height <= 0)
        return 0;
    for (int i = 0; i < cfg->ncams; i++)
        if (!cfg->cams[i])
            return 0;
    return 1;
}

MuxTake *mux_take_create(const MuxTakeConfig *cfg)
{
    MuxTake *take = NULL;
    char *cues_text = NULL;
    gsize cues_len = 0;
    GError *gerr = NULL;
    int exists = 0;
    int ret;

    if (!valid_config(cfg)) {
        ot_log(OT_LOG_ERROR, "mux",
               "bad take configuration (folder, 1..%d cameras, size and rate are required)", SW_MAX_CAMS);
        return NULL;
    }
    if (check_dir(cfg->dir, &exists) < 0)
        return NULL;
    /* Read the cue list before touching the disk, so that a failure leaves nothing behind. */
    if (cfg->cues_path && !g_file_get_contents(cfg->cues_path, &cues_text, &cues_len, &gerr)) {
        ot_log(OT_LOG_ERROR, "mux", "cannot read cue list \"%s\": %s: check the --cues path", cfg->cues_path,
               gerr->message);
        g_error_free(gerr);
        return NULL;
    }

    take = g_new0(MuxTake, 1);
    take->cuts_fd = -1;
    take->dir = g_strdup(cfg->dir);
    /* No trailing '/': the folder's parents are then its dirnames (abort walks them). */
    for (size_t n = strlen(take->dir); n > 1 && take->dir[n - 1] == '/'; n--)
        take->dir[n - 1] = '\0';
    take->ncams = cfg->ncams;
    take->cams = g_new0(char *, (gsize)cfg->ncams + 1);
    take->sources = g_new0(char *, (gsize)cfg->ncams + 1);
    for (int i = 0; i < cfg->ncams; i++) {
        take->cams[i] = g_strdup(cfg->cams[i]);
        take->sources[i] = g_strdup(cfg->sources ? cfg->sources[i] : NULL);
    }
    take->rate = cfg->rate;
    take->drop_frame = sw_rate_allows_drop_frame(cfg->rate);
    take->width = cfg->width;
    take->height = cfg->height;
    take->codec = cfg->codec;
    take->command_line = g_strdup(cfg->command_line);
    take->gop = cfg->gop;
    take->threads = cfg->threads;
    take->audio_bits = cfg->audio_bits ? cfg->audio_bits : 24;
    take->iso_codec = g_strdup(cfg->iso_codec);
    take->replay_of = g_strdup(cfg->replay_of);
    take->preset = g_strdup(cfg->preset);
    take->iso_preset = g_strdup(cfg->iso_preset);
    take->has_cues = cfg->cues_path != NULL;
    ret = make_take_id(take->take_id);
    if (ret < 0) {
        ot_log(OT_LOG_ERROR, "mux", "cannot draw a random take id (getrandom): %s", ot_strerror(ret));
        goto fail;
    }

    if (!exists) {
        take->created_top = first_missing(take->dir);
        if (g_mkdir_with_parents(take->dir, 0755) < 0) {
            ret = -errno;
            ot_log(OT_LOG_ERROR, "mux", "cannot create take folder \"%s\": %s: %s", cfg->dir, ot_strerror(ret),
                   fix_for(ret));
            goto fail;
        }
        take->created_dir = 1;
    }
    take->started = now_iso8601();

    if (cues_text && write_atomic(take, MUX_TAKE_CUES_FILE, cues_text, cues_len) < 0)
        goto fail_abort;
    if (create_cuts_file(take) < 0)
        goto fail_abort;
    if (write_take_json(take, NULL) < 0)
        goto fail_abort;
    g_free(cues_text);
    ot_log(OT_LOG_INFO, "mux", "take %s in \"%s\"", take->take_id, take->dir);
    return take;

fail_abort:
    g_free(cues_text);
    mux_take_abort(&take);
    return NULL;
fail:
    g_free(cues_text);
    mux_take_free(&take);
    return NULL;
}

int mux_take_set_iso_codec(MuxTake *take, const char *iso_codec)
{
    if (!take || !take->iso_codec || !iso_codec)
        return -EINVAL;
    g_free(take->iso_codec);
    take->iso_codec = g_strdup(iso_codec);
    return write_take_json(take, NULL);
}

void mux_take_set_cues(MuxTake *take, const SwCueList *cues)
{
    if (take)
        take->cues = cues;
}

const char *mux_take_dir(const MuxTake *take)
{
    return take ? take->dir : NULL;
}

const char *mux_take_id(const MuxTake *take)
{
    return take ? take->take_id : NULL;
}

char *mux_take_path(const MuxTake *take, const char *name)
{
    if (!take || !name)
        return NULL;
    return g_build_filename(take->dir, name, NULL);
}

/* ---- cuts.jsonl ---- */

static const char *cam_name(const MuxTake *take, int cam)
{
    return cam >= 0 && cam < take->ncams ? take->cams[cam] : NULL;
}

/* The line of one event (g_free it). Runs on the cut log's thread: the cue list is read-only during the take. */
static char *cut_line(const MuxTake *take, const CutEntry *e, gsize *len)
{
    const SwEvent *ev = &e->ev;
    const SwCue *cue = NULL;
    char tc[32];

    if (take->cues && ev->cue_index >= 0)
        cue = sw_cues_get(take->cues, ev->cue_index);
    JsonBuilder *b = json_builder_new();
    json_builder_begin_object(b);
    proof_json_add_string(b, "type", sw_event_type_name(ev->type));
    add_int(b, "frame", ev->frame);
    proof_json_add_string(b, "timecode",
                          sw_timecode_format(take->rate, take->drop_frame, ev->frame, tc, (int)sizeof(tc)));
    proof_json_add_string(b, "camera", cam_name(take, ev->cam));
    add_int(b, "cam", ev->cam);
    proof_json_add_string(b, "prev", cam_name(take, ev->prev_cam));
    proof_json_add_string(b, "origin", sw_origin_name(ev->origin));
    if (ev->peer[0])
        proof_json_add_string(b, "peer", ev->peer); /* who sent a remote command */
    add_int_or_null(b, "cue_index", ev->cue_index, ev->cue_index < 0);
    add_int_or_null(b, "cue_line", cue ? cue->line : 0, !cue);
    proof_json_add_string(b, "label", cue ? cue->label : NULL);
    if (ev->type != SW_EVENT_END)
        mux_trans_json_add(b, &ev->trans);
    if (ev->type == SW_EVENT_COMPLETE)
        add_int(b, "mixed", ev->mixed); /* frames mixed before the early completion; "length" the planned ones */
    if (ev->input != SW_INPUT_NONE)
        proof_json_add_string(b, "input", sw_input_name(ev->input)); /* key, script or control */
    add_int(b, "wall_ns", e->wall_ns);
    json_builder_end_object(b);
    return json_to_text(b, 0, len);
}

/* The cut log's thread: one write per line (O_APPEND), synced once nothing more is waiting (cuts are rare and
 * each one must survive a crash). After the first error it only drains the queue. */
static void *cuts_thread_main(void *opaque)
{
    MuxTake *take = opaque;
    CutEntry *e;

    pthread_setname_np(pthread_self(), "ot-cuts");
    while ((e = sw_queue_pop(take->cuts_todo))) {
        if (!atomic_load(&take->event_err)) {
            gsize len;
            char *text = cut_line(take, e, &len);
            int ret = ot_write_all(take->cuts_fd, text, len);
            if (!ret && sw_queue_size(take->cuts_todo) == 0 && fdatasync(take->cuts_fd) < 0)
                ret = -errno;
            g_free(text);
            if (ret) {
                char *path = g_build_filename(take->dir, MUX_TAKE_CUTS_FILE, NULL);
                ot_log(OT_LOG_ERROR, "mux", "cannot write \"%s\": %s: %s", path, ot_strerror(ret), fix_for(ret));
                g_free(path);
                atomic_store(&take->event_err, ret);
            }
        }
        sw_queue_try_push(take->cuts_free, e);
    }
    return NULL;
}

/* Program thread: no I/O, no GLib. Stash the event for the cut log's thread. */
static int take_event(void *opaque, const SwEvent *ev)
{
    MuxTake *take = opaque;
    struct timespec ts;

    if (!ev)
        return -EINVAL;
    int err = atomic_load(&take->event_err);
    if (err)
        return err;
    if (ev->type == SW_EVENT_SUB)
        return 0; /* a subtitle line is no cut: it is in program.mkv's subtitle track */
    if (!take->cuts_thread_on)
        return -EPIPE;
    CutEntry *e = sw_queue_try_pop(take->cuts_free);
    if (!e) {
        atomic_fetch_add(&take->cuts_dropped, 1);
        return 0;
    }
    clock_gettime(CLOCK_REALTIME, &ts);
    e->ev = *ev;
    e->wall_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
    if (sw_queue_try_push(take->cuts_todo, e) < 0) {
        sw_queue_try_push(take->cuts_free, e);
        return -EPIPE;
    }
    return 0;
}

SwSink mux_take_event_sink(MuxTake *take)
{
    SwSink sink = {0};
    sink.opaque = take;
    sink.event = take_event;
    return sink;
}

/* ---- close, abort, free ---- */

/* Join the cut log's thread (it writes what is queued), then sync and close. Each error is logged once. */
static int close_cuts(MuxTake *take)
{
    int written = stop_cuts_thread(take); /* logged by the thread */
    long long dropped = atomic_load(&take->cuts_dropped);
    int ret = 0;

    if (take->cuts_fd < 0)
        return written;
    if (dropped > 0 && !written) {
        ot_log(OT_LOG_ERROR, "mux", "%lld executed event%s not written to %s: the disk held the cut log back for "
               "%d events: record to a faster disk", dropped, dropped == 1 ? "" : "s", MUX_TAKE_CUTS_FILE,
               MUX_TAKE_CUTS_QUEUE);
        written = -ENOBUFS;
    }
    if (fdatasync(take->cuts_fd) < 0)
        ret = -errno;
    if (close(take->cuts_fd) < 0 && !ret)
        ret = -errno;
    take->cuts_fd = -1;
    if (ret && !written) {
        char *path = g_build_filename(take->dir, MUX_TAKE_CUTS_FILE, NULL);
        ot_log(OT_LOG_ERROR, "mux", "cannot close \"%s\": %s: %s", path, ot_strerror(ret), fix_for(ret));
        g_free(path);
    }
    return written ? written : ret;
}

int mux_take_close(MuxTake *take, const MuxTakeSummary *summary)
{
    int ret;
    int ret2;

    if (!take || !summary)
        return -EINVAL;
    ret = close_cuts(take);
    ret2 = write_take_json(take, summary);
    take->closed = 1;
    return ret ? ret : ret2;
}

void mux_take_abort(MuxTake **ptake)
{
    static const char *const names[] = {
        MUX_TAKE_JSON_FILE,        MUX_TAKE_JSON_FILE ".tmp", MUX_TAKE_CUES_FILE,
        MUX_TAKE_CUES_FILE ".tmp", MUX_TAKE_CUTS_FILE,        MUX_TAKE_PROGRAM_FILE,
        "take.log",                "checkpoints.txt", /* the proof's (proof/proof.h), before the first frame */
    };
    MuxTake *take = ptake ? *ptake : NULL;

    if (!take)
        return;
    stop_cuts_thread(take);
    if (take->cuts_fd >= 0) {
        close(take->cuts_fd);
        take->cuts_fd = -1;
    }
    /* The folder was empty when the take began: these names are this take's. */
    for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
        char *path = g_build_filename(take->dir, names[i], NULL);
        if (unlink(path) < 0 && errno != ENOENT)
            ot_log(OT_LOG_WARNING, "mux", "cannot remove \"%s\": %s: remove it by hand", path,
                   ot_strerror(-errno));
        g_free(path);
    }
    /* The folder and the parents that mux_take_create made for it, innermost first. */
    if (take->created_dir) {
        char *path = g_strdup(take->dir);
        for (;;) {
            char *parent;
            if (rmdir(path) < 0) {
                ot_log(OT_LOG_WARNING, "mux", "cannot remove folder \"%s\": %s: remove it by hand", path,
                       ot_strerror(-errno));
                break;
            }
            if (!strcmp(path, take->created_top))
                break;
            parent = g_path_get_dirname(path);
            g_free(path);
            path = parent;
        }
        g_free(path);
    }
    mux_take_free(ptake);
}

void mux_take_free(MuxTake **ptake)
{
    MuxTake *take = ptake ? *ptake : NULL;

    if (!take)
        return;
    stop_cuts_thread(take);
    if (take->cuts_fd >= 0)
        close(take->cuts_fd);
    g_free(take->dir);
    g_free(take->created_top);
    for (int i = 0; i < take->ncams; i++) {
        g_free(take->cams[i]);
        g_free(take->sources[i]);
    }
    g_free(take->cams);
    g_free(take->sources);
    g_free(take->command_line);
    g_free(take->iso_codec);
    g_free(take->replay_of);
    g_free(take->preset);
    g_free(take->iso_preset);
    g_free(take->started);
    g_free(take);
    *ptake = NULL;
}
