/* onetake: the take runner (program thread loop).
 *
 * Two ways to get a camera's frame for a tick. File sources are pulled in lockstep (pull blocks until the next
 * frame is decoded): deterministic, as fast as the program is made or paced with `realtime`. Live sources are
 * polled (never waited for): capture keeps a small bounded queue per camera that its streaming thread fills
 * (leaking the oldest), and at each tick, due at roll + i/fps + latency on CLOCK_MONOTONIC, the runner drains it
 * and keeps the latest frame captured at or before roll + i/fps. A live camera that capture reports lost shows its
 * last frame for hold_ns, then its slate; it is picked up again as soon as it delivers. Nothing here waits on a
 * live camera, allocates per frame, or does I/O: declarations (anomalies) and audio go to the sinks, whose
 * callbacks copy into storage they preallocated. */
#include "sw_runner.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ot_common.h"

typedef struct RunCam {
    SwSource src;
    /* Its audio (src.audio.read): read once a tick into abuf (audio_cap x achannels), given to the camera_audio
     * sinks and to the tracks that take it. */
    SwSample *abuf;
    int achannels;
    int amissing;
    OtFrame *cur;  /* the frame shown at the current tick (held) */
    OtFrame *next; /* lookahead: pulled, later than the current tick */
    int done;      /* no more pulls: the source ended or failed */
    int fresh;     /* cur came from the source at the current tick */
    int given;     /* cur was already handed to the sinks at an earlier tick */
    int64_t advanced; /* last tick the camera was brought up to (program_only leaves cameras behind) */
    /* program_only: the shot the source was last sought to, in ticks: frames from seg_in, stopping before seg_out
     * (-1: open). stale: sought, the lookahead not pulled yet (pulled when the camera is needed, so that the seek
     * never waits for the decoder). */
    int64_t seg_in, seg_out;
    int stale;
    SwCamStats st; /* program thread only; copied into SwRunner.stats under stats_lock */
    /* Live cameras. */
    int lost;             /* capture says it has no signal */
    int64_t lost_ns;      /* when the runner found it lost */
    int64_t lost_tick;
    int slated;           /* cur is the slate */
    int64_t overflow_base; /* the source's overflow count when tick 0 is made */
    int64_t reported[3];  /* repeats, drops, overflow already declared */
    int64_t report_tick;  /* first tick not yet covered by a report */
} RunCam;

typedef struct RunTrack {
    SwSample *buf; /* audio_cap x channels */
    int channels;
    int64_t gap_first_tick, gap_frames, gap_ticks; /* the run of silence being counted, gap_ticks 0: none */
} RunTrack;

struct SwRunner {
    SwRunnerConfig cfg;
    SwSwitcher *sw; /* borrowed */
    int ncams;
    RunCam cams[SW_MAX_CAMS];
    SwSink sinks[SW_MAX_SINKS];
    int nsinks;
    int ran;
    atomic_int stop_requested;
    pthread_mutex_t stats_lock; /* leaf lock: stats */
    SwRunnerStats stats;
    /* Live. */
    int64_t roll_ns;   /* take time 0 on the clock */
    int64_t period_ns; /* one frame, for lateness (rounded) */
    /* Program audio (program thread only): per track one tick's samples, preallocated. */
    RunTrack tracks[SW_AUDIO_MAX_TRACKS];
    int ntracks;
    int audio_cap; /* frames a track's buf holds */
    int prev_program_cam; /* program camera of the previous tick (its audio with afv) */
    SwMixer *mixer;       /* transitions' frames (sw_transition.h) */
};

const char *sw_anomaly_kind_name(SwAnomalyKind kind)
{
    switch (kind) {
    case SW_ANOMALY_CAMERA_LOST:
        return "camera-lost";
    case SW_ANOMALY_CAMERA_BACK:
        return "camera-back";
    case SW_ANOMALY_CAMERA_REPEAT:
        return "camera-repeat";
    case SW_ANOMALY_CAMERA_DROP:
        return "camera-drop";
    case SW_ANOMALY_CAMERA_OVERFLOW:
        return "camera-overflow";
    case SW_ANOMALY_AUDIO_GAP:
        return "audio-gap";
    case SW_ANOMALY_LTC_JUMP:
        return "ltc-jump";
    case SW_ANOMALY_LTC_LOST:
        return "ltc-lost";
    }
    return "unknown";
}


static int64_t clock_now(const SwRunner *r)
{
    return r->cfg.clock_now ? r->cfg.clock_now(r->cfg.clock_opaque) : ot_mono_ns();
}

static void clock_wait_until(const SwRunner *r, int64_t due)
{
    if (r->cfg.clock_wait_until) {
        r->cfg.clock_wait_until(r->cfg.clock_opaque, due);
        return;
    }
    struct timespec ts = {.tv_sec = (time_t)(due / 1000000000LL), .tv_nsec = (long)(due % 1000000000LL)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
}

/* Tracks: 1, 2, 6 or 8 channels; stems need a first track and a source each; afv's cameras are stereo. */
static int audio_config_ok(const SwRunnerConfig *cfg)
{
    int ch = cfg->audio_channels > 0 ? cfg->audio_channels : SW_AUDIO_CHANNELS;
    if (ch > SW_AUDIO_MAX_CHANNELS || (cfg->audio == SW_AUDIO_FOLLOW_VIDEO && ch != SW_AUDIO_CHANNELS))
        return 0;
    if (cfg->nstems < 0 || cfg->nstems > SW_AUDIO_MAX_TRACKS - 1 || (cfg->nstems > 0 && cfg->audio == SW_AUDIO_NONE))
        return 0;
    for (int i = 0; i < cfg->nstems; i++)
        if (!cfg->stems[i].read || SW_AUDIO_SOURCE_CHANNELS(&cfg->stems[i]) > SW_AUDIO_MAX_CHANNELS)
            return 0;
    return 1;
}

static int alloc_tracks(SwRunner *r, const SwRunnerConfig *cfg)
{
    /* The longest tick: ceil(48000 x den / num) frames. */
    int64_t cap = ((int64_t)SW_AUDIO_RATE * cfg->rate.den + cfg->rate.num - 1) / cfg->rate.num + 1;
    if (cap > (1 << 24))
        return -EINVAL;
    r->audio_cap = (int)cap;
    r->ntracks = 1 + cfg->nstems;
    for (int t = 0; t < r->ntracks; t++) {
        RunTrack *k = &r->tracks[t];
        k->channels = t == 0 ? (cfg->audio_channels > 0 ? cfg->audio_channels : SW_AUDIO_CHANNELS)
                             : SW_AUDIO_SOURCE_CHANNELS(&cfg->stems[t - 1]);
        if (!(k->buf = calloc((size_t)cap * (size_t)k->channels, sizeof(SwSample))))
            return -ENOMEM;
    }
    return 0;
}

static void free_tracks(SwRunner *r)
{
    for (int t = 0; t < SW_AUDIO_MAX_TRACKS; t++)
        free(r->tracks[t].buf);
    for (int i = 0; i < SW_MAX_CAMS; i++)
        free(r->cams[i].abuf);
}

/* Every camera with audio has a tick's buffer: its audio is read once a tick, whoever takes it. */
static int alloc_camera_audio(SwRunner *r, const SwSource *sources, int nsources, const SwRunnerConfig *cfg)
{
    int64_t cap = ((int64_t)SW_AUDIO_RATE * cfg->rate.den + cfg->rate.num - 1) / cfg->rate.num + 1;
    for (int i = 0; i < nsources; i++) {
        const SwAudioSource *a = &sources[i].audio;
        if (!a->read)
            continue;
        if (SW_AUDIO_SOURCE_CHANNELS(a) > SW_AUDIO_MAX_CHANNELS || cap > (1 << 24))
            return -EINVAL;
        r->cams[i].achannels = SW_AUDIO_SOURCE_CHANNELS(a);
        if (!(r->cams[i].abuf = calloc((size_t)cap * (size_t)r->cams[i].achannels, sizeof(SwSample))))
            return -ENOMEM;
        r->audio_cap = (int)cap;
    }
    return 0;
}

SwRunner *sw_runner_alloc(const SwRunnerConfig *cfg, SwSwitcher *sw, const SwSource *sources, int nsources)
{
    if (!cfg || !sw || !sources || nsources < 1 || nsources > SW_MAX_CAMS ||
        nsources != sw_switcher_ncams(sw))
        return NULL;
    if (cfg->rate.num <= 0 || cfg->rate.den <= 0)
        return NULL;
    for (int i = 0; i < nsources; i++)
        if (sources[i].live ? !sources[i].poll : !sources[i].pull)
            return NULL;
    if (cfg->audio == SW_AUDIO_CAMERA && (cfg->audio_cam < 0 || cfg->audio_cam >= nsources))
        return NULL;
    if (!audio_config_ok(cfg))
        return NULL;
    SwRunner *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    if ((cfg->audio != SW_AUDIO_NONE && alloc_tracks(r, cfg) < 0) ||
        alloc_camera_audio(r, sources, nsources, cfg) < 0) {
        free_tracks(r);
        free(r);
        return NULL;
    }
    if (pthread_mutex_init(&r->stats_lock, NULL) != 0) {
        free_tracks(r);
        free(r);
        return NULL;
    }
    r->cfg = *cfg;
    r->sw = sw;
    r->ncams = nsources;
    for (int i = 0; i < nsources; i++) {
        r->cams[i].src = sources[i];
        r->cams[i].st.live = sources[i].live;
    }
    atomic_init(&r->stop_requested, 0);
    r->stats.ncams = nsources;
    r->stats.program_cam = -1;
    r->stats.live = cfg->live;
    r->stats.audio_channels = r->ntracks > 0 ? r->tracks[0].channels : 0;
    r->stats.audio_tracks = r->ntracks;
    r->prev_program_cam = -1;
    for (int i = 0; i < nsources; i++)
        r->stats.cams[i] = r->cams[i].st;
    return r;
}

static void release_frames(SwRunner *r)
{
    for (int i = 0; i < r->ncams; i++) {
        ot_frame_unref(&r->cams[i].cur);
        ot_frame_unref(&r->cams[i].next);
    }
}

void sw_runner_free(SwRunner **r)
{
    if (!r || !*r)
        return;
    release_frames(*r);
    pthread_mutex_destroy(&(*r)->stats_lock);
    free_tracks(*r);
    sw_mixer_free(&(*r)->mixer);
    free(*r);
    *r = NULL;
}

int sw_runner_add_sink(SwRunner *r, const SwSink *sink)
{
    if (!r || !sink)
        return -EINVAL;
    if (r->nsinks == SW_MAX_SINKS)
        return -ENOSPC;
    r->sinks[r->nsinks++] = *sink;
    return 0;
}

void sw_runner_stop(SwRunner *r)
{
    if (r)
        atomic_store(&r->stop_requested, 1);
}

int64_t sw_runner_get_roll_ns(const SwRunner *r)
{
    return r ? r->roll_ns : 0;
}

void sw_runner_get_stats(SwRunner *r, SwRunnerStats *stats)
{
    if (!r || !stats)
        return;
    pthread_mutex_lock(&r->stats_lock);
    *stats = r->stats;
    pthread_mutex_unlock(&r->stats_lock);
}

/* ---- cameras ---- */

/* Fill c->next from the source; on EOF or failure the camera is done (its last frame stays on). */
static void pull_next(RunCam *c, int index)
{
    OtFrame *f = NULL;
    int ret = c->src.pull(c->src.opaque, &f);
    if (ret == 0 && f) {
        c->next = f;
        c->st.frames++;
        return;
    }
    ot_frame_unref(&f); /* a source that returned an error and a frame anyway */
    if (ret == OT_ERROR_SEGMENT_END)
        return; /* the shot it was sought to is decoded: nothing more until the next seek */
    if (ret == 0)
        ret = -EIO; /* success without a frame is a broken source */
    c->done = 1;
    if (ret == OT_ERROR_EOF) {
        c->st.ended = 1;
        ot_log(OT_LOG_VERBOSE, "runner", "camera %s (%d) ended after %lld frames",
               c->src.name ? c->src.name : "?", index, (long long)c->st.frames);
    } else {
        c->st.failed = 1;
        ot_log(OT_LOG_ERROR, "runner",
               "camera %s (%d) failed after %lld frames: %s; the take goes on with its last "
               "frame",
               c->src.name ? c->src.name : "?", index, (long long)c->st.frames, ot_strerror(ret));
    }
}

static void promote(RunCam *c, int index)
{
    ot_frame_unref(&c->cur);
    c->cur = c->next;
    c->next = NULL;
    c->given = 0;
    pull_next(c, index);
}

/* Make cur the latest frame at or before the tick's time. */
static void advance(RunCam *c, int index, int64_t tick, int64_t limit_ns)
{
    int64_t promoted = 0;
    if (tick == 0 && !c->cur && c->next) {
        promote(c, index); /* every source's first frame lands on take frame 0 */
        promoted++;
    }
    while (c->next && c->next->pts_ns <= limit_ns) {
        promote(c, index);
        promoted++;
    }
    c->fresh = promoted > 0;
    if (promoted > 1)
        c->st.drops += promoted - 1;
}

/* program_only: a camera left behind for more than this is sought to the cut rather than decoded up to it. A
 * second covers the GOP of most cameras: closer than that, decoding through costs no more than the seek would. */
#define SW_RUNNER_SEEK_AHEAD_NS 1000000000LL

/* A planned shot end (-1: open), no later than --duration. */
static int64_t clamp_end(const SwRunner *r, int64_t out)
{
    return r->cfg.max_frames >= 0 && (out < 0 || out > r->cfg.max_frames) ? r->cfg.max_frames : out;
}

/* The planned end of camera cam's shot on program from `tick` (the timed cues and --duration), -1: open. */
static int64_t plan_shot_end(const SwRunner *r, int cam, int64_t tick)
{
    return clamp_end(r, sw_cues_shot_end(sw_switcher_cues(r->sw), cam, tick));
}

/* Seek camera index to its shot [in, out) (ticks, out -1: open). The lookahead is dropped now and pulled when the
 * camera is needed: the seek itself does not wait for the decoder, which prerolls the shot meanwhile. */
static int seek_shot(SwRunner *r, int index, int64_t in, int64_t out)
{
    RunCam *c = &r->cams[index];
    int ret = c->src.seek(c->src.opaque, sw_rate_frame_to_ns(r->cfg.rate, in),
                          out >= 0 ? sw_rate_frame_to_ns(r->cfg.rate, out) : -1);
    if (ret < 0) {
        ot_log(OT_LOG_WARNING, "runner", "camera %s cannot seek to frame %lld (%s): decoding through",
               c->src.name ? c->src.name : "?", (long long)in, ot_strerror(ret));
        return ret;
    }
    ot_frame_unref(&c->next);
    c->seg_in = in;
    c->seg_out = out;
    c->stale = 1;
    return 0;
}

/* Bring a camera that program_only left behind up to `tick`. With `plan`, the camera's decoding follows the timed
 * cues: it is sought to the start of its shot with a stop at the shot's planned end, so that it decodes only what
 * the program shows; a plan that a go or a manual cut changed is caught here (the tick is outside the shot the
 * camera was sought to) and the camera sought again. Without plan (every camera decoded), a stop is lifted. A
 * camera far behind is sought rather than decoded through. Returns 0, or a negative error when a seek failed (the
 * camera is then decoded through, which is slower but right). */
static int catch_up(SwRunner *r, int index, int64_t tick, int64_t limit_ns, int plan)
{
    RunCam *c = &r->cams[index];
    int ret = 0;
    if (!c->done) {
        int64_t t = sw_rate_frame_to_ns(r->cfg.rate, tick);
        int64_t at = c->stale ? sw_rate_frame_to_ns(r->cfg.rate, c->seg_in)
                     : c->next ? c->next->pts_ns
                     : c->cur  ? c->cur->pts_ns
                               : 0;
        int outside = tick < c->seg_in || (c->seg_out >= 0 && tick >= c->seg_out);
        int behind = (c->stale || c->advanced < tick - 1) && t - at > SW_RUNNER_SEEK_AHEAD_NS;
        int lift = !plan && c->seg_out >= 0;
        /* The plan is looked up only where a seek is in question, not at every tick. At tick 0 every camera runs
         * open from its first frame: the program camera is then given its stop. */
        int64_t out = plan && (outside || behind || tick == 0) ? plan_shot_end(r, index, tick) : -1;
        int first = tick == 0 && out >= 0 && c->seg_out < 0;
        if (outside || behind || first || lift)
            ret = seek_shot(r, index, tick, out);
        if (c->stale) {
            c->stale = 0;
            pull_next(c, index);
        }
    }
    advance(c, index, tick, limit_ns);
    c->advanced = tick;
    return ret;
}

/* program_only, at a cut: every camera off program is sought to its next planned shot, so that its decoder
 * prerolls it while the program is made from another camera (the cut then waits for nothing), and stops at the
 * shot's end (nothing decoded that the program does not show). */
static void prefetch(SwRunner *r, int program_cam, int64_t tick)
{
    const SwCueList *cues = sw_switcher_cues(r->sw);
    for (int i = 0; i < r->ncams; i++) {
        RunCam *c = &r->cams[i];
        int64_t in, out;
        if (i == program_cam || c->done || sw_cues_next_shot(cues, i, tick, &in, &out) < 0)
            continue;
        if (r->cfg.max_frames >= 0 && in >= r->cfg.max_frames)
            continue;
        out = clamp_end(r, out);
        if (c->seg_in == in && c->seg_out == out)
            continue; /* already sought to it */
        seek_shot(r, i, in, out);
    }
}

/* ---- live cameras ---- */

static int send_anomaly(SwRunner *r, const SwAnomaly *a)
{
    for (int s = 0; s < r->nsinks; s++)
        if (r->sinks[s].anomaly) {
            int ret = r->sinks[s].anomaly(r->sinks[s].opaque, a);
            if (ret < 0)
                return ret;
        }
    return 0;
}

static int declare(SwRunner *r, SwAnomalyKind kind, int64_t tick, int64_t ticks, int cam, int64_t count,
                   const char *fmt, ...) __attribute__((format(printf, 7, 8)));
static int declare(SwRunner *r, SwAnomalyKind kind, int64_t tick, int64_t ticks, int cam, int64_t count,
                   const char *fmt, ...)
{
    SwAnomaly a = {.kind = kind, .tick = tick, .ticks = ticks > 0 ? ticks : 1, .cam = cam, .count = count};
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(a.detail, sizeof(a.detail), fmt, ap);
    va_end(ap);
    return send_anomaly(r, &a);
}

static const char *cam_name(const RunCam *c)
{
    return c->src.name ? c->src.name : "?";
}

static int64_t take_time(const SwRunner *r, const OtFrame *f)
{
    return f->pts_ns - r->roll_ns;
}

static int mark_lost(SwRunner *r, RunCam *c, int index, int64_t tick, int64_t now)
{
    char why[80] = "no signal";
    if (c->src.lost_reason)
        c->src.lost_reason(c->src.opaque, why, sizeof(why));
    c->lost = 1;
    c->lost_ns = now;
    c->lost_tick = tick;
    c->st.failed = 1;
    c->st.losses++;
    ot_log(OT_LOG_WARNING, "runner", "camera %s lost at frame %lld (%s): the take goes on%s", cam_name(c),
           (long long)tick, why, c->src.slate ? ", its slate follows a short hold" : " with its last frame");
    return declare(r, SW_ANOMALY_CAMERA_LOST, tick, 1, index, 1, "%s", why);
}

static int mark_back(SwRunner *r, RunCam *c, int index, int64_t tick, int64_t now)
{
    int64_t ticks = tick - c->lost_tick;
    c->lost = 0;
    c->st.failed = 0;
    ot_log(OT_LOG_INFO, "runner", "camera %s is back at frame %lld after %.1f s", cam_name(c), (long long)tick,
           (double)(now - c->lost_ns) / 1e9);
    return declare(r, SW_ANOMALY_CAMERA_BACK, c->lost_tick, ticks, index, ticks,
                   "back after %.3f s without signal (frames %lld..%lld)", (double)(now - c->lost_ns) / 1e9,
                   (long long)c->lost_tick, (long long)tick - 1);
}

/* Fill c->next from a live source without waiting. A lost source stays lost until it delivers a frame. */
static int poll_next(SwRunner *r, RunCam *c, int index, int64_t tick, int64_t now)
{
    while (!c->next) {
        OtFrame *f = NULL;
        int ret = c->src.poll(c->src.opaque, &f);
        if (ret == 0 && f) {
            c->next = f;
            c->st.frames++;
            return c->lost ? mark_back(r, c, index, tick, now) : 0;
        }
        ot_frame_unref(&f);
        if (ret == -EAGAIN || ret == 0)
            return 0;
        return c->lost ? 0 : mark_lost(r, c, index, tick, now);
    }
    return 0;
}

/* A live camera at `tick`: the latest frame captured at or before the tick's time that has arrived; frames that
 * a later one overtook are drops; once lost for hold_ns, the slate. Returns 0 or a sink's error. */
static int advance_live(SwRunner *r, RunCam *c, int index, int64_t tick, int64_t limit_ns, int64_t now)
{
    int64_t promoted = 0;
    int ret = poll_next(r, c, index, tick, now);
    while (!ret && c->next && take_time(r, c->next) <= limit_ns) {
        /* Due at an earlier tick, but it arrived after that tick was made: the latency is too short for it. */
        if (tick > 0 && take_time(r, c->next) <= limit_ns - r->period_ns)
            c->st.late++;
        ot_frame_unref(&c->cur);
        c->cur = c->next;
        c->next = NULL;
        c->given = 0;
        c->slated = 0;
        promoted++;
        ret = poll_next(r, c, index, tick, now);
    }
    c->fresh = promoted > 0;
    if (promoted > 1 && tick > 0) /* before the roll, frames are not the take's */
        c->st.drops += promoted - 1;
    if (promoted && c->cur->arrival_ns > 0) {
        int64_t lat = now - c->cur->arrival_ns;
        if (lat > c->st.latency_max_ns)
            c->st.latency_max_ns = lat;
        c->st.latency_sum_ns += lat;
        c->st.latency_count++;
    }
    if (c->lost && !c->slated && c->src.slate && now - c->lost_ns >= r->cfg.hold_ns) {
        /* Held long enough: the slate says which camera has no signal. The last frame goes back to capture. */
        ot_frame_unref(&c->cur);
        c->cur = ot_frame_ref(c->src.slate);
        c->slated = 1;
        c->given = 0;
    }
    return ret;
}

/* Once a second of media (and at the end): each live camera's repeats, drops and overflows since the last
 * report, one record per kind that happened. */
static int report_conform(SwRunner *r, int64_t tick)
{
    for (int i = 0; i < r->ncams; i++) {
        RunCam *c = &r->cams[i];
        if (!c->src.live)
            continue;
        int64_t now[3] = {c->st.repeats, c->st.drops, c->st.overflow};
        static const SwAnomalyKind kinds[3] = {SW_ANOMALY_CAMERA_REPEAT, SW_ANOMALY_CAMERA_DROP,
                                               SW_ANOMALY_CAMERA_OVERFLOW};
        static const char *const what[3] = {"ticks without a new frame (shown again)",
                                            "frames skipped (a newer one was due)",
                                            "frames the capture queue discarded (not taken in time)"};
        for (int k = 0; k < 3; k++) {
            int64_t n = now[k] - c->reported[k];
            if (n <= 0)
                continue;
            int ret = declare(r, kinds[k], c->report_tick, tick - c->report_tick, i, n, "%lld %s in frames %lld..%lld",
                              (long long)n, what[k], (long long)c->report_tick, (long long)tick - 1);
            if (ret < 0)
                return ret;
            c->reported[k] = now[k];
        }
        c->report_tick = tick;
    }
    return 0;
}

/* ---- program audio ---- */

static int read_audio(const SwRunner *r, const SwAudioSource *a, int64_t pos, int n, SwSample *out, int channels)
{
    /* A source of another width than its track would write past the buffer: silence instead. */
    if (!a || !a->read || SW_AUDIO_SOURCE_CHANNELS(a) != channels) {
        memset(out, 0, (size_t)n * (size_t)channels * sizeof(SwSample));
        return n;
    }
    int ret = a->read(a->opaque, a->live ? r->roll_ns : -1, pos, n, out, !a->live);
    if (ret < 0) {
        memset(out, 0, (size_t)n * (size_t)channels * sizeof(SwSample));
        return n;
    }
    return ret > n ? n : ret;
}

/* Declare the run of silence being counted on track t, if any. */
static int flush_gap(SwRunner *r, int t)
{
    RunTrack *k = &r->tracks[t];
    if (!k->gap_ticks)
        return 0;
    SwAnomaly a = {.kind = SW_ANOMALY_AUDIO_GAP, .tick = k->gap_first_tick, .ticks = k->gap_ticks, .cam = -1,
                   .track = t, .count = k->gap_frames};
    k->gap_ticks = k->gap_frames = 0;
    char track[48] = "";
    if (t > 0)
        snprintf(track, sizeof(track), "track %d (%.24s): ", t + 1,
                 r->cfg.stem_names[t - 1] ? r->cfg.stem_names[t - 1] : "?");
    int len = snprintf(a.detail, sizeof(a.detail),
                       "%s%lld audio frames (%.3f s) of silence in the audio of frames %lld..%lld", track,
                       (long long)a.count, (double)a.count / SW_AUDIO_RATE, (long long)a.tick,
                       (long long)(a.tick + a.ticks - 1));
    if (len >= (int)sizeof(a.detail)) /* a long track name: the sentence is cut (the counts are the record's) */
        memcpy(a.detail + sizeof(a.detail) - 4, "...", 4);
    return send_anomaly(r, &a);
}

static int flush_gaps(SwRunner *r)
{
    int ret = 0;
    for (int t = 0; t < r->ntracks && !ret; t++)
        ret = flush_gap(r, t);
    return ret;
}

/* The first track's levels (the meter) and every track's and camera's silence, for the stats. */
static void track_levels(SwRunner *r, int n, const int *missing)
{
    float peak[SW_AUDIO_MAX_CHANNELS], rms[SW_AUDIO_MAX_CHANNELS];
    sw_audio_levels(r->tracks[0].buf, n, r->tracks[0].channels, peak, rms);
    pthread_mutex_lock(&r->stats_lock);
    r->stats.audio_frames += n;
    r->stats.audio_gap_frames += missing[0];
    for (int t = 0; t < r->ntracks; t++)
        r->stats.track_gap_frames[t] += missing[t];
    for (int c = 0; c < 2; c++) {
        /* A mono track shows on both bars. */
        int from = c < r->tracks[0].channels ? c : 0;
        r->stats.audio_peak[c] = peak[from];
        r->stats.audio_rms[c] = rms[from];
    }
    pthread_mutex_unlock(&r->stats_lock);
}

/* The camera whose own audio src is (a stem taken with cam:CAMERA), or -1: a source of its own. */
static int camera_of(const SwRunner *r, const SwAudioSource *src)
{
    for (int i = 0; src && src->read && i < r->ncams; i++)
        if (r->cams[i].abuf && src->read == r->cams[i].src.audio.read && src->opaque == r->cams[i].src.audio.opaque)
            return i;
    return -1;
}

/* A camera's tick of audio into a track: its samples when the widths agree, else silence. */
static int take_camera(const SwRunner *r, int cam, int n, SwSample *out, int channels)
{
    const RunCam *c = cam >= 0 ? &r->cams[cam] : NULL;
    if (!c || !c->abuf || c->achannels != channels) {
        memset(out, 0, (size_t)n * (size_t)channels * sizeof(SwSample));
        return n;
    }
    memcpy(out, c->abuf, (size_t)n * (size_t)channels * sizeof(SwSample));
    return c->amissing;
}

/* Every camera's audio, once a tick, whether a track takes it or not: a file camera off program never fills
 * its ring and holds up its decoder (lockstep), a live one never overflows, and its ISO has it. */
static void read_cameras(SwRunner *r, int64_t p0, int n)
{
    for (int i = 0; i < r->ncams; i++) {
        RunCam *c = &r->cams[i];
        if (c->abuf) {
            c->amissing = read_audio(r, &c->src.audio, p0, n, c->abuf, c->achannels);
            c->st.audio_frames += n;
            c->st.audio_gap_frames += c->amissing;
        }
    }
}

/* The audio of tick `seg` (its program camera: cam): every camera's, then every track, given to the sinks. */
static int run_audio(SwRunner *r, int64_t seg, int cam)
{
    int64_t p0 = sw_audio_tick_pos(r->cfg.rate.num, r->cfg.rate.den, seg);
    int n = (int)(sw_audio_tick_pos(r->cfg.rate.num, r->cfg.rate.den, seg + 1) - p0);
    if (n > r->audio_cap)
        n = r->audio_cap; /* cannot happen: audio_cap is the longest tick */
    read_cameras(r, p0, n);
    int missing[SW_AUDIO_MAX_TRACKS];
    for (int t = 0; t < r->ntracks; t++) {
        RunTrack *k = &r->tracks[t];
        if (t == 0 && r->cfg.audio != SW_AUDIO_SOURCE) {
            int from = r->cfg.audio == SW_AUDIO_CAMERA ? r->cfg.audio_cam : cam; /* afv: the program camera */
            missing[t] = take_camera(r, from, n, k->buf, k->channels);
            continue;
        }
        const SwAudioSource *a = t == 0 ? &r->cfg.audio_src : &r->cfg.stems[t - 1];
        int from = camera_of(r, a);
        missing[t] = from >= 0 ? take_camera(r, from, n, k->buf, k->channels)
                               : read_audio(r, a, p0, n, k->buf, k->channels);
    }
    if (r->ntracks > 0)
        track_levels(r, n, missing);

    int ret = 0;
    for (int t = 0; t < r->ntracks && !ret; t++) {
        RunTrack *k = &r->tracks[t];
        if (missing[t] > 0) {
            if (!k->gap_ticks)
                k->gap_first_tick = seg;
            k->gap_ticks++;
            k->gap_frames += missing[t];
        } else {
            ret = flush_gap(r, t);
        }
    }
    for (int t = 0; t < r->ntracks && !ret; t++)
        for (int s = 0; s < r->nsinks && !ret; s++)
            if (r->sinks[s].program_audio)
                ret = r->sinks[s].program_audio(r->sinks[s].opaque, t, p0, r->tracks[t].buf, n,
                                                r->tracks[t].channels, missing[t]);
    for (int i = 0; i < r->ncams && !ret; i++)
        for (int s = 0; s < r->nsinks && !ret && r->cams[i].abuf; s++)
            if (r->sinks[s].camera_audio)
                ret = r->sinks[s].camera_audio(r->sinks[s].opaque, i, p0, r->cams[i].abuf, n, r->cams[i].achannels,
                                               r->cams[i].amissing);
    return ret;
}

/* A camera that failed before its first frame shows black at the size of another camera: sinks always get a
 * frame. A live camera with no frame yet shows its slate (it counts as lost from the start). */
static int make_slates(SwRunner *r)
{
    const OtFrame *ref = NULL;
    for (int i = 0; i < r->ncams && !ref; i++)
        ref = r->cams[i].next ? r->cams[i].next : r->cams[i].src.slate;
    if (!ref)
        return 0; /* no camera has a frame: the take ends at tick 0 */
    for (int i = 0; i < r->ncams; i++) {
        RunCam *c = &r->cams[i];
        if (c->next)
            continue;
        if (c->src.live && c->src.slate) {
            c->cur = ot_frame_ref(c->src.slate);
            c->slated = 1;
            continue;
        }
        c->cur = ot_frame_alloc_buffer(ref->width, ref->height, OT_PIX_I420);
        if (!c->cur) {
            ot_log(OT_LOG_ERROR, "runner", "cannot make a black frame %dx%d for camera %s", ref->width,
                   ref->height, c->src.name ? c->src.name : "?");
            return -ENOMEM;
        }
        c->cur->source = -1; /* a frame of our own */
    }
    return 0;
}

/* The mixer's pool at the size of the first camera's first frame, before tick 0 (nothing allocated later). */
static int prepare_mixer(SwRunner *r)
{
    const OtFrame *ref = NULL;
    for (int i = 0; i < r->ncams && !ref; i++)
        ref = r->cams[i].next ? r->cams[i].next : r->cams[i].cur;
    if (!ref)
        return 0;
    if (!r->mixer && !(r->mixer = sw_mixer_alloc(r->cfg.mix_slots > 0 ? r->cfg.mix_slots : SW_RUNNER_MIX_SLOTS)))
        return -ENOMEM;
    return sw_mixer_prepare(r->mixer, ref->width, ref->height);
}

/* ---- real-time pacing ---- */

/* Sleep until tick `tick` is due: start + tick/fps, from the exact integer frame time (no accumulated error), on
 * CLOCK_MONOTONIC (NTP steps do not move it). A late tick does not sleep, so the schedule catches up by itself;
 * how late it was is counted. */
static void pace(SwRunner *r, int64_t tick, int64_t start_ns)
{
    int64_t due = start_ns + sw_rate_frame_to_ns(r->cfg.rate, tick);
    clock_wait_until(r, due);
    int64_t late = clock_now(r) - due;
    int64_t period = sw_rate_frame_to_ns(r->cfg.rate, 1);
    if (late > period || late > r->stats.max_late_ns) {
        pthread_mutex_lock(&r->stats_lock);
        r->stats.late_ticks += late > period;
        if (late > r->stats.max_late_ns)
            r->stats.max_late_ns = late;
        pthread_mutex_unlock(&r->stats_lock);
    }
}

/* ---- the loop ---- */

static void publish_stats(SwRunner *r, const SwDecision *d, int recorded, unsigned flags)
{
    pthread_mutex_lock(&r->stats_lock);
    for (int i = 0; i < r->ncams; i++)
        r->stats.cams[i] = r->cams[i].st;
    if (d) {
        for (int k = 0; k < d->nevents; k++) {
            const SwEvent *ev = &d->events[k];
            if (ev->type == SW_EVENT_CUT && ev->prev_cam >= 0)
                r->stats.cuts++;
            if (ev->type == SW_EVENT_END) {
                r->stats.ended = 1;
                r->stats.end_origin = ev->origin;
            }
        }
        r->stats.program_cam = d->cam;
    }
    if (recorded) {
        r->stats.ticks++;
        if (flags & SW_PF_REPEAT)
            r->stats.program_repeats++;
    }
    pthread_mutex_unlock(&r->stats_lock);
}

static void progress(SwRunner *r)
{
    if (!r->cfg.progress)
        return;
    SwRunnerStats snap;
    sw_runner_get_stats(r, &snap);
    r->cfg.progress(r->cfg.progress_opaque, &snap);
}

static int send_events(SwRunner *r, const SwDecision *d)
{
    for (int k = 0; k < d->nevents; k++)
        for (int s = 0; s < r->nsinks; s++)
            if (r->sinks[s].event) {
                int ret = r->sinks[s].event(r->sinks[s].opaque, &d->events[k]);
                if (ret < 0)
                    return ret;
            }
    return 0;
}

/* The mixed frame of a transition tick (a new reference), and its counters. */
static int sw_runner_mix(SwRunner *r, const SwDecision *d, OtFrame **out)
{
    if (!r->mixer && !(r->mixer = sw_mixer_alloc(r->cfg.mix_slots > 0 ? r->cfg.mix_slots : SW_RUNNER_MIX_SLOTS)))
        return -ENOMEM;
    int ret = sw_mixer_make(r->mixer, &d->mix.spec, d->mix.k, r->cams[d->mix.from].cur, r->cams[d->cam].cur, out);
    if (ret < 0)
        return ret;
    SwMixerStats ms;
    sw_mixer_get_stats(r->mixer, &ms);
    pthread_mutex_lock(&r->stats_lock);
    r->stats.mixed_frames = ms.mixed;
    r->stats.mix_pool_misses = ms.pool_misses;
    r->stats.mix_unmixable = ms.unmixable;
    pthread_mutex_unlock(&r->stats_lock);
    return 0;
}

static int send_frames(SwRunner *r, const SwDecision *d, unsigned flags)
{
    for (int i = 0; i < r->ncams; i++) {
        RunCam *c = &r->cams[i];
        for (int s = 0; s < r->nsinks; s++)
            if (r->sinks[s].camera_frame) {
                int ret = r->sinks[s].camera_frame(r->sinks[s].opaque, i, d->tick, c->cur, c->given);
                if (ret < 0)
                    return ret;
            }
    }
    SwProgramFrame pf = {.tick = d->tick, .cam = d->cam, .mix_from = -1, .frame = r->cams[d->cam].cur,
                         .flags = flags};
    OtFrame *mixed = NULL;
    if (d->mix.active) {
        int ret = sw_runner_mix(r, d, &mixed);
        if (ret < 0)
            return ret;
        pf.frame = mixed;
        pf.flags |= SW_PF_MIX;
        pf.mix_from = d->mix.from;
    }
    int ret = 0;
    for (int s = 0; s < r->nsinks && !ret; s++)
        if (r->sinks[s].program_frame)
            ret = r->sinks[s].program_frame(r->sinks[s].opaque, &pf);
    ot_frame_unref(&mixed);
    return ret < 0 ? ret : 0;
}

/* A sink failed at `tick`: its frame is not (fully) recorded. Tell every sink the take ends there. */
static void end_after_sink_error(SwRunner *r, int64_t tick, int err)
{
    SwDecision d;
    ot_log(OT_LOG_ERROR, "runner", "a sink failed at frame %lld: %s; ending the take", (long long)tick,
           ot_strerror(err));
    if (sw_switcher_end_at(r->sw, tick, SW_ORIGIN_STOP, &d) == 0) {
        for (int s = 0; s < r->nsinks; s++)
            if (r->sinks[s].event)
                (void)r->sinks[s].event(r->sinks[s].opaque,
                                        &d.events[0]); /* best effort: we are failing already */
        publish_stats(r, &d, 0, 0);
    }
    pthread_mutex_lock(&r->stats_lock);
    r->stats.ended = 1;
    r->stats.end_origin = SW_ORIGIN_STOP;
    r->stats.error = err;
    pthread_mutex_unlock(&r->stats_lock);
}

/* Brings every camera to `tick` (not program_only). Sets *all_ended when no camera will deliver again. */
static int advance_all(SwRunner *r, int64_t tick, int64_t limit, int64_t now, int *all_ended)
{
    *all_ended = 1;
    for (int i = 0; i < r->ncams; i++) {
        RunCam *c = &r->cams[i];
        if (c->src.live) {
            int ret = advance_live(r, c, i, tick, limit, now);
            if (ret < 0)
                return ret;
            c->advanced = tick;
            *all_ended = 0; /* a live camera may always come back */
            continue;
        }
        if (c->advanced < tick - 1 || c->stale || c->seg_out >= 0)
            catch_up(r, i, tick, limit, 0); /* left behind, sought or stopped while program_only was on */
        else
            advance(c, i, tick, limit);
        c->advanced = tick;
        *all_ended &= c->done && !c->fresh;
    }
    return 0;
}

/* After a tick was recorded: per camera, shown again (repeat) or lost. */
static void count_shown(SwRunner *r, int64_t tick)
{
    for (int i = 0; i < r->ncams; i++) {
        RunCam *c = &r->cams[i];
        if (c->advanced != tick)
            continue; /* left behind by program_only: not shown at this tick */
        if (c->src.live && (c->lost || c->slated)) {
            c->st.lost_ticks++;
            c->st.slate_ticks += c->slated;
        } else {
            c->st.repeats += c->given; /* shown again at this tick */
        }
        c->given = 1;
    }
}

int sw_runner_run(SwRunner *r)
{
    if (!r)
        return -EINVAL;
    if (r->ran)
        return -EINVAL; /* a runner runs one take */
    r->ran = 1;

    int ret = 0;
    int program_only = r->cfg.program_only && !r->cfg.live;
    int64_t period = sw_rate_frame_to_ns(r->cfg.rate, 1);
    r->period_ns = period;
    r->roll_ns = r->cfg.live && r->cfg.roll_ns > 0 ? r->cfg.roll_ns : clock_now(r);
    for (int i = 0; i < r->ncams; i++)
        if (r->cams[i].abuf)
            program_only = 0; /* a camera's audio is decoded with its video: seeking would cut it */
    for (int i = 0; i < r->ncams; i++) {
        RunCam *c = &r->cams[i];
        c->advanced = -1;
        c->seg_out = -1; /* started open, from its first frame */
        if (c->src.live) {
            program_only = 0;
            if ((ret = poll_next(r, c, i, 0, r->roll_ns)) < 0)
                goto fail;
            continue;
        }
        pull_next(c, i);
        program_only &= c->src.seek != NULL;
    }
    for (int s = 0; s < r->nsinks; s++)
        program_only &= r->sinks[s].camera_frame == NULL;
    int transitions = r->cfg.transitions || sw_cues_has_transitions(sw_switcher_cues(r->sw));
    if (transitions)
        program_only = 0; /* a transition shows two cameras at once */
    if (r->cfg.program_only && !program_only)
        ot_log(OT_LOG_VERBOSE, "runner",
               "decoding every camera: a source is live or cannot seek, a sink needs them all, or the program "
               "audio is a camera's");
    if ((ret = make_slates(r)) < 0)
        goto fail;
    if (transitions && (ret = prepare_mixer(r)) < 0)
        goto fail;
    for (int i = 0; i < r->ncams; i++) {
        RunCam *c = &r->cams[i];
        if (c->src.live && !c->next && !c->lost) {
            /* No signal at the roll: its slate from frame 0, and it is picked up when it delivers. */
            if ((ret = mark_lost(r, c, i, 0, r->roll_ns - r->cfg.hold_ns)) < 0)
                goto fail;
        }
    }

    /* Live: tick i is due at roll + i/fps + latency (frames captured up to roll + i/fps had `latency` to
     * arrive). Files: tick 0 starts now; with realtime, tick i no earlier than start + i/fps. */
    int64_t start_ns = r->cfg.live ? r->roll_ns + r->cfg.latency_ns : 0, last_ns = 0;
    for (int64_t tick = 0;; tick++) {
        SwDecision d;
        if (r->cfg.live)
            pace(r, tick, start_ns);
        else if (tick == 0)
            start_ns = clock_now(r);
        else if (r->cfg.realtime)
            pace(r, tick, start_ns); /* before before_tick: commands staged while waiting land at this tick */
        int64_t now_ns = tick == 0 && !r->cfg.live ? start_ns : clock_now(r);
        if (tick > 0 && now_ns - last_ns > r->stats.max_tick_gap_ns) {
            pthread_mutex_lock(&r->stats_lock);
            r->stats.max_tick_gap_ns = now_ns - last_ns;
            pthread_mutex_unlock(&r->stats_lock);
        }
        last_ns = now_ns;
        if (r->cfg.before_tick)
            r->cfg.before_tick(r->cfg.before_tick_opaque, tick);
        if (tick == 0) {
            /* What a live camera's queue dropped until now were frames from before the roll (the queue holds
             * twice the latency): not the take's, so not its overflow. */
            for (int i = 0; i < r->ncams; i++)
                if (r->cams[i].src.live && r->cams[i].src.overflow)
                    r->cams[i].overflow_base = r->cams[i].src.overflow(r->cams[i].src.opaque);
        }

        int64_t limit = sw_rate_frame_to_ns(r->cfg.rate, tick) + SW_RUNNER_TOLERANCE_NS;
        if (atomic_load(&r->stop_requested)) {
            ret = sw_switcher_end_at(r->sw, tick, SW_ORIGIN_STOP, &d);
        } else if (r->cfg.max_frames >= 0 && tick >= r->cfg.max_frames) {
            ret = sw_switcher_end_at(r->sw, tick, SW_ORIGIN_DURATION, &d);
        } else if (program_only) {
            /* The decision does not depend on the frames: decide first, then decode only the program camera. */
            ret = sw_switcher_tick(r->sw, tick, &d);
            if (ret == 0 && !d.end) {
                RunCam *pc = &r->cams[d.cam];
                if (catch_up(r, d.cam, tick, limit, 1) < 0)
                    program_only = 0;
                else if (d.cut)
                    prefetch(r, d.cam, tick);
                if (pc->done && !pc->fresh) {
                    /* The program camera has ended: from now on every camera is decoded, as without
                     * program_only, so that the take ends when they all have. */
                    program_only = 0;
                    int all_ended = 1;
                    for (int i = 0; i < r->ncams; i++) {
                        if (i != d.cam)
                            catch_up(r, i, tick, limit, 0);
                        all_ended &= r->cams[i].done && !r->cams[i].fresh;
                    }
                    if (all_ended)
                        ret = sw_switcher_end_at(r->sw, tick, SW_ORIGIN_SOURCES, &d);
                }
            }
        } else {
            int all_ended = 1;
            ret = advance_all(r, tick, limit, now_ns, &all_ended);
            if (ret < 0) {
                end_after_sink_error(r, tick, ret);
                progress(r);
                goto fail;
            }
            if (all_ended)
                ret = sw_switcher_end_at(r->sw, tick, SW_ORIGIN_SOURCES, &d);
            else
                ret = sw_switcher_tick(r->sw, tick, &d);
        }
        if (ret < 0) {
            ot_log(OT_LOG_ERROR, "runner", "the switcher refused frame %lld: %s", (long long)tick,
                   ot_strerror(ret));
            goto fail;
        }

        unsigned flags = 0;
        if (!d.end) {
            const RunCam *pc = &r->cams[d.cam];
            flags = d.cut ? SW_PF_CUT : 0;
            if (pc->src.live && pc->slated)
                flags |= SW_PF_SLATE;
            else if (pc->src.live && pc->lost)
                flags |= SW_PF_LOST;
            else
                flags |= (pc->given ? SW_PF_REPEAT : 0) | (pc->done && !pc->fresh ? SW_PF_LOST : 0);
        }
        for (int i = 0; i < r->ncams; i++)
            if (r->cams[i].src.live && r->cams[i].src.overflow)
                r->cams[i].st.overflow = r->cams[i].src.overflow(r->cams[i].src.opaque) - r->cams[i].overflow_base;
        ret = send_events(r, &d);
        /* The audio of the previous tick, now that it had the latency and a frame to arrive. */
        if (ret == 0 && r->audio_cap > 0 && tick > 0)
            ret = run_audio(r, tick - 1, r->prev_program_cam);
        if (ret == 0 && r->cfg.live && (d.end || (tick > 0 && tick % sw_rate_nominal(r->cfg.rate) == 0)))
            ret = report_conform(r, tick);
        if (ret == 0 && d.end)
            ret = flush_gaps(r);
        if (ret == 0 && !d.end)
            ret = send_frames(r, &d, flags);
        if (ret < 0) {
            if (d.end) {
                publish_stats(r, &d, 0, 0);
                pthread_mutex_lock(&r->stats_lock);
                r->stats.error = ret;
                pthread_mutex_unlock(&r->stats_lock);
            } else {
                end_after_sink_error(r, tick, ret);
            }
            progress(r);
            goto fail;
        }
        if (!d.end) {
            count_shown(r, tick);
            r->prev_program_cam = d.cam;
        }
        publish_stats(r, &d, !d.end, flags);
        progress(r);
        if (d.end)
            break;
    }
    ret = 0;

fail:
    release_frames(r);
    return ret;
}
