/* onetake proof: small helpers shared by the writing and the reading side: hex, CRC-32, BLAKE2b (for
 * minisign's secret key checksum: OpenSSL 3.0 only has BLAKE2b-512), the normalised packet hash, the verdict;
 * and the JSON string helper of the take's writers (proof_json.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>
#include <json-glib/json-glib.h>
#include <openssl/evp.h>

#include "ot_common.h"
#include "proof.h"
#include "proof_int.h"
#include "proof_json.h"
#include "sw_timecode.h"

void proof_hex(const uint8_t *bytes, size_t len, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 15];
    }
    out[2 * len] = '\0';
}

int proof_unhex(const char *hex, uint8_t *out, size_t len)
{
    if (!hex || strlen(hex) != 2 * len)
        return -EINVAL;
    for (size_t i = 0; i < len; i++) {
        int hi = g_ascii_xdigit_value(hex[2 * i]), lo = g_ascii_xdigit_value(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -EINVAL;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

/* ---- JSON ---- */

void proof_json_add_string(JsonBuilder *b, const char *key, const char *value)
{
    if (key)
        json_builder_set_member_name(b, key);
    if (!value) {
        json_builder_add_null_value(b);
    } else if (g_utf8_validate(value, -1, NULL)) {
        json_builder_add_string_value(b, value);
    } else {
        char *valid = g_utf8_make_valid(value, -1);
        json_builder_add_string_value(b, valid);
        g_free(valid);
    }
}

/* ---- CRC-32 (IEEE, as zlib and Python's binascii.crc32) ---- */

int pf_base64_strict(const char *s, size_t slen, uint8_t *out, size_t want)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t pad = want % 3 ? 3 - want % 3 : 0;
    uint8_t *bytes;
    gsize n = 0;
    char *again;
    int ok;

    /* Exactly the canonical padded form of want bytes: no junk, no whitespace, no trailing bytes, no missing
     * or extra padding (what stock minisign and the C2SP note readers accept, and nothing more). */
    if (!s || slen != 4 * ((want + 2) / 3))
        return -EINVAL;
    for (size_t i = 0; i < slen; i++)
        if (i >= slen - pad ? s[i] != '=' : !memchr(alphabet, s[i], sizeof(alphabet) - 1))
            return -EINVAL;
    {
        char *copy = g_strndup(s, slen);
        bytes = g_base64_decode(copy, &n);
        g_free(copy);
    }
    if (n != want) {
        g_free(bytes);
        return -EINVAL;
    }
    again = g_base64_encode(bytes, n);
    ok = strlen(again) == slen && !memcmp(again, s, slen);
    if (ok)
        memcpy(out, bytes, want);
    g_free(again);
    g_free(bytes);
    return ok ? 0 : -EINVAL;
}

uint32_t pf_crc32(uint32_t crc, const uint8_t *buf, size_t len)
{
    static uint32_t table[256];
    static int ready; /* benign race: every thread computes the same table */
    if (!ready) {
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++)
                c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
        __atomic_store_n(&ready, 1, __ATOMIC_RELEASE);
    }
    crc = ~crc;
    for (size_t i = 0; i < len; i++)
        crc = table[(crc ^ buf[i]) & 0xFF] ^ (crc >> 8);
    return ~crc;
}

/* ---- BLAKE2b (RFC 7693), unkeyed, any output length up to 64 ---- */

static const uint64_t b2_iv[8] = {0x6a09e667f3bcc908ULL, 0xbb67ae8584caa73bULL, 0x3c6ef372fe94f82bULL,
                                  0xa54ff53a5f1d36f1ULL, 0x510e527fade682d1ULL, 0x9b05688c2b3e6c1fULL,
                                  0x1f83d9abfb41bd6bULL, 0x5be0cd19137e2179ULL};
static const uint8_t b2_sigma[12][16] = {
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
    {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
    {11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4},
    {7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8},
    {9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13},
    {2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9},
    {12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11},
    {13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10},
    {6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5},
    {10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0},
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
    {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
};

#define B2_ROTR(x, n) (((x) >> (n)) | ((x) << (64 - (n))))
#define B2_G(a, b, c, d, x, y)                                                                               \
    do {                                                                                                     \
        v[a] = v[a] + v[b] + (x);                                                                            \
        v[d] = B2_ROTR(v[d] ^ v[a], 32);                                                                     \
        v[c] = v[c] + v[d];                                                                                  \
        v[b] = B2_ROTR(v[b] ^ v[c], 24);                                                                     \
        v[a] = v[a] + v[b] + (y);                                                                            \
        v[d] = B2_ROTR(v[d] ^ v[a], 16);                                                                     \
        v[c] = v[c] + v[d];                                                                                  \
        v[b] = B2_ROTR(v[b] ^ v[c], 63);                                                                     \
    } while (0)

typedef struct B2 {
    uint64_t h[8], t[2];
    uint8_t b[128];
    size_t c, outlen;
} B2;

static void b2_compress(B2 *s, int last)
{
    uint64_t v[16], m[16];
    for (int i = 0; i < 8; i++) {
        v[i] = s->h[i];
        v[i + 8] = b2_iv[i];
    }
    v[12] ^= s->t[0];
    v[13] ^= s->t[1];
    if (last)
        v[14] = ~v[14];
    for (int i = 0; i < 16; i++) {
        uint64_t w = 0;
        for (int k = 7; k >= 0; k--)
            w = w << 8 | s->b[8 * i + k];
        m[i] = w;
    }
    for (int r = 0; r < 12; r++) {
        const uint8_t *sg = b2_sigma[r];
        B2_G(0, 4, 8, 12, m[sg[0]], m[sg[1]]);
        B2_G(1, 5, 9, 13, m[sg[2]], m[sg[3]]);
        B2_G(2, 6, 10, 14, m[sg[4]], m[sg[5]]);
        B2_G(3, 7, 11, 15, m[sg[6]], m[sg[7]]);
        B2_G(0, 5, 10, 15, m[sg[8]], m[sg[9]]);
        B2_G(1, 6, 11, 12, m[sg[10]], m[sg[11]]);
        B2_G(2, 7, 8, 13, m[sg[12]], m[sg[13]]);
        B2_G(3, 4, 9, 14, m[sg[14]], m[sg[15]]);
    }
    for (int i = 0; i < 8; i++)
        s->h[i] ^= v[i] ^ v[i + 8];
}

static void b2_update(B2 *s, const uint8_t *in, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (s->c == 128) {
            s->t[0] += s->c;
            if (s->t[0] < s->c)
                s->t[1]++;
            b2_compress(s, 0);
            s->c = 0;
        }
        s->b[s->c++] = in[i];
    }
}

void pf_blake2b(uint8_t *out, size_t outlen, const void *const *parts, const size_t *lens, int nparts)
{
    B2 s;
    memset(&s, 0, sizeof(s));
    s.outlen = outlen;
    for (int i = 0; i < 8; i++)
        s.h[i] = b2_iv[i];
    s.h[0] ^= 0x01010000 ^ (uint64_t)outlen;
    for (int i = 0; i < nparts; i++)
        b2_update(&s, parts[i], lens[i]);
    s.t[0] += s.c;
    if (s.t[0] < s.c)
        s.t[1]++;
    while (s.c < 128)
        s.b[s.c++] = 0;
    b2_compress(&s, 1);
    for (size_t i = 0; i < outlen; i++)
        out[i] = (uint8_t)(s.h[i >> 3] >> (8 * (i & 7)));
    OPENSSL_cleanse(&s, sizeof(s));
}

/* ---- SHA-256 ---- */

static EVP_MD *sha256_md;
static GOnce sha256_once = G_ONCE_INIT;

static gpointer fetch_sha256(gpointer unused)
{
    (void)unused;
    /* Fetched once: an implicit fetch per EVP_DigestInit costs a lookup each time. */
    sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
    return sha256_md;
}

const EVP_MD *pf_sha256_md(void)
{
    return g_once(&sha256_once, fetch_sha256, NULL);
}

int pf_sha256(const void *const *parts, const size_t *lens, int nparts, uint8_t out[PROOF_HASH_LEN])
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx && EVP_DigestInit_ex(ctx, pf_sha256_md(), NULL);
    for (int i = 0; ok && i < nparts; i++)
        ok = EVP_DigestUpdate(ctx, parts[i], lens[i]);
    ok = ok && EVP_DigestFinal_ex(ctx, out, NULL);
    EVP_MD_CTX_free(ctx);
    return ok ? 0 : -ENOMEM;
}

/* ---- the normalised packet hash ---- */

int proof_codec_is_audio(const char *codec)
{
    static const char *const audio[] = {"flac", "pcm_s16le", "pcm_f32le", "opus",
                                        "aac",  "vorbis",    "mp3",       NULL};
    for (int i = 0; codec && audio[i]; i++)
        if (!strcmp(codec, audio[i]))
            return 1;
    return 0;
}

ProofPayload proof_payload_for_codec(const char *codec)
{
    if (codec && (!strcmp(codec, "h264") || !strcmp(codec, "hevc") || !strcmp(codec, "h265")))
        return PROOF_PAYLOAD_ANNEXB;
    return PROOF_PAYLOAD_RAW;
}

static void hash_nal(EVP_MD_CTX *ctx, const uint8_t *nal, size_t len, int64_t *norm)
{
    uint8_t be[4] = {(uint8_t)(len >> 24), (uint8_t)(len >> 16), (uint8_t)(len >> 8), (uint8_t)len};
    EVP_DigestUpdate(ctx, be, 4);
    EVP_DigestUpdate(ctx, nal, len);
    *norm += 4 + (int64_t)len;
}

/* Start of the next start code (00 00 01) at or after i, or size. */
static size_t next_start_code(const uint8_t *d, size_t i, size_t size)
{
    for (; i + 2 < size; i++)
        if (d[i] == 0 && d[i + 1] == 0 && d[i + 2] == 1)
            return i;
    return size;
}

int pf_packet_hash_ctx(EVP_MD_CTX *ctx, ProofPayload form, const uint8_t *data, size_t size,
                       uint8_t hash[PROOF_HASH_LEN], int64_t *norm_size)
{
    int64_t norm = 0;

    if (!EVP_DigestInit_ex(ctx, pf_sha256_md(), NULL))
        return -ENOMEM;
    if (form == PROOF_PAYLOAD_RAW) {
        EVP_DigestUpdate(ctx, data, size);
        norm = (int64_t)size;
    } else if (form == PROOF_PAYLOAD_ANNEXB) {
        size_t i = next_start_code(data, 0, size);
        while (i < size) {
            size_t start = i + 3, end = next_start_code(data, start, size);
            size_t stop = end;
            /* A 4-byte start code and trailing_zero_8bits leave zeros at the end: a NAL unit never ends in 0.
             */
            while (stop > start && data[stop - 1] == 0)
                stop--;
            if (stop > start)
                hash_nal(ctx, data + start, stop - start, &norm);
            i = end;
        }
    } else {
        size_t n = form == PROOF_PAYLOAD_LP4 ? 4 : form == PROOF_PAYLOAD_LP2 ? 2 : 1;
        size_t i = 0;
        while (i + n <= size) {
            size_t len = 0;
            for (size_t k = 0; k < n; k++)
                len = len << 8 | data[i + k];
            i += n;
            if (len > size - i)
                return -EINVAL; /* a length past the end: not this form */
            if (len > 0)
                hash_nal(ctx, data + i, len, &norm);
            i += len;
        }
        if (i != size)
            return -EINVAL;
    }
    if (!EVP_DigestFinal_ex(ctx, hash, NULL))
        return -ENOMEM;
    if (norm_size)
        *norm_size = norm;
    return 0;
}

int proof_packet_hash(ProofPayload form, const uint8_t *data, size_t size, uint8_t hash[PROOF_HASH_LEN],
                      int64_t *norm_size)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ret;
    if (!ctx)
        return -ENOMEM;
    ret = pf_packet_hash_ctx(ctx, form, data, size, hash, norm_size);
    EVP_MD_CTX_free(ctx);
    return ret;
}

/* ---- the verdict ---- */

const char *proof_status_name(ProofStatus status)
{
    switch (status) {
    case PROOF_UNCUT:
        return "UNCUT";
    case PROOF_UNCUT_WITH_DECLARED_ANOMALIES:
        return "UNCUT_WITH_DECLARED_ANOMALIES";
    case PROOF_PARTIAL_AUTHENTIC:
        return "PARTIAL_AUTHENTIC";
    case PROOF_INVALID:
        return "INVALID";
    case PROOF_IO_ERROR:
        return "ERROR";
    }
    return "ERROR";
}

void proof_verdict_init(ProofVerdict *v)
{
    memset(v, 0, sizeof(*v));
    v->status = PROOF_UNCUT;
    v->frame = -1;
    v->end_frame = -1;
    v->rate_num = 30;
    v->rate_den = 1;
}

void proof_verdict_clear(ProofVerdict *v)
{
    g_free(v->check);
    g_free(v->what);
    g_free(v->file);
    g_free(v->take_id);
    g_free(v->station_keyid);
    g_strfreev(v->notes);
    g_strfreev(v->anomalies);
    g_strfreev(v->checked);
    g_strfreev(v->gaps);
    proof_verdict_init(v);
}

int proof_verdict_fail(ProofVerdict *v, ProofStatus status, const char *check, const char *file,
                       int64_t frame, const char *fmt, ...)
{
    va_list ap;
    if (v->status == PROOF_INVALID || v->status == PROOF_IO_ERROR)
        return -1; /* the first failure is the one reported */
    v->status = status;
    v->check = g_strdup(check);
    v->file = g_strdup(file);
    v->frame = frame;
    va_start(ap, fmt);
    v->what = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    return -1;
}

void pf_strv_add(char ***strv, char *s)
{
    guint n = *strv ? g_strv_length(*strv) : 0;
    *strv = g_renew(char *, *strv, n + 2);
    (*strv)[n] = s;
    (*strv)[n + 1] = NULL;
}

void proof_verdict_note(ProofVerdict *v, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pf_strv_add(&v->notes, g_strdup_vprintf(fmt, ap));
    va_end(ap);
}

void proof_verdict_gap(ProofVerdict *v, int64_t first, int64_t last, int declared)
{
    pf_strv_add(&v->gaps, g_strdup_printf("%" PRId64 "-%" PRId64 "%s", first, last, declared ? "" : " undeclared"));
}

void proof_verdict_checked(ProofVerdict *v, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pf_strv_add(&v->checked, g_strdup_vprintf(fmt, ap));
    va_end(ap);
}

const char *proof_verdict_timecode(const ProofVerdict *v, int64_t frame, char *buf, int size)
{
    SwRate rate = {v->rate_num > 0 ? v->rate_num : 30, v->rate_den > 0 ? v->rate_den : 1};
    if (frame < 0) {
        g_strlcpy(buf, "-", (gsize)size);
        return buf;
    }
    return sw_timecode_format(rate, v->drop_frame, frame, buf, size);
}
