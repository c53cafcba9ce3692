/* onetake record: live sources and program audio (record_live.c): their options, the take's mode (live when a
 * camera is), the program audio's source, and what the summary and take.json say about them. */
#ifndef RECORD_LIVE_H
#define RECORD_LIVE_H

#include <glib.h>

#include "capture.h"
#include "mux.h"
#include "record_audio.h"
#include "sw_runner.h"
#include "take_setup.h"

#define RECORD_LIVE_DEFAULT_LATENCY_FRAMES 2
#define RECORD_LIVE_DEFAULT_LOST_AFTER_MS 500
#define RECORD_LIVE_DEFAULT_HOLD_MS 500

typedef struct RecordLive {
    /* Options (GOption, record_live_entries). */
    char *latency, *lost_after, *hold, *audio_src, *loudness_target;
    gboolean afv;
    int queue;
    int audio_bits; /* --audio-bits: 24 (0 until checked) or 16 */
    GOptionEntry entries[10];

    /* Checked (record_live_check). */
    const char *audio_name; /* --audio NAME, borrowed */
    int audio_cam;          /* its index, -1 */
    SwAudioMode audio;
    int64_t latency_ns, lost_after_ms, hold_ns;
    int latency_given;
    int has_target; /* --loudness-target */
    double target_lufs;

    /* The program audio's first track, and its stems (--audio-track; record_audio.h). */
    int audio_channels;      /* the first track's */
    const char *audio_title; /* its Matroska title (the --audio-track it came from), or NULL */
    RecordAudioTrack first;  /* the --audio-track that became the first track, if one did */
    RecordAudio tracks;
    /* The cameras' own audio in their ISOs (set by the caller before the cameras start: --iso; copy: remuxed). */
    int iso_audio, iso_copy;
    int iso_channels[SW_MAX_CAMS]; /* per camera, after record_live_start: its ISO's audio channels, 0: none */
    const char *iso_audio_codec[SW_MAX_CAMS]; /* and its codec, for the take log; NULL: none */
    char iso_codec_buf[SW_MAX_CAMS][24];

    /* The take (record_live_prepare and on). */
    int live;                /* a camera is live: ticks on the clock */
    CapCamera *audio_source; /* --audio-src */
} RecordLive;

const GOptionEntry *record_live_entries(RecordLive *l);
/* --audio-track and --audio-channels: a group (g_option_context_add_group owns it). */
GOptionGroup *record_live_audio_group(RecordLive *l);
/* The program audio for the take: its tracks' channels and titles (app_take_open_program), and take.json's list
 * of tracks (info: SW_AUDIO_MAX_TRACKS; the first's from is from). Its count, 0: no program audio. */
int record_live_audio_tracks(const RecordLive *l, AppAudioStems *stems, MuxAudioTrackInfo *info,
                             const char *from);
/* Everything that can be checked before anything is opened: 0 or -EINVAL (logged). names must outlive l.
 * audio_bits is 24 or 16 afterwards. */
int record_live_check(RecordLive *l, const char *audio_name, char **names, char **sources, int ncams,
                      SwRate rate);
/* After cap_init: is the take live? Fills the live part of fmt. */
void record_live_prepare(RecordLive *l, char **sources, int ncams, CapFormat *fmt);
/* Camera i, after cap_camera_alloc and before cap_camera_start: its audio branch when the program audio needs
 * it. 0 or negative (logged). */
int record_live_add_camera(RecordLive *l, int i, const char *source, CapCamera *cam);
/* Start --audio-src (after the cameras). 0 or negative (logged). */
int record_live_start(RecordLive *l, char **sources, const CapFormat *fmt, int timeout_ms);
/* The runner's live and audio settings. */
void record_live_configure(const RecordLive *l, SwRunnerConfig *rc);
/* Per camera: what capture knows (restarts, jitter) for take.json. */
void record_live_cam_info(CapCamera *const *cams, int ncams, MuxLiveCamInfo *info);
void record_live_print_summary(const RecordLive *l, const SwRunnerStats *st, CapCamera *const *cams,
                               char **names, int ncams);
/* The program audio's loudness (EBU R128) and, with --loudness-target, how far it is from it; and the same into
 * sum for take.json. */
void record_live_loudness(const RecordLive *l, const MuxOutputStats *program, MuxTakeSummary *sum);
void record_live_print_loudness(const RecordLive *l, const SwRunnerStats *st, const MuxOutputStats *program);
void record_live_stop(RecordLive *l);
void record_live_free(RecordLive *l);

#endif
