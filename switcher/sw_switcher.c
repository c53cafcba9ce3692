/* onetake: the per-tick switch decision. */
#include "sw_switcher.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* Staged commands between two ticks: far more than a director can press in 1/fps s. */
#define SW_CMD_RING 64

typedef enum SwCmdType {
    SW_CMD_CUT,
    SW_CMD_GO,
    SW_CMD_END,
    SW_CMD_PREVIEW,
    SW_CMD_AUTO,
    SW_CMD_COMPLETE,
    SW_CMD_SUB,
} SwCmdType;

typedef struct SwCmd {
    SwCmdType type;
    int cam;
    char peer[SW_PEER_MAX]; /* "" unless remote */
    SwTransSpec trans; /* CUT and AUTO */
    SwInput input;     /* AUTO */
    const char *text;  /* SUB (cam: the language) */
} SwCmd;

struct SwSwitcher {
    const SwCueList *cues; /* borrowed, frozen */
    int ncams;
    int first_cam;
    int ncues;
    int64_t end_frame;

    pthread_mutex_t lock; /* leaf lock: everything below */
    SwCmd ring[SW_CMD_RING];
    int ring_head, ring_count;
    int staged_gos;       /* gos staged, not yet applied: a go is refused when no go cue is left for it */
    int gos_left;         /* go cues not fired yet */
    unsigned char *fired; /* per cue: 1 once it fired */
    int next_timed;       /* list index of the next timed cue, ncues when none */
    int next_go;          /* list index of the next go cue, -1 when none */
    int next_cue;         /* first unfired cue in file order, -1 when none */
    int director_preview; /* -1 when the director has not chosen one */
    int64_t next_tick;
    SwState state;
    /* the transition in progress (trans_start < 0: none) */
    int64_t trans_start;
    int trans_from;
    SwTransSpec trans;
    /* subtitles: the schedule (borrowed, or own_subs), the next timed line to fire */
    const SwSubs *subs;
    SwSubs *own_subs;
    int next_sub;
};

static int next_go_from(const SwSwitcher *sw, int from)
{
    for (int i = from; i < sw->ncues; i++) {
        const SwCue *c = sw_cues_get(sw->cues, i);
        if (c->frame < 0 && !sw->fired[i])
            return i;
    }
    return -1;
}

/* Each language's next line: its next timed line with text, else its next go sub cue in file order. */
static void publish_subs(SwSwitcher *sw)
{
    int n = sw_subs_nlangs(sw->subs), left = n;
    sw->state.sub_langs = n;
    for (int l = 0; l < n; l++)
        sw->state.sub_next[l] = NULL;
    unsigned char done[SW_SUB_MAX_LANGS] = {0};
    const SwSubOp *op;
    for (int k = sw->next_sub; left > 0 && (op = sw_subs_get(sw->subs, k)); k++)
        if (op->text && op->lang < n && !done[op->lang]) {
            sw->state.sub_next[op->lang] = op->text;
            done[op->lang] = 1;
            left--;
        }
    for (int i = sw->next_go >= 0 ? sw->next_go : sw->ncues; left > 0 && i < sw->ncues; i++) {
        const SwCue *c = sw_cues_get(sw->cues, i);
        if (c->frame < 0 && !sw->fired[i] && c->action == SW_CUE_SUB && c->lang < n && !done[c->lang]) {
            sw->state.sub_next[c->lang] = c->text;
            done[c->lang] = 1;
            left--;
        }
    }
}

/* Recompute the derived fields of the published state. Called with the lock held. */
static void publish(SwSwitcher *sw)
{
    while (sw->next_cue >= 0 && sw->next_cue < sw->ncues && sw->fired[sw->next_cue])
        sw->next_cue++;
    if (sw->next_cue >= sw->ncues)
        sw->next_cue = -1;

    int preview = sw->director_preview;
    if (preview < 0 && sw->next_cue >= 0) {
        /* the camera of the next pending cut, timed or go, in file order */
        for (int i = sw->next_cue; i < sw->ncues; i++) {
            const SwCue *c = sw_cues_get(sw->cues, i);
            if (!sw->fired[i] && c->action == SW_CUE_CUT) {
                preview = c->cam;
                break;
            }
        }
    }
    sw->state.preview = preview;
    publish_subs(sw);
    sw->state.next_cue = sw->next_cue;
    sw->state.next_go = sw->next_go;
    sw->state.end_frame = sw->end_frame;
}

SwSwitcher *sw_switcher_alloc(const SwCueList *cues, int ncams, int first_cam)
{
    if (ncams < 1 || ncams > SW_MAX_CAMS || first_cam < 0 || first_cam >= ncams)
        return NULL;
    int ncues = sw_cues_count(cues);
    for (int i = 0; i < ncues; i++) {
        const SwCue *c = sw_cues_get(cues, i);
        if (c->action == SW_CUE_CUT && (c->cam < 0 || c->cam >= ncams))
            return NULL; /* a cue names a camera the take does not have */
    }

    SwSwitcher *sw = calloc(1, sizeof(*sw));
    if (!sw)
        return NULL;
    sw->fired = calloc((size_t)(ncues ? ncues : 1), 1);
    if (!sw->fired)
        goto fail;
    if (pthread_mutex_init(&sw->lock, NULL) != 0)
        goto fail;
    sw->cues = cues;
    sw->ncams = ncams;
    sw->first_cam = first_cam;
    sw->ncues = ncues;
    sw->end_frame = sw_cues_end_frame(cues);
    sw->next_timed = sw_cues_find_timed(cues, 0);
    sw->next_go = next_go_from(sw, 0);
    for (int i = 0; i < ncues; i++)
        sw->gos_left += sw_cues_get(cues, i)->frame < 0;
    sw->next_cue = ncues ? 0 : -1;
    sw->director_preview = -1;
    sw->state.tick = -1;
    sw->state.program = first_cam;
    sw->state.mix_from = -1;
    sw->trans_start = -1;
    if (sw_cues_nlangs(cues) > 0 && !(sw->own_subs = sw_subs_alloc(cues, sw_cues_rate(cues))))
        goto fail;
    sw->subs = sw->own_subs;
    publish(sw);
    return sw;

fail:
    sw_subs_free(&sw->own_subs);
    free(sw->fired);
    free(sw);
    return NULL;
}

void sw_switcher_free(SwSwitcher **sw)
{
    if (!sw || !*sw)
        return;
    pthread_mutex_destroy(&(*sw)->lock);
    sw_subs_free(&(*sw)->own_subs);
    free((*sw)->fired);
    free(*sw);
    *sw = NULL;
}

const SwCueList *sw_switcher_cues(const SwSwitcher *sw)
{
    return sw ? sw->cues : NULL;
}

int sw_switcher_ncams(const SwSwitcher *sw)
{
    return sw ? sw->ncams : 0;
}

/* Stage one command. Called with the lock held. */
static int stage_trans(SwSwitcher *sw, SwCmdType type, int cam, const char *peer, const SwTransSpec *trans)
{
    if (sw->ring_count == SW_CMD_RING)
        return -ENOSPC;
    SwCmd *c = &sw->ring[(sw->ring_head + sw->ring_count) % SW_CMD_RING];
    *c = (SwCmd){.type = type, .cam = cam};
    if (trans)
        c->trans = *trans;
    if (peer) {
        size_t n = strnlen(peer, SW_PEER_MAX - 1);
        memcpy(c->peer, peer, n);
        c->peer[n] = 0;
        if (!n) /* a remote command always names its peer */
            memcpy(c->peer, "?", 2);
    }
    sw->ring_count++;
    return 0;
}

static int stage(SwSwitcher *sw, SwCmdType type, int cam, const char *peer)
{
    return stage_trans(sw, type, cam, peer, NULL);
}

static int valid_spec(const SwTransSpec *t)
{
    return !t || t->kind == SW_TRANS_CUT ||
           (t->kind >= SW_TRANS_MIX && t->kind <= SW_TRANS_WIPE && t->frames >= 1 &&
            t->frames <= SW_TRANS_MAX_FRAMES && t->pattern >= SW_WIPE_LEFT && t->pattern <= SW_WIPE_CIRCLE &&
            t->soft >= 0 && t->soft <= SW_TRANS_MAX_SOFT);
}

static int stage_cam(SwSwitcher *sw, SwCmdType type, int cam, const char *peer, const SwTransSpec *trans)
{
    int ret;
    pthread_mutex_lock(&sw->lock);
    if (sw->state.ended)
        ret = -EPIPE;
    else if (cam < 0 || cam >= sw->ncams || !valid_spec(trans))
        ret = -EINVAL;
    else
        ret = stage_trans(sw, type, cam, peer, trans);
    pthread_mutex_unlock(&sw->lock);
    return ret;
}

void sw_switcher_set_subs(SwSwitcher *sw, const SwSubs *subs)
{
    if (!sw)
        return;
    pthread_mutex_lock(&sw->lock);
    sw->subs = subs ? subs : sw->own_subs;
    sw->next_sub = sw_subs_find(sw->subs, sw->next_tick);
    publish(sw);
    pthread_mutex_unlock(&sw->lock);
}

const SwSubs *sw_switcher_subs(const SwSwitcher *sw)
{
    return sw ? sw->subs : NULL;
}

int sw_switcher_sub(SwSwitcher *sw, int lang, const char *text)
{
    int ret;
    if (!sw)
        return -EINVAL;
    pthread_mutex_lock(&sw->lock);
    if (sw->state.ended)
        ret = -EPIPE;
    else if (lang < 0 || lang >= sw_subs_nlangs(sw->subs))
        ret = -EINVAL;
    else if ((ret = stage(sw, SW_CMD_SUB, lang, NULL)) == 0)
        sw->ring[(sw->ring_head + sw->ring_count - 1) % SW_CMD_RING].text = text;
    pthread_mutex_unlock(&sw->lock);
    return ret;
}

int sw_switcher_cut(SwSwitcher *sw, int cam)
{
    return sw ? stage_cam(sw, SW_CMD_CUT, cam, NULL, NULL) : -EINVAL;
}

int sw_switcher_transition(SwSwitcher *sw, int cam, const SwTransSpec *spec)
{
    return sw ? stage_cam(sw, SW_CMD_CUT, cam, NULL, spec) : -EINVAL;
}

int sw_switcher_auto_by(SwSwitcher *sw, const SwTransSpec *spec, SwInput input, const char *peer)
{
    if (!sw || !spec || spec->kind == SW_TRANS_CUT || !valid_spec(spec) || input < SW_INPUT_NONE ||
        input > SW_INPUT_CONTROL)
        return -EINVAL;
    int ret;
    pthread_mutex_lock(&sw->lock);
    if (sw->state.ended)
        ret = -EPIPE;
    else if (sw->trans_start < 0 && (sw->state.preview < 0 || sw->state.preview == sw->state.program) &&
             sw->ring_count == 0)
        ret = -ENOENT; /* nothing to go to (a staged command may still change that: then it is decided later) */
    else if ((ret = stage_trans(sw, SW_CMD_AUTO, -1, peer, spec)) == 0)
        sw->ring[(sw->ring_head + sw->ring_count - 1) % SW_CMD_RING].input = input;
    pthread_mutex_unlock(&sw->lock);
    return ret;
}

int sw_switcher_auto(SwSwitcher *sw, const SwTransSpec *spec)
{
    return sw_switcher_auto_by(sw, spec, SW_INPUT_NONE, NULL);
}

int sw_switcher_complete(SwSwitcher *sw)
{
    if (!sw)
        return -EINVAL;
    pthread_mutex_lock(&sw->lock);
    int ret = sw->state.ended ? -EPIPE : stage(sw, SW_CMD_COMPLETE, -1, NULL);
    pthread_mutex_unlock(&sw->lock);
    return ret;
}

int sw_switcher_preview(SwSwitcher *sw, int cam)
{
    return sw ? stage_cam(sw, SW_CMD_PREVIEW, cam, NULL, NULL) : -EINVAL;
}

int sw_switcher_cut_from(SwSwitcher *sw, int cam, const char *peer)
{
    return sw ? stage_cam(sw, SW_CMD_CUT, cam, peer ? peer : "?", NULL) : -EINVAL;
}

int sw_switcher_preview_from(SwSwitcher *sw, int cam, const char *peer)
{
    return sw ? stage_cam(sw, SW_CMD_PREVIEW, cam, peer ? peer : "?", NULL) : -EINVAL;
}

static int stage_go(SwSwitcher *sw, const char *peer)
{
    int ret;
    if (!sw)
        return -EINVAL;
    pthread_mutex_lock(&sw->lock);
    if (sw->state.ended)
        ret = -EPIPE;
    else if (sw->staged_gos >= sw->gos_left)
        ret = -ENOENT;
    else if ((ret = stage(sw, SW_CMD_GO, -1, peer)) == 0)
        sw->staged_gos++;
    pthread_mutex_unlock(&sw->lock);
    return ret;
}

int sw_switcher_go(SwSwitcher *sw)
{
    return stage_go(sw, NULL);
}

int sw_switcher_go_from(SwSwitcher *sw, const char *peer)
{
    return stage_go(sw, peer ? peer : "?");
}

static int stage_end(SwSwitcher *sw, const char *peer)
{
    int ret;
    if (!sw)
        return -EINVAL;
    pthread_mutex_lock(&sw->lock);
    ret = sw->state.ended ? -EPIPE : stage(sw, SW_CMD_END, -1, peer);
    pthread_mutex_unlock(&sw->lock);
    return ret;
}

int sw_switcher_end(SwSwitcher *sw)
{
    return stage_end(sw, NULL);
}

int sw_switcher_end_from(SwSwitcher *sw, const char *peer)
{
    return stage_end(sw, peer ? peer : "?");
}

/* ---- the tick ---- */

static SwEvent *add_event(SwDecision *out, SwEventType type, int64_t tick, int cam, int prev, SwOrigin origin,
                          int cue_index, const char *peer)
{
    SwEvent *ev = &out->events[out->nevents++];
    *ev = (SwEvent){
        .type = type,
        .frame = tick,
        .cam = cam,
        .prev_cam = prev,
        .origin = peer && *peer ? SW_ORIGIN_REMOTE : origin,
        .cue_index = cue_index,
    };
    if (peer && *peer)
        memcpy(ev->peer, peer, strnlen(peer, SW_PEER_MAX - 1)); /* zeroed above: stays terminated */
    if (type == SW_EVENT_CUT)
        out->cut = 1;
    else if (type == SW_EVENT_END)
        out->end = 1;
    return ev;
}

/* Put `cam` on program, with transition `trans` (NULL or kind CUT: a cut). At tick 0 the first cut has no previous
 * camera (and no transition). A transition in progress is complete from this tick on. */
static void do_cut(SwSwitcher *sw, SwDecision *out, int *started, int cam, SwOrigin origin, int cue_index,
                   const char *peer, const SwTransSpec *trans)
{
    int prev = *started ? sw->state.program : -1;
    if (*started && cam == prev)
        return; /* already on program: not a cut */
    SwEvent *ev = add_event(out, SW_EVENT_CUT, out->tick, cam, prev, origin, cue_index, peer);
    sw->trans_start = -1;
    if (trans && trans->kind != SW_TRANS_CUT && prev >= 0) {
        ev->trans = *trans;
        sw->trans = *trans;
        sw->trans_start = out->tick;
        sw->trans_from = prev;
    }
    sw->state.program = cam;
    *started = 1;
    if (sw->director_preview == cam)
        sw->director_preview = -1;
}

/* Complete the transition in progress at once: the new camera alone from now, logged. One that starts at this very
 * tick (a double T staged before one tick) mixes no frame: a cut. */
static void do_complete(SwSwitcher *sw, SwDecision *out, const SwCmd *cmd)
{
    if (sw->trans_start < 0)
        return;
    SwEvent *ev = add_event(out, SW_EVENT_COMPLETE, out->tick, sw->state.program, sw->trans_from, SW_ORIGIN_MANUAL,
                            -1, cmd->peer);
    ev->trans = sw->trans;
    ev->mixed = (int)(out->tick - sw->trans_start);
    ev->input = cmd->input;
    sw->trans_start = -1;
}

static void do_end(SwSwitcher *sw, SwDecision *out, SwOrigin origin, int cue_index, const char *peer)
{
    add_event(out, SW_EVENT_END, out->tick, sw->state.program, -1, origin, cue_index, peer);
    sw->state.ended = 1;
    sw->ring_count = 0; /* nothing staged applies after the end */
    sw->staged_gos = 0;
}

static void do_sub(SwSwitcher *sw, SwDecision *out, int lang, const char *text, SwOrigin origin, int cue_index,
                   const char *peer)
{
    SwEvent *ev = add_event(out, SW_EVENT_SUB, out->tick, sw->state.program, -1, origin, cue_index, peer);
    ev->lang = lang;
    ev->text = text;
    if (lang >= 0 && lang < SW_SUB_MAX_LANGS)
        sw->state.sub_now[lang] = text;
}

/* The timed subtitle lines of this tick, after its timed cue (room is left for one more event: a subtitle
 * line that does not fit fires at the next tick). */
static void fire_subs(SwSwitcher *sw, SwDecision *out, int64_t tick)
{
    const SwSubOp *op;
    while ((op = sw_subs_get(sw->subs, sw->next_sub)) && op->frame <= tick && out->nevents < SW_MAX_EVENTS - 1) {
        if (op->cue >= 0 && op->cue < sw->ncues)
            sw->fired[op->cue] = 1;
        do_sub(sw, out, op->lang, op->text, SW_ORIGIN_CUE, op->cue, NULL);
        sw->next_sub++;
    }
}

/* Fire cue i (timed or go; peer: a go from the network, else NULL). */
static void fire(SwSwitcher *sw, SwDecision *out, int *started, int i, SwOrigin origin, const char *peer)
{
    const SwCue *c = sw_cues_get(sw->cues, i);
    sw->fired[i] = 1;
    if (c->action == SW_CUE_SUB || c->action == SW_CUE_SUB_CLEAR)
        do_sub(sw, out, c->lang, c->text, origin, i, peer);
    else if (c->action == SW_CUE_END)
        do_end(sw, out, origin, i, peer);
    else
        do_cut(sw, out, started, c->cam, origin, i, peer, &c->trans);
}

/* The first end among the staged commands, or NULL. */
static const SwCmd *staged_end(const SwSwitcher *sw)
{
    for (int k = 0; k < sw->ring_count; k++) {
        const SwCmd *cmd = &sw->ring[(sw->ring_head + k) % SW_CMD_RING];
        if (cmd->type == SW_CMD_END)
            return cmd;
    }
    return NULL;
}

int sw_switcher_tick(SwSwitcher *sw, int64_t tick, SwDecision *out)
{
    if (!sw || !out)
        return -EINVAL;
    pthread_mutex_lock(&sw->lock);
    if (sw->state.ended) {
        pthread_mutex_unlock(&sw->lock);
        return -EPIPE;
    }
    if (tick != sw->next_tick) {
        pthread_mutex_unlock(&sw->lock);
        return -EINVAL;
    }
    memset(out, 0, sizeof(*out));
    out->tick = tick;
    int started = tick > 0;
    if (sw->trans_start >= 0 && tick >= sw->trans_start + sw->trans.frames)
        sw->trans_start = -1; /* the last transition is complete */

    /* 0. an end staged for this tick ends the take here: this frame is not in the master, so nothing else (a
     * timed cue on the same frame, a cut staged before the end) may be logged as happening on it. At tick 0
     * the start cut comes first (the staged end then lands after it, in step 2). */
    const SwCmd *end = tick > 0 ? staged_end(sw) : NULL;
    if (end)
        do_end(sw, out, SW_ORIGIN_STOP, -1, end->peer); /* empties the staged commands */

    /* 1. the timed cue at this frame */
    if (!sw->state.ended && sw->next_timed < sw->ncues) {
        const SwCue *c = sw_cues_get(sw->cues, sw->next_timed);
        if (c->frame == tick) {
            fire(sw, out, &started, sw->next_timed, SW_ORIGIN_CUE, NULL);
            sw->next_timed = sw_cues_find_timed(sw->cues, tick + 1);
        }
    }
    if (!started && !sw->state.ended)
        do_cut(sw, out, &started, sw->first_cam, SW_ORIGIN_START, -1, NULL, NULL);
    if (!sw->state.ended)
        fire_subs(sw, out, tick);

    /* 2. the director's commands in staging order; a full event list leaves the rest for the next tick */
    while (!sw->state.ended && sw->ring_count > 0 && out->nevents < SW_MAX_EVENTS) {
        const SwCmd *cmd = &sw->ring[sw->ring_head];
        sw->ring_head = (sw->ring_head + 1) % SW_CMD_RING;
        sw->ring_count--;
        switch (cmd->type) {
        case SW_CMD_CUT:
            do_cut(sw, out, &started, cmd->cam, SW_ORIGIN_MANUAL, -1, cmd->peer, &cmd->trans);
            break;
        case SW_CMD_AUTO:
            if (sw->trans_start >= 0) {
                do_complete(sw, out, cmd); /* the new camera alone from now */
            } else if (sw->trans_start < 0) {
                publish(sw); /* the preview as the commands before this one left it */
                int n = out->nevents;
                if (sw->state.preview >= 0)
                    do_cut(sw, out, &started, sw->state.preview, SW_ORIGIN_MANUAL, -1, cmd->peer, &cmd->trans);
                if (out->nevents > n)
                    out->events[n].input = cmd->input;
            }
            break;
        case SW_CMD_COMPLETE:
            do_complete(sw, out, cmd);
            break;
        case SW_CMD_GO:
            sw->staged_gos--;
            if (sw->next_go >= 0) {
                int i = sw->next_go;
                sw->gos_left--;
                sw->next_go = next_go_from(sw, i + 1);
                fire(sw, out, &started, i, SW_ORIGIN_GO, cmd->peer);
            }
            break;
        case SW_CMD_END:
            do_end(sw, out, SW_ORIGIN_STOP, -1, cmd->peer);
            break;
        case SW_CMD_PREVIEW:
            sw->director_preview = cmd->cam;
            break;
        case SW_CMD_SUB:
            do_sub(sw, out, cmd->cam, cmd->text, SW_ORIGIN_MANUAL, -1, cmd->peer);
            break;
        }
    }

    out->cam = sw->state.program;
    if (sw->trans_start >= 0 && !sw->state.ended) {
        out->mix = (SwMix){.active = 1, .from = sw->trans_from, .k = (int)(tick - sw->trans_start),
                           .spec = sw->trans};
    } else {
        sw->trans_start = -1;
    }
    sw->state.mix_from = out->mix.active ? out->mix.from : -1;
    sw->state.mix_k = out->mix.k;
    sw->state.mix_frames = out->mix.active ? out->mix.spec.frames : 0;
    sw->state.tick = tick;
    sw->next_tick = tick + 1;
    publish(sw);
    pthread_mutex_unlock(&sw->lock);
    return 0;
}

int sw_switcher_end_at(SwSwitcher *sw, int64_t tick, SwOrigin origin, SwDecision *out)
{
    if (!sw || !out || origin < SW_ORIGIN_START || origin > SW_ORIGIN_SOURCES)
        return -EINVAL;
    pthread_mutex_lock(&sw->lock);
    int ret = 0;
    if (sw->state.ended) {
        ret = -EPIPE;
    } else if (tick != sw->next_tick && !(tick >= 0 && tick == sw->state.tick)) {
        ret = -EINVAL;
    } else {
        memset(out, 0, sizeof(*out));
        out->tick = tick;
        do_end(sw, out, origin, -1, NULL);
        out->cam = sw->state.program;
        sw->state.tick = tick;
        sw->next_tick = tick + 1;
        publish(sw);
    }
    pthread_mutex_unlock(&sw->lock);
    return ret;
}

void sw_switcher_get_state(SwSwitcher *sw, SwState *state)
{
    if (!sw || !state)
        return;
    pthread_mutex_lock(&sw->lock);
    *state = sw->state;
    pthread_mutex_unlock(&sw->lock);
}

const char *sw_origin_name(SwOrigin origin)
{
    switch (origin) {
    case SW_ORIGIN_START:
        return "start";
    case SW_ORIGIN_CUE:
        return "cue";
    case SW_ORIGIN_GO:
        return "go";
    case SW_ORIGIN_MANUAL:
        return "manual";
    case SW_ORIGIN_DURATION:
        return "duration";
    case SW_ORIGIN_STOP:
        return "stop";
    case SW_ORIGIN_SOURCES:
        return "sources";
    case SW_ORIGIN_REMOTE:
        return "remote";
    }
    return "unknown";
}

const char *sw_input_name(SwInput input)
{
    static const char *const names[] = {"", "key", "script", "control"};
    return input >= SW_INPUT_NONE && input <= SW_INPUT_CONTROL ? names[input] : "";
}

const char *sw_event_type_name(SwEventType type)
{
    return type == SW_EVENT_CUT        ? "cut"
           : type == SW_EVENT_END      ? "end"
           : type == SW_EVENT_COMPLETE ? "complete"
           : type == SW_EVENT_SUB      ? "sub"
                                       : "?";
}
