/* onetake mux: program out live (--stream). The program output's own encoded packets, as references (no copy,
 * no second encode), to MPEG-TS over SRT or UDP or into a .ts file, or to FLV over RTMP or into a .flv file.
 *
 * Threads: the program's mux thread (the producer) calls mux_streams_push for every video packet; each stream has
 * a thread of its own (the consumer, "ot-stream-N") that opens the connection, writes the packets and reconnects.
 * The producer never waits: a GOP is queued only when the stream is connected and its queue has room for a whole
 * GOP more, otherwise that GOP is dropped, whole, from its key packet to the next one. A consumer that loses its
 * connection drops what its queue holds (and the producer the rest of that GOP), reconnects with a backoff and
 * starts again at the next key packet. Drops are counted in runs (consecutive packets of one reason); a closed run
 * is declared by the producer on the program's proof stream (ANOMALY stream-drop, its frames), the only thread
 * that writes that stream.
 *
 * Locks: MuxStream.lock protects its queue, its state, its runs and its counters (a leaf: never held while calling
 * into libav* or the proof). The consumer's AVFormatContext is its own. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>

#include "mux.h"
#include "mux_int.h"
#include "ot_common.h"
#include "proof.h"

#define STREAM_DEFAULT_QUEUE_MS 2000
#define STREAM_DEFAULT_OPEN_MS 10000
#define STREAM_BACKOFF_MIN_MS 250
#define STREAM_BACKOFF_MAX_MS 4000
#define STREAM_PENDING_MAX 16
#define STREAM_LATENCY_SAMPLES 65536 /* the median is of the first this many packets (36 min at 30 fps) */
#define STREAM_SRT_LINGER_S 2         /* at most this long at the close for SRT to deliver what it holds */
#define STREAM_TS_PACKET 1316        /* 7 TS packets: one UDP datagram, SRT's live payload */
/* How long the close waits for a stream to send what it holds before it gives up on it (beyond its queue). */
#define STREAM_CLOSE_GRACE_MS 1000

static const char WHY_FULL[] = "its queue was full (the receiver is slow or stalled)";
static const char WHY_DOWN[] = "it was not connected";
static const char WHY_LOST[] = "its connection was lost";
static const char WHY_CLOSE[] = "not sent before the close";
static const char WHY_FAILED[] = "the stream failed";

/* A run of consecutive dropped packets of one reason: frames [first, last] (pts), gops key packets in it. */
typedef struct DropRun {
    int open;
    int64_t first, last, frames, gops;
    const char *why;
} DropRun;

typedef struct MuxStream {
    struct MuxStreams *set;
    int index;
    char *url;  /* as given */
    char *open_url; /* what avio_open2 gets ("file:" + path for a file) */
    const char *format;
    int is_file;
    pthread_t thread;
    int started;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    /* The queue: references, in decode order, with the time their frame was made. */
    AVPacket **ring;
    int64_t *ring_ns;
    int cap, head, count;
    int qmax;       /* packets the queue may hold (about queue_ms of frames) */
    int admitting;  /* producer: the current GOP goes to the queue */
    int connected;  /* consumer: a connection is open */
    int dead;       /* the stream gave up (a file that failed): everything is dropped */
    int open_result; /* the first open: 0 pending, 1 done, negative failed */
    int stopping;   /* no more packets: send what is queued, then end */
    atomic_int abort; /* interrupt every blocking call now */
    int64_t open_deadline_ns; /* the first open gives up then (0: none) */
    DropRun prod, cons;
    DropRun pending[STREAM_PENDING_MAX];
    int npending;
    MuxStreamStats st;
    int64_t *lat; /* latencies in ns, consumer only until the join */
    int nlat;
    int64_t lat_max;
    /* Consumer only. */
    AVFormatContext *fmt;
    AVStream *avst;
    int64_t offset_ts; /* one second in the stream's time base: dts stay positive through B-frames */
    int logged_loss;
} MuxStream;

struct MuxStreams {
    MuxStream *s[MUX_STREAM_MAX];
    int n;
    AVCodecParameters *par;
    AVRational pkt_tb;
    SwRate rate;
    int gop;
    int optional;
    int queue_ms;
    int open_timeout_ms;
    char *take_id, *genesis;
    int finished;
};

const char *mux_stream_format(const char *url, const char **why)
{
    static const char *const ts_schemes[] = {"srt://", "udp://", NULL};
    static const char *const flv_schemes[] = {"rtmp://", "rtmps://", NULL};
    const char *why_dummy;
    size_t n = url ? strlen(url) : 0;

    if (!why)
        why = &why_dummy;
    *why = NULL;
    if (!n) {
        *why = "an empty URL";
        return NULL;
    }
    for (int i = 0; ts_schemes[i]; i++)
        if (!g_ascii_strncasecmp(url, ts_schemes[i], strlen(ts_schemes[i])))
            return "mpegts";
    for (int i = 0; flv_schemes[i]; i++)
        if (!g_ascii_strncasecmp(url, flv_schemes[i], strlen(flv_schemes[i])))
            return "flv";
    if (strstr(url, "://")) {
        *why = "an unknown scheme: give srt://, udp://, rtmp:// or a .ts or .flv file";
        return NULL;
    }
    if (n > 3 && !g_ascii_strcasecmp(url + n - 3, ".ts"))
        return "mpegts";
    if (n > 4 && !g_ascii_strcasecmp(url + n - 4, ".flv"))
        return "flv";
    *why = "a file must end in .ts (MPEG-TS) or .flv (FLV)";
    return NULL;
}

/* The URL for messages and take.json: an RTMP stream key and an SRT passphrase are secrets. */
static void shown_url(const char *url, char *out, size_t size)
{
    char *tmp = g_strdup(url);
    if (!g_ascii_strncasecmp(tmp, "rtmp", 4)) {
        char *slash = strrchr(tmp, '/');
        char *scheme_end = strstr(tmp, "://");
        /* rtmp://HOST/APP/KEY: the key is the last component after the application */
        if (slash && scheme_end && slash > scheme_end + 3 && strchr(scheme_end + 3, '/') != slash)
            g_strlcpy(slash + 1, "***", strlen(slash + 1) + 1 > 4 ? 4 : strlen(slash + 1) + 1);
    }
    char *pass = strstr(tmp, "passphrase=");
    if (pass) {
        char *end = strchr(pass, '&');
        char *rest = g_strdup(end ? end : "");
        pass[strlen("passphrase=")] = 0;
        char *joined = g_strconcat(tmp, "***", rest, NULL);
        g_free(rest);
        g_free(tmp);
        tmp = joined;
    }
    if (g_strlcpy(out, tmp, size) >= size && size > 4)
        memcpy(out + size - 4, "...", 4);
    g_free(tmp);
}

static int64_t now_ns(void)
{
    return ot_mono_ns();
}

/* ---- drop runs (under s->lock) ---- */

static void run_close(MuxStream *s, DropRun *r)
{
    if (!r->open)
        return;
    r->open = 0;
    if (s->npending < STREAM_PENDING_MAX) {
        s->pending[s->npending++] = *r;
        return;
    }
    /* The producer has not come by (it declares at every packet): fold into the last one. */
    DropRun *l = &s->pending[STREAM_PENDING_MAX - 1];
    l->first = r->first < l->first ? r->first : l->first;
    l->last = r->last > l->last ? r->last : l->last;
    l->frames += r->frames;
    l->gops += r->gops;
}

static void run_add(MuxStream *s, DropRun *r, const AVPacket *pkt, const char *why)
{
    int key = !!(pkt->flags & AV_PKT_FLAG_KEY);
    if (r->open && key && r->why != why)
        run_close(s, r);
    if (!r->open) {
        /* A run that starts inside a GOP (a connection lost mid-GOP) still costs that GOP. */
        *r = (DropRun){.open = 1, .first = pkt->pts, .last = pkt->pts, .why = why, .gops = !key};
        s->st.gops_dropped += !key;
    }
    r->first = pkt->pts < r->first ? pkt->pts : r->first;
    r->last = pkt->pts > r->last ? pkt->pts : r->last;
    r->frames++;
    r->gops += key;
    s->st.frames_dropped++;
    s->st.gops_dropped += key;
}

/* Whatever the queue holds is dropped (a lost connection, the close). */
static void drop_queue(MuxStream *s, const char *why)
{
    while (s->count > 0) {
        AVPacket *p = s->ring[s->head];
        s->ring[s->head] = NULL;
        s->head = (s->head + 1) % s->cap;
        s->count--;
        run_add(s, &s->cons, p, why);
        av_packet_free(&p);
    }
}

/* ---- the consumer ---- */

static int interrupt_cb(void *opaque)
{
    MuxStream *s = opaque;
    if (atomic_load(&s->abort))
        return 1;
    pthread_mutex_lock(&s->lock);
    /* The close does not wait for a connection that is not there (a listener waiting for its caller). */
    int give_up = (s->stopping && !s->connected) || (s->open_deadline_ns && now_ns() > s->open_deadline_ns);
    pthread_mutex_unlock(&s->lock);
    return give_up;
}

static void close_conn(MuxStream *s, int trailer)
{
    if (!s->fmt)
        return;
    if (trailer && av_write_trailer(s->fmt) < 0)
        ot_log(OT_LOG_VERBOSE, "stream", "stream %d (%s): its trailer could not be written", s->index + 1,
               s->st.url);
    if (s->fmt->pb) {
        avio_flush(s->fmt->pb);
        avio_closep(&s->fmt->pb);
    }
    avformat_free_context(s->fmt);
    s->fmt = NULL;
    s->avst = NULL;
}

static void set_metadata(MuxStream *s, AVFormatContext *fmt)
{
    MuxStreams *set = s->set;
    if (!strcmp(s->format, "mpegts")) {
        /* DVB SDT: a recording of the broadcast says which take it claims to be. */
        char *name = g_strdup_printf("onetake take %s", set->take_id ? set->take_id : "unknown");
        char *prov = g_strdup_printf("onetake genesis %s", set->genesis ? set->genesis : "none");
        av_dict_set(&fmt->metadata, "service_name", name, 0);
        av_dict_set(&fmt->metadata, "service_provider", prov, 0);
        g_free(name);
        g_free(prov);
    } else {
        /* FLV onMetaData carries every format-level key as a string. */
        if (set->take_id)
            av_dict_set(&fmt->metadata, "onetake_take_id", set->take_id, 0);
        if (set->genesis)
            av_dict_set(&fmt->metadata, "onetake_genesis", set->genesis, 0);
    }
}

static int open_conn(MuxStream *s)
{
    MuxStreams *set = s->set;
    AVFormatContext *fmt = NULL;
    AVDictionary *opts = NULL;
    int ret = avformat_alloc_output_context2(&fmt, NULL, s->format, NULL);

    if (ret < 0 || !fmt)
        return ret < 0 ? ret : AVERROR(ENOMEM);
    fmt->interrupt_callback = (AVIOInterruptCB){interrupt_cb, s};
    fmt->max_delay = 700000; /* as ffmpeg's -muxdelay: receivers expect the PCR ahead of the DTS */
    AVStream *st = avformat_new_stream(fmt, NULL);
    if (!st || (ret = avcodec_parameters_copy(st->codecpar, set->par)) < 0) {
        avformat_free_context(fmt);
        return st ? ret : AVERROR(ENOMEM);
    }
    st->codecpar->codec_tag = 0;
    st->time_base = !strcmp(s->format, "flv") ? (AVRational){1, 1000} : (AVRational){1, 90000};
    st->avg_frame_rate = (AVRational){set->rate.num, set->rate.den};
    st->r_frame_rate = st->avg_frame_rate;
    set_metadata(s, fmt);
    if (!g_ascii_strncasecmp(s->url, "udp://", 6) && !strstr(s->url, "pkt_size="))
        av_dict_set_int(&opts, "pkt_size", STREAM_TS_PACKET, 0);
    /* SRT's live mode discards what it still holds at the close: give the last GOP time to arrive. */
    if (!g_ascii_strncasecmp(s->url, "srt://", 6) && !strstr(s->url, "linger="))
        av_dict_set_int(&opts, "linger", STREAM_SRT_LINGER_S, 0);
    ret = avio_open2(&fmt->pb, s->open_url, AVIO_FLAG_WRITE, &fmt->interrupt_callback, &opts);
    av_dict_free(&opts);
    if (ret >= 0)
        ret = avformat_write_header(fmt, NULL);
    if (ret < 0) {
        if (fmt->pb)
            avio_closep(&fmt->pb);
        avformat_free_context(fmt);
        return ret;
    }
    avio_flush(fmt->pb);
    s->fmt = fmt;
    s->avst = st;
    s->offset_ts = av_rescale_q(1, (AVRational){1, 1}, st->time_base);
    return 0;
}

/* One packet to the connection: the program's timestamps (frames) in the container's, one second later. */
static int send_packet(MuxStream *s, AVPacket *p)
{
    MuxStreams *set = s->set;
    int64_t before = avio_tell(s->fmt->pb);
    p->stream_index = 0;
    if (p->duration <= 0)
        p->duration = 1;
    av_packet_rescale_ts(p, set->pkt_tb, s->avst->time_base);
    p->pts += s->offset_ts;
    p->dts += s->offset_ts;
    int ret = av_write_frame(s->fmt, p);
    if (ret >= 0) {
        avio_flush(s->fmt->pb); /* on the socket now, not when the next frame fills the buffer */
        ret = s->fmt->pb->error < 0 ? s->fmt->pb->error : 0;
    }
    if (ret >= 0) {
        int64_t after = avio_tell(s->fmt->pb);
        pthread_mutex_lock(&s->lock);
        s->st.bytes += after - before;
        s->st.packets++;
        pthread_mutex_unlock(&s->lock);
    }
    return ret;
}

static void wait_ms(MuxStream *s, int ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&s->lock);
    while (!s->stopping && !atomic_load(&s->abort))
        if (pthread_cond_timedwait(&s->cond, &s->lock, &ts) == ETIMEDOUT)
            break;
    pthread_mutex_unlock(&s->lock);
}

/* The connection failed (a write, or an open after a loss): drop what is queued and the rest of the GOP. */
static void lose(MuxStream *s, AVPacket *p, int averr)
{
    close_conn(s, 0);
    pthread_mutex_lock(&s->lock);
    if (!s->logged_loss)
        ot_log(OT_LOG_WARNING, "stream", "stream %d (%s): %s: %s", s->index + 1, s->st.url,
               s->stopping ? "not sent by the close" : "the connection was lost", av_err2str(averr));
    s->logged_loss = 1;
    const char *why = s->stopping ? WHY_CLOSE : s->is_file ? WHY_FAILED : WHY_LOST;
    if (p)
        run_add(s, &s->cons, p, why);
    drop_queue(s, why);
    s->connected = 0;
    s->admitting = 0;
    s->st.connected = 0;
    if (s->is_file)
        s->dead = 1; /* a file that failed (disk full) stays failed: the take's own files come first */
    pthread_mutex_unlock(&s->lock);
}

static void note_latency(MuxStream *s, int64_t tick_ns)
{
    if (tick_ns <= 0)
        return;
    int64_t l = now_ns() - tick_ns;
    if (s->nlat < STREAM_LATENCY_SAMPLES)
        s->lat[s->nlat++] = l;
    if (l > s->lat_max)
        s->lat_max = l;
}

/* After a loss: open again, waiting longer each time (0.25 s doubling to 4 s), until it works or the close. */
static int reconnect(MuxStream *s, int *backoff)
{
    wait_ms(s, *backoff);
    if (s->stopping || atomic_load(&s->abort))
        return -1;
    int ret = open_conn(s);
    if (ret < 0) {
        *backoff = *backoff * 2 > STREAM_BACKOFF_MAX_MS ? STREAM_BACKOFF_MAX_MS : *backoff * 2;
        return 0;
    }
    ot_log(OT_LOG_INFO, "stream", "stream %d (%s): connected again; it goes on from the next key frame",
           s->index + 1, s->st.url);
    pthread_mutex_lock(&s->lock);
    s->connected = 1;
    s->st.connected = 1;
    s->st.reconnects++;
    pthread_mutex_unlock(&s->lock);
    s->logged_loss = 0;
    *backoff = STREAM_BACKOFF_MIN_MS;
    return 0;
}

static void *stream_main(void *arg)
{
    MuxStream *s = arg;
    char name[16];
    int backoff = STREAM_BACKOFF_MIN_MS;

    snprintf(name, sizeof(name), "ot-stream-%u", (unsigned)(s->index + 1) & 0xffu);
    pthread_setname_np(pthread_self(), name);
    int ret = open_conn(s);
    pthread_mutex_lock(&s->lock);
    s->open_deadline_ns = 0;
    s->open_result = ret < 0 ? (ret > -4096 ? ret : -EIO) : 1;
    s->connected = s->st.connected = ret >= 0;
    if (ret < 0 && s->is_file)
        s->dead = 1;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
    if (ret < 0)
        ot_log(s->set->optional ? OT_LOG_WARNING : OT_LOG_ERROR, "stream", "stream %d (%s): cannot open it: %s%s",
               s->index + 1, s->st.url, av_err2str(ret),
               s->set->optional && !s->is_file ? " (--stream-optional: trying again in the background)" : "");
    for (;;) {
        if (!s->connected) {
            if (s->dead || reconnect(s, &backoff) < 0)
                break;
            continue;
        }
        pthread_mutex_lock(&s->lock);
        while (s->count == 0 && !s->stopping && !atomic_load(&s->abort))
            pthread_cond_wait(&s->cond, &s->lock);
        if (s->count == 0 || atomic_load(&s->abort)) {
            pthread_mutex_unlock(&s->lock);
            break;
        }
        AVPacket *p = s->ring[s->head];
        int64_t tick_ns = s->ring_ns[s->head];
        s->ring[s->head] = NULL;
        s->head = (s->head + 1) % s->cap;
        s->count--;
        pthread_mutex_unlock(&s->lock);
        ret = send_packet(s, p);
        if (ret < 0) {
            lose(s, p, ret);
        } else {
            note_latency(s, tick_ns);
            pthread_mutex_lock(&s->lock);
            run_close(s, &s->cons);
            pthread_mutex_unlock(&s->lock);
        }
        av_packet_free(&p);
    }
    close_conn(s, !atomic_load(&s->abort));
    pthread_mutex_lock(&s->lock);
    drop_queue(s, WHY_CLOSE);
    run_close(s, &s->cons);
    s->connected = s->st.connected = 0;
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

/* ---- the producer (the output's thread) ---- */

static int declare(MuxStream *s, const DropRun *r, ProofStream *proof)
{
    char detail[512];
    if (!proof)
        return 0;
    int n = snprintf(detail, sizeof(detail), "stream %d (%s): %" PRId64 " GOP%s (frames %" PRId64 "-%" PRId64
                     ") not sent: %s", s->index + 1, s->st.url, r->gops, r->gops == 1 ? "" : "s", r->first,
                     r->last, r->why);
    if (n < 0 || (size_t)n >= sizeof(detail))
        memcpy(detail + sizeof(detail) - 4, "...", 4);
    ot_log(OT_LOG_VERBOSE, "stream", "%s", detail);
    return proof_stream_anomaly_count(proof, "stream-drop", r->first, r->last - r->first + 1, -1, r->frames,
                                      detail);
}

/* The runs closed since the last call, declared (outside the lock). */
static int declare_pending(MuxStream *s, ProofStream *proof)
{
    DropRun runs[STREAM_PENDING_MAX];
    int n;
    pthread_mutex_lock(&s->lock);
    n = s->npending;
    memcpy(runs, s->pending, (size_t)n * sizeof(DropRun));
    s->npending = 0;
    pthread_mutex_unlock(&s->lock);
    int ret = 0;
    for (int i = 0; i < n && !ret; i++)
        ret = declare(s, &runs[i], proof);
    return ret;
}

static void push_one(MuxStream *s, const AVPacket *pkt, int64_t tick_ns)
{
    int key = !!(pkt->flags & AV_PKT_FLAG_KEY);
    pthread_mutex_lock(&s->lock);
    if (key) {
        /* A GOP is queued whole or not at all: room for one more GOP, or it is dropped from here. */
        int room = s->count + s->set->gop <= s->qmax;
        s->admitting = s->connected && !s->dead && room && !s->stopping;
        if (s->admitting)
            run_close(s, &s->prod);
    }
    if (s->admitting && s->count < s->cap) {
        AVPacket *ref = av_packet_clone(pkt); /* a reference: the encoder's buffer is shared, not copied */
        if (ref) {
            int tail = (s->head + s->count) % s->cap;
            s->ring[tail] = ref;
            s->ring_ns[tail] = tick_ns;
            s->count++;
            pthread_cond_signal(&s->cond);
            pthread_mutex_unlock(&s->lock);
            return;
        }
        s->admitting = 0; /* no memory: the rest of the GOP is dropped, declared */
    }
    s->admitting = 0;
    run_add(s, &s->prod, pkt, s->dead ? WHY_FAILED : !s->connected ? WHY_DOWN : WHY_FULL);
    pthread_mutex_unlock(&s->lock);
}

int mux_streams_push(MuxStreams *set, const AVPacket *pkt, int64_t tick_ns, ProofStream *proof)
{
    int ret = 0;
    if (!set || set->finished)
        return 0;
    for (int i = 0; i < set->n; i++) {
        push_one(set->s[i], pkt, tick_ns);
        if (!ret)
            ret = declare_pending(set->s[i], proof);
    }
    return ret;
}

static void stream_stop(MuxStream *s, int64_t deadline_ns)
{
    pthread_mutex_lock(&s->lock);
    s->stopping = 1;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
    if (!s->started)
        return;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t left = deadline_ns - now_ns();
    if (left < 0)
        left = 0;
    ts.tv_sec += left / 1000000000LL;
    ts.tv_nsec += left % 1000000000LL;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    if (pthread_timedjoin_np(s->thread, NULL, &ts) != 0) {
        /* A receiver that stopped reading: interrupt the blocked write; the rest is declared as not sent. */
        ot_log(OT_LOG_WARNING, "stream", "stream %d (%s): still sending at the close: given up", s->index + 1,
               s->st.url);
        atomic_store(&s->abort, 1);
        pthread_mutex_lock(&s->lock);
        pthread_cond_broadcast(&s->cond);
        pthread_mutex_unlock(&s->lock);
        pthread_join(s->thread, NULL);
    }
    s->started = 0;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

int mux_streams_finish(MuxStreams *set, ProofStream *proof)
{
    int ret = 0;
    if (!set || set->finished)
        return 0;
    set->finished = 1;
    int64_t deadline = now_ns() + (int64_t)(set->queue_ms + STREAM_CLOSE_GRACE_MS) * 1000000LL;
    for (int i = 0; i < set->n; i++) {
        MuxStream *s = set->s[i];
        pthread_mutex_lock(&s->lock);
        s->stopping = 1;
        run_close(s, &s->prod); /* the producer's run ends here: no more packets */
        pthread_mutex_unlock(&s->lock);
    }
    for (int i = 0; i < set->n; i++) {
        MuxStream *s = set->s[i];
        stream_stop(s, deadline);
        if (!ret)
            ret = declare_pending(s, proof);
        if (s->nlat > 0) {
            qsort(s->lat, (size_t)s->nlat, sizeof(int64_t), cmp_i64);
            pthread_mutex_lock(&s->lock);
            s->st.latency_median_ms = (double)s->lat[s->nlat / 2] / 1e6;
            s->st.latency_max_ms = (double)s->lat_max / 1e6;
            pthread_mutex_unlock(&s->lock);
        }
        ot_log(OT_LOG_INFO, "stream", "stream %d (%s): %" PRId64 " packets, %" PRId64 " bytes sent, %" PRId64
               " GOPs dropped, %" PRId64 " reconnects", i + 1, s->st.url, s->st.packets, s->st.bytes,
               s->st.gops_dropped, s->st.reconnects);
    }
    return ret;
}

void mux_streams_get_stats(MuxStreams *set, MuxOutputStats *stats)
{
    stats->nstreams = set ? set->n : 0;
    for (int i = 0; set && i < set->n; i++) {
        MuxStream *s = set->s[i];
        pthread_mutex_lock(&s->lock);
        stats->streams[i] = s->st;
        pthread_mutex_unlock(&s->lock);
    }
}

static void stream_free(MuxStream **ps)
{
    MuxStream *s = *ps;
    if (!s)
        return;
    if (s->started) {
        atomic_store(&s->abort, 1);
        stream_stop(s, now_ns());
    }
    close_conn(s, 0);
    for (int i = 0; s->ring && i < s->cap; i++)
        av_packet_free(&s->ring[i]);
    free(s->ring);
    free(s->ring_ns);
    free(s->lat);
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->cond);
    g_free(s->url);
    g_free(s->open_url);
    free(s);
    *ps = NULL;
}

void mux_streams_free(MuxStreams **pset)
{
    MuxStreams *set = pset ? *pset : NULL;
    if (!set)
        return;
    for (int i = 0; i < set->n; i++)
        stream_free(&set->s[i]);
    avcodec_parameters_free(&set->par);
    g_free(set->take_id);
    g_free(set->genesis);
    free(set);
    *pset = NULL;
}

/* A file stream is a new file, never an overwrite (like every file of a take). */
static int create_file(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
        int err = -errno;
        ot_log(OT_LOG_ERROR, "stream", "cannot create the stream file \"%s\": %s%s", path, ot_strerror(err),
               err == -EEXIST ? ": onetake never overwrites a recording; give a new file" : "");
        return err;
    }
    close(fd);
    return 0;
}

static MuxStream *stream_alloc(MuxStreams *set, int index, const char *url, int queue_frames)
{
    const char *why = NULL;
    const char *format = mux_stream_format(url, &why);
    if (!format) {
        ot_log(OT_LOG_ERROR, "stream", "--stream %s: %s", url, why);
        return NULL;
    }
    MuxStream *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->cond, NULL);
    atomic_init(&s->abort, 0);
    s->set = set;
    s->index = index;
    s->format = format;
    s->url = g_strdup(url);
    s->is_file = !strstr(url, "://");
    s->open_url = s->is_file ? g_strconcat("file:", url, NULL) : g_strdup(url);
    shown_url(url, s->st.url, sizeof(s->st.url));
    s->st.format = format;
    s->qmax = queue_frames > set->gop ? queue_frames : set->gop;
    s->qmax += set->gop;     /* about queue_ms queued, plus the GOP being let in */
    s->cap = s->qmax + 8;    /* never reached: a GOP is at most gop packets */
    s->ring = calloc((size_t)s->cap, sizeof(*s->ring));
    s->ring_ns = calloc((size_t)s->cap, sizeof(*s->ring_ns));
    s->lat = malloc(STREAM_LATENCY_SAMPLES * sizeof(*s->lat));
    if (!s->ring || !s->ring_ns || !s->lat || (s->is_file && create_file(url) < 0)) {
        stream_free(&s);
        return NULL;
    }
    return s;
}

/* Wait for each stream's first open (its thread gives up at the deadline by itself). */
static int wait_opened(MuxStreams *set)
{
    int ret = 0;
    for (int i = 0; i < set->n; i++) {
        MuxStream *s = set->s[i];
        pthread_mutex_lock(&s->lock);
        while (!s->open_result)
            pthread_cond_wait(&s->cond, &s->lock);
        int r = s->open_result;
        pthread_mutex_unlock(&s->lock);
        if (r < 0 && !set->optional && !ret) {
            ot_log(OT_LOG_ERROR, "stream", "stream %d (%s) could not be opened before the roll: check that the "
                   "receiver is there (an SRT listener needs its caller within %d ms) or give --stream-optional",
                   i + 1, s->st.url, set->open_timeout_ms);
            ret = r;
        }
    }
    return ret;
}

MuxStreams *mux_streams_alloc(const MuxStreamConfig *cfg, const AVCodecParameters *par, AVRational pkt_tb,
                              SwRate rate, int gop)
{
    if (!cfg || cfg->nurls <= 0 || cfg->nurls > MUX_STREAM_MAX || !par)
        return NULL;
    MuxStreams *set = calloc(1, sizeof(*set));
    if (!set)
        return NULL;
    set->par = avcodec_parameters_alloc();
    if (!set->par || avcodec_parameters_copy(set->par, par) < 0) {
        mux_streams_free(&set);
        return NULL;
    }
    set->pkt_tb = pkt_tb;
    set->rate = rate;
    set->gop = gop > 0 ? gop : 1;
    set->optional = cfg->optional;
    set->queue_ms = cfg->queue_ms > 0 ? cfg->queue_ms : STREAM_DEFAULT_QUEUE_MS;
    set->take_id = g_strdup(cfg->take_id);
    set->genesis = g_strdup(cfg->genesis);
    set->open_timeout_ms = cfg->open_timeout_ms > 0 ? cfg->open_timeout_ms : STREAM_DEFAULT_OPEN_MS;
    int queue_frames = (int)((int64_t)set->queue_ms * rate.num / ((int64_t)rate.den * 1000));
    int64_t deadline = now_ns() + (int64_t)set->open_timeout_ms * 1000000LL;
    for (int i = 0; i < cfg->nurls; i++) {
        MuxStream *s = stream_alloc(set, i, cfg->urls[i], queue_frames);
        if (!s)
            goto fail;
        set->s[set->n++] = s;
        s->open_deadline_ns = deadline;
        if (pthread_create(&s->thread, NULL, stream_main, s) != 0)
            goto fail;
        s->started = 1;
    }
    if (wait_opened(set) < 0)
        goto fail;
    return set;

fail:
    for (int i = 0; i < set->n; i++) {
        MuxStream *s = set->s[i];
        if (s->started) {
            atomic_store(&s->abort, 1);
            stream_stop(s, now_ns());
        }
        if (s->is_file)
            unlink(s->url); /* ours (O_EXCL): nothing that looks like a recording is left behind */
    }
    mux_streams_free(&set);
    return NULL;
}
