/* onetake mux: a live copy ISO (--iso-codec copy on a live camera): the camera's own compressed stream, as it
 * came (capture's tap between its parser and its decoder), remuxed to iso/NAME.mkv on the take clock
 * (docs/take-folder.md, "iso/"). Never decoded or re-encoded.
 *
 * Time: a packet carries its decoded frame's capture time and seq (capture ties them). At every tick the
 * program thread posts (tick, seq) when the camera shows a new frame; the ISO writes the packets of the
 * frames that tick first showed at milliseconds inside the tick's window, T(tick-1) + tolerance < m <=
 * T(tick) + tolerance (T(k) = k/fps, the tolerance SW_RUNNER_TOLERANCE_NS: the runner picks at tick k the
 * latest frame at or before T(k) + tolerance), each as near its capture time as can be and strictly
 * increasing. So a late frame is where the take showed it, frames of equal capture time stay apart, and
 * replay, reading the ISO as a file camera, picks at every tick the frame the take picked. The ISO starts at
 * the keyframe before the frame of its first tick (often before the roll): its time 0 is take time start_ms
 * (take.json), which replay adds back.
 *
 * Progress: posts are a store under a lock and a signal, never a wait; the ISO's thread pulls what capture
 * has timed (every 100 ms even without a post, so that capture's bounded queue does not fill before the roll)
 * and writes, per posted tick, in decode order, every packet up to its frame.
 *
 * Losses: a packet that says discont (capture lost packets: a restart after a loss, a full queue) makes the
 * ISO skip to the next keyframe; the restart is declared (on_anomaly "iso-restart", the take log's ANOMALY on
 * the ISO's stream) with the packets it left out. New codec private data (a restarted encoder with other
 * settings) is declared too ("iso-params"); for H.264 the new SPS and PPS go in-band before the keyframe, so
 * that a decoder follows the change (Matroska's CodecPrivate is written once, in the header).
 *
 * Threads and locks: `lock` guards posts, npost, last_seq, last_tick, roll_ns, finishing, aborting, err,
 * failed_at and the counters, and `cond` signals their changes. The read-ahead, the output and the fields
 * without a lock belong to the ISO's thread while it runs. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>
#include <libavcodec/avcodec.h>
#include <libavutil/intreadwrite.h>
#include <libavutil/mathematics.h>

#include "mux_int.h"
#include "ot_common.h"
#include "sw_runner.h"
#include "sw_timecode.h"

#define ISO_LIVE_POLL_NS 100000000LL /* the thread drains capture's queue at least this often */
#define ISO_LIVE_AHEAD_MAX 4096      /* packets held ahead of the take: a bound on memory */
#define ISO_LIVE_POSTS 512           /* ticks posted and not yet written: 17 s at 30 fps */

typedef struct IsoPost {
    int64_t tick, seq; /* the camera's frame seq that tick first showed */
} IsoPost;

struct MuxIsoLive {
    char *camera;
    char *iso; /* the ISO's path, for messages */
    int cam;
    MuxPacketSource src;
    MuxLiveStream st;
    SwRate rate; /* the program's: the tick grid */
    int64_t frame_ms;
    MuxOutput *out;
    void (*on_anomaly)(void *opaque, int cam, const char *kind, int64_t tick, const char *detail);
    void *on_anomaly_opaque;
    /* the ISO's thread */
    GQueue ahead; /* MuxLivePacket *: pulled, not yet written, decode order */
    int started, waiting_key;
    int64_t start_m;  /* ms of the first packet written: ISO time 0 */
    int64_t last_m;   /* the latest ms given, INT64_MIN before the first */
    int64_t last_dts; /* ms, ISO time, INT64_MIN before the first */
    int64_t skipped;  /* packets left out since the last keyframe written (reported with the restart) */
    int pending_params;
    int64_t roll; /* roll_ns, as the thread read it */

    pthread_t thread;
    int thread_started;
    int finished;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    IsoPost posts[ISO_LIVE_POSTS]; /* in tick order */
    int npost;
    int64_t last_seq, last_tick, roll_ns, coalesced;
    int finishing, aborting;
    int err;
    int64_t failed_at;
    int64_t restarts, lost; /* counters (under lock) */
    int64_t start_ms;
};

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* The window of tick: T(tick-1) + tolerance < m ms <= T(tick) + tolerance (tick 0: no lower end). */
static void tick_window(const MuxIsoLive *c, int64_t tick, int64_t *lo, int64_t *hi)
{
    const int64_t tol = SW_RUNNER_TOLERANCE_NS;
    *hi = floor_div(sw_rate_frame_to_ns(c->rate, tick) + tol, 1000000);
    *lo = tick <= 0 ? INT64_MIN : floor_div(sw_rate_frame_to_ns(c->rate, tick - 1) + tol, 1000000) + 1;
}

typedef struct IsoSlot {
    int64_t t; /* take time, ns */
    int index; /* in decode order */
    int64_t m;
} IsoSlot;

static int by_time(const void *a, const void *b)
{
    const IsoSlot *x = a, *y = b;
    return x->t != y->t ? (x->t < y->t ? -1 : 1) : x->index - y->index;
}

/* The ms of the n packets that tick first showed (decode order in p): in presentation order, each as near its
 * take time as can be inside the tick's window, strictly increasing (a decoder reading the ISO keeps frames
 * of equal time apart only by luck), after the last ms written. A frame that arrived after its time's tick
 * (late) is moved to the tick that showed it; before the roll only the order counts. */
static void batch_ms(MuxIsoLive *c, MuxLivePacket **p, int n, int64_t tick, int64_t *ms)
{
    int64_t lo, hi;
    IsoSlot *sl = g_new(IsoSlot, n);
    tick_window(c, tick, &lo, &hi);
    if (c->last_m != INT64_MIN && lo <= c->last_m)
        lo = c->last_m + 1;
    for (int i = 0; i < n; i++) {
        sl[i] = (IsoSlot){.t = p[i]->pts_ns - c->roll, .index = i};
        sl[i].m = floor_div(sl[i].t + 500000, 1000000);
    }
    qsort(sl, (size_t)n, sizeof(*sl), by_time);
    for (int i = 0; i < n; i++) {
        if (sl[i].m < lo)
            sl[i].m = lo;
        if (i > 0 && sl[i].m <= sl[i - 1].m)
            sl[i].m = sl[i - 1].m + 1;
    }
    /* Past the window's end: pulled back, keeping the order (equal only if the window is too small). */
    for (int i = n - 1; i >= 0; i--) {
        int64_t cap = i == n - 1 ? hi : sl[i + 1].m - 1;
        if (sl[i].m > cap)
            sl[i].m = cap;
        if (lo != INT64_MIN && sl[i].m < lo)
            sl[i].m = lo;
    }
    for (int i = 0; i < n; i++) {
        ms[sl[i].index] = sl[i].m;
        if (c->last_m == INT64_MIN || sl[i].m > c->last_m)
            c->last_m = sl[i].m;
    }
    g_free(sl);
}

static void declare(MuxIsoLive *c, const char *kind, int64_t tick, const char *detail)
{
    ot_log(OT_LOG_WARNING, "iso", "copy ISO %s (camera \"%s\"): %s", c->iso, c->camera, detail);
    if (c->on_anomaly)
        c->on_anomaly(c->on_anomaly_opaque, c->cam, kind, tick, detail);
}

static void packet_free(MuxIsoLive *c, MuxLivePacket **pp)
{
    if (!*pp)
        return;
    c->src.release(c->src.opaque, *pp);
    g_free(*pp);
    *pp = NULL;
}

/* Everything capture has ready, onto the read-ahead. Before the roll only the packets from the last keyframe
 * on are kept: the ISO will start at one. */
static void drain(MuxIsoLive *c)
{
    for (;;) {
        MuxLivePacket *p = g_new0(MuxLivePacket, 1);
        if (c->src.pull(c->src.opaque, p) < 0) {
            g_free(p);
            return;
        }
        if (!c->started && p->key && c->roll == INT64_MIN) /* before the roll: keep one GOP */
            for (MuxLivePacket *q; (q = g_queue_pop_head(&c->ahead));)
                packet_free(c, &q);
        if (!c->started && !p->key && g_queue_is_empty(&c->ahead)) {
            packet_free(c, &p); /* before the first keyframe: nothing could decode it */
            continue;
        }
        if (g_queue_get_length(&c->ahead) >= ISO_LIVE_AHEAD_MAX) {
            MuxLivePacket *old = g_queue_pop_head(&c->ahead);
            packet_free(c, &old);
            p->discont = 1;
            pthread_mutex_lock(&c->lock);
            c->lost++;
            pthread_mutex_unlock(&c->lock);
        }
        g_queue_push_tail(&c->ahead, p);
    }
}

/* H.264: the SPS and PPS of new avcC data in front of a keyframe, as 4-byte length-prefixed NAL units. */
static uint8_t *avcc_prefix(const MuxLiveStream *st, size_t *len)
{
    const uint8_t *d = st->extradata, *end = d + st->extradata_size;
    GByteArray *a = g_byte_array_new();
    if (st->extradata_size < 7 || d[0] != 1)
        return g_byte_array_free(a, TRUE), NULL;
    const uint8_t *p = d + 5;
    for (int set = 0; set < 2; set++) {
        if (p >= end)
            break;
        int n = set == 0 ? (*p++ & 0x1f) : *p++;
        for (int i = 0; i < n && p + 2 <= end; i++) {
            int sz = AV_RB16(p);
            p += 2;
            if (p + sz > end)
                break;
            uint8_t be[4];
            AV_WB32(be, (uint32_t)sz);
            g_byte_array_append(a, be, 4);
            g_byte_array_append(a, p, (guint)sz);
            p += sz;
        }
    }
    *len = a->len;
    return g_byte_array_free(a, FALSE);
}

/* One packet to the ISO, at its tick's ms. */
static int write_one(MuxIsoLive *c, MuxLivePacket *p, int64_t m, int64_t tick)
{
    uint8_t *prefix = NULL;
    size_t plen = 0;
    char detail[256];
    int ret;

    if (p->params_changed)
        c->pending_params = 1;
    if (p->discont && c->started && !c->waiting_key)
        c->waiting_key = 1;
    if (c->waiting_key && !p->key) {
        c->skipped++;
        pthread_mutex_lock(&c->lock);
        c->lost++;
        pthread_mutex_unlock(&c->lock);
        return 0;
    }
    if (!c->started) {
        c->started = 1;
        c->start_m = m;
        pthread_mutex_lock(&c->lock);
        c->start_ms = m;
        pthread_mutex_unlock(&c->lock);
    } else if (c->waiting_key) {
        c->waiting_key = 0;
        pthread_mutex_lock(&c->lock);
        c->restarts++;
        pthread_mutex_unlock(&c->lock);
        snprintf(
            detail, sizeof(detail),
            "its stream restarted after a loss: the ISO goes on at the keyframe at take time %.3f s; %" PRId64
            " packets before it are not in the ISO",
            (double)m / 1000, c->skipped);
        declare(c, "iso-restart", tick, detail);
        c->skipped = 0;
    }
    if (c->pending_params && p->key) {
        MuxLiveStream now;
        c->pending_params = 0;
        if (c->src.stream(c->src.opaque, &now) == 0 &&
            (now.extradata_size != c->st.extradata_size ||
             memcmp(now.extradata, c->st.extradata, (size_t)now.extradata_size))) {
            if (!strcmp(c->st.codec, "h264") && !strcmp(now.codec, "h264"))
                prefix = avcc_prefix(&now, &plen);
            snprintf(detail, sizeof(detail), "its codec private data changed at take time %.3f s%s",
                     (double)m / 1000,
                     prefix ? ": the new SPS and PPS are in-band before the keyframe"
                            : ": the ISO's header keeps the first (a decoder may fail after this point)");
            declare(c, "iso-params", tick, detail);
        }
    }
    AVPacket *pkt = av_packet_alloc();
    if (!pkt || av_new_packet(pkt, (int)(plen + p->size)) < 0) {
        av_packet_free(&pkt);
        g_free(prefix);
        return -ENOMEM;
    }
    if (plen)
        memcpy(pkt->data, prefix, plen);
    memcpy(pkt->data + plen, p->data, p->size);
    g_free(prefix);
    pkt->pts = m - c->start_m;
    if (pkt->pts < 0)
        pkt->pts = 0;
    int64_t dts =
        p->dts_ns != INT64_MIN ? pkt->pts - floor_div(p->pts_ns - p->dts_ns + 500000, 1000000) : pkt->pts;
    if (dts > pkt->pts)
        dts = pkt->pts;
    if (c->last_dts != INT64_MIN && dts < c->last_dts)
        dts = c->last_dts;
    if (dts > pkt->pts)
        pkt->pts = dts; /* a broken decode order: keep the file valid, the frame stays where it was shown */
    pkt->dts = dts;
    pkt->duration = c->frame_ms;
    pkt->flags = p->key ? AV_PKT_FLAG_KEY : 0;
    pkt->pos = -1;
    c->last_dts = dts;
    ret = mux_output_write_packet(c->out, pkt); /* logs its own errors, with the path */
    av_packet_free(&pkt);
    return ret;
}

/* Tick `tick` first showed the camera's frame seq: write, in decode order, every packet up to the last one
 * whose frame is that one or an earlier one. */
static int write_upto(MuxIsoLive *c, int64_t seq, int64_t tick)
{
    int n = 0, i = 0, ret = 0;

    if (!c->started) {
        /* Start at the last keyframe shown by then: the frame of the first tick decodes from it. */
        int k = -1;
        for (GList *l = c->ahead.head; l; l = l->next, i++) {
            MuxLivePacket *p = l->data;
            if (p->frame_seq > seq)
                break;
            if (p->key)
                k = i;
        }
        for (; k > 0; k--) {
            MuxLivePacket *q = g_queue_pop_head(&c->ahead);
            packet_free(c, &q);
        }
        if (k < 0)
            return 0; /* no keyframe shown yet */
        i = 0;
    }
    for (GList *l = c->ahead.head; l; l = l->next, i++)
        if (((MuxLivePacket *)l->data)->frame_seq <= seq)
            n = i + 1;
    if (n == 0)
        return 0;
    MuxLivePacket **batch = g_new(MuxLivePacket *, n);
    int64_t *ms = g_new(int64_t, n);
    for (int j = 0; j < n; j++)
        batch[j] = g_queue_pop_head(&c->ahead);
    batch_ms(c, batch, n, tick, ms);
    for (int j = 0; j < n; j++) {
        if (ret == 0)
            ret = write_one(c, batch[j], ms[j], tick);
        packet_free(c, &batch[j]);
    }
    g_free(batch);
    g_free(ms);
    return ret;
}

static void *live_thread(void *opaque)
{
    MuxIsoLive *c = opaque;
    IsoPost *todo = g_new(IsoPost, ISO_LIVE_POSTS);

    pthread_mutex_lock(&c->lock);
    for (;;) {
        while (!c->aborting && !c->finishing && (c->npost == 0 || c->roll_ns == INT64_MIN)) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            int64_t at = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec + ISO_LIVE_POLL_NS;
            ts.tv_sec = (time_t)(at / 1000000000LL);
            ts.tv_nsec = (long)(at % 1000000000LL);
            if (pthread_cond_timedwait(&c->cond, &c->lock, &ts) == ETIMEDOUT)
                break; /* drain capture's queue anyway */
        }
        if (c->aborting)
            break;
        int fin = c->finishing, n = 0;
        int have_roll = c->roll_ns != INT64_MIN;
        c->roll = c->roll_ns; /* the thread's copy: set once, before the first tick */
        if (have_roll) {
            n = c->npost;
            memcpy(todo, c->posts, sizeof(*todo) * (size_t)n);
            c->npost = 0;
        }
        pthread_mutex_unlock(&c->lock);
        /* Unlocked: the program thread may post the next ticks meanwhile. */
        drain(c);
        int ret = 0;
        for (int i = 0; i < n && ret == 0; i++)
            ret = write_upto(c, todo[i].seq, todo[i].tick);
        pthread_mutex_lock(&c->lock);
        if (ret < 0) {
            c->err = ret;
            c->failed_at = c->last_tick;
            break;
        }
        if (fin && (c->npost == 0 || !have_roll))
            break;
    }
    pthread_mutex_unlock(&c->lock);
    g_free(todo);
    return NULL;
}

static int codec_params(const MuxIsoLive *c, AVCodecParameters *par)
{
    const AVCodecDescriptor *d = avcodec_descriptor_get_by_name(c->st.codec);
    if (!d || d->type != AVMEDIA_TYPE_VIDEO)
        return -ENOTSUP;
    par->codec_type = AVMEDIA_TYPE_VIDEO;
    par->codec_id = d->id;
    par->width = c->st.width;
    par->height = c->st.height;
    if (c->st.extradata_size > 0) {
        par->extradata = av_mallocz((size_t)c->st.extradata_size + AV_INPUT_BUFFER_PADDING_SIZE);
        if (!par->extradata)
            return -ENOMEM;
        memcpy(par->extradata, c->st.extradata, (size_t)c->st.extradata_size);
        par->extradata_size = c->st.extradata_size;
    }
    return 0;
}

MuxIsoLive *mux_iso_live_alloc(const MuxOutputConfig *cfg, const char *camera, int cam,
                               const MuxPacketSource *src, SwRate rate,
                               void (*on_anomaly)(void *, int, const char *, int64_t, const char *),
                               void *on_anomaly_opaque)
{
    if (!cfg || !cfg->path || !camera || !src || !src->opaque || !src->stream || !src->pull || !src->release)
        return NULL;
    MuxIsoLive *c = g_new0(MuxIsoLive, 1);
    pthread_mutex_init(&c->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_cond_init(&c->cond, &ca);
    pthread_condattr_destroy(&ca);
    g_queue_init(&c->ahead);
    c->camera = g_strdup(camera);
    c->iso = g_strdup(cfg->path);
    c->cam = cam;
    c->src = *src;
    c->rate = rate;
    c->on_anomaly = on_anomaly;
    c->on_anomaly_opaque = on_anomaly_opaque;
    c->roll_ns = c->roll = INT64_MIN;
    c->last_seq = c->last_tick = c->failed_at = -1;
    c->last_dts = c->last_m = INT64_MIN;

    if (src->stream(src->opaque, &c->st) < 0) {
        ot_log(OT_LOG_ERROR, "iso",
               "camera \"%s\" gives no compressed stream a copy ISO can record (H.264, H.265 or MPEG-2 video "
               "with its codec data): record it with --iso-codec ffv1 or h264, or --iso-codec auto",
               camera);
        goto fail;
    }
    AVCodecParameters *par = avcodec_parameters_alloc();
    int ret = par ? codec_params(c, par) : -ENOMEM;
    AVRational fr = c->st.fps_num > 0 && c->st.fps_den > 0 ? (AVRational){c->st.fps_num, c->st.fps_den}
                                                           : (AVRational){0, 1};
    c->frame_ms = fr.num > 0 ? av_rescale(1000, fr.den, fr.num) : 0;
    if (ret == 0)
        c->out = mux_output_alloc_copy(cfg, par, fr, NULL); /* no audio; logs its own errors, with the path */
    avcodec_parameters_free(&par);
    if (ret < 0)
        ot_log(OT_LOG_ERROR, "iso", "camera \"%s\": its stream (%s) cannot be remuxed: %s", camera,
               c->st.codec, ot_strerror(ret));
    if (!c->out)
        goto fail;
    ret = pthread_create(&c->thread, NULL, live_thread, c);
    if (ret) {
        ot_log(OT_LOG_ERROR, "iso", "cannot start the thread of the copy ISO %s: %s", c->iso,
               ot_strerror(-ret));
        mux_output_free(&c->out);
        unlink(c->iso);
        goto fail;
    }
    c->thread_started = 1;
    ot_log(OT_LOG_VERBOSE, "iso",
           "copy ISO %s: camera \"%s\", its live %s stream (%dx%d, %d/%d fps, %d bytes of "
           "codec data)",
           c->iso, camera, c->st.codec, c->st.width, c->st.height, c->st.fps_num, c->st.fps_den,
           c->st.extradata_size);
    return c;

fail:
    mux_iso_live_free(&c);
    return NULL;
}

void mux_iso_live_set_roll(MuxIsoLive *c, int64_t roll_ns)
{
    if (!c)
        return;
    pthread_mutex_lock(&c->lock);
    c->roll_ns = roll_ns;
    pthread_cond_signal(&c->cond);
    pthread_mutex_unlock(&c->lock);
}

int mux_iso_live_post(MuxIsoLive *c, int64_t tick, const OtFrame *frame)
{
    if (!c || !frame)
        return -EINVAL;
    pthread_mutex_lock(&c->lock);
    /* A new frame of the camera's (the slate, source -1, is none); by its seq: frames of equal capture time
     * (a burst clamped to its arrival) are told apart. */
    if (frame->source >= 0 && frame->seq > c->last_seq && !c->finishing) {
        if (c->npost == ISO_LIVE_POSTS) {
            c->npost--; /* the thread is 17 s behind: the last entry takes this tick too (counted) */
            c->coalesced++;
        }
        c->posts[c->npost++] = (IsoPost){.tick = tick, .seq = frame->seq};
        c->last_seq = frame->seq;
        c->last_tick = tick;
        pthread_cond_signal(&c->cond);
    }
    int err = c->err;
    pthread_mutex_unlock(&c->lock);
    return err;
}

static void join_thread(MuxIsoLive *c, int abort)
{
    if (!c->thread_started)
        return;
    pthread_mutex_lock(&c->lock);
    if (abort)
        c->aborting = 1;
    c->finishing = 1;
    pthread_cond_signal(&c->cond);
    pthread_mutex_unlock(&c->lock);
    pthread_join(c->thread, NULL);
    c->thread_started = 0;
}

int mux_iso_live_finish(MuxIsoLive *c, int64_t *failed_at)
{
    if (failed_at)
        *failed_at = -1;
    if (!c)
        return -EINVAL;
    if (!c->finished) {
        c->finished = 1;
        join_thread(c, 0);
        int ret = mux_output_close(c->out);
        pthread_mutex_lock(&c->lock);
        if (ret < 0 && !c->err) {
            c->err = ret;
            c->failed_at = c->last_tick;
        }
        pthread_mutex_unlock(&c->lock);
        if (c->coalesced > 0)
            ot_log(OT_LOG_WARNING, "iso",
                   "copy ISO %s: its thread fell %d ticks behind %" PRId64
                   " times: frames of those ticks sit at a later tick",
                   c->iso, ISO_LIVE_POSTS, c->coalesced);
        if (!c->started)
            ot_log(OT_LOG_WARNING, "iso",
                   "copy ISO %s: camera \"%s\" gave no keyframe the take showed: the ISO is "
                   "empty",
                   c->iso, c->camera);
    }
    pthread_mutex_lock(&c->lock);
    int err = c->err;
    if (failed_at)
        *failed_at = c->failed_at;
    pthread_mutex_unlock(&c->lock);
    return err;
}

void mux_iso_live_get_stats(MuxIsoLive *c, MuxIsoStats *st)
{
    mux_output_get_stats(c ? c->out : NULL, &st->out);
    if (!c)
        return;
    pthread_mutex_lock(&c->lock);
    st->live = 1;
    st->start_ms = c->start_ms;
    st->restarts = c->restarts;
    st->lost_packets = c->lost;
    pthread_mutex_unlock(&c->lock);
}

void mux_iso_live_free(MuxIsoLive **pc)
{
    MuxIsoLive *c = pc ? *pc : NULL;
    if (!c)
        return;
    join_thread(c, 1);
    mux_output_free(&c->out);
    for (MuxLivePacket *p; (p = g_queue_pop_head(&c->ahead));)
        packet_free(c, &p);
    pthread_cond_destroy(&c->cond);
    pthread_mutex_destroy(&c->lock);
    g_free(c->camera);
    g_free(c->iso);
    g_free(c);
    *pc = NULL;
}
