/* onetake: the cue list (grammar in docs/contract.md). Parsed and validated once, then frozen: every timed cue
 * is an integer program frame index. */
#ifndef SW_CUES_H
#define SW_CUES_H

#include <stddef.h>
#include <stdint.h>

#include "sw_timecode.h"
#include "sw_transition.h"

typedef enum SwCueAction {
    SW_CUE_CUT,
    SW_CUE_END,
    SW_CUE_SUB,       /* sub[.LANG] "TEXT": a subtitle line of language `lang` from `frame` on */
    SW_CUE_SUB_CLEAR, /* sub-clear, sub.LANG-clear: the line of `lang` ends at `frame` */
} SwCueAction;

/* Subtitle languages one take may have (one Matroska track each). */
#define SW_SUB_MAX_LANGS 6
/* A language code as written after `sub.`: letters, then optional -subtags of letters and digits (en, ko,
 * pt-BR, yue-Hant), at most this many characters. */
#define SW_SUB_LANG_MAX 16

typedef struct SwCue {
    int64_t frame;  /* program frame index, or -1 for a `go` cue */
    SwCueAction action;
    int cam;        /* camera index into the names given to the parser; -1 for end */
    const char *camera; /* camera name as written (NULL for end) */
    const char *label;  /* label without quotes, escapes resolved, or NULL */
    int line;       /* 1-based line in the file */
    const char *time_text; /* TIME as written */
    SwTransSpec trans; /* a cut cue's transition: kind SW_TRANS_CUT for a plain cut (mix/dip/wipe lines) */
    /* SW_CUE_SUB / SW_CUE_SUB_CLEAR only (cam -1): the language (index into sw_cues_lang, in order of first
     * appearance; "und" when none is written) and the line's text (NULL for a clear). Sub cues are not timed
     * cues for sw_cues_find_timed and the shot plan: they have their own order (sw_cues_sub_timed). */
    int lang;
    const char *text;
} SwCue;

typedef enum SwCueErrorCode {
    SW_CUE_OK = 0,
    SW_CUE_ERR_IO,            /* the file cannot be read */
    SW_CUE_ERR_ENCODING,      /* not valid UTF-8 (or a NUL byte) */
    SW_CUE_ERR_TIME,          /* TIME is not HH:MM:SS:FF, HH:MM:SS;FF, a frame number or go */
    SW_CUE_ERR_TIMECODE_RANGE, /* a timecode field out of range (FF >= fps, MM or SS >= 60, HH >= 24) */
    SW_CUE_ERR_DROP_FRAME_RATE, /* ';' drop-frame timecode at a rate that has none */
    SW_CUE_ERR_DROPPED_LABEL, /* a drop-frame label that does not exist (e.g. 00:01:00;00) */
    SW_CUE_ERR_ACTION,        /* missing or unknown action */
    SW_CUE_ERR_MISSING_CAMERA, /* `cut` without a camera */
    SW_CUE_ERR_CAMERA_NAME,   /* a camera name with characters outside [A-Za-z0-9_-] */
    SW_CUE_ERR_UNKNOWN_CAMERA, /* a camera that is not one of the take's cameras */
    SW_CUE_ERR_LABEL,         /* an unterminated or malformed "label" */
    SW_CUE_ERR_EXTRA,         /* text after the last field (labels must be quoted) */
    SW_CUE_ERR_ORDER,         /* a timed cue not after the previous timed cue */
    SW_CUE_ERR_AFTER_END,     /* a cue after a timed end cue */
    SW_CUE_ERR_TOO_BIG,       /* frame number or file too large */
    SW_CUE_ERR_LENGTH,        /* a transition's FRAMES missing, not a number, <= 0 or too large */
    SW_CUE_ERR_OVERLAP,       /* a transition that has not finished when the next timed cue comes */
    SW_CUE_ERR_PAST_END,      /* a transition that runs past the timed end */
    SW_CUE_ERR_PATTERN,       /* a wipe without a pattern, an unknown pattern, or a bad `soft N` */
    SW_CUE_ERR_COLOUR,        /* a dip colour that is not black, white or #RRGGBB */
    SW_CUE_ERR_SUB,           /* a sub without its "text", a bad language, too many languages */
    SW_CUE_ERR_LYRICS,        /* a lyrics file (SRT, WebVTT, LRC) that cannot be used */
} SwCueErrorCode;

typedef struct SwCueError {
    SwCueErrorCode code;
    int line, column;   /* 1-based; column counts UTF-8 characters; 0 when not about a place in the file */
    char message[512];  /* what is wrong and what would be accepted, without the file:line:col prefix */
} SwCueError;

typedef struct SwCueList SwCueList;

/* Parse text (len bytes, need not be NUL-terminated). cams/ncams are the take's camera names: every camera in the
 * list must be one of them; with cams == NULL any well-formed name is accepted and cam indices are assigned in order
 * of first appearance. Returns a new frozen list, or NULL with *err filled in. */
/* The camera-name rule (docs/contract.md: NAME is [A-Za-z0-9_-]+, at most SW_CAM_NAME_MAX characters), the one
 * check of it: 1 when the len bytes at name make a camera name. */
#define SW_CAM_NAME_MAX 64
int sw_cam_name_valid(const char *name, size_t len);

SwCueList *sw_cues_parse(const char *text, size_t len, SwRate rate, const char *const *cams, int ncams,
                         SwCueError *err);
/* Read and parse a file. On failure err->code is set (SW_CUE_ERR_IO when it cannot be read). */
SwCueList *sw_cues_load(const char *path, SwRate rate, const char *const *cams, int ncams, SwCueError *err);
void sw_cues_free(SwCueList **list);

int sw_cues_count(const SwCueList *list);
const SwCue *sw_cues_get(const SwCueList *list, int index); /* borrowed, NULL when out of range */
SwRate sw_cues_rate(const SwCueList *list);

/* Index of the first timed cue with frame >= `frame`, or sw_cues_count() when none. */
int sw_cues_find_timed(const SwCueList *list, int64_t frame);
/* The plan the timed cues alone make (program_only looks ahead with it; go cues and the director's commands can
 * change what happens, so a plan is a hint, checked against each decision).
 * sw_cues_shot_end: the first frame after `frame` at which a timed cue takes program away from camera `cam` (a cut
 * to another camera, or the end), or -1 when none does.
 * sw_cues_next_shot: the next shot of `cam` that a timed cue starts after `frame`: *in its first frame, *out its end
 * as sw_cues_shot_end gives it (-1: open). 0, or -ENOENT when no timed cue cuts to cam after frame. */
int64_t sw_cues_shot_end(const SwCueList *list, int cam, int64_t frame);
int sw_cues_next_shot(const SwCueList *list, int cam, int64_t frame, int64_t *in, int64_t *out);
/* 1 when some cue is a transition (mix, dip, wipe). */
int sw_cues_has_transitions(const SwCueList *list);
/* Frame of the timed `end` cue, or -1. */
int64_t sw_cues_end_frame(const SwCueList *list);

/* Subtitle cues: the languages (index = SwCue.lang), and the timed sub cues in frame order (file order within a
 * frame): sw_cues_sub_timed(list, k) is the list index of the k-th, -1 past the end. */
int sw_cues_nlangs(const SwCueList *list);
const char *sw_cues_lang(const SwCueList *list, int lang);
int sw_cues_nsub_timed(const SwCueList *list);
int sw_cues_sub_timed(const SwCueList *list, int k);
/* 1 when the len bytes at s make a language code (SW_SUB_LANG_MAX). */
int sw_sub_lang_valid(const char *s, size_t len);

/* Helpers the other text formats of the switcher share (sw_subs.c): the offset of the first byte of s that is
 * not valid UTF-8 (or is NUL), or -1; and a whole file read (at most 16 MiB), 0 or -1 with err filled in
 * (SW_CUE_ERR_IO / SW_CUE_ERR_TOO_BIG). *out is malloc'ed. */
long sw_cues_utf8_invalid(const unsigned char *s, size_t n);
int sw_cues_read_file(const char *path, char **out, size_t *out_len, SwCueError *err);

/* "file:line:col: message" formatted into buf. Returns buf. */
char *sw_cue_error_format(const SwCueError *err, const char *path, char *buf, size_t size);
const char *sw_cue_error_name(SwCueErrorCode code);

/* A director's action script (record --actions FILE): what a director did, for rehearsals and tests. One action per
 * line, `#` comments, same TIME grammar as the cue list except `go`:
 *     TIME  go | cut CAMERA | preview CAMERA | end
 * An action at frame F is staged before tick F, so it takes effect at F exactly like a key pressed during frame F-1.
 * Times must be non-decreasing; several actions may share a frame (applied in file order). Errors as for cues. */
typedef enum SwActionType {
    SW_ACTION_CUT,
    SW_ACTION_GO,
    SW_ACTION_END,
    SW_ACTION_PREVIEW,
} SwActionType;

typedef struct SwAction {
    int64_t frame;
    SwActionType type;
    int cam; /* -1 for go and end */
    int line;
} SwAction;

typedef struct SwActionList SwActionList;

SwActionList *sw_actions_parse(const char *text, size_t len, SwRate rate, const char *const *cams, int ncams,
                               SwCueError *err);
SwActionList *sw_actions_load(const char *path, SwRate rate, const char *const *cams, int ncams, SwCueError *err);
void sw_actions_free(SwActionList **list);
int sw_actions_count(const SwActionList *list);
const SwAction *sw_actions_get(const SwActionList *list, int index);

#endif
