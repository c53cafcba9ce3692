/* onetake: the take's subtitle schedule. Its languages and its timed lines, from the cue list's sub cues and
 * from lyrics files (--lyrics [LANG=]FILE: SubRip, WebVTT or LRC), merged into one list of operations in frame
 * order that the switcher fires like timed cues (a `go` sub cue stays in the cue list: the director fires it).
 * Frozen once built; every string lives as long as the SwSubs. */
#ifndef SW_SUBS_H
#define SW_SUBS_H

#include <stddef.h>
#include <stdint.h>

#include "sw_cues.h"

typedef struct SwSubOp {
    int64_t frame;    /* program frame the line starts (or the language's line ends) at */
    int lang;         /* index into sw_subs_lang */
    const char *text; /* the line; NULL: the language's line ends here with no new one */
    int cue;          /* list index of the sub cue it is, -1 when it comes from a lyrics file */
    int line;         /* 1-based line of its cue or of its lyrics entry's timing */
} SwSubOp;

typedef enum SwLyricsFormat {
    SW_LYRICS_AUTO = 0, /* from the file name (.srt, .vtt, .lrc), else from the text */
    SW_LYRICS_SRT,
    SW_LYRICS_VTT,
    SW_LYRICS_LRC,
} SwLyricsFormat;

typedef struct SwSubs SwSubs;

/* The cue list's languages (the same indices as SwCue.lang) and its timed sub cues. cues may be NULL. NULL
 * only when out of memory. */
SwSubs *sw_subs_alloc(const SwCueList *cues, SwRate rate);
void sw_subs_free(SwSubs **subs);

/* Add the timed lines of a lyrics file as language lang (NULL: "und"). Each entry starts on the frame nearest
 * its start time and ends on the frame nearest its end (SRT, WebVTT) or where the next entry starts (LRC; an
 * LRC entry with no text ends the line, the last one lasts to the end of the take). Refused, with err at its
 * file:line:col: entries out of order or overlapping, shorter than a frame, a language that has sub cues in
 * the cue list or another lyrics file, more than SW_SUB_MAX_LANGS languages, a malformed file. 0 or -1. */
int sw_subs_load_lyrics(SwSubs *subs, const char *lang, const char *path, SwLyricsFormat format,
                        SwCueError *err);
int sw_subs_parse_lyrics(SwSubs *subs, const char *lang, const char *text, size_t len, SwLyricsFormat format,
                         SwCueError *err);

/* Add language lang with n lines already on frames (replay: the lines a master holds): line i from start[i] to
 * end[i] (exclusive), text[i] copied. Lines must be in order and not overlap. 0, -EINVAL, -ENOSPC (too many
 * languages), -EEXIST (the language is there) or -ENOMEM. */
int sw_subs_add_lines(SwSubs *subs, const char *lang, const int64_t *start, const int64_t *end,
                      const char *const *text, int n);

int sw_subs_nlangs(const SwSubs *subs);
const char *sw_subs_lang(const SwSubs *subs, int lang); /* NULL when out of range */
int sw_subs_lang_index(const SwSubs *subs, const char *code); /* -1 when none */
/* The timed operations, frame order (within a frame: in the order they were added). */
int sw_subs_count(const SwSubs *subs);
const SwSubOp *sw_subs_get(const SwSubs *subs, int index);
/* Index of the first operation with frame >= frame (sw_subs_count when none). */
int sw_subs_find(const SwSubs *subs, int64_t frame);

/* "--lyrics [LANG=]FILE": *lang (NULL when not given: "und") and *path point into arg (lang is not
 * terminated: *lang_len). 0, or -EINVAL when LANG is not a language code. */
int sw_subs_split_arg(const char *arg, const char **lang, size_t *lang_len, const char **path);

#endif
