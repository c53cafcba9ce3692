/* onetake mux: a copy ISO (--iso-codec copy): the camera's file remuxed to iso/NAME.mkv on the take clock,
 * its own packets, never decoded or re-encoded (docs/take-folder.md, "iso/"). File cameras: their packets
 * are in the file (a live camera's copy ISO is its tapped stream: mux_iso_live.c).
 *
 * Time: the ISO is on the take clock exactly as capture stamps the camera's frames: a packet's time is its
 * presentation time minus that of the file's first frame (the smallest pts among the first packets in decode
 * order, as libavformat gives them with any MP4 edit list applied), in Matroska's millisecond. So the ISO
 * frame at take time t is the camera frame the switcher saw at t, and the camera keeps its own rate (a 25 fps
 * camera gives a 25 fps ISO): replay maps its frames to ticks with the same rule as the take.
 *
 * Progress: at every tick the program thread posts the time of the frame the camera shows (mux_iso_copy_post:
 * a store under a lock and a signal, never a wait on the remux). The ISO's own thread then writes, in decode
 * order, every packet up to the last one (in decode order) whose frame is shown by then: with B-frames, the P
 * frame a shown B frame refers to is written before it even though it is shown later. To know which packet is
 * that last one it reads ahead until a packet whose dts is past the limit: pts >= dts, so no later packet can
 * be shown by then.
 *
 * End: mux_iso_copy_finish writes what the last posted frame (the take's last tick) needs, then closes: every
 * frame shown at a tick before the end, plus, only where decode order puts them first, the references of
 * those frames that are shown after the end (at most the reorder depth: one or two frames); nothing after the
 * last needed packet.
 *
 * Audio (with_audio): the file's first audio stream is remuxed too, its packets as they are, on the same take
 * clock (take time 0 is the first video frame; audio before it is left out), into a second track interleaved
 * by the output's audio queue: every packet that starts by the last posted frame's end, and one more.
 *
 * Threads and locks: `lock` guards limit_ns, limit_tick, done_ns, finishing, aborting, err and failed_at, and
 * `cond` signals their changes. The demuxer, the read-ahead and the output belong to the ISO's thread while
 * it runs, to the owner's thread before it starts and after the join. The output's stats have their own lock.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <libavformat/avformat.h>
#include <libavutil/mathematics.h>

#include "mux_audio.h"
#include "mux_int.h"
#include "ot_common.h"

/* The same frame's take time from GStreamer (capture) and from libavformat (here) differ by rounding only,
 * well under a millisecond; frames are at least 4 ms apart up to 240 fps. */
#define ISO_COPY_SLACK_NS 1000000
/* Packets read ahead at most before the ISO writes what it can decide: far beyond any reorder depth (H.264
 * allows 16), and a bound on memory if a file's dts never pass the limit. */
#define ISO_COPY_AHEAD_MAX 256
/* Audio packets this long before the first frame are kept (priming: AAC's is 1024 to 2112 samples, 44 ms). */
#define ISO_COPY_AUDIO_PREROLL_NS 100000000LL

struct MuxIsoCopy {
    char *camera;
    char *path; /* the camera's file */
    char *iso;  /* the ISO's path, for messages */
    AVFormatContext *in;
    int st_index;
    AVRational tb;    /* the camera stream's time base */
    AVRational rate;  /* its nominal frame rate ({0, 1}: unknown), kept by the ISO */
    int64_t origin;   /* pts of the camera's first frame, in tb: take time 0 */
    int64_t frame_ms; /* one frame in ms, for packets without a duration (0: unknown) */
    GQueue ahead;     /* AVPacket *: demuxed, not yet written, in decode order */
    int eof;
    int64_t last_dts_ms; /* dts of the last packet written, INT64_MIN before the first */
    int64_t skipped;     /* packets before the first frame, left out */
    int ast_index;       /* the audio stream remuxed too, -1: none */
    AVRational atb;
    GQueue aq;           /* AVPacket *: its packets demuxed, not yet written */
    int64_t audio_step_ns; /* the duration of its last packet seen: how far past the limit it reaches */
    int64_t askipped;    /* audio packets before take time 0, left out */
    MuxOutput *out;

    pthread_t thread;
    int thread_started;
    int finished;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int64_t limit_ns;   /* write every frame shown up to this take time (INT64_MIN: nothing posted yet) */
    int64_t limit_tick; /* the tick that posted it */
    int64_t done_ns;    /* what the thread has written up to */
    int finishing, aborting;
    int err;
    int64_t failed_at;
};

static const AVRational ns_tb = {1, 1000000000};
static const AVRational ms_tb = {1, MUX_COPY_TB_DEN};

/* A timestamp of the camera's stream on the take clock, in ns. */
static int64_t take_ns(const MuxIsoCopy *c, int64_t ts)
{
    return av_rescale_q(ts - c->origin, c->tb, ns_tb);
}

/* 1 when a frame at ts (in tb) is after limit_ns: not shown by then. */
static int after(const MuxIsoCopy *c, int64_t ts, int64_t limit_ns)
{
    return take_ns(c, ts) > limit_ns + ISO_COPY_SLACK_NS;
}

static int map_averror(int averr)
{
    return averr < 0 && averr > -4096 ? averr : OT_ERROR_SOURCE;
}

/* Demux the camera stream's next packet onto the read-ahead. 1, 0 at the end of the file, or a negative error
 * (logged). */
static int read_one(MuxIsoCopy *c)
{
    AVPacket *pkt;
    int ret;

    if (c->eof)
        return 0;
    pkt = av_packet_alloc();
    if (!pkt)
        return -ENOMEM;
    for (;;) {
        ret = av_read_frame(c->in, pkt);
        if (ret == AVERROR_EOF || (ret < 0 && c->in->pb && avio_feof(c->in->pb))) {
            c->eof = 1;
            av_packet_free(&pkt);
            return 0;
        }
        if (ret < 0) {
            ot_log(OT_LOG_ERROR, "iso",
                   "cannot read the file of camera \"%s\" (%s) for its copy ISO %s: %s: check the file, or "
                   "use --iso-codec ffv1",
                   c->camera, c->path, c->iso, av_err2str(ret));
            av_packet_free(&pkt);
            return map_averror(ret);
        }
        if (pkt->stream_index == c->st_index)
            break;
        if (pkt->stream_index == c->ast_index && pkt->pts != AV_NOPTS_VALUE) {
            if (pkt->duration > 0)
                c->audio_step_ns = av_rescale_q(pkt->duration, c->atb, ns_tb);
            g_queue_push_tail(&c->aq, pkt); /* audio: its own queue (read_one goes on to a video packet) */
            if (!(pkt = av_packet_alloc()))
                return -ENOMEM;
            continue;
        }
        av_packet_unref(pkt);
    }
    if (pkt->pts == AV_NOPTS_VALUE) {
        /* Without a presentation time a packet has no place on the take clock. */
        ot_log(OT_LOG_ERROR, "iso",
               "camera \"%s\" (%s): a video packet at byte %" PRId64 " has no presentation time, so a copy "
               "ISO cannot place it on the take clock: use --iso-codec ffv1 or h264 for this camera",
               c->camera, c->path, pkt->pos);
        av_packet_free(&pkt);
        return OT_ERROR_SOURCE;
    }
    g_queue_push_tail(&c->ahead, pkt);
    return 1;
}

/* Take time 0: the pts of the file's first frame, the smallest pts of the first packets. Reads ahead until a
 * packet whose dts is past the smallest pts so far (no later packet can be shown before it). */
static int find_origin(MuxIsoCopy *c)
{
    int64_t min = INT64_MAX;
    int ret;

    for (;;) {
        AVPacket *last = g_queue_peek_tail(&c->ahead);
        if (last && !(last->flags & AV_PKT_FLAG_DISCARD) && last->pts < min)
            min = last->pts;
        if (c->eof || g_queue_get_length(&c->ahead) >= ISO_COPY_AHEAD_MAX ||
            (last && min != INT64_MAX && last->dts != AV_NOPTS_VALUE && last->dts > min))
            break;
        ret = read_one(c);
        if (ret < 0)
            return ret;
    }
    if (min == INT64_MAX) {
        ot_log(OT_LOG_ERROR, "iso",
               "camera \"%s\" (%s) has no video frame to copy: check the file, or record without --iso-codec "
               "copy",
               c->camera, c->path);
        return OT_ERROR_SOURCE;
    }
    c->origin = min;
    return 0;
}

/* One packet to the ISO, on the take clock in ms. The packet stays the caller's. */
static int write_one(MuxIsoCopy *c, AVPacket *p)
{
    const int rnd = AV_ROUND_NEAR_INF | AV_ROUND_PASS_MINMAX;
    int64_t pts, dts;

    if (p->pts < c->origin || (p->flags & AV_PKT_FLAG_DISCARD)) {
        /* Before the first frame (an MP4 edit list that starts inside a GOP): it has no place on the take
         * clock, and Matroska cannot hold a negative time without shifting every other one. */
        if (!c->skipped++)
            ot_log(OT_LOG_WARNING, "iso",
                   "camera \"%s\" (%s): packets before the file's first frame (an edit list) are left out of "
                   "its copy ISO %s: the ISO's first frames may not decode",
                   c->camera, c->path, c->iso);
        return 0;
    }
    pts = av_rescale_q_rnd(p->pts - c->origin, c->tb, ms_tb, rnd);
    /* Matroska stores no dts: it only has to be a valid decode order for libavformat's checks (never after
     * the pts, never going back). A packet without one (Matroska's first B-frame packets) takes the last. */
    dts = p->dts != AV_NOPTS_VALUE      ? av_rescale_q_rnd(p->dts - c->origin, c->tb, ms_tb, rnd)
          : c->last_dts_ms != INT64_MIN ? c->last_dts_ms
                                        : 0;
    if (dts > pts)
        dts = pts;
    if (c->last_dts_ms != INT64_MIN && dts < c->last_dts_ms)
        dts = c->last_dts_ms;
    if (dts > pts) {
        ot_log(OT_LOG_ERROR, "iso",
               "camera \"%s\" (%s): the frame at %" PRId64
               " ms comes after a later frame in decode order: the "
               "file's timestamps are broken; use --iso-codec ffv1 for this camera",
               c->camera, c->path, pts);
        return OT_ERROR_SOURCE;
    }
    p->pts = pts;
    p->dts = dts;
    p->duration = p->duration > 0 ? av_rescale_q(p->duration, c->tb, ms_tb) : c->frame_ms;
    p->pos = -1;
    p->flags &= ~AV_PKT_FLAG_DISCARD;
    c->last_dts_ms = dts;
    return mux_output_write_packet(c->out, p); /* logs its own errors, with the path */
}

/* Write, in decode order, every packet up to the last one whose frame is shown by limit_ns. */
static int write_upto(MuxIsoCopy *c, int64_t limit_ns)
{
    int n = 0, i = 0;
    int ret;

    /* dts only grows and pts >= dts: once the last packet read has its dts past the limit, no later packet
     * can be shown by then. Packets without a dts (Matroska's first ones) say nothing: read on. */
    for (;;) {
        AVPacket *last = g_queue_peek_tail(&c->ahead);
        if (c->eof || g_queue_get_length(&c->ahead) >= ISO_COPY_AHEAD_MAX ||
            (last && last->dts != AV_NOPTS_VALUE && after(c, last->dts, limit_ns)))
            break;
        ret = read_one(c);
        if (ret < 0)
            return ret;
    }
    for (GList *l = c->ahead.head; l; l = l->next, i++)
        if (!after(c, ((AVPacket *)l->data)->pts, limit_ns))
            n = i + 1;
    while (n-- > 0) {
        AVPacket *p = g_queue_pop_head(&c->ahead);
        ret = write_one(c, p);
        av_packet_free(&p);
        if (ret < 0)
            return ret;
    }
    return 0;
}

/* An audio packet's start on the take clock, in ns. */
static int64_t audio_ns(const MuxIsoCopy *c, int64_t ts)
{
    return av_rescale_q(ts, c->atb, ns_tb) - av_rescale_q(c->origin, c->tb, ns_tb);
}

/* The audio that starts by limit_ns (the end of the last frame shown) and the packet after it, to the output's
 * audio queue: a decoder needs the next packet to finish the samples of the last (AAC's overlap), so replay
 * decodes the take's audio to its last sample. */
static int write_audio_upto(MuxIsoCopy *c, int64_t limit_ns)
{
    const int rnd = AV_ROUND_NEAR_INF | AV_ROUND_PASS_MINMAX;
    int ret;
    for (;;) {
        AVPacket *last = g_queue_peek_tail(&c->aq);
        if (c->eof || g_queue_get_length(&c->ahead) >= ISO_COPY_AHEAD_MAX ||
            (last && audio_ns(c, last->pts) > limit_ns + c->audio_step_ns))
            break;
        if ((ret = read_one(c)) < 0)
            return ret;
    }
    /* Packets just before the first frame are kept (AAC priming, Opus pre-skip): a decoder's state starts
     * there, so that replay decodes the samples the take did. Opus: as far as its CodecDelay, the earliest a
     * Matroska Opus block can be (libavformat's lowest timestamp for it). */
    int64_t delay_ms = mux_audio_copy_delay_ms(c->in->streams[c->ast_index]->codecpar);
    int64_t early = delay_ms > 0 ? av_rescale_q(delay_ms, ms_tb, ns_tb) : ISO_COPY_AUDIO_PREROLL_NS;
    for (AVPacket *p; (p = g_queue_peek_head(&c->aq)) && audio_ns(c, p->pts) <= limit_ns + c->audio_step_ns;) {
        g_queue_pop_head(&c->aq);
        int64_t t = audio_ns(c, p->pts);
        ret = 0;
        if (t < -early) {
            c->askipped++; /* before the first frame (encoder priming, an earlier start): no place on the clock */
        } else {
            int64_t d = p->duration > 0 ? av_rescale_q(p->duration, c->atb, ms_tb) : 0;
            p->pts = p->dts = av_rescale_q_rnd(t, ns_tb, ms_tb, rnd);
            p->duration = d;
            p->pos = -1;
            ret = mux_output_write_audio_packet(c->out, p); /* logs its own errors */
        }
        av_packet_free(&p);
        if (ret < 0)
            return ret;
    }
    return 0;
}

static void *copy_thread(void *opaque)
{
    MuxIsoCopy *c = opaque;

    pthread_mutex_lock(&c->lock);
    for (;;) {
        while (!c->aborting && !c->finishing && c->limit_ns <= c->done_ns)
            pthread_cond_wait(&c->cond, &c->lock);
        if (c->aborting || (c->finishing && c->limit_ns <= c->done_ns))
            break;
        int64_t limit = c->limit_ns, tick = c->limit_tick;
        pthread_mutex_unlock(&c->lock);
        /* The remux runs unlocked: the program thread may post the next ticks meanwhile. */
        int ret = write_upto(c, limit);
        if (ret == 0 && c->ast_index >= 0)
            ret = write_audio_upto(c, limit + av_rescale_q(c->frame_ms, ms_tb, ns_tb));
        pthread_mutex_lock(&c->lock);
        if (ret < 0) {
            c->err = ret;
            c->failed_at = tick;
            break;
        }
        c->done_ns = limit;
    }
    pthread_mutex_unlock(&c->lock);
    return NULL;
}

/* The camera's file from its source: a local path or a file:// URI. NULL (logged) for anything else. */
static char *source_path(const char *camera, const char *source)
{
    char *path = NULL;

    if (source && g_str_has_prefix(source, "file://"))
        path = g_filename_from_uri(source, NULL, NULL);
    else if (source && !strstr(source, "://") && !g_str_has_prefix(source, "test:") &&
             !g_str_has_prefix(source, "pipe:"))
        path = g_strdup(source);
    if (!path)
        ot_log(
            OT_LOG_ERROR, "iso",
            "camera \"%s\" (%s) is not a file: a copy ISO remuxes the camera's own file (a local path or a "
            "file:// URI); use --iso-codec ffv1 or h264",
            camera, source ? source : "(none)");
    return path;
}

static int open_source(MuxIsoCopy *c, int with_audio)
{
    AVStream *st = NULL;
    int ret;

    ret = avformat_open_input(&c->in, c->path, NULL, NULL);
    if (ret < 0) {
        c->in = NULL;
        ot_log(OT_LOG_ERROR, "iso", "cannot open the file of camera \"%s\" (%s) for its copy ISO: %s: %s",
               c->camera, c->path, av_err2str(ret),
               "check the file, or use --iso-codec ffv1 (decoded by capture like the program)");
        return map_averror(ret);
    }
    ret = avformat_find_stream_info(c->in, NULL);
    if (ret < 0) {
        ot_log(OT_LOG_ERROR, "iso", "cannot read the streams of camera \"%s\" (%s): %s: check the file",
               c->camera, c->path, av_err2str(ret));
        return map_averror(ret);
    }
    /* The first video stream, as capture's decodebin takes it (cover art is no stream of frames). */
    c->st_index = -1;
    for (unsigned i = 0; i < c->in->nb_streams; i++) {
        AVStream *s = c->in->streams[i];
        if (c->st_index < 0 && s->codecpar->codec_type == AVMEDIA_TYPE_VIDEO &&
            !(s->disposition & AV_DISPOSITION_ATTACHED_PIC)) {
            c->st_index = (int)i;
            st = s;
        } else if (with_audio && c->ast_index < 0 && s->codecpar->codec_type == AVMEDIA_TYPE_AUDIO) {
            c->ast_index = (int)i;
            c->atb = s->time_base;
        } else {
            s->discard = AVDISCARD_ALL;
        }
    }
    if (!st) {
        ot_log(OT_LOG_ERROR, "iso", "camera \"%s\" (%s) has no video stream to copy: check the file",
               c->camera, c->path);
        return OT_ERROR_SOURCE;
    }
    c->tb = st->time_base;
    c->rate =
        st->avg_frame_rate.num > 0 && st->avg_frame_rate.den > 0 ? st->avg_frame_rate : st->r_frame_rate;
    if (c->rate.num <= 0 || c->rate.den <= 0)
        c->rate = (AVRational){0, 1};
    c->frame_ms = c->rate.num > 0 ? av_rescale_q(1, av_inv_q(c->rate), ms_tb) : 0;
    return find_origin(c);
}

int mux_iso_copy_probe_audio(const char *source, char *codec, size_t size)
{
    char *path = source_path("(probe)", source);
    AVFormatContext *in = NULL;
    int ret = path ? avformat_open_input(&in, path, NULL, NULL) : -EINVAL;
    g_free(path);
    if (ret < 0)
        return ret < -4095 ? OT_ERROR_SOURCE : ret;
    ret = avformat_find_stream_info(in, NULL) < 0 ? OT_ERROR_SOURCE : 0;
    for (unsigned i = 0; ret == 0 && i < in->nb_streams; i++)
        if (in->streams[i]->codecpar->codec_type == AVMEDIA_TYPE_AUDIO) {
            int n = snprintf(codec, size, "%s", avcodec_get_name(in->streams[i]->codecpar->codec_id));
            ret = n > 0 && (size_t)n < size ? 1 : -ENAMETOOLONG;
        }
    avformat_close_input(&in);
    return ret;
}

MuxIsoCopy *mux_iso_copy_alloc(const MuxOutputConfig *cfg, const char *camera, const char *source,
                               int with_audio)
{
    MuxIsoCopy *c;
    AVStream *st;
    int ret;

    if (!cfg || !cfg->path || !camera)
        return NULL;
    c = g_new0(MuxIsoCopy, 1);
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->cond, NULL);
    g_queue_init(&c->ahead);
    g_queue_init(&c->aq);
    c->ast_index = -1;
    c->limit_ns = c->done_ns = INT64_MIN;
    c->limit_tick = -1;
    c->failed_at = -1;
    c->last_dts_ms = INT64_MIN;
    c->camera = g_strdup(camera);
    c->iso = g_strdup(cfg->path);
    c->path = source_path(camera, source);
    if (!c->path || open_source(c, with_audio) < 0)
        goto fail;
    if (with_audio && c->ast_index < 0) {
        ot_log(OT_LOG_ERROR, "iso", "camera \"%s\" (%s) has no audio stream for its copy ISO", camera, c->path);
        goto fail;
    }

    st = c->in->streams[c->st_index];
    c->out = mux_output_alloc_copy(cfg, st->codecpar, c->rate,
                                   c->ast_index >= 0 ? c->in->streams[c->ast_index]->codecpar : NULL);
    if (!c->out)
        goto fail;
    ret = pthread_create(&c->thread, NULL, copy_thread, c);
    if (ret) {
        ot_log(OT_LOG_ERROR, "iso", "cannot start the thread of the copy ISO %s: %s", c->iso, ot_strerror(-ret));
        /* The file is ours and nothing was recorded: leave nothing behind. */
        mux_output_free(&c->out);
        unlink(c->iso);
        goto fail;
    }
    c->thread_started = 1;
    ot_log(OT_LOG_VERBOSE, "iso",
           "copy ISO %s: camera \"%s\" (%s), %s at %d/%d fps, time base %d/%d, first frame at pts %" PRId64,
           c->iso, camera, c->path, avcodec_get_name(st->codecpar->codec_id), c->rate.num, c->rate.den,
           c->tb.num, c->tb.den, c->origin);
    return c;

fail:
    mux_iso_copy_free(&c);
    return NULL;
}

int mux_iso_copy_post(MuxIsoCopy *c, int64_t tick, const OtFrame *frame)
{
    int err;

    if (!c || !frame)
        return -EINVAL;
    pthread_mutex_lock(&c->lock);
    /* A frame of our own (the black slate of a camera that never gave one) shows nothing of the file. */
    if (frame->source >= 0 && frame->pts_ns > c->limit_ns && !c->finishing) {
        c->limit_ns = frame->pts_ns;
        c->limit_tick = tick;
        pthread_cond_signal(&c->cond);
    }
    err = c->err;
    pthread_mutex_unlock(&c->lock);
    return err;
}

/* Stop the thread: after what was posted (finish) or at once (abort). */
static void join_thread(MuxIsoCopy *c, int abort)
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

int mux_iso_copy_finish(MuxIsoCopy *c, int64_t *failed_at)
{
    int err, ret;

    if (failed_at)
        *failed_at = -1;
    if (!c)
        return -EINVAL;
    if (!c->finished) {
        c->finished = 1;
        join_thread(c, 0);
        /* Joined: the output is this thread's now. Closed even after a failure, so that what was written
         * stays a readable file; its error is sticky. */
        ret = mux_output_close(c->out);
        pthread_mutex_lock(&c->lock);
        if (ret < 0 && !c->err) {
            c->err = ret;
            c->failed_at = c->limit_tick;
        }
        pthread_mutex_unlock(&c->lock);
        if (c->skipped > 1)
            ot_log(OT_LOG_VERBOSE, "iso", "copy ISO %s: %" PRId64 " packets before the first frame left out",
                   c->iso, c->skipped);
        if (c->askipped)
            ot_log(OT_LOG_VERBOSE, "iso", "copy ISO %s: %" PRId64 " audio packets before the first frame left out",
                   c->iso, c->askipped);
    }
    pthread_mutex_lock(&c->lock);
    err = c->err;
    if (failed_at)
        *failed_at = c->failed_at;
    pthread_mutex_unlock(&c->lock);
    return err;
}

void mux_iso_copy_get_stats(MuxIsoCopy *c, MuxOutputStats *stats)
{
    mux_output_get_stats(c ? c->out : NULL, stats);
}

void mux_iso_copy_free(MuxIsoCopy **pc)
{
    MuxIsoCopy *c = pc ? *pc : NULL;

    if (!c)
        return;
    join_thread(c, 1);
    mux_output_free(&c->out);
    for (AVPacket *p; (p = g_queue_pop_head(&c->ahead));)
        av_packet_free(&p);
    for (AVPacket *p; (p = g_queue_pop_head(&c->aq));)
        av_packet_free(&p);
    avformat_close_input(&c->in);
    pthread_cond_destroy(&c->cond);
    pthread_mutex_destroy(&c->lock);
    g_free(c->camera);
    g_free(c->path);
    g_free(c->iso);
    g_free(c);
    *pc = NULL;
}
