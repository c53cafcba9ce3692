/* onetake capture: live cameras (v4l2, SRT, RTSP, UDP, live pipe: fragments, test: in a live take).
 *
 * - One clock for the take: every pipeline runs on GStreamer's system clock (CLOCK_MONOTONIC) with the same
 * base time, so running times of different cameras are comparable and base + running time is a
 * CLOCK_MONOTONIC time. The runner maps it to the take clock (0 at the roll).
 * - Capture time: base + running time is when the source says the frame was taken, but a network source's
 *   running time is only known up to its pipeline's offset (tsdemux maps the sender's PCR; it was measured
 *   ahead of the arrival by ~90 ms over SRT, and by ~430 ms for the first 2.5 s while it locks on). A frame
 *   cannot be taken after it arrived, so the camera's frames (and its audio: one map per camera keeps them
 *   together) are placed at running time + d, d being the smallest arrival delay seen over the last one to
 * two seconds: the buffer that came soonest after its capture was on time, the others were held up. A second
 * is longer than a network sender's bursts (~0.4 s measured over SRT), so d is steady; it follows a drifting
 *   sender or a jump of its running time within two seconds. Never after the frame's arrival, never before
 * the frame before it. Frames keep their source's spacing (no arrival jitter), so rates are conformed by the
 *   runner exactly; what arrives later than d is jitter, which --latency must cover (reported per camera).
 * - Queue: the appsink hands every sample to a callback on the streaming thread, which maps it, stamps it and
 * puts it in a small ring (CapFormat.queue_frames). The ring never blocks: when full it drops its oldest
 * frame and counts it (overflow). The program thread polls it (libc only: a pthread mutex).
 * - Supervisor (thread "ot-live-N"): watches the bus (error, end of stream) and the arrivals (a stall longer
 * than lost_after_ms); a camera found lost is restarted (pipeline to NULL, same clock and base, PLAYING) at
 * once and then with a backoff of 0.25, 0.5, 1, 2, 4 s while it stays lost. The first frame after that clears
 * the loss: a network source that comes back is picked up without touching the take.
 * - Slate: made once at setup by a one-frame pipeline (black, "CAMERA NAME - NO SIGNAL" by textoverlay, the
 *   program size); the runner shows it once the camera has been lost for --hold.
 *
 * Locks: CapLive.lock (leaf) protects everything in CapLive below it; `stop` is atomic. */
#include <stdio.h>
#include <string.h>

#include "cap_internal.h"
#include "ot_common.h"

#define CAP_LIVE_DEFAULT_LOST_AFTER_MS 500
#define CAP_LIVE_DEFAULT_QUEUE 4
#define CAP_LIVE_MAX_QUEUE 64
#define CAP_LIVE_FIRST_FRAME_MS                                                                              \
    5000 /* at most this long for a first frame before the take starts without it */
#define CAP_LIVE_POLL_NS (50 * GST_MSECOND)
#define CAP_LIVE_BACKOFF_MIN_NS 250000000LL
#define CAP_LIVE_BACKOFF_MAX_NS 4000000000LL
#define CAP_LIVE_WINDOW_NS 1000000000LL /* the delay minimum is over the last 1..2 of these */

struct CapLive {
    pthread_mutex_t lock;
    OtFrame **ring; /* oldest at head */
    int cap, head, count;
    int64_t seq;
    int64_t frames, overflow, restarts, losses, delay_max_ns;
    int lost;
    char why[96];
    int64_t last_arrival; /* any branch */
    int64_t last_t;       /* capture time of the last frame queued */
    int64_t run_start;    /* when the pipeline was (re)started */
    /* the capture-time map */
    int map_ok;
    int64_t win[2], win_start;
    /* the supervisor */
    GThread *thread;
    atomic_int stop;
    int64_t lost_after_ns;
    OtFrame *slate;
    gboolean warned_map; /* a frame could not be mapped: said once */
};

static GstClock *take_clock;
static GstClockTime take_base = GST_CLOCK_TIME_NONE;
static GMutex take_clock_lock;

void cap_live_use_take_clock(GstElement *pipeline)
{
    g_mutex_lock(&take_clock_lock);
    if (!take_clock) {
        /* GstSystemClock is CLOCK_MONOTONIC by default: base + running time is comparable with clock_gettime.
         */
        take_clock = gst_system_clock_obtain();
        take_base = gst_clock_get_time(take_clock);
    }
    g_mutex_unlock(&take_clock_lock);
    gst_pipeline_use_clock(GST_PIPELINE(pipeline), take_clock);
    /* No start time: the pipeline keeps the base time we give it across pauses and restarts. */
    gst_element_set_start_time(pipeline, GST_CLOCK_TIME_NONE);
    gst_element_set_base_time(pipeline, take_base);
}

static GstClockTime base_time(void)
{
    g_mutex_lock(&take_clock_lock);
    GstClockTime b = take_base;
    g_mutex_unlock(&take_clock_lock);
    return b;
}

int64_t cap_live_capture_time(CapCamera *cam, GstClockTime rt, int64_t arrival_ns)
{
    CapLive *lv = cam->live;
    GstClockTime base = base_time();
    if (!lv || !GST_CLOCK_TIME_IS_VALID(rt) || !GST_CLOCK_TIME_IS_VALID(base))
        return arrival_ns;
    int64_t rt_mono = (int64_t)(base + rt);
    int64_t delay = arrival_ns - rt_mono;
    pthread_mutex_lock(&lv->lock);
    if (!lv->map_ok) {
        lv->win[0] = lv->win[1] = delay;
        lv->win_start = arrival_ns;
        lv->map_ok = 1;
    }
    if (arrival_ns - lv->win_start >= CAP_LIVE_WINDOW_NS) {
        lv->win[0] = lv->win[1];
        lv->win[1] = delay;
        lv->win_start = arrival_ns;
    } else if (delay < lv->win[1]) {
        lv->win[1] = delay;
    }
    int64_t d = lv->win[0] < lv->win[1] ? lv->win[0] : lv->win[1];
    if (delay - d > lv->delay_max_ns)
        lv->delay_max_ns = delay - d;
    pthread_mutex_unlock(&lv->lock);
    /* Never after its arrival (running times that jumped ahead, as tsdemux's do while it locks on). */
    return rt_mono + d < arrival_ns ? rt_mono + d : arrival_ns;
}

void cap_live_arrived(CapCamera *cam, int64_t arrival_ns)
{
    CapLive *lv = cam->live;
    if (!lv)
        return;
    pthread_mutex_lock(&lv->lock);
    lv->last_arrival = arrival_ns;
    if (lv->lost) {
        lv->lost = 0; /* back: the runner sees frames again */
        lv->why[0] = 0;
    }
    pthread_mutex_unlock(&lv->lock);
}

/* The video appsink's callback, on the camera's streaming thread: never blocks. */
static GstFlowReturn on_live_sample(GstAppSink *appsink, gpointer user_data)
{
    CapCamera *cam = user_data;
    CapLive *lv = cam->live;
    GstSample *sample = gst_app_sink_try_pull_sample(appsink, 0);
    if (!sample)
        return GST_FLOW_OK;
    int64_t arrival = ot_mono_ns();
    GstClockTime rt = cap_running_time(sample);
    GstBuffer *buf = cam->packets ? gst_buffer_ref(gst_sample_get_buffer(sample)) : NULL;
    OtFrame *f = NULL;
    if (cap_wrap_sample(cam, sample, &f) < 0) {
        if (!lv->warned_map)
            ot_log(OT_LOG_WARNING, "capture", "camera \"%s\": a frame could not be read (skipped)",
                   cam->name);
        lv->warned_map = TRUE;
        if (buf)
            gst_buffer_unref(buf);
        return GST_FLOW_OK;
    }
    f->pts_ns = cap_live_capture_time(cam, rt, arrival);
    f->arrival_ns = arrival;
    OtFrame *old = NULL;
    pthread_mutex_lock(&lv->lock);
    f->seq = lv->seq++;
    /* In capture order, never earlier than the frame before: a source whose running time jumps back (a
     * demuxer re-locking on its sender's clock) must not put a frame behind one the runner is already waiting
     * for. */
    if (f->pts_ns < lv->last_t)
        f->pts_ns = lv->last_t;
    lv->last_t = f->pts_ns;
    int64_t t = f->pts_ns, seq = f->seq;
    if (lv->count == lv->cap) {
        old = lv->ring[lv->head];
        lv->head = (lv->head + 1) % lv->cap;
        lv->count--;
        lv->overflow++;
    }
    lv->ring[(lv->head + lv->count) % lv->cap] = f;
    lv->count++;
    lv->frames++;
    pthread_mutex_unlock(&lv->lock);
    cap_live_arrived(cam, arrival);
    if (buf) {
        cap_packet_resolve(cam, buf, t, seq); /* its packet sits where the frame does */
        gst_buffer_unref(buf);
    }
    ot_frame_unref(&old); /* outside the lock: it may free a buffer */
    return GST_FLOW_OK;
}

/* ---- the slate ---- */

static OtFrame *slate_from(const CapCamera *cam, const char *overlay)
{
    char *desc =
        g_strdup_printf("videotestsrc pattern=black num-buffers=1 ! video/x-raw,format=I420,width=%d,"
                        "height=%d,framerate=1/1,pixel-aspect-ratio=1/1%s ! appsink name=slate sync=false",
                        cam->fmt.width, cam->fmt.height, overlay);
    GstElement *p = gst_parse_launch_full(desc, NULL, GST_PARSE_FLAG_FATAL_ERRORS, NULL);
    g_free(desc);
    if (!p)
        return NULL;
    GstElement *text = gst_bin_get_by_name(GST_BIN(p), "text");
    if (text) {
        char *label = g_strdup_printf("CAMERA %s \xe2\x80\x94 NO SIGNAL", cam->name);
        int px = cam->fmt.height / 12 > 8 ? cam->fmt.height / 12 : 8;
        char *font = g_strdup_printf("Sans Bold %dpx", px);
        g_object_set(text, "text", label, "font-desc", font, NULL);
        g_free(label);
        g_free(font);
        gst_object_unref(text);
    }
    GstElement *sink = gst_bin_get_by_name(GST_BIN(p), "slate");
    OtFrame *f = NULL;
    if (sink && gst_element_set_state(p, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE) {
        GstSample *sample = gst_app_sink_try_pull_sample(GST_APP_SINK(sink), 5 * GST_SECOND);
        GstVideoInfo info;
        if (sample && gst_video_info_from_caps(&info, gst_sample_get_caps(sample)) &&
            (f = cap_frame_from_buffer(gst_sample_get_buffer(sample), &info))) {
            f->source = -1; /* a frame of our own */
            f->seq = 0;
        }
        if (sample)
            gst_sample_unref(sample);
    }
    gst_element_set_state(p, GST_STATE_NULL);
    if (sink)
        gst_object_unref(sink);
    gst_object_unref(p);
    return f;
}

static OtFrame *make_slate(const CapCamera *cam)
{
    OtFrame *f = slate_from(cam, " ! textoverlay name=text valignment=center halignment=center "
                                 "shaded-background=false");
    if (!f) {
        ot_log(OT_LOG_WARNING, "capture",
               "camera \"%s\": no text overlay (install gstreamer1.0-x for pango): "
               "its NO SIGNAL slate is plain black",
               cam->name);
        f = slate_from(cam, "");
    }
    if (!f) {
        f = ot_frame_alloc_buffer(cam->fmt.width, cam->fmt.height, OT_PIX_I420);
        if (f)
            f->source = -1;
    }
    return f;
}

/* ---- setup, start, supervisor ---- */

int cap_live_setup(CapCamera *cam)
{
    CapLive *lv = g_new0(CapLive, 1);
    pthread_mutex_init(&lv->lock, NULL);
    atomic_init(&lv->stop, 0);
    lv->cap = cam->fmt.queue_frames > 0 ? cam->fmt.queue_frames : CAP_LIVE_DEFAULT_QUEUE;
    if (lv->cap > CAP_LIVE_MAX_QUEUE)
        lv->cap = CAP_LIVE_MAX_QUEUE;
    lv->ring = g_new0(OtFrame *, lv->cap);
    lv->lost_after_ns =
        (int64_t)(cam->fmt.lost_after_ms > 0 ? cam->fmt.lost_after_ms : CAP_LIVE_DEFAULT_LOST_AFTER_MS) *
        1000000;
    cam->live = lv;
    if (cam->sink) {
        /* The callback takes every sample as it comes: the appsink never holds one for us. */
        g_object_set(cam->sink, "max-buffers", 1, "drop", TRUE, NULL);
        GstAppSinkCallbacks cb = {.new_sample = on_live_sample};
        gst_app_sink_set_callbacks(cam->sink, &cb, cam, NULL);
        lv->slate = make_slate(cam);
        if (!lv->slate)
            return -ENOMEM;
    }
    return 0;
}

static void set_lost(CapCamera *cam, const char *why)
{
    CapLive *lv = cam->live;
    pthread_mutex_lock(&lv->lock);
    int was = lv->lost;
    if (!was) {
        lv->lost = 1;
        lv->losses++;
        g_strlcpy(lv->why, why, sizeof(lv->why));
    }
    pthread_mutex_unlock(&lv->lock);
    if (!was)
        ot_log(OT_LOG_WARNING, "capture", "camera \"%s\" (%s) lost: %s; reconnecting while the take goes on",
               cam->name, cam->source, why);
}

/* One message off the bus, as the reason a camera is lost ("" when it is not a loss). */
static void read_message(CapCamera *cam, GstMessage *msg, char *why, size_t size)
{
    GError *err = NULL;
    char *dbg = NULL;
    why[0] = 0;
    switch (GST_MESSAGE_TYPE(msg)) {
    case GST_MESSAGE_ERROR:
        gst_message_parse_error(msg, &err, &dbg);
        g_snprintf(why, size, "error: %s", err ? err->message : "unknown");
        if (dbg)
            ot_log(OT_LOG_VERBOSE, "capture", "camera \"%s\": %s", cam->name, dbg);
        break;
    case GST_MESSAGE_EOS:
        g_strlcpy(why, "end of stream", size);
        break;
    case GST_MESSAGE_WARNING:
        gst_message_parse_warning(msg, &err, &dbg);
        ot_log(OT_LOG_VERBOSE, "capture", "camera \"%s\": %s", cam->name, err ? err->message : "warning");
        break;
    default:
        break;
    }
    g_clear_error(&err);
    g_free(dbg);
}

/* Pipeline to NULL and PLAYING again, on the same clock and base time. Supervisor thread only. */
static void restart(CapCamera *cam)
{
    CapLive *lv = cam->live;
    gst_element_set_state(cam->pipeline, GST_STATE_NULL);
    if (cam->uridecode) {
        /* uridecodebin makes new pads when it starts again: unlink and forget the old streams. */
        g_mutex_lock(&cam->lock);
        GPtrArray *fakes = cam->fakes;
        cam->fakes = g_ptr_array_new_with_free_func(gst_object_unref);
        cam->video_linked = FALSE;
        cam->audio_linked = FALSE;
        cam->no_more_pads = FALSE;
        g_mutex_unlock(&cam->lock);
        for (guint i = 0; i < fakes->len; i++) {
            GstElement *fake = g_ptr_array_index(fakes, i);
            gst_element_set_state(fake, GST_STATE_NULL);
            gst_bin_remove(GST_BIN(cam->pipeline), fake);
        }
        g_ptr_array_unref(fakes);
    }
    cap_audio_discont(cam);
    cap_packet_discont(cam);
    pthread_mutex_lock(&lv->lock);
    lv->map_ok = 0; /* a new connection: a new offset */
    lv->run_start = ot_mono_ns();
    lv->restarts++;
    pthread_mutex_unlock(&lv->lock);
    cap_live_use_take_clock(cam->pipeline);
    if (gst_element_set_state(cam->pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
        ot_log(OT_LOG_VERBOSE, "capture", "camera \"%s\": restart failed, trying again later", cam->name);
}

static gpointer supervise(gpointer data)
{
    CapCamera *cam = data;
    CapLive *lv = cam->live;
    int64_t backoff = CAP_LIVE_BACKOFF_MIN_NS, retry_at = 0;
    while (!atomic_load(&lv->stop)) {
        char why[96] = "";
        GstMessage *msg = gst_bus_timed_pop_filtered(
            cam->bus, CAP_LIVE_POLL_NS, GST_MESSAGE_ERROR | GST_MESSAGE_EOS | GST_MESSAGE_WARNING);
        if (msg) {
            read_message(cam, msg, why, sizeof(why));
            gst_message_unref(msg);
        }
        int64_t now = ot_mono_ns();
        pthread_mutex_lock(&lv->lock);
        int64_t since = lv->last_arrival > lv->run_start ? lv->last_arrival : lv->run_start;
        if (!why[0] && !lv->lost && now - since > lv->lost_after_ns)
            g_snprintf(why, sizeof(why), "no frame for %lld ms", (long long)((now - since) / 1000000));
        int was_lost = lv->lost;
        pthread_mutex_unlock(&lv->lock);
        if (why[0]) {
            set_lost(cam, why);
            if (!was_lost)
                retry_at = now; /* first try at once */
        }
        pthread_mutex_lock(&lv->lock);
        int lost = lv->lost;
        pthread_mutex_unlock(&lv->lock);
        if (!lost) {
            backoff = CAP_LIVE_BACKOFF_MIN_NS;
            continue;
        }
        if (now >= retry_at) {
            if (atomic_load(&lv->stop))
                break;
            restart(cam);
            retry_at = ot_mono_ns() + backoff;
            backoff = backoff * 2 > CAP_LIVE_BACKOFF_MAX_NS ? CAP_LIVE_BACKOFF_MAX_NS : backoff * 2;
        }
    }
    return NULL;
}

static int has_signal(CapCamera *cam)
{
    CapLive *lv = cam->live;
    pthread_mutex_lock(&lv->lock);
    int got = lv->last_arrival > 0;
    pthread_mutex_unlock(&lv->lock);
    return got;
}

int cap_live_start(CapCamera *cam, int timeout_ms)
{
    CapLive *lv = cam->live;
    char why[96] = "";
    cap_live_use_take_clock(cam->pipeline);
    pthread_mutex_lock(&lv->lock);
    lv->run_start = ot_mono_ns();
    pthread_mutex_unlock(&lv->lock);
    if (gst_element_set_state(cam->pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
        g_strlcpy(why, "the pipeline does not start", sizeof(why));
    cam->started = TRUE;
    int64_t wait_ns =
        (int64_t)(timeout_ms < CAP_LIVE_FIRST_FRAME_MS ? timeout_ms : CAP_LIVE_FIRST_FRAME_MS) * 1000000;
    int64_t until = ot_mono_ns() + wait_ns;
    while (!why[0] && !has_signal(cam) && ot_mono_ns() < until) {
        GstMessage *msg = gst_bus_timed_pop_filtered(
            cam->bus, CAP_LIVE_POLL_NS, GST_MESSAGE_ERROR | GST_MESSAGE_EOS | GST_MESSAGE_WARNING);
        if (msg) {
            read_message(cam, msg, why, sizeof(why));
            gst_message_unref(msg);
        }
    }
    if (!has_signal(cam)) {
        if (!why[0])
            g_snprintf(why, sizeof(why), "nothing in %.1f s", (double)wait_ns / 1e9);
        ot_log(
            OT_LOG_WARNING, "capture",
            "camera \"%s\" (%s) has no signal yet (%s): the take starts without it (its slate) and picks it "
            "up as soon as it delivers",
            cam->name, cam->source, why);
        set_lost(cam, why);
    }
    char *tname = g_strdup_printf("ot-live-%d", cam->index);
    lv->thread = g_thread_new(tname, supervise, cam);
    g_free(tname);
    return 0;
}

void cap_live_stop(CapCamera *cam)
{
    CapLive *lv = cam ? cam->live : NULL;
    if (!lv || !lv->thread)
        return;
    atomic_store(&lv->stop, 1);
    g_thread_join(lv->thread);
    lv->thread = NULL;
}

void cap_live_free(CapCamera *cam)
{
    CapLive *lv = cam ? cam->live : NULL;
    if (!lv)
        return;
    cap_live_stop(cam);
    for (int i = 0; i < lv->count; i++)
        ot_frame_unref(&lv->ring[(lv->head + i) % lv->cap]);
    g_free(lv->ring);
    ot_frame_unref(&lv->slate);
    pthread_mutex_destroy(&lv->lock);
    g_free(lv);
    cam->live = NULL;
}

/* ---- the runner's view ---- */

static int live_poll(void *opaque, OtFrame **out)
{
    CapLive *lv = ((CapCamera *)opaque)->live;
    *out = NULL;
    pthread_mutex_lock(&lv->lock);
    if (lv->count > 0) {
        *out = lv->ring[lv->head];
        lv->ring[lv->head] = NULL;
        lv->head = (lv->head + 1) % lv->cap;
        lv->count--;
    }
    int lost = lv->lost;
    pthread_mutex_unlock(&lv->lock);
    return *out ? 0 : lost ? OT_ERROR_SOURCE : -EAGAIN;
}

static void live_lost_reason(void *opaque, char *buf, int size)
{
    CapLive *lv = ((CapCamera *)opaque)->live;
    pthread_mutex_lock(&lv->lock);
    snprintf(buf, (size_t)size, "%s", lv->why[0] ? lv->why : "no signal");
    pthread_mutex_unlock(&lv->lock);
}

static int64_t live_overflow(void *opaque)
{
    CapLive *lv = ((CapCamera *)opaque)->live;
    pthread_mutex_lock(&lv->lock);
    int64_t n = lv->overflow;
    pthread_mutex_unlock(&lv->lock);
    return n;
}

SwSource cap_live_source(CapCamera *cam, SwSource src)
{
    src.live = 1;
    src.pull = NULL;
    src.seek = NULL;
    src.poll = live_poll;
    src.lost_reason = live_lost_reason;
    src.overflow = live_overflow;
    src.slate = cam->live->slate;
    return src;
}

void cap_camera_get_live_stats(CapCamera *cam, CapLiveStats *st)
{
    memset(st, 0, sizeof(*st));
    CapLive *lv = cam ? cam->live : NULL;
    if (lv) {
        pthread_mutex_lock(&lv->lock);
        st->frames = lv->frames;
        st->overflow = lv->overflow;
        st->restarts = lv->restarts;
        st->losses = lv->losses;
        st->delay_max_ns = lv->delay_max_ns;
        st->lost = lv->lost;
        pthread_mutex_unlock(&lv->lock);
    }
    cap_audio_get_stats(cam, st);
}
