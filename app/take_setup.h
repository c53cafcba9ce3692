/* onetake app: what record and replay share to make a take: the take folder, its cameras, the program writer,
 * the runner and its sinks, the end of the run, the close, and the abort that leaves nothing behind. */
#ifndef TAKE_SETUP_H
#define TAKE_SETUP_H

#include <glib.h>

#include "app_proof.h"
#include "capture.h"
#include "mux.h"
#include "sw_runner.h"
#include "sw_switcher.h"

/* The program audio's Matroska titles and, after its first track, its stems (--audio-track): channels, titles,
 * ROLE tags (the take log's stream roles). Set by the caller before app_take_proof_describe. */
typedef struct AppAudioStems {
    const char *first_title; /* NULL: none */
    int n;
    int channels[SW_AUDIO_MAX_TRACKS - 1];
    const char *titles[SW_AUDIO_MAX_TRACKS - 1];
    const char *roles[SW_AUDIO_MAX_TRACKS - 1];
} AppAudioStems;

typedef struct AppTake {
    /* What the take is, as its take.json says: the program and the take log's description are made from it,
     * so that they say the same. Its strings are the caller's, kept for the take's life. */
    MuxTakeConfig cfg;
    MuxTake *take;
    CapCamera *cams[SW_MAX_CAMS]; /* cfg.ncams */
    MuxWriter *writer;            /* program.mkv */
    MuxIso *iso;                  /* set by the caller (record --iso); NULL: no ISOs */
    SwSwitcher *sw;               /* made by the caller before app_take_start_runner */
    SwRunner *runner;
    /* Subtitle languages (set by the caller before app_take_proof_describe and app_take_open_program): one
     * track of program.mkv and one stream of the take log each. Borrowed. */
    const char *const *sub_langs;
    int sub_nlangs;
    AppAudioStems stems; /* record's --audio-track (none: zeroed) */
    const MuxStreamConfig *streams; /* record's --stream (set before app_take_open_program), or NULL */
} AppTake;

/* The take folder (mux_take_create: a folder that holds anything is refused). 0 or OT_ERROR_TAKE (logged). */
int app_take_create(AppTake *t, const MuxTakeConfig *cfg);

/* Called for each camera between cap_camera_alloc and cap_camera_start (a preview branch, a live clock).
 * 0 or negative: the camera is not started. */
typedef int (*AppCameraHook)(void *opaque, int cam, CapCamera *camera);

/* One camera per cfg.cams from its cfg.sources (for replay: its ISO), each started before the next. 0 or
 * negative: the hook's or the camera's error, OT_ERROR_SOURCE when a camera cannot be made. */
int app_take_start_cameras(AppTake *t, const CapFormat *fmt, int timeout_ms, AppCameraHook hook,
                           void *hook_opaque);

/* The take log's description of the take from cfg (cameras, sources, format, GOP, cue list, ISOs, command
 * line), so that it says what take.json says; the caller adds how it was paced and the audio. */
void app_take_proof_describe(const AppTake *t, AppProofTake *pt);

/* The program writer: program.mkv in the take folder as cfg says (codec, size, rate, GOP, preset), titled
 * title, from timecode. With a take log (proof, may be NULL), the program is its stream 0. 0, OT_ERROR_CODEC
 * or -ENOMEM (the muxer logs why). */
int app_take_open_program(AppTake *t, const char *title, const char *timecode, int audio_channels,
                          AppProof *proof);

/* The runner of t->sw over the cameras, with its sinks in order: cuts.jsonl, the program, the ISOs. 0 or
 * -ENOMEM (no switcher or no runner). */
int app_take_start_runner(AppTake *t, const SwRunnerConfig *rc);

typedef struct AppTakeEnd {
    SwRunnerStats stats;
    MuxOutputStats program;
    int error;     /* the run's, else the program's; app_take_close adds take.json's */
    int iso_error; /* 0 without ISOs */
    double wall_seconds;
} AppTakeEnd;

/* After the run (run_ret: what it returned): every frame written (program, then ISOs), the wall time since
 * start_us, the cameras stopped, the counts. */
void app_take_finish(AppTake *t, int run_ret, gint64 start_us, AppTakeEnd *end);

/* take.json closed (or failed, with end->error) with end's counts and what sum already holds (ISOs, live,
 * audio). end->error gets take.json's error when it had none. */
void app_take_close(AppTake *t, AppTakeEnd *end, MuxTakeSummary *sum);

/* Nothing was recorded: free what was opened and remove the take folder, so that nothing that looks like a
 * take is left behind. proof (may be NULL): its take log's files go with the folder. */
void app_take_abort(AppTake *t, AppProof *proof);

void app_take_free(AppTake *t);

#endif
