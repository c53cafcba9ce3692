/* onetake record: the multiview side of a take (record_ui.c): its options, the roll (countdown or wall-clock
 * time), real-time pacing, and the threads when the window is open.
 *
 * Threads: a new thread "ot-program" (the program thread) waits for the roll and runs the take. Headless, the
 * calling thread only waits for it; with the window, the calling (main) thread runs the window (SDL wants its
 * video calls on the main thread). They share only RecordUi.cancel and
 * RecordUi.done (atomics), the program frame the window shows (RecordUi.pgm, one leaf lock held only to swap
 * or take a reference) and what the switcher, the runner and capture's preview slots protect with their
 * own leaf locks. */
#ifndef RECORD_UI_H
#define RECORD_UI_H

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>

#include <glib.h>

#include "capture.h"
#include "ot_common.h"
#include "sw_runner.h"
#include "ui.h"

/* record_ui_run's result when the take was cancelled before it rolled: nothing was recorded. */
#define RECORD_UI_CANCELLED OT_ERROR_STOPPED
#define RECORD_UI_PROGRAM_THREAD "ot-program" /* the program thread's name (/proc/PID/task/TID/comm) */

typedef struct RecordUi {
    /* Options, filled by GOption (record_ui_entries). */
    char *countdown, *roll_at, *screenshot, *screenshot_at, *ui_script, *window_size;
    gboolean realtime, no_realtime;
    GOptionEntry entries[10];

    /* Checked options (record_ui_check). */
    gboolean window;          /* the window will be tried: not --headless and a display is there */
    int64_t countdown_ns;     /* -1: none */
    int roll_hms[3];          /* --roll-at as a local time of day (when roll_at is set) */
    int64_t screenshot_frame; /* -1: the UI's default */
    int window_w, window_h;
    UiScript *script;
    const char *const *names;
    int ncams;
    SwRate rate;
    int width, height;
    const SwCueList *cues;
    int64_t max_frames;

    /* The take. */
    CapCamera *cams[SW_MAX_CAMS]; /* borrowed, for their previews */
    Ui *ui;
    int realtime_on; /* decided by record_ui_open */
    SwRunner *runner;
    int64_t roll_ns; /* CLOCK_MONOTONIC */
    volatile sig_atomic_t *stop_signal;
    atomic_int cancel; /* the director cancelled before the roll */
    atomic_int done;   /* the program thread has finished */
    int run_ret;       /* written by the program thread before done, read after the join */
    int linger;        /* the window showed the take to its end: keep it up a moment in record_ui_free */
    int audio;         /* the take has program audio: the window's meter reads the runner's levels */
    int (*get_ltc)(void *opaque, int64_t tick, char *buf, int size); /* the take's LTC (UiTake.get_ltc), or NULL */
    void *ltc_opaque;
    /* With the window: the newest program frame (a reference, as the master got it) and its tick. */
    pthread_mutex_t pgm_lock;
    OtFrame *pgm;
    int64_t pgm_tick;
} RecordUi;

/* The options to add to record's GOptionContext (main group). Valid while u lives. */
const GOptionEntry *record_ui_entries(RecordUi *u);
/* Check the options (nothing is opened or created). names/cues must outlive u. 0 or -EINVAL (logged). */
int record_ui_check(RecordUi *u, gboolean headless, const char *const *names, int ncams, SwRate rate,
                    int width, int height, const SwCueList *cues, int64_t max_frames);
/* A camera of the take, after cap_camera_alloc and before cap_camera_start: its preview branch is made when
 * the window will be tried. */
void record_ui_add_camera(RecordUi *u, int index, CapCamera *cam);
/* Open the window (or say why there is none: the take then records headless). Decides real-time pacing. */
void record_ui_open(RecordUi *u, const char *take_dir);
/* Before record_ui_open: whether the take is to be paced (it is unless the window then fails to open). */
int record_ui_wants_realtime(const RecordUi *u);
/* Pace the runner to real time (SwRunnerConfig.realtime). */
int record_ui_realtime(const RecordUi *u);
/* Wait for the roll, run the take (sw_runner_run) and the window until both are done; the window is closed
 * when this returns. Returns sw_runner_run's result, or RECORD_UI_CANCELLED when the director or a signal
 * cancelled the take before it rolled. */
int record_ui_run(RecordUi *u, SwSwitcher *sw, SwRunner *runner, volatile sig_atomic_t *stop_signal);
/* Idempotent. */
void record_ui_free(RecordUi *u);

#endif
