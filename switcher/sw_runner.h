/* onetake: the take runner. The program thread's loop: for each tick it takes one frame per camera (the latest at or
 * before the tick's time: CONTRACT.md "Program timing"), asks the switcher, and hands the program frame and the
 * executed events to the sinks. Offline (file sources) it pulls in lockstep, so a run is deterministic.
 *
 * The runner knows cameras only through SwSource and outputs only through SwSink: it includes no GStreamer or FFmpeg. */
#ifndef SW_RUNNER_H
#define SW_RUNNER_H

#include <stdint.h>

#include "ot_frame.h"
#include "sw_switcher.h"

/* Container timestamps are rounded: Matroska and WebM store milliseconds, so frame 2 of a 30 fps camera is stored at
 * 67 ms, after the 66.67 ms tick it belongs to. A frame at most this much after a tick's time counts as at the tick.
 * 1 ms is under a quarter of a frame at any rate up to 240 fps. */
#define SW_RUNNER_TOLERANCE_NS 1000000

/* A camera as the runner sees it. */
typedef struct SwSource {
    void *opaque;
    const char *name;
    /* Block until the source's next frame; *out gets a new reference whose pts_ns is on the take clock (first frame
     * 0, non-decreasing). Returns 0, OT_ERROR_EOF at the end of the source, or another negative error (the camera is
     * then treated as lost: the take goes on). */
    int (*pull)(void *opaque, OtFrame **out);
    /* Optional (NULL when the source cannot seek, e.g. a live camera): drop what is queued and go to take time
     * t_ns, so that the next pull returns the frame at or before t_ns (or the first one after it) and the frames
     * after it, stamped on the same take clock as before. 0 or a negative error. */
    int (*seek)(void *opaque, int64_t t_ns);
} SwSource;

enum {
    SW_PF_CUT = 1 << 0,    /* first frame of a new camera on program (also frame 0) */
    SW_PF_REPEAT = 1 << 1, /* the program camera had no new frame for this tick: its last one is shown again */
    SW_PF_LOST = 1 << 2,   /* the program camera has ended or failed: its last frame is held */
};

typedef struct SwProgramFrame {
    int64_t tick;   /* program frame index: pts in units of 1/fps */
    int cam;        /* camera on program */
    OtFrame *frame; /* borrowed for the duration of the call: ot_frame_ref() it to keep it */
    unsigned flags; /* SW_PF_* */
} SwProgramFrame;

/* Where the program goes (the mux, the cut log, the UI...). Every callback runs on the program thread, must not block
 * for long, and returns 0 or a negative error, which ends the take (the runner closes cleanly and reports it). Any
 * callback may be NULL. */
typedef struct SwSink {
    void *opaque;
    int (*program_frame)(void *opaque, const SwProgramFrame *pf);
    int (*event)(void *opaque, const SwEvent *ev);
    /* Every camera's frame for this tick (ISOs, multiview). frame is borrowed; repeat is 1 when it was already
     * given at an earlier tick. */
    int (*camera_frame)(void *opaque, int cam, int64_t tick, OtFrame *frame, int repeat);
} SwSink;

#define SW_MAX_SINKS 8

typedef struct SwCamStats {
    int64_t frames;  /* frames pulled from the source */
    int64_t repeats; /* ticks at which the camera had no new frame (shown again) */
    int64_t drops;   /* frames skipped because a newer one was at or before the tick */
    int ended;       /* the source reached its end */
    int failed;      /* the source failed (lost camera) */
} SwCamStats;

typedef struct SwRunnerStats {
    int64_t ticks;       /* program frames written */
    int64_t cuts;        /* executed cuts (without the start) */
    int64_t program_repeats;
    int program_cam;
    int ncams;
    SwCamStats cams[SW_MAX_CAMS];
    SwOrigin end_origin; /* why the take ended, valid once it has */
    int ended;
    int error;           /* negative error that ended the take, or 0 */
    /* Real-time pacing (SwRunnerConfig.realtime): ticks that started more than one frame period after their due
     * time, and the worst lateness (which keeps growing when the machine cannot keep up with real time). */
    int64_t late_ticks;
    int64_t max_late_ns;
    /* The longest time between the starts of two consecutive ticks (CLOCK_MONOTONIC), paced or not: the program
     * thread held up by anything (a slow sink, a stall) shows here as one long gap. */
    int64_t max_tick_gap_ns;
} SwRunnerStats;

typedef struct SwRunnerConfig {
    SwRate rate;
    int64_t max_frames; /* end after this many program frames (--duration), or -1 */
    /* Called on the program thread after every tick: keep it cheap (the app throttles its own output). */
    void (*progress)(void *opaque, const SwRunnerStats *stats);
    void *progress_opaque;
    /* Decode only the camera on program (SwRunnerConfig.program_only): cameras off program are not pulled, and a
     * camera that comes back on program more than a second ahead of where it stopped is sought to the cut instead
     * of decoded up to it. Needs every source to have seek, and no camera_frame sink (ISOs and the multiview need
     * every camera); otherwise it is ignored. The program is the same frame for frame; the per-camera counters then
     * count only what was pulled. If the program camera ends, every camera is brought up to date and decoded from
     * then on, so that "every source has ended" means the same as without it. */
    int program_only;
    /* Called on the program thread just before tick `tick` is decided: commands staged here take effect at this
     * tick (scripted director actions). May be NULL. */
    void (*before_tick)(void *opaque, int64_t tick);
    void *before_tick_opaque;
    /* Pace the ticks to real time: tick i starts no earlier than start + i/fps on CLOCK_MONOTONIC, start being the
     * moment tick 0 starts. For file sources watched live (the multiview); off, files are pulled as fast as the
     * program is made. Live sources pace themselves. */
    int realtime;
} SwRunnerConfig;

typedef struct SwRunner SwRunner;

/* sources is copied; nsources must equal the switcher's camera count. */
SwRunner *sw_runner_alloc(const SwRunnerConfig *cfg, SwSwitcher *sw, const SwSource *sources, int nsources);
void sw_runner_free(SwRunner **r);
int sw_runner_add_sink(SwRunner *r, const SwSink *sink);

/* Run the take to its end on the calling thread (the program thread). Returns 0 when the take ended for a regular
 * reason (end cue, duration, stop, all sources ended), or the negative error of a sink. Every frame reference the
 * runner held is released before it returns. */
int sw_runner_run(SwRunner *r);
/* Ask the take to end at the next tick (thread-safe, async-signal-unsafe: call it from a normal thread). */
void sw_runner_stop(SwRunner *r);
/* A snapshot of the counters (thread-safe). */
void sw_runner_get_stats(SwRunner *r, SwRunnerStats *stats);

#endif
