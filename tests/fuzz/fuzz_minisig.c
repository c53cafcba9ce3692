/* Fuzz the minisign signature reader (proof_minisign_verify_file) on the sample take's log with its station key. */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_common.h"
#include "proof.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static ProofKey *key;
    fuzz_quiet();
    const char *dir = fuzz_take_dir();
    char path[256], sig[256];
    snprintf(path, sizeof(path), "%s/take.log", dir);
    snprintf(sig, sizeof(sig), "%s/fuzz.minisig", dir);
    if (!key) {
        char pub[256];
        snprintf(pub, sizeof(pub), "%s/station.pub", dir);
        key = proof_key_load_public(pub);
        if (!key)
            abort();
    }
    fuzz_write(dir, "fuzz.minisig", data, size);
    const char *why = NULL;
    char *comment = NULL;
    (void)proof_minisign_verify_file(key, path, sig, &comment, &why);
    g_free(comment);
    return 0;
}
