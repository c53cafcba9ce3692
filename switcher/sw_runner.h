/* onetake: the take runner. The program thread's loop: for each tick it takes one frame per camera (the latest at or
 * before the tick's time: docs/contract.md "Program timing"), asks the switcher, and hands the program frame and the
 * executed events to the sinks. Offline (file sources) it pulls in lockstep, so a run is deterministic. Live (a
 * camera is live: SwRunnerConfig.live) it ticks on the clock and polls live cameras without ever waiting for them;
 * it declares what live cameras did (repeats, drops, overflows, losses: SwAnomaly) and hands the program audio on.
 *
 * The runner knows cameras only through SwSource and outputs only through SwSink: it includes no GStreamer or FFmpeg. */
#ifndef SW_RUNNER_H
#define SW_RUNNER_H

#include <stdint.h>

#include "ot_frame.h"
#include "sw_audio.h"
#include "sw_switcher.h"

/* Container timestamps are rounded: Matroska and WebM store milliseconds, so frame 2 of a 30 fps camera is stored at
 * 67 ms, after the 66.67 ms tick it belongs to. A frame at most this much after a tick's time counts as at the tick.
 * 1 ms is under a quarter of a frame at any rate up to 240 fps. */
#define SW_RUNNER_TOLERANCE_NS 1000000

/* A source of program audio: `channels` interleaved SwSample at SW_AUDIO_RATE (sw_audio.h). */
typedef struct SwAudioSource {
    void *opaque;
    const char *name;
    int live; /* read never waits: what has not arrived when its tick is made is silence */
    int channels; /* interleaved samples per frame (0: SW_AUDIO_CHANNELS) */
    /* Frames [pos, pos + n) of the take's audio into out (n x channels samples): pos 0 is take frame 0.
     * origin_ns: for a live source the CLOCK_MONOTONIC time of take time 0 (the roll), which its timestamps are
     * mapped through; -1 for a file source, whose own origin is its camera's first video frame. wait: 1 in
     * lockstep (wait until the source has decoded that far or ended), 0 live (never wait: what has not arrived
     * is silence). Returns the number of frames that were filled with silence (0..n), or a negative error (then
     * out is all silence). NULL when there is no audio. */
    int (*read)(void *opaque, int64_t origin_ns, int64_t pos, int n, SwSample *out, int wait);
} SwAudioSource;

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
     * after it, stamped on the same take clock as before. stop_ns >= 0: only the frames before stop_ns; pull then
     * returns OT_ERROR_SEGMENT_END (not an end: seek again to go on), or OT_ERROR_EOF if the source ended before
     * stop_ns. -1: to the end. The seek must not wait for the decoder. 0 or a negative error. */
    int (*seek)(void *opaque, int64_t t_ns, int64_t stop_ns);
    /* Live sources (live = 1) are never waited for: the runner calls poll instead of pull, on the clock. poll
     * never blocks: 0 with a new reference in *out (pts_ns on CLOCK_MONOTONIC: when the frame was captured, which
     * the runner maps to the take clock by subtracting the roll; arrival_ns set), -EAGAIN when no frame is there
     * now, or OT_ERROR_SOURCE while the camera is lost (no signal: an error, an end of stream or a stall; it may
     * come back: poll then returns frames again). */
    int live;
    int (*poll)(void *opaque, OtFrame **out);
    /* Live: why the camera is lost, for the take log (may be NULL). */
    void (*lost_reason)(void *opaque, char *buf, int size);
    /* Live: frames the source's queue discarded so far because the program did not take them in time (may be
     * NULL). */
    int64_t (*overflow)(void *opaque);
    /* Live: the frame the program shows for this camera once it has been lost for SwRunnerConfig.hold_ns (a slate
     * with its name), borrowed: the source keeps it alive until it is freed. NULL: the last frame is held. */
    OtFrame *slate;
    /* The camera's own audio (read NULL: none). */
    SwAudioSource audio;
} SwSource;

enum {
    SW_PF_CUT = 1 << 0,    /* first frame of a new camera on program (also frame 0) */
    SW_PF_REPEAT = 1 << 1, /* the program camera had no new frame for this tick: its last one is shown again */
    SW_PF_LOST = 1 << 2,   /* the program camera has ended or failed: its last frame is held */
    SW_PF_SLATE = 1 << 3,  /* the program camera is lost (live) beyond the hold: its slate is shown */
    SW_PF_MIX = 1 << 4,    /* a transition's mixed frame (a picture of the runner's own, SwDecision.mix) */
};

/* Irregularities the runner declares, for the take log. Compact: camera repeats, drops and overflows are reported
 * once a second of media per camera with their counts (live takes), losses once per loss, audio gaps once per run
 * of silence. */
typedef enum SwAnomalyKind {
    SW_ANOMALY_CAMERA_LOST = 0, /* a live camera stopped delivering (detail: why) */
    SW_ANOMALY_CAMERA_BACK,     /* a lost camera delivers again (count: ticks it was lost) */
    SW_ANOMALY_CAMERA_REPEAT,   /* count: ticks at which the camera had no new frame (frame-rate conform) */
    SW_ANOMALY_CAMERA_DROP,     /* count: camera frames skipped because a newer one was due at the tick */
    SW_ANOMALY_CAMERA_OVERFLOW, /* count: frames capture's bounded queue discarded before a tick could take them */
    SW_ANOMALY_AUDIO_GAP,       /* count: program audio frames (1/48000 s) filled with silence */
    SW_ANOMALY_LTC_JUMP,        /* the LTC did not go on with the next frame (detail: from, to): freewheeling */
    SW_ANOMALY_LTC_LOST,        /* the LTC stopped (detail: the last frame): freewheeling */
} SwAnomalyKind;

typedef struct SwAnomaly {
    SwAnomalyKind kind;
    int64_t tick;      /* first program frame it concerns */
    int64_t ticks;     /* program frames it spans (>= 1) */
    int cam;           /* camera, or -1 for the program (audio) */
    int track;         /* audio gaps: the program audio track (0: the first), else 0 */
    int64_t count;     /* how many (frames, ticks, audio frames), see the kind */
    char detail[112];  /* one short sentence */
} SwAnomaly;

/* "camera-lost", "camera-back", "camera-repeat", "camera-drop", "camera-overflow", "audio-gap", "ltc-jump",
 * "ltc-lost" */
const char *sw_anomaly_kind_name(SwAnomalyKind kind);

typedef struct SwProgramFrame {
    int64_t tick;   /* program frame index: pts in units of 1/fps */
    int cam;        /* camera on program (during a transition: the camera it goes to) */
    int mix_from;   /* SW_PF_MIX: the camera the transition comes from, else -1 */
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
    /* Program audio track `track` (0: the first; 1...: the stems, SwRunnerConfig.stems): frames [first, first + n)
     * of the take's audio (`channels` interleaved SwSample, borrowed for the call), continuous from 0. The audio
     * of tick i is given at tick i + 1 (live audio then had the take's latency and one frame to arrive), track by
     * track, the last at the END; missing is how many of them are silence because the source had nothing. */
    int (*program_audio)(void *opaque, int track, int64_t first, const SwSample *samples, int n, int channels,
                         int missing);
    /* Camera cam's own audio (every camera whose source has audio, read once a tick whoever takes it): frames
     * [first, first + n) of the take, `channels` interleaved, given after the tracks' program_audio. */
    int (*camera_audio)(void *opaque, int cam, int64_t first, const SwSample *samples, int n, int channels,
                        int missing);
    /* A declared irregularity (borrowed for the call). */
    int (*anomaly)(void *opaque, const SwAnomaly *a);
} SwSink;

#define SW_MAX_SINKS 8
/* The channels a source gives (0 means SW_AUDIO_CHANNELS). */
#define SW_AUDIO_SOURCE_CHANNELS(s) ((s)->channels > 0 ? (s)->channels : SW_AUDIO_CHANNELS)

typedef enum SwAudioMode {
    SW_AUDIO_NONE = 0,
    SW_AUDIO_CAMERA,        /* SwRunnerConfig.audio_cam's audio (--audio NAME) */
    SW_AUDIO_SOURCE,        /* SwRunnerConfig.audio_src (--audio-src SOURCE) */
    SW_AUDIO_FOLLOW_VIDEO,  /* the program camera's audio (--afv) */
} SwAudioMode;

typedef struct SwCamStats {
    int64_t frames;  /* frames pulled from the source */
    int64_t repeats; /* ticks at which the camera had no new frame (shown again) */
    int64_t drops;   /* frames skipped because a newer one was at or before the tick */
    int ended;       /* the source reached its end */
    int failed;      /* the source failed (lost camera); live: it is lost now (0 again once it is back) */
    /* Live cameras only. */
    int live;
    int64_t late;           /* frames that arrived after the tick they belonged to had been made */
    int64_t overflow;       /* frames capture's queue discarded since the roll (not taken in time) */
    int64_t losses;         /* times the camera was lost */
    int64_t lost_ticks;     /* ticks during which it was lost */
    int64_t slate_ticks;    /* of those, ticks that showed its slate */
    int64_t latency_max_ns; /* longest time from a frame's arrival to the tick that first used it */
    int64_t latency_sum_ns; /* sum over latency_count frames (the mean) */
    int64_t latency_count;
    /* Its own audio (when it has some): frames read (one take's worth) and of those silence (nothing came). */
    int64_t audio_frames, audio_gap_frames;
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
    int live;             /* ticks on the clock (a live camera in the take) */
    /* Program audio (audio_channels 0: none): the first track's channels; every track has audio_frames. */
    int audio_channels;
    int64_t audio_frames;     /* frames made (1/48000 s each) */
    int64_t audio_gap_frames; /* of those, silence because the source had nothing for them (the first track) */
    int audio_tracks;         /* the first track and its stems */
    int64_t track_gap_frames[SW_AUDIO_MAX_TRACKS]; /* per track, the first's included */
    float audio_peak[2], audio_rms[2]; /* levels of the last tick's audio, linear 0..1 */
    /* Transitions: mixed program frames (the only program frames that are new pictures), of those the ones the
     * pool could not give (allocated), and transition frames shown unmixed (camera sizes differ). */
    int64_t mixed_frames, mix_pool_misses, mix_unmixable;
} SwRunnerStats;

typedef struct SwRunnerConfig {
    SwRate rate;
    int64_t max_frames; /* end after this many program frames (--duration), or -1 */
    /* Called on the program thread after every tick: keep it cheap (the app throttles its own output). */
    void (*progress)(void *opaque, const SwRunnerStats *stats);
    void *progress_opaque;
    /* Decode only the camera on program (SwRunnerConfig.program_only): cameras off program are not pulled. The
     * timed cues plan the shots: at each cut every camera off program is sought to its next planned shot, with a
     * stop at the shot's end, so that its decoder prerolls the shot while another camera is on program and decodes
     * nothing the program does not show. A cut the plan did not have (go, manual) seeks the camera then; a camera
     * that comes back on program more than a second ahead of where it stopped is sought instead of decoded up to
     * it. Needs every source to have seek, and no camera_frame sink (ISOs and the multiview need
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
    /* Live (set when any source is live): tick i is due at roll + i/fps + latency_ns on CLOCK_MONOTONIC and takes,
     * per camera, the latest frame captured at or before roll + i/fps that has arrived; live cameras are polled,
     * never waited for; file sources are still pulled in lockstep (paced like realtime). roll_ns: the roll (take
     * time 0) on CLOCK_MONOTONIC, 0: when sw_runner_run starts. hold_ns: how long a lost live camera's last frame
     * is held before its slate. */
    int live;
    int64_t roll_ns;
    int64_t latency_ns;
    int64_t hold_ns;
    /* Program audio (SW_AUDIO_NONE by default): camera audio_cam's audio, a separate audio_src, or the program
     * camera's (audio follows video: silence while it has none). */
    SwAudioMode audio;
    int audio_cam;
    SwAudioSource audio_src;
    int audio_channels; /* the first track's (0: SW_AUDIO_CHANNELS); afv and a camera's audio give theirs */
    /* Stems (with a first track only): more program audio tracks, each read every tick from its own source (a
     * source serves one track: the ring reads each sample once), given to the sinks as tracks 1... */
    SwAudioSource stems[SW_AUDIO_MAX_TRACKS - 1];
    const char *stem_names[SW_AUDIO_MAX_TRACKS - 1]; /* for declarations */
    int nstems;
    /* The clock (tests: a manual one). NULL: CLOCK_MONOTONIC and clock_nanosleep. */
    int64_t (*clock_now)(void *opaque);
    void (*clock_wait_until)(void *opaque, int64_t t_ns);
    void *clock_opaque;
    /* Transitions: frames in the mixer's pool (0: SW_RUNNER_MIX_SLOTS). The pool is allocated before tick 0 when
     * the cue list has a transition or `transitions` is 1 (manual ones may come), else at the first mixed frame.
     * Either turns program_only off (a transition shows two cameras). */
    int mix_slots;
    int transitions;
} SwRunnerConfig;

/* The writer's queue (4) + frames an encoder may hold + the one being made. */
#define SW_RUNNER_MIX_SLOTS 8

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
/* The roll: CLOCK_MONOTONIC time of take time 0 once the run has started (from before_tick at tick 0 on), else 0. */
int64_t sw_runner_get_roll_ns(const SwRunner *r);

#endif
