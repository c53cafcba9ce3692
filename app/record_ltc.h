/* onetake record: LTC in (record_ltc.c). --ltc SOURCE decoded with libltc before the roll (file sources: the
 * whole signal is there), the LTC -> take-frame mapping made from it (a jump or a loss is declared and the
 * mapping freewheels on the last good frame from there on), the cue list in LTC time (--cue-clock ltc) turned
 * into program frames, and what the take log (an LTC record a second, ltc-jump / ltc-lost anomalies at their
 * frames) and take.json say about it. */
#ifndef RECORD_LTC_H
#define RECORD_LTC_H

#include <glib.h>

#include "cap_ltc.h"
#include "mux.h"
#include "sw_cues.h"
#include "sw_runner.h"

typedef struct RecordLtcNote {
    int64_t tick;
    SwAnomalyKind kind;
    char detail[112];
} RecordLtcNote;

typedef struct RecordLtc {
    /* Options (GOption, record_ltc_entries). */
    char *source, *fps, *cue_clock;
    GOptionEntry entries[4];

    /* Checked (record_ltc_check). */
    int on;        /* --ltc given */
    int cue_clock_ltc;
    char *path;    /* the audio to decode (the camera's file for cam:NAME) */
    int channel;   /* 0 left, 1 right */
    SwRate rate;   /* the LTC's rate */
    int drop;      /* drop-frame (29.97) */
    SwRate prog;   /* the program's */

    /* Decoded (record_ltc_decode). */
    CapLtcTrack *track;
    int64_t nfollow;     /* frames of track followed from the first: the mapping (then freewheel) */
    int64_t first_frame; /* LTC frame count of track->frames[0] */
    RecordLtcNote notes[2];
    int nnotes, next_note;
    int64_t jumps, losses;
    char *cues_tmp; /* the cue list turned into program frames (a temporary file), or NULL */
} RecordLtc;

const GOptionEntry *record_ltc_entries(RecordLtc *l);
/* Before anything is opened: --ltc's SOURCE (an audio file, or cam:NAME[:CHANNEL] of a file camera), --ltc-fps
 * (24, 25, 29.97 (drop-frame) or 30; default the program's), --cue-clock (program or ltc; ltc needs --ltc). 0 or
 * -EINVAL (said). */
int record_ltc_check(RecordLtc *l, char **names, char **sources, int ncams, SwRate prog);
/* The LTC decoded and mapped (after cap_init, before the folder). 0, -EINVAL (a live camera: live LTC is not
 * here yet), or OT_ERROR_SOURCE when no LTC is found (said, with what was read). */
int record_ltc_decode(RecordLtc *l, char **sources, int ncams);
/* --cue-clock ltc: the cue list at cues_path read in LTC time, each timed cue put on the program frame the
 * mapping gives its LTC frame, written to a temporary file (*out_path, the list the take runs and keeps as
 * cues.txt: each line as written, its TIME replaced by the frame, the LTC time kept in a comment) and parsed
 * into *out. 0, or OT_ERROR_CUES (said with file:line:col). */
int record_ltc_convert_cues(RecordLtc *l, const char *cues_path, char **names, int ncams, const char **out_path,
                            SwCueList **out);
/* Program thread, before tick: the take log's LTC record once a second and the anomalies due at this tick, into
 * the program writer's stash and its anomaly sink. No I/O. */
void record_ltc_before_tick(RecordLtc *l, MuxWriter *w, const SwSink *writer_sink, int64_t tick);
/* The LTC timecode program frame tick carries (or freewheels to), into buf: 0, or -1 without LTC. Any thread
 * (read-only once decoded): the multiview's clock. */
int record_ltc_tc_at(void *l, int64_t tick, char *buf, int size);
/* take.json's "ltc" counts (n set) into c[6]. */
int record_ltc_counts(const RecordLtc *l, MuxCount *c);
void record_ltc_free(RecordLtc *l);

#endif
