/* Fuzz the minisign public key readers: the base64 line (proof_key_from_base64, --pubkey's text) and the key
 * file (proof_key_load_public: comment line + base64 line, or the line alone). */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_common.h"
#include "proof.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_quiet();
    char *s = fuzz_cstr(data, size);
    ProofKey *k = proof_key_from_base64(s);
    proof_key_free(&k);
    free(s);
    const char *dir = fuzz_tmpdir();
    fuzz_write(dir, "key.pub", data, size);
    char path[256];
    snprintf(path, sizeof(path), "%s/key.pub", dir);
    k = proof_key_load_public(path);
    if (k) {
        char *b64 = proof_key_public_base64(k);
        g_free(b64);
        proof_key_free(&k);
    }
    return 0;
}
