/* onetake: cue list and action script parser (grammar in docs/contract.md "The cue list").
 *
 * One parser serves both file kinds. It walks the text line by line and each line left to right, so the first
 * error reported is the first one a reader meets. Every string a list hands out lives in one arena owned by
 * the list, sized up front (every stored string is a substring of its line, or shorter once escapes are
 * resolved). */
#include "sw_cues.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ot_common.h"

#define CUES_MAX_FILE (16 * 1024 * 1024) /* a cue list is a page of text; refuse anything absurd */
#define CUES_MAX_FRAME_DIGITS 9          /* bare frame numbers up to 999999999 (over a year at 30 fps) */
#define CUES_SHOW_MAX 48                 /* bytes of a token quoted in a message */

struct SwCueList {
    SwRate rate;
    SwCue *cues;
    int count;
    int *timed; /* list indices of the timed cues, in frame order (which is file order) */
    int ntimed;
    int64_t end_frame;
    char *arena;
    const char *langs[SW_SUB_MAX_LANGS]; /* in the arena */
    int nlangs;
    int *sub_timed; /* list indices of the timed sub cues, in frame order */
    int nsub_timed;
};

struct SwActionList {
    SwRate rate;
    SwAction *actions;
    int count;
    char *arena; /* camera names seen when the parser was given no camera list */
};

typedef enum ParseMode {
    MODE_CUES,
    MODE_ACTIONS,
} ParseMode;

typedef struct Token {
    size_t start, end; /* byte offsets in the line; end is past the closing quote of a quoted token */
    int quoted;
} Token;

typedef struct Parser {
    ParseMode mode;
    SwRate rate;
    const char *const *cams;
    int ncams;
    SwCueError *err;

    int lineno;
    const char *line; /* current line without its line ending */
    size_t line_len;

    char *arena;
    size_t arena_len, arena_cap;

    /* cams == NULL: names in order of first appearance, pointing into the arena */
    const char **auto_cams;
    int nauto, auto_cap;

    SwCue *cues;
    SwAction *actions;
    int count, cap;

    /* ordering state */
    int have_timed;
    int64_t last_frame;
    int last_line;
    const char *last_text;
    int end_line; /* line of a timed end cue (cues) or of an end action (actions), 0 when none */
    /* the last timed transition: the frame it has finished at (TIME + FRAMES), where its FRAMES is written */
    int64_t trans_end;
    int trans_line, trans_col, trans_frames;

    char cams_desc[256]; /* "wide, close, crane" for messages */

    /* subtitle cues: the languages in order of first appearance, and each one's last timed cue */
    const char *langs[SW_SUB_MAX_LANGS];
    int nlangs;
    int64_t lang_last[SW_SUB_MAX_LANGS];
    int lang_line[SW_SUB_MAX_LANGS];
    int64_t sub_max_frame; /* the latest timed sub cue (-1: none) and its line */
    int sub_max_line;
} Parser;

/* ---- errors ---- */

static int utf8_column(const char *s, size_t off)
{
    int col = 1;
    for (size_t i = 0; i < off; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            col++;
    return col;
}

static int set_error(SwCueError *err, SwCueErrorCode code, int line, int column, const char *fmt, va_list ap)
{
    err->code = code;
    err->line = line;
    err->column = column;
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    return -1;
}

/* Error at a place given by line and column (a place on an earlier line). */
__attribute__((format(printf, 5, 6))) static void set_error_at(SwCueError *err, SwCueErrorCode code, int line,
                                                               int column, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_error(err, code, line, column, fmt, ap);
    va_end(ap);
}

/* Error at byte offset `off` of the current line. Always returns -1. */
__attribute__((format(printf, 4, 5))) static int fail(Parser *p, SwCueErrorCode code, size_t off,
                                                      const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_error(p->err, code, p->lineno, utf8_column(p->line, off), fmt, ap);
    va_end(ap);
    return -1;
}

__attribute__((format(printf, 3, 4))) static void fail_global(SwCueError *err, SwCueErrorCode code,
                                                              const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_error(err, code, 0, 0, fmt, ap);
    va_end(ap);
}

/* A token as written for a message: cut at a character boundary when long, control characters as \xHH, and in
 * double quotes when `quote` (a quoted label already has its own). */
static const char *show_token(const Parser *p, const Token *t, int quote, char *buf, size_t size)
{
    const char *s = p->line + t->start;
    size_t n = t->end - t->start, o = 0;
    quote = quote && !t->quoted;
    if (quote)
        buf[o++] = '"';
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        int boundary = (c & 0xC0) != 0x80; /* cut only between characters */
        if (boundary && (i >= CUES_SHOW_MAX || o + 12 >= size)) {
            memcpy(buf + o, "...", 3);
            o += 3;
            break;
        }
        if (c < 0x20 || c == 0x7F) {
            o += (size_t)snprintf(buf + o, size - o, "\\x%02x", c);
        } else if (c == 0xEF && i + 2 < n && (unsigned char)s[i + 1] == 0xBB &&
                   (unsigned char)s[i + 2] == 0xBF) {
            o += (size_t)snprintf(buf + o, size - o, "<BOM>"); /* invisible otherwise */
            i += 2;
        } else {
            buf[o++] = (char)c;
        }
    }
    if (quote)
        buf[o++] = '"';
    buf[o] = '\0';
    return buf;
}

#define SHOW(t) show_token(p, (t), 0, shown, sizeof(shown))
#define SHOWQ(t) show_token(p, (t), 1, shown, sizeof(shown))

static void describe_cams(Parser *p)
{
    char *d = p->cams_desc;
    size_t size = sizeof(p->cams_desc), len = 0;
    d[0] = '\0';
    for (int i = 0; i < p->ncams; i++) {
        const char *sep = i ? ", " : "";
        size_t need = strlen(sep) + strlen(p->cams[i]);
        if (len + need + 5 >= size) {
            snprintf(d + len, size - len, ", ...");
            return;
        }
        len += (size_t)snprintf(d + len, size - len, "%s%s", sep, p->cams[i]);
    }
}

/* ---- arena and arrays ---- */

static const char *arena_store(Parser *p, const char *s, size_t n)
{
    if (p->arena_len + n + 1 > p->arena_cap)
        return NULL; /* cannot happen: the arena is sized for the whole text */
    char *dst = p->arena + p->arena_len;
    memcpy(dst, s, n);
    dst[n] = '\0';
    p->arena_len += n + 1;
    return dst;
}

/* Copy a quoted token without its quotes, resolving \" and \\ (already validated by the tokenizer). */
static const char *arena_store_label(Parser *p, const Token *t)
{
    if (p->arena_len + (t->end - t->start) + 1 > p->arena_cap)
        return NULL;
    char *dst = p->arena + p->arena_len, *o = dst;
    for (size_t i = t->start + 1; i < t->end - 1; i++) {
        char c = p->line[i];
        if (c == '\\')
            c = p->line[++i];
        *o++ = c;
    }
    *o++ = '\0';
    p->arena_len += (size_t)(o - dst);
    return dst;
}

/* ---- lexing ---- */

/* Offset of the first byte that is not valid UTF-8 (or is NUL), or -1. Rejects overlongs, surrogates and code
 * points past U+10FFFF. A broken sequence is reported at its lead byte. */
long sw_cues_utf8_invalid(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        if (c == 0)
            return (long)i;
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t need;
        unsigned lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
        if (c >= 0xC2 && c <= 0xDF) {
            need = 1;
        } else if (c >= 0xE0 && c <= 0xEF) {
            need = 2;
            if (c == 0xE0)
                lo = 0xA0;
            else if (c == 0xED)
                hi = 0x9F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            need = 3;
            if (c == 0xF0)
                lo = 0x90;
            else if (c == 0xF4)
                hi = 0x8F;
        } else {
            return (long)i;
        }
        if (i + need >= n)
            return (long)i; /* truncated at the end of the line */
        if (s[i + 1] < lo || s[i + 1] > hi)
            return (long)i;
        for (size_t k = 2; k <= need; k++)
            if ((s[i + k] & 0xC0) != 0x80)
                return (long)i;
        i += need + 1;
    }
    return -1;
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* Next token from *pos. Returns 1 with *t, 0 at the end of the line or at a comment, -1 on a malformed label.
 * A `#` outside quotes starts a comment wherever it is. */
static int next_token(Parser *p, size_t *pos, Token *t)
{
    const char *l = p->line;
    size_t n = p->line_len, i = *pos;
    while (i < n && is_blank(l[i]))
        i++;
    *pos = i;
    if (i >= n || l[i] == '#')
        return 0;
    t->start = i;
    if (l[i] != '"') {
        while (i < n && !is_blank(l[i]) && l[i] != '#')
            i++;
        t->end = i;
        t->quoted = 0;
        *pos = i;
        return 1;
    }
    for (i++; i < n && l[i] != '"'; i++) {
        if (l[i] != '\\')
            continue;
        if (i + 1 < n && (l[i + 1] == '"' || l[i + 1] == '\\')) {
            i++;
            continue;
        }
        if (i + 1 >= n) {
            i = n; /* a backslash at the end of the line: unterminated */
            break;
        }
        char esc[8];
        int elen = 1;
        while (i + 1 + (size_t)elen < n && ((unsigned char)l[i + 1 + elen] & 0xC0) == 0x80)
            elen++;
        snprintf(esc, sizeof(esc), "%.*s", elen, l + i + 1);
        return fail(
            p, SW_CUE_ERR_LABEL, t->start,
            "unknown escape \"\\%s\" in a label: only \\\" (a double quote) and \\\\ (a backslash) are "
            "accepted",
            esc);
    }
    if (i >= n)
        return fail(
            p, SW_CUE_ERR_LABEL, t->start,
            "unterminated label: a label is \"text\" closed by a double quote on the same line (write \\\" "
            "for a quote inside it)");
    t->end = i + 1;
    t->quoted = 1;
    *pos = t->end;
    if (t->end < n && !is_blank(l[t->end]) && l[t->end] != '#')
        return fail(p, SW_CUE_ERR_LABEL, t->end,
                    "text right after the closing quote of the label: put a space (or # and a comment) after "
                    "\"label\"");
    return 1;
}

static int token_is(const Parser *p, const Token *t, const char *word)
{
    size_t n = strlen(word);
    return !t->quoted && t->end - t->start == n && memcmp(p->line + t->start, word, n) == 0;
}

/* ---- fields ---- */

static int all_digits(const char *s, size_t n)
{
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

static int parse_num(const char *s, size_t n)
{
    int v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

static const char *time_grammar(const Parser *p)
{
    return p->mode == MODE_CUES ? "HH:MM:SS:FF, HH:MM:SS;FF (drop-frame), a frame number or go"
                                : "HH:MM:SS:FF, HH:MM:SS;FF (drop-frame) or a frame number";
}

/* TIME field: sets *frame (-1 for go). */
static int parse_time(Parser *p, const Token *t, int64_t *frame)
{
    const char *s = p->line + t->start;
    size_t n = t->end - t->start;
    char shown[64];
    SwRate r = p->rate;

    if (token_is(p, t, "go")) {
        if (p->mode == MODE_ACTIONS)
            return fail(
                p, SW_CUE_ERR_TIME, t->start,
                "go is not a time in an action script: write the frame the director pressed GO at (%s), "
                "then the action go",
                time_grammar(p));
        *frame = -1;
        return 0;
    }
    if (t->quoted)
        return fail(p, SW_CUE_ERR_TIME, t->start, "a time is written without quotes: expected %s",
                    time_grammar(p));
    if (all_digits(s, n)) {
        if (n > CUES_MAX_FRAME_DIGITS)
            return fail(p, SW_CUE_ERR_TOO_BIG, t->start,
                        "frame number %s is too large: frame numbers go up to 999999999", SHOW(t));
        int64_t v = 0;
        for (size_t i = 0; i < n; i++)
            v = v * 10 + (s[i] - '0');
        *frame = v;
        return 0;
    }
    /* HH:MM:SS:FF or HH:MM:SS;FF: two digits per field (FF may have three at 100 fps and more) */
    if (n < 11 || n > (sw_rate_nominal(r) >= 100 ? 12u : 11u) || !all_digits(s, 2) || s[2] != ':' ||
        !all_digits(s + 3, 2) || s[5] != ':' || !all_digits(s + 6, 2) || (s[8] != ':' && s[8] != ';') ||
        !all_digits(s + 9, n - 9))
        return fail(p, SW_CUE_ERR_TIME, t->start, "bad time %s: expected %s", SHOWQ(t), time_grammar(p));
    int hh = parse_num(s, 2), mm = parse_num(s + 3, 2), ss = parse_num(s + 6, 2),
        ff = parse_num(s + 9, n - 9);
    int drop = s[8] == ';';
    int nominal = sw_rate_nominal(r);
    if (hh > 23)
        return fail(p, SW_CUE_ERR_TIMECODE_RANGE, t->start,
                    "hours %02d are out of range in %s: HH must be 00-23", hh, SHOW(t));
    if (mm > 59)
        return fail(p, SW_CUE_ERR_TIMECODE_RANGE, t->start,
                    "minutes %02d are out of range in %s: MM must be 00-59", mm, SHOW(t));
    if (ss > 59)
        return fail(p, SW_CUE_ERR_TIMECODE_RANGE, t->start,
                    "seconds %02d are out of range in %s: SS must be 00-59", ss, SHOW(t));
    if (ff >= nominal)
        return fail(p, SW_CUE_ERR_TIMECODE_RANGE, t->start,
                    "frame %02d is out of range at %d/%d fps: FF must be 00-%02d", ff, r.num, r.den,
                    nominal - 1);
    if (drop && !sw_rate_allows_drop_frame(r))
        return fail(
            p, SW_CUE_ERR_DROP_FRAME_RATE, t->start,
            "drop-frame timecode %s (';' before the frames) exists only at 30000/1001 and 60000/1001 fps, "
            "the take is %d/%d fps: write %.8s:%.*s",
            SHOW(t), r.num, r.den, s, (int)(n - 9), s + 9);
    int64_t f = sw_timecode_to_frame(r, drop, hh, mm, ss, ff);
    if (f < 0 && drop) {
        char next[16];
        int64_t first = sw_timecode_to_frame(r, 1, hh, mm, ss, nominal / 15); /* first label of that minute */
        sw_timecode_format(r, 1, first, next, sizeof(next));
        return fail(
            p, SW_CUE_ERR_DROPPED_LABEL, t->start,
            "%s does not exist in drop-frame timecode (frames 00-%02d are skipped at every minute not "
            "divisible by 10): the next label is %s",
            SHOW(t), nominal / 15 - 1, next);
    }
    if (f < 0)
        return fail(p, SW_CUE_ERR_TIME, t->start, "bad time %s: expected %s", SHOWQ(t), time_grammar(p));
    *frame = f;
    return 0;
}

/* Where a missing field would start: just after the previous token. */
static size_t after(const Token *t)
{
    return t->end;
}

/* CAMERA field: sets *cam and the name as stored. */
static int parse_camera(Parser *p, const Token *t, const char *what, int *cam, const char **name)
{
    const char *s = p->line + t->start;
    size_t n = t->end - t->start;
    char shown[64];
    if (t->quoted) {
        if (p->cams)
            return fail(p, SW_CUE_ERR_MISSING_CAMERA, t->start,
                        "%s needs a camera before the label: one of %s (e.g. %s %s \"label\")", what,
                        p->cams_desc, what, p->cams[0]);
        return fail(
            p, SW_CUE_ERR_MISSING_CAMERA, t->start,
            "%s needs a camera before the label: a name of letters, digits, '_' and '-' (e.g. %s wide "
            "\"label\")",
            what, what);
    }
    if (!sw_cam_name_valid(s, n))
        return fail(
            p, SW_CUE_ERR_CAMERA_NAME, t->start,
            "bad camera name %s: camera names use only letters, digits, '_' and '-'%s%s (a label goes "
            "in double quotes)",
            SHOWQ(t), p->cams ? "; the take's cameras are " : "", p->cams ? p->cams_desc : "");
    if (p->cams) {
        for (int i = 0; i < p->ncams; i++) {
            if (strlen(p->cams[i]) == n && memcmp(p->cams[i], s, n) == 0) {
                *cam = i;
                *name = p->mode == MODE_CUES ? arena_store(p, s, n) : p->cams[i];
                return *name ? 0 : -ENOMEM;
            }
        }
        return fail(p, SW_CUE_ERR_UNKNOWN_CAMERA, t->start, "unknown camera %s: the take's cameras are %s",
                    SHOWQ(t), p->cams_desc);
    }
    for (int i = 0; i < p->nauto; i++) {
        if (strlen(p->auto_cams[i]) == n && memcmp(p->auto_cams[i], s, n) == 0) {
            *cam = i;
            *name = p->mode == MODE_CUES ? arena_store(p, s, n) : p->auto_cams[i];
            return *name ? 0 : -ENOMEM;
        }
    }
    if (ot_array_grow((void **)&p->auto_cams, &p->auto_cap, p->nauto + 1, sizeof(*p->auto_cams)) < 0)
        return -ENOMEM;
    *name = arena_store(p, s, n);
    if (!*name)
        return -ENOMEM;
    p->auto_cams[p->nauto] = *name;
    *cam = p->nauto++;
    return 0;
}

/* ---- lines ---- */

/* "frame 150" for a bare frame number, "00:00:05:00 (frame 150)" for a timecode. */
static const char *describe_time(const char *text, int64_t frame, char *buf, size_t size)
{
    if (all_digits(text, strlen(text)))
        snprintf(buf, size, "frame %lld", (long long)frame);
    else
        snprintf(buf, size, "%.16s (frame %lld)", text, (long long)frame);
    return buf;
}

/* Is the action after time token t `end`? (for the message of a transition that runs into it) */
static int next_is_end(Parser *p, const Token *t)
{
    size_t pos = t->end;
    Token ta;
    return next_token(p, &pos, &ta) == 1 && token_is(p, &ta, "end");
}

static int check_order(Parser *p, const Token *t, int64_t frame)
{
    char shown[64], now[64], before[64];
    if (p->end_line)
        return fail(p, SW_CUE_ERR_AFTER_END, t->start,
                    p->mode == MODE_CUES
                        ? "cue after the end of the take: the timed end at line %d must be the last "
                          "cue (move this cue before it, or remove it)"
                        : "action after the end at line %d: end must be the last action (move this "
                          "action before it, or remove it)",
                    p->end_line);
    if (frame < 0 || !p->have_timed)
        return 0; /* go cues are not on the timeline */
    if (p->mode == MODE_CUES && p->trans_end > frame && frame > p->last_frame) {
        int is_end = next_is_end(p, t);
        set_error_at(p->err, is_end ? SW_CUE_ERR_PAST_END : SW_CUE_ERR_OVERLAP, p->trans_line, p->trans_col,
                     is_end ? "the %d-frame transition runs to frame %lld, past the end at line %d (frame "
                              "%lld): it must be complete by the end (shorten it or move the end)"
                            : "the %d-frame transition runs to frame %lld, past the next cue at line %d (frame "
                              "%lld): a transition must be complete before the next timed cue (shorten it "
                              "or move that cue)",
                     p->trans_frames, (long long)p->trans_end, p->lineno, (long long)frame);
        return -1;
    }
    if (frame > p->last_frame || (p->mode == MODE_ACTIONS && frame == p->last_frame))
        return 0;
    describe_time(SHOW(t), frame, now, sizeof(now));
    describe_time(p->last_text, p->last_frame, before, sizeof(before));
    if (p->mode == MODE_CUES && frame == p->last_frame)
        return fail(
            p, SW_CUE_ERR_ORDER, t->start,
            "%s is the same frame as the cue at line %d at %s: timed cues must be in increasing time order, "
            "at most one cue per frame",
            now, p->last_line, before);
    return fail(p, SW_CUE_ERR_ORDER, t->start,
                p->mode == MODE_CUES
                    ? "%s is before the cue at line %d at %s: timed cues must be in increasing time "
                      "order"
                    : "%s is before the action at line %d at %s: action times must not decrease "
                      "(actions may share a frame)",
                now, p->last_line, before);
}

static void remember_time(Parser *p, int64_t frame, const char *stored_text)
{
    if (frame < 0)
        return;
    p->have_timed = 1;
    p->last_frame = frame;
    p->last_line = p->lineno;
    p->last_text = stored_text;
}


/* Where a dip's colour may be, `#` and six letters or digits (then a blank or the end of the line) is the colour,
 * not a comment (the tokenizer would take it for one). */
static int colour_at(const Parser *p, size_t pos, Token *t)
{
    while (pos < p->line_len && is_blank(p->line[pos]))
        pos++;
    if (pos + 7 > p->line_len || p->line[pos] != '#' || (pos + 7 < p->line_len && !is_blank(p->line[pos + 7])))
        return 0;
    for (size_t i = pos + 1; i < pos + 7; i++) {
        char c = p->line[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
            return 0;
    }
    *t = (Token){.start = pos, .end = pos + 7, .quoted = 0};
    return 1;
}

/* After `mix|dip|wipe CAMERA`: FRAMES and the kind's options, from *pos. *label gets a quoted token read past
 * the options (the label), *has_label 1 then. 0, -1 (error set) or -ENOMEM. */
static int parse_transition_fields(Parser *p, size_t *pos, const Token *tc, SwCue *cue, Token *label,
                                   int *has_label)
{
    Token tf, to, tn;
    char shown[64];
    int r;
    const char *kind = sw_trans_kind_name(cue->trans.kind);
    *has_label = 0;
    if ((r = next_token(p, pos, &tf)) < 0)
        return -1;
    if (r == 0 || tf.quoted)
        return fail(p, SW_CUE_ERR_LENGTH, r ? tf.start : after(tc),
                    "%s needs its length after the camera: a number of frames (e.g. %s %s 30)", kind, kind, cue->camera);
    size_t n = tf.end - tf.start;
    const char *s = p->line + tf.start;
    if (n > 1 && s[0] == '-' && all_digits(s + 1, n - 1))
        return fail(p, SW_CUE_ERR_LENGTH, tf.start, "%s length %s: a transition lasts at least 1 frame", kind,
                    SHOW(&tf));
    if (!all_digits(s, n))
        return fail(p, SW_CUE_ERR_LENGTH, tf.start,
                    "bad %s length %s: expected a number of frames from 1 to %d", kind, SHOWQ(&tf),
                    SW_TRANS_MAX_FRAMES);
    int64_t frames = n > 9 ? (int64_t)SW_TRANS_MAX_FRAMES + 1 : 0;
    for (size_t i = 0; i < n && n <= 9; i++)
        frames = frames * 10 + (s[i] - '0');
    if (frames <= 0)
        return fail(p, SW_CUE_ERR_LENGTH, tf.start, "%s length %s: a transition lasts at least 1 frame", kind,
                    SHOW(&tf));
    if (frames > SW_TRANS_MAX_FRAMES)
        return fail(p, SW_CUE_ERR_LENGTH, tf.start, "%s length %s: expected a number of frames from 1 to %d",
                    kind, SHOW(&tf), SW_TRANS_MAX_FRAMES);
    cue->trans.frames = (int)frames;
    p->trans_col = utf8_column(p->line, tf.start);

    if (cue->trans.kind == SW_TRANS_DIP) {
        if (colour_at(p, *pos, &to)) {
            *pos = to.end;
        } else if ((r = next_token(p, pos, &to)) < 0) {
            return -1;
        } else if (r == 0 || to.quoted) {
            *label = to;
            *has_label = r == 1;
            return 0; /* black by default */
        }
        if (sw_trans_parse_colour(p->line + to.start, (int)(to.end - to.start), cue->trans.rgb) < 0)
            return fail(p, SW_CUE_ERR_COLOUR, to.start,
                        "unknown dip colour %s: expected black, white or #RRGGBB (six hex digits)", SHOWQ(&to));
        return 0;
    }
    if (cue->trans.kind == SW_TRANS_MIX)
        return 0;
    /* wipe PATTERN [soft N] */
    if ((r = next_token(p, pos, &to)) < 0)
        return -1;
    if (r == 0 || to.quoted)
        return fail(p, SW_CUE_ERR_PATTERN, r ? to.start : after(&tf),
                    "wipe needs a pattern after its length: left, right, up, down, box or circle");
    int pat = sw_wipe_pattern_from_name(p->line + to.start, (int)(to.end - to.start));
    if (pat < 0)
        return fail(p, SW_CUE_ERR_PATTERN, to.start,
                    "unknown wipe pattern %s: expected left, right, up, down, box or circle", SHOWQ(&to));
    cue->trans.pattern = (SwWipePattern)pat;
    if ((r = next_token(p, pos, &to)) < 0)
        return -1;
    if (r == 0 || to.quoted) {
        *label = to;
        *has_label = r == 1;
        return 0;
    }
    if (!token_is(p, &to, "soft"))
        return fail(p, SW_CUE_ERR_EXTRA, to.start,
                    "unexpected text %s after the wipe pattern: expected soft N, a \"label\" or a # comment",
                    SHOWQ(&to));
    if ((r = next_token(p, pos, &tn)) < 0)
        return -1;
    n = r ? tn.end - tn.start : 0;
    if (r == 0 || tn.quoted || !all_digits(p->line + tn.start, n) || n > 4 ||
        parse_num(p->line + tn.start, n) > SW_TRANS_MAX_SOFT)
        return fail(p, SW_CUE_ERR_PATTERN, r ? tn.start : after(&to),
                    "soft needs the edge's width: 0 to %d pixels (e.g. soft 8)", SW_TRANS_MAX_SOFT);
    cue->trans.soft = parse_num(p->line + tn.start, n);
    return 0;
}

/* ---- subtitle cues ---- */

/* Does the action at pos start with `sub` as a word of its own (sub, sub-clear, sub.LANG...)? Looked at before
 * the order of cuts is checked, since sub cues have an order of their own. */
static int sub_action_at(const Parser *p, size_t pos)
{
    while (pos < p->line_len && is_blank(p->line[pos]))
        pos++;
    if (p->line_len - pos < 3 || memcmp(p->line + pos, "sub", 3) != 0)
        return 0;
    pos += 3;
    return pos == p->line_len || is_blank(p->line[pos]) || p->line[pos] == '.' || p->line[pos] == '-' ||
           p->line[pos] == '#';
}

/* The language's index, added on first use. 0..SW_SUB_MAX_LANGS-1, -1 (error set) or -ENOMEM. */
static int sub_lang_index(Parser *p, const char *code, size_t n, size_t off)
{
    for (int i = 0; i < p->nlangs; i++)
        if (strlen(p->langs[i]) == n && memcmp(p->langs[i], code, n) == 0)
            return i;
    if (p->nlangs == SW_SUB_MAX_LANGS)
        return fail(p, SW_CUE_ERR_SUB, off,
                    "more than %d subtitle languages: a take has at most %d (one subtitle track each)",
                    SW_SUB_MAX_LANGS, SW_SUB_MAX_LANGS);
    const char *stored = arena_store(p, code, n);
    if (!stored)
        return -ENOMEM;
    p->lang_last[p->nlangs] = -1;
    p->langs[p->nlangs] = stored;
    return p->nlangs++;
}

/* TIME sub[.LANG] "TEXT" | TIME sub[.LANG]-clear (tt: the time, frame: its frame or -1 for go). */
static int parse_sub_line(Parser *p, const Token *tt, int64_t frame)
{
    size_t pos = tt->end;
    Token ta, tl, tx;
    char shown[64], now[64], before[64];
    int r, clear = 0;

    if (p->end_line)
        return fail(p, SW_CUE_ERR_AFTER_END, tt->start,
                    "cue after the end of the take: the timed end at line %d must be the last cue (move this "
                    "cue before it, or remove it)",
                    p->end_line);
    const char *time_text = arena_store(p, p->line + tt->start, tt->end - tt->start);
    if (!time_text)
        return -ENOMEM;
    if ((r = next_token(p, &pos, &ta)) <= 0)
        return r < 0 ? -1 : fail(p, SW_CUE_ERR_ACTION, after(tt), "missing action"); /* cannot happen */
    const char *a = p->line + ta.start, *code = "und";
    size_t n = ta.end - ta.start, clen = 3;
    if (n >= 9 && memcmp(a + n - 6, "-clear", 6) == 0) {
        clear = 1;
        n -= 6;
    }
    if (n > 4 && a[3] == '.') {
        code = a + 4;
        clen = n - 4;
        if (!sw_sub_lang_valid(code, clen))
            return fail(p, SW_CUE_ERR_SUB, ta.start + 4,
                        "bad subtitle language \"%.*s\": a language is letters with optional -subtags of "
                        "letters and digits, at most %d characters (e.g. sub.en, sub.ko, sub.pt-BR)",
                        (int)(clen < 24 ? clen : 24), code, SW_SUB_LANG_MAX);
    } else if (n != 3) {
        return fail(p, SW_CUE_ERR_ACTION, ta.start,
                    "unknown action %s: a subtitle cue is sub \"TEXT\", sub.LANG \"TEXT\", sub-clear or "
                    "sub.LANG-clear",
                    SHOWQ(&ta));
    }
    int lang = sub_lang_index(p, code, clen, ta.start);
    if (lang < 0)
        return lang;
    if (frame >= 0 && p->lang_last[lang] >= 0 && frame <= p->lang_last[lang]) {
        describe_time(SHOW(tt), frame, now, sizeof(now));
        snprintf(before, sizeof(before), "frame %lld", (long long)p->lang_last[lang]);
        return fail(p, SW_CUE_ERR_ORDER, tt->start,
                    "%s is %s the subtitle cue of language %s at line %d (%s): the subtitle cues of one "
                    "language must be in increasing time order",
                    now, frame == p->lang_last[lang] ? "at the same frame as" : "before", p->langs[lang],
                    p->lang_line[lang], before);
    }
    SwCue cue = {.frame = frame, .action = clear ? SW_CUE_SUB_CLEAR : SW_CUE_SUB, .cam = -1,
                 .line = p->lineno, .time_text = time_text, .lang = lang};
    if ((r = next_token(p, &pos, &tl)) < 0)
        return -1;
    if (!clear) {
        if (r == 0 || !tl.quoted)
            return fail(p, SW_CUE_ERR_SUB, r ? tl.start : after(&ta),
                        "%.*s needs its text in double quotes (e.g. %s %.*s \"First line of the lyric\"); to "
                        "end a line without a new one write %.*s-clear",
                        (int)n, a, time_text, (int)n, a, (int)n, a);
        if (tl.end - tl.start == 2)
            return fail(p, SW_CUE_ERR_SUB, tl.start,
                        "an empty subtitle line: write %.*s-clear to end the line shown", (int)n, a);
        if (!(cue.text = arena_store_label(p, &tl)))
            return -ENOMEM;
        if ((r = next_token(p, &pos, &tx)) < 0)
            return -1;
        tl = tx;
    }
    if (r == 1)
        return fail(p, SW_CUE_ERR_EXTRA, tl.start,
                    clear ? "unexpected %s: %.*s-clear takes no text (a comment must start with #)"
                          : "unexpected %s after the subtitle text: a sub cue has one \"text\" (a comment "
                            "must start with #)",
                    SHOWQ(&tl), (int)n, a);
    if (ot_array_grow((void **)&p->cues, &p->cap, p->count + 1, sizeof(*p->cues)) < 0)
        return -ENOMEM;
    p->cues[p->count++] = cue;
    if (frame >= 0) {
        p->lang_last[lang] = frame;
        p->lang_line[lang] = p->lineno;
        if (frame > p->sub_max_frame) {
            p->sub_max_frame = frame;
            p->sub_max_line = p->lineno;
        }
    }
    return 0;
}

int sw_sub_lang_valid(const char *s, size_t len)
{
    if (!s || len == 0 || len > SW_SUB_LANG_MAX)
        return 0;
    size_t i = 0;
    while (i < len && ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')))
        i++;
    if (i < 2)
        return 0; /* a primary tag of two letters or more */
    while (i < len) {
        if (s[i] != '-' || i + 1 == len)
            return 0;
        size_t k = ++i;
        while (i < len && ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
                           (s[i] >= '0' && s[i] <= '9')))
            i++;
        if (i == k)
            return 0;
    }
    return 1;
}

static int parse_cue_line(Parser *p)
{
    size_t pos = 0;
    Token tt, ta, tc, tl, tx;
    char shown[64], shown2[64];
    int r, have_label = 0;
    int64_t frame;

    if ((r = next_token(p, &pos, &tt)) <= 0)
        return r; /* blank or comment line */
    if (parse_time(p, &tt, &frame) < 0)
        return -1;
    if (sub_action_at(p, tt.end))
        return parse_sub_line(p, &tt, frame);
    if (check_order(p, &tt, frame) < 0)
        return -1;
    const char *time_text = arena_store(p, p->line + tt.start, tt.end - tt.start);
    if (!time_text)
        return -ENOMEM;

    if ((r = next_token(p, &pos, &ta)) < 0)
        return -1;
    if (r == 0)
        return fail(p, SW_CUE_ERR_ACTION, after(&tt), "missing action after %s: expected cut CAMERA or end",
                    time_text);
    SwCue cue = {.frame = frame, .cam = -1, .line = p->lineno, .time_text = time_text};
    if (token_is(p, &ta, "cut")) {
        cue.action = SW_CUE_CUT;
        if ((r = next_token(p, &pos, &tc)) < 0)
            return -1;
        if (r == 0) {
            if (p->cams)
                return fail(p, SW_CUE_ERR_MISSING_CAMERA, after(&ta), "cut needs a camera: one of %s",
                            p->cams_desc);
            return fail(p, SW_CUE_ERR_MISSING_CAMERA, after(&ta),
                        "cut needs a camera: a name of letters, digits, '_' and '-'");
        }
        if ((r = parse_camera(p, &tc, "cut", &cue.cam, &cue.camera)) < 0)
            return r;
    } else if (token_is(p, &ta, "end")) {
        cue.action = SW_CUE_END;
    } else if (!ta.quoted && sw_trans_kind_from_name(p->line + ta.start, (int)(ta.end - ta.start)) > 0) {
        cue.action = SW_CUE_CUT;
        cue.trans.kind = (SwTransKind)sw_trans_kind_from_name(p->line + ta.start, (int)(ta.end - ta.start));
        const char *kind = sw_trans_kind_name(cue.trans.kind);
        if ((r = next_token(p, &pos, &tc)) < 0)
            return -1;
        if (r == 0)
            return fail(p, SW_CUE_ERR_MISSING_CAMERA, after(&ta), "%s needs a camera%s%s", kind,
                        p->cams ? ": one of " : ": a name of letters, digits, '_' and '-'",
                        p->cams ? p->cams_desc : "");
        if ((r = parse_camera(p, &tc, kind, &cue.cam, &cue.camera)) < 0)
            return r;
        if ((r = parse_transition_fields(p, &pos, &tc, &cue, &tl, &have_label)) < 0)
            return r;
    } else {
        return fail(p, SW_CUE_ERR_ACTION, ta.start,
                    ta.quoted ? "%s where the action should be: expected cut CAMERA, mix|dip|wipe CAMERA "
                                "FRAMES ... or end, then the \"label\""
                              : "unknown action %s: expected cut CAMERA or end, or a transition: mix CAMERA "
                                "FRAMES, dip CAMERA FRAMES [COLOUR], wipe CAMERA FRAMES PATTERN [soft N]",
                    SHOWQ(&ta));
    }

    r = have_label; /* a transition's options may have read the label already */
    if (!have_label && (r = next_token(p, &pos, &tl)) < 0)
        return -1;
    if (r == 1) {
        if (!tl.quoted) {
            if (cue.action == SW_CUE_END)
                return fail(p, SW_CUE_ERR_EXTRA, tl.start,
                            "unexpected %s after end: end takes no camera, only an optional \"label\"",
                            SHOWQ(&tl));
            return fail(p, SW_CUE_ERR_EXTRA, tl.start,
                        "unexpected text %s after the camera: a label must be in double quotes (\"%s ...\"), "
                        "a comment must start with #",
                        SHOWQ(&tl), show_token(p, &tl, 0, shown2, sizeof(shown2)));
        }
        cue.label = arena_store_label(p, &tl);
        if (!cue.label)
            return -ENOMEM;
        if ((r = next_token(p, &pos, &tx)) < 0)
            return -1;
        if (r == 1)
            return fail(
                p, SW_CUE_ERR_EXTRA, tx.start,
                "unexpected text %s after the label: a cue has one \"label\"; a comment must start with #",
                SHOWQ(&tx));
    }

    if (ot_array_grow((void **)&p->cues, &p->cap, p->count + 1, sizeof(*p->cues)) < 0)
        return -ENOMEM;
    p->cues[p->count++] = cue;
    remember_time(p, frame, time_text);
    if (frame >= 0 && cue.action == SW_CUE_END) {
        p->end_line = p->lineno;
        if (p->sub_max_frame >= frame)
            return fail(p, SW_CUE_ERR_PAST_END, tt.start,
                        "the end at frame %lld is not after the subtitle cue at line %d (frame %lld): every "
                        "timed cue must be before the end (move the end or that cue)",
                        (long long)frame, p->sub_max_line, (long long)p->sub_max_frame);
    }
    if (frame >= 0 && cue.trans.kind != SW_TRANS_CUT) {
        p->trans_end = frame + cue.trans.frames;
        p->trans_line = p->lineno;
        p->trans_frames = cue.trans.frames;
    }
    return 0;
}

static int parse_action_line(Parser *p)
{
    size_t pos = 0;
    Token tt, ta, tc, tx;
    char shown[64];
    int r;
    int64_t frame;
    const char *accepted = "expected go, cut CAMERA, preview CAMERA or end";

    if ((r = next_token(p, &pos, &tt)) <= 0)
        return r;
    if (parse_time(p, &tt, &frame) < 0 || check_order(p, &tt, frame) < 0)
        return -1;
    const char *time_text = arena_store(p, p->line + tt.start, tt.end - tt.start);
    if (!time_text)
        return -ENOMEM;

    if ((r = next_token(p, &pos, &ta)) < 0)
        return -1;
    if (r == 0)
        return fail(p, SW_CUE_ERR_ACTION, after(&tt), "missing action after %s: %s", time_text, accepted);
    SwAction a = {.frame = frame, .cam = -1, .line = p->lineno};
    tc = ta;
    if (token_is(p, &ta, "cut") || token_is(p, &ta, "preview")) {
        const char *what = token_is(p, &ta, "cut") ? "cut" : "preview";
        a.type = what[0] == 'c' ? SW_ACTION_CUT : SW_ACTION_PREVIEW;
        const char *name;
        if ((r = next_token(p, &pos, &tc)) < 0)
            return -1;
        if (r == 0) {
            if (p->cams)
                return fail(p, SW_CUE_ERR_MISSING_CAMERA, after(&ta), "%s needs a camera: one of %s", what,
                            p->cams_desc);
            return fail(p, SW_CUE_ERR_MISSING_CAMERA, after(&ta),
                        "%s needs a camera: a name of letters, digits, '_' and '-'", what);
        }
        if ((r = parse_camera(p, &tc, what, &a.cam, &name)) < 0)
            return r;
    } else if (token_is(p, &ta, "go")) {
        a.type = SW_ACTION_GO;
    } else if (token_is(p, &ta, "end")) {
        a.type = SW_ACTION_END;
    } else {
        return fail(p, SW_CUE_ERR_ACTION, ta.start, "unknown action %s: %s (an action script has no labels)",
                    SHOWQ(&ta), accepted);
    }
    if ((r = next_token(p, &pos, &tx)) < 0)
        return -1;
    if (r == 1)
        return fail(p, SW_CUE_ERR_EXTRA, tx.start,
                    "unexpected text %s: an action line is TIME go, TIME cut CAMERA, TIME preview CAMERA or "
                    "TIME end; a comment must start with #",
                    SHOWQ(&tx));

    if (ot_array_grow((void **)&p->actions, &p->cap, p->count + 1, sizeof(*p->actions)) < 0)
        return -ENOMEM;
    p->actions[p->count++] = a;
    remember_time(p, frame, time_text);
    if (a.type == SW_ACTION_END)
        p->end_line = p->lineno;
    return 0;
}

/* Parse the whole text into p. 0, -1 with p->err filled in, or -ENOMEM. */
static int parse_text(Parser *p, const char *text, size_t len)
{
    if (len > CUES_MAX_FILE) {
        fail_global(p->err, SW_CUE_ERR_TOO_BIG,
                    "the file is %zu bytes: a cue list or action script may have at "
                    "most %d bytes",
                    len, CUES_MAX_FILE);
        return -1;
    }
    if (p->rate.num <= 0 || p->rate.den <= 0) {
        fail_global(p->err, SW_CUE_ERR_TIME, "bad frame rate %d/%d: expected a positive N/D such as 30/1",
                    p->rate.num, p->rate.den);
        return -1;
    }
    size_t nlines = 1;
    for (size_t i = 0; i < len; i++)
        nlines += text[i] == '\n';
    p->arena_cap = len + 3 * nlines + 1; /* at most three strings per line, each a substring of it */
    p->arena = malloc(p->arena_cap);
    if (!p->arena)
        return -ENOMEM;
    if (p->cams)
        describe_cams(p);

    size_t pos = 0;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        pos = 3; /* a BOM is not part of the first line (nor counted in its columns) */
    while (pos < len) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t eol = nl ? (size_t)(nl - text) : len;
        p->lineno++;
        p->line = text + pos;
        p->line_len = eol - pos;
        if (p->line_len > 0 && p->line[p->line_len - 1] == '\r')
            p->line_len--;
        long bad = sw_cues_utf8_invalid((const unsigned char *)p->line, p->line_len);
        if (bad >= 0) {
            unsigned char b = (unsigned char)p->line[bad];
            if (b == 0)
                return fail(p, SW_CUE_ERR_ENCODING, (size_t)bad,
                            "NUL byte: a cue list is UTF-8 text without NUL bytes (save it as plain text)");
            return fail(p, SW_CUE_ERR_ENCODING, (size_t)bad,
                        "invalid UTF-8 (byte 0x%02x): a cue list must be UTF-8 text (save it as UTF-8)", b);
        }
        int r = p->mode == MODE_CUES ? parse_cue_line(p) : parse_action_line(p);
        if (r < 0)
            return r;
        pos = eol + 1;
    }
    return 0;
}

static void parser_init(Parser *p, ParseMode mode, SwRate rate, const char *const *cams, int ncams,
                        SwCueError *err)
{
    memset(p, 0, sizeof(*p));
    p->mode = mode;
    p->rate = rate;
    p->cams = ncams > 0 ? cams : NULL;
    p->ncams = p->cams ? ncams : 0;
    p->err = err;
    p->sub_max_frame = -1;
    memset(err, 0, sizeof(*err));
}

static void parser_cleanup(Parser *p)
{
    free(p->arena);
    free(p->cues);
    free(p->actions);
    free(p->auto_cams);
}

static void report_nomem(SwCueError *err)
{
    fail_global(err, SW_CUE_ERR_IO, "out of memory while parsing");
}

/* ---- cue list ---- */

SwCueList *sw_cues_parse(const char *text, size_t len, SwRate rate, const char *const *cams, int ncams,
                         SwCueError *err)
{
    SwCueError dummy;
    Parser p;
    SwCueList *list = NULL;
    if (!err)
        err = &dummy;
    parser_init(&p, MODE_CUES, rate, cams, ncams, err);
    if (!text && len > 0) {
        fail_global(err, SW_CUE_ERR_IO, "no text to parse");
        goto fail;
    }
    int r = parse_text(&p, text, len);
    if (r == -ENOMEM)
        report_nomem(err);
    if (r < 0)
        goto fail;

    list = calloc(1, sizeof(*list));
    if (!list)
        goto nomem;
    list->rate = rate;
    list->end_frame = -1;
    list->timed = malloc(sizeof(*list->timed) * (size_t)(p.count ? p.count : 1));
    if (!list->timed)
        goto nomem;
    list->sub_timed = malloc(sizeof(*list->sub_timed) * (size_t)(p.count ? p.count : 1));
    if (!list->sub_timed)
        goto nomem;
    for (int i = 0; i < p.count; i++) {
        if (p.cues[i].frame < 0)
            continue;
        if (p.cues[i].action == SW_CUE_SUB || p.cues[i].action == SW_CUE_SUB_CLEAR) {
            list->sub_timed[list->nsub_timed++] = i;
            continue;
        }
        list->timed[list->ntimed++] = i;
        if (p.cues[i].action == SW_CUE_END)
            list->end_frame = p.cues[i].frame;
    }
    /* Timed sub cues in frame order, file order within a frame (each language's are in order already). */
    for (int k = 1; k < list->nsub_timed; k++) {
        int v = list->sub_timed[k], j = k;
        while (j > 0 && p.cues[list->sub_timed[j - 1]].frame > p.cues[v].frame) {
            list->sub_timed[j] = list->sub_timed[j - 1];
            j--;
        }
        list->sub_timed[j] = v;
    }
    memcpy(list->langs, p.langs, sizeof(list->langs));
    list->nlangs = p.nlangs;
    list->cues = p.cues;
    list->count = p.count;
    list->arena = p.arena;
    p.cues = NULL;
    p.arena = NULL;
    parser_cleanup(&p);
    return list;

nomem:
    report_nomem(err);
fail:
    if (list) {
        free(list->timed);
        free(list->sub_timed);
    }
    free(list);
    parser_cleanup(&p);
    return NULL;
}

/* Read a whole file. 0, or -1 with err filled in. */
int sw_cues_read_file(const char *path, char **out, size_t *out_len, SwCueError *err)
{
    FILE *f = NULL;
    char *buf = NULL;
    size_t len = 0, cap = 0;
    *out = NULL;
    *out_len = 0;
    if (!path) {
        fail_global(err, SW_CUE_ERR_IO, "no file name given");
        return -1;
    }
    f = fopen(path, "rb");
    if (!f)
        goto io_fail;
    for (;;) {
        if (len == cap) {
            if (cap > CUES_MAX_FILE) {
                fail_global(err, SW_CUE_ERR_TOO_BIG,
                            "\"%s\" is larger than %d bytes: a cue list or action script "
                            "is a small text file",
                            path, CUES_MAX_FILE);
                goto fail;
            }
            cap = cap ? cap * 2 : 4096;
            char *n = realloc(buf, cap);
            if (!n) {
                errno = ENOMEM;
                goto io_fail;
            }
            buf = n;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0) {
            if (ferror(f))
                goto io_fail;
            break;
        }
    }
    fclose(f);
    *out = buf;
    *out_len = len;
    return 0;

io_fail:
    fail_global(err, SW_CUE_ERR_IO, "cannot read \"%s\": %s (give the path of a readable UTF-8 text file)",
                path, ot_strerror(errno ? -errno : -EIO));
fail:
    if (f)
        fclose(f);
    free(buf);
    return -1;
}

SwCueList *sw_cues_load(const char *path, SwRate rate, const char *const *cams, int ncams, SwCueError *err)
{
    SwCueError dummy;
    char *text;
    size_t len;
    if (!err)
        err = &dummy;
    if (sw_cues_read_file(path, &text, &len, err) < 0)
        return NULL;
    SwCueList *list = sw_cues_parse(text, len, rate, cams, ncams, err);
    free(text);
    return list;
}

void sw_cues_free(SwCueList **list)
{
    if (!list || !*list)
        return;
    free((*list)->cues);
    free((*list)->timed);
    free((*list)->sub_timed);
    free((*list)->arena);
    free(*list);
    *list = NULL;
}

int sw_cues_count(const SwCueList *list)
{
    return list ? list->count : 0;
}

const SwCue *sw_cues_get(const SwCueList *list, int index)
{
    if (!list || index < 0 || index >= list->count)
        return NULL;
    return &list->cues[index];
}

SwRate sw_cues_rate(const SwCueList *list)
{
    return list ? list->rate : (SwRate){0, 1};
}

/* Position in list->timed of the first timed cue whose frame >= frame (ntimed when none). */
static int timed_pos(const SwCueList *list, int64_t frame)
{
    int lo = 0, hi = list->ntimed;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (list->cues[list->timed[mid]].frame < frame)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int sw_cues_find_timed(const SwCueList *list, int64_t frame)
{
    if (!list)
        return 0;
    int k = timed_pos(list, frame);
    return k < list->ntimed ? list->timed[k] : list->count;
}

/* From timed position k on: the first cue that takes program away from cam (an end, or a cut elsewhere). */
static int64_t shot_end_from(const SwCueList *list, int cam, int k)
{
    for (; k < list->ntimed; k++) {
        const SwCue *c = &list->cues[list->timed[k]];
        if (c->action == SW_CUE_END || c->cam != cam)
            return c->frame;
    }
    return -1;
}

int64_t sw_cues_shot_end(const SwCueList *list, int cam, int64_t frame)
{
    if (!list || frame == INT64_MAX)
        return -1;
    return shot_end_from(list, cam, timed_pos(list, frame + 1));
}

int sw_cues_next_shot(const SwCueList *list, int cam, int64_t frame, int64_t *in, int64_t *out)
{
    if (!list || frame == INT64_MAX)
        return -ENOENT;
    for (int k = timed_pos(list, frame + 1); k < list->ntimed; k++) {
        const SwCue *c = &list->cues[list->timed[k]];
        if (c->action == SW_CUE_END)
            return -ENOENT;
        if (c->cam == cam) {
            *in = c->frame;
            *out = shot_end_from(list, cam, k + 1);
            return 0;
        }
    }
    return -ENOENT;
}

int sw_cues_has_transitions(const SwCueList *list)
{
    for (int i = 0; list && i < list->count; i++)
        if (list->cues[i].trans.kind != SW_TRANS_CUT)
            return 1;
    return 0;
}

int64_t sw_cues_end_frame(const SwCueList *list)
{
    return list ? list->end_frame : -1;
}

int sw_cues_nlangs(const SwCueList *list)
{
    return list ? list->nlangs : 0;
}

const char *sw_cues_lang(const SwCueList *list, int lang)
{
    return list && lang >= 0 && lang < list->nlangs ? list->langs[lang] : NULL;
}

int sw_cues_nsub_timed(const SwCueList *list)
{
    return list ? list->nsub_timed : 0;
}

int sw_cues_sub_timed(const SwCueList *list, int k)
{
    return list && k >= 0 && k < list->nsub_timed ? list->sub_timed[k] : -1;
}

char *sw_cue_error_format(const SwCueError *err, const char *path, char *buf, size_t size)
{
    if (!buf || size == 0)
        return buf;
    if (!err) {
        snprintf(buf, size, "%s: error: unknown cue list error", path ? path : "cues");
        return buf;
    }
    const char *where = path ? path : "cues";
    if (err->line > 0 && err->column > 0)
        snprintf(buf, size, "%s:%d:%d: error: %s", where, err->line, err->column, err->message);
    else if (err->line > 0)
        snprintf(buf, size, "%s:%d: error: %s", where, err->line, err->message);
    else
        snprintf(buf, size, "%s: error: %s", where, err->message);
    return buf;
}

const char *sw_cue_error_name(SwCueErrorCode code)
{
    switch (code) {
    case SW_CUE_OK:
        return "ok";
    case SW_CUE_ERR_IO:
        return "io";
    case SW_CUE_ERR_ENCODING:
        return "encoding";
    case SW_CUE_ERR_TIME:
        return "time";
    case SW_CUE_ERR_TIMECODE_RANGE:
        return "timecode-range";
    case SW_CUE_ERR_DROP_FRAME_RATE:
        return "drop-frame-rate";
    case SW_CUE_ERR_DROPPED_LABEL:
        return "dropped-label";
    case SW_CUE_ERR_ACTION:
        return "action";
    case SW_CUE_ERR_MISSING_CAMERA:
        return "missing-camera";
    case SW_CUE_ERR_CAMERA_NAME:
        return "camera-name";
    case SW_CUE_ERR_UNKNOWN_CAMERA:
        return "unknown-camera";
    case SW_CUE_ERR_LABEL:
        return "label";
    case SW_CUE_ERR_EXTRA:
        return "extra";
    case SW_CUE_ERR_ORDER:
        return "order";
    case SW_CUE_ERR_AFTER_END:
        return "after-end";
    case SW_CUE_ERR_TOO_BIG:
        return "too-big";
    case SW_CUE_ERR_LENGTH:
        return "length";
    case SW_CUE_ERR_OVERLAP:
        return "overlap";
    case SW_CUE_ERR_PAST_END:
        return "past-end";
    case SW_CUE_ERR_PATTERN:
        return "pattern";
    case SW_CUE_ERR_COLOUR:
        return "colour";
    case SW_CUE_ERR_SUB:
        return "sub";
    case SW_CUE_ERR_LYRICS:
        return "lyrics";
    }
    return "unknown";
}

/* ---- action script ---- */

SwActionList *sw_actions_parse(const char *text, size_t len, SwRate rate, const char *const *cams, int ncams,
                               SwCueError *err)
{
    SwCueError dummy;
    Parser p;
    SwActionList *list = NULL;
    if (!err)
        err = &dummy;
    parser_init(&p, MODE_ACTIONS, rate, cams, ncams, err);
    if (!text && len > 0) {
        fail_global(err, SW_CUE_ERR_IO, "no text to parse");
        goto fail;
    }
    int r = parse_text(&p, text, len);
    if (r == -ENOMEM)
        report_nomem(err);
    if (r < 0)
        goto fail;
    list = calloc(1, sizeof(*list));
    if (!list) {
        report_nomem(err);
        goto fail;
    }
    list->rate = rate;
    list->actions = p.actions;
    list->count = p.count;
    list->arena = p.arena;
    p.actions = NULL;
    p.arena = NULL;
    parser_cleanup(&p);
    return list;

fail:
    parser_cleanup(&p);
    return NULL;
}

SwActionList *sw_actions_load(const char *path, SwRate rate, const char *const *cams, int ncams,
                              SwCueError *err)
{
    SwCueError dummy;
    char *text;
    size_t len;
    if (!err)
        err = &dummy;
    if (sw_cues_read_file(path, &text, &len, err) < 0)
        return NULL;
    SwActionList *list = sw_actions_parse(text, len, rate, cams, ncams, err);
    free(text);
    return list;
}

void sw_actions_free(SwActionList **list)
{
    if (!list || !*list)
        return;
    free((*list)->actions);
    free((*list)->arena);
    free(*list);
    *list = NULL;
}

int sw_actions_count(const SwActionList *list)
{
    return list ? list->count : 0;
}

const SwAction *sw_actions_get(const SwActionList *list, int index)
{
    if (!list || index < 0 || index >= list->count)
        return NULL;
    return &list->actions[index];
}

int sw_cam_name_valid(const char *name, size_t len)
{
    /* Bounded: a name becomes a file name (iso/NAME.mkv) and goes into take log records. */
    if (!name || !len || len > SW_CAM_NAME_MAX)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}
