/* onetake app: wiring the proof (proof/proof.h) into a take: the station key, the take log and its streams.
 */
#ifndef APP_PROOF_H
#define APP_PROOF_H

#include "mux.h"
#include "proof.h"
#include "sw_runner.h"

typedef struct AppProof {
    int disabled;      /* --no-proof / OT_NO_PROOF=1 (benchmarks): no take log at all */
    ProofKey *station; /* with its secret half */
    ProofLog *log;
    int nstreams; /* program (stream 0), then one per ISO when the ISOs are wired, then the program audio */
    int audio_stream; /* the program audio's stream (a second track of program.mkv), -1: none */
    int sub_stream;   /* the first subtitle language's stream (then one per language), -1: none */
    int sub_nlangs;
    int nstems;       /* its stems' streams follow it */
    int iso_audio_stream[SW_MAX_CAMS]; /* the ISOs' own audio (a track of iso/NAME.mkv), after them; -1: none */
} AppProof;

/* Load the station key: `path` (--key), or the user's default key, made on first use (said on stderr).
 * disabled: no key, no log. 0 or negative (logged with a fix). Nothing is written in the take folder. */
int app_proof_load_key(AppProof *p, const char *path, int disabled);

typedef struct AppProofTake {
    const MuxTake *take;
    const char *const *cams;
    const char *const *sources;
    int ncams;
    SwRate rate;
    int width, height;
    MuxCodec codec;
    int gop;
    int has_cues;       /* the take folder holds cues.txt */
    int live;           /* production paced by the clock (live sources or real-time pacing) */
    const char *pacing; /* how the take was paced, for the record */
    const char
        *iso_codec; /* NULL, or the ISO codec when every camera's ISO is in the log (streams 1..ncams) */
    const char *command_line;
    int audio_channels; /* program audio in program.mkv (0: none) */
    const char *const *sub_langs; /* subtitle tracks of program.mkv, in order (sub_nlangs 0: none) */
    int sub_nlangs;
    int nstems;         /* more program audio tracks (stems), after the first, with their roles */
    const char *const *stem_roles;
    const char *const *iso_audio; /* per camera, its ISO's audio codec ("flac"; a copy's own), NULL: none */
} AppProofTake;

/* Create the take log (GENESIS, first checkpoint) in the take folder. 0 or negative (logged). No-op when
 * disabled. */
int app_proof_start(AppProof *p, const AppProofTake *t);
/* Fill the proof fields of an output's config: stream `stream` of the log, the GENESIS tag, and (stream 0,
 * the program) the log itself, so that the program's mux thread commits it. No-op when disabled. */
void app_proof_output(AppProof *p, int stream, MuxOutputConfig *oc);
/* MuxIsoConfig.configure: ISO `cam` is stream 1 + cam. opaque: the AppProof. */
void app_proof_iso_configure(void *opaque, int cam, MuxOutputConfig *oc);
/* After every output is closed: CLOSE, final checkpoint, take.log.minisig. 0 or negative (logged). */
int app_proof_close(AppProof *p, const SwRunnerStats *st, int error);
void app_proof_free(AppProof *p);

#endif
