/* onetake record: program audio tracks beyond the first (record_audio.c): --audio-track NAME=SOURCE and
 * --audio-channels N, their checks before anything is opened, their sources, and what the runner, the program
 * output, the summary and take.json need of them. Owned by RecordLive (record_live.h), which has the first
 * track. */
#ifndef RECORD_AUDIO_H
#define RECORD_AUDIO_H

#include <glib.h>

#include "capture.h"
#include "mux.h"
#include "sw_runner.h"
#include "take_setup.h"

typedef struct RecordAudioTrack {
    char *name;    /* NAME: the Matroska track title */
    char *source;  /* SOURCE as given: the --audio-src grammar or cam:CAMERA */
    int channels;  /* 1, 2, 6 or 8 */
    int cam;       /* cam:CAMERA: its index (after record_audio_check), else -1 */
    CapCamera *src; /* a source of its own (record_audio_start) */
    char *role;    /* "program audio NAME": its ROLE tag and take-log stream */
    char *from;    /* "camera NAME" or "source SOURCE", for take.json */
} RecordAudioTrack;

/* All zero is the state before the options. */
typedef struct RecordAudio {
    /* As given, in order (one more than can be used: more than SW_AUDIO_MAX_TRACKS are counted and refused). */
    RecordAudioTrack tracks[SW_AUDIO_MAX_TRACKS + 1];
    int ntracks, given;
    int channels;       /* --audio-channels in effect while parsing (0: not given, 2) */
    int first_channels; /* the first track's (--audio, --audio-src): --audio-channels before any --audio-track */
    int first_channels_given;
    CapCamera *cams[SW_MAX_CAMS]; /* the take's cameras, borrowed (record_audio_add_camera) */
} RecordAudio;

/* The options, as a group of their own (its callbacks keep their order): give it to g_option_context_add_group
 * (which owns it). */
GOptionGroup *record_audio_group(RecordAudio *a);
/* Before anything is opened: names, sources, cameras, counts. has_first: --audio, --audio-src or --afv made the
 * first track (afv: with --afv; first_cam: --audio's camera, or NULL). 0 or -EINVAL (logged). */
int record_audio_check(RecordAudio *a, int has_first, int afv, const char *first_cam, char **names,
                       char **sources, int ncams);
/* With no first track: the first --audio-track is to be it: moved into *first (the caller's to clear with
 * record_audio_track_clear). 1 when it was, 0 when there is none. */
int record_audio_take_first(RecordAudio *a, RecordAudioTrack *first);
void record_audio_track_clear(RecordAudioTrack *t);
/* After a camera with audio enabled started: 1 when its source has an audio stream, 0 when not, -1 when that was
 * not known within 2 s. */
int record_audio_wait_has_audio(CapCamera *cam);
/* After camera `cam` started: its source must have an audio stream (what: the option, for the message). 0 or
 * OT_ERROR_SOURCE (logged). */
int record_audio_camera_has_audio(const RecordAudio *a, int cam, const char *what);
/* "-23.0" or "-inf" (silence), for the summary. */
const char *record_audio_level(char *buf, size_t size, double v);
/* Camera i (before it starts): enable its audio when a track takes it (cam:CAMERA). */
int record_audio_add_camera(RecordAudio *a, int i, CapCamera *cam);
/* After the cameras started: a cam: track's camera must have an audio stream; start the sources of their own. */
int record_audio_start(RecordAudio *a, const CapFormat *fmt, int timeout_ms);
/* A source of the tracks is live (record_live_prepare). */
int record_audio_live(const RecordAudio *a);
void record_audio_configure(const RecordAudio *a, SwRunnerConfig *rc);
void record_audio_stems(const RecordAudio *a, AppAudioStems *stems);
/* take.json's audio_tracks for tracks 2...: info[i] for stem i. */
void record_audio_info(const RecordAudio *a, MuxAudioTrackInfo *info);
void record_audio_print_summary(const RecordAudio *a, const SwRunnerStats *st, const MuxOutputStats *p);
void record_audio_stop(RecordAudio *a);
void record_audio_free(RecordAudio *a);

#endif
