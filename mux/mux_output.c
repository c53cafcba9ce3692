/* onetake mux: one encoder and one Matroska file.
 *
 * The file is written through our own AVIOContext with a write callback and no seek callback: libavformat
 * then sees a non-seekable output, so the Matroska muxer writes strictly append-only (unknown-size Segment,
 * no Cues, no SeekHead patching at the trailer); a crash leaves a playable prefix. A clean close then appends
 * Cues and patches 4 reserved ranges of the header in place (mux_mkv.h), after the proof's final FILE record
 * and with a PATCH record of its own.
 *
 * Threads: one MuxOutput is driven by one thread (alloc, write, close, free); mux_output_get_stats may be
 * called from any thread (stats_lock protects `stats`, nothing else). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>

#include "mux.h"
#include "mux_audio.h"
#include "mux_int.h"
#include "mux_subs.h"
#include "mux_mkv.h"
#include "ot_common.h"
#include "proof.h"
#include "sw_audio.h"

#define MUX_IO_BUFFER_SIZE (64 * 1024)
/* Planes count as one allocation (one AVBufferRef for the frame) when they follow each other in order with at
 * most this much padding between them, as in a GStreamer I420 buffer; otherwise each plane gets its own
 * AVBufferRef. */
#define MUX_PLANE_GAP_MAX 4096
/* libx264's keyint is this many times our GOP, so that x264 never decides a keyframe on its own: every
 * keyframe is one we forced (cut or GOP boundary). */
#define MUX_X264_KEYINT_FACTOR 10
#define MUX_DEFAULT_THREADS 2
/* Frames whose making time is kept: more than x264's lookahead and B-frame delay. */
#define MUX_TICK_RING 256

/* libavformat 61 made the write callback's buffer const. */
#if LIBAVFORMAT_VERSION_MAJOR >= 61
#define MUX_IO_CONST const
#else
#define MUX_IO_CONST
#endif

struct MuxOutput {
    char *path;
    MuxCodec codec;
    int width, height;
    SwRate rate;
    int gop;
    int nice; /* MuxOutputConfig.nice: its writer's thread runs as nice */

    int fd;          /* -1 once closed */
    AVIOContext *pb; /* ours (AVFMT_FLAG_CUSTOM_IO): freed by us */
    AVFormatContext *fmt;
    AVStream *st;
    AVCodecContext *enc; /* NULL for a remux (mux_output_alloc_copy) */
    AVRational pkt_tb;   /* time base of the packets write_packet gets: the encoder's, or a remux's (ms) */
    AVFrame *frame; /* reused for every input frame: av_frame_unref between frames */
    AVPacket *pkt;
    AVBufferPool *copy_pool; /* only for frames whose layout cannot be passed as is */

    int header_written;
    int closed;
    int err;             /* first error (sticky): every later call returns it */
    int io_err;          /* first write error, -errno */
    int64_t file_offset; /* bytes written to the file so far */
    int64_t last_pts;
    int copy_logged;
    int layout_logged;
    ProofStream *proof; /* borrowed: this file's stream in the take log, or NULL */
    ProofLog *proof_log; /* borrowed: set on the program output, which commits the log */
    MuxAudioTrack *audio[SW_AUDIO_MAX_TRACKS]; /* the program audio tracks (mux_audio.c) */
    int naudio;
    MuxSubs *subs;        /* the subtitle tracks (mux_subs.c), or NULL */
    MuxStreams *streams;  /* --stream outputs fed from the video packets (mux_stream.c), or NULL */
    /* When each recent frame was made (pts % MUX_TICK_RING), for the streams' latency. */
    int64_t tick_pts[MUX_TICK_RING], tick_ns[MUX_TICK_RING];
    /* Finishing at a clean close (mux_mkv.h): the header libavformat wrote, captured and rearranged at open
     * (`hdr`, the streaming form's first bytes), its layout, the cue points found as the clusters go by. */
    int capturing;
    uint8_t *cap;
    size_t cap_len, cap_size;
    uint8_t *hdr;
    size_t hdr_len;
    MuxMkvLayout lay;
    MuxMkvScan *scan; /* NULL: the file stays in its streaming form */
    double end_ms;    /* the media's end: the last packet's pts + duration, of any track */
    int finished;     /* finished at the close (Cues, patch) */

    pthread_mutex_t stats_lock;
    MuxOutputStats stats;
};

int mux_codec_from_name(const char *name, MuxCodec *codec)
{
    if (!name || !codec)
        return -EINVAL;
    if (!strcmp(name, "h264")) {
        *codec = MUX_CODEC_H264;
        return 0;
    }
    if (!strcmp(name, "ffv1")) {
        *codec = MUX_CODEC_FFV1;
        return 0;
    }
    return -EINVAL;
}

const char *mux_codec_name(MuxCodec codec)
{
    switch (codec) {
    case MUX_CODEC_H264:
        return "h264";
    case MUX_CODEC_FFV1:
        return "ffv1";
    case MUX_CODEC_COPY:
        return "copy";
    }
    return "unknown";
}

static const char *encoder_name(MuxCodec codec)
{
    return codec == MUX_CODEC_H264 ? "libx264" : codec == MUX_CODEC_COPY ? "copy" : "ffv1";
}

/* AVERROR -> our codes at the module boundary: errno-based AVERRORs are already -errno, FFmpeg's own tags
 * (bug, encoder not found, invalid data...) become OT_ERROR_CODEC. */
static int map_averror(int averr)
{
    if (averr < 0 && averr > -4096)
        return averr;
    return OT_ERROR_CODEC;
}

static const char *io_fix(int err)
{
    switch (err) {
    case -ENOSPC:
    case -EDQUOT:
        return "free disk space or record to another disk (--out)";
    case -EACCES:
    case -EPERM:
    case -EROFS:
        return "choose an --out folder you can write to";
    case -EEXIST:
        return "onetake never overwrites a recording; choose a new --out folder";
    case -EIO:
        return "the disk reported an I/O error: check it and record to another disk";
    default:
        return "check the disk and the --out folder";
    }
}

static void stats_add(MuxOutput *out, int64_t *field, int64_t n)
{
    pthread_mutex_lock(&out->stats_lock);
    *field += n;
    pthread_mutex_unlock(&out->stats_lock);
}

/* f on every audio track, in order; the first error. */
static int each_audio(MuxOutput *out, int (*f)(MuxAudioTrack *a))
{
    int ret = 0;
    for (int t = 0; t < out->naudio && !ret; t++)
        ret = f(out->audio[t]);
    return ret;
}

/* Every encoded packet passes here once, in order, in the encoder time base (pts = program frame index,
 * exactly), before the muxer rewrites it (H.264 Annex B -> length-prefixed NAL units). Hook point for the
 * proof's PKT records (stream, sequence, pts/dts/duration, key flag, size, payload hash). */
static int fail_av(MuxOutput *out, const char *what, int averr);

/* A commit point of the proof, before the key packet at pts: end the cluster, push every byte to the file and
 * fdatasync it, then release the stream's records (and, on the program, commit the log). The next cluster starts
 * with this key packet, so each commit covers whole GOPs. */
static int proof_commit(MuxOutput *out, int64_t pts)
{
    int ret = av_write_frame(out->fmt, NULL); /* ends the current cluster */
    if (ret < 0)
        return fail_av(out, "ending a cluster for a commit", ret);
    avio_flush(out->pb);
    if (out->io_err)
        return fail_av(out, "flushing for a commit", out->io_err);
    if (fdatasync(out->fd) < 0) {
        ret = -errno;
        ot_log(OT_LOG_ERROR, "mux", "cannot sync \"%s\" to the disk: %s: %s", out->path, ot_strerror(ret),
               io_fix(ret));
        out->err = ret;
        return ret;
    }
    ret = proof_stream_durable(out->proof, pts);
    if (!ret)
        ret = each_audio(out, mux_audio_durable); /* the audio written so far is in the same synced bytes */
    if (!ret)
        ret = mux_subs_durable(out->subs); /* and the subtitle lines */
    if (!ret && out->proof_log)
        ret = proof_log_commit(out->proof_log, pts);
    if (ret < 0 && !out->err)
        out->err = ret;
    return ret;
}

/* The audio track failed (mux_audio.c logged what, unless the write callback already did): the output's error
 * is sticky, the write callback's errno first. */
static int audio_fail(MuxOutput *out, int err)
{
    if (!out->err)
        out->err = out->io_err ? out->io_err : err;
    return out->err;
}


static int on_packet(MuxOutput *out, const AVPacket *pkt)
{
    int ret;

    if (!out->proof)
        return 0;
    if ((pkt->flags & AV_PKT_FLAG_KEY) && proof_stream_commit_due(out->proof, pkt->pts)) {
        ret = proof_commit(out, pkt->pts);
        if (ret < 0)
            return ret;
    }
    ret = proof_stream_packet(out->proof, pkt->pts, pkt->dts, pkt->duration, pkt->flags & AV_PKT_FLAG_KEY,
                              pkt->data, (size_t)pkt->size);
    if (ret < 0 && !out->err)
        out->err = ret;
    return ret;
}

/* Every byte range that reaches the file passes here once, in file order: offset is where it starts in the
 * file. Hook point for the proof's FILE records (flushed ranges, running whole-file hash). */
static void on_file_bytes(MuxOutput *out, int64_t offset, const uint8_t *buf, size_t size)
{
    if (out->proof)
        proof_stream_file_bytes(out->proof, offset, buf, size);
}

/* The only place bytes go to the file: appended, hashed for the proof, scanned for cue points. */
static int file_write(MuxOutput *out, const uint8_t *buf, int size)
{
    size_t done = 0;

    if (out->io_err)
        return out->io_err; /* -errno == AVERROR(errno) */
    while (done < (size_t)size) {
        ssize_t n = write(out->fd, buf + done, (size_t)size - done);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            out->io_err = -errno;
            ot_log(OT_LOG_ERROR, "mux", "cannot write \"%s\" at byte %" PRId64 ": %s: %s", out->path,
                   out->file_offset + (int64_t)done, ot_strerror(-errno), io_fix(out->io_err));
            break;
        }
        done += (size_t)n;
    }
    if (done > 0) {
        on_file_bytes(out, out->file_offset, buf, done);
        mux_mkv_scan_bytes(out->scan, out->file_offset, buf, done);
        out->file_offset += (int64_t)done;
        stats_add(out, &out->stats.bytes, (int64_t)done);
    }
    return out->io_err ? out->io_err : size;
}

/* AVIOContext write callback. While the header is written it is only kept (open_muxer rearranges it). */
static int io_write(void *opaque, MUX_IO_CONST uint8_t *buf, int size)
{
    MuxOutput *out = opaque;

    if (out->capturing) {
        if (out->cap_len + (size_t)size > out->cap_size) {
            size_t n = (out->cap_len + (size_t)size) * 2;
            uint8_t *c = realloc(out->cap, n);
            if (!c)
                return AVERROR(ENOMEM);
            out->cap = c;
            out->cap_size = n;
        }
        memcpy(out->cap + out->cap_len, buf, (size_t)size);
        out->cap_len += (size_t)size;
        return size;
    }
    return file_write(out, buf, size);
}

/* The header as libavformat wrote it (captured), rearranged into the streaming form that a clean close can
 * finish in place (mux_mkv.h), written to the file. A header of another shape is written as it is, and the
 * file is never finished. */
static int write_stream_header(MuxOutput *out)
{
    const uint8_t *h = out->cap;
    size_t n = out->cap_len;
    int ret;

    out->capturing = 0;
    if (mux_mkv_stream_header(out->cap, out->cap_len, &out->hdr, &out->hdr_len) == 0 &&
        mux_mkv_parse_header(out->hdr, out->hdr_len, &out->lay) == 0 && out->lay.video_track) {
        h = out->hdr;
        n = out->hdr_len;
        out->scan = mux_mkv_scan_alloc(&out->lay);
    } else {
        ot_log(OT_LOG_WARNING, "mux", "\"%s\": libavformat %s wrote a header of another shape: the file stays "
               "in its streaming form at the close (no Cues, no Duration)", out->path, av_version_info());
    }
    ret = file_write(out, h, (int)n);
    free(out->cap);
    out->cap = NULL;
    out->cap_len = out->cap_size = 0;
    return ret < 0 ? ret : 0;
}

/* An error from libavcodec/libavformat: the write callback's errno wins (it says what really failed). Logged
 * here once unless the callback already did. Makes the output's error sticky. */
static int fail_av(MuxOutput *out, const char *what, int averr)
{
    if (out->io_err) {
        if (!out->err)
            out->err = out->io_err;
        return out->io_err;
    }
    if (!out->err) {
        ot_log(OT_LOG_ERROR, "mux", "%s failed for \"%s\" (%s): %s", what, out->path,
               encoder_name(out->codec), av_err2str(averr));
        out->err = map_averror(averr);
    }
    return out->err;
}

/* FFV1 slices: more for large pictures (slice threads run in parallel), one for tiny ones (FFV1 refuses
 * slices smaller than its minimum). */
static int ffv1_slices(int width, int height)
{
    if ((int64_t)width * height >= 1280 * 720)
        return 16;
    if (width >= 32 && height >= 32)
        return 4;
    return 1;
}

typedef struct OpenArgs {
    AVCodecContext *enc;
    const AVCodec *codec;
    AVDictionary **opts;
    int nice;
    char name[16];
    int ret;
} OpenArgs;

static void *open_main(void *arg)
{
    OpenArgs *oa = arg;
    pthread_setname_np(pthread_self(), oa->name);
    mux_thread_nice(oa->nice);
    oa->ret = avcodec_open2(oa->enc, oa->codec, oa->opts);
    return NULL;
}

void mux_thread_nice(int nice)
{
    /* Linux: the niceness is the calling thread's (its tid), and threads it starts inherit it. Raising it needs
     * no privilege; failing is harmless (the thread keeps its priority). */
    if (nice > 0 && setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), getpriority(PRIO_PROCESS, 0) + nice) < 0)
        ot_log(OT_LOG_VERBOSE, "mux", "cannot lower an encoder thread's priority: %s", ot_strerror(-errno));
}

static int open_encoder(MuxOutput *out, const MuxOutputConfig *cfg)
{
    const char *name = encoder_name(cfg->codec);
    const AVCodec *codec = avcodec_find_encoder_by_name(name);
    AVDictionary *opts = NULL;
    AVCodecContext *enc;
    int threads = cfg->threads > 0 ? cfg->threads : MUX_DEFAULT_THREADS;
    int ret;

    if (!codec) {
        ot_log(OT_LOG_ERROR, "mux",
               "encoder \"%s\" is not in this FFmpeg build (libavcodec %s), needed for \"%s\": install an "
               "FFmpeg "
               "built with %s (Debian's libavcodec59 is) or choose --codec %s",
               name, av_version_info(), out->path, cfg->codec == MUX_CODEC_H264 ? "libx264" : "ffv1",
               cfg->codec == MUX_CODEC_H264 ? "ffv1" : "h264");
        return OT_ERROR_CODEC;
    }
    enc = avcodec_alloc_context3(codec);
    if (!enc)
        return -ENOMEM;
    out->enc = enc;
    enc->width = cfg->width;
    enc->height = cfg->height;
    enc->pix_fmt = AV_PIX_FMT_YUV420P;
    enc->sample_aspect_ratio = (AVRational){1, 1};
    /* pts in the encoder = program frame index, exactly. */
    enc->time_base = (AVRational){cfg->rate.den, cfg->rate.num};
    enc->framerate = (AVRational){cfg->rate.num, cfg->rate.den};
    /* A fixed thread count: the same config gives the same bitstream on any machine. */
    enc->thread_count = threads;
    if (out->fmt->oformat->flags & AVFMT_GLOBALHEADER)
        enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;

    if (cfg->codec == MUX_CODEC_H264) {
        int keyint =
            out->gop > INT_MAX / MUX_X264_KEYINT_FACTOR ? INT_MAX : out->gop * MUX_X264_KEYINT_FACTOR;
        enc->gop_size = keyint;
        enc->keyint_min = keyint; /* x264 clamps it to keyint/2+1: no early keyframe of its own either */
        av_dict_set(&opts, "preset", cfg->preset ? cfg->preset : "veryfast", 0);
        av_dict_set(&opts, "profile", "high", 0);
        av_dict_set(&opts, "forced-idr", "1", 0); /* pict_type I -> IDR, a clean cut point */
        av_dict_set(&opts, "x264-params", "scenecut=0", 0);
    } else {
        /* Archival FFV1: version 3, range coder, large context, CRC per slice, intra only. The slice count
         * depends on the picture size only (never on threads), so the bitstream is a function of the input.
         */
        enc->level = 3;
        enc->gop_size = 1;
        enc->slices = ffv1_slices(cfg->width, cfg->height);
        enc->thread_type = FF_THREAD_SLICE;
        av_dict_set(&opts, "coder", "range_tab", 0);
        av_dict_set(&opts, "context", "1", 0);
        av_dict_set(&opts, "slicecrc", "1", 0);
    }
    /* The encoder's own threads (x264's frame and lookahead threads, FFV1's slice threads) inherit the name and
     * the niceness of the thread that opens it: open it from a thread of its own, named after the output (per-
     * thread CPU in bench/live.sh, top -H, htop tells each encoder apart) and as nice as the config says. */
    OpenArgs oa = {.enc = enc, .codec = codec, .opts = &opts, .nice = cfg->nice, .ret = AVERROR(EAGAIN)};
    snprintf(oa.name, sizeof(oa.name), "ot-%s-%s", cfg->codec == MUX_CODEC_H264 ? "x264" : "ffv1",
             cfg->role ? cfg->role : "out"); /* truncated to 15 characters */
    for (char *c = oa.name; *c; c++)
        if (*c == ' ')
            *c = '-';
    pthread_t opener;
    if (pthread_create(&opener, NULL, open_main, &oa) == 0) {
        pthread_join(opener, NULL);
        ret = oa.ret;
    } else {
        ret = avcodec_open2(enc, codec, &opts); /* no thread to spare: here, unnamed and not niced */
    }
    if (ret < 0) {
        ot_log(OT_LOG_ERROR, "mux",
               "cannot open encoder %s (%dx%d at %d/%d fps) for \"%s\": %s: check --size and --fps", name,
               cfg->width, cfg->height, cfg->rate.num, cfg->rate.den, out->path, av_err2str(ret));
        av_dict_free(&opts);
        return OT_ERROR_CODEC;
    }
    if (av_dict_count(opts) > 0) {
        /* An option the encoder did not take: a programming error, not a user's. */
        const AVDictionaryEntry *e = av_dict_get(opts, "", NULL, AV_DICT_IGNORE_SUFFIX);
        ot_log(OT_LOG_ERROR, "mux", "encoder %s does not know option \"%s\" (FFmpeg %s)", name,
               e ? e->key : "?", av_version_info());
        av_dict_free(&opts);
        return OT_ERROR_CODEC;
    }
    av_dict_free(&opts);
    return 0;
}

/* The stream of a remux: the source's parameters as they are, in Matroska's millisecond. */
static int add_copy_stream(MuxOutput *out, const AVCodecParameters *par, AVRational frame_rate)
{
    int ret;

    out->st = avformat_new_stream(out->fmt, NULL);
    if (!out->st)
        return -ENOMEM;
    ret = avcodec_parameters_copy(out->st->codecpar, par);
    if (ret < 0)
        return fail_av(out, "copying the stream parameters", ret);
    out->st->codecpar->codec_tag = 0; /* the source container's fourcc means nothing to Matroska */
    out->pkt_tb = (AVRational){1, MUX_COPY_TB_DEN};
    out->st->time_base = out->pkt_tb;
    if (frame_rate.num > 0 && frame_rate.den > 0) {
        out->st->avg_frame_rate = frame_rate; /* -> Matroska DefaultDuration: the camera's own rate */
        out->st->r_frame_rate = frame_rate;
    }
    return 0;
}

/* The program audio tracks, in order: the first, then the stems. */
static int open_audio(MuxOutput *out, const MuxOutputConfig *cfg)
{
    int bits = cfg->audio_bits ? cfg->audio_bits : 24;
    int ret = mux_audio_open(out->fmt, out->path, cfg->audio_channels, bits, cfg->audio_proof,
                             cfg->audio_role ? cfg->audio_role : "program audio", cfg->audio_title, &out->audio[0]);
    if (ret < 0)
        return ret;
    out->naudio = 1;
    for (int i = 0; i < cfg->nstems && i < SW_AUDIO_MAX_TRACKS - 1; i++) {
        ret = mux_audio_open(out->fmt, out->path, cfg->stems[i].channels, bits, cfg->stems[i].proof,
                             cfg->stems[i].role, cfg->stems[i].title, &out->audio[1 + i]);
        if (ret < 0)
            return ret;
        out->naudio++;
    }
    return 0;
}

static int open_muxer(MuxOutput *out, const MuxOutputConfig *cfg, const AVCodecParameters *copy_par,
                      AVRational copy_rate, const AVCodecParameters *copy_audio)
{
    uint8_t *iobuf;
    int ret;

    ret = avformat_alloc_output_context2(&out->fmt, NULL, "matroska", cfg->path);
    if (ret < 0 || !out->fmt) {
        ot_log(OT_LOG_ERROR, "mux", "no Matroska muxer in this FFmpeg build (%s), needed for \"%s\"",
               av_version_info(), cfg->path);
        return ret == AVERROR(ENOMEM) ? -ENOMEM : OT_ERROR_CODEC;
    }
    iobuf = av_malloc(MUX_IO_BUFFER_SIZE);
    if (!iobuf)
        return -ENOMEM;
    /* No read and no seek callback: a non-seekable, append-only output. */
    out->pb = avio_alloc_context(iobuf, MUX_IO_BUFFER_SIZE, 1, out, NULL, io_write, NULL);
    if (!out->pb) {
        av_free(iobuf);
        return -ENOMEM;
    }
    out->fmt->pb = out->pb;
    /* CUSTOM_IO: libavformat does not close or free our pb. BITEXACT: no random SegmentUID/TrackUID and no
     * DateUTC, so the file is a pure function of the config and the frames (replay can reproduce it byte for
     * byte); the take id in the tags is what makes each take unique. */
    out->fmt->flags |= AVFMT_FLAG_CUSTOM_IO | AVFMT_FLAG_BITEXACT;

    if (copy_par) {
        ret = add_copy_stream(out, copy_par, copy_rate);
        if (ret < 0)
            return ret;
    } else {
        ret = open_encoder(out, cfg);
        if (ret < 0)
            return ret;

        out->st = avformat_new_stream(out->fmt, NULL);
        if (!out->st)
            return -ENOMEM;
        ret = avcodec_parameters_from_context(out->st->codecpar, out->enc);
        if (ret < 0)
            return fail_av(out, "avcodec_parameters_from_context", ret);
        out->pkt_tb = out->enc->time_base;
        out->st->time_base = out->enc->time_base;
        out->st->avg_frame_rate = out->enc->framerate; /* -> Matroska DefaultDuration */
        out->st->r_frame_rate = out->enc->framerate;
    }

    if (cfg->title)
        av_dict_set(&out->fmt->metadata, "title", cfg->title, 0);
    if (cfg->take_id)
        av_dict_set(&out->fmt->metadata, "TAKE_ID", cfg->take_id, 0);
    if (cfg->genesis)
        av_dict_set(&out->fmt->metadata, "GENESIS", cfg->genesis, 0);
    if (cfg->role)
        av_dict_set(&out->fmt->metadata, "ROLE", cfg->role, 0);
    if (cfg->role)
        av_dict_set(&out->st->metadata, "ROLE", cfg->role, 0);
    if (cfg->timecode)
        av_dict_set(&out->st->metadata, "TIMECODE", cfg->timecode, 0);

    if (cfg->audio_channels > 0 && !out->naudio && (ret = open_audio(out, cfg)) < 0)
        return ret;
    if (copy_audio && !out->naudio) {
        /* The camera's audio may start just before its first frame (AAC priming, Opus pre-skip): those packets
         * keep their negative times (a Matroska block may start before its cluster), so that a decoder starts
         * where the camera's did; libavformat must not shift every stream to make them non-negative. */
        out->fmt->avoid_negative_ts = AVFMT_AVOID_NEG_TS_DISABLED;
        ret = mux_audio_open_copy(out->fmt, out->path, copy_audio, cfg->audio_proof, cfg->audio_role,
                                  cfg->audio_title, &out->audio[0]);
        if (ret < 0)
            return ret;
        out->naudio = 1;
        if (cfg->audio_proof)
            proof_stream_set_payload(cfg->audio_proof, mux_payload_form(copy_audio));
    }
    if (cfg->sub_nlangs > 0 && !out->subs) {
        ret = mux_subs_open(out->fmt, out->path, out->rate, cfg->sub_langs, cfg->sub_nlangs, cfg->sub_proofs,
                            &out->subs);
        if (ret < 0)
            return ret;
    }
    ret = avformat_init_output(out->fmt, NULL);
    if (ret < 0)
        return fail_av(out, "initialising the Matroska muxer", ret);
    /* Set only now: initialising a bitexact muxer drops any format-level "encoder" key. */
    av_dict_set(&out->fmt->metadata, "ENCODER", "onetake", 0);
    out->capturing = 1;
    ret = avformat_write_header(out->fmt, NULL);
    if (ret < 0)
        return fail_av(out, "writing the Matroska header", ret);
    avio_flush(out->pb);
    ret = write_stream_header(out);
    if (ret < 0)
        return fail_av(out, "writing the Matroska header", ret);
    out->header_written = 1;
    /* Matroska keeps its own time base (1/1000 s): packets are rescaled from the encoder's 1/fps on the way
     * in. round(t * fps) recovers the frame index exactly as long as 1 ms is under half a frame. */
    ot_log(OT_LOG_VERBOSE, "mux", "\"%s\": %s %dx%d %d/%d fps, GOP %d, stream time base %d/%d", out->path,
           encoder_name(out->codec), out->width, out->height, out->rate.num, out->rate.den, out->gop,
           out->st->time_base.num, out->st->time_base.den);
    return 0;
}

static MuxOutput *output_alloc(const MuxOutputConfig *cfg, const AVCodecParameters *copy_par,
                               AVRational copy_rate, const AVCodecParameters *copy_audio);

MuxOutput *mux_output_alloc(const MuxOutputConfig *cfg)
{
    /* H.264 4:2:0 needs an even size; FFV1 takes any. */
    if (!cfg || !cfg->path || cfg->width <= 0 || cfg->height <= 0 || cfg->rate.num <= 0 ||
        cfg->rate.den <= 0 || (cfg->codec != MUX_CODEC_H264 && cfg->codec != MUX_CODEC_FFV1) ||
        (cfg->codec == MUX_CODEC_H264 && ((cfg->width | cfg->height) & 1))) {
        ot_log(OT_LOG_ERROR, "mux",
               "bad output configuration for \"%s\": need a WxH (even for h264), a positive N/D "
               "frame rate and codec h264 or ffv1",
               cfg && cfg->path ? cfg->path : "(no path)");
        return NULL;
    }
    return output_alloc(cfg, NULL, (AVRational){0, 1}, NULL);
}

MuxOutput *mux_output_alloc_copy(const MuxOutputConfig *cfg, const AVCodecParameters *par,
                                 AVRational frame_rate, const AVCodecParameters *audio_par)
{
    MuxOutput *out;

    if (!cfg || !cfg->path || !par || par->codec_type != AVMEDIA_TYPE_VIDEO) {
        ot_log(OT_LOG_ERROR, "mux", "bad remux configuration for \"%s\": need a path and a video stream",
               cfg && cfg->path ? cfg->path : "(no path)");
        return NULL;
    }
    MuxOutputConfig cc = *cfg;
    cc.codec = MUX_CODEC_COPY;
    cc.rate = frame_rate.num > 0 && frame_rate.den > 0 ? (SwRate){frame_rate.num, frame_rate.den} : cfg->rate;
    cc.audio_channels = 0;
    out = output_alloc(&cc, par, frame_rate, audio_par);
    /* The packets are the source container's (H.264 in MP4 or Matroska: length-prefixed NAL units), not an
     * encoder's: the take log must hash them in that form. */
    if (out && out->proof)
        proof_stream_set_payload(out->proof, mux_payload_form(par));
    return out;
}

static MuxOutput *output_alloc(const MuxOutputConfig *cfg, const AVCodecParameters *copy_par,
                               AVRational copy_rate, const AVCodecParameters *copy_audio)
{
    MuxOutput *out;
    int ret;

    out = calloc(1, sizeof(*out));
    if (!out)
        return NULL;
    out->fd = -1;
    out->last_pts = INT64_MIN;
    pthread_mutex_init(&out->stats_lock, NULL);
    out->codec = cfg->codec;
    out->proof = cfg->proof;
    out->proof_log = cfg->proof ? cfg->proof_log : NULL;
    out->width = cfg->width;
    out->height = cfg->height;
    out->rate = cfg->rate;
    out->gop = cfg->gop > 0 ? cfg->gop : sw_rate_nominal(cfg->rate);
    out->nice = cfg->nice;
    if (out->gop < 1)
        out->gop = 1;
    out->path = strdup(cfg->path);
    out->frame = av_frame_alloc();
    out->pkt = av_packet_alloc();
    if (!out->path || !out->frame || !out->pkt)
        goto fail;

    /* O_EXCL: a recording is never overwritten, not even by a race. */
    out->fd = open(cfg->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (out->fd < 0) {
        ret = -errno;
        ot_log(OT_LOG_ERROR, "mux", "cannot create \"%s\": %s: %s", cfg->path, ot_strerror(ret), io_fix(ret));
        goto fail;
    }
    ret = open_muxer(out, cfg, copy_par, copy_rate, copy_audio);
    if (ret < 0)
        goto fail_created;
    return out;

fail_created:
    /* Nothing that looks like a recording is left behind: the file is ours (O_EXCL). */
    close(out->fd);
    out->fd = -1;
    unlink(cfg->path);
fail:
    out->closed = 1;
    mux_output_free(&out);
    return NULL;
}

int mux_output_start_streams(MuxOutput *out, const MuxStreamConfig *cfg)
{
    if (!out || !cfg || cfg->nurls <= 0 || out->streams || out->last_pts != INT64_MIN)
        return -EINVAL;
    if (cfg->nurls > MUX_STREAM_MAX) {
        ot_log(OT_LOG_ERROR, "stream", "%d --stream outputs: at most %d", cfg->nurls, MUX_STREAM_MAX);
        return -EINVAL;
    }
    if (!out->enc || out->codec != MUX_CODEC_H264) {
        ot_log(OT_LOG_ERROR, "stream", "--stream sends the program's own H.264 packets: record with --codec h264 "
               "(an FFV1 program is not carried by MPEG-TS or FLV)");
        return -EINVAL;
    }
    for (int i = 0; i < MUX_TICK_RING; i++)
        out->tick_pts[i] = INT64_MIN;
    out->streams = mux_streams_alloc(cfg, out->st->codecpar, out->pkt_tb, out->rate, out->gop);
    return out->streams ? 0 : OT_ERROR_CODEC;
}

void mux_output_note_tick(MuxOutput *out, int64_t pts, int64_t ns)
{
    if (!out || !out->streams)
        return;
    int slot = (int)(((pts % MUX_TICK_RING) + MUX_TICK_RING) % MUX_TICK_RING);
    out->tick_pts[slot] = pts;
    out->tick_ns[slot] = ns;
}

int mux_output_get_gop(const MuxOutput *out)
{
    return out ? out->gop : 0;
}

int mux_output_audio_tick_frames(const MuxOutput *out)
{
    if (!out || !out->naudio || out->rate.num <= 0)
        return 0;
    return (int)(((int64_t)SW_AUDIO_RATE * out->rate.den + out->rate.num - 1) / out->rate.num) + 1;
}

static void release_ot_frame(void *opaque, uint8_t *data)
{
    OtFrame *frame = opaque;
    (void)data;
    ot_frame_unref(&frame);
}

/* An AVBufferRef over [data, data+size) that holds its own reference to frame. */
static AVBufferRef *wrap_range(OtFrame *frame, uint8_t *data, size_t size)
{
    OtFrame *ref = ot_frame_ref(frame);
    AVBufferRef *buf = av_buffer_create(data, size, release_ot_frame, ref, AV_BUFFER_FLAG_READONLY);
    if (!buf)
        ot_frame_unref(&ref);
    return buf;
}

/* Zero copy: av's planes are the OtFrame's planes, kept alive by AVBufferRefs that each hold an OtFrame
 * reference. libavcodec sees a refcounted frame and takes a reference instead of a copy (av_frame_ref); FFV1
 * reads the planes in place; libx264 copies them into its own picture inside x264_encoder_encode (its
 * lookahead needs padded planes of its own), after which libavcodec drops the reference. Either way the
 * camera's buffer goes back to its pool as soon as the encoder is done with it. */
static int wrap_frame(OtFrame *frame, AVFrame *av)
{
    uintptr_t start[3], end[3];
    int one_block = 1;

    for (int p = 0; p < 3; p++) {
        int rows = ot_frame_plane_height(frame, p);
        int bytes = ot_frame_plane_width(frame, p);
        start[p] = (uintptr_t)frame->data[p];
        end[p] = start[p] + (uintptr_t)frame->linesize[p] * (uintptr_t)(rows - 1) + (uintptr_t)bytes;
        if (p > 0 && (start[p] < end[p - 1] || start[p] - end[p - 1] > MUX_PLANE_GAP_MAX))
            one_block = 0;
    }
    if (one_block) {
        av->buf[0] = wrap_range(frame, frame->data[0], end[2] - start[0]);
        if (!av->buf[0])
            return -ENOMEM;
    } else {
        for (int p = 0; p < 3; p++) {
            av->buf[p] = wrap_range(frame, frame->data[p], end[p] - start[p]);
            if (!av->buf[p])
                return -ENOMEM; /* the caller's av_frame_unref releases the others */
        }
    }
    for (int p = 0; p < 3; p++) {
        av->data[p] = frame->data[p];
        av->linesize[p] = frame->linesize[p];
    }
    return 0;
}

/* The fallback: a pooled frame of our own with the pixels copied in. */
static int copy_frame(MuxOutput *out, const OtFrame *frame, AVFrame *av)
{
    int ret;

    if (!out->copy_pool) {
        int size = av_image_get_buffer_size(AV_PIX_FMT_YUV420P, out->width, out->height, 32);
        if (size < 0)
            return fail_av(out, "sizing a frame copy", size);
        out->copy_pool = av_buffer_pool_init((size_t)size, NULL);
        if (!out->copy_pool)
            return -ENOMEM;
    }
    av->buf[0] = av_buffer_pool_get(out->copy_pool);
    if (!av->buf[0])
        return -ENOMEM;
    ret = av_image_fill_arrays(av->data, av->linesize, av->buf[0]->data, AV_PIX_FMT_YUV420P, out->width,
                               out->height, 32);
    if (ret < 0)
        return fail_av(out, "laying out a frame copy", ret);
    for (int p = 0; p < 3; p++)
        av_image_copy_plane(av->data[p], av->linesize[p], frame->data[p], frame->linesize[p],
                            ot_frame_plane_width(frame, p), ot_frame_plane_height(frame, p));
    return 0;
}

/* Whether the encoder can read frame's planes where they are. Both libx264 and FFV1 take any positive stride
 * at any alignment; a negative (bottom-up) stride is what they cannot take. */
static int layout_passable(const OtFrame *frame, int *bad_plane)
{
    for (int p = 0; p < 3; p++) {
        if (frame->linesize[p] <= 0) {
            *bad_plane = p;
            return 0;
        }
    }
    return 1;
}

static int check_frame(MuxOutput *out, const OtFrame *frame)
{
    int bad = 0;

    if (frame->format != OT_PIX_I420 || frame->nb_planes < 3 || frame->width != out->width ||
        frame->height != out->height) {
        bad = 1;
    } else {
        for (int p = 0; p < 3; p++) {
            int stride = frame->linesize[p] < 0 ? -frame->linesize[p] : frame->linesize[p];
            if (!frame->data[p] || stride < ot_frame_plane_width(frame, p))
                bad = 1;
        }
    }
    if (bad) {
        if (!out->layout_logged)
            ot_log(OT_LOG_ERROR, "mux",
                   "frame for \"%s\" is %dx%d format %d with %d planes, strides %d/%d/%d: "
                   "expected I420 %dx%d (a capture bug: frames must be conformed to --size)",
                   out->path, frame->width, frame->height, (int)frame->format, frame->nb_planes,
                   frame->linesize[0], frame->linesize[1], frame->linesize[2], out->width, out->height);
        out->layout_logged = 1;
        return -EINVAL;
    }
    return 0;
}

static int write_packet(MuxOutput *out, AVPacket *pkt)
{
    int key = !!(pkt->flags & AV_PKT_FLAG_KEY);
    int ret;

    pkt->stream_index = out->st->index;
    if (pkt->duration <= 0)
        pkt->duration = 1; /* one frame, in the encoder time base */
    /* The program audio up to this packet first: the file interleaves by time, and a commit at this key packet
     * covers it. */
    for (int t = 0; t < out->naudio; t++)
        if ((ret = mux_audio_write_until(out->audio[t], pkt->dts, out->pkt_tb)) < 0)
            return audio_fail(out, ret);
    ret = on_packet(out, pkt);
    if (ret < 0)
        return ret;
    /* The same packet live, as a reference (the encoder's form, pts in frames), before the muxer rewrites it. */
    if (out->streams) {
        int slot = (int)(((pkt->pts % MUX_TICK_RING) + MUX_TICK_RING) % MUX_TICK_RING);
        int64_t made = out->tick_pts[slot] == pkt->pts ? out->tick_ns[slot] : 0;
        if ((ret = mux_streams_push(out->streams, pkt, made, out->proof)) < 0) {
            if (!out->err)
                out->err = ret;
            return ret;
        }
    }
    /* The media's end as the take log has it (PKT pts + duration): the verifier recomputes it the same way. */
    double end = mux_mkv_end_ms(pkt->pts + pkt->duration, out->pkt_tb.num, out->pkt_tb.den);
    if (end > out->end_ms)
        out->end_ms = end;
    av_packet_rescale_ts(pkt, out->pkt_tb, out->st->time_base);
    /* av_write_frame, not interleaved: we interleave, and the packet stays ours. */
    ret = av_write_frame(out->fmt, pkt);
    if (ret < 0)
        return fail_av(out, "writing a packet", ret);
    /* Matroska's muxer holds one audio packet (of any track) back: whichever it was, it is written now. */
    if ((ret = each_audio(out, mux_audio_settle)) < 0)
        return audio_fail(out, ret);
    pthread_mutex_lock(&out->stats_lock);
    out->stats.packets++;
    out->stats.keyframes += key;
    pthread_mutex_unlock(&out->stats_lock);
    return 0;
}

/* Write every packet the encoder has ready. */
static int drain_packets(MuxOutput *out)
{
    for (;;) {
        int ret = avcodec_receive_packet(out->enc, out->pkt);
        if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF)
            return 0;
        if (ret < 0)
            return fail_av(out, "encoding", ret);
        ret = write_packet(out, out->pkt);
        av_packet_unref(out->pkt);
        if (ret < 0)
            return ret;
    }
}

int mux_output_write(MuxOutput *out, OtFrame *frame, int64_t pts, int force_key)
{
    AVFrame *av;
    int bad_plane = 0;
    int zero_copy;
    int ret;

    if (!out || !frame || !out->enc)
        return -EINVAL;
    if (out->err)
        return out->err;
    if (out->closed)
        return -EPIPE;
    ret = check_frame(out, frame);
    if (ret < 0)
        return ret;
    if (pts <= out->last_pts) {
        ot_log(OT_LOG_ERROR, "mux",
               "pts %" PRId64 " after %" PRId64 " for \"%s\": program frames must be written in "
               "order (a bug)",
               pts, out->last_pts, out->path);
        return -EINVAL;
    }

    av = out->frame;
    av->format = AV_PIX_FMT_YUV420P;
    av->width = out->width;
    av->height = out->height;
    av->sample_aspect_ratio = (AVRational){1, 1};
    zero_copy = layout_passable(frame, &bad_plane);
    if (zero_copy) {
        ret = wrap_frame(frame, av);
    } else {
        if (!out->copy_logged)
            ot_log(OT_LOG_WARNING, "mux",
                   "\"%s\": plane %d has stride %d (bottom-up rows), which the encoder cannot "
                   "take: frames with this layout are copied (one memcpy per frame)",
                   out->path, bad_plane, frame->linesize[bad_plane]);
        out->copy_logged = 1;
        ret = copy_frame(out, frame, av);
    }
    if (ret < 0)
        goto fail;
    av->pts = pts;
    av->pict_type = force_key ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE;

    ret = avcodec_send_frame(out->enc, av);
    pthread_mutex_lock(&out->stats_lock);
    out->stats.last_data0 = av->data[0];
    pthread_mutex_unlock(&out->stats_lock);
    /* Drops our AVBufferRefs; whatever the encoder still needs it holds through references of its own. */
    av_frame_unref(av);
    if (ret < 0) {
        ret = fail_av(out, "sending a frame to the encoder", ret);
        goto fail;
    }
    out->last_pts = pts;
    pthread_mutex_lock(&out->stats_lock);
    out->stats.frames++;
    if (zero_copy)
        out->stats.zero_copy++;
    else
        out->stats.copies++;
    pthread_mutex_unlock(&out->stats_lock);
    return drain_packets(out);

fail:
    av_frame_unref(av);
    if (ret == -ENOMEM && !out->err) {
        ot_log(OT_LOG_ERROR, "mux", "out of memory while encoding \"%s\"", out->path);
        out->err = ret;
    }
    return ret;
}

int mux_output_write_packet(MuxOutput *out, AVPacket *pkt)
{
    int ret;

    if (!out || !pkt || out->enc)
        return -EINVAL;
    if (out->err)
        return out->err;
    if (out->closed)
        return -EPIPE;
    ret = write_packet(out, pkt);
    if (ret < 0)
        return ret;
    stats_add(out, &out->stats.frames, 1); /* a remux's frames are its packets */
    return 0;
}

int mux_output_write_sub(MuxOutput *out, int lang, int64_t frame, const char *text)
{
    int ret;

    if (!out || !out->subs)
        return -EINVAL;
    if (out->err)
        return out->err;
    if (out->closed)
        return -EPIPE;
    ret = mux_subs_line(out->subs, lang, frame, text);
    return ret < 0 ? audio_fail(out, ret) : 0;
}

int mux_output_write_audio_packet(MuxOutput *out, const AVPacket *pkt)
{
    if (!out || !pkt || out->enc || !out->naudio)
        return -EINVAL;
    if (out->err)
        return out->err;
    if (out->closed)
        return -EPIPE;
    int ret = mux_audio_put_packet(out->audio[0], pkt);
    return ret < 0 ? audio_fail(out, ret) : 0;
}

int mux_output_audio_tracks(const MuxOutput *out)
{
    return out ? out->naudio : 0;
}

int mux_output_audio_channels(const MuxOutput *out, int track)
{
    return out && track >= 0 && track < out->naudio ? mux_audio_channels(out->audio[track]) : 0;
}

int mux_output_write_audio(MuxOutput *out, int track, const SwSample *samples, int n)
{
    int ret;

    if (!out || track < 0 || track >= out->naudio || (!samples && n > 0) || n < 0)
        return -EINVAL;
    if (out->err)
        return out->err;
    if (out->closed)
        return -EPIPE;
    ret = mux_audio_push(out->audio[track], samples, n);
    return ret < 0 ? audio_fail(out, ret) : 0;
}

/* A clean close, after the last cluster: append the Cues of the cue points the scan kept (through the write
 * path: they are in the FILE ranges like any appended byte). Returns the Cues' offset, or -1 (the file stays
 * in its streaming form, which is not an error). */
static int64_t append_cues(MuxOutput *out)
{
    uint8_t *cues = NULL;
    size_t len = 0;
    int64_t off = out->file_offset;

    if (!out->scan || mux_mkv_scan_failed(out->scan) || mux_mkv_scan_clusters_end(out->scan) != off ||
        mux_mkv_scan_build_cues(out->scan, &cues, &len) < 0) {
        if (out->scan)
            ot_log(OT_LOG_WARNING, "mux", "\"%s\": no cue points could be made (%s): it stays in its streaming "
                   "form", out->path, mux_mkv_scan_failed(out->scan) ? "a cluster the scan could not follow"
                                                                   : "no key frame");
        return -1;
    }
    int ret = file_write(out, cues, (int)len);
    free(cues);
    if (ret >= 0)
        avio_flush(out->pb); /* nothing buffered, but keep the context's position honest */
    return ret < 0 ? -1 : off;
}

/* After the final FILE record: the header's reserved bytes patched in place (mux_mkv.h), the PATCH record
 * released to the take log first, so that a log which attests the file attests the patch. */
static int patch_header(MuxOutput *out, int64_t cues_off)
{
    MuxMkvPatch p[MUX_MKV_MAX_PATCHES];
    ProofPatchRange r[MUX_MKV_MAX_PATCHES];
    int np = 0, ret;
    double end_ms = out->end_ms;

    for (int t = 0; t < out->naudio; t++)
        if (mux_audio_end_ms(out->audio[t]) > end_ms)
            end_ms = mux_audio_end_ms(out->audio[t]);
    ret = mux_mkv_build_patch(out->hdr, &out->lay, cues_off, out->file_offset, end_ms, p, &np);
    if (ret < 0) {
        ot_log(OT_LOG_ERROR, "mux", "cannot make the finished header of \"%s\" (a bug): it stays in its "
               "streaming form", out->path);
        return 0;
    }
    for (int i = 0; i < np; i++)
        r[i] = (ProofPatchRange){p[i].off, p[i].len, p[i].before, p[i].after};
    if (out->proof && (ret = proof_stream_patch(out->proof, cues_off, r, np)) < 0)
        return ret;
    for (int i = 0; i < np; i++) {
        ssize_t n;
        do {
            n = pwrite(out->fd, p[i].after, (size_t)p[i].len, (off_t)p[i].off);
        } while (n < 0 && errno == EINTR);
        if (n != p[i].len) {
            ret = n < 0 ? -errno : -EIO;
            ot_log(OT_LOG_ERROR, "mux", "cannot finish \"%s\" at byte %" PRId64 ": %s: %s", out->path, p[i].off,
                   ot_strerror(ret), io_fix(ret));
            return ret;
        }
    }
    if (fdatasync(out->fd) < 0) {
        ret = -errno;
        ot_log(OT_LOG_ERROR, "mux", "cannot sync \"%s\" to the disk: %s: %s", out->path, ot_strerror(ret),
               io_fix(ret));
        return ret;
    }
    out->finished = 1;
    return 0;
}

static double mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int mux_output_close(MuxOutput *out)
{
    int64_t cues_off = -1;
    double t0 = 0, t_cues = 0;
    int err;
    int ret;

    if (!out)
        return -EINVAL;
    if (out->closed)
        return out->err;
    out->closed = 1;

    if (!out->err && out->header_written) {
        /* Flush the encoder (x264's lookahead and B-frames), then the last cluster. */
        ret = out->enc ? avcodec_send_frame(out->enc, NULL) : 0;
        if (ret < 0 && ret != AVERROR_EOF)
            fail_av(out, "flushing the encoder", ret);
        if (!out->err && out->enc)
            drain_packets(out);
        if (!out->err && (ret = each_audio(out, mux_audio_flush)) < 0)
            audio_fail(out, ret);
        /* The lines still shown end with the last frame. */
        if (!out->err && out->subs && (ret = mux_subs_finish(out->subs, out->last_pts + 1)) < 0)
            audio_fail(out, ret);
        if (!out->err) {
            ret = av_write_trailer(out->fmt);
            if (ret < 0)
                fail_av(out, "writing the Matroska trailer", ret);
        }
    }
    /* Every stream sends what it holds and ends; what it could not send is declared before the final records. */
    if (out->streams && (ret = mux_streams_finish(out->streams, out->err ? NULL : out->proof)) < 0 && !out->err)
        out->err = ret;
    if (out->pb) {
        avio_flush(out->pb);
        if (out->io_err && !out->err)
            out->err = out->io_err;
    }
    if (!out->err && out->header_written) {
        t0 = mono_ms();
        cues_off = append_cues(out);
        t_cues = mono_ms() - t0; /* the fdatasync that follows was there before */
    }
    if (out->io_err && !out->err)
        out->err = out->io_err;
    err = out->err;
    if (out->fd >= 0) {
        /* The file is complete only once it is on the disk. */
        if (fdatasync(out->fd) < 0 && !err) {
            err = -errno;
            ot_log(OT_LOG_ERROR, "mux", "cannot sync \"%s\" to the disk: %s: %s", out->path, ot_strerror(err),
                   io_fix(err));
        }
        /* Complete and on the disk: the stream's final FILE record (size, whole-file hash). */
        if (!err && out->proof) {
            err = proof_stream_close(out->proof);
            if (err)
                ot_log(OT_LOG_ERROR, "mux", "cannot close the take log stream of \"%s\": %s", out->path,
                       ot_strerror(err));
        }
        /* Finished in place: Segment size, SeekHead, Duration (after the FILE record of the streaming form). */
        if (!err && cues_off >= 0) {
            t0 = mono_ms();
            err = patch_header(out, cues_off);
            if (!err)
                ot_log(OT_LOG_VERBOSE, "mux", "\"%s\": finished at the close in %.2f ms (%" PRId64 " cue points: "
                       "%.2f ms; patch, its take log commit and a sync: %.2f ms)", out->path,
                       t_cues + mono_ms() - t0, mux_mkv_scan_cues(out->scan), t_cues, mono_ms() - t0);
        }
        if (!err && out->proof) {
            err = each_audio(out, mux_audio_close);
            if (!err)
                err = mux_subs_close(out->subs);
            if (err)
                ot_log(OT_LOG_ERROR, "mux", "cannot close the take log stream of \"%s\": %s", out->path,
                       ot_strerror(err));
        }
        /* The subtitles for post, from the lines as written (derived files: the master holds the record). */
        if (!err && out->subs)
            mux_subs_write_files(out->subs); /* a failure is logged; the take is not lost for it */
        if (close(out->fd) < 0 && !err) {
            err = -errno;
            ot_log(OT_LOG_ERROR, "mux", "cannot close \"%s\": %s: %s", out->path, ot_strerror(err),
                   io_fix(err));
        }
        out->fd = -1;
    }
    out->err = err;
    return err;
}

void mux_output_free(MuxOutput **pout)
{
    MuxOutput *out = pout ? *pout : NULL;

    if (!out)
        return;
    if (!out->closed)
        mux_output_close(out);
    if (out->fd >= 0)
        close(out->fd);
    av_frame_free(&out->frame);
    av_packet_free(&out->pkt);
    /* Releases any frame the encoder still held (after a failure, without a flush). */
    avcodec_free_context(&out->enc);
    for (int t = 0; t < SW_AUDIO_MAX_TRACKS; t++)
        mux_audio_free(&out->audio[t]);
    mux_subs_free(&out->subs);
    mux_streams_free(&out->streams);
    avformat_free_context(out->fmt);
    if (out->pb) {
        av_freep(&out->pb->buffer); /* may have been reallocated by avio: free what it holds now */
        avio_context_free(&out->pb);
    }
    av_buffer_pool_uninit(&out->copy_pool);
    mux_mkv_scan_free(&out->scan);
    free(out->cap);
    free(out->hdr);
    pthread_mutex_destroy(&out->stats_lock);
    free(out->path);
    free(out);
    *pout = NULL;
}

void mux_output_get_stats(MuxOutput *out, MuxOutputStats *stats)
{
    if (!stats)
        return;
    if (!out) {
        memset(stats, 0, sizeof(*stats));
        return;
    }
    pthread_mutex_lock(&out->stats_lock);
    *stats = out->stats;
    pthread_mutex_unlock(&out->stats_lock);
    mux_audio_get_stats(out->naudio ? out->audio[0] : NULL, &stats->audio_frames, &stats->audio_packets);
    stats->audio_tracks = out->naudio;
    for (int t = 0; t < out->naudio; t++) {
        int64_t frames;
        mux_audio_get_stats(out->audio[t], &frames, &stats->audio_track_packets[t]);
        mux_audio_get_loudness(out->audio[t], &stats->audio_loudness[t]);
    }
    mux_streams_get_stats(out->streams, stats);
    stats->sub_lines = mux_subs_lines(out->subs, -1);
    for (int i = 0; i < SW_SUB_MAX_LANGS; i++)
        stats->sub_lines_lang[i] = mux_subs_lines(out->subs, i);
}

int mux_output_nice(const MuxOutput *out)
{
    return out ? out->nice : 0;
}
