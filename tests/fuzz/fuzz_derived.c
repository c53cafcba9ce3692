/* Fuzz the readers of the files derived from the log (take.json, cuts.jsonl) as verify, replay and archive
 * read them: mux_take_info_load, mux_cut_log_load and mux_verify_derived against the sample take's own log.
 */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_common.h"
#include "mux.h"
#include "mux_verify.h"
#include "proof.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_quiet();
    const char *dir = fuzz_take_dir();
    fuzz_write(dir, FUZZ_TAKE_FILE, data, size);
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", dir, FUZZ_TAKE_FILE);
    MuxTakeInfo *info = mux_take_info_load(dir);
    mux_take_info_free(&info);
    MuxCutLog *log = mux_cut_log_load(path, fuzz_cams, FUZZ_NCAMS);
    mux_cut_log_free(&log);
    ProofVerdict v;
    proof_verdict_init(&v);
    ProofTake *take = proof_take_open(dir, NULL, &v);
    if (take) {
        mux_verify_derived(dir, take, &v);
        proof_take_free(&take);
    }
    proof_verdict_clear(&v);
    return 0;
}
