/* onetake: the switcher core. Decides, tick by tick, which camera is on program, from a frozen cue list plus the
 * director's commands. sw_switcher_tick is deterministic: the same cue list and the same commands staged before the
 * same ticks give the same decisions, which is what makes replay and exhaustive tests possible.
 *
 * Threads: the command functions (cut, go, end, preview) may be called from any thread (UI, signal handling); they
 * only stage the command. sw_switcher_tick and sw_switcher_get_state are called from the program thread (get_state
 * is also safe from other threads: it takes the lock). Lock: SwSwitcher.lock protects the staged commands and the
 * published state; it is a leaf lock (nothing else is locked while it is held). */
#ifndef SW_SWITCHER_H
#define SW_SWITCHER_H

#include <stdint.h>

#include "sw_cues.h"
#include "sw_subs.h"
#include "sw_transition.h"

#define SW_MAX_CAMS 16
#define SW_MAX_EVENTS 8 /* events one tick can produce; further staged commands wait for the next tick */

typedef enum SwOrigin {
    SW_ORIGIN_START = 0, /* the first camera at take frame 0 */
    SW_ORIGIN_CUE,       /* a timed cue */
    SW_ORIGIN_GO,        /* a `go` cue fired by the director */
    SW_ORIGIN_MANUAL,    /* a manual cut (key, click, scripted command) */
    SW_ORIGIN_DURATION,  /* --duration reached (end only) */
    SW_ORIGIN_STOP,      /* the director or a signal stopped the take (end only) */
    SW_ORIGIN_SOURCES,   /* every source ended (end only) */
    SW_ORIGIN_REMOTE,    /* a command from the network (control/: OSC, TCP), with its peer */
} SwOrigin;

#define SW_PEER_MAX 64 /* "osc:127.0.0.1:53211", "tcp:[::1]:40000": who sent a remote command */

typedef enum SwEventType {
    SW_EVENT_CUT = 0, /* `cam` is on program from `frame` on */
    SW_EVENT_END,     /* the take ends: `frame` is not recorded */
    SW_EVENT_SUB,     /* subtitle language `lang` shows `text` from `frame` on (text NULL: nothing); `cam` is
                       * the camera on program, prev_cam -1. Not a cut: cut logs and tallies skip it */
} SwEventType;

typedef struct SwEvent {
    SwEventType type;
    int64_t frame;  /* program frame index the event takes effect at */
    int cam;        /* camera on program from `frame` (for END: the camera that was on program) */
    int prev_cam;   /* camera before the cut, -1 at the start (and for END) */
    SwOrigin origin;
    int cue_index;  /* index in the cue list, -1 when not from a cue (a remote go: the go cue it fired) */
    char peer[SW_PEER_MAX]; /* SW_ORIGIN_REMOTE: who sent the command; else "" */
    SwTransSpec trans; /* CUT: the transition it starts at `frame` (kind SW_TRANS_CUT: a plain cut) */
    int lang;          /* SUB: index into the switcher's SwSubs languages */
    const char *text;  /* SUB: the line (borrowed from the cue list or the SwSubs: they outlive the take) */
} SwEvent;

/* A transition in progress at a tick: frame k (0..spec.frames-1) from camera `from` to the decision's camera. */
typedef struct SwMix {
    int active;
    int from;
    int k;
    SwTransSpec spec;
} SwMix;

typedef struct SwDecision {
    int64_t tick;
    int cam;        /* camera on program at this tick */
    int cut;        /* 1 when this tick is the first frame of a new camera (also at tick 0) */
    int end;        /* 1 when the take ends at this tick: no frame is recorded for it */
    int nevents;
    SwEvent events[SW_MAX_EVENTS]; /* what happened at this tick, in order */
    SwMix mix;      /* the program frame of this tick is a transition's mixed frame when mix.active */
} SwDecision;

typedef struct SwState {
    int64_t tick;      /* last tick decided, -1 before the first */
    int program;       /* camera on program */
    int preview;       /* camera on preview: set by the director, else the next cue's camera, else -1 */
    int next_cue;      /* index of the next cue that has not fired (timed or go), or -1 */
    int next_go;       /* index of the next go cue not yet fired, or -1 */
    int64_t end_frame; /* frame of the timed end cue, or -1 */
    int ended;
    int mix_from;      /* during a transition: the camera it comes from (also on program's tally), else -1 */
    int mix_k, mix_frames; /* its frame index at `tick` and length */
    /* Subtitles (the multiview): per language of sw_switcher_subs, the line shown now and the next one to come
     * (a timed line, else the language's next go sub cue), NULL when none; borrowed from the cue list or the
     * schedule, which outlive the take. */
    int sub_langs;
    const char *sub_now[SW_SUB_MAX_LANGS];
    const char *sub_next[SW_SUB_MAX_LANGS];
} SwState;

typedef struct SwSwitcher SwSwitcher;

/* cues may be NULL (no cue list: the first camera stays on program until a manual cut). The list is borrowed and
 * must outlive the switcher. ncams in 1..SW_MAX_CAMS. first_cam is on program at tick 0 unless a cue at frame 0
 * says otherwise. */
SwSwitcher *sw_switcher_alloc(const SwCueList *cues, int ncams, int first_cam);
void sw_switcher_free(SwSwitcher **sw);

/* The subtitle schedule (timed lines of the cue list and of lyrics files), borrowed: it must outlive the switcher
 * and hold the cue list's languages first (sw_subs_alloc of the same list). Set before the first tick; without
 * it the switcher fires the cue list's own sub cues. Timed lines fire after the timed cue of their frame, in
 * the schedule's order. */
void sw_switcher_set_subs(SwSwitcher *sw, const SwSubs *subs);
/* The subtitle schedule in use (the one set, or the switcher's own). */
const SwSubs *sw_switcher_subs(const SwSwitcher *sw);
/* Stage a subtitle line (text NULL: clear) for language lang, as a director's command (origin MANUAL; replay
 * re-stages the recorded lines this way). text is borrowed until its event is made. 0, -EINVAL (no such
 * language), -ENOSPC, -EPIPE. */
int sw_switcher_sub(SwSwitcher *sw, int lang, const char *text);

/* Commands, applied at the next tick in the order they were staged. Return 0, -EINVAL for a bad camera index,
 * -ENOSPC when too many commands are already staged, -ENOENT for go when no go cue is left, -EPIPE after the end. */
int sw_switcher_cut(SwSwitcher *sw, int cam);
int sw_switcher_go(SwSwitcher *sw);
int sw_switcher_end(SwSwitcher *sw);
int sw_switcher_preview(SwSwitcher *sw, int cam);
/* The same commands from a peer on the network: the events they cause have origin SW_ORIGIN_REMOTE (a go too: its
 * cue_index is the go cue it fired) and carry peer (truncated to SW_PEER_MAX - 1 bytes). Same returns. */
int sw_switcher_cut_from(SwSwitcher *sw, int cam, const char *peer);
int sw_switcher_go_from(SwSwitcher *sw, const char *peer);
int sw_switcher_end_from(SwSwitcher *sw, const char *peer);
int sw_switcher_preview_from(SwSwitcher *sw, int cam, const char *peer);
/* A transition to cam (spec->kind SW_TRANS_CUT: a plain cut, as sw_switcher_cut). Transitions: a cut (cue or
 * command) that changes the camera starts its transition at that tick; frame k of it is at tick start + k; from
 * start + frames on the new camera is on program alone. A transition at tick 0 is a cut (nothing to come from).
 * Any later cut, cue or transition while one is in progress completes it at once first. The decision's camera is
 * the new one from the start tick (SwDecision.mix says which frames are mixed). */
int sw_switcher_transition(SwSwitcher *sw, int cam, const SwTransSpec *spec);
/* The director's auto (key T): when a transition is in progress, complete it at once (the new camera alone from
 * this tick); else a transition with spec from program to preview (-ENOENT when there is no preview, or it is on
 * program). The choice is made at the tick the command applies. */
int sw_switcher_auto(SwSwitcher *sw, const SwTransSpec *spec);

/* Decide tick `tick` (ticks must be consecutive from 0). Order within a tick: the timed cue at this frame first,
 * then the director's staged commands in order (the director's last word wins). A cut to the camera already on
 * program is a no-op and produces no event. Returns 0, or -EINVAL when ticks are not consecutive. */
int sw_switcher_tick(SwSwitcher *sw, int64_t tick, SwDecision *out);

/* End the take at `tick` for a reason outside the cue list (duration, stop, sources ended): fills out with one
 * END event. tick is the next tick to decide, or the tick just decided when its frame could not be recorded (a sink
 * failed). Returns 0, -EINVAL for another tick, -EPIPE when the take has already ended. */
int sw_switcher_end_at(SwSwitcher *sw, int64_t tick, SwOrigin origin, SwDecision *out);

void sw_switcher_get_state(SwSwitcher *sw, SwState *state);
/* The camera count given to sw_switcher_alloc. */
int sw_switcher_ncams(const SwSwitcher *sw);
/* The cue list given to sw_switcher_alloc (may be NULL): frozen, so any thread may read it. */
const SwCueList *sw_switcher_cues(const SwSwitcher *sw);

/* "start", "cue", "go", "manual", "duration", "stop", "sources", "remote" */
const char *sw_origin_name(SwOrigin origin);

#endif
