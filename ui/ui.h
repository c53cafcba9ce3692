/* onetake ui: the director's multiview. An SDL2 window with the program and preview on top, a tile per camera
 * below (name, red/green tally, NO SIGNAL, repeated/dropped counts), the Take One Clock (ARMED / ROLLING /
 * ENDED, countdown to roll, take timecode, time to the next cue and to the end), the cue list, and the
 * program audio meter when there is program audio. Keys and clicks become switcher commands (cut, go,
 * preview, end), applied by the switcher at the next program tick and logged by the take's event sinks like
 * any other cut.
 *
 * The only folder that includes SDL; this header does not, so the app needs no SDL flags.
 *
 * Threads: everything here runs on the thread that called ui_alloc (the process's main thread: SDL wants its
 * video calls there). The UI only observes the take through thread-safe calls (sw_switcher_get_state,
 * sw_runner_get_stats, UiTake.get_preview, UiTake.get_audio, UiTake.is_done), each of which takes one leaf
 * lock and returns; it sends commands with sw_switcher_cut/go/preview/end, which only stage them. It never
 * waits on the program thread and the program thread never waits on it, so a slow or frozen window cannot
 * delay a tick. */
#ifndef UI_H
#define UI_H

#include <stdint.h>

#include "ot_frame.h"
#include "sw_cues.h"
#include "sw_runner.h"
#include "sw_switcher.h"
#include "sw_timecode.h"

#define UI_MAX_CAMS SW_MAX_CAMS
#define UI_MIN_WIDTH 640 /* the window never gets smaller: below this a multiview is no use */
#define UI_MIN_HEIGHT 360
#define UI_AUDIO_MAX_CHANNELS 8

/* ---- layout (pure arithmetic: no SDL, usable by tests) ---- */

typedef struct UiRect {
    int x, y, w, h;
} UiRect;

/* Where everything goes in a window of width x height. A "frame" is the tally ring: picture + its label bar +
 * a border of `border` pixels on every side. Pictures keep the program's aspect ratio. */
typedef struct UiLayout {
    int width, height;
    int margin, border;      /* gap between frames; tally border thickness */
    int font_px, big_px;     /* text sizes (pixels): labels, the big timecode */
    int row_h, label_h;      /* a text row; a label bar */
    UiRect preview, program; /* pictures */
    UiRect preview_label, program_label;
    UiRect preview_frame, program_frame;
    UiRect meter; /* program audio meter, a strip right of the program; 0x0 when there is no audio */
    UiRect panel; /* the clock and the cue list, on the right of the top row */
    UiRect clock; /* state, big timecode, next cue, end (inside panel) */
    UiRect cues;  /* the cue list rows (inside panel) */
    UiRect hint;  /* the message / key hint row at the bottom of the panel */
    int cue_rows;
    int ncams;
    UiRect tile[UI_MAX_CAMS], tile_label[UI_MAX_CAMS], tile_frame[UI_MAX_CAMS];
} UiLayout;

/* Lay out ncams (1..UI_MAX_CAMS) cameras at the program aspect aspect_w:aspect_h, with room for an audio
 * meter when `audio`. A window smaller than UI_MIN_WIDTH x UI_MIN_HEIGHT is laid out as that size. */
void ui_layout_compute(int width, int height, int ncams, int aspect_w, int aspect_h, int audio,
                       UiLayout *out);

enum {
    UI_HIT_NONE = -1,
    UI_HIT_PREVIEW = -2,
    UI_HIT_PROGRAM = -3,
};
/* What is under window pixel (x, y): a camera index (its tile), or UI_HIT_*. */
int ui_layout_hit(const UiLayout *layout, int x, int y);

/* The preview frame size the UI asks capture for at a program size: small (tiles and panes are at most about
 * this big on a 1080p screen), even, and the program's aspect ratio. */
void ui_preview_size(int program_width, int program_height, int *width, int *height);

/* ---- scripted input (--ui-script), for tests and docs ---- */

/* One line per event, `#` comments:
 *     FRAME|armed  key NAME | keydown NAME | keyup NAME | click X Y | rclick X Y | stall MS | close
 * Events of a line are pushed into SDL's event queue once the program has decided frame FRAME (`armed`: as
 * soon as the window is up, before the roll), then handled exactly like real input: a cut then lands at the
 * next tick. `stall` freezes the window's thread for MS milliseconds (a slow window on purpose). NAME: 1-9,
 * a-z, space, return (enter), escape (esc), f1, ?, or an SDL key name. X Y: window pixels. Lines in
 * non-decreasing FRAME order. */
typedef struct UiScript UiScript;

/* 0, or a negative error after printing "FILE:LINE: what is wrong" (nothing is opened). */
int ui_script_load(const char *path, UiScript **out);
void ui_script_free(UiScript **script);

/* ---- the window ---- */

typedef struct UiConfig {
    const char *const *cams; /* camera names, ncams */
    int ncams;
    SwRate rate;
    int program_width, program_height;
    int window_width, window_height; /* 0: 1280x720 */
    const char *title;               /* window title (may be NULL) */
    /* PNG of the window once the program has reached screenshot_frame (-1: the middle of the take when its
     * length is known from --duration or an end cue, else 5 s in), or at the end if the take ends first. A
     * JSON file next to it (FILE.json) tells where everything is and what each picture showed (tests read
     * it). */
    const char *screenshot_path;
    int64_t screenshot_frame;
    const UiScript *script; /* borrowed, may be NULL */
} UiConfig;

typedef struct Ui Ui;

/* $DISPLAY or $WAYLAND_DISPLAY is set: a window can be tried. */
int ui_display_available(void);

/* Open the window. NULL when it cannot be opened (logged as a warning: the caller records headless). */
Ui *ui_alloc(const UiConfig *cfg);
void ui_free(Ui **ui);

/* Program audio levels, for the meter. */
typedef struct UiAudioLevel {
    int channels; /* 0: no audio right now */
    float peak_dbfs[UI_AUDIO_MAX_CHANNELS];
    float rms_dbfs[UI_AUDIO_MAX_CHANNELS];
} UiAudioLevel;

/* The take the window watches and commands. Callbacks are called on the UI thread and must not block. */
typedef struct UiTake {
    SwSwitcher *sw;
    SwRunner *runner;
    const SwCueList *cues; /* may be NULL */
    int64_t max_frames;    /* --duration in frames, or -1 */
    int64_t roll_ns;       /* CLOCK_MONOTONIC time at which the take rolls (tick 0) */
    void *opaque;
    /* A preview frame of camera cam as a new reference, or NULL: the one at take-clock time at_ns (the
     * program tick the window shows), or the newest when at_ns < 0 (before the roll). */
    OtFrame *(*get_preview)(void *opaque, int cam, int64_t at_ns);
    /* The program frame as the program path made it (the master's picture: a slate, a held frame, a
     * transition's picture) as a new reference, its program tick in *tick; NULL before the first tick. May
     * be NULL: the program pane then shows the program camera's preview. */
    OtFrame *(*get_program)(void *opaque, int64_t *tick);
    /* Program audio levels. NULL when the take has no program audio: the meter is not drawn at all. */
    int (*get_audio)(void *opaque, UiAudioLevel *level);
    /* The LTC the program frame `tick` carries ("HH:MM:SS:FF", drop-frame with ';'), into buf; 0, or negative
     * when there is none. NULL when the take has no LTC: the clock shows the wall clock instead. */
    int (*get_ltc)(void *opaque, int64_t tick, char *buf, int size);
    void *ltc_opaque;
    /* 1 once the program thread has finished the take (ended, failed or cancelled). */
    int (*is_done)(void *opaque);
    /* The director cancelled the take before it rolled (may be NULL). */
    void (*cancel)(void *opaque);
} UiTake;

/* Run the window until the take is done (the last frame drawn shows ENDED; the window stays up, showing it,
 * until ui_linger or ui_free) or the director closed it and the take is done. Returns 0, or a negative error
 * when the window failed (the take itself goes on regardless). */
int ui_run(Ui *ui, const UiTake *take);
/* Keep the window up (answering the window system, closing at once if the director closes it) for at most ms:
 * so that ENDED stays in sight while the caller has finished the take and printed its summary. */
void ui_linger(Ui *ui, int ms);

#endif
