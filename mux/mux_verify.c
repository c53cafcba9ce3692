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
/* An unclosed file: how far past its attested bytes the demuxer may read to finish its last attested packet.
 */
#define VERIFY_TAIL_SLACK (4 * 1024 * 1024)

typedef struct VReader {
    int fd;
    int64_t pos;           /* of the next byte read from fd */
    int64_t total;         /* file size */
    int64_t limit;         /* bytes that may be read (what the log attests), -1: all */
    ProofFileCheck *check; /* NULL: packets only */
    const char *file;
    MuxVerifyProgress progress;
    void *opaque;
    int64_t last_progress_ns;
    int progressed; /* a progress line was shown */
    const ProofStreamModel *m;
    MuxVerifyPatch *patch; /* a finished file's header and Cues ID, or NULL */
} VReader;


static int v_read(void *opaque, uint8_t *buf, int size)
{
    VReader *r = opaque;
    ssize_t n;
    /* Never past what the take log recorded: a file grown (or a sparse giant) is not read to its end. */
    if (r->limit >= 0 && r->pos >= r->limit)
        return AVERROR_EOF;
    if (r->limit >= 0 && (int64_t)size > r->limit - r->pos)
        size = (int)(r->limit - r->pos);
    do {
        n = read(r->fd, buf, (size_t)size);
    } while (n < 0 && errno == EINTR);
    if (n < 0)
        return AVERROR(errno);
    if (n == 0)
        return AVERROR_EOF;
    if (r->check)
        proof_file_check_bytes(r->check, buf, (size_t)n);
    if (r->patch)
        mux_verify_patch_bytes(r->patch, r->m, r->pos, buf, (size_t)n);
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

/* A subtitle stream of the take log in the file: the track tagged with its role, else the one with its language
 * (a remux may drop track tags), -1 when none. */
static int find_sub_stream(const AVFormatContext *fmt, const ProofStreamModel *m)
{
    const char *lang = m->role && g_str_has_prefix(m->role, "subtitles ") ? m->role + strlen("subtitles ") : "";
    int by_lang = -1;
    for (unsigned i = 0; i < fmt->nb_streams; i++) {
        const AVStream *st = fmt->streams[i];
        if (st->codecpar->codec_type != AVMEDIA_TYPE_SUBTITLE)
            continue;
        const AVDictionaryEntry *role = av_dict_get(st->metadata, "ROLE", NULL, 0);
        const AVDictionaryEntry *l = av_dict_get(st->metadata, "language", NULL, 0);
        if (role && m->role && !strcmp(role->value, m->role))
            return (int)i;
        if (!role && by_lang < 0 && l && !strcmp(l->value, lang))
            by_lang = (int)i;
    }
    return by_lang;
}

/* The file's track of stream m: its first video track, or the audio track whose ROLE tag is m's role (program.mkv
 * holds one per program audio track), else its first audio track. -1: none. */
static int pick_stream(const AVFormatContext *fmt, const ProofStreamModel *m)
{
    int first = -1;
    for (unsigned i = 0; i < fmt->nb_streams; i++) {
        if (fmt->streams[i]->codecpar->codec_type != (m->audio ? AVMEDIA_TYPE_AUDIO : AVMEDIA_TYPE_VIDEO))
            continue;
        if (!m->audio)
            return (int)i;
        const AVDictionaryEntry *role = av_dict_get(fmt->streams[i]->metadata, "ROLE", NULL, 0);
        if (role && m->role && !strcmp(role->value, m->role))
            return (int)i;
        if (first < 0)
            first = (int)i;
    }
    return first;
}

int mux_verify_stream(const char *dir, const ProofTake *take, int index, const char *path_override,
                      ProofVerdict *v, MuxVerifyProgress progress, void *opaque)
{
    const ProofStreamModel *m = proof_take_stream(take, index);
    char *path = NULL;
    const char *file;
    VReader rd = {.fd = -1, .limit = -1};
    AVFormatContext *fmt = NULL;
    AVIOContext *pb = NULL;
    AVPacket *pkt = NULL;
    GHashTable *hashes = NULL;
    int64_t fsize = 0;
    int st_index = -1;
    ProofPayload form;
    const char *unit = "frame"; /* what a pts counts: program frames, or audio samples */
    char unit_buf[96];
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
    rd.fd =
        path_override ? proof_file_open_regular(path, &fsize) : proof_take_file_open(dir, m->file, &fsize);
    if (rd.fd < 0) {
        if (rd.fd == -ENOENT && !path_override)
            proof_verdict_fail(v, PROOF_INVALID, "file-missing", file, 0,
                               "%s is missing: the take log recorded it", file);
        else if (proof_file_refused(rd.fd))
            proof_verdict_fail(v, PROOF_INVALID, "file-type", file, -1, "%s cannot be part of a take: %s",
                               file, proof_file_why(rd.fd));
        else
            proof_verdict_fail(v, PROOF_IO_ERROR, "io", file, -1, "cannot read %s: %s", path,
                               proof_file_why(rd.fd));
        goto out;
    }
    rd.total = fsize;
    /* A stream that shares its file (the program audio in program.mkv) has its bytes checked with its owner.
     */
    if (!path_override && m->owner < 0) {
        rd.check = proof_file_check_alloc(m);
        rd.limit = m->closed ? m->size : m->size + VERIFY_TAIL_SLACK;
        rd.m = m;
        if (m->npatches > 0)
            rd.patch = g_new0(MuxVerifyPatch, 1);
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
    int is_sub = m->codec && !strcmp(m->codec, "subrip");
    st_index = is_sub ? find_sub_stream(fmt, m) : pick_stream(fmt, m);
    if (st_index < 0) {
        proof_verdict_fail(v, PROOF_INVALID, "container", file, 0, "%s has no %s%s%s stream", file,
                           m->audio ? "audio" : is_sub ? "subtitle" : "video", is_sub ? " track " : "",
                           is_sub && m->role ? m->role : "");
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
        const AVDictionaryEntry *role =
            av_dict_get(m->owner >= 0 ? fmt->streams[st_index]->metadata : fmt->metadata, "ROLE", NULL, 0);
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
    /* An audio track's messages name it: "program audio bass sample 48000 is missing". */
    if (m->audio)
        unit = unit_buf;
    if (m->audio && snprintf(unit_buf, sizeof(unit_buf), "%s sample", m->role ? m->role : "audio") >=
                        (int)sizeof(unit_buf))
        unit = "audio sample";
    if (is_sub)
        unit = "subtitle line at frame";

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
        /* A subtitle line's duration is part of what was recorded: its end is its block's. */
        int64_t dur = is_sub ? av_rescale_q_rnd(pkt->duration, st->time_base, (AVRational){m->tb_num, m->tb_den},
                                                AV_ROUND_NEAR_INF | AV_ROUND_PASS_MINMAX)
                             : p->duration;
        if (dur != p->duration) {
            proof_verdict_timecode(v, p->pts, tc, sizeof(tc));
            proof_verdict_fail(v, PROOF_INVALID, "packet-timestamp", file, p->pts,
                               "the subtitle line at frame %" PRId64 " (%s) in %s lasts %" PRId64
                               " frames, the log says %" PRId64 ": its end was rewritten",
                               p->pts, tc, file, dur, p->duration);
            av_packet_unref(pkt);
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
                           file, k, m->npkts, f, tc, fsize, m->size);
        goto out;
    }
    if (rd.check) {
        v->files++;
        v->bytes_checked += m->size;
        if (m->closed && fsize != m->size) {
            proof_verdict_fail(v, PROOF_INVALID, "file-size", file, -1,
                               "%s is %" PRId64 " bytes, the take log closed it at %" PRId64 " bytes", file,
                               fsize, m->size);
            goto out;
        }
        if (rd.patch && mux_verify_patch_check(rd.patch, take, index, rd.check, file, v) < 0)
            goto out;
        if (!m->closed && fsize > m->size)
            proof_verdict_note(v, "%s: %" PRId64 " bytes after the last commit are not attested", file,
                               fsize - m->size);
        proof_verdict_checked(v,
                              "%s: %" PRId64 " bytes in %" PRId64 " FILE ranges%s, %" PRId64 " packets "
                              "(normalised payload hash, pts, key flag), TAKE_ID and GENESIS tags",
                              file, m->size, m->nranges, m->closed ? " and its final size" : "", k);
    } else if (!path_override) {
        proof_verdict_checked(v,
                              "%s: %" PRId64 " packets of its %s track (payload hash, pts, key flag%s); its "
                              "bytes are checked with the file",
                              file, k, m->role ? m->role : "second", is_sub ? ", duration" : "");
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
    g_free(rd.patch);
    if (rd.fd >= 0)
        close(rd.fd);
    g_free(path);
    return ret;
}

/* ---- the derived files: every file of the take folder accounted for ---- */

static int derived_fail(ProofVerdict *v, const char *check, const char *file, int64_t frame, const char *what)
{
    return proof_verdict_fail(v, PROOF_INVALID, check, file, frame,
                              "%s differs from the take log: %s (a derived file edited after the take)", file, what);
}

/* station.pub: a copy of the station key GENESIS names. */
static int check_station_pub(const char *dir, const ProofTake *take, ProofVerdict *v)
{
    char *path = g_build_filename(dir, PROOF_STATION_PUB_FILE, NULL);
    int64_t size;
    int fd = proof_take_file_open(dir, PROOF_STATION_PUB_FILE, &size);
    ProofKey *pub = NULL;
    int ret = 0;

    if (fd == -ENOENT) {
        proof_verdict_note(v, "%s is missing (a copy of the station key; not needed to verify)",
                           PROOF_STATION_PUB_FILE);
    } else if (fd < 0) {
        ret = proof_verdict_fail(v, PROOF_INVALID, "file-type", PROOF_STATION_PUB_FILE, -1,
                                 "%s cannot be part of a take: %s", PROOF_STATION_PUB_FILE, proof_file_why(fd));
    } else {
        close(fd);
        pub = proof_key_load_public(path);
        if (!pub || memcmp(proof_key_public(pub), proof_key_public(proof_take_station(take)), PROOF_PK_LEN))
            ret = derived_fail(v, "station-pub", PROOF_STATION_PUB_FILE, -1,
                               "it is not the station key that GENESIS names");
        else
            proof_verdict_checked(v, "%s is the station key GENESIS names", PROOF_STATION_PUB_FILE);
    }
    proof_key_free(&pub);
    g_free(path);
    return ret;
}

/* take.json: its take, format and cameras are GENESIS's; once closed, its frames are the log's. */
static int check_take_json(const char *dir, const ProofTake *take, ProofVerdict *v)
{
    MuxTakeInfo *info;
    const char *what = NULL;
    char fmt[64];
    int num, den, fd = proof_take_file_open(dir, MUX_TAKE_JSON_FILE, NULL);

    if (fd == -ENOENT) {
        proof_verdict_note(v, "%s is missing (derived from the log; not needed to verify)", MUX_TAKE_JSON_FILE);
        return 0;
    }
    if (fd >= 0)
        close(fd);
    proof_take_rate(take, &num, &den);
    info = mux_take_info_load(dir);
    if (!info)
        return derived_fail(v, "take-json", MUX_TAKE_JSON_FILE, -1, "it cannot be read as a take record");
    if (strcmp(info->take_id, proof_take_id(take)))
        what = "it names another take";
    else if (info->rate.num != num || info->rate.den != den)
        what = "its frame rate is not GENESIS's";
    else if (snprintf(fmt, sizeof(fmt), "%dx%d", info->width, info->height) >= (int)sizeof(fmt) ||
             g_strcmp0(fmt, proof_take_config(take, "size")))
        what = "its size is not GENESIS's";
    else if (g_strcmp0(mux_codec_name(info->codec), proof_take_config(take, "codec")))
        what = "its codec is not GENESIS's";
    else if (info->ncams != proof_take_ncams(take))
        what = "its cameras are not GENESIS's";
    for (int i = 0; !what && i < info->ncams; i++)
        if (g_strcmp0(info->cams[i], proof_take_cam(take, i)))
            what = "its cameras are not GENESIS's";
    if (!what && proof_take_closed(take) && !strcmp(info->status, "closed") &&
        info->frames != proof_take_frames(take))
        what = "its frame count is not the one CLOSE attests";
    mux_take_info_free(&info);
    if (what)
        return derived_fail(v, "take-json", MUX_TAKE_JSON_FILE, -1, what);
    proof_verdict_checked(v, "%s: take, frame rate, size, codec, cameras%s as the log says", MUX_TAKE_JSON_FILE,
                          proof_take_closed(take) ? " and frames" : "");
    return 0;
}

/* cuts.jsonl: event for event the log's CUT and END records (a take not closed cleanly: those first, in order). */
static int check_cuts_jsonl(const char *dir, const ProofTake *take, ProofVerdict *v)
{
    char *path = g_build_filename(dir, MUX_TAKE_CUTS_FILE, NULL);
    int n = proof_take_ncams(take);
    const char **cams = g_new0(const char *, n + 1);
    MuxCutLog *log = NULL;
    int ret = 0, fd = proof_take_file_open(dir, MUX_TAKE_CUTS_FILE, NULL);

    if (fd == -ENOENT) {
        proof_verdict_note(v, "%s is missing (derived from the log; not needed to verify)", MUX_TAKE_CUTS_FILE);
        goto out;
    }
    if (fd >= 0)
        close(fd);
    for (int i = 0; i < n; i++)
        cams[i] = proof_take_cam(take, i);
    log = fd >= 0 ? mux_cut_log_load(path, cams, n) : NULL;
    if (!log) {
        ret = derived_fail(v, "cuts-jsonl", MUX_TAKE_CUTS_FILE, -1,
                           fd < 0 ? proof_file_why(fd) : "it cannot be read as a cut log");
        goto out;
    }
    /* A take closed with an error, or not closed, may have written events after its last commit. */
    for (int i = 0; i < proof_take_ncuts(take) || (proof_take_closed_clean(take) && i < log->nevents); i++) {
        const ProofCut *c = proof_take_cut(take, i);
        const MuxCutEvent *e = i < log->nevents ? &log->events[i] : NULL;
        if (!c || !e || c->frame != e->frame || c->cam != e->cam || c->end != e->end || strcmp(c->origin, e->origin)) {
            char *what = g_strdup_printf("event %d (%s at frame %" PRId64 ") is not the log's (%s at frame %" PRId64
                                         ")",
                                         i + 1, e ? (e->end ? "end" : e->origin) : "none", e ? e->frame : -1,
                                         c ? (c->end ? "end" : c->origin) : "none", c ? c->frame : -1);
            ret = derived_fail(v, "cuts-jsonl", MUX_TAKE_CUTS_FILE, c ? c->frame : e->frame, what);
            g_free(what);
            goto out;
        }
    }
    proof_verdict_checked(v, "%s: its %d events are the log's CUT and END records", MUX_TAKE_CUTS_FILE,
                          proof_take_ncuts(take));
out:
    mux_cut_log_free(&log);
    g_free(cams);
    g_free(path);
    return ret;
}

static int is_take_file(const ProofTake *take, const char *rel)
{
    static const char *const fixed[] = {PROOF_LOG_FILE,     PROOF_CHECKPOINTS_FILE, PROOF_FINAL_SIG_FILE,
                                        PROOF_STATION_PUB_FILE, MUX_TAKE_JSON_FILE, MUX_TAKE_CUTS_FILE,
                                        MUX_TAKE_EDL_FILE,  MUX_TAKE_OTIO_FILE};
    for (size_t i = 0; i < G_N_ELEMENTS(fixed); i++)
        if (!strcmp(rel, fixed[i]))
            return 1;
    if (!g_strcmp0(rel, proof_take_cues_file(take)))
        return 1;
    for (int i = 0; i < proof_take_nstreams(take); i++) {
        const ProofStreamModel *m = proof_take_stream(take, i);
        if (!strcmp(rel, m->file))
            return 1;
        /* subtitles.LANG.srt/.vtt: made at the close from a subtitle stream's lines */
        if (m->role && g_str_has_prefix(m->role, "subtitles ")) {
            char *srt = g_strdup_printf(MUX_TAKE_SUBS_FILE_FMT, m->role + strlen("subtitles "), "srt");
            char *vtt = g_strdup_printf(MUX_TAKE_SUBS_FILE_FMT, m->role + strlen("subtitles "), "vtt");
            int is = !strcmp(rel, srt) || !strcmp(rel, vtt);
            g_free(srt);
            g_free(vtt);
            if (is)
                return 1;
        }
    }
    return 0;
}

/* Everything else in the folder (and in iso/) is said to be no part of the take; nothing is followed. */
static void note_extra_files(const char *dir, const ProofTake *take, ProofVerdict *v, const char *sub)
{
    char *path = sub ? g_build_filename(dir, sub, NULL) : g_strdup(dir);
    GDir *d = g_dir_open(path, 0, NULL);
    const char *name;
    while (d && (name = g_dir_read_name(d))) {
        char *rel = sub ? g_build_filename(sub, name, NULL) : g_strdup(name);
        char *full = g_build_filename(dir, rel, NULL);
        struct stat sb;
        int is_dir = lstat(full, &sb) == 0 && S_ISDIR(sb.st_mode);
        if (!sub && is_dir && !strcmp(name, MUX_TAKE_ISO_DIR))
            note_extra_files(dir, take, v, MUX_TAKE_ISO_DIR);
        else if (!is_take_file(take, rel))
            proof_verdict_note(v, "%s is not part of the take (not made by the recorder, not checked%s)", rel,
                               S_ISLNK(sb.st_mode) ? "; a symbolic link, not followed" : "");
        g_free(full);
        g_free(rel);
    }
    if (d)
        g_dir_close(d);
    g_free(path);
}

int mux_verify_derived(const char *dir, const ProofTake *take, ProofVerdict *v)
{
    if (check_station_pub(dir, take, v) < 0 || check_take_json(dir, take, v) < 0 ||
        check_cuts_jsonl(dir, take, v) < 0)
        return -1;
    proof_verdict_note(v, "%s and %s are not compared with the log (made from %s for editors)", MUX_TAKE_EDL_FILE,
                       MUX_TAKE_OTIO_FILE, MUX_TAKE_CUTS_FILE);
    for (int i = 0; i < proof_take_nstreams(take); i++) {
        const ProofStreamModel *m = proof_take_stream(take, i);
        if (m->role && g_str_has_prefix(m->role, "subtitles "))
            proof_verdict_note(v, "subtitles.%s.srt and .vtt are not compared with the log (made at the close "
                               "from the %s track, which is checked)", m->role + strlen("subtitles "), m->role);
    }
    note_extra_files(dir, take, v, NULL);
    return 0;
}
