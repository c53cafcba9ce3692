/* onetake proof: Ed25519 keys in minisign's formats, minisign signatures, the signed-note signature lines.
 *
 * minisign formats (https://jedisct1.github.io/minisign/), all base64 lines under an "untrusted comment:"
 * line: public key  "Ed" || key id (8) || public key (32) secret key  "Ed" || kdf "\0\0" (unencrypted) ||
 * "B2" || salt (32) || opslimit (8) || memlimit (8) || key id (8)
 *               || secret key (64: seed || public key) || BLAKE2b-256("Ed" || key id || secret key)
 *   signature   "ED" || key id || Ed25519(BLAKE2b-512(file)), then "trusted comment: TEXT" and
 *               Ed25519(signature || TEXT) */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "ot_common.h"
#include "proof.h"
#include "proof_int.h"

#define MS_SECKEY_LEN 158
#define MS_PUBKEY_LEN 42
#define MS_SIG_LEN 74

struct ProofKey {
    EVP_PKEY *pkey;
    int secret;
    uint8_t pk[PROOF_PK_LEN];
    uint8_t keyid[PROOF_KEYID_LEN];
};

static ProofKey *key_wrap(EVP_PKEY *pkey, int secret, const uint8_t *keyid)
{
    ProofKey *key = g_new0(ProofKey, 1);
    size_t len = PROOF_PK_LEN;
    key->pkey = pkey;
    key->secret = secret;
    if (keyid)
        memcpy(key->keyid, keyid, PROOF_KEYID_LEN);
    if (!EVP_PKEY_get_raw_public_key(pkey, key->pk, &len) || len != PROOF_PK_LEN) {
        proof_key_free(&key);
        return NULL;
    }
    return key;
}

ProofKey *pf_key_generate(void)
{
    EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    return pkey ? key_wrap(pkey, 1, NULL) : NULL;
}

ProofKey *pf_key_from_raw_public(const uint8_t pk[PROOF_PK_LEN])
{
    EVP_PKEY *pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pk, PROOF_PK_LEN);
    return pkey ? key_wrap(pkey, 0, NULL) : NULL;
}

void proof_key_free(ProofKey **pkey)
{
    ProofKey *key = pkey ? *pkey : NULL;
    if (!key)
        return;
    /* OpenSSL clears the private key's memory when it frees it (OPENSSL_secure_clear_free). */
    EVP_PKEY_free(key->pkey);
    OPENSSL_cleanse(key, sizeof(*key));
    g_free(key);
    *pkey = NULL;
}

int proof_key_has_secret(const ProofKey *key)
{
    return key && key->secret;
}

const uint8_t *proof_key_public(const ProofKey *key)
{
    return key ? key->pk : NULL;
}

const uint8_t *proof_key_id(const ProofKey *key)
{
    return key ? key->keyid : NULL;
}

char *proof_key_id_hex(const ProofKey *key, char *buf)
{
    uint64_t id = 0;
    for (int i = PROOF_KEYID_LEN - 1; i >= 0; i--)
        id = id << 8 | key->keyid[i];
    snprintf(buf, 17, "%016llX", (unsigned long long)id);
    return buf;
}

char *proof_key_public_base64(const ProofKey *key)
{
    uint8_t raw[MS_PUBKEY_LEN];
    memcpy(raw, "Ed", 2);
    memcpy(raw + 2, key->keyid, PROOF_KEYID_LEN);
    memcpy(raw + 10, key->pk, PROOF_PK_LEN);
    return g_base64_encode(raw, sizeof(raw));
}

int proof_key_sign(const ProofKey *key, const void *msg, size_t len, uint8_t sig[PROOF_SIG_LEN])
{
    EVP_MD_CTX *ctx;
    size_t siglen = PROOF_SIG_LEN;
    int ok;

    if (!key || !key->secret)
        return -EINVAL;
    ctx = EVP_MD_CTX_new();
    ok = ctx && EVP_DigestSignInit_ex(ctx, NULL, NULL, NULL, NULL, key->pkey, NULL) == 1 &&
         EVP_DigestSign(ctx, sig, &siglen, msg, len) == 1 && siglen == PROOF_SIG_LEN;
    EVP_MD_CTX_free(ctx);
    if (!ok) {
        ot_log(OT_LOG_ERROR, "proof", "Ed25519 signing failed (OpenSSL)");
        return -EIO;
    }
    return 0;
}

int proof_key_verify(const ProofKey *key, const void *msg, size_t len, const uint8_t sig[PROOF_SIG_LEN])
{
    EVP_MD_CTX *ctx;
    int ok;

    if (!key)
        return 0;
    ctx = EVP_MD_CTX_new();
    ok = ctx && EVP_DigestVerifyInit_ex(ctx, NULL, NULL, NULL, NULL, key->pkey, NULL) == 1 &&
         EVP_DigestVerify(ctx, sig, PROOF_SIG_LEN, msg, len) == 1;
    EVP_MD_CTX_free(ctx);
    return ok;
}

/* ---- files ---- */

/* Create path (O_EXCL, mode) holding text, synced. */
static int write_new_file(const char *path, const char *text, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    int ret;
    if (fd < 0)
        return -errno;
    ret = ot_write_all(fd, text, strlen(text));
    if (!ret && fsync(fd) < 0)
        ret = -errno;
    if (close(fd) < 0 && !ret)
        ret = -errno;
    if (ret)
        unlink(path);
    return ret;
}

/* The base64 payload line of a minisign file: the line after "untrusted comment:", or the first line. */
/* The length of line without the "\r" and "\n" that end it (what minisign's trim() removes, and nothing
 * more). */
static size_t trimmed_len(const char *line)
{
    size_t n = strlen(line);
    while (n > 0 && (line[n - 1] == '\r' || line[n - 1] == '\n'))
        n--;
    return n;
}

/* The key line of a minisign key file (after an optional "untrusted comment:" line), decoded only when it is
 * exactly the base64 of `want` bytes, as minisign reads it. g_free; NULL when it is not. */
static uint8_t *read_b64_line(const char *text, size_t want)
{
    char **lines = g_strsplit(text, "\n", 4);
    const char *line = NULL;
    uint8_t *raw = NULL;

    for (int i = 0; lines[i]; i++) {
        if (!trimmed_len(lines[i]) || (i == 0 && g_str_has_prefix(lines[i], "untrusted comment:")))
            continue;
        line = lines[i];
        break;
    }
    if (line) {
        raw = g_malloc(want);
        if (pf_base64_strict(line, trimmed_len(line), raw, want) < 0) {
            g_free(raw);
            raw = NULL;
        }
    }
    g_strfreev(lines);
    return raw;
}

static void seckey_checksum(const uint8_t *sk_struct, uint8_t out[32])
{
    /* BLAKE2b-256(sig_alg || key id || secret key), as minisign's seckey_compute_chk. */
    const void *parts[] = {sk_struct, sk_struct + 54, sk_struct + 62};
    const size_t lens[] = {2, 8, 64};
    pf_blake2b(out, 32, parts, lens, 3);
}

int proof_keygen(const char *path)
{
    uint8_t sk[MS_SECKEY_LEN] = {0};
    uint8_t seed[32];
    size_t seedlen = sizeof(seed);
    ProofKey *key = NULL;
    char *pub_path = NULL, *b64 = NULL, *text = NULL, *pub_b64 = NULL, *pub_text = NULL;
    char kid[17];
    int ret = -EIO;

    if (!path || !*path)
        return -EINVAL;
    pub_path = g_strconcat(path, ".pub", NULL);
    if (g_file_test(path, G_FILE_TEST_EXISTS) || g_file_test(pub_path, G_FILE_TEST_EXISTS)) {
        ot_log(OT_LOG_ERROR, "proof", "\"%s\" exists: onetake never overwrites a key; choose another --out",
               g_file_test(path, G_FILE_TEST_EXISTS) ? path : pub_path);
        ret = -EEXIST;
        goto out;
    }
    key = pf_key_generate();
    if (!key || RAND_bytes(key->keyid, PROOF_KEYID_LEN) != 1 ||
        !EVP_PKEY_get_raw_private_key(key->pkey, seed, &seedlen) || seedlen != 32) {
        ot_log(OT_LOG_ERROR, "proof", "cannot generate an Ed25519 key (OpenSSL)");
        goto out;
    }
    memcpy(sk, "Ed", 2);
    /* sk[2..3] = 0: kdf none (unencrypted, as `minisign -G -W`); salt, opslimit and memlimit stay 0. */
    memcpy(sk + 4, "B2", 2);
    memcpy(sk + 54, key->keyid, 8);
    memcpy(sk + 62, seed, 32);
    memcpy(sk + 94, key->pk, 32);
    seckey_checksum(sk, sk + 126);
    b64 = g_base64_encode(sk, sizeof(sk));
    text = g_strdup_printf("untrusted comment: onetake station secret key %s (minisign format, unencrypted: "
                           "keep it private)\n%s\n",
                           proof_key_id_hex(key, kid), b64);
    ret = write_new_file(path, text, 0600);
    if (ret) {
        ot_log(OT_LOG_ERROR, "proof", "cannot create \"%s\": %s: choose a folder you can write to", path,
               ot_strerror(ret));
        goto out;
    }
    ret = proof_key_write_public(key, pub_path);
    if (ret)
        unlink(path);
out:
    OPENSSL_cleanse(sk, sizeof(sk));
    OPENSSL_cleanse(seed, sizeof(seed));
    if (b64)
        OPENSSL_cleanse(b64, strlen(b64));
    if (text)
        OPENSSL_cleanse(text, strlen(text));
    g_free(b64);
    g_free(text);
    g_free(pub_b64);
    g_free(pub_text);
    g_free(pub_path);
    proof_key_free(&key);
    return ret;
}

int proof_key_write_public(const ProofKey *key, const char *path)
{
    char kid[17];
    char *b64 = proof_key_public_base64(key);
    char *text =
        g_strdup_printf("untrusted comment: minisign public key %s\n%s\n", proof_key_id_hex(key, kid), b64);
    int ret = write_new_file(path, text, 0644);
    if (ret)
        ot_log(OT_LOG_ERROR, "proof", "cannot create \"%s\": %s", path, ot_strerror(ret));
    g_free(b64);
    g_free(text);
    return ret;
}

ProofKey *proof_key_load(const char *path)
{
    char *text = NULL;
    size_t text_len = 0;
    uint8_t *raw = NULL;
    size_t len = MS_SECKEY_LEN;
    uint8_t chk[32];
    EVP_PKEY *pkey;
    ProofKey *key = NULL;
    const char *why = NULL;
    int err = proof_file_read_regular(path, PF_MAX_KEY_FILE, &text, &text_len);

    if (err < 0) {
        ot_log(OT_LOG_ERROR, "proof", "cannot read station key \"%s\": %s: give a key made by onetake keygen",
               path, proof_file_why(err));
        return NULL;
    }
    raw = read_b64_line(text, MS_SECKEY_LEN);
    if (!raw || memcmp(raw, "Ed", 2) || memcmp(raw + 4, "B2", 2)) {
        why = "not a minisign secret key";
        goto fail;
    }
    if (raw[2] || raw[3]) {
        why =
            "an encrypted minisign key: remove its password (minisign -C -W) or make one with onetake keygen";
        goto fail;
    }
    seckey_checksum(raw, chk);
    if (CRYPTO_memcmp(chk, raw + 126, 32)) {
        why = "its checksum does not match (damaged file)";
        goto fail;
    }
    pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, raw + 62, 32);
    key = pkey ? key_wrap(pkey, 1, raw + 54) : NULL;
    if (!key || CRYPTO_memcmp(key->pk, raw + 94, 32)) {
        why = "its public half does not match its secret half (damaged file)";
        proof_key_free(&key);
        goto fail;
    }
    OPENSSL_cleanse(raw, len);
    OPENSSL_cleanse(text, text_len);
    g_free(raw);
    g_free(text);
    return key;

fail:
    ot_log(OT_LOG_ERROR, "proof", "station key \"%s\" is %s", path, why);
    if (raw)
        OPENSSL_cleanse(raw, len);
    OPENSSL_cleanse(text, text_len);
    g_free(raw);
    g_free(text);
    return NULL;
}

ProofKey *proof_key_from_base64(const char *b64)
{
    uint8_t raw[MS_PUBKEY_LEN];
    ProofKey *key = NULL;

    if (b64 && pf_base64_strict(b64, strlen(b64), raw, sizeof(raw)) == 0 && !memcmp(raw, "Ed", 2)) {
        key = pf_key_from_raw_public(raw + 10);
        if (key)
            memcpy(key->keyid, raw + 2, PROOF_KEYID_LEN);
    }
    return key;
}

ProofKey *proof_key_load_public(const char *path)
{
    char *text = NULL;
    uint8_t *raw;
    ProofKey *key = NULL;
    int err = proof_file_read_regular(path, PF_MAX_KEY_FILE, &text, NULL);

    if (err < 0) {
        ot_log(OT_LOG_ERROR, "proof", "cannot read public key \"%s\": %s", path, proof_file_why(err));
        return NULL;
    }
    raw = read_b64_line(text, MS_PUBKEY_LEN);
    if (raw && !memcmp(raw, "Ed", 2)) {
        key = pf_key_from_raw_public(raw + 10);
        if (key)
            memcpy(key->keyid, raw + 2, PROOF_KEYID_LEN);
    }
    if (!key)
        ot_log(OT_LOG_ERROR, "proof",
               "\"%s\" is not a minisign public key: give the .pub file made by onetake keygen", path);
    g_free(raw);
    g_free(text);
    return key;
}

char *proof_key_default_path(void)
{
    return g_build_filename(g_get_user_config_dir(), "onetake", "station.key", NULL);
}

ProofKey *proof_key_load_default(int *created)
{
    char *path = proof_key_default_path();
    char *dir = g_path_get_dirname(path);
    char *tmp = NULL;
    ProofKey *key = NULL;

    *created = 0;
    if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
        if (g_mkdir_with_parents(dir, 0700) < 0) {
            ot_log(OT_LOG_ERROR, "proof", "cannot create \"%s\": %s: give a station key with --key", dir,
                   ot_strerror(-errno));
            goto out;
        }
        /* Made aside and linked in place: two recorders starting at once end up with the same key. */
        tmp = g_strdup_printf("%s.%d.tmp", path, (int)getpid());
        if (proof_keygen(tmp) < 0)
            goto out;
        if (link(tmp, path) == 0) {
            char *tmp_pub = g_strconcat(tmp, ".pub", NULL), *pub = g_strconcat(path, ".pub", NULL);
            if (rename(tmp_pub, pub) < 0)
                ot_log(OT_LOG_WARNING, "proof", "cannot rename \"%s\": %s", tmp_pub, ot_strerror(-errno));
            g_free(tmp_pub);
            g_free(pub);
            *created = 1;
        } else {
            char *tmp_pub = g_strconcat(tmp, ".pub", NULL);
            unlink(tmp_pub);
            g_free(tmp_pub);
        }
        unlink(tmp);
    }
    key = proof_key_load(path);
out:
    g_free(tmp);
    g_free(dir);
    g_free(path);
    return key;
}

/* ---- minisign signatures ---- */

static int blake2b512_file(const char *path, uint8_t out[64])
{
    EVP_MD *md = EVP_MD_fetch(NULL, "BLAKE2B-512", NULL);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    uint8_t *buf = g_malloc(1 << 16);
    int fd = proof_file_open_regular(path, NULL);
    int ret = 0;

    if (fd < 0) {
        ret = fd;
        goto out;
    }
    if (!md || !ctx || !EVP_DigestInit_ex(ctx, md, NULL)) {
        ret = -ENOSYS;
        goto out;
    }
    for (;;) {
        ssize_t n = read(fd, buf, 1 << 16);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            ret = -errno;
            goto out;
        }
        if (n == 0)
            break;
        EVP_DigestUpdate(ctx, buf, (size_t)n);
    }
    if (!EVP_DigestFinal_ex(ctx, out, NULL))
        ret = -EIO;
out:
    if (fd >= 0)
        close(fd);
    g_free(buf);
    EVP_MD_CTX_free(ctx);
    EVP_MD_free(md);
    return ret;
}

int proof_minisign_sign_file(const ProofKey *key, const char *path, const char *sig_path,
                             const char *trusted_comment)
{
    uint8_t digest[64], sig[MS_SIG_LEN], global[PROOF_SIG_LEN];
    char *comment = NULL, *base = NULL, *b64 = NULL, *gb64 = NULL, *text = NULL, *msg = NULL;
    size_t clen;
    char kid[17];
    int ret;

    if (!proof_key_has_secret(key) || !path || !sig_path)
        return -EINVAL;
    ret = blake2b512_file(path, digest);
    if (ret < 0) {
        ot_log(OT_LOG_ERROR, "proof", "cannot read \"%s\" to sign it: %s", path, ot_strerror(ret));
        return ret;
    }
    base = g_path_get_basename(path);
    comment = trusted_comment ? g_strdup(trusted_comment) : g_strdup_printf("file:%s", base);
    g_strdelimit(comment, "\r\n", ' '); /* one line */
    memcpy(sig, "ED", 2);
    memcpy(sig + 2, key->keyid, PROOF_KEYID_LEN);
    ret = proof_key_sign(key, digest, sizeof(digest), sig + 10);
    if (ret < 0)
        goto out;
    clen = strlen(comment);
    msg = g_malloc(PROOF_SIG_LEN + clen);
    memcpy(msg, sig + 10, PROOF_SIG_LEN);
    memcpy(msg + PROOF_SIG_LEN, comment, clen);
    ret = proof_key_sign(key, msg, PROOF_SIG_LEN + clen, global);
    if (ret < 0)
        goto out;
    b64 = g_base64_encode(sig, sizeof(sig));
    gb64 = g_base64_encode(global, sizeof(global));
    text = g_strdup_printf(
        "untrusted comment: signature from onetake station key %s\n%s\ntrusted comment: %s\n%s\n",
        proof_key_id_hex(key, kid), b64, comment, gb64);
    ret = write_new_file(sig_path, text, 0644);
    if (ret)
        ot_log(OT_LOG_ERROR, "proof", "cannot create signature \"%s\": %s", sig_path, ot_strerror(ret));
out:
    g_free(base);
    g_free(comment);
    g_free(msg);
    g_free(b64);
    g_free(gb64);
    g_free(text);
    return ret;
}

int proof_minisign_verify_file(const ProofKey *key, const char *path, const char *sig_path,
                               char **trusted_comment, const char **why)
{
    char *text = NULL;
    char **lines = NULL;
    uint8_t sig[MS_SIG_LEN], global[PROOF_SIG_LEN];
    uint8_t digest[64];
    char *comment;
    char *msg = NULL;
    int ret = 0;
    const char *dummy;

    if (!why)
        why = &dummy;
    *why = NULL;
    if (trusted_comment)
        *trusted_comment = NULL;
    ret = proof_file_read_regular(sig_path, PF_MAX_SIG_FILE, &text, NULL);
    if (ret < 0)
        return ret;
    /* As minisign -V reads it: four lines, each without its line end; the two signatures exactly base64. */
    lines = g_strsplit(text, "\n", 5);
    if (g_strv_length(lines) < 4 || !g_str_has_prefix(lines[0], "untrusted comment: ") ||
        !g_str_has_prefix(lines[2], "trusted comment: ")) {
        *why = "not a minisign signature file";
        goto out;
    }
    for (int i = 0; i < 4; i++)
        lines[i][trimmed_len(lines[i])] = 0;
    if (pf_base64_strict(lines[1], strlen(lines[1]), sig, sizeof(sig)) < 0 ||
        pf_base64_strict(lines[3], strlen(lines[3]), global, sizeof(global)) < 0 ||
        (memcmp(sig, "ED", 2) && memcmp(sig, "Ed", 2))) {
        *why = "not a minisign signature file (its base64 is not exactly a signature's, as minisign -V "
               "requires)";
        goto out;
    }
    if (memcmp(sig + 2, key->keyid, PROOF_KEYID_LEN)) {
        *why = "signed by another key (key id differs)";
        goto out;
    }
    comment = lines[2] + strlen("trusted comment: ");
    msg = g_malloc(PROOF_SIG_LEN + strlen(comment));
    memcpy(msg, sig + 10, PROOF_SIG_LEN);
    memcpy(msg + PROOF_SIG_LEN, comment, strlen(comment));
    if (!proof_key_verify(key, msg, PROOF_SIG_LEN + strlen(comment), global)) {
        *why = "the trusted comment's signature is invalid";
        goto out;
    }
    if (!memcmp(sig, "ED", 2)) {
        ret = blake2b512_file(path, digest);
        if (ret < 0)
            goto out;
        ret = proof_key_verify(key, digest, sizeof(digest), sig + 10);
    } else {
        char *data = NULL;
        size_t dlen = 0;
        /* The legacy form signs the bytes themselves: only for small files (minisign's own limit is 1 GB). */
        ret = proof_file_read_regular(path, (int64_t)1 << 30, &data, &dlen);
        if (ret < 0)
            goto out;
        ret = proof_key_verify(key, data, dlen, sig + 10);
        g_free(data);
    }
    if (!ret)
        *why = "the file's signature is invalid (the file differs from what was signed)";
    else if (trusted_comment)
        *trusted_comment = g_strdup(comment);
out:
    g_free(msg);
    g_strfreev(lines);
    g_free(text);
    return ret;
}

/* ---- signed notes ---- */

char *pf_cert_message(const char *take_id, const char *session_pk_b64)
{
    return g_strdup_printf(PF_CERT_CONTEXT "take %s\nsession %s\n", take_id, session_pk_b64);
}

void pf_note_key_hash(const char *name, const uint8_t pk[PROOF_PK_LEN], uint8_t out[4])
{
    uint8_t full[PROOF_HASH_LEN];
    const uint8_t alg = 0x01; /* Ed25519 */
    const void *parts[] = {name, "\n", &alg, pk};
    const size_t lens[] = {strlen(name), 1, 1, PROOF_PK_LEN};
    pf_sha256(parts, lens, 4, full);
    memcpy(out, full, 4);
}

char *pf_note_sign_line(const ProofKey *key, const char *name, const char *body, size_t len)
{
    uint8_t blob[4 + PROOF_SIG_LEN];
    char *b64, *line;

    pf_note_key_hash(name, key->pk, blob);
    if (proof_key_sign(key, body, len, blob + 4) < 0)
        return NULL;
    b64 = g_base64_encode(blob, sizeof(blob));
    line = g_strdup_printf("\xe2\x80\x94 %s %s\n", name, b64);
    g_free(b64);
    return line;
}
