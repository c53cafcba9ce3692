/* onetake proof: the reading side. Reads take.log and checkpoints.txt, checks them (framing, Merkle roots,
 * signatures, keys, order) and what they say (cuts against the cue list, program frames against the cuts, pts
 * continuity, media time against the clock), and builds the per-stream model that mux/ checks the files
 * against. Checks run in a fixed order and the first failure is the one reported (docs/proof.md). */
#include <errno.h>
#include <unistd.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>
#include <json-glib/json-glib.h>
#include <openssl/crypto.h>

#include "ot_common.h"
#include "proof.h"
#include "proof_int.h"
#include "proof_json.h"
#include "sw_cues.h"

typedef struct PfRecord {
    size_t offset; /* of the record bytes in the log */
    uint32_t len;
} PfRecord;

typedef struct PfNote {
    char *body;
    char *origin;
    int64_t size;
    uint8_t root[PROOF_HASH_LEN];
    int64_t media;
    int64_t clock_ns;
    int final;
    char **sigs; /* signature lines without the "— " */
} PfNote;

struct ProofTake {
    char *dir;
    GMappedFile *map;
    const uint8_t *data;
    size_t size;
    PfRecord *recs;
    int64_t nrecs;
    int64_t torn_at; /* record index where framing stopped (nrecs), -1 when the log ends cleanly */
    PfNote *notes;
    int nnotes;
    int torn_note;    /* the last note was incomplete (ignored) */
    int64_t attested; /* records covered by the last valid checkpoint */
    int last_note;    /* index of that checkpoint */

    JsonParser *parser;
    JsonObject *genesis; /* owned by genesis_node */
    JsonNode *genesis_node;
    char take_id[33];
    char genesis_hex[2 * PROOF_HASH_LEN + 1];
    ProofKey *station;
    ProofKey *session;
    int rate_num, rate_den;
    int live;
    int ncams;
    char **cams;
    int program; /* stream index of the program */
    int nstreams;
    ProofStreamModel *streams;
    int closed;
    int close_error;
    char *close_reason;
    int64_t frames; /* program frames attested (RAW records) */
    int64_t program_pkts;
    int64_t program_closed_at; /* record index of the program's final FILE record, -1 (PATCH commits follow) */
    GHashTable *anomalies; /* "kind camera" -> count */
    GArray *spans;         /* PfSpan: the frames each ANOMALY record covers, for proof_take_declares */
    ProofCut *cuts;        /* the attested CUT and END records (origins owned) */
    int ncuts;
    ProofDone *dones;      /* the attested DONE records */
    int ndones;
};

typedef struct PfSpan {
    GQuark kind;
    int64_t tick, ticks;
} PfSpan;

static const char *cam_name(const ProofTake *t, int cam)
{
    return cam >= 0 && cam < t->ncams ? t->cams[cam] : "?";
}

static int fail(ProofVerdict *v, const char *check, const char *file, int64_t frame, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static int fail(ProofVerdict *v, const char *check, const char *file, int64_t frame, const char *fmt, ...)
{
    va_list ap;
    char *msg;
    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    proof_verdict_fail(v, PROOF_INVALID, check, file, frame, "%s", msg);
    g_free(msg);
    return -1;
}

/* A file the take folder must hold could not be opened or read: INVALID when it is not what a take makes (a
 * symlink, FIFO, device, too big), an I/O error otherwise. */
static void file_fail(ProofVerdict *v, const char *dir, const char *name, int err)
{
    if (proof_file_refused(err))
        proof_verdict_fail(v, PROOF_INVALID, "file-type", name, -1, "%s cannot be part of a take: %s", name,
                           proof_file_why(err));
    else
        proof_verdict_fail(v, PROOF_IO_ERROR, "io", name, -1, "cannot read %s/%s: %s", dir, name,
                           proof_file_why(err));
}

static JsonObject *parse_record(ProofTake *t, int64_t i, JsonNode **node)
{
    const PfRecord *r = &t->recs[i];
    JsonNode *root;
    *node = NULL;
    if (proof_json_load(t->parser, (const char *)t->data + r->offset, r->len) < 0)
        return NULL;
    root = json_parser_get_root(t->parser);
    if (!root || !JSON_NODE_HOLDS_OBJECT(root))
        return NULL;
    *node = json_node_copy(root);
    return json_node_get_object(*node);
}

static const char *str_member(JsonObject *o, const char *name)
{
    JsonNode *n = o ? json_object_get_member(o, name) : NULL;
    return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING
               ? json_node_get_string(n)
               : NULL;
}

/* Members of the type asked for, or NULL (json-glib's own getters complain loudly about another type). */
static JsonObject *object_member(JsonObject *o, const char *name)
{
    JsonNode *n = o ? json_object_get_member(o, name) : NULL;
    return n && JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
}

static JsonArray *array_member(JsonObject *o, const char *name)
{
    JsonNode *n = o ? json_object_get_member(o, name) : NULL;
    return n && JSON_NODE_HOLDS_ARRAY(n) ? json_node_get_array(n) : NULL;
}

static JsonObject *object_element(JsonArray *a, int i)
{
    JsonNode *n = a && i >= 0 && (guint)i < json_array_get_length(a) ? json_array_get_element(a, (guint)i) : NULL;
    return n && JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
}

static int64_t int_member(JsonObject *o, const char *name, int64_t dflt)
{
    JsonNode *n = o ? json_object_get_member(o, name) : NULL;
    if (!n || !JSON_NODE_HOLDS_VALUE(n))
        return dflt;
    if (json_node_get_value_type(n) == G_TYPE_INT64)
        return json_node_get_int(n);
    if (json_node_get_value_type(n) == G_TYPE_BOOLEAN)
        return json_node_get_boolean(n);
    return dflt;
}

static int hash_member(JsonObject *o, const char *name, uint8_t out[PROOF_HASH_LEN])
{
    return proof_unhex(str_member(o, name), out, PROOF_HASH_LEN);
}

/* ---- framing ---- */

static void read_frames(ProofTake *t)
{
    size_t pos = 0;
    int64_t cap = 0;
    t->torn_at = -1;
    while (pos < t->size) {
        uint32_t len, crc, want;
        if (t->size - pos < PF_FRAME_OVERHEAD) {
            t->torn_at = t->nrecs;
            break;
        }
        len = (uint32_t)t->data[pos] | (uint32_t)t->data[pos + 1] << 8 | (uint32_t)t->data[pos + 2] << 16 |
              (uint32_t)t->data[pos + 3] << 24;
        if (len > PF_MAX_RECORD || len > t->size - pos - PF_FRAME_OVERHEAD) {
            t->torn_at = t->nrecs;
            break;
        }
        crc = (uint32_t)t->data[pos + 4 + len] | (uint32_t)t->data[pos + 5 + len] << 8 |
              (uint32_t)t->data[pos + 6 + len] << 16 | (uint32_t)t->data[pos + 7 + len] << 24;
        want = pf_crc32(0, t->data + pos, 4 + (size_t)len);
        if (crc != want) {
            t->torn_at = t->nrecs;
            break;
        }
        if (t->nrecs == cap) {
            cap = cap ? 2 * cap : 1024;
            t->recs = g_renew(PfRecord, t->recs, cap);
        }
        t->recs[t->nrecs].offset = pos + 4;
        t->recs[t->nrecs].len = len;
        t->nrecs++;
        pos += PF_FRAME_OVERHEAD + len;
    }
}

/* ---- checkpoints ---- */

static void note_clear(PfNote *n)
{
    g_free(n->body);
    g_free(n->origin);
    g_strfreev(n->sigs);
}

/* One note: body lines, a blank line, signature lines. 0, or -1 when it is not a complete note. */
static int parse_note(const char *body, const char *sigs, PfNote *n)
{
    char **lines = g_strsplit(body, "\n", -1);
    char **sl = g_strsplit(sigs, "\n", -1);
    int nl = (int)g_strv_length(lines);
    int ret = -1;
    char *end;

    memset(n, 0, sizeof(*n));
    n->media = -1;
    n->clock_ns = -1;
    if (nl < 3)
        goto out;
    n->body = g_strconcat(body, "\n", NULL);
    n->origin = g_strdup(lines[0]);
    n->size = g_ascii_strtoll(lines[1], &end, 10);
    if (end == lines[1] || *end || n->size < 0)
        goto out;
    if (pf_base64_strict(lines[2], strlen(lines[2]), n->root, PROOF_HASH_LEN) < 0)
        goto out;
    for (int i = 3; i < nl; i++) {
        if (g_str_has_prefix(lines[i], "media "))
            n->media = g_ascii_strtoll(lines[i] + 6, NULL, 10);
        else if (g_str_has_prefix(lines[i], "clock "))
            n->clock_ns = g_ascii_strtoll(lines[i] + 6, NULL, 10);
        else if (!strcmp(lines[i], "final"))
            n->final = 1;
    }
    for (int i = 0; sl[i]; i++) {
        if (!sl[i][0])
            continue;
        if (!g_str_has_prefix(sl[i], "\xe2\x80\x94 "))
            goto out;
        pf_strv_add(&n->sigs, g_strdup(sl[i] + 4));
    }
    if (!n->sigs)
        goto out;
    ret = 0;
out:
    g_strfreev(lines);
    g_strfreev(sl);
    return ret;
}

static void read_notes(ProofTake *t, const char *text)
{
    char **parts = g_strsplit(text, "\n\n", -1);
    int n = (int)g_strv_length(parts);
    int complete = g_str_has_suffix(text, "\n\n");

    for (int i = 0; i + 1 < n; i += 2) {
        /* Fresh each time: a torn last note is never parsed, so it must not clear the note before it. */
        PfNote note = {0};
        /* The last note is complete only when the file ends with its blank line. */
        int last = i + 3 >= n;
        if ((last && !complete) || parse_note(parts[i], parts[i + 1], &note) < 0) {
            if (last) {
                t->torn_note = 1;
                note_clear(&note);
                break;
            }
            note_clear(&note);
            /* An unparsable note in the middle: keep a placeholder that fails its checks. */
            memset(&note, 0, sizeof(note));
            note.size = -1;
        }
        t->notes = g_renew(PfNote, t->notes, t->nnotes + 1);
        t->notes[t->nnotes++] = note;
    }
    if (n % 2 == 0 && n > 0 && parts[n - 1][0])
        t->torn_note = 1;
    g_strfreev(parts);
}

/* 1 when note n carries a valid signature by key under name. */
static int note_signed_by(const PfNote *n, const ProofKey *key, const char *name)
{
    uint8_t kh[4];
    pf_note_key_hash(name, proof_key_public(key), kh);
    for (int i = 0; n->sigs && n->sigs[i]; i++) {
        const char *sp = strchr(n->sigs[i], ' ');
        uint8_t blob[4 + PROOF_SIG_LEN];
        if (!sp || (size_t)(sp - n->sigs[i]) != strlen(name) || strncmp(n->sigs[i], name, strlen(name)))
            continue;
        /* "— NAME BASE64" and nothing else on the line. */
        if (pf_base64_strict(sp + 1, strlen(sp + 1), blob, sizeof(blob)) < 0 || memcmp(blob, kh, 4))
            continue;
        if (proof_key_verify(key, n->body, strlen(n->body), blob + 4))
            return 1;
    }
    return 0;
}

/* ---- GENESIS ---- */

static int read_genesis(ProofTake *t, const ProofKey *pinned, ProofVerdict *v)
{
    JsonObject *g;
    const char *s;
    char *cert_msg;
    uint8_t cert[PROOF_SIG_LEN], spk[PROOF_PK_LEN];
    JsonArray *arr;
    char kid[17], pkid[17];
    static const uint8_t zero = 0;
    uint8_t gh[PROOF_HASH_LEN];
    int ok;

    if (t->nrecs < 1)
        return fail(v, "log-genesis", PROOF_LOG_FILE, -1, "take.log holds no record (%s)",
                    t->torn_at == 0 ? "its first record is torn" : "empty");
    g = parse_record(t, 0, &t->genesis_node);
    t->genesis = g;
    if (!g || g_strcmp0(str_member(g, "t"), "GENESIS") ||
        g_strcmp0(str_member(g, "format"), "onetake-take-log"))
        return fail(v, "log-genesis", PROOF_LOG_FILE, -1,
                    "the first record of take.log is not a GENESIS record");
    if (int_member(g, "version", 0) != PF_LOG_VERSION)
        return fail(v, "log-genesis", PROOF_LOG_FILE, -1,
                    "take log version %" PRId64 " is not known (this onetake "
                    "reads version %d)",
                    int_member(g, "version", 0), PF_LOG_VERSION);
    {
        const void *parts[] = {&zero, t->data + t->recs[0].offset};
        const size_t lens[] = {1, t->recs[0].len};
        pf_sha256(parts, lens, 2, gh);
        proof_hex(gh, sizeof(gh), t->genesis_hex);
    }
    s = str_member(g, "take_id");
    if (!s || strlen(s) != 32)
        return fail(v, "log-genesis", PROOF_LOG_FILE, -1, "GENESIS has no take id");
    g_strlcpy(t->take_id, s, sizeof(t->take_id));
    v->take_id = g_strdup(t->take_id);
    {
        JsonObject *cfg = object_member(g, "config");
        const char *fps = str_member(cfg, "fps");
        if (!fps || sscanf(fps, "%d/%d", &t->rate_num, &t->rate_den) != 2 || t->rate_num <= 0 ||
            t->rate_den <= 0)
            return fail(v, "log-genesis", PROOF_LOG_FILE, -1, "GENESIS has no frame rate");
        v->rate_num = t->rate_num;
        v->rate_den = t->rate_den;
        v->drop_frame = sw_rate_allows_drop_frame((SwRate){t->rate_num, t->rate_den});
    }
    t->live = (int)int_member(g, "live", 0);
    v->live = t->live;
    arr = array_member(g, "cams");
    t->ncams = arr ? (int)json_array_get_length(arr) : 0;
    t->cams = g_new0(char *, t->ncams + 1);
    for (int i = 0; i < t->ncams; i++)
        t->cams[i] = g_strdup(str_member(object_element(arr, i), "name"));
    arr = array_member(g, "streams");
    t->nstreams = arr ? (int)json_array_get_length(arr) : 0;
    if (t->nstreams < 1)
        return fail(v, "log-genesis", PROOF_LOG_FILE, -1, "GENESIS lists no stream");
    t->streams = g_new0(ProofStreamModel, t->nstreams);
    t->program = -1;
    for (int i = 0; i < t->nstreams; i++) {
        JsonObject *so = object_element(arr, i);
        ProofStreamModel *m = &t->streams[i];
        const char *tb = str_member(so, "time_base");
        m->role = g_strdup(str_member(so, "role"));
        m->file = g_strdup(str_member(so, "file"));
        m->codec = g_strdup(str_member(so, "codec"));
        if (!m->file || strstr(m->file, "..") || m->file[0] == '/' || !tb ||
            sscanf(tb, "%d/%d", &m->tb_num, &m->tb_den) != 2 || m->tb_num <= 0 || m->tb_den <= 0)
            return fail(v, "log-genesis", PROOF_LOG_FILE, -1, "GENESIS stream %d is malformed", i);
        if (!g_strcmp0(m->role, "program") && t->program < 0)
            t->program = i;
        m->owner = -1;
        for (int j = 0; j < i && m->owner < 0; j++)
            if (!strcmp(t->streams[j].file, m->file))
                m->owner = j;
        m->audio = proof_codec_is_audio(m->codec);
    }
    if (t->program < 0)
        return fail(v, "log-genesis", PROOF_LOG_FILE, -1, "GENESIS has no program stream");

    /* The station key: pinned, or at least self-consistent. */
    t->station = proof_key_from_base64(str_member(g, "station_pk") ? str_member(g, "station_pk") : "");
    if (!t->station)
        return fail(v, "station-key", PROOF_LOG_FILE, -1, "GENESIS has no valid station public key");
    v->station_keyid = g_strdup(proof_key_id_hex(t->station, kid));
    if (pinned) {
        if (CRYPTO_memcmp(proof_key_public(pinned), proof_key_public(t->station), PROOF_PK_LEN))
            return fail(v, "station-key", PROOF_LOG_FILE, -1,
                        "the take was made by station key %s, not by the pinned key %s (--pubkey): another "
                        "station, or a log re-signed by somebody else",
                        kid, proof_key_id_hex(pinned, pkid));
        v->station_pinned = 1;
        proof_verdict_checked(v, "station key %s is the pinned key (--pubkey)", kid);
    } else {
        proof_verdict_note(
            v,
            "station key %s is the one the log names itself: NOT pinned (give --pubkey FILE to "
            "check who made the take); everything else was checked against it",
            kid);
    }
    /* The session key and its certificate. */
    s = str_member(g, "session_pk");
    if (!s || pf_base64_strict(s, strlen(s), spk, sizeof(spk)) < 0 ||
        !(t->session = pf_key_from_raw_public(spk)))
        return fail(v, "session-certificate", PROOF_LOG_FILE, -1, "GENESIS has no valid session public key");
    s = str_member(g, "session_cert");
    cert_msg = pf_cert_message(t->take_id, str_member(g, "session_pk"));
    ok = s && pf_base64_strict(s, strlen(s), cert, sizeof(cert)) == 0 &&
         proof_key_verify(t->station, cert_msg, strlen(cert_msg), cert);
    g_free(cert_msg);
    if (!ok)
        return fail(
            v, "session-certificate", PROOF_LOG_FILE, -1,
            "the session key of take %s is not certified by station key %s (GENESIS certificate invalid)",
            t->take_id, kid);
    proof_verdict_checked(v, "session key certified by the station key for take %s", t->take_id);
    return 0;
}

/* ---- checkpoints against the log ---- */

static int check_checkpoints(ProofTake *t, ProofVerdict *v)
{
    char origin[64], sname[96], tname[96], kid[17];
    PfMerkle tree;
    int64_t prev = 0;
    int n = 0;

    g_snprintf(origin, sizeof(origin), "%s%s", PF_ORIGIN_PREFIX, t->take_id);
    g_snprintf(sname, sizeof(sname), "%s%s", PF_SESSION_NAME_PREFIX, t->take_id);
    g_snprintf(tname, sizeof(tname), "%s%s", PF_STATION_NAME_PREFIX, proof_key_id_hex(t->station, kid));
    if (t->nnotes == 0)
        return fail(v, "checkpoint", PROOF_CHECKPOINTS_FILE, -1,
                    "checkpoints.txt holds no complete checkpoint");
    for (int i = 0; i < t->nnotes; i++) {
        PfNote *note = &t->notes[i];
        if (note->size < 0 || !note->origin)
            return fail(v, "checkpoint", PROOF_CHECKPOINTS_FILE, -1, "checkpoint %d is not a signed note",
                        i + 1);
        if (strcmp(note->origin, origin))
            return fail(v, "checkpoint-take", PROOF_CHECKPOINTS_FILE, -1,
                        "checkpoint %d is for \"%s\", not for this take (%s): a checkpoint of another take",
                        i + 1, note->origin, origin);
        if (!note_signed_by(note, t->session, sname))
            return fail(v, "checkpoint-signature", PROOF_CHECKPOINTS_FILE, -1,
                        "checkpoint %d (tree size %" PRId64
                        ") has no valid signature by the take's certified "
                        "session key",
                        i + 1, note->size);
        if (note->size <= prev && i > 0)
            return fail(v, "checkpoint-order", PROOF_CHECKPOINTS_FILE, -1,
                        "checkpoint %d has tree size %" PRId64 " after %" PRId64
                        ": checkpoints reordered, replayed or rolled back",
                        i + 1, note->size, prev);
        if (i > 0 && (note->media < t->notes[i - 1].media || note->clock_ns < t->notes[i - 1].clock_ns))
            return fail(v, "checkpoint-order", PROOF_CHECKPOINTS_FILE, note->media,
                        "checkpoint %d goes back in media time or clock", i + 1);
        if (note->final && i != t->nnotes - 1)
            return fail(v, "checkpoint-order", PROOF_CHECKPOINTS_FILE, -1,
                        "checkpoint %d is marked final but more follow", i + 1);
        if (note->final && !note_signed_by(note, t->station, tname))
            return fail(v, "checkpoint-signature", PROOF_CHECKPOINTS_FILE, -1,
                        "the final checkpoint has no valid signature by station key %s", kid);
        if (note->size > t->nrecs) {
            if (t->torn_at >= 0)
                return fail(v, "log-torn", PROOF_LOG_FILE, -1,
                            "take.log is torn at record %" PRId64 " (bad length or CRC), but checkpoint %d "
                            "signed %" PRId64 " records: the log was damaged or cut after it was committed",
                            t->torn_at, i + 1, note->size);
            return fail(v, "log-truncated", PROOF_LOG_FILE, -1,
                        "take.log holds %" PRId64 " records, but checkpoint %d signed %" PRId64
                        ": the log was truncated",
                        t->nrecs, i + 1, note->size);
        }
        prev = note->size;
    }
    proof_verdict_checked(v,
                          "%d checkpoint signatures (session key; the final one also by the station key), in "
                          "order",
                          t->nnotes);

    /* Merkle roots: one pass over the records, compared at every checkpoint's tree size. */
    if (pf_merkle_init(&tree) < 0)
        return proof_verdict_fail(v, PROOF_IO_ERROR, "memory", NULL, -1, "out of memory");
    for (int64_t r = 0; r < t->nrecs && n < t->nnotes; r++) {
        pf_merkle_add(&tree, t->data + t->recs[r].offset, t->recs[r].len);
        while (n < t->nnotes && t->notes[n].size == tree.size) {
            uint8_t root[PROOF_HASH_LEN];
            pf_merkle_root(&tree, root);
            if (CRYPTO_memcmp(root, t->notes[n].root, PROOF_HASH_LEN)) {
                int64_t from = n > 0 ? t->notes[n - 1].size : 0;
                pf_merkle_free(&tree);
                return fail(v, "merkle-root", PROOF_LOG_FILE, -1,
                            "the first %" PRId64 " records of take.log do not hash to the root signed in "
                            "checkpoint %d: a record among %" PRId64 "..%" PRId64 " was changed",
                            t->notes[n].size, n + 1, from, t->notes[n].size - 1);
            }
            n++;
        }
    }
    pf_merkle_free(&tree);
    t->last_note = t->nnotes - 1;
    t->attested = t->notes[t->last_note].size;
    v->checkpoints = t->nnotes;
    proof_verdict_checked(
        v, "Merkle root (RFC 6962, SHA-256) of take.log recomputed at each of %d checkpoints", t->nnotes);
    if (t->notes[t->last_note].final && (t->nrecs > t->attested || t->torn_at >= 0))
        return fail(v, "log-extra", PROOF_LOG_FILE, -1,
                    "take.log holds data after the record the final checkpoint closed (record %" PRId64 ")",
                    t->attested);
    if (!t->notes[t->last_note].final && t->nrecs > t->attested)
        proof_verdict_note(
            v, "%" PRId64 " record(s) of take.log after the last checkpoint are not attested (ignored)",
            t->nrecs - t->attested);
    if (t->torn_at >= 0 && !t->notes[t->last_note].final)
        proof_verdict_note(
            v, "take.log ends in a torn record after the last checkpoint (a crash while writing)");
    if (t->torn_note)
        proof_verdict_note(v, "checkpoints.txt ends in an incomplete checkpoint (ignored)");
    return 0;
}

/* ---- what the attested records say ---- */

typedef struct PfCut {
    int64_t frame;
    int cam;
    int end;
    const char *origin;
    int cue;
} PfCut;

static int check_cues(ProofTake *t, GArray *cuts, int64_t frames, ProofVerdict *v)
{
    const char *want = str_member(t->genesis, "cues_sha256");
    const char *name = str_member(t->genesis, "cues_file");
    char *text = NULL;
    size_t len = 0;
    int err;
    uint8_t h[PROOF_HASH_LEN];
    char hex[2 * PROOF_HASH_LEN + 1], tc[32];
    SwCueList *cues = NULL;
    SwCueError cerr;
    int ret = 0;
    int64_t manual = 0;

    if (!want) {
        /* No cue list: every cut must be the director's. */
        for (guint i = 0; i < cuts->len; i++) {
            PfCut *c = &g_array_index(cuts, PfCut, i);
            if (!strcmp(c->origin, "cue") || !strcmp(c->origin, "go") ||
                (!strcmp(c->origin, "remote") && c->cue >= 0))
                return fail(v, "unplanned-cut", PROOF_LOG_FILE, c->frame,
                            "the %s at frame %" PRId64 " claims a cue, but the take had no cue list",
                            c->end ? "end" : "cut", c->frame);
        }
        proof_verdict_checked(v, "no cue list: every cut is logged as the director's");
        return 0;
    }
    if (!name || strchr(name, '/'))
        name = "cues.txt";
    err = proof_take_file_read(t->dir, name, PF_MAX_CUES_FILE, &text, &len);
    if (err < 0)
        return fail(v, "cue-list", name, -1, "%s (the cue list as loaded) cannot be used: %s", name,
                    proof_file_why(err));
    {
        const void *parts[] = {text};
        const size_t lens[] = {len};
        pf_sha256(parts, lens, 1, h);
        proof_hex(h, sizeof(h), hex);
    }
    if (strcmp(hex, want)) {
        g_free(text);
        return fail(v, "cue-list", name, -1,
                    "%s is not the cue list the take loaded: its SHA-256 is %s, GENESIS says %s", name, hex,
                    want);
    }
    cues = sw_cues_parse(text, len, (SwRate){t->rate_num, t->rate_den}, (const char *const *)t->cams,
                         t->ncams, &cerr);
    g_free(text);
    if (!cues)
        return fail(v, "cue-list", name, -1, "%s does not parse (line %d: %s)", name, cerr.line,
                    cerr.message);

    /* Every cut claiming a cue is that cue; every go cut a go cue, in file order. */
    int last_go = -1;
    for (guint i = 0; i < cuts->len && !ret; i++) {
        PfCut *c = &g_array_index(cuts, PfCut, i);
        const SwCue *q = c->cue >= 0 ? sw_cues_get(cues, c->cue) : NULL;
        proof_verdict_timecode(v, c->frame, tc, sizeof(tc));
        /* A remote command is the director's (from the network): a cut or an end like a key, a go naming the
         * go cue it fired, held to the cue list like one. */
        int remote = !strcmp(c->origin, "remote");
        if (!strcmp(c->origin, "manual") || (remote && c->cue < 0)) {
            manual++;
            continue;
        }
        if (!strcmp(c->origin, "cue") || !strcmp(c->origin, "go") || remote) {
            int is_go = !strcmp(c->origin, "go") || remote;
            if (!q) {
                ret = fail(v, "unplanned-cut", PROOF_LOG_FILE, c->frame,
                           "the %s at frame %" PRId64
                           " (%s) to camera %s claims cue #%d, which the cue list does "
                           "not have, and no director made it",
                           c->end ? "end" : "cut", c->frame, tc, cam_name(t, c->cam), c->cue + 1);
            } else if ((q->action == SW_CUE_END) != c->end || (!c->end && q->cam != c->cam) ||
                       (is_go ? q->frame != -1 : q->frame != c->frame)) {
                char qtc[32] = "go";
                if (q->frame >= 0)
                    proof_verdict_timecode(v, q->frame, qtc, sizeof(qtc));
                ret = fail(v, "unplanned-cut", PROOF_LOG_FILE, c->frame,
                           "the %s at frame %" PRId64
                           " (%s) to camera %s is not what the cue list planned: its cue "
                           "#%d (line %d) says %s %s %s, and no director made this cut",
                           c->end ? "end" : "cut", c->frame, tc, cam_name(t, c->cam), c->cue + 1, q->line,
                           qtc, q->action == SW_CUE_END ? "end" : "cut", q->camera ? q->camera : "");
            } else if (is_go) {
                if (c->cue <= last_go)
                    ret = fail(v, "unplanned-cut", PROOF_LOG_FILE, c->frame,
                               "go cue #%d fired at frame %" PRId64 " (%s) out of the cue list's order",
                               c->cue + 1, c->frame, tc);
                last_go = c->cue;
            }
        } else if (!strcmp(c->origin, "start")) {
            if (c->frame != 0 || c->cam != 0)
                ret = fail(v, "unplanned-cut", PROOF_LOG_FILE, c->frame,
                           "a start at frame %" PRId64
                           " on camera %s: a take starts at frame 0 on the first camera",
                           c->frame, cam_name(t, c->cam));
        } else if (!c->end) {
            ret = fail(v, "unplanned-cut", PROOF_LOG_FILE, c->frame,
                       "a cut at frame %" PRId64 " of unknown origin "
                       "\"%s\"",
                       c->frame, c->origin);
        }
    }
    /* Every timed cut the plan puts inside the take happened (or its camera was already on program). */
    for (int i = 0; i < sw_cues_count(cues) && !ret; i++) {
        const SwCue *q = sw_cues_get(cues, i);
        int found = 0, on = -1;
        if (q->frame < 0 || q->action != SW_CUE_CUT || q->frame >= frames)
            continue;
        for (guint k = 0; k < cuts->len; k++) {
            PfCut *c = &g_array_index(cuts, PfCut, k);
            if (c->cue == i && !strcmp(c->origin, "cue"))
                found = 1;
            if (c->frame < q->frame && !c->end)
                on = c->cam;
        }
        if (!found && on != q->cam) {
            proof_verdict_timecode(v, q->frame, tc, sizeof(tc));
            ret = fail(v, "missed-cue", PROOF_LOG_FILE, q->frame,
                       "cue #%d (line %d) puts camera %s on program at frame %" PRId64
                       " (%s), but no such cut was "
                       "executed",
                       i + 1, q->line, q->camera, q->frame, tc);
        }
    }
    if (!ret) {
        proof_verdict_checked(v,
                              "%s matches the hash in GENESIS; every cued cut is the cue list's and every "
                              "timed cue inside the take was executed",
                              name);
        if (manual)
            proof_verdict_note(v, "%" PRId64 " cut(s) made by hand by the director (logged as manual)",
                               manual);
    }
    sw_cues_free(&cues);
    return ret;
}

/* The walk over the attested records: one handler per record kind, each checking its record against what the
 * records before it said. A handler returns 0, 1 to keep the record's JSON (its strings are used later), or
 * -1 after a failure. */
typedef struct PfScan {
    ProofTake *t;
    ProofVerdict *v;
    int64_t r; /* the record being read */
    GArray *cuts;
    GArray *dones;    /* ProofDone */
    GPtrArray *nodes; /* records whose strings are kept (CUT, END, CLOSE) */
    GArray **pkts;    /* per stream: ProofPkt */
    GArray **ranges;  /* per stream: ProofRange */
    int64_t program_pkts;
    int on_program;
    int ended;
    int64_t end_frame;
    JsonObject *close;
    int64_t ltc_records, ltc_freewheel, ltc_last_tick; /* LTC mapping records */
} PfScan;

static int on_pkt(PfScan *sc, JsonObject *o)
{
    ProofTake *t = sc->t;
    int s = (int)int_member(o, "s", -1);
    ProofPkt p = {0};
    if (s < 0 || s >= t->nstreams || int_member(o, "n", -1) != (int64_t)sc->pkts[s]->len ||
        hash_member(o, "h", p.hash) < 0)
        return fail(sc->v, "log-record", PROOF_LOG_FILE, -1,
                    "PKT record %" PRId64 " is out of sequence for stream %d (expected packet %u)", sc->r, s,
                    s >= 0 && s < t->nstreams ? sc->pkts[s]->len : 0);
    p.pts = int_member(o, "pts", 0);
    p.dts = int_member(o, "dts", 0);
    p.duration = int_member(o, "dur", 0);
    p.key = (int)int_member(o, "key", 0);
    p.size = int_member(o, "size", 0);
    g_array_append_val(sc->pkts[s], p);
    if (s == t->program)
        sc->program_pkts++;
    return 0;
}

static int on_file(PfScan *sc, JsonObject *o)
{
    ProofTake *t = sc->t;
    int s = (int)int_member(o, "s", -1);
    ProofRange g = {0};
    int64_t end = 0;
    if (s >= 0 && s < t->nstreams && sc->ranges[s]->len > 0) {
        ProofRange *last = &g_array_index(sc->ranges[s], ProofRange, sc->ranges[s]->len - 1);
        end = last->offset + last->length;
    }
    g.offset = int_member(o, "off", -1);
    g.length = int_member(o, "len", -1);
    if (s < 0 || s >= t->nstreams || g.offset != end || g.length < 0 || g.length > INT64_MAX - g.offset ||
        hash_member(o, "h", g.hash) < 0 || hash_member(o, "run", g.running) < 0 || t->streams[s].closed)
        return fail(sc->v, "log-record", PROOF_LOG_FILE, -1,
                    "FILE record %" PRId64 " does not continue stream %d's byte ranges", sc->r, s);
    g_array_append_val(sc->ranges[s], g);
    t->streams[s].size = g.offset + g.length;
    if (int_member(o, "final", 0)) {
        if (s == t->program)
            t->program_closed_at = sc->r;
        t->streams[s].closed = 1;
        memcpy(t->streams[s].sha256, g.running, PROOF_HASH_LEN);
    }
    return 0;
}

static int on_raw(PfScan *sc, JsonObject *o)
{
    ProofTake *t = sc->t;
    int64_t tick = int_member(o, "tick", -1);
    int cam = (int)int_member(o, "cam", -1);
    char tc[32];
    if (tick != t->frames)
        return fail(sc->v, "raw-continuity", PROOF_LOG_FILE, t->frames,
                    "RAW record %" PRId64 " is for program frame %" PRId64 ", expected frame %" PRId64
                    ": program frames are not one each, in order",
                    sc->r, tick, t->frames);
    if (sc->ended)
        return fail(sc->v, "raw-continuity", PROOF_LOG_FILE, tick,
                    "program frame %" PRId64 " was recorded after the take ended at frame %" PRId64, tick,
                    sc->end_frame);
    if (cam != sc->on_program) {
        proof_verdict_timecode(sc->v, tick, tc, sizeof(tc));
        return fail(sc->v, "program-camera", PROOF_LOG_FILE, tick,
                    "program frame %" PRId64 " (%s) is from camera %s, but the executed cuts put camera %s "
                    "on program: a frame that is not the selected camera's",
                    tick, tc, cam_name(t, cam), cam_name(t, sc->on_program));
    }
    t->frames++;
    return 0;
}

/* CUT and END: an event takes effect at its frame, before that frame's RAW record. */
static int on_cut(PfScan *sc, JsonObject *o)
{
    ProofTake *t = sc->t;
    const char *kind = str_member(o, "t");
    PfCut c;
    c.frame = int_member(o, "frame", -1);
    c.cam = (int)int_member(o, "cam", -1);
    c.end = !strcmp(kind, "END");
    c.origin = str_member(o, "origin") ? str_member(o, "origin") : "?";
    c.cue = (int)int_member(o, "cue", -1);
    if (c.frame != t->frames || c.cam < 0 || c.cam >= t->ncams || sc->ended ||
        (sc->cuts->len == 0 && c.frame != 0))
        return fail(sc->v, "cut-order", PROOF_LOG_FILE, c.frame,
                    "%s record %" PRId64 " at frame %" PRId64 " is out of place (next program frame %" PRId64
                    ")",
                    kind, sc->r, c.frame, t->frames);
    g_array_append_val(sc->cuts, c);
    if (c.end) {
        sc->ended = 1;
        sc->end_frame = c.frame;
    } else {
        sc->on_program = c.cam;
    }
    return 1; /* c.origin points into the record */
}

/* DONE: the transition the last CUT started, completed early by the director at its frame (before that frame's
 * RAW record): the camera stays on program, so only its place and its numbers are checked (mixed: the frames since
 * that CUT). */
static int on_done(PfScan *sc, JsonObject *o)
{
    ProofTake *t = sc->t;
    const char *kind = str_member(o, "kind");
    ProofDone d = {int_member(o, "frame", -1), (int)int_member(o, "cam", -1), (int)int_member(o, "mixed", -1)};
    int64_t length = int_member(o, "length", -1);
    if (d.frame != t->frames || sc->ended || sc->cuts->len == 0 || d.cam != sc->on_program)
        return fail(sc->v, "cut-order", PROOF_LOG_FILE, d.frame,
                    "DONE record %" PRId64 " at frame %" PRId64 " is out of place (next program frame %" PRId64
                    ", camera %s on program)",
                    sc->r, d.frame, t->frames, cam_name(t, sc->on_program));
    const PfCut *last = &g_array_index(sc->cuts, PfCut, sc->cuts->len - 1);
    if (!kind || sw_trans_kind_from_name(kind, (int)strlen(kind)) <= SW_TRANS_CUT || length < 2 ||
        d.mixed < 0 || d.mixed >= length || d.mixed != d.frame - last->frame)
        return fail(sc->v, "log-record", PROOF_LOG_FILE, d.frame,
                    "DONE record %" PRId64 " is not a transition completed early (kind, length, mixed)", sc->r);
    g_array_append_val(sc->dones, d);
    return 0;
}

static int on_anomaly(PfScan *sc, JsonObject *o)
{
    ProofTake *t = sc->t;
    const char *k = str_member(o, "kind");
    int cam = (int)int_member(o, "cam", -1);
    /* A compact record counts n events (camera repeats in a second, a run of audio silence). */
    int64_t count = int_member(o, "n", 1);
    char *key =
        g_strdup_printf("%s%s%s", k ? k : "?", cam >= 0 ? ": camera " : "", cam >= 0 ? cam_name(t, cam) : "");
    gpointer n = g_hash_table_lookup(t->anomalies, key);
    g_hash_table_replace(t->anomalies, key,
                         GSIZE_TO_POINTER(GPOINTER_TO_SIZE(n) + (gsize)(count > 0 ? count : 1)));
    PfSpan span = {g_quark_from_string(k ? k : "?"), int_member(o, "tick", -1), int_member(o, "ticks", 1)};
    if (span.tick >= 0)
        g_array_append_val(t->spans, span);
    return 0;
}

/* LTC: the cue clock's mapping, once a second, its ticks in order. */
static int on_ltc(PfScan *sc, JsonObject *o)
{
    int64_t tick = int_member(o, "tick", -1);
    if (tick < 0 || tick < sc->ltc_last_tick || int_member(o, "frame", -1) < 0)
        return fail(sc->v, "log-record", PROOF_LOG_FILE, tick, "LTC record %" PRId64 " is malformed or out of "
                    "order", sc->r);
    sc->ltc_last_tick = tick;
    sc->ltc_records++;
    sc->ltc_freewheel += json_object_has_member(o, "freewheel") && json_object_get_boolean_member(o, "freewheel");
    return 0;
}

/* PATCH: a finished file's in-place header changes, recomputed when its bytes are read. */
static int on_patch(PfScan *sc, JsonObject *o)
{
    ProofTake *t = sc->t;
    int s = (int)int_member(o, "s", -1);
    const char *why = NULL;
    if (s < 0 || s >= t->nstreams || pf_patch_parse(&t->streams[s], o, &why) < 0)
        return fail(sc->v, "log-record", PROOF_LOG_FILE, -1, "PATCH record %" PRId64 " %s", sc->r,
                    why ? why : "names no stream");
    return 0;
}

static int on_close(PfScan *sc, JsonObject *o)
{
    sc->close = o;
    return 1; /* checked once every record is read */
}

static const struct {
    const char *kind;
    int (*handle)(PfScan *sc, JsonObject *o);
} record_handlers[] = {
    {"PKT", on_pkt}, {"FILE", on_file},       {"RAW", on_raw},     {"CUT", on_cut},
    {"END", on_cut}, {"ANOMALY", on_anomaly}, {"PATCH", on_patch}, {"CLOSE", on_close},
    {"DONE", on_done}, {"LTC", on_ltc},
};

/* Records 1..attested-1, each through its kind's handler; pkt_at_note[i]: program packets at checkpoint i. */
static int scan_records(PfScan *sc, int64_t *pkt_at_note)
{
    ProofTake *t = sc->t;
    int note = 0;
    while (note < t->nnotes && t->notes[note].size <= 1)
        note++; /* the first checkpoint covers GENESIS alone */
    for (sc->r = 1; sc->r < t->attested; sc->r++) {
        JsonNode *node;
        JsonObject *o = parse_record(t, sc->r, &node);
        const char *kind = str_member(o, "t");
        int ret = -2;
        if (!kind)
            ret = fail(sc->v, "log-record", PROOF_LOG_FILE, -1,
                       "record %" PRId64 " of take.log is not a take log record", sc->r);
        else if (sc->close)
            ret = fail(sc->v, "log-record", PROOF_LOG_FILE, -1, "record %" PRId64 " follows the CLOSE record",
                       sc->r);
        for (size_t i = 0; ret == -2 && i < G_N_ELEMENTS(record_handlers); i++)
            if (!strcmp(kind, record_handlers[i].kind))
                ret = record_handlers[i].handle(sc, o);
        if (ret == -2)
            ret = fail(sc->v, "log-record", PROOF_LOG_FILE, -1,
                       "record %" PRId64 " has an unknown kind \"%s\"", sc->r, kind);
        if (ret == 1)
            g_ptr_array_add(sc->nodes, node);
        else if (node)
            json_node_unref(node); /* the record's values are copied: its JSON is not kept (memory) */
        if (ret < 0)
            return -1;
        while (note < t->nnotes && t->notes[note].size == sc->r + 1)
            pkt_at_note[note++] = sc->program_pkts;
    }
    return 0;
}

/* Exact pts continuity: the attested program packets are frames 0..n-1, once each. */
static int check_program_pts(PfScan *sc)
{
    ProofTake *t = sc->t;
    GArray *pp = sc->pkts[t->program];
    uint8_t *seen = g_malloc0((gsize)pp->len + 1);
    char tc[32];
    int ret = 0;
    for (guint i = 0; i < pp->len && !ret; i++) {
        ProofPkt *p = &g_array_index(pp, ProofPkt, i);
        if (p->pts < 0 || p->pts >= (int64_t)pp->len || seen[p->pts]) {
            proof_verdict_timecode(sc->v, p->pts, tc, sizeof(tc));
            ret =
                fail(sc->v, "pts-continuity", PROOF_LOG_FILE, p->pts,
                     "program packet %u has pts %" PRId64 " (%s): the packets are not frames 0..%u once each",
                     i, p->pts, tc, pp->len - 1);
        } else {
            seen[p->pts] = 1;
        }
    }
    g_free(seen);
    if (ret)
        return ret;
    if (t->frames < (int64_t)pp->len)
        return fail(sc->v, "raw-continuity", PROOF_LOG_FILE, t->frames,
                    "%u program packets but only %" PRId64 " RAW records", pp->len, t->frames);
    proof_verdict_checked(
        sc->v, "program packets are frames 0..%u exactly once (pts = frame index, time base %d/%d)",
        pp->len ? pp->len - 1 : 0, t->rate_den, t->rate_num);
    return 0;
}

/* The CLOSE record against the records before it. */
static int check_close(PfScan *sc)
{
    ProofTake *t = sc->t;
    JsonObject *close = sc->close;
    JsonNode *sn = json_object_get_member(close, "streams");
    JsonArray *sa = sn && JSON_NODE_HOLDS_ARRAY(sn) ? json_node_get_array(sn) : NULL;
    t->closed = 1;
    t->close_error = (int)int_member(close, "error", 0);
    t->close_reason = g_strdup(str_member(close, "reason"));
    /* A take closed with an error attests its program packets up to its last commit (RAW records of the
     * frames being encoded then may be ahead of them); a clean close, every frame. */
    if (int_member(close, "frames", -1) != sc->program_pkts ||
        (!t->close_error && t->frames != sc->program_pkts))
        return fail(sc->v, "close", PROOF_LOG_FILE, t->frames,
                    "CLOSE says %" PRId64 " frames, the log holds %" PRId64 " RAW records and %" PRId64
                    " program packets",
                    int_member(close, "frames", -1), t->frames, sc->program_pkts);
    for (int s = 0; s < t->nstreams && sa; s++) {
        JsonNode *en = (guint)s < json_array_get_length(sa) ? json_array_get_element(sa, (guint)s) : NULL;
        JsonObject *so = en && JSON_NODE_HOLDS_OBJECT(en) ? json_node_get_object(en) : NULL;
        if (!so || int_member(so, "size", -1) != t->streams[s].size ||
            int_member(so, "packets", -1) != (int64_t)sc->pkts[s]->len)
            return fail(sc->v, "close", t->streams[s].file, -1, "CLOSE disagrees with the records of %s",
                        t->streams[s].file);
    }
    if (!t->close_error && !sc->ended)
        return fail(sc->v, "close", PROOF_LOG_FILE, t->frames, "the take closed without an END record");
    if (sc->ended && sc->end_frame != t->frames)
        return fail(sc->v, "close", PROOF_LOG_FILE, sc->end_frame,
                    "the take ended at frame %" PRId64 " but holds %" PRId64 " frames", sc->end_frame,
                    t->frames);
    return 0;
}

/* Program audio: one continuous track, each packet starting where the one before ended, from sample 0; a take
 * that closed has as much audio as video (frames x rate / fps, to the sample). */
static int check_audio(PfScan *sc)
{
    ProofTake *t = sc->t;
    char tc[32];
    for (int s = 0; s < t->nstreams; s++) {
        const ProofStreamModel *m = &t->streams[s];
        GArray *ap = sc->pkts[s];
        int64_t next = 0;
        if (!m->audio)
            continue;
        if (m->tb_num != 1 || m->tb_den < 8000) {
            /* Counted in ms, not in samples: a remux of a camera's own audio (a copy ISO), its packets as the
             * camera made them. Each is checked by the file's verifier; continuity is not ours to promise. */
            proof_verdict_checked(sc->v, "%s: the %s track is the camera's own %u packets, remuxed (not conformed: "
                                  "its continuity is the camera's)",
                                  m->file, m->role ? m->role : "audio", ap->len);
            continue;
        }
        for (guint i = 0; i < ap->len; i++) {
            const ProofPkt *p = &g_array_index(ap, ProofPkt, i);
            if (p->pts != next || p->duration <= 0 || p->duration > INT64_MAX - p->pts) {
                int64_t f =
                    (int64_t)((double)next * m->tb_num * t->rate_num / ((double)m->tb_den * t->rate_den));
                proof_verdict_timecode(sc->v, f, tc, sizeof(tc));
                return fail(sc->v, "audio-continuity", m->file, f,
                            "%s packet %u of %s starts at %" PRId64 " where the track had reached %" PRId64
                            " (%d/%d s units, program frame %" PRId64 ", %s): a gap or a splice in the audio",
                            m->role ? m->role : "audio", i, m->file, p->pts, next, m->tb_num, m->tb_den, f,
                            tc);
            }
            next = p->pts + p->duration;
        }
        if (t->closed && !t->close_error) {
            int64_t want =
                (int64_t)((double)t->frames * m->tb_den * t->rate_den / ((double)m->tb_num * t->rate_num));
            if (next != want)
                return fail(sc->v, "audio-continuity", m->file, t->frames,
                            "the %s track holds %" PRId64 " samples, the %" PRId64
                            " program frames need %" PRId64 ": the audio is not the take's length",
                            m->role ? m->role : "audio", next, t->frames, want);
        }
        proof_verdict_checked(sc->v,
                              "%s: the %s track is continuous, %u packets, samples 0..%" PRId64
                              " (%.3f s) with no gap, overlap or reorder",
                              m->file, m->role ? m->role : "audio", ap->len, next,
                              (double)next * m->tb_num / m->tb_den);
    }
    return 0;
}

/* The per-stream model that mux/ checks the files against. */
static int build_models(PfScan *sc)
{
    ProofTake *t = sc->t;
    for (int s = 0; s < t->nstreams; s++) {
        ProofStreamModel *m = &t->streams[s];
        m->npkts = sc->pkts[s]->len;
        m->pkts = (ProofPkt *)(void *)g_array_free(sc->pkts[s], FALSE);
        m->nranges = sc->ranges[s]->len;
        m->ranges = (ProofRange *)(void *)g_array_free(sc->ranges[s], FALSE);
        sc->pkts[s] = sc->ranges[s] = NULL;
        if (m->owner >= 0)
            m->closed = t->streams[m->owner].closed; /* its bytes are its owner's: closed with them */
        if (t->closed && !t->close_error && !m->closed)
            return fail(sc->v, "close", m->file, -1, "%s was never closed, but the take was", m->file);
    }
    return 0;
}

static int check_records(ProofTake *t, ProofVerdict *v)
{
    PfScan sc = {.t = t, .v = v, .on_program = -1, .end_frame = -1};
    int64_t *pkt_at_note = g_new0(int64_t, t->nnotes);
    int ret;

    sc.cuts = g_array_new(FALSE, FALSE, sizeof(PfCut));
    sc.dones = g_array_new(FALSE, FALSE, sizeof(ProofDone));
    sc.nodes = g_ptr_array_new_with_free_func((GDestroyNotify)json_node_unref);
    sc.pkts = g_new0(GArray *, t->nstreams);
    sc.ranges = g_new0(GArray *, t->nstreams);
    for (int s = 0; s < t->nstreams; s++) {
        sc.pkts[s] = g_array_new(FALSE, FALSE, sizeof(ProofPkt));
        sc.ranges[s] = g_array_new(FALSE, FALSE, sizeof(ProofRange));
    }
    ret = scan_records(&sc, pkt_at_note);
    if (ret)
        goto out;
    t->program_pkts = sc.program_pkts;
    if (sc.ltc_records)
        proof_verdict_checked(v, "%" PRId64 " LTC mapping records (take frame -> LTC frame), in order; %" PRId64
                              " of them freewheeling", sc.ltc_records, sc.ltc_freewheel);
    /* Each checkpoint's media line is the program frames durable at it. */
    for (int i = 1; i < t->nnotes; i++)
        if (t->notes[i].media != pkt_at_note[i]) {
            ret = fail(v, "checkpoint-media", PROOF_CHECKPOINTS_FILE, t->notes[i].media,
                       "checkpoint %d says %" PRId64 " program frames are durable, its records hold %" PRId64
                       " program packets",
                       i + 1, t->notes[i].media, pkt_at_note[i]);
            goto out;
        }
    ret = check_program_pts(&sc);
    if (!ret && sc.close)
        ret = check_close(&sc);
    if (!ret)
        ret = check_audio(&sc);
    if (!ret)
        ret = check_cues(t, sc.cuts, t->closed && !t->close_error ? t->frames : sc.program_pkts, v);
    if (ret)
        goto out;
    proof_verdict_checked(
        v, "every program frame (RAW record) is from the camera the executed cuts put on program");
    ret = build_models(&sc);
    if (!ret) {
        t->ncuts = (int)sc.cuts->len;
        t->cuts = g_new0(ProofCut, t->ncuts + 1);
        for (int i = 0; i < t->ncuts; i++) {
            const PfCut *c = &g_array_index(sc.cuts, PfCut, i);
            t->cuts[i] = (ProofCut){c->frame, c->cam, c->end, g_strdup(c->origin)};
        }
        t->ndones = (int)sc.dones->len;
        t->dones = t->ndones ? g_memdup2(sc.dones->data, sizeof(ProofDone) * sc.dones->len) : NULL;
        if (t->ndones)
            proof_verdict_note(v, "%d transition(s) completed early by the director (DONE records)", t->ndones);
    }
out:
    for (int s = 0; s < t->nstreams; s++) {
        if (sc.pkts[s])
            g_array_free(sc.pkts[s], TRUE);
        if (sc.ranges[s])
            g_array_free(sc.ranges[s], TRUE);
    }
    g_free(sc.pkts);
    g_free(sc.ranges);
    g_free(pkt_at_note);
    g_array_free(sc.cuts, TRUE);
    g_array_free(sc.dones, TRUE);
    g_ptr_array_free(sc.nodes, TRUE);
    return ret;
}

/* Seconds of media an encoder may hold back (x264's lookahead, B-frames and frame threads: 2 s covers the
 * slowest presets at 30 fps), released at once by the flush before the final checkpoint. */
#define PF_FLUSH_SLACK_S 2.5
/* How far a live take may stay behind the clock: its latency, and a stall it has not caught up yet. */
#define PF_PAUSE_S 3.0

/* Seconds of media and of clock from checkpoint a to checkpoint b. */
static void note_span(const ProofTake *t, const PfNote *a, const PfNote *b, double *media_s, double *clock_s)
{
    /* In doubles: the lines are signed, not sane (a log made by a hostile station must not overflow). */
    *media_s = ((double)b->media - (double)a->media) * t->rate_den / t->rate_num;
    *clock_s = ((double)b->clock_ns - (double)a->clock_ns) / 1e9;
}

static int check_clock(ProofTake *t, ProofVerdict *v)
{
    const PfNote *last = &t->notes[t->last_note];
    double media_s, clock_s;
    char tc[32];

    media_s = (double)last->media * t->rate_den / t->rate_num;
    clock_s = last->clock_ns / 1e9;
    v->speed = clock_s > 0 ? media_s / clock_s : 0;
    if (!t->live) {
        proof_verdict_note(
            v,
            "produced at %.2fx real time (offline: %s): real-time production is not claimed, so "
            "it was not checked",
            v->speed, str_member(t->genesis, "pacing") ? str_member(t->genesis, "pacing") : "lockstep");
        return 0;
    }
    /* The lag of the media behind the clock, lag = clock - media time, both since GENESIS. A live take's
     * frame i is made no earlier than its tick, roll + i/fps (+ latency), and the roll is after GENESIS: the
     * lag never goes below the GENESIS checkpoint's (slack: one commit, 2.5 s at the checkpoints of the
     * close, which follow the encoder's flush of its lookahead, and 2% of clock drift). The roll itself is
     * not in the log, so the lag at the first checkpoint with media cannot be the reference: a stall before
     * that checkpoint (the recorder stopped, the machine starved) makes it late, and the take catching up
     * (its late ticks made at once, declared) would look faster than the clock. A pause in production is a
     * lag that went past the take's base lag (the smallest of its checkpoints before the close) by more than
     * PF_PAUSE_S and was never caught up before the close. */
    const PfNote *g0 = &t->notes[0];
    double lag_g = g0->clock_ns / 1e9 - (double)g0->media * t->rate_den / t->rate_num;
    double base = INFINITY, base_close = INFINITY;
    int from = -1;
    for (int i = 1; i <= t->last_note; i++) {
        const PfNote *a = &t->notes[i - 1], *b = &t->notes[i];
        double lag = b->clock_ns / 1e9 - (double)b->media * t->rate_den / t->rate_num;
        /* The checkpoints of the close (the PATCH commits, the final one) follow the encoder's flush. */
        int closing = b->final || (t->program_closed_at >= 0 && b->size > t->program_closed_at);
        double slack =
            (closing ? PF_FLUSH_SLACK_S : 0.5) + 0.02 * ((double)b->clock_ns - (double)g0->clock_ns) / 1e9;
        if (lag < lag_g - slack) {
            double dm, dc;
            note_span(t, g0, b, &dm, &dc);
            proof_verdict_timecode(v, a->media, tc, sizeof(tc));
            return fail(
                v, "real-time", PROOF_CHECKPOINTS_FILE, a->media,
                "by checkpoint %d the take was %.3f s ahead of the clock (%.3f s of media in the %.3f s "
                "since GENESIS): faster than real time for a live take (from frame %" PRId64 ", %s)",
                i + 1, lag_g - lag, dm, dc, a->media, tc);
        }
        if (b->media > 0 && !closing)
            base = fmin(base, lag);
        if (b->media > 0)
            base_close = fmin(base_close, lag);
    }
    if (!isfinite(base))
        base = base_close; /* a take too short for a checkpoint before its close */
    /* The close is no production: media stops while the files are finished, the clock goes on. */
    for (int i = 1; i <= t->last_note && isfinite(base); i++) {
        const PfNote *b = &t->notes[i];
        double lag = b->clock_ns / 1e9 - (double)b->media * t->rate_den / t->rate_num;
        if (b->final || (t->program_closed_at >= 0 && b->size > t->program_closed_at))
            continue;
        if (b->media <= 0 || lag <= base + PF_PAUSE_S)
            from = -1;
        else if (from < 0)
            from = i;
    }
    if (from > 0) {
        const PfNote *a = &t->notes[from - 1], *b = &t->notes[from];
        double dm, dc;
        note_span(t, a, b, &dm, &dc);
        proof_verdict_timecode(v, a->media, tc, sizeof(tc));
        return fail(
            v, "real-time", PROOF_CHECKPOINTS_FILE, a->media,
            "between checkpoints %d and %d the clock ran %.3f s for %.3f s of media, and the take never "
            "caught up: production paused after frame %" PRId64 " (%s)",
            from, from + 1, dc, dm, a->media, tc);
    }
    proof_verdict_checked(
        v,
        "live take: media time kept pace with the monotonic clock at every checkpoint, never "
        "ahead of it and never behind it for good (%.3fx overall)",
        v->speed);
    return 0;
}

static int check_final_sig(ProofTake *t, ProofVerdict *v)
{
    char *log_path = g_build_filename(t->dir, PROOF_LOG_FILE, NULL);
    char *sig_path = g_build_filename(t->dir, PROOF_FINAL_SIG_FILE, NULL);
    const char *why = NULL;
    int ret = 0, ok;

    int64_t size;
    int fd = proof_take_file_open(t->dir, PROOF_FINAL_SIG_FILE, &size);

    if (fd >= 0)
        close(fd);
    if (fd == -ENOENT) {
        proof_verdict_note(v, "%s is missing (the final checkpoint carries the station's signature)",
                           PROOF_FINAL_SIG_FILE);
    } else if (fd < 0) {
        file_fail(v, t->dir, PROOF_FINAL_SIG_FILE, fd);
        ret = -1;
    } else {
        ok = proof_minisign_verify_file(t->station, log_path, sig_path, NULL, &why);
        if (ok < 0 && proof_file_refused(ok))
            file_fail(v, t->dir, PROOF_FINAL_SIG_FILE, ok);
        if (ok <= 0)
            ret = fail(v, "final-signature", PROOF_FINAL_SIG_FILE, -1, "%s does not verify take.log: %s",
                       PROOF_FINAL_SIG_FILE, why ? why : proof_file_why(ok));
        else
            proof_verdict_checked(v, "%s: minisign signature of take.log by the station key",
                                  PROOF_FINAL_SIG_FILE);
    }
    g_free(log_path);
    g_free(sig_path);
    return ret;
}

/* The log mapped (never read into memory), the checkpoints read up to what that log can have. */
static int read_files(ProofTake *t, ProofVerdict *v, char **ckpt)
{
    int64_t size = 0;
    GError *gerr = NULL;
    int fd = proof_take_file_open(t->dir, PROOF_LOG_FILE, &size);
    int err;

    if (fd < 0) {
        file_fail(v, t->dir, PROOF_LOG_FILE, fd);
        return -1;
    }
    if (size > 0) {
        t->map = g_mapped_file_new_from_fd(fd, FALSE, &gerr);
        if (!t->map) {
            proof_verdict_fail(v, PROOF_IO_ERROR, "io", PROOF_LOG_FILE, -1, "cannot map %s/%s: %s", t->dir,
                               PROOF_LOG_FILE, gerr->message);
            g_error_free(gerr);
            close(fd);
            return -1;
        }
        t->data = (const uint8_t *)g_mapped_file_get_contents(t->map);
        t->size = g_mapped_file_get_length(t->map);
    }
    close(fd);
    read_frames(t);
    /* Every checkpoint signs a larger tree than the one before: at most one per record, each a few hundred
     * bytes (PF_MAX_NOTE), and the first ones of a log that was cut short. */
    err = proof_take_file_read(t->dir, PROOF_CHECKPOINTS_FILE,
                               (int64_t)PF_MAX_NOTE * (t->nrecs + PF_MAX_NOTES_SLACK), ckpt, NULL);
    if (err < 0) {
        file_fail(v, t->dir, PROOF_CHECKPOINTS_FILE, err);
        return -1;
    }
    return 0;
}

ProofTake *proof_take_open(const char *dir, const ProofKey *pinned, ProofVerdict *v)
{
    ProofTake *t = g_new0(ProofTake, 1);
    t->program_closed_at = -1;
    char *path = NULL;
    char *ckpt = NULL;

    t->dir = g_strdup(dir);
    t->parser = json_parser_new_immutable();
    t->anomalies = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    t->spans = g_array_new(FALSE, FALSE, sizeof(PfSpan));
    if (read_files(t, v, &ckpt) < 0)
        goto fail;
    read_notes(t, ckpt);
    g_free(ckpt);
    ckpt = NULL;
    v->records = t->nrecs;
    if (read_genesis(t, pinned, v) < 0 || check_checkpoints(t, v) < 0 || check_records(t, v) < 0 ||
        check_clock(t, v) < 0)
        goto fail;
    if (t->closed && check_final_sig(t, v) < 0)
        goto fail;
    g_free(path);
    return t;
fail:
    g_free(ckpt);
    g_free(path);
    proof_take_free(&t);
    return NULL;
}

void proof_take_free(ProofTake **pt)
{
    ProofTake *t = pt ? *pt : NULL;
    if (!t)
        return;
    for (int i = 0; i < t->nnotes; i++)
        note_clear(&t->notes[i]);
    g_free(t->notes);
    for (int i = 0; t->streams && i < t->nstreams; i++) {
        g_free(t->streams[i].role);
        g_free(t->streams[i].file);
        g_free(t->streams[i].codec);
        g_free(t->streams[i].pkts);
        g_free(t->streams[i].ranges);
        g_free(t->streams[i].patches);
    }
    g_free(t->streams);
    g_strfreev(t->cams);
    proof_key_free(&t->station);
    proof_key_free(&t->session);
    if (t->genesis_node)
        json_node_unref(t->genesis_node);
    if (t->parser)
        g_object_unref(t->parser);
    if (t->anomalies)
        g_hash_table_unref(t->anomalies);
    if (t->spans)
        g_array_unref(t->spans);
    if (t->map)
        g_mapped_file_unref(t->map);
    for (int i = 0; i < t->ncuts; i++)
        g_free((char *)t->cuts[i].origin);
    g_free(t->cuts);
    g_free(t->dones);
    g_free(t->recs);
    g_free(t->close_reason);
    g_free(t->dir);
    g_free(t);
    *pt = NULL;
}

int proof_take_nstreams(const ProofTake *t)
{
    return t ? t->nstreams : 0;
}

const ProofStreamModel *proof_take_stream(const ProofTake *t, int index)
{
    return t && index >= 0 && index < t->nstreams ? &t->streams[index] : NULL;
}

const char *proof_take_id(const ProofTake *t)
{
    return t ? t->take_id : NULL;
}

const char *proof_take_genesis_hex(const ProofTake *t)
{
    return t ? t->genesis_hex : NULL;
}

int proof_take_closed(const ProofTake *t)
{
    return t && t->closed;
}

int proof_take_closed_clean(const ProofTake *t)
{
    return t && t->closed && !t->close_error;
}

int proof_take_ncuts(const ProofTake *t)
{
    return t ? t->ncuts : 0;
}

const ProofCut *proof_take_cut(const ProofTake *t, int index)
{
    return t && index >= 0 && index < t->ncuts ? &t->cuts[index] : NULL;
}

int proof_take_ndone(const ProofTake *t)
{
    return t ? t->ndones : 0;
}

const ProofDone *proof_take_done(const ProofTake *t, int index)
{
    return t && index >= 0 && index < t->ndones ? &t->dones[index] : NULL;
}

int proof_take_ncams(const ProofTake *t)
{
    return t ? t->ncams : 0;
}

const char *proof_take_cam(const ProofTake *t, int cam)
{
    return t && cam >= 0 && cam < t->ncams ? t->cams[cam] : NULL;
}

int64_t proof_take_frames(const ProofTake *t)
{
    return t ? t->frames : 0;
}

void proof_take_rate(const ProofTake *t, int *num, int *den)
{
    *num = t ? t->rate_num : 0;
    *den = t ? t->rate_den : 1;
}

const char *proof_take_config(const ProofTake *t, const char *key)
{
    JsonNode *n = t && t->genesis ? json_object_get_member(t->genesis, "config") : NULL;
    return n && JSON_NODE_HOLDS_OBJECT(n) ? str_member(json_node_get_object(n), key) : NULL;
}

const char *proof_take_cues_file(const ProofTake *t)
{
    const char *name = t ? str_member(t->genesis, "cues_file") : NULL;
    return name && str_member(t->genesis, "cues_sha256") ? name : NULL;
}

const ProofKey *proof_take_station(const ProofTake *t)
{
    return t ? t->station : NULL;
}

int proof_take_declares(const ProofTake *t, const char *kind, int64_t first, int64_t last)
{
    GQuark q = g_quark_try_string(kind);
    int64_t next = first; /* the first frame not yet covered */
    int grew = 1;
    if (!t || !q)
        return 0;
    /* Spans come in record order, not frame order: extend the covered prefix until nothing more joins it. */
    while (grew && next <= last) {
        grew = 0;
        for (guint i = 0; i < t->spans->len && next <= last; i++) {
            const PfSpan *s = &g_array_index(t->spans, PfSpan, i);
            if (s->kind == q && s->tick <= next && s->tick + (s->ticks > 0 ? s->ticks : 1) > next) {
                next = s->tick + (s->ticks > 0 ? s->ticks : 1);
                grew = 1;
            }
        }
    }
    return next > last;
}

void proof_take_finish(ProofTake *t, ProofVerdict *v)
{
    GHashTableIter it;
    gpointer key, val;
    char tc[32];

    if (v->status == PROOF_INVALID || v->status == PROOF_IO_ERROR)
        return;
    g_hash_table_iter_init(&it, t->anomalies);
    while (g_hash_table_iter_next(&it, &key, &val))
        pf_strv_add(&v->anomalies, g_strdup_printf("%s (%zu %s%s)", (const char *)key, GPOINTER_TO_SIZE(val),
                                                   g_str_has_prefix(key, "audio") ? "sample" : "frame",
                                                   GPOINTER_TO_SIZE(val) == 1 ? "" : "s"));
    if (!t->closed || t->close_error) {
        v->status = PROOF_PARTIAL_AUTHENTIC;
        v->end_frame = t->program_pkts;
        proof_verdict_timecode(v, v->end_frame, tc, sizeof(tc));
        if (t->close_error)
            proof_verdict_note(v, "the take closed with an error (%s): frames 0..%" PRId64 " are authentic",
                               t->close_reason ? t->close_reason : "failed", v->end_frame - 1);
        else
            proof_verdict_note(v,
                               "no CLOSE record: the recorder did not close the take; authentic and gapless "
                               "from frame 0 up to frame %" PRId64
                               " (%s, exclusive), what follows is unattested",
                               v->end_frame, tc);
    } else {
        v->end_frame = t->frames;
        v->status = v->anomalies ? PROOF_UNCUT_WITH_DECLARED_ANOMALIES : PROOF_UNCUT;
    }
}

/* ---- file bytes against FILE records ---- */

struct ProofFileCheck {
    const ProofStreamModel *m;
    EVP_MD_CTX *ctx, *pkt_ctx;
    int64_t pos; /* bytes seen */
    int64_t r;   /* current range */
    int64_t bad; /* first bad range, -1 */
    GByteArray *tmp;   /* a finished file's bytes as streamed (proof_patch.c) */
    int64_t patch_bad; /* first byte that is not its PATCH record's result, -1 */
    int64_t patch_unapplied; /* bytes of patched ranges still as streamed */
};

ProofFileCheck *proof_file_check_alloc(const ProofStreamModel *m)
{
    ProofFileCheck *c = g_new0(ProofFileCheck, 1);
    c->m = m;
    c->bad = -1;
    c->patch_bad = -1;
    c->tmp = g_byte_array_new();
    c->ctx = EVP_MD_CTX_new();
    c->pkt_ctx = EVP_MD_CTX_new();
    if (!c->ctx || !c->pkt_ctx || !EVP_DigestInit_ex(c->ctx, pf_sha256_md(), NULL))
        proof_file_check_free(&c);
    return c;
}

void proof_file_check_free(ProofFileCheck **pc)
{
    ProofFileCheck *c = pc ? *pc : NULL;
    if (!c)
        return;
    EVP_MD_CTX_free(c->ctx);
    EVP_MD_CTX_free(c->pkt_ctx);
    g_byte_array_unref(c->tmp);
    g_free(c);
    *pc = NULL;
}

void proof_file_check_bytes(ProofFileCheck *c, const uint8_t *buf, size_t len)
{
    if (c->m->npatches > 0)
        buf = pf_patch_view(c->m, c->pos, buf, len, c->tmp, &c->patch_bad, &c->patch_unapplied);
    while (len > 0 && c->r < c->m->nranges) {
        const ProofRange *g = &c->m->ranges[c->r];
        int64_t left = g->offset + g->length - c->pos;
        size_t n = left < (int64_t)len ? (size_t)left : len;
        EVP_DigestUpdate(c->ctx, buf, n);
        c->pos += (int64_t)n;
        buf += n;
        len -= n;
        if (c->pos == g->offset + g->length) {
            uint8_t h[PROOF_HASH_LEN];
            EVP_DigestFinal_ex(c->ctx, h, NULL);
            if (c->bad < 0 && CRYPTO_memcmp(h, g->hash, PROOF_HASH_LEN))
                c->bad = c->r;
            EVP_DigestInit_ex(c->ctx, pf_sha256_md(), NULL);
            c->r++;
        }
    }
    c->pos += (int64_t)len; /* past the attested bytes */
}

int64_t proof_file_check_bad_range(const ProofFileCheck *c, int64_t *off, int64_t *len)
{
    if (c->bad >= 0) {
        *off = c->m->ranges[c->bad].offset;
        *len = c->m->ranges[c->bad].length;
    }
    return c->bad;
}

int64_t proof_file_check_patch_bad(const ProofFileCheck *c, int64_t *unapplied)
{
    if (unapplied)
        *unapplied = c->patch_unapplied;
    return c->patch_bad;
}

int64_t proof_file_check_read(const ProofFileCheck *c)
{
    return c->pos;
}

int proof_file_check_packet(ProofFileCheck *c, ProofPayload form, const uint8_t *data, size_t size,
                            uint8_t hash[PROOF_HASH_LEN], int64_t *norm_size)
{
    return pf_packet_hash_ctx(c->pkt_ctx, form, data, size, hash, norm_size);
}
