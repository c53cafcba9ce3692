/* onetake: the take runner (program thread loop). */
#include "sw_runner.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ot_common.h"


typedef struct RunCam {
    SwSource src;
    OtFrame *cur;  /* the frame shown at the current tick (held) */
    OtFrame *next; /* lookahead: pulled, later than the current tick */
    int done;      /* no more pulls: the source ended or failed */
    int fresh;     /* cur came from the source at the current tick */
    int given;     /* cur was already handed to the sinks at an earlier tick */
    int64_t advanced; /* last tick the camera was brought up to (program_only leaves cameras behind) */
    SwCamStats st; /* program thread only; copied into SwRunner.stats under stats_lock */
} RunCam;

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
};

SwRunner *sw_runner_alloc(const SwRunnerConfig *cfg, SwSwitcher *sw, const SwSource *sources, int nsources)
{
    if (!cfg || !sw || !sources || nsources < 1 || nsources > SW_MAX_CAMS ||
        nsources != sw_switcher_ncams(sw))
        return NULL;
    if (cfg->rate.num <= 0 || cfg->rate.den <= 0)
        return NULL;
    for (int i = 0; i < nsources; i++)
        if (!sources[i].pull)
            return NULL;
    SwRunner *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    if (pthread_mutex_init(&r->stats_lock, NULL) != 0) {
        free(r);
        return NULL;
    }
    r->cfg = *cfg;
    r->sw = sw;
    r->ncams = nsources;
    for (int i = 0; i < nsources; i++)
        r->cams[i].src = sources[i];
    atomic_init(&r->stop_requested, 0);
    r->stats.ncams = nsources;
    r->stats.program_cam = -1;
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

/* Bring a camera that program_only left behind up to `tick`: seek when it is far behind, then advance. Returns 0,
 * or a negative error when the seek failed (the camera is then decoded through, which is slower but right). */
static int catch_up(SwRunner *r, int index, int64_t tick, int64_t limit_ns)
{
    RunCam *c = &r->cams[index];
    int ret = 0;
    if (c->advanced < tick - 1 && !c->done) {
        int64_t t = sw_rate_frame_to_ns(r->cfg.rate, tick);
        int64_t at = c->next ? c->next->pts_ns : c->cur ? c->cur->pts_ns : 0;
        if (t - at > SW_RUNNER_SEEK_AHEAD_NS) {
            ret = c->src.seek(c->src.opaque, t);
            if (ret < 0) {
                ot_log(OT_LOG_WARNING, "runner", "camera %s cannot seek to frame %lld (%s): decoding through",
                       c->src.name ? c->src.name : "?", (long long)tick, ot_strerror(ret));
            } else {
                ot_frame_unref(&c->next);
                pull_next(c, index);
            }
        }
    }
    advance(c, index, tick, limit_ns);
    c->advanced = tick;
    return ret;
}

/* A camera that failed before its first frame shows black at the size of another camera: sinks always get a
 * frame. */
static int make_slates(SwRunner *r)
{
    const OtFrame *ref = NULL;
    for (int i = 0; i < r->ncams && !ref; i++)
        ref = r->cams[i].next;
    if (!ref)
        return 0; /* no camera has a frame: the take ends at tick 0 */
    for (int i = 0; i < r->ncams; i++) {
        RunCam *c = &r->cams[i];
        if (c->next)
            continue;
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

/* ---- real-time pacing ---- */

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Sleep until tick `tick` is due: start + tick/fps, from the exact integer frame time (no accumulated error), on
 * CLOCK_MONOTONIC (NTP steps do not move it). A late tick does not sleep, so the schedule catches up by itself;
 * how late it was is counted. */
static void pace(SwRunner *r, int64_t tick, int64_t start_ns)
{
    int64_t due = start_ns + sw_rate_frame_to_ns(r->cfg.rate, tick);
    struct timespec ts = {.tv_sec = (time_t)(due / 1000000000LL), .tv_nsec = (long)(due % 1000000000LL)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
    int64_t late = mono_ns() - due;
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
    SwProgramFrame pf = {.tick = d->tick, .cam = d->cam, .frame = r->cams[d->cam].cur, .flags = flags};
    for (int s = 0; s < r->nsinks; s++)
        if (r->sinks[s].program_frame) {
            int ret = r->sinks[s].program_frame(r->sinks[s].opaque, &pf);
            if (ret < 0)
                return ret;
        }
    return 0;
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

int sw_runner_run(SwRunner *r)
{
    if (!r)
        return -EINVAL;
    if (r->ran)
        return -EINVAL; /* a runner runs one take */
    r->ran = 1;

    int ret = 0;
    int program_only = r->cfg.program_only;
    for (int i = 0; i < r->ncams; i++) {
        pull_next(&r->cams[i], i);
        r->cams[i].advanced = -1;
        program_only &= r->cams[i].src.seek != NULL;
    }
    for (int s = 0; s < r->nsinks; s++)
        program_only &= r->sinks[s].camera_frame == NULL;
    if (r->cfg.program_only && !program_only)
        ot_log(OT_LOG_VERBOSE, "runner", "decoding every camera: a source cannot seek or a sink needs them all");
    if ((ret = make_slates(r)) < 0)
        goto fail;

    int64_t start_ns = 0, last_ns = 0;
    for (int64_t tick = 0;; tick++) {
        SwDecision d;
        if (tick == 0)
            start_ns = mono_ns();
        else if (r->cfg.realtime)
            pace(r, tick, start_ns); /* before before_tick: commands staged while waiting land at this tick */
        int64_t now_ns = tick == 0 ? start_ns : mono_ns();
        if (tick > 0 && now_ns - last_ns > r->stats.max_tick_gap_ns) {
            pthread_mutex_lock(&r->stats_lock);
            r->stats.max_tick_gap_ns = now_ns - last_ns;
            pthread_mutex_unlock(&r->stats_lock);
        }
        last_ns = now_ns;
        if (r->cfg.before_tick)
            r->cfg.before_tick(r->cfg.before_tick_opaque, tick);

        if (atomic_load(&r->stop_requested)) {
            ret = sw_switcher_end_at(r->sw, tick, SW_ORIGIN_STOP, &d);
        } else if (r->cfg.max_frames >= 0 && tick >= r->cfg.max_frames) {
            ret = sw_switcher_end_at(r->sw, tick, SW_ORIGIN_DURATION, &d);
        } else if (program_only) {
            /* The decision does not depend on the frames: decide first, then decode only the program camera. */
            int64_t limit = sw_rate_frame_to_ns(r->cfg.rate, tick) + SW_RUNNER_TOLERANCE_NS;
            ret = sw_switcher_tick(r->sw, tick, &d);
            if (ret == 0 && !d.end) {
                RunCam *pc = &r->cams[d.cam];
                if (catch_up(r, d.cam, tick, limit) < 0)
                    program_only = 0;
                if (pc->done && !pc->fresh) {
                    /* The program camera has ended: from now on every camera is decoded, as without
                     * program_only, so that the take ends when they all have. */
                    program_only = 0;
                    int all_ended = 1;
                    for (int i = 0; i < r->ncams; i++) {
                        if (i != d.cam)
                            catch_up(r, i, tick, limit);
                        all_ended &= r->cams[i].done && !r->cams[i].fresh;
                    }
                    if (all_ended)
                        ret = sw_switcher_end_at(r->sw, tick, SW_ORIGIN_SOURCES, &d);
                }
            }
        } else {
            int64_t limit = sw_rate_frame_to_ns(r->cfg.rate, tick) + SW_RUNNER_TOLERANCE_NS;
            int all_ended = 1;
            for (int i = 0; i < r->ncams; i++) {
                RunCam *c = &r->cams[i];
                if (c->advanced < tick - 1)
                    catch_up(r, i, tick, limit); /* left behind while program_only was on */
                else
                    advance(c, i, tick, limit);
                c->advanced = tick;
                all_ended &= c->done && !c->fresh;
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
            flags = (d.cut ? SW_PF_CUT : 0) | (pc->given ? SW_PF_REPEAT : 0) |
                    (pc->done && !pc->fresh ? SW_PF_LOST : 0);
        }
        ret = send_events(r, &d);
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
        for (int i = 0; i < r->ncams && !d.end; i++) {
            if (r->cams[i].advanced != tick)
                continue; /* left behind by program_only: not shown at this tick */
            r->cams[i].st.repeats += r->cams[i].given; /* shown again at this tick */
            r->cams[i].given = 1;
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
