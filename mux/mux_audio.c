/* onetake mux: the program audio track (mux_audio.h).
 *
 * FLAC: lossless, deterministic (the same samples give the same packets: bitexact), in Debian's FFmpeg.
 * Samples arrive a tick at a time (1600 at 30 fps) and are cut into frames of MUX_AUDIO_FRAME; packet k has
 * pts k x MUX_AUDIO_FRAME in 1/48000 s, so the track is continuous by construction and sample j of the file
 * is take time j / 48000.
 *
 * Interleaving: the video encoder holds frames back (x264's lookahead), so audio packets are kept in a small
 * queue and written just before the first video packet that decodes after them (mux_audio_write_until). The
 * queue's packets are allocated once; when it is full the oldest is written at once (still valid, only less
 * interleaved).
 *
 * Loudness: every sample pushed also goes to libebur128 (integrated, range, true peak: BS.1770-4 / EBU R128),
 * here on the mux thread, never on the program thread; read at the flush.
 *
 * Threads: the program's mux thread only; stats_lock guards the counters and the loudness for readers on other
 * threads. */
#include "mux_audio.h"
#include "mux_mkv.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>

#include <glib.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <ebur128.h>
#include <libavcodec/avcodec.h>
#include <libavutil/channel_layout.h>
#include <libavutil/mathematics.h>

#include "ot_common.h"
#include "sw_audio.h"

#define MUX_AUDIO_QUEUE 512 /* 10 s of packets: more than any encoder's video delay */

struct MuxAudioTrack {
    AVFormatContext *fmt; /* borrowed */
    char *path;
    AVStream *st;
    AVCodecContext *enc; /* NULL: a remuxed track (mux_audio_open_copy) */
    AVRational tb;       /* of the packets: the encoder's 1/48000, or a remux's 1/MUX_COPY_TB_DEN */
    int64_t read_shift;  /* a remux: what Matroska's demuxer takes off every pts (Opus's CodecDelay), in tb */
    AVFrame *frame;
    AVPacket *pkt;
    AVPacket *queue[MUX_AUDIO_QUEUE];
    int qhead, qcount;
    int channels;
    int bits;           /* 24: S32 frames as they come; 16: their top 16 bits */
    SwSample *pending; /* samples not yet a whole frame */
    int npending;
    int64_t next_pts; /* of the next frame sent to the encoder */
    int64_t end;      /* pts + duration of the last packet written, encoder time base */
    ProofStream *proof;
    AVPacket *last,
        *next_last; /* the packet the muxer still holds (its PKT record not made yet), and a spare */
    int unsettled;  /* `last` holds one */
    int err;
    ebur128_state *r128;
    pthread_mutex_t stats_lock;
    int64_t frames, packets;
    MuxLoudness loudness;
};

/* Logged once; an errno (from the file's write callback, which said it already) is passed on as it is. */
static int fail(MuxAudioTrack *a, const char *what, int averr)
{
    if (!a->err) {
        int is_errno = averr < 0 && averr > -4096;
        if (!is_errno)
            ot_log(OT_LOG_ERROR, "mux", "program audio of \"%s\": %s failed: %s", a->path, what,
                   av_err2str(averr));
        a->err = is_errno ? averr : OT_ERROR_CODEC;
    }
    return a->err;
}

int mux_audio_open(AVFormatContext *fmt, const char *path, int channels, int bits, ProofStream *proof,
                   const char *role, const char *title, MuxAudioTrack **out)
{
    const AVCodec *codec = avcodec_find_encoder(AV_CODEC_ID_FLAC);
    MuxAudioTrack *a;
    int ret = 0;

    *out = NULL;
    if ((bits != 16 && bits != 24) || channels < 1 || channels > SW_AUDIO_MAX_CHANNELS)
        return -EINVAL;
    if (!codec) {
        ot_log(OT_LOG_ERROR, "mux",
               "no FLAC encoder in this FFmpeg build (%s), needed for the program audio of "
               "\"%s\": install Debian's libavcodec59",
               av_version_info(), path);
        return OT_ERROR_CODEC;
    }
    a = calloc(1, sizeof(*a));
    if (!a)
        return -ENOMEM;
    pthread_mutex_init(&a->stats_lock, NULL);
    a->fmt = fmt;
    a->channels = channels;
    a->bits = bits;
    a->proof = proof;
    a->path = strdup(path);
    a->enc = avcodec_alloc_context3(codec);
    a->frame = av_frame_alloc();
    a->pkt = av_packet_alloc();
    a->last = av_packet_alloc();
    a->next_last = av_packet_alloc();
    a->pending = calloc((size_t)MUX_AUDIO_FRAME * (size_t)channels, sizeof(SwSample));
    a->r128 = ebur128_init((unsigned)channels, SW_AUDIO_RATE,
                           EBUR128_MODE_I | EBUR128_MODE_LRA | EBUR128_MODE_TRUE_PEAK);
    for (int i = 0; i < MUX_AUDIO_QUEUE; i++)
        if (!(a->queue[i] = av_packet_alloc()))
            ret = -ENOMEM;
    if (!a->path || !a->enc || !a->frame || !a->pkt || !a->last || !a->next_last || !a->pending || !a->r128 ||
        !a->queue[MUX_AUDIO_QUEUE - 1]) {
        ret = -ENOMEM;
        goto fail;
    }
    /* FFmpeg's FLAC encoder takes S32 as 24 bits (the top 24: what SwSample carries) and S16 as 16. */
    a->enc->sample_fmt = bits == 24 ? AV_SAMPLE_FMT_S32 : AV_SAMPLE_FMT_S16;
    a->enc->bits_per_raw_sample = bits;
    a->enc->sample_rate = SW_AUDIO_RATE;
    av_channel_layout_default(&a->enc->ch_layout, channels);
    a->enc->time_base = (AVRational){1, SW_AUDIO_RATE};
    a->enc->frame_size = MUX_AUDIO_FRAME;
    a->enc->flags |= AV_CODEC_FLAG_BITEXACT;
    if (fmt->oformat->flags & AVFMT_GLOBALHEADER)
        a->enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    ret = avcodec_open2(a->enc, codec, NULL);
    if (ret < 0) {
        ot_log(OT_LOG_ERROR, "mux", "cannot open the FLAC encoder for the program audio of \"%s\": %s", path,
               av_err2str(ret));
        ret = OT_ERROR_CODEC;
        goto fail;
    }
    a->st = avformat_new_stream(fmt, NULL);
    if (!a->st) {
        ret = -ENOMEM;
        goto fail;
    }
    ret = avcodec_parameters_from_context(a->st->codecpar, a->enc);
    if (ret < 0) {
        ret = fail(a, "avcodec_parameters_from_context", ret);
        goto fail;
    }
    a->st->time_base = a->enc->time_base;
    a->tb = a->enc->time_base;
    if (role)
        av_dict_set(&a->st->metadata, "ROLE", role, 0);
    if (title)
        av_dict_set(&a->st->metadata, "title", title, 0);
    av_dict_set(&a->st->metadata, "language", "und", 0);
    a->frame->format = a->enc->sample_fmt;
    a->frame->sample_rate = SW_AUDIO_RATE;
    a->frame->nb_samples = MUX_AUDIO_FRAME;
    ret = av_channel_layout_copy(&a->frame->ch_layout, &a->enc->ch_layout);
    if (ret >= 0)
        ret = av_frame_get_buffer(a->frame, 0);
    if (ret < 0) {
        ret = fail(a, "allocating an audio frame", ret);
        goto fail;
    }
    *out = a;
    return 0;

fail:
    mux_audio_free(&a);
    return ret;
}

static int write_one(MuxAudioTrack *a, AVPacket *pkt);

/* The interleaving queue takes pkt (its reference moved); when full, the oldest is written at once. */
static int enqueue(MuxAudioTrack *a, AVPacket *pkt)
{
    if (a->qcount == MUX_AUDIO_QUEUE) {
        int ret = write_one(a, a->queue[a->qhead]);
        a->qhead = (a->qhead + 1) % MUX_AUDIO_QUEUE;
        a->qcount--;
        if (ret < 0) {
            av_packet_unref(pkt);
            return ret;
        }
    }
    av_packet_move_ref(a->queue[(a->qhead + a->qcount) % MUX_AUDIO_QUEUE], pkt);
    a->qcount++;
    return 0;
}

int mux_audio_open_copy(AVFormatContext *fmt, const char *path, const AVCodecParameters *par, ProofStream *proof,
                        const char *role, const char *title, MuxAudioTrack **out)
{
    MuxAudioTrack *a;
    int ret = -ENOMEM;

    *out = NULL;
    a = calloc(1, sizeof(*a));
    if (!a)
        return -ENOMEM;
    pthread_mutex_init(&a->stats_lock, NULL);
    a->fmt = fmt;
    a->channels = par->ch_layout.nb_channels;
    a->proof = proof;
    a->tb = (AVRational){1, MUX_COPY_TB_DEN};
    a->path = strdup(path);
    a->pkt = av_packet_alloc();
    a->last = av_packet_alloc();
    a->next_last = av_packet_alloc();
    for (int i = 0; i < MUX_AUDIO_QUEUE; i++)
        a->queue[i] = av_packet_alloc();
    if (!a->path || !a->pkt || !a->last || !a->next_last || !a->queue[MUX_AUDIO_QUEUE - 1] ||
        !(a->st = avformat_new_stream(fmt, NULL)))
        goto fail;
    ret = avcodec_parameters_copy(a->st->codecpar, par);
    if (ret < 0) {
        ret = fail(a, "copying the audio stream's parameters", ret);
        goto fail;
    }
    a->st->codecpar->codec_tag = 0; /* the source container's tag means nothing to Matroska */
    a->st->time_base = a->tb;
    a->read_shift = mux_audio_copy_delay_ms(par);
    if (role)
        av_dict_set(&a->st->metadata, "ROLE", role, 0);
    if (title)
        av_dict_set(&a->st->metadata, "title", title, 0);
    av_dict_set(&a->st->metadata, "language", "und", 0);
    *out = a;
    return 0;

fail:
    mux_audio_free(&a);
    return ret;
}

int64_t mux_audio_copy_delay_ms(const AVCodecParameters *par)
{
    /* Opus: the muxer writes its pre-skip as CodecDelay, which the demuxer takes off every block's time. */
    if (par->codec_id != AV_CODEC_ID_OPUS || par->initial_padding <= 0)
        return 0;
    const AVRational ns = {1, 1000000000};
    return av_rescale_q(av_rescale_q(par->initial_padding, (AVRational){1, 48000}, ns), ns,
                        (AVRational){1, MUX_COPY_TB_DEN});
}

int mux_audio_put_packet(MuxAudioTrack *a, const AVPacket *pkt)
{
    if (!a || a->enc || !pkt)
        return -EINVAL;
    if (a->err)
        return a->err;
    int ret = av_packet_ref(a->pkt, pkt);
    if (ret < 0)
        return fail(a, "keeping an audio packet", ret);

    /* Stored that much later: Matroska's demuxer gives it back at the time given, which the take log records. */
    a->pkt->pts += a->read_shift;
    a->pkt->dts += a->read_shift;
    pthread_mutex_lock(&a->stats_lock);
    a->frames++; /* a remux counts packets */
    pthread_mutex_unlock(&a->stats_lock);
    return enqueue(a, a->pkt);
}

/* One packet to the file: its PKT record (held until the next commit makes it durable), then the muxer. */
int mux_audio_settle(MuxAudioTrack *a)
{
    int ret = 0;
    if (!a || !a->unsettled)
        return 0;
    if (a->proof)
        ret = proof_stream_packet(a->proof, a->last->pts, a->last->dts, a->last->duration,
                                  !!(a->last->flags & AV_PKT_FLAG_KEY), a->last->data, (size_t)a->last->size);
    av_packet_unref(a->last);
    a->unsettled = 0;
    if (ret < 0 && !a->err)
        a->err = ret;
    return ret;
}

/* One packet to the muxer. Its PKT record waits until the next packet of the file is written: Matroska's
 * muxer holds the last audio packet back until then (so that a cluster starting at a video keyframe holds the
 * audio of its time), and a commit must never release the record of a packet that is not in the synced bytes
 * yet. */
static int write_one(MuxAudioTrack *a, AVPacket *pkt)
{
    int ret;
    pkt->stream_index = a->st->index;
    if (a->proof) {
        ret = av_packet_ref(a->next_last, pkt); /* in the encoder's time base, as the record wants it */
        if (ret < 0) {
            av_packet_unref(pkt);
            return fail(a, "keeping a packet for the take log", ret);
        }
        a->next_last->pts -= a->read_shift; /* as it reads back */
        a->next_last->dts -= a->read_shift;
    }
    if (pkt->pts - a->read_shift + pkt->duration > a->end)
        a->end = pkt->pts - a->read_shift + pkt->duration;
    av_packet_rescale_ts(pkt, a->tb, a->st->time_base);
    ret = av_write_frame(a->fmt, pkt);
    av_packet_unref(pkt);
    if (ret < 0) {
        av_packet_unref(a->next_last);
        return fail(a, "writing a packet", ret);
    }
    /* The muxer has now written the packet it held: its record is due; this one's waits. */
    ret = mux_audio_settle(a);
    if (ret < 0)
        return ret;
    if (a->proof) {
        av_packet_move_ref(a->last, a->next_last);
        a->unsettled = 1;
    }
    pthread_mutex_lock(&a->stats_lock);
    a->packets++;
    pthread_mutex_unlock(&a->stats_lock);
    return 0;
}

/* Every packet the encoder has ready, into the interleaving queue. */
static int drain(MuxAudioTrack *a)
{
    for (;;) {
        int ret = avcodec_receive_packet(a->enc, a->pkt);
        if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF)
            return 0;
        if (ret < 0)
            return fail(a, "encoding", ret);
        if (a->pkt->size == 0) {
            /* FLAC's last word: new STREAMINFO (MD5, length) as side data, for a header we never rewrite (the
             * file is append-only). Nothing to play: not a packet of the track. */
            av_packet_unref(a->pkt);
            continue;
        }
        if ((ret = enqueue(a, a->pkt)) < 0)
            return ret;
    }
}

static int send_frame(MuxAudioTrack *a, const SwSample *samples, int n)
{
    int ret = av_frame_make_writable(a->frame);
    if (ret < 0)
        return fail(a, "reusing the audio frame", ret);
    a->frame->nb_samples = n;
    size_t count = (size_t)n * (size_t)a->channels;
    if (a->bits == 24) {
        memcpy(a->frame->data[0], samples, count * sizeof(SwSample));
    } else {
        /* --audio-bits 16, asked for: rounded to the nearest 16-bit value, no dither (a 16-bit source loses
         * nothing; the same samples give the same packets). */
        int16_t *d = (int16_t *)a->frame->data[0];
        for (size_t i = 0; i < count; i++) {
            int64_t v = ((int64_t)samples[i] + 32768) >> 16;
            d[i] = (int16_t)(v > INT16_MAX ? INT16_MAX : v);
        }
    }
    a->frame->pts = a->next_pts;
    a->next_pts += n;
    ret = avcodec_send_frame(a->enc, a->frame);
    if (ret < 0)
        return fail(a, "sending samples to the encoder", ret);
    return drain(a);
}

int mux_audio_push(MuxAudioTrack *a, const SwSample *samples, int n)
{
    if (!a || !a->enc)
        return -EINVAL;
    if (a->err)
        return a->err;
    pthread_mutex_lock(&a->stats_lock);
    a->frames += n;
    pthread_mutex_unlock(&a->stats_lock);
    /* SwSample is S32, full scale 2^31: what ebur128_add_frames_int takes. */
    if (n > 0 && ebur128_add_frames_int(a->r128, samples, (size_t)n) != EBUR128_SUCCESS) {
        ot_log(OT_LOG_ERROR, "mux", "program audio of \"%s\": libebur128 is out of memory", a->path);
        return a->err = -ENOMEM;
    }
    while (n > 0) {
        int k = MUX_AUDIO_FRAME - a->npending < n ? MUX_AUDIO_FRAME - a->npending : n;
        memcpy(a->pending + (size_t)a->npending * (size_t)a->channels, samples,
               (size_t)k * (size_t)a->channels * sizeof(SwSample));
        a->npending += k;
        samples += (size_t)k * (size_t)a->channels;
        n -= k;
        if (a->npending == MUX_AUDIO_FRAME) {
            int ret = send_frame(a, a->pending, MUX_AUDIO_FRAME);
            a->npending = 0;
            if (ret < 0)
                return ret;
        }
    }
    return 0;
}

int mux_audio_write_until(MuxAudioTrack *a, int64_t ts, AVRational tb)
{
    if (!a)
        return 0;
    if (a->err)
        return a->err;
    while (a->qcount > 0) {
        AVPacket *p = a->queue[a->qhead];
        if (ts != INT64_MIN && av_compare_ts(p->pts, a->tb, ts, tb) > 0)
            break;
        int ret = write_one(a, p);
        a->qhead = (a->qhead + 1) % MUX_AUDIO_QUEUE;
        a->qcount--;
        if (ret < 0)
            return ret;
    }
    return 0;
}

int mux_audio_durable(MuxAudioTrack *a)
{
    if (!a || !a->proof)
        return 0;
    return proof_stream_release(a->proof);
}

/* The loudness of everything pushed (libebur128), for the summary and take.json. */
static void measure(MuxAudioTrack *a)
{
    MuxLoudness l = {.measured = 1, .integrated_lufs = -INFINITY, .range_lu = 0, .true_peak_dbtp = -INFINITY};
    double v;
    if (ebur128_loudness_global(a->r128, &v) == EBUR128_SUCCESS)
        l.integrated_lufs = v; /* -HUGE_VAL below the absolute gate */
    if (ebur128_loudness_range(a->r128, &v) == EBUR128_SUCCESS)
        l.range_lu = v;
    double peak = 0;
    for (int c = 0; c < a->channels; c++)
        if (ebur128_true_peak(a->r128, (unsigned)c, &v) == EBUR128_SUCCESS && v > peak)
            peak = v;
    if (peak > 0)
        l.true_peak_dbtp = 20.0 * log10(peak);
    pthread_mutex_lock(&a->stats_lock);
    a->loudness = l;
    pthread_mutex_unlock(&a->stats_lock);
}

int mux_audio_flush(MuxAudioTrack *a)
{
    int ret;
    if (!a)
        return 0;
    if (a->err)
        return a->err;
    if (!a->enc)
        return mux_audio_write_until(a, INT64_MIN, a->tb); /* a remux: its packets as they came */
    if (a->npending > 0) {
        ret = send_frame(a, a->pending, a->npending); /* FLAC takes a short last frame */
        a->npending = 0;
        if (ret < 0)
            return ret;
    }
    ret = avcodec_send_frame(a->enc, NULL);
    if (ret < 0 && ret != AVERROR_EOF)
        return fail(a, "flushing the encoder", ret);
    ret = drain(a);
    if (ret < 0)
        return ret;
    measure(a);
    return mux_audio_write_until(a, INT64_MIN, a->tb);
}

int mux_audio_close(MuxAudioTrack *a)
{
    if (!a || !a->proof)
        return 0;
    int ret = mux_audio_settle(a); /* the trailer wrote the packet the muxer held */
    return ret < 0 ? ret : proof_stream_close_shared(a->proof);
}

void mux_audio_free(MuxAudioTrack **pa)
{
    MuxAudioTrack *a = pa ? *pa : NULL;
    if (!a)
        return;
    for (int i = 0; i < MUX_AUDIO_QUEUE; i++)
        av_packet_free(&a->queue[i]);
    av_packet_free(&a->pkt);
    av_packet_free(&a->last);
    av_packet_free(&a->next_last);
    av_frame_free(&a->frame);
    avcodec_free_context(&a->enc);
    free(a->pending);
    free(a->path);
    if (a->r128)
        ebur128_destroy(&a->r128);
    pthread_mutex_destroy(&a->stats_lock);
    free(a);
    *pa = NULL;
}

void mux_audio_get_stats(MuxAudioTrack *a, int64_t *frames, int64_t *packets)
{
    *frames = *packets = 0;
    if (!a)
        return;
    pthread_mutex_lock(&a->stats_lock);
    *frames = a->frames;
    *packets = a->packets;
    pthread_mutex_unlock(&a->stats_lock);
}

/* Every audio packet of path, per track in file order: a GPtrArray per track of "pts duration sha256". */
static int audio_packets(const char *path, GPtrArray **tracks, int *ntracks)
{
    AVFormatContext *in = NULL;
    AVPacket *pkt = av_packet_alloc();
    int index[64], ret = pkt ? avformat_open_input(&in, path, NULL, NULL) : AVERROR(ENOMEM);
    *ntracks = 0;
    if (ret < 0) {
        ot_log(OT_LOG_ERROR, "mux", "cannot read \"%s\" to compare its audio: %s", path, av_err2str(ret));
        av_packet_free(&pkt);
        return OT_ERROR_SOURCE;
    }
    for (unsigned i = 0; i < in->nb_streams && i < 64; i++) {
        index[i] = -1;
        if (in->streams[i]->codecpar->codec_type == AVMEDIA_TYPE_AUDIO && *ntracks < SW_AUDIO_MAX_TRACKS) {
            index[i] = (*ntracks)++;
            tracks[index[i]] = g_ptr_array_new_with_free_func(g_free);
        }
    }
    while ((ret = av_read_frame(in, pkt)) >= 0) {
        int t = pkt->stream_index < 64 ? index[pkt->stream_index] : -1;
        if (t >= 0) {
            char *sum = g_compute_checksum_for_data(G_CHECKSUM_SHA256, pkt->data, (gsize)pkt->size);
            g_ptr_array_add(tracks[t], g_strdup_printf("%" PRId64 " %" PRId64 " %s", pkt->pts, pkt->duration, sum));
            g_free(sum);
        }
        av_packet_unref(pkt);
    }
    av_packet_free(&pkt);
    avformat_close_input(&in);
    return 0;
}

int mux_audio_compare(const char *a, const char *b, int *ntracks, int64_t *npackets, char *diff, size_t size)
{
    GPtrArray *ta[SW_AUDIO_MAX_TRACKS] = {0}, *tb[SW_AUDIO_MAX_TRACKS] = {0};
    int na = 0, nb = 0, ret;
    *ntracks = 0;
    *npackets = 0;
    diff[0] = 0;
    ret = audio_packets(a, ta, &na);
    if (ret == 0)
        ret = audio_packets(b, tb, &nb);
    if (ret == 0 && na != nb) {
        snprintf(diff, size, "%d audio tracks against %d", na, nb);
        ret = 1;
    }
    for (int t = 0; ret == 0 && t < na; t++) {
        for (guint k = 0; ret == 0 && k < ta[t]->len && k < tb[t]->len; k++)
            if (strcmp(ta[t]->pdata[k], tb[t]->pdata[k])) {
                snprintf(diff, size, "track %d packet %u: %s against %s", t + 1, k, (char *)ta[t]->pdata[k],
                         (char *)tb[t]->pdata[k]);
                ret = 1;
            }
        if (ret == 0 && ta[t]->len != tb[t]->len) {
            snprintf(diff, size, "track %d: %u packets against %u", t + 1, ta[t]->len, tb[t]->len);
            ret = 1;
        }
        *npackets += ta[t]->len;
    }
    *ntracks = na;
    for (int t = 0; t < SW_AUDIO_MAX_TRACKS; t++) {
        if (ta[t])
            g_ptr_array_free(ta[t], TRUE);
        if (tb[t])
            g_ptr_array_free(tb[t], TRUE);
    }
    return ret;
}

void mux_audio_get_loudness(MuxAudioTrack *a, MuxLoudness *out)
{
    memset(out, 0, sizeof(*out));
    if (!a)
        return;
    pthread_mutex_lock(&a->stats_lock);
    *out = a->loudness;
    pthread_mutex_unlock(&a->stats_lock);
}

int mux_audio_channels(const MuxAudioTrack *a)
{
    return a ? a->channels : 0;
}

double mux_audio_end_ms(const MuxAudioTrack *a)
{
    return a ? mux_mkv_end_ms(a->end, a->tb.num, a->tb.den) : 0;
}
