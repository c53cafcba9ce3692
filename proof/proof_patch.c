/* onetake proof: the PATCH record of a file finished in place at its close (a Matroska file's Cues appended,
 * its header's reserved bytes filled in). The FILE records attest the file as it was streamed (Cues
 * included: they were appended); the PATCH record says which bytes changed afterwards, from what to what.
 * The verifier checks the streaming form with the logged bytes put back, and the file's bytes in each range
 * against the logged result. Container-blind: what the bytes mean is checked by the media side
 * (mux_verify_patch.c). */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <glib.h>
#include <json-glib/json-glib.h>
#include <openssl/crypto.h>

#include "proof.h"
#include "proof_int.h"

#define PF_PATCH_MAX_RANGES 16
#define PF_PATCH_MAX_LEN 4096

char *pf_patch_record(int index, const char *file, int64_t cues_off, const ProofPatchRange *r, int n,
                      size_t *len)
{
    GString *s;
    char h[2 * PROOF_HASH_LEN + 1];
    uint8_t d[PROOF_HASH_LEN];

    if (n < 1 || n > PF_PATCH_MAX_RANGES)
        return NULL;
    s = g_string_new(NULL);
    g_string_append_printf(s, "{\"t\":\"PATCH\",\"s\":%d,\"file\":\"%s\",\"cues\":%" PRId64 ",\"ranges\":[", index,
                           file, cues_off);
    for (int i = 0; i < n; i++) {
        if (r[i].len < 1 || r[i].len > PF_PATCH_MAX_LEN) {
            g_string_free(s, TRUE);
            return NULL;
        }
        char *hex = g_malloc((size_t)r[i].len * 2 + 1);
        g_string_append_printf(s, "%s{\"off\":%" PRId64 ",\"len\":%d", i ? "," : "", r[i].off, r[i].len);
        for (int k = 0; k < 2; k++) {
            const uint8_t *b = k ? r[i].after : r[i].before;
            const void *parts[1] = {b};
            size_t lens[1] = {(size_t)r[i].len};
            pf_sha256(parts, lens, 1, d);
            proof_hex(d, sizeof(d), h);
            proof_hex(b, (size_t)r[i].len, hex);
            g_string_append_printf(s, ",\"%s\":\"%s\",\"%s\":\"%s\"", k ? "ha" : "hb", h, k ? "after" : "before",
                                   hex);
        }
        g_free(hex);
        g_string_append_c(s, '}');
    }
    g_string_append(s, "]}");
    *len = s->len;
    return g_string_free(s, FALSE);
}

static int64_t member_int(JsonObject *o, const char *name)
{
    JsonNode *n = json_object_get_member(o, name);
    return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_INT64 ? json_node_get_int(n)
                                                                                         : -1;
}

/* hex of exactly len bytes, matching its SHA-256 hex: the bytes, or -1. */
static int member_bytes(JsonObject *o, const char *bytes, const char *hash, int len, uint8_t *out)
{
    uint8_t want[PROOF_HASH_LEN], got[PROOF_HASH_LEN];
    const char *hex = json_object_get_string_member_with_default(o, bytes, NULL);
    const char *hh = json_object_get_string_member_with_default(o, hash, NULL);
    const void *parts[1] = {out};
    size_t lens[1] = {(size_t)len};
    if (!hex || strlen(hex) != (size_t)len * 2 || proof_unhex(hex, out, (size_t)len) < 0 || !hh ||
        proof_unhex(hh, want, PROOF_HASH_LEN) < 0 || pf_sha256(parts, lens, 1, got) < 0)
        return -1;
    return CRYPTO_memcmp(want, got, PROOF_HASH_LEN) ? -1 : 0;
}

int pf_patch_parse(ProofStreamModel *m, JsonObject *o, const char **why)
{
    JsonArray *a = json_object_has_member(o, "ranges") ? json_object_get_array_member(o, "ranges") : NULL;
    guint n = a ? json_array_get_length(a) : 0;
    int64_t prev_end = 0, cues = member_int(o, "cues");
    gsize total = 0;

    *why = "is not a PATCH record";
    if (m->patches) {
        *why = "patches the file a second time";
        return -1;
    }
    if (!m->closed) {
        *why = "comes before the file's final FILE record";
        return -1;
    }
    if (n < 1 || n > PF_PATCH_MAX_RANGES || cues < 0 || cues >= m->size)
        return -1;
    for (guint i = 0; i < n; i++) {
        JsonObject *r = json_array_get_object_element(a, i);
        int64_t len = r ? member_int(r, "len") : -1;
        if (len < 1 || len > PF_PATCH_MAX_LEN)
            return -1;
        total += (gsize)len * 2;
    }
    m->patches = g_malloc0(sizeof(ProofPatchRange) * n + total);
    uint8_t *bytes = (uint8_t *)(m->patches + n);
    for (guint i = 0; i < n; i++) {
        JsonObject *r = json_array_get_object_element(a, i);
        ProofPatchRange *p = &m->patches[i];
        uint8_t *before = bytes, *after = bytes + member_int(r, "len");
        p->off = member_int(r, "off");
        p->len = (int)member_int(r, "len");
        bytes += 2 * p->len;
        p->before = before;
        p->after = after;
        m->npatches = (int)i + 1;
        /* In file order, inside the header (before the appended Cues), each range's bytes and hashes agreeing. */
        if (p->off < prev_end || p->off + p->len > cues) {
            *why = "has ranges out of order or past the Cues";
            return -1;
        }
        if (member_bytes(r, "before", "hb", p->len, before) < 0 || member_bytes(r, "after", "ha", p->len, after) < 0) {
            *why = "has bytes that do not hash to its hashes";
            return -1;
        }
        prev_end = p->off + p->len;
    }
    m->cues_off = cues;
    return 0;
}

const uint8_t *pf_patch_view(const ProofStreamModel *m, int64_t pos, const uint8_t *buf, size_t len,
                             GByteArray *tmp, int64_t *bad, int64_t *unapplied)
{
    int copied = 0;
    for (int i = 0; i < m->npatches; i++) {
        const ProofPatchRange *p = &m->patches[i];
        int64_t a = p->off > pos ? p->off : pos;
        int64_t b = p->off + p->len < pos + (int64_t)len ? p->off + p->len : pos + (int64_t)len;
        if (a >= b)
            continue;
        if (!copied) {
            g_byte_array_set_size(tmp, 0);
            g_byte_array_append(tmp, buf, (guint)len);
            copied = 1;
        }
        for (int64_t k = a; k < b; k++) {
            /* The result, or (the recorder stopped during its close, after the record's commit) still the
             * streaming byte. */
            uint8_t got = buf[k - pos], was = p->before[k - p->off], want = p->after[k - p->off];
            if (got != want && got == was)
                (*unapplied)++;
            else if (*bad < 0 && got != want)
                *bad = k;
            tmp->data[k - pos] = p->before[k - p->off]; /* the streaming form, as the FILE records hash it */
        }
    }
    return copied ? tmp->data : buf;
}
