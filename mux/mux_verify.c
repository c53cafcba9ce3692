/* onetake mux: the verifier's media part (mux_verify.h). One streaming pass per file: our own AVIOContext
 * reads the file sequentially, every byte goes through the FILE-range check as it is read, and libavformat
 * demuxes the same bytes; each packet is checked against its PKT record as it comes out. A remuxed master
 * (path_override) is read seekable (MP4 may keep its index at the end) and checked at packet level only. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>
#include <libavformat/avformat.h>
#include <libavutil/mathematics.h>

#include "mux_int.h"
#include "mux_verify.h"
#include "ot_common.h"

#define VERIFY_IO_BUFFER (256 * 1024)

typedef struct VReader {
    int fd;
    int64_t pos;           /* of the next byte read from fd */
    int64_t total;         /* file size */
    ProofFileCheck *check; /* NULL: packets only */
    const char *file;
    MuxVerifyProgress progress;
    void *opaque;
    int64_t last_progress_ns;
    int progressed; /* a progress line was shown */
} VReader;


static int v_read(void *opaque, uint8_t *buf, int size)
{
    VReader *r = opaque;
    ssize_t n;
    do {
        n = read(r->fd, buf, (size_t)size);
    } while (n < 0 && errno == EINTR);
    if (n < 0)
        return AVERROR(errno);
    if (n == 0)
        return AVERROR_EOF;
    if (r->check)
        proof_file_check_bytes(r->check, buf, (size_t)n);
    r->pos += n;
    if (r->progress) {
        int64_t t = ot_mono_ns();
        if (t - r->last_progress_ns > 1000000000) {
            r->last_progress_ns = t;
            r->progressed = 1;
            r->progress(r->opaque, r->file, r->pos, r->total);
        }
    }
    return (int)n;
}

static int64_t v_seek(void *opaque, int64_t offset, int whence)
{
    VReader *r = opaque;
    int64_t pos;
    if (whence == AVSEEK_SIZE)
        return r->total;
    pos = lseek(r->fd, offset, whence & ~AVSEEK_FORCE);
    if (pos < 0)
        return AVERROR(errno);
    r->pos = pos;
    return pos;
}

ProofPayload mux_payload_form(const AVCodecParameters *par)
{
    if (par->codec_id == AV_CODEC_ID_H264 || par->codec_id == AV_CODEC_ID_HEVC) {
        if (par->extradata_size >= 5 && par->extradata[0] == 1) {
            /* avcC/hvcC: NAL units with length prefixes of lengthSizeMinusOne + 1 bytes. */
            int n = par->codec_id == AV_CODEC_ID_H264 ? (par->extradata[4] & 3) + 1
                    : par->extradata_size > 21        ? (par->extradata[21] & 3) + 1
                                                      : 4;
            return n == 1 ? PROOF_PAYLOAD_LP1 : n == 2 ? PROOF_PAYLOAD_LP2 : PROOF_PAYLOAD_LP4;
        }
        return PROOF_PAYLOAD_ANNEXB;
    }
    return PROOF_PAYLOAD_RAW;
}

static guint hash_key_hash(gconstpointer k)
{
    guint h;
    memcpy(&h, k, sizeof(h));
    return h;
}

static gboolean hash_key_equal(gconstpointer a, gconstpointer b)
{
    return !memcmp(a, b, PROOF_HASH_LEN);
}

/* Where a payload hash is in the log: packet index + 1, or 0. */
static int64_t find_hash(GHashTable **table, const ProofStreamModel *m, const uint8_t *hash)
{
    if (!*table) {
        *table = g_hash_table_new(hash_key_hash, hash_key_equal);
        for (int64_t i = m->npkts - 1; i >= 0; i--)
            g_hash_table_insert(*table, (gpointer)m->pkts[i].hash, GSIZE_TO_POINTER((gsize)i + 1));
    }
    return (int64_t)GPOINTER_TO_SIZE(g_hash_table_lookup(*table, hash));
}

static int64_t min_pts_from(const ProofStreamModel *m, int64_t k)
{
    int64_t best = k < m->npkts ? m->pkts[k].pts : -1;
    for (int64_t i = k; i < m->npkts; i++)
        if (m->pkts[i].pts < best)
            best = m->pkts[i].pts;
    return best;
}

/* The program frame a pts of stream m falls in (an audio stream counts samples). */
static int64_t at_frame(const ProofVerdict *v, const ProofStreamModel *m, int64_t pts)
{
    if (!m->audio || v->rate_num <= 0)
        return pts;
    return (int64_t)((double)pts * m->tb_num * v->rate_num / ((double)m->tb_den * v->rate_den));
}

int mux_verify_stream(const char *dir, const ProofTake *take, int index, const char *path_override,
                      ProofVerdict *v, MuxVerifyProgress progress, void *opaque)
{
    const ProofStreamModel *m = proof_take_stream(take, index);
    char *path = NULL;
    const char *file;
    VReader rd = {.fd = -1};
    AVFormatContext *fmt = NULL;
    AVIOContext *pb = NULL;
    AVPacket *pkt = NULL;
    GHashTable *hashes = NULL;
    struct stat sb;
    int st_index = -1;
    ProofPayload form;
    const char *unit = "frame"; /* what a pts counts: program frames, or audio samples */
    int64_t k = 0, bad_frame = -1;
    int64_t bad_off = 0, bad_len = 0;
    char tc[32];
    int ret = -1, averr;

    if (!m)
        return proof_verdict_fail(v, PROOF_IO_ERROR, "io", NULL, -1, "no stream %d in the take log", index);
    path = path_override ? g_strdup(path_override) : g_build_filename(dir, m->file, NULL);
    file = path_override ? path_override : m->file;
    rd.file = file;
    rd.progress = progress;
    rd.opaque = opaque;
    rd.last_progress_ns = ot_mono_ns();
    rd.fd = open(path, O_RDONLY | O_CLOEXEC);
    if (rd.fd < 0 || fstat(rd.fd, &sb) < 0) {
        if (errno == ENOENT && !path_override)
            proof_verdict_fail(v, PROOF_INVALID, "file-missing", file, 0,
                               "%s is missing: the take log recorded it", file);
        else
            proof_verdict_fail(v, PROOF_IO_ERROR, "io", file, -1, "cannot read %s: %s", path,
                               ot_strerror(-errno));
        goto out;
    }
    rd.total = sb.st_size;
    /* A stream that shares its file (the program audio in program.mkv) has its bytes checked with its owner. */
    if (!path_override && m->owner < 0) {
        rd.check = proof_file_check_alloc(m);
        if (!rd.check) {
            proof_verdict_fail(v, PROOF_IO_ERROR, "memory", file, -1, "out of memory");
            goto out;
        }
    }
    /* Our file is read non-seekable, like a pipe: the demuxer never goes back, so every byte is hashed once,
     * in order. */
    pb = avio_alloc_context(av_malloc(VERIFY_IO_BUFFER), VERIFY_IO_BUFFER, 0, &rd, v_read, NULL,
                            path_override ? v_seek : NULL);
    fmt = avformat_alloc_context();
    pkt = av_packet_alloc();
    if (!pb || !pb->buffer || !fmt || !pkt) {
        proof_verdict_fail(v, PROOF_IO_ERROR, "memory", file, -1, "out of memory");
        goto out;
    }
    fmt->pb = pb;
    fmt->flags |= AVFMT_FLAG_CUSTOM_IO;
    averr = avformat_open_input(&fmt, path, NULL, NULL);
    if (averr < 0) {
        fmt = NULL; /* freed by avformat_open_input */
        proof_verdict_fail(v, PROOF_INVALID, "container", file, 0,
                           "%s cannot be demuxed (%s): its container is damaged or it is not a recording",
                           file, av_err2str(averr));
        goto out;
    }
    for (unsigned i = 0; i < fmt->nb_streams; i++)
        if (fmt->streams[i]->codecpar->codec_type == (m->audio ? AVMEDIA_TYPE_AUDIO : AVMEDIA_TYPE_VIDEO)) {
            st_index = (int)i;
            break;
        }
    if (st_index < 0) {
        proof_verdict_fail(v, PROOF_INVALID, "container", file, 0, "%s has no %s stream", file,
                           m->audio ? "audio" : "video");
        goto out;
    }
    /* One take: the tags in the file's header name this take and this log. */
    {
        const AVDictionaryEntry *id = av_dict_get(fmt->metadata, "TAKE_ID", NULL, 0);
        const AVDictionaryEntry *gen = av_dict_get(fmt->metadata, "GENESIS", NULL, 0);
        if ((!path_override || id) && (!id || strcmp(id->value, proof_take_id(take)))) {
            proof_verdict_fail(v, PROOF_INVALID, "take-id", file, 0,
                               "%s belongs to take %s, the take log to take %s: files of another take", file,
                               id ? id->value : "(no TAKE_ID tag)", proof_take_id(take));
            goto out;
        }
        if ((!path_override || gen) && (!gen || strcmp(gen->value, proof_take_genesis_hex(take)))) {
            proof_verdict_fail(v, PROOF_INVALID, "genesis-tag", file, 0,
                               "%s names take log genesis %s, but this take log's genesis is %s: the log was "
                               "replaced or re-made",
                               file, gen ? gen->value : "(no GENESIS tag)", proof_take_genesis_hex(take));
            goto out;
        }
        /* A shared file's extra track carries its role on the track (the file's is its owner's). */
        const AVDictionaryEntry *role = av_dict_get(m->owner >= 0 ? fmt->streams[st_index]->metadata
                                                                  : fmt->metadata, "ROLE", NULL, 0);
        if (!path_override && m->role && (!role || strcmp(role->value, m->role))) {
            proof_verdict_fail(
                v, PROOF_INVALID, "role-tag", file, 0,
                "%s is tagged ROLE \"%s\", but the take log recorded it as \"%s\": files swapped or "
                "renamed",
                file, role ? role->value : "(none)", m->role);
            goto out;
        }
    }
    form = mux_payload_form(fmt->streams[st_index]->codecpar);
    unit = m->audio ? "audio sample" : "frame";

    while ((averr = av_read_frame(fmt, pkt)) >= 0) {
        AVStream *st = fmt->streams[pkt->stream_index];
        const ProofPkt *p;
        uint8_t h[PROOF_HASH_LEN];
        int64_t norm = 0, frame;

        if (pkt->stream_index != st_index) {
            av_packet_unref(pkt);
            continue;
        }
        if (k >= m->npkts) {
            av_packet_unref(pkt);
            if (m->closed) {
                proof_verdict_fail(v, PROOF_INVALID, "packet-extra", file, -1,
                                   "%s holds more packets than the %" PRId64
                                   " the take log recorded: a frame was "
                                   "inserted",
                                   file, m->npkts);
                goto out;
            }
            break; /* past the last commit: not attested */
        }
        p = &m->pkts[k];
        frame = pkt->pts == AV_NOPTS_VALUE
                    ? INT64_MIN
                    : av_rescale_q_rnd(pkt->pts, st->time_base, (AVRational){m->tb_num, m->tb_den},
                                       AV_ROUND_NEAR_INF | AV_ROUND_PASS_MINMAX);
        if ((rd.check ? proof_file_check_packet(rd.check, form, pkt->data, (size_t)pkt->size, h, &norm)
                      : proof_packet_hash(form, pkt->data, (size_t)pkt->size, h, &norm)) < 0)
            memset(h, 0, sizeof(h)); /* not even its framing is right: it cannot match */
        if (memcmp(h, p->hash, PROOF_HASH_LEN)) {
            int64_t j = find_hash(&hashes, m, h) - 1;
            proof_verdict_timecode(v, at_frame(v, m, p->pts), tc, sizeof(tc));
            av_packet_unref(pkt);
            if (j == k + 1)
                proof_verdict_fail(v, PROOF_INVALID, "frame-missing", file, at_frame(v, m, p->pts),
                                   "%s %" PRId64 " (%s) is missing from %s: packet %" PRId64
                                   " holds the next recorded "
                                   "packet (%s %" PRId64 "): a dropped frame",
                                   unit, p->pts, tc, file, k, unit, m->pkts[j].pts);
            else if (j >= 0 && j == k - 1)
                proof_verdict_fail(v, PROOF_INVALID, "frame-duplicated", file, at_frame(v, m, m->pkts[j].pts),
                                   "%s %" PRId64 " appears twice in %s (packets %" PRId64 " and %" PRId64
                                   "): a duplicated frame",
                                   unit, m->pkts[j].pts, file, k - 1, k);
            else if (j >= 0)
                proof_verdict_fail(v, PROOF_INVALID, "frame-order", file, at_frame(v, m, p->pts),
                                   "packet %" PRId64 " of %s holds %s %" PRId64 " where %s %" PRId64
                                   " (%s) was "
                                   "recorded: frames reordered (GOPs swapped)",
                                   k, file, unit, m->pkts[j].pts, unit, p->pts, tc);
            else
                proof_verdict_fail(v, PROOF_INVALID, "packet-hash", file, at_frame(v, m, p->pts),
                                   "the packet of %s %" PRId64
                                   " (%s) in %s differs from its PKT record (payload "
                                   "hash): edited, or spliced from another recording",
                                   unit, p->pts, tc, file);
            goto out;
        }
        if (frame != p->pts || !!(pkt->flags & AV_PKT_FLAG_KEY) != !!p->key || norm != p->size) {
            proof_verdict_timecode(v, at_frame(v, m, p->pts), tc, sizeof(tc));
            proof_verdict_fail(
                v, PROOF_INVALID, "packet-timestamp", file, at_frame(v, m, p->pts),
                "the packet of %s %" PRId64 " (%s) in %s has %s %" PRId64 " (key %d), the log says "
                "%" PRId64 " (key %d): timestamps rewritten",
                unit, p->pts, tc, file, frame == INT64_MIN ? "no pts" : "pts", frame == INT64_MIN ? 0 : frame,
                !!(pkt->flags & AV_PKT_FLAG_KEY), p->pts, p->key);
            av_packet_unref(pkt);
            goto out;
        }
        /* A bad byte range is reported once its packets are checked: a packet failure says more. */
        if (rd.check && bad_frame < 0 && proof_file_check_bad_range(rd.check, &bad_off, &bad_len) >= 0 &&
            pkt->pos >= bad_off)
            bad_frame = p->pts;
        if (rd.check && bad_frame >= 0 && pkt->pos >= bad_off + bad_len)
            break;
        av_packet_unref(pkt);
        k++;
    }
    av_packet_unref(pkt);
    v->packets_checked += k;

    if (rd.check) {
        /* Read the rest of the attested bytes (the demuxer may stop short of them). */
        uint8_t buf[4096];
        while (proof_file_check_read(rd.check) < m->size && avio_read(pb, buf, sizeof(buf)) > 0)
            ;
        if (proof_file_check_bad_range(rd.check, &bad_off, &bad_len) >= 0) {
            int64_t f = bad_frame >= 0 ? bad_frame : (k < m->npkts ? min_pts_from(m, k) : 0);
            proof_verdict_timecode(v, f, tc, sizeof(tc));
            proof_verdict_fail(v, PROOF_INVALID, "file-bytes", file, f,
                               "bytes %" PRId64 "..%" PRId64
                               " of %s differ from what was recorded (FILE record), "
                               "from frame %" PRId64 " (%s) on: the container was edited",
                               bad_off, bad_off + bad_len - 1, file, f, tc);
            goto out;
        }
    }
    if (k < m->npkts) {
        int64_t f = min_pts_from(m, k);
        proof_verdict_timecode(v, f, tc, sizeof(tc));
        proof_verdict_fail(v, PROOF_INVALID, "file-truncated", file, f,
                           "%s ends after %" PRId64 " of %" PRId64 " recorded packets: frames from %" PRId64
                           " (%s) "
                           "are missing (%" PRId64 " bytes, the take log recorded %" PRId64 "): truncated",
                           file, k, m->npkts, f, tc, (int64_t)sb.st_size, m->size);
        goto out;
    }
    if (rd.check) {
        v->bytes_checked += m->size;
        if (m->closed && sb.st_size != m->size) {
            proof_verdict_fail(v, PROOF_INVALID, "file-size", file, -1,
                               "%s is %" PRId64 " bytes, the take log closed it at %" PRId64 " bytes", file,
                               (int64_t)sb.st_size, m->size);
            goto out;
        }
        if (!m->closed && sb.st_size > m->size)
            proof_verdict_note(v, "%s: %" PRId64 " bytes after the last commit are not attested", file,
                               (int64_t)sb.st_size - m->size);
        proof_verdict_checked(v,
                              "%s: %" PRId64 " bytes in %" PRId64 " FILE ranges%s, %" PRId64 " packets "
                              "(normalised payload hash, pts, key flag), TAKE_ID and GENESIS tags",
                              file, m->size, m->nranges, m->closed ? " and its final size" : "", k);
    } else if (!path_override) {
        proof_verdict_checked(v, "%s: %" PRId64 " packets of its %s track (payload hash, pts, key flag); its "
                              "bytes are checked with the file", file, k, m->role ? m->role : "second");
    } else {
        proof_verdict_checked(v,
                              "%s: %" PRId64
                              " packets checked at packet level (normalised payload hash, pts, key "
                              "flag); its container bytes are a remux's, not the recorded ones",
                              file, k);
        proof_verdict_note(v, "%s was checked at packet level only (a remuxed master)", file);
    }
    ret = 0;
out:
    if (progress && rd.progressed)
        progress(opaque, file, rd.total, rd.total);
    if (hashes)
        g_hash_table_destroy(hashes);
    av_packet_free(&pkt);
    avformat_close_input(&fmt);
    if (pb) {
        av_freep(&pb->buffer);
        avio_context_free(&pb);
    }
    proof_file_check_free(&rd.check);
    if (rd.fd >= 0)
        close(rd.fd);
    g_free(path);
    return ret;
}
