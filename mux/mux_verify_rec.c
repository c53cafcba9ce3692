/* onetake mux: `verify DIR --stream FILE`: is a recording of the live stream (a .ts or .flv made anywhere) the
 * take's program? Every video packet of it, after the muxer's own additions are taken out (the access unit
 * delimiter MPEG-TS adds, the parameter sets it repeats at key frames), must be a packet the take log holds (PKT
 * record: normalised payload hash) at the same pts, in order. The recording's clock may start anywhere (a receiver
 * re-stamps, a server records from its own zero): its offset from the take's is fixed by the first packet and must
 * hold for every later one to within half a frame. Packets of the take that are not in the recording are listed as
 * frame ranges, each said to be declared (ANOMALY stream-drop) or not. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>

#include "mux.h"
#include "mux_int.h"
#include "mux_verify.h"
#include "ot_common.h"
#include "proof.h"

#define REC_IO_BUFFER (64 * 1024)

enum { NAL_SPS = 7, NAL_PPS = 8, NAL_AUD = 9 };


typedef struct RecState {
    const ProofStreamModel *m;
    const ProofTake *take;
    ProofVerdict *v;
    const char *file;
    GHashTable *by_pts; /* log pts -> index + 1 */
    uint8_t *buf;       /* the normalised form (LP4) of one packet */
    size_t cap;
    int64_t last_j;     /* the log packet matched last, -1 */
    double offset;      /* recording seconds - take seconds, from the first packet */
    int64_t matched, params_seen;
    int64_t first_frame, last_frame;
    GArray *missing; /* int64_t: pts of the log packets the recording lacks */
} RecState;

static int r_read(void *opaque, uint8_t *buf, int size)
{
    int fd = *(int *)opaque;
    ssize_t n;
    do {
        n = read(fd, buf, (size_t)size);
    } while (n < 0 && errno == EINTR);
    if (n < 0)
        return AVERROR(errno);
    return n == 0 ? AVERROR_EOF : (int)n;
}

static int64_t r_seek(void *opaque, int64_t offset, int whence)
{
    int fd = *(int *)opaque;
    if (whence == AVSEEK_SIZE) {
        off_t cur = lseek(fd, 0, SEEK_CUR), end = lseek(fd, 0, SEEK_END);
        lseek(fd, cur, SEEK_SET);
        return end;
    }
    off_t pos = lseek(fd, offset, whence & ~AVSEEK_FORCE);
    return pos < 0 ? AVERROR(errno) : pos;
}

static int append_nal(RecState *st, size_t *len, const uint8_t *nal, size_t n, int drop_params, int *params)
{
    int type = n > 0 ? nal[0] & 0x1f : -1;
    if (type == NAL_AUD)
        return 0;
    if (type == NAL_SPS || type == NAL_PPS) {
        *params = 1;
        if (drop_params)
            return 0;
    }
    if (*len + 4 + n > st->cap) {
        st->cap = (*len + 4 + n) * 2;
        st->buf = g_realloc(st->buf, st->cap);
    }
    st->buf[*len] = (uint8_t)(n >> 24);
    st->buf[*len + 1] = (uint8_t)(n >> 16);
    st->buf[*len + 2] = (uint8_t)(n >> 8);
    st->buf[*len + 3] = (uint8_t)n;
    memcpy(st->buf + *len + 4, nal, n);
    *len += 4 + n;
    return 0;
}

static size_t next_start(const uint8_t *d, size_t i, size_t size)
{
    for (; i + 2 < size; i++)
        if (d[i] == 0 && d[i + 1] == 0 && d[i + 2] == 1)
            return i;
    return size;
}

/* The packet's NAL units as 4-byte length-prefixed, the delimiter (and with drop_params the parameter sets) left
 * out, the way proof_packet_hash normalises them (trailing zeros are not part of a NAL unit). -EINVAL: the payload
 * is not of its form. */
static int normalise(RecState *st, ProofPayload form, const uint8_t *d, size_t size, int drop_params,
                     size_t *out_len, int *params)
{
    size_t len = 0;
    *params = 0;
    if (form == PROOF_PAYLOAD_ANNEXB) {
        size_t i = next_start(d, 0, size);
        while (i < size) {
            size_t start = i + 3, end = next_start(d, start, size), stop = end;
            while (stop > start && d[stop - 1] == 0)
                stop--;
            if (stop > start)
                append_nal(st, &len, d + start, stop - start, drop_params, params);
            i = end;
        }
    } else {
        size_t n = form == PROOF_PAYLOAD_LP4 ? 4 : form == PROOF_PAYLOAD_LP2 ? 2 : 1, i = 0;
        while (i + n <= size) {
            size_t l = 0;
            for (size_t k = 0; k < n; k++)
                l = l << 8 | d[i + k];
            i += n;
            if (l > size - i)
                return -EINVAL;
            if (l > 0)
                append_nal(st, &len, d + i, l, drop_params, params);
            i += l;
        }
        if (i != size)
            return -EINVAL;
    }
    *out_len = len;
    return 0;
}

/* The packet's payload hashes: as it is, and with the parameter sets the muxer repeated taken out (when it has
 * any). Their count (0: the payload is not of its form). */
static int payload_hashes(RecState *st, ProofPayload form, const AVPacket *pkt, uint8_t h[2][PROOF_HASH_LEN])
{
    int nh = 0;
    for (int drop = 0; drop < 2; drop++) {
        size_t len;
        int params;
        if (normalise(st, form, pkt->data, (size_t)pkt->size, drop, &len, &params) < 0 || (drop && !params))
            break;
        if (proof_packet_hash(PROOF_PAYLOAD_LP4, st->buf, len, h[nh], NULL) == 0)
            nh++;
    }
    return nh;
}

static int same_hash(const RecState *st, const uint8_t h[2][PROOF_HASH_LEN], int nh, int64_t j)
{
    for (int i = 0; i < nh; i++)
        if (!memcmp(h[i], st->m->pkts[j].hash, PROOF_HASH_LEN))
            return 1;
    return 0;
}

/* Log packets (from, to) exclusive are not in the recording. */
static void add_gap(RecState *st, int64_t from, int64_t to)
{
    for (int64_t k = from + 1; k < to; k++)
        g_array_append_val(st->missing, st->m->pkts[k].pts);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static double log_seconds(const ProofStreamModel *m, int64_t pts)
{
    return (double)pts * m->tb_num / m->tb_den;
}

/* One video packet of the recording: where it is in the log, checked. 0, or -1 (INVALID in v). */
static int check_packet(RecState *st, ProofPayload form, const AVPacket *pkt, AVRational tb, int64_t n)
{
    const ProofStreamModel *m = st->m;
    int64_t ts = pkt->pts != AV_NOPTS_VALUE ? pkt->pts : pkt->dts;
    double t = ts == AV_NOPTS_VALUE ? NAN : (double)ts * tb.num / tb.den;
    const char *damaged = pkt->flags & AV_PKT_FLAG_CORRUPT ? " (the demuxer flags it damaged in transit)" : "";
    int64_t j = -1;
    uint8_t h[2][PROOF_HASH_LEN];
    int nh = payload_hashes(st, form, pkt, h);

    st->params_seen += nh > 1;
    if (isnan(t))
        return proof_verdict_fail(st->v, PROOF_INVALID, "stream-packet", st->file, -1,
                                  "video packet %" PRId64 " of the recording has no timestamp", n + 1);
    if (st->last_j < 0 && !st->matched) {
        /* The first packet fixes the recording's clock: the log packet with its payload. */
        for (int64_t k = 0; k < m->npkts && j < 0; k++)
            if (same_hash(st, h, nh, k))
                j = k;
        if (j < 0)
            return proof_verdict_fail(st->v, PROOF_INVALID, "stream-packet", st->file, -1,
                                      "the recording's first video packet (pts %.3f s)%s is no packet of this "
                                      "take: it is not the take's program",
                                      t, damaged);
        st->offset = t - log_seconds(m, m->pkts[j].pts);
    } else {
        int64_t frame = llround((t - st->offset) * m->tb_den / m->tb_num);
        j = (int64_t)GPOINTER_TO_SIZE(g_hash_table_lookup(st->by_pts, &frame)) - 1;
        double off = t - st->offset - (j >= 0 ? log_seconds(m, m->pkts[j].pts) : 0);
        if (j < 0 || fabs(off) * m->tb_den / m->tb_num > 0.5 || !same_hash(st, h, nh, j))
            return proof_verdict_fail(st->v, PROOF_INVALID, "stream-packet", st->file,
                                      frame >= 0 ? frame : -1,
                                      "video packet %" PRId64 " of the recording (pts %.3f s, frame %" PRId64
                                      " on the take's clock)%s is not the take's packet of that frame: another "
                                      "picture, other bytes or another time",
                                      n + 1, t, frame, damaged);
        if (j <= st->last_j)
            return proof_verdict_fail(st->v, PROOF_INVALID, "stream-order", st->file, m->pkts[j].pts,
                                      "video packet %" PRId64 " of the recording (frame %" PRId64 ") comes after "
                                      "a later packet of the take: repeated or out of order",
                                      n + 1, m->pkts[j].pts);
    }
    add_gap(st, st->last_j, j);
    st->last_j = j;
    if (!st->matched || m->pkts[j].pts < st->first_frame)
        st->first_frame = m->pkts[j].pts;
    if (!st->matched || m->pkts[j].pts > st->last_frame)
        st->last_frame = m->pkts[j].pts;
    st->matched++;
    return 0;
}

/* The take the recording claims to be (MPEG-TS service name and provider, FLV onMetaData). 0, or -1 (INVALID). */
static int check_claim(RecState *st, const AVFormatContext *fmt)
{
    const char *id = NULL, *gen = NULL;
    const AVDictionaryEntry *e;
    for (unsigned i = 0; i < fmt->nb_programs; i++) {
        if ((e = av_dict_get(fmt->programs[i]->metadata, "service_name", NULL, 0)) &&
            g_str_has_prefix(e->value, "onetake take "))
            id = e->value + strlen("onetake take ");
        if ((e = av_dict_get(fmt->programs[i]->metadata, "service_provider", NULL, 0)) &&
            g_str_has_prefix(e->value, "onetake genesis "))
            gen = e->value + strlen("onetake genesis ");
    }
    if (!id && (e = av_dict_get(fmt->metadata, "onetake_take_id", NULL, 0)))
        id = e->value;
    if (!gen && (e = av_dict_get(fmt->metadata, "onetake_genesis", NULL, 0)))
        gen = e->value;
    if (id && strcmp(id, proof_take_id(st->take)))
        return proof_verdict_fail(st->v, PROOF_INVALID, "stream-take-id", st->file, -1,
                                  "the recording says it is take %s, the take log is take %s", id,
                                  proof_take_id(st->take));
    if (gen && strcmp(gen, proof_take_genesis_hex(st->take)))
        return proof_verdict_fail(st->v, PROOF_INVALID, "stream-genesis", st->file, -1,
                                  "the recording names take log genesis %s, this take log's is %s", gen,
                                  proof_take_genesis_hex(st->take));
    if (!id || !gen)
        proof_verdict_note(st->v, "stream recording %s does not say which take it is (no onetake service name or "
                           "onMetaData: a remux or a server dropped it): only its packets were checked", st->file);
    return 0;
}

static const ProofStreamModel *program_model(const ProofTake *take)
{
    for (int i = 0; i < proof_take_nstreams(take); i++) {
        const ProofStreamModel *m = proof_take_stream(take, i);
        if (m && m->role && !strcmp(m->role, "program") && m->owner < 0 && !m->audio)
            return m;
    }
    return NULL;
}

/* One gap: frames [first, last], all missing; declared when the take log declares each of them. */
static int report_gap(RecState *st, int64_t first, int64_t last)
{
    char a[32], b[32];
    int declared = proof_take_declares(st->take, "stream-drop", first, last);
    proof_verdict_gap(st->v, first, last, declared);
    proof_verdict_note(st->v, "stream recording %s: frames %" PRId64 "-%" PRId64 " (%s-%s) are not in it, still in "
                       "the master: %s", st->file, first, last, proof_verdict_timecode(st->v, first, a, sizeof(a)),
                       proof_verdict_timecode(st->v, last, b, sizeof(b)),
                       declared ? "declared by the take (stream-drop)"
                                : "NOT declared by the take (lost after the sender, or cut out)");
    return !declared;
}

static void report(RecState *st, const char *format)
{
    add_gap(st, st->last_j, st->m->npkts); /* what the recording lacks at its end */
    int64_t *miss = (int64_t *)(void *)st->missing->data;
    guint n = st->missing->len, ngaps = 0;
    int64_t undeclared = 0;
    if (n)
        qsort(miss, n, sizeof(int64_t), cmp_i64); /* an empty GArray's data is NULL */
    /* The missing frames in runs of consecutive frames (B-frames make a GOP's frames leave out of order). */
    for (guint i = 0; i < n;) {
        guint j = i;
        while (j + 1 < n && miss[j + 1] == miss[j] + 1)
            j++;
        undeclared += report_gap(st, miss[i], miss[j]);
        ngaps++;
        i = j + 1;
    }
    proof_verdict_checked(st->v, "stream recording %s (%s): %" PRId64 " video packets, each the take's own packet "
                          "of its frame (normalised payload hash, pts within half a frame at a fixed offset of "
                          "%.3f s), in order; frames %" PRId64 "-%" PRId64 " covered, %u gap%s (%" PRId64
                          " undeclared)%s", st->file, format, st->matched, st->offset, st->first_frame,
                          st->last_frame, ngaps, ngaps == 1 ? "" : "s", undeclared,
                          st->params_seen ? "; the parameter sets MPEG-TS repeats at key frames left out" : "");
}

int mux_verify_recording(const ProofTake *take, const char *path, ProofVerdict *v)
{
    RecState st = {.take = take, .v = v, .file = path, .last_j = -1};
    const ProofStreamModel *m = program_model(take);
    AVFormatContext *fmt = NULL;
    AVIOContext *pb = NULL;
    AVPacket *pkt = av_packet_alloc();
    int64_t size = 0, n = 0;
    int ret = -1, averr;
    int fd = proof_file_open_regular(path, &size);

    st.m = m;
    st.missing = g_array_new(FALSE, FALSE, sizeof(int64_t));
    st.by_pts = g_hash_table_new(g_int64_hash, g_int64_equal);
    if (fd < 0) {
        proof_verdict_fail(v, PROOF_IO_ERROR, "io", path, -1, "cannot read the stream recording %s: %s", path,
                           proof_file_why(fd));
        goto out;
    }
    if (!m || !m->codec || strcmp(m->codec, "h264")) {
        proof_verdict_fail(v, PROOF_INVALID, "stream-codec", path, -1, "the take's program is not H.264: no "
                           "stream of it can be checked");
        goto out;
    }
    for (int64_t k = 0; k < m->npkts; k++)
        g_hash_table_insert(st.by_pts, (gpointer)&m->pkts[k].pts, GSIZE_TO_POINTER((gsize)k + 1));
    pb = avio_alloc_context(av_malloc(REC_IO_BUFFER), REC_IO_BUFFER, 0, &fd, r_read, NULL, r_seek);
    fmt = avformat_alloc_context();
    if (!pb || !pb->buffer || !fmt || !pkt) {
        proof_verdict_fail(v, PROOF_IO_ERROR, "memory", path, -1, "out of memory");
        goto out;
    }
    fmt->pb = pb;
    fmt->flags |= AVFMT_FLAG_CUSTOM_IO;
    if ((averr = avformat_open_input(&fmt, path, NULL, NULL)) < 0 ||
        (averr = avformat_find_stream_info(fmt, NULL)) < 0) {
        proof_verdict_fail(v, PROOF_INVALID, "stream-container", path, -1, "the stream recording %s cannot be "
                           "demuxed (%s): give a .ts or .flv recording", path, av_err2str(averr));
        goto out;
    }
    int vi = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
    if (vi < 0 || fmt->streams[vi]->codecpar->codec_id != AV_CODEC_ID_H264) {
        proof_verdict_fail(v, PROOF_INVALID, "stream-container", path, -1, "the stream recording %s has no H.264 "
                           "video: it is not a stream of this take", path);
        goto out;
    }
    if (check_claim(&st, fmt) < 0)
        goto out;
    ProofPayload form = mux_payload_form(fmt->streams[vi]->codecpar);
    AVRational tb = fmt->streams[vi]->time_base;
    while ((averr = av_read_frame(fmt, pkt)) >= 0) {
        int bad = pkt->stream_index == vi && check_packet(&st, form, pkt, tb, n++) < 0;
        av_packet_unref(pkt);
        if (bad)
            goto out;
    }
    if (averr != AVERROR_EOF) {
        proof_verdict_fail(v, PROOF_INVALID, "stream-container", path, -1, "the stream recording %s is damaged "
                           "after %" PRId64 " video packets: %s", path, n, av_err2str(averr));
        goto out;
    }
    if (!st.matched) {
        proof_verdict_fail(v, PROOF_INVALID, "stream-empty", path, -1, "the stream recording %s holds no video "
                           "packet", path);
        goto out;
    }
    report(&st, fmt->iformat->name);
    ret = 0;
out:
    if (fmt)
        avformat_close_input(&fmt);
    if (pb) {
        av_freep(&pb->buffer);
        avio_context_free(&pb);
    }
    av_packet_free(&pkt);
    if (fd >= 0)
        close(fd);
    g_hash_table_unref(st.by_pts);
    g_array_unref(st.missing);
    g_free(st.buf);
    return ret;
}
