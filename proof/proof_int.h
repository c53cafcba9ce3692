/* onetake proof: internals shared by the files of proof/ (not a public header). */
#ifndef PROOF_INT_H
#define PROOF_INT_H

#include <stddef.h>
#include <stdint.h>

#include <glib.h>
#include <json-glib/json-glib.h>
#include <openssl/evp.h>

#include "proof.h"

#define PF_LOG_VERSION 1
/* The frame of one record in take.log: u32le length | record | u32le CRC-32 of (length bytes || record). */
#define PF_FRAME_OVERHEAD 8
#define PF_MAX_RECORD (16 * 1024 * 1024)
/* What the verifier reads at most: a cue list (typed by hand), a checkpoint (a few hundred bytes written), the
 * checkpoints beyond the log's records that a log cut short may leave, a .minisig and a public key file. */
#define PF_MAX_CUES_FILE (16 * 1024 * 1024)
#define PF_MAX_NOTE 2048
#define PF_MAX_NOTES_SLACK 4096
#define PF_MAX_SIG_FILE (16 * 1024)
#define PF_MAX_KEY_FILE (16 * 1024)
/* The longest stream file name a take log names ("iso/" + a 64-character camera name + ".mkv" fits). */
#define PF_MAX_FILE_NAME 128

/* The checkpoint's origin line: "onetake.take/<take id>". */
#define PF_ORIGIN_PREFIX "onetake.take/"
#define PF_STATION_NAME_PREFIX "onetake-station-" /* + key id (16 hex digits, as minisign prints it) */
#define PF_SESSION_NAME_PREFIX "onetake-session-" /* + take id */
/* What the station key signs to certify a session key (then "take ID\nsession BASE64\n"). */
#define PF_CERT_CONTEXT "onetake session certificate v1\n"

uint32_t pf_crc32(uint32_t crc, const uint8_t *buf, size_t len);
void pf_blake2b(uint8_t *out, size_t outlen, const void *const *parts, const size_t *lens, int nparts);
const EVP_MD *pf_sha256_md(void);
int pf_sha256(const void *const *parts, const size_t *lens, int nparts, uint8_t out[PROOF_HASH_LEN]);
int pf_packet_hash_ctx(EVP_MD_CTX *ctx, ProofPayload form, const uint8_t *data, size_t size,
                       uint8_t hash[PROOF_HASH_LEN], int64_t *norm_size);
void pf_strv_add(char ***strv, char *s);
/* Decode s (slen chars) only when it is exactly the canonical padded base64 of `want` bytes. 0 or -EINVAL. */
int pf_base64_strict(const char *s, size_t slen, uint8_t *out, size_t want);

/* A new in-memory Ed25519 key (the session key). */
ProofKey *pf_key_generate(void);
/* A public-only key from raw bytes (no key id: zeros). */
ProofKey *pf_key_from_raw_public(const uint8_t pk[PROOF_PK_LEN]);

/* The session certificate message (g_free). */
char *pf_cert_message(const char *take_id, const char *session_pk_b64);

/* The C2SP signed-note key hash: SHA-256(name || "\n" || 0x01 || pk)[0:4]. */
void pf_note_key_hash(const char *name, const uint8_t pk[PROOF_PK_LEN], uint8_t out[4]);
/* One signature line "— NAME BASE64(keyhash || sig)\n" for body (g_free). NULL on error. */
char *pf_note_sign_line(const ProofKey *key, const char *name, const char *body, size_t len);

/* Merkle tree (RFC 6962) built leaf by leaf: a stack of complete subtree roots. */
typedef struct PfMerkle {
    uint8_t (*stack)[PROOF_HASH_LEN];
    int *height;
    int n, cap;
    int64_t size;
    EVP_MD_CTX *ctx;
} PfMerkle;
int pf_merkle_init(PfMerkle *m);
void pf_merkle_free(PfMerkle *m);
/* Add the leaf for record (hashes 0x00 || record). */
int pf_merkle_add(PfMerkle *m, const uint8_t *record, size_t len);
/* The root of the leaves added so far (the empty tree: SHA-256 of nothing). */
void pf_merkle_root(PfMerkle *m, uint8_t root[PROOF_HASH_LEN]);

/* The PATCH record (proof_patch.c): its text (g_free), NULL on bad ranges. */
char *pf_patch_record(int index, const char *file, int64_t cues_off, const ProofPatchRange *r, int n,
                      size_t *len);
/* Read a PATCH record into m (a closed stream): 0, or -1 with why (a phrase after "PATCH record N"). */
int pf_patch_parse(ProofStreamModel *m, JsonObject *o, const char **why);
/* buf (file bytes at pos) as the FILE records hash them: the patched ranges' bytes before (copied to tmp);
 * *bad gets the first offset whose byte is neither the patch's result nor the streaming byte (when it is still
 * -1); *unapplied counts the bytes still as streamed. */
const uint8_t *pf_patch_view(const ProofStreamModel *m, int64_t pos, const uint8_t *buf, size_t len,
                             GByteArray *tmp, int64_t *bad, int64_t *unapplied);

#endif
