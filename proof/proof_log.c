/* onetake proof: the writing side: the take log, its Merkle tree, the signed checkpoints.
 *
 * Records are compact JSON objects, each framed in take.log as u32le length | record | u32le CRC-32 (of the
 * length bytes and the record), and each a leaf of an RFC 6962 Merkle tree: leaf = SHA-256(0x00 || record).
 *
 * Durability: a stream holds its PKT (and RAW, CUT...) records until its file's bytes are flushed and synced;
 * proof_stream_durable then releases them, followed by the FILE record of those bytes, into the log's buffer.
 * proof_log_commit writes the buffer, fdatasyncs take.log, signs a checkpoint over the tree and fdatasyncs
 * checkpoints.txt. So a checkpoint never covers a record about bytes that are not on the disk.
 *
 * Threads and locks: a ProofStream is used by one thread at a time (its mux thread); `lock` protects
 * everything in ProofLog below it (buffer, tree, files, session key). Nothing else is locked while it is
 * held. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>
#include <json-glib/json-glib.h>
#include <openssl/crypto.h>

#include "ot_common.h"
#include "proof.h"
#include "proof_int.h"
#include "proof_json.h"

struct ProofStream {
    ProofLog *log;
    int index;
    ProofPayload form;
    int64_t interval; /* commit interval in time base units */
    int64_t last_commit_pts;
    EVP_MD_CTX *pkt_ctx, *raw_ctx, *file_ctx, *range_ctx;
    GByteArray *pending;   /* framed records held until the bytes are durable */
    int64_t seq;           /* PKT records so far */
    int64_t pending_pkts;  /* of those, held in `pending` */
    int64_t released_pkts; /* of those, released to the log (durable) */
    int64_t written;       /* bytes written to the file */
    int64_t durable;       /* bytes covered by FILE records */
    int closed;
    uint8_t sha256[PROOF_HASH_LEN];
    char *file;
};

struct ProofLog {
    char *dir;
    char take_id[33];
    int rate_num, rate_den;
    int64_t start_ns;
    const ProofKey *station;
    ProofKey *session;
    char *session_b64;
    char genesis_hex[2 * PROOF_HASH_LEN + 1];
    int nstreams;
    ProofStream *streams;
    int program; /* the stream whose role is "program" (its packets are the media line), -1 */

    pthread_mutex_t lock;
    int log_fd, ckpt_fd;
    GByteArray *buf; /* framed records released and not yet written */
    PfMerkle tree;   /* every released record */
    int64_t commits;
    int64_t program_released; /* program PKT records in the tree (the media line of a commit between GOPs) */
    int err; /* first error: later commits return it */
    int closed;
};


/* ---- Merkle tree ---- */

int pf_merkle_init(PfMerkle *m)
{
    memset(m, 0, sizeof(*m));
    m->ctx = EVP_MD_CTX_new();
    return m->ctx ? 0 : -ENOMEM;
}

void pf_merkle_free(PfMerkle *m)
{
    g_free(m->stack);
    g_free(m->height);
    EVP_MD_CTX_free(m->ctx);
    memset(m, 0, sizeof(*m));
}

static void node_hash(EVP_MD_CTX *ctx, const uint8_t *l, const uint8_t *r, uint8_t *out)
{
    static const uint8_t one = 1;
    EVP_DigestInit_ex(ctx, pf_sha256_md(), NULL);
    EVP_DigestUpdate(ctx, &one, 1);
    EVP_DigestUpdate(ctx, l, PROOF_HASH_LEN);
    EVP_DigestUpdate(ctx, r, PROOF_HASH_LEN);
    EVP_DigestFinal_ex(ctx, out, NULL);
}

int pf_merkle_add(PfMerkle *m, const uint8_t *record, size_t len)
{
    static const uint8_t zero = 0;
    uint8_t h[PROOF_HASH_LEN];
    int height = 0;

    if (!EVP_DigestInit_ex(m->ctx, pf_sha256_md(), NULL) || !EVP_DigestUpdate(m->ctx, &zero, 1) ||
        !EVP_DigestUpdate(m->ctx, record, len) || !EVP_DigestFinal_ex(m->ctx, h, NULL))
        return -ENOMEM;
    /* Merge equal-height subtrees: the stack holds the binary decomposition of the tree size. */
    while (m->n > 0 && m->height[m->n - 1] == height) {
        node_hash(m->ctx, m->stack[m->n - 1], h, h);
        m->n--;
        height++;
    }
    if (m->n == m->cap) {
        m->cap = m->cap ? 2 * m->cap : 64;
        m->stack = g_realloc_n(m->stack, (gsize)m->cap, PROOF_HASH_LEN);
        m->height = g_renew(int, m->height, m->cap);
    }
    memcpy(m->stack[m->n], h, PROOF_HASH_LEN);
    m->height[m->n++] = height;
    m->size++;
    return 0;
}

void pf_merkle_root(PfMerkle *m, uint8_t root[PROOF_HASH_LEN])
{
    if (m->n == 0) {
        EVP_Digest("", 0, root, NULL, pf_sha256_md(), NULL);
        return;
    }
    memcpy(root, m->stack[m->n - 1], PROOF_HASH_LEN);
    for (int i = m->n - 2; i >= 0; i--)
        node_hash(m->ctx, m->stack[i], root, root);
}

/* ---- records ---- */

static void frame_record(GByteArray *out, const char *rec, size_t len)
{
    uint8_t hdr[4] = {(uint8_t)len, (uint8_t)(len >> 8), (uint8_t)(len >> 16), (uint8_t)(len >> 24)};
    uint32_t crc = pf_crc32(pf_crc32(0, hdr, 4), (const uint8_t *)rec, len);
    uint8_t tail[4] = {(uint8_t)crc, (uint8_t)(crc >> 8), (uint8_t)(crc >> 16), (uint8_t)(crc >> 24)};
    g_byte_array_append(out, hdr, 4);
    g_byte_array_append(out, (const uint8_t *)rec, (guint)len);
    g_byte_array_append(out, tail, 4);
}

/* Move framed records into the log: buffer and tree. Called with the lock held. */
static int release_locked(ProofLog *log, const uint8_t *frames, size_t len)
{
    size_t i = 0;
    while (i + PF_FRAME_OVERHEAD <= len) {
        uint32_t n = (uint32_t)frames[i] | (uint32_t)frames[i + 1] << 8 | (uint32_t)frames[i + 2] << 16 |
                     (uint32_t)frames[i + 3] << 24;
        int ret = pf_merkle_add(&log->tree, frames + i + 4, n);
        if (ret < 0)
            return ret;
        i += PF_FRAME_OVERHEAD + n;
    }
    g_byte_array_append(log->buf, frames, (guint)len);
    return 0;
}

static int append_record(ProofLog *log, const char *rec, size_t len)
{
    GByteArray *one = g_byte_array_sized_new((guint)len + PF_FRAME_OVERHEAD);
    int ret;
    frame_record(one, rec, len);
    pthread_mutex_lock(&log->lock);
    ret = release_locked(log, one->data, one->len);
    pthread_mutex_unlock(&log->lock);
    g_byte_array_unref(one);
    return ret;
}

static char *json_text(JsonBuilder *b, gsize *len)
{
    JsonNode *root = json_builder_get_root(b);
    JsonGenerator *gen = json_generator_new();
    char *text;
    json_generator_set_root(gen, root);
    text = json_generator_to_data(gen, len);
    g_object_unref(gen);
    json_node_unref(root);
    return text;
}

static void add_int(JsonBuilder *b, const char *key, int64_t value)
{
    json_builder_set_member_name(b, key);
    json_builder_add_int_value(b, value);
}

static int hash_file(const char *path, char hex[2 * PROOF_HASH_LEN + 1])
{
    char *data = NULL;
    gsize len = 0;
    uint8_t h[PROOF_HASH_LEN];
    const void *parts[1];
    size_t lens[1];

    if (!g_file_get_contents(path, &data, &len, NULL))
        return -EIO;
    parts[0] = data;
    lens[0] = len;
    pf_sha256(parts, lens, 1, h);
    proof_hex(h, sizeof(h), hex);
    g_free(data);
    return 0;
}

static char *genesis_record(ProofLog *log, const ProofLogConfig *cfg, gsize *len)
{
    JsonBuilder *b = json_builder_new();
    char *station_b64 = proof_key_public_base64(cfg->station);
    char *cert_msg = pf_cert_message(log->take_id, log->session_b64);
    uint8_t cert[PROOF_SIG_LEN];
    char *cert_b64 = NULL, *text = NULL, *wall;
    char kid[17], hex[2 * PROOF_HASH_LEN + 1];
    GDateTime *now = g_date_time_new_now_utc();

    if (proof_key_sign(cfg->station, cert_msg, strlen(cert_msg), cert) < 0)
        goto out;
    cert_b64 = g_base64_encode(cert, sizeof(cert));
    wall = g_date_time_format_iso8601(now);

    json_builder_begin_object(b);
    proof_json_add_string(b, "t", "GENESIS");
    proof_json_add_string(b, "format", "onetake-take-log");
    add_int(b, "version", PF_LOG_VERSION);
    proof_json_add_string(b, "take_id", log->take_id);
    proof_json_add_string(b, "station_pk", station_b64);
    proof_json_add_string(b, "station_keyid", proof_key_id_hex(cfg->station, kid));
    proof_json_add_string(b, "session_pk", log->session_b64);
    proof_json_add_string(b, "session_cert", cert_b64);
    json_builder_set_member_name(b, "config");
    json_builder_begin_object(b);
    char buf[64]; /* two ints and a separator: at most 23 bytes, never truncated */
    snprintf(buf, sizeof(buf), "%d/%d", cfg->rate_num, cfg->rate_den);
    proof_json_add_string(b, "fps", buf);
    snprintf(buf, sizeof(buf), "%dx%d", cfg->width, cfg->height);
    proof_json_add_string(b, "size", buf);
    proof_json_add_string(b, "codec", cfg->codec);
    add_int(b, "gop", cfg->gop);
    proof_json_add_string(b, "command_line", cfg->command_line);
    json_builder_end_object(b);
    json_builder_set_member_name(b, "cams");
    json_builder_begin_array(b);
    for (int i = 0; i < cfg->ncams; i++) {
        json_builder_begin_object(b);
        proof_json_add_string(b, "name", cfg->cams[i]);
        proof_json_add_string(b, "source", cfg->sources ? cfg->sources[i] : NULL);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    if (cfg->cues_file && hash_file(cfg->cues_file, hex) == 0) {
        char *base = g_path_get_basename(cfg->cues_file);
        proof_json_add_string(b, "cues_file", base);
        proof_json_add_string(b, "cues_sha256", hex);
        g_free(base);
    } else {
        proof_json_add_string(b, "cues_file", NULL);
        proof_json_add_string(b, "cues_sha256", NULL);
    }
    json_builder_set_member_name(b, "live");
    json_builder_add_boolean_value(b, cfg->live);
    proof_json_add_string(b, "pacing", cfg->pacing ? cfg->pacing : (cfg->live ? "live" : "lockstep"));
    json_builder_set_member_name(b, "streams");
    json_builder_begin_array(b);
    for (int i = 0; i < cfg->nstreams; i++) {
        const ProofStreamInfo *si = &cfg->streams[i];
        json_builder_begin_object(b);
        add_int(b, "s", i);
        proof_json_add_string(b, "role", si->role);
        proof_json_add_string(b, "file", si->file);
        proof_json_add_string(b, "codec", si->codec);
        snprintf(buf, sizeof(buf), "%d/%d", si->tb_num, si->tb_den);
        proof_json_add_string(b, "time_base", buf);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    json_builder_set_member_name(b, "commit_interval");
    json_builder_add_double_value(b, cfg->commit_interval > 0 ? cfg->commit_interval : 1.0);
    add_int(b, "start_mono_ns", log->start_ns);
    proof_json_add_string(b, "start_wall", wall);
    json_builder_end_object(b);
    text = json_text(b, len);
    g_free(wall);
out:
    g_date_time_unref(now);
    g_object_unref(b);
    g_free(station_b64);
    g_free(cert_msg);
    g_free(cert_b64);
    return text;
}

/* ---- checkpoints ---- */

static int io_fail(ProofLog *log, const char *what, const char *name, int err)
{
    if (!log->err) {
        ot_log(OT_LOG_ERROR, "proof", "cannot %s \"%s/%s\": %s: free disk space or record to another disk",
               what, log->dir, name, ot_strerror(err));
        log->err = err;
    }
    return log->err;
}

/* Lock held. */
static int commit_locked(ProofLog *log, int64_t media_frames, int final)
{
    uint8_t root[PROOF_HASH_LEN];
    char *root_b64, *body, *sig1 = NULL, *sig2 = NULL, *note;
    char name[96], kid[17];
    int ret;

    if (log->err)
        return log->err;
    if (log->buf->len) {
        ret = ot_write_all(log->log_fd, log->buf->data, log->buf->len);
        if (ret)
            return io_fail(log, "write", PROOF_LOG_FILE, ret);
        g_byte_array_set_size(log->buf, 0);
    }
    if (fdatasync(log->log_fd) < 0)
        return io_fail(log, "sync", PROOF_LOG_FILE, -errno);

    pf_merkle_root(&log->tree, root);
    root_b64 = g_base64_encode(root, sizeof(root));
    body = g_strdup_printf("%s%s\n%" PRId64 "\n%s\nmedia %" PRId64 " %d/%d\nclock %" PRId64 "\n%s",
                           PF_ORIGIN_PREFIX, log->take_id, log->tree.size, root_b64, media_frames,
                           log->rate_num, log->rate_den, ot_mono_ns() - log->start_ns, final ? "final\n" : "");
    /* The key names: a prefix and 32 or 16 hex digits, always within name[96]; checked all the same. */
    if (snprintf(name, sizeof(name), "%s%s", PF_SESSION_NAME_PREFIX, log->take_id) < (int)sizeof(name))
        sig1 = pf_note_sign_line(log->session, name, body, strlen(body));
    if (final && snprintf(name, sizeof(name), "%s%s", PF_STATION_NAME_PREFIX,
                          proof_key_id_hex(log->station, kid)) < (int)sizeof(name))
        sig2 = pf_note_sign_line(log->station, name, body, strlen(body));
    if (!sig1 || (final && !sig2)) {
        ret = log->err = -EIO;
        goto out;
    }
    /* A signed note, then a blank line before the next one. */
    note = g_strconcat(body, "\n", sig1, sig2 ? sig2 : "", "\n", NULL);
    ret = ot_write_all(log->ckpt_fd, note, strlen(note));
    g_free(note);
    if (ret) {
        io_fail(log, "write", PROOF_CHECKPOINTS_FILE, ret);
        goto out;
    }
    if (fdatasync(log->ckpt_fd) < 0) {
        ret = io_fail(log, "sync", PROOF_CHECKPOINTS_FILE, -errno);
        goto out;
    }
    log->commits++;
out:
    g_free(root_b64);
    g_free(body);
    g_free(sig1);
    g_free(sig2);
    return ret;
}

int proof_log_commit(ProofLog *log, int64_t media_frames)
{
    int ret;
    if (!log)
        return -EINVAL;
    pthread_mutex_lock(&log->lock);
    ret = log->closed ? -EPIPE : commit_locked(log, media_frames, 0);
    pthread_mutex_unlock(&log->lock);
    return ret;
}

/* ---- the log ---- */

static int open_new(ProofLog *log, const char *name)
{
    char *path = g_build_filename(log->dir, name, NULL);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0)
        ot_log(OT_LOG_ERROR, "proof", "cannot create \"%s\": %s: choose a new --out folder you can write to",
               path, ot_strerror(-errno));
    g_free(path);
    return fd;
}

static int stream_init(ProofLog *log, ProofStream *s, int index, const ProofStreamInfo *si, double interval)
{
    s->log = log;
    s->index = index;
    s->form = proof_payload_for_codec(si->codec);
    s->file = g_strdup(si->file);
    /* Commit interval in the stream's time base: tb_num/tb_den seconds per unit. */
    s->interval = si->tb_num > 0 && si->tb_den > 0 ? (int64_t)(interval * si->tb_den / si->tb_num + 0.5) : 1;
    if (s->interval < 1)
        s->interval = 1;
    s->pkt_ctx = EVP_MD_CTX_new();
    s->raw_ctx = EVP_MD_CTX_new();
    s->file_ctx = EVP_MD_CTX_new();
    s->range_ctx = EVP_MD_CTX_new();
    s->pending = g_byte_array_new();
    if (!s->pkt_ctx || !s->raw_ctx || !s->file_ctx || !s->range_ctx ||
        !EVP_DigestInit_ex(s->file_ctx, pf_sha256_md(), NULL) ||
        !EVP_DigestInit_ex(s->range_ctx, pf_sha256_md(), NULL))
        return -ENOMEM;
    return 0;
}

static void stream_clear(ProofStream *s)
{
    EVP_MD_CTX_free(s->pkt_ctx);
    EVP_MD_CTX_free(s->raw_ctx);
    EVP_MD_CTX_free(s->file_ctx);
    EVP_MD_CTX_free(s->range_ctx);
    if (s->pending)
        g_byte_array_unref(s->pending);
    g_free(s->file);
}

/* A stream's file name goes into its FILE records as it is (they are built with snprintf, not a JSON writer):
 * short, relative, and nothing JSON would escape. */
static int file_name_ok(const char *file)
{
    if (!file || !*file || strlen(file) > PF_MAX_FILE_NAME || file[0] == '/' || strstr(file, ".."))
        return 0;
    for (const char *p = file; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == '"' || *p == '\\' || (unsigned char)*p >= 0x7f)
            return 0;
    return 1;
}

ProofLog *proof_log_alloc(const ProofLogConfig *cfg)
{
    ProofLog *log;
    char *genesis = NULL;
    gsize glen = 0;
    uint8_t gh[PROOF_HASH_LEN];

    if (!cfg || !cfg->dir || !cfg->take_id || strlen(cfg->take_id) != 32 ||
        !proof_key_has_secret(cfg->station) || cfg->nstreams < 1 || !cfg->streams || cfg->rate_num <= 0 ||
        cfg->rate_den <= 0) {
        ot_log(OT_LOG_ERROR, "proof", "bad take log configuration (a bug)");
        return NULL;
    }
    for (int i = 0; i < cfg->nstreams; i++)
        if (!file_name_ok(cfg->streams[i].file)) {
            ot_log(
                OT_LOG_ERROR, "proof",
                "stream file \"%s\" cannot be named in the take log: at most %d characters of letters, "
                "digits "
                "and punctuation other than \" and \\, relative to the take folder: shorten the camera name",
                cfg->streams[i].file ? cfg->streams[i].file : "(none)", PF_MAX_FILE_NAME);
            return NULL;
        }
    log = g_new0(ProofLog, 1);
    pthread_mutex_init(&log->lock, NULL);
    log->log_fd = log->ckpt_fd = -1;
    log->dir = g_strdup(cfg->dir);
    g_strlcpy(log->take_id, cfg->take_id, sizeof(log->take_id));
    log->rate_num = cfg->rate_num;
    log->rate_den = cfg->rate_den;
    log->station = cfg->station;
    log->start_ns = ot_mono_ns();
    log->buf = g_byte_array_new();
    if (pf_merkle_init(&log->tree) < 0)
        goto fail;
    log->nstreams = cfg->nstreams;
    log->streams = g_new0(ProofStream, cfg->nstreams);
    log->program = -1;
    for (int i = 0; i < cfg->nstreams && log->program < 0; i++)
        if (cfg->streams[i].role && !strcmp(cfg->streams[i].role, "program"))
            log->program = i;
    for (int i = 0; i < cfg->nstreams; i++)
        if (stream_init(log, &log->streams[i], i, &cfg->streams[i],
                        cfg->commit_interval > 0 ? cfg->commit_interval : 1.0) < 0)
            goto fail;
    log->session = pf_key_generate();
    if (!log->session) {
        ot_log(OT_LOG_ERROR, "proof", "cannot make the session key (OpenSSL Ed25519)");
        goto fail;
    }
    log->session_b64 = g_base64_encode(proof_key_public(log->session), PROOF_PK_LEN);
    genesis = genesis_record(log, cfg, &glen);
    if (!genesis)
        goto fail;
    {
        static const uint8_t zero = 0;
        const void *parts[] = {&zero, genesis};
        const size_t lens[] = {1, glen};
        /* The genesis hash is its Merkle leaf hash: the same value QA computes for leaf 0. */
        pf_sha256(parts, lens, 2, gh);
        proof_hex(gh, sizeof(gh), log->genesis_hex);
    }
    log->log_fd = open_new(log, PROOF_LOG_FILE);
    if (log->log_fd < 0)
        goto fail;
    log->ckpt_fd = open_new(log, PROOF_CHECKPOINTS_FILE);
    if (log->ckpt_fd < 0)
        goto fail;
    if (append_record(log, genesis, glen) < 0 || proof_log_commit(log, 0) < 0)
        goto fail;
    g_free(genesis);
    ot_log(OT_LOG_VERBOSE, "proof", "take log %s/%s: genesis %s", log->dir, PROOF_LOG_FILE, log->genesis_hex);
    return log;

fail:
    g_free(genesis);
    proof_log_free(&log);
    return NULL;
}

const char *proof_log_genesis_hex(const ProofLog *log)
{
    return log ? log->genesis_hex : NULL;
}

ProofStream *proof_log_stream(ProofLog *log, int index)
{
    return log && index >= 0 && index < log->nstreams ? &log->streams[index] : NULL;
}

int proof_log_close(ProofLog *log, const ProofCloseInfo *info)
{
    JsonBuilder *b;
    char *rec, *path = NULL, *sig_path = NULL, *pub_path = NULL, *comment = NULL;
    gsize len;
    uint8_t root[PROOF_HASH_LEN];
    char hex[2 * PROOF_HASH_LEN + 1];
    int ret;

    if (!log || !info)
        return -EINVAL;
    if (log->closed)
        return -EPIPE;
    /* A take that failed (a full disk...) holds only what its last commit made durable: that is what CLOSE
     * and the final checkpoint attest; the frames made after it are said, not attested. */
    int64_t frames = info->frames;
    if (info->error && log->program >= 0 && log->streams[log->program].released_pkts < frames)
        frames = log->streams[log->program].released_pkts;
    b = json_builder_new();
    json_builder_begin_object(b);
    proof_json_add_string(b, "t", "CLOSE");
    proof_json_add_string(b, "reason", info->reason);
    add_int(b, "error", info->error);
    if (info->error)
        proof_json_add_string(b, "error_text", ot_strerror(info->error));
    add_int(b, "frames", frames);
    if (frames != info->frames)
        add_int(b, "frames_made", info->frames);
    add_int(b, "cuts", info->cuts);
    add_int(b, "program_repeats", info->program_repeats);
    json_builder_set_member_name(b, "streams");
    json_builder_begin_array(b);
    for (int i = 0; i < log->nstreams; i++) {
        ProofStream *s = &log->streams[i];
        json_builder_begin_object(b);
        add_int(b, "s", i);
        proof_json_add_string(b, "file", s->file);
        json_builder_set_member_name(b, "closed");
        json_builder_add_boolean_value(b, s->closed);
        add_int(b, "size", s->durable);
        /* Released only: after a failure the held records never reach the log (their bytes are not durable).
         */
        add_int(b, "packets", s->released_pkts);
        if (s->closed) {
            proof_hex(s->sha256, PROOF_HASH_LEN, hex);
            proof_json_add_string(b, "sha256", hex);
        }
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    json_builder_end_object(b);
    rec = json_text(b, &len);
    g_object_unref(b);
    ret = append_record(log, rec, len);
    g_free(rec);

    pthread_mutex_lock(&log->lock);
    if (!ret)
        ret = commit_locked(log, frames, 1);
    log->closed = 1;
    pf_merkle_root(&log->tree, root);
    pthread_mutex_unlock(&log->lock);
    /* Nobody can extend or re-sign the live checkpoints once the session key is gone. */
    proof_key_free(&log->session);
    if (ret)
        return ret;

    path = g_build_filename(log->dir, PROOF_LOG_FILE, NULL);
    sig_path = g_build_filename(log->dir, PROOF_FINAL_SIG_FILE, NULL);
    pub_path = g_build_filename(log->dir, PROOF_STATION_PUB_FILE, NULL);
    {
        char *root_b64 = g_base64_encode(root, sizeof(root));
        comment = g_strdup_printf("onetake take %s tree %" PRId64 " root %s genesis %s", log->take_id,
                                  log->tree.size, root_b64, log->genesis_hex);
        g_free(root_b64);
    }
    ret = proof_minisign_sign_file(log->station, path, sig_path, comment);
    if (!ret)
        ret = proof_key_write_public(log->station, pub_path);
    g_free(comment);
    g_free(path);
    g_free(sig_path);
    g_free(pub_path);
    return ret;
}

void proof_log_free(ProofLog **plog)
{
    ProofLog *log = plog ? *plog : NULL;
    if (!log)
        return;
    if (log->log_fd >= 0)
        close(log->log_fd);
    if (log->ckpt_fd >= 0)
        close(log->ckpt_fd);
    for (int i = 0; log->streams && i < log->nstreams; i++)
        stream_clear(&log->streams[i]);
    g_free(log->streams);
    proof_key_free(&log->session);
    g_free(log->session_b64);
    if (log->buf)
        g_byte_array_unref(log->buf);
    pf_merkle_free(&log->tree);
    pthread_mutex_destroy(&log->lock);
    g_free(log->dir);
    g_free(log);
    *plog = NULL;
}

/* ---- streams ---- */

/* Hold a record built with snprintf into a buffer of cap bytes; a record that did not fit is refused, never
 * framed truncated (its bytes would be hashed and signed as they are). 0 or -ENAMETOOLONG. */
static int hold(ProofStream *s, const char *kind, const char *rec, int len, size_t cap)
{
    if (len < 0 || (size_t)len >= cap) {
        ot_log(OT_LOG_ERROR, "proof",
               "the %s record of \"%s\" does not fit in %zu bytes (a bug: a value too long)", kind, s->file,
               cap);
        return -ENAMETOOLONG;
    }
    frame_record(s->pending, rec, (size_t)len);
    return 0;
}

int proof_stream_packet(ProofStream *s, int64_t pts, int64_t dts, int64_t duration, int key,
                        const uint8_t *data, size_t size)
{
    uint8_t h[PROOF_HASH_LEN];
    char hex[2 * PROOF_HASH_LEN + 1], rec[320];
    int64_t norm = 0;
    int ret, len;

    if (!s)
        return -EINVAL;
    ret = pf_packet_hash_ctx(s->pkt_ctx, s->form, data, size, h, &norm);
    if (ret < 0) {
        ot_log(OT_LOG_ERROR, "proof", "cannot hash packet %" PRId64 " of \"%s\"", s->seq, s->file);
        return ret;
    }
    proof_hex(h, sizeof(h), hex);
    len = snprintf(rec, sizeof(rec),
                   "{\"t\":\"PKT\",\"s\":%d,\"n\":%" PRId64 ",\"pts\":%" PRId64 ",\"dts\":%" PRId64
                   ",\"dur\":%" PRId64 ",\"key\":%d,\"size\":%" PRId64 ",\"h\":\"%s\"}",
                   s->index, s->seq, pts, dts, duration, key ? 1 : 0, norm, hex);
    ret = hold(s, "PKT", rec, len, sizeof(rec));
    if (ret < 0)
        return ret;
    s->seq++;
    s->pending_pkts++;
    return 0;
}

void proof_stream_file_bytes(ProofStream *s, int64_t offset, const uint8_t *buf, size_t size)
{
    if (!s || offset != s->written)
        return; /* append-only by construction; a gap would show as a FILE mismatch */
    EVP_DigestUpdate(s->file_ctx, buf, size);
    EVP_DigestUpdate(s->range_ctx, buf, size);
    s->written += (int64_t)size;
}

int proof_stream_commit_due(const ProofStream *s, int64_t pts)
{
    return s && pts - s->last_commit_pts >= s->interval;
}

void proof_stream_set_payload(ProofStream *s, ProofPayload form)
{
    if (s)
        s->form = form;
}

static int file_record(ProofStream *s, int final)
{
    uint8_t range[PROOF_HASH_LEN], running[PROOF_HASH_LEN];
    char rh[2 * PROOF_HASH_LEN + 1], runh[2 * PROOF_HASH_LEN + 1], rec[400];
    EVP_MD_CTX *copy = EVP_MD_CTX_new();
    int len;

    if (!copy || !EVP_MD_CTX_copy_ex(copy, s->file_ctx) || !EVP_DigestFinal_ex(copy, running, NULL) ||
        !EVP_DigestFinal_ex(s->range_ctx, range, NULL) ||
        !EVP_DigestInit_ex(s->range_ctx, pf_sha256_md(), NULL)) {
        EVP_MD_CTX_free(copy);
        return -ENOMEM;
    }
    EVP_MD_CTX_free(copy);
    proof_hex(range, sizeof(range), rh);
    proof_hex(running, sizeof(running), runh);
    len =
        snprintf(rec, sizeof(rec),
                 "{\"t\":\"FILE\",\"s\":%d,\"file\":\"%s\",\"off\":%" PRId64 ",\"len\":%" PRId64
                 ",\"h\":\"%s\",\"run\":\"%s\",\"final\":%s}",
                 s->index, s->file, s->durable, s->written - s->durable, rh, runh, final ? "true" : "false");
    if (hold(s, "FILE", rec, len, sizeof(rec)) < 0)
        return -ENAMETOOLONG;
    s->durable = s->written;
    if (final)
        memcpy(s->sha256, running, PROOF_HASH_LEN);
    return 0;
}

static int release(ProofStream *s)
{
    ProofLog *log = s->log;
    int ret;
    pthread_mutex_lock(&log->lock);
    ret = log->closed ? -EPIPE : release_locked(log, s->pending->data, s->pending->len);
    if (!ret && s->index == log->program)
        log->program_released += s->pending_pkts;
    pthread_mutex_unlock(&log->lock);
    g_byte_array_set_size(s->pending, 0);
    if (!ret)
        s->released_pkts += s->pending_pkts;
    s->pending_pkts = 0;
    return ret;
}

int proof_stream_durable(ProofStream *s, int64_t pts)
{
    int ret;
    if (!s || s->closed)
        return -EINVAL;
    s->last_commit_pts = pts;
    ret = file_record(s, 0);
    if (ret < 0)
        return ret;
    return release(s);
}

int proof_stream_close(ProofStream *s)
{
    int ret;
    if (!s || s->closed)
        return -EINVAL;
    ret = file_record(s, 1);
    if (ret < 0)
        return ret;
    s->closed = 1;
    return release(s);
}

int proof_stream_patch(ProofStream *s, int64_t cues_off, const ProofPatchRange *r, int n)
{
    size_t len = 0;
    char *rec;
    int ret;
    if (!s || !s->closed || cues_off < 0 || cues_off >= s->written)
        return -EINVAL;
    rec = pf_patch_record(s->index, s->file, cues_off, r, n, &len);
    if (!rec)
        return -EINVAL;
    ret = hold(s, "PATCH", rec, (int)len, len + 1);
    g_free(rec);
    if (ret < 0)
        return ret;
    ret = release(s);
    if (ret < 0)
        return ret;
    /* Committed before the bytes change: a crash during the patch leaves a log that attests it. */
    pthread_mutex_lock(&s->log->lock);
    ret = commit_locked(s->log, s->log->program_released, 0);
    pthread_mutex_unlock(&s->log->lock);
    return ret;
}

int proof_stream_raw(ProofStream *s, int64_t tick, int cam, int64_t seq, unsigned flags, int nplanes,
                     const uint8_t *const *data, const int *linesize, const int *width, const int *height)
{
    uint8_t h[PROOF_HASH_LEN];
    char hex[2 * PROOF_HASH_LEN + 1], rec[320];
    int len;

    if (!s)
        return -EINVAL;
    EVP_DigestInit_ex(s->raw_ctx, pf_sha256_md(), NULL);
    for (int p = 0; p < nplanes; p++)
        for (int y = 0; y < height[p]; y++)
            EVP_DigestUpdate(s->raw_ctx, data[p] + (ptrdiff_t)y * linesize[p], (size_t)width[p]);
    EVP_DigestFinal_ex(s->raw_ctx, h, NULL);
    proof_hex(h, sizeof(h), hex);
    len = snprintf(rec, sizeof(rec),
                   "{\"t\":\"RAW\",\"s\":%d,\"tick\":%" PRId64 ",\"cam\":%d,\"seq\":%" PRId64
                   ",\"cut\":%d,\"repeat\":%d,\"lost\":%d,%s\"h\":\"%s\"}",
                   s->index, tick, cam, seq, !!(flags & PROOF_RAW_CUT), !!(flags & PROOF_RAW_REPEAT),
                   !!(flags & PROOF_RAW_LOST), flags & PROOF_RAW_SLATE ? "\"slate\":1," : "", hex);
    return hold(s, "RAW", rec, len, sizeof(rec));
}

int proof_stream_event(ProofStream *s, const char *type, int64_t frame, int cam, int prev_cam,
                       const char *origin, int cue_index)
{
    return proof_stream_event_peer(s, type, frame, cam, prev_cam, origin, cue_index, NULL);
}

int proof_stream_event_peer(ProofStream *s, const char *type, int64_t frame, int cam, int prev_cam,
                            const char *origin, int cue_index, const char *peer)
{
    char rec[384], cue[24], who[96] = "";
    int len;
    if (!s || !type || !origin)
        return -EINVAL;
    /* origin is one of a few fixed words (proof.h); a word JSON would escape is a caller's bug. */
    if (strlen(origin) > 32 || strpbrk(origin, "\"\\"))
        return -EINVAL;
    if (cue_index >= 0)
        snprintf(cue, sizeof(cue), "%d", cue_index); /* an int always fits 24 bytes */
    else
        g_strlcpy(cue, "null", sizeof(cue));
    if (peer && *peer) {
        /* A peer is an address ("osc:127.0.0.1:53211"): anything JSON would need escaped becomes '?'. */
        int n = snprintf(who, sizeof(who), ",\"peer\":\"");
        for (const char *p = peer; *p && n < (int)sizeof(who) - 3 && p - peer < 64; p++)
            who[n++] = (*p < 0x20 || *p == '"' || *p == '\\' || (unsigned char)*p >= 0x7f) ? '?' : *p;
        who[n++] = '"';
        who[n] = 0;
    }
    len = snprintf(rec, sizeof(rec),
                   "{\"t\":\"%s\",\"frame\":%" PRId64 ",\"cam\":%d,\"prev\":%d,\"origin\":\"%s\",\"cue\":%s%s}",
                   !strcmp(type, "end") ? "END" : "CUT", frame, cam, prev_cam, origin, cue, who);
    return hold(s, !strcmp(type, "end") ? "END" : "CUT", rec, len, sizeof(rec));
}

/* A record built in b (taken: unreferenced here) held on the stream until its frame is durable. 0, or
 * -ENAMETOOLONG when it does not fit a record. */
static int stream_record(ProofStream *s, JsonBuilder *b)
{
    gsize len;
    char *rec = json_text(b, &len);
    g_object_unref(b);
    if (len < PF_MAX_RECORD)
        frame_record(s->pending, rec, len);
    g_free(rec);
    return len < PF_MAX_RECORD ? 0 : -ENAMETOOLONG;
}

/* One ANOMALY record; with_count adds the span (ticks) and count (n) of a summarised anomaly. */
static int anomaly_record(ProofStream *s, const char *kind, int64_t tick, int cam, const char *detail,
                          int with_count, int64_t ticks, int64_t count)
{
    JsonBuilder *b;
    if (!s || !kind)
        return -EINVAL;
    b = json_builder_new();
    json_builder_begin_object(b);
    proof_json_add_string(b, "t", "ANOMALY");
    proof_json_add_string(b, "kind", kind);
    add_int(b, "tick", tick);
    if (with_count)
        add_int(b, "ticks", ticks);
    add_int(b, "cam", cam);
    if (with_count)
        add_int(b, "n", count);
    proof_json_add_string(b, "detail", detail);
    json_builder_end_object(b);
    return stream_record(s, b);
}

int proof_stream_ltc(ProofStream *s, int64_t tick, int64_t frame, const char *tc, int freewheel)
{
    JsonBuilder *b;
    if (!s || !tc)
        return -EINVAL;
    b = json_builder_new();
    json_builder_begin_object(b);
    proof_json_add_string(b, "t", "LTC");
    add_int(b, "tick", tick);
    add_int(b, "frame", frame);
    proof_json_add_string(b, "tc", tc);
    json_builder_set_member_name(b, "freewheel");
    json_builder_add_boolean_value(b, freewheel != 0);
    json_builder_end_object(b);
    return stream_record(s, b);
}

int proof_stream_anomaly(ProofStream *s, const char *kind, int64_t tick, int cam, const char *detail)
{
    return anomaly_record(s, kind, tick, cam, detail, 0, 0, 0);
}

int proof_stream_anomaly_count(ProofStream *s, const char *kind, int64_t tick, int64_t ticks, int cam,
                               int64_t count, const char *detail)
{
    return anomaly_record(s, kind, tick, cam, detail, 1, ticks, count);
}

int proof_stream_release(ProofStream *s)
{
    if (!s || s->closed)
        return -EINVAL;
    return release(s);
}

int proof_stream_close_shared(ProofStream *s)
{
    if (!s || s->closed)
        return -EINVAL;
    s->closed = 1;
    return release(s);
}
