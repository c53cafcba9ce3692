/* Fuzz the take log reader: take.log (framing, GENESIS JSON, records) of the sample take, through
 * proof_take_open as verify calls it. The other files are the sample's own. */
#include "fuzz_common.h"
#include "proof.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_quiet();
    const char *dir = fuzz_take_dir();
    fuzz_write(dir, FUZZ_TAKE_FILE, data, size);
    ProofVerdict v;
    proof_verdict_init(&v);
    ProofTake *take = proof_take_open(dir, NULL, &v);
    if (take)
        proof_take_free(&take);
    proof_verdict_clear(&v);
    return 0;
}
