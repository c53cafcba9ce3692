/* onetake mux: ISOs, one Matroska file per camera (layout: docs/take-folder.md, "iso/").
 *
 * The tap is the runner's camera_frame sink: for every tick, every camera's frame for that tick (the one the
 * switcher would put on program), so ISO frame k is take frame k for every camera, on the one take clock. A
 * camera with no new frame at a tick gives its previous frame again (repeat): it is written again, so the ISO
 * stays frame aligned, and counted. Each ISO is a MuxWriter (its own mux thread and bounded queue) around a
 * MuxOutput, so the program thread only moves references, and whatever the mux writer does for one output
 * (hashing, commits) it does for the ISOs too.
 *
 * Lockstep (file sources): a full ISO queue blocks the program thread, like the program's own writer: the
 * slowest encoder paces the take and nothing is lost. Real time (live sources): the program thread never
 * waits for an ISO: when its queue is full the frame is dropped and counted; the run of dropped ticks travels
 * with the ISO's next frame and is declared (on_drop) on the ISO's mux thread, the one thread that may write
 * the ISO's proof stream. The ISO has no packet at pts k, so every later frame keeps its take index.
 *
 * An ISO that fails (disk, encoder) is logged once and stops; the take goes on, because the master comes
 * first: mux_iso_finish returns the error and take.json says which ISO failed at which frame.
 *
 * Copy ISOs (MUX_CODEC_COPY): no MuxWriter and no frames queued; the sink only posts how far the take has
 * shown each camera, and a MuxIsoCopy (mux_iso_copy.c) remuxes the camera's file up to there on its own
 * thread, on the take clock at the camera's own rate (no repeats written, never a drop); a live camera's copy
 * ISO (MuxIsoLive, mux_iso_live.c) records the packets capture tapped from its stream, the same way.
 *
 * Threads and locks: the sink runs on the program thread; mux_iso_get_stats may run on any thread. `lock`
 * protects the counters of every IsoCam (leaf lock, never held while calling into a writer). Alloc, finish,
 * abort and free run on the owner's thread. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "mux.h"
#include "mux_int.h"
#include "ot_common.h"

/* Live ISOs' encoders and writers run this much nicer than the program path (CFS weight 1024 -> 335). */
#define MUX_ISO_NICE 5

/* Deeper than the program writer's 4: an ISO encoder that is briefly slower (a big FFV1 frame, a disk hiccup)
 * should not cost a live frame. Still well under the cameras' buffer pools, which hold every queued frame. */
#define MUX_ISO_DEFAULT_QUEUE 8

typedef struct IsoCam {
    MuxIso *iso;
    int index;
    char *name;
    char *file; /* "iso/NAME.mkv" */
    char *path; /* dir/iso/NAME.mkv */
    MuxWriter *writer;
    MuxIsoCopy *copy; /* instead of writer with MUX_CODEC_COPY: the camera's file remuxed (mux_iso_copy.c) */
    MuxIsoLive *live; /* or, for a live camera, its compressed stream (mux_iso_live.c) */
    int created; /* the file exists because of us (abort removes it) */
    int finished;
    /* Counters: under MuxIso.lock. */
    int64_t frames, repeats, dropped, failed_at;
    int error;
} IsoCam;

struct MuxIso {
    char *iso_dir;
    int created_dir;
    int ncams;
    int gop;
    int realtime;
    void (*on_drop)(void *opaque, int cam, int64_t first_tick, int64_t count);
    void *on_drop_opaque;
    IsoCam cams[SW_MAX_CAMS];
    pthread_mutex_t lock;
};

/* MuxWriter's gap hook, on the ISO's mux thread: the thread that owns the ISO declares its dropped run. */
static void iso_gap(void *opaque, int64_t first, int64_t count)
{
    IsoCam *c = opaque;
    c->iso->on_drop(c->iso->on_drop_opaque, c->index, first, count);
}

static int iso_camera_frame(void *opaque, int cam, int64_t tick, OtFrame *frame, int repeat)
{
    MuxIso *iso = opaque;
    IsoCam *c;
    int ret;

    if (cam < 0 || cam >= iso->ncams || !frame)
        return -EINVAL;
    c = &iso->cams[cam];
    if (c->error) /* read on the only thread that writes it */
        return 0;
    /* FFV1 is intra only; H.264 ISOs get a keyframe on the same grid as the program (ISOs have no cuts). A
     * copy ISO only learns how far the take has shown the camera: its own thread remuxes up to there. */
    if (c->copy)
        ret = mux_iso_copy_post(c->copy, tick, frame);
    else if (c->live)
        ret = mux_iso_live_post(c->live, tick, frame);
    else
        ret = mux_writer_push(c->writer, frame, tick, tick % iso->gop == 0, !iso->realtime);
    if (ret == -EAGAIN) {
        /* Counted here; declared by the ISO's mux thread with its next frame (mux_writer_set_gap_hook). */
        pthread_mutex_lock(&iso->lock);
        c->dropped++;
        pthread_mutex_unlock(&iso->lock);
        return 0;
    }
    if (ret < 0) {
        pthread_mutex_lock(&iso->lock);
        c->error = ret;
        c->failed_at = tick;
        pthread_mutex_unlock(&iso->lock);
        /* The writer logged what failed; this says what it means for the take. */
        ot_log(OT_LOG_ERROR, "iso",
               "ISO of camera \"%s\" (%s) stopped at frame %" PRId64
               ": %s; the program and the other ISOs go on",
               c->name, c->path, tick, ot_strerror(ret));
        return 0;
    }
    pthread_mutex_lock(&iso->lock);
    c->frames++;
    if (repeat)
        c->repeats++;
    pthread_mutex_unlock(&iso->lock);
    return 0;
}

static int valid_config(const MuxIsoConfig *cfg)
{
    if (!cfg || !cfg->dir || !cfg->cams || cfg->ncams < 1 || cfg->ncams > SW_MAX_CAMS || cfg->width <= 0 ||
        cfg->height <= 0 || cfg->rate.num <= 0 || cfg->rate.den <= 0 || cfg->queue_len < 0 || cfg->gop < 0)
        return 0;
    for (int i = 0; i < cfg->ncams; i++)
        if (!cfg->cams[i] || !cfg->cams[i][0] || strchr(cfg->cams[i], '/') ||
            (cfg->codec == MUX_CODEC_COPY && (!cfg->sources || !cfg->sources[i])))
            return 0;
    return 1;
}

MuxIso *mux_iso_alloc(const MuxIsoConfig *cfg)
{
    MuxIso *iso;
    int queue_len;

    if (!valid_config(cfg)) {
        ot_log(OT_LOG_ERROR, "iso", "bad ISO configuration (take folder, 1..%d camera names, size, rate)",
               SW_MAX_CAMS);
        return NULL;
    }
    iso = g_new0(MuxIso, 1);
    pthread_mutex_init(&iso->lock, NULL);
    iso->ncams = cfg->ncams;
    iso->gop = cfg->gop > 0 ? cfg->gop : sw_rate_nominal(cfg->rate);
    if (iso->gop < 1)
        iso->gop = 1;
    iso->realtime = cfg->realtime;
    iso->on_drop = cfg->on_drop;
    iso->on_drop_opaque = cfg->on_drop_opaque;
    queue_len = cfg->queue_len > 0 ? cfg->queue_len : MUX_ISO_DEFAULT_QUEUE;
    for (int i = 0; i < iso->ncams; i++)
        iso->cams[i].failed_at = -1;

    /* The take folder was empty when the take began: iso/ is ours, and must not exist yet. */
    iso->iso_dir = g_build_filename(cfg->dir, MUX_TAKE_ISO_DIR, NULL);
    if (g_mkdir(iso->iso_dir, 0755) < 0) {
        int err = -errno;
        ot_log(
            OT_LOG_ERROR, "iso", "cannot create the ISO folder \"%s\": %s: %s", iso->iso_dir, ot_strerror(err),
            err == -EEXIST ? "the take folder must be new or empty" : "check the disk and the --out folder");
        goto fail;
    }
    iso->created_dir = 1;

    for (int i = 0; i < iso->ncams; i++) {
        IsoCam *c = &iso->cams[i];
        char *role = g_strdup_printf("iso %s", cfg->cams[i]);
        char *title = g_strdup_printf("onetake iso %s", cfg->cams[i]);
        char *arole = g_strdup_printf("iso %s audio", cfg->cams[i]);
        MuxOutput *out;

        c->name = g_strdup(cfg->cams[i]);
        c->file = g_strdup_printf("%s/%s.mkv", MUX_TAKE_ISO_DIR, cfg->cams[i]);
        c->path = g_build_filename(cfg->dir, c->file, NULL);
        MuxOutputConfig oc = {
            .path = c->path,
            .codec = cfg->codec,
            .width = cfg->width,
            .height = cfg->height,
            .rate = cfg->rate,
            .gop = iso->gop,
            .preset = cfg->preset,
            /* Live: the program's ticks come first; an ISO that falls behind drops into its queue, declared. */
            .nice = cfg->realtime ? MUX_ISO_NICE : 0,
            .take_id = cfg->take_id,
            .role = role,
            .title = title,
            .timecode = cfg->timecode,
            .audio_channels = cfg->codec == MUX_CODEC_COPY ? 0 : cfg->audio_channels[i], /* copy: remuxed */
            .audio_bits = cfg->audio_bits,
            .audio_title = cfg->cams[i],
            .audio_role = arole,
        };
        if (cfg->configure)
            cfg->configure(cfg->configure_opaque, i, &oc);
        c->iso = iso;
        c->index = i;
        if (cfg->codec == MUX_CODEC_COPY) {
            if (cfg->live && cfg->live[i].opaque)
                c->live = mux_iso_live_alloc(&oc, c->name, i, &cfg->live[i], cfg->rate, cfg->on_anomaly,
                                             cfg->on_anomaly_opaque);
            else /* the camera's own audio packets too, when it has them (audio_channels: any nonzero) */
                c->copy = mux_iso_copy_alloc(&oc, c->name, cfg->sources[i], cfg->audio_channels[i] > 0);
            g_free(role);
            g_free(title);
            g_free(arole);
            if (!c->copy && !c->live)
                goto fail;
            c->created = 1;
            continue;
        }
        out = mux_output_alloc(&oc); /* logs its own errors, with the path */
        g_free(role);
        g_free(title);
        g_free(arole);
        if (!out)
            goto fail;
        c->created = 1;
        c->writer = mux_writer_alloc(out, queue_len, iso->gop);
        if (!c->writer) {
            mux_output_free(&out);
            goto fail;
        }
        if (iso->on_drop)
            mux_writer_set_gap_hook(c->writer, iso_gap, c);
    }
    ot_log(OT_LOG_VERBOSE, "iso", "%d ISOs in \"%s\" (%s, %s, queue %d)", iso->ncams, iso->iso_dir,
           mux_codec_name(cfg->codec),
           iso->realtime ? "real time: drop when full" : "lockstep: block when full", queue_len);
    return iso;

fail:
    mux_iso_abort(&iso);
    return NULL;
}

/* The camera's own audio, for its ISO's audio track: stashed for the ISO's next frame, like the program's. */
static int iso_camera_audio(void *opaque, int cam, int64_t first, const SwSample *samples, int n, int channels,
                            int missing)
{
    MuxIso *iso = opaque;
    (void)first;
    (void)missing;
    if (cam < 0 || cam >= iso->ncams)
        return -EINVAL;
    IsoCam *c = &iso->cams[cam];
    if (!c->writer || c->error)
        return 0;
    int ret = mux_writer_audio(c->writer, 0, samples, n, channels);
    if (ret < 0) {
        pthread_mutex_lock(&iso->lock);
        c->error = ret;
        c->failed_at = c->frames;
        pthread_mutex_unlock(&iso->lock);
        ot_log(OT_LOG_ERROR, "iso", "ISO of camera \"%s\": its audio (%d channels) does not fit its track: %s",
               c->name, channels, ot_strerror(ret));
    }
    return 0;
}

SwSink mux_iso_sink(MuxIso *iso)
{
    SwSink sink = {0};
    sink.opaque = iso;
    sink.camera_frame = iso_camera_frame;
    sink.camera_audio = iso_camera_audio;
    return sink;
}

int mux_iso_count(const MuxIso *iso)
{
    return iso ? iso->ncams : 0;
}

int mux_iso_finish(MuxIso *iso)
{
    int first = 0;

    if (!iso)
        return -EINVAL;
    for (int i = 0; i < iso->ncams; i++) {
        IsoCam *c = &iso->cams[i];
        int64_t copy_failed_at = -1;
        int ret;
        if ((!c->writer && !c->copy && !c->live) || c->finished)
            continue;
        c->finished = 1;
        ret = c->copy   ? mux_iso_copy_finish(c->copy, &copy_failed_at)
              : c->live ? mux_iso_live_finish(c->live, &copy_failed_at)
                        : mux_writer_finish(c->writer);
        pthread_mutex_lock(&iso->lock);
        if (ret < 0 && !c->error) {
            c->error = ret; /* failed while draining or closing */
            c->failed_at = copy_failed_at >= 0 ? copy_failed_at : c->frames;
        }
        if (c->error && !first)
            first = c->error;
        pthread_mutex_unlock(&iso->lock);
    }
    return first;
}

void mux_iso_get_stats(MuxIso *iso, int i, MuxIsoStats *st)
{
    if (!st)
        return;
    memset(st, 0, sizeof(*st));
    st->failed_at = -1;
    if (!iso || i < 0 || i >= iso->ncams)
        return;
    IsoCam *c = &iso->cams[i];
    st->camera = c->name;
    st->file = c->file;
    pthread_mutex_lock(&iso->lock);
    st->frames = c->frames;
    st->repeats = c->repeats;
    st->dropped = c->dropped;
    st->failed_at = c->failed_at;
    st->error = c->error;
    pthread_mutex_unlock(&iso->lock);
    if (c->copy)
        mux_iso_copy_get_stats(c->copy, &st->out);
    else if (c->live)
        mux_iso_live_get_stats(c->live, st);
    else
        mux_writer_get_stats(c->writer, &st->out);
}

static void free_cams(MuxIso *iso, int remove_files)
{
    for (int i = 0; i < iso->ncams; i++) {
        IsoCam *c = &iso->cams[i];
        mux_writer_free(&c->writer);
        mux_iso_copy_free(&c->copy);
        mux_iso_live_free(&c->live);
        if (remove_files && c->created && unlink(c->path) < 0 && errno != ENOENT)
            ot_log(OT_LOG_WARNING, "iso", "cannot remove \"%s\": %s: remove it by hand", c->path,
                   ot_strerror(-errno));
        g_free(c->name);
        g_free(c->file);
        g_free(c->path);
        memset(c, 0, sizeof(*c));
    }
}

void mux_iso_set_roll(MuxIso *iso, int64_t roll_ns)
{
    for (int i = 0; iso && i < iso->ncams; i++)
        mux_iso_live_set_roll(iso->cams[i].live, roll_ns);
}

void mux_iso_abort(MuxIso **piso)
{
    MuxIso *iso = piso ? *piso : NULL;

    if (!iso)
        return;
    /* Nothing was recorded: leave nothing behind that looks like an ISO. */
    free_cams(iso, 1);
    if (iso->created_dir && rmdir(iso->iso_dir) < 0)
        ot_log(OT_LOG_WARNING, "iso", "cannot remove folder \"%s\": %s: remove it by hand", iso->iso_dir,
               ot_strerror(-errno));
    iso->created_dir = 0;
    mux_iso_free(piso);
}

void mux_iso_free(MuxIso **piso)
{
    MuxIso *iso = piso ? *piso : NULL;

    if (!iso)
        return;
    free_cams(iso, 0); /* mux_writer_free finishes a writer that was not */
    pthread_mutex_destroy(&iso->lock);
    g_free(iso->iso_dir);
    g_free(iso);
    *piso = NULL;
}
