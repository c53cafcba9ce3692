/* onetake: the subtitle schedule (sw_subs.h): the cue list's sub cues and lyrics files (SubRip, WebVTT, LRC).
 *
 * The three parsers are small and strict: a file that is not what its format says is refused at its
 * file:line:col rather than half read, since a wrong line would be burnt into the master. Times are kept in
 * milliseconds (all three formats count in ms or cs) and put on the frame nearest them. */
#include "sw_subs.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ot_common.h"

struct SwSubs {
    SwRate rate;
    char *langs[SW_SUB_MAX_LANGS];
    int nlangs;
    int cue_langs; /* the first cue_langs languages are the cue list's */
    unsigned char lyrics_lang[SW_SUB_MAX_LANGS]; /* 1: lines from a lyrics file */
    SwSubOp *ops;
    int nops, cap;
    char **texts; /* every line's text the SwSubs owns (lyrics) */
    int ntexts, texts_cap;
};

/* One timed entry of a lyrics file. */
typedef struct Entry {
    int64_t start_ms, end_ms; /* end -1: until the next entry (LRC) */
    char *text;               /* malloc'ed; "" for an LRC entry without text */
    int line, col;            /* of its timing */
} Entry;

typedef struct Lex {
    const char *text;
    size_t len, pos;
    int lineno;
    const char *line; /* current line without its ending */
    size_t line_len;
    SwCueError *err;
} Lex;

__attribute__((format(printf, 4, 5))) static int lfail(SwCueError *err, int line, int col, const char *fmt, ...)
{
    va_list ap;
    err->code = SW_CUE_ERR_LYRICS;
    err->line = line;
    err->column = col;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
    return -1;
}

static int col_of(const char *line, size_t off)
{
    int col = 1;
    for (size_t i = 0; i < off; i++)
        col += ((unsigned char)line[i] & 0xC0) != 0x80;
    return col;
}

/* Next line into lx->line; 0 at the end of the text. */
static int next_line(Lex *lx)
{
    if (lx->pos >= lx->len)
        return 0;
    const char *s = lx->text + lx->pos;
    const char *nl = memchr(s, '\n', lx->len - lx->pos);
    size_t n = nl ? (size_t)(nl - s) : lx->len - lx->pos;
    lx->pos += n + (nl ? 1 : 0);
    lx->lineno++;
    lx->line = s;
    lx->line_len = n && s[n - 1] == '\r' ? n - 1 : n;
    return 1;
}

static int blank_line(const Lex *lx)
{
    for (size_t i = 0; i < lx->line_len; i++)
        if (lx->line[i] != ' ' && lx->line[i] != '\t')
            return 0;
    return 1;
}

static int digits(const char *s, size_t n, size_t *i, int max, int64_t *v)
{
    size_t k = *i;
    *v = 0;
    while (*i < n && s[*i] >= '0' && s[*i] <= '9' && (int)(*i - k) < max)
        *v = *v * 10 + (s[(*i)++] - '0');
    return (int)(*i - k);
}

/* [H+:]MM:SS(,|.)mmm at s[*i]: SubRip (hours always, ',' or '.') and WebVTT (hours optional, '.'). 0 or -1. */
static int clock_ms(const char *s, size_t n, size_t *i, int vtt, int64_t *ms)
{
    int64_t f[3], frac;
    int nf = 0;
    for (;;) {
        if (digits(s, n, i, 9, &f[nf]) == 0)
            return -1;
        nf++;
        if (*i < n && s[*i] == ':' && nf < 3) {
            (*i)++;
            continue;
        }
        break;
    }
    if (nf < 2 || (!vtt && nf < 3) || *i >= n || (s[*i] != '.' && (vtt || s[*i] != ',')))
        return -1;
    (*i)++;
    if (digits(s, n, i, 3, &frac) != 3)
        return -1;
    int64_t h = nf == 3 ? f[0] : 0, m = f[nf - 2], sec = f[nf - 1];
    if (m > 59 || sec > 59)
        return -1;
    *ms = ((h * 60 + m) * 60 + sec) * 1000 + frac;
    return 0;
}

/* "START --> END" (SubRip: nothing after; WebVTT: settings may follow a blank). */
static int timing_line(Lex *lx, int vtt, Entry *e)
{
    const char *s = lx->line;
    size_t n = lx->line_len, i = 0;
    const char *fmt = vtt ? "[HH:]MM:SS.mmm --> [HH:]MM:SS.mmm" : "HH:MM:SS,mmm --> HH:MM:SS,mmm";
    while (i < n && (s[i] == ' ' || s[i] == '\t'))
        i++;
    size_t at = i;
    if (clock_ms(s, n, &i, vtt, &e->start_ms) < 0)
        return lfail(lx->err, lx->lineno, col_of(s, at), "bad start time: a timing line is %s", fmt);
    while (i < n && (s[i] == ' ' || s[i] == '\t'))
        i++;
    if (n - i < 3 || memcmp(s + i, "-->", 3) != 0)
        return lfail(lx->err, lx->lineno, col_of(s, i), "expected \"-->\" after the start time: a timing line is %s",
                     fmt);
    i += 3;
    while (i < n && (s[i] == ' ' || s[i] == '\t'))
        i++;
    at = i;
    if (clock_ms(s, n, &i, vtt, &e->end_ms) < 0)
        return lfail(lx->err, lx->lineno, col_of(s, at), "bad end time: a timing line is %s", fmt);
    size_t rest = i;
    while (i < n && (s[i] == ' ' || s[i] == '\t'))
        i++;
    if (i < n && (!vtt || i == rest))
        return lfail(lx->err, lx->lineno, col_of(s, i), "unexpected text after the end time: a timing line is %s%s",
                     fmt, vtt ? " [settings]" : "");
    e->line = lx->lineno;
    e->col = col_of(s, 0);
    return 0;
}

/* The line is `word`, or starts with it and a blank (WebVTT's NOTE, STYLE and REGION blocks). */
static int starts_word(const Lex *lx, const char *word)
{
    size_t n = strlen(word);
    return lx->line_len >= n && !memcmp(lx->line, word, n) &&
           (lx->line_len == n || lx->line[n] == ' ' || lx->line[n] == '\t');
}

static int has_arrow(const Lex *lx)
{
    for (size_t i = 0; i + 3 <= lx->line_len; i++)
        if (!memcmp(lx->line + i, "-->", 3))
            return 1;
    return 0;
}

/* The text lines of an entry up to a blank line, joined with '\n'. */
static int entry_text(Lex *lx, Entry *e)
{
    size_t cap = 64, n = 0;
    char *t = malloc(cap);
    if (!t)
        return -ENOMEM;
    while (next_line(lx) && !blank_line(lx)) {
        if (n + lx->line_len + 2 > cap) {
            cap = (n + lx->line_len + 2) * 2;
            char *g = realloc(t, cap);
            if (!g) {
                free(t);
                return -ENOMEM;
            }
            t = g;
        }
        if (n)
            t[n++] = '\n';
        memcpy(t + n, lx->line, lx->line_len);
        n += lx->line_len;
    }
    t[n] = '\0';
    e->text = t;
    if (n == 0) {
        free(t);
        e->text = NULL;
        return lfail(lx->err, e->line, e->col,
                     "the entry timed here has no text: each entry is its timing line, then one or more lines "
                     "of text, then a blank line");
    }
    return 0;
}

static int add_entry(Entry **es, int *n, int *cap, const Entry *e)
{
    if (ot_array_grow((void **)es, cap, *n + 1, sizeof(**es)) < 0)
        return -ENOMEM;
    (*es)[(*n)++] = *e;
    return 0;
}

/* SubRip and WebVTT: blocks separated by blank lines. */
static int parse_blocks(Lex *lx, int vtt, Entry **es, int *n, int *cap)
{
    if (vtt) {
        if (!next_line(lx) || lx->line_len < 6 || memcmp(lx->line, "WEBVTT", 6) != 0 ||
            (lx->line_len > 6 && lx->line[6] != ' ' && lx->line[6] != '\t'))
            return lfail(lx->err, lx->lineno ? lx->lineno : 1, 1,
                         "a WebVTT file starts with a line \"WEBVTT\" (this is not one: give a .srt or .lrc "
                         "file its own extension)");
        while (next_line(lx) && !blank_line(lx))
            ; /* the header's other lines */
    }
    while (next_line(lx)) {
        if (blank_line(lx))
            continue;
        if (vtt && (starts_word(lx, "NOTE") || starts_word(lx, "STYLE") || starts_word(lx, "REGION"))) {
            while (next_line(lx) && !blank_line(lx))
                ; /* a comment, style or region block: not a line of text */
            continue;
        }
        if (!has_arrow(lx)) {
            /* the entry's number (SubRip) or identifier (WebVTT), then its timing */
            int ident = lx->lineno;
            if (!vtt) {
                size_t i = 0;
                int64_t v;
                if (digits(lx->line, lx->line_len, &i, 9, &v) == 0 || i != lx->line_len)
                    return lfail(lx->err, lx->lineno, 1,
                                 "expected an entry number or a timing line (HH:MM:SS,mmm --> HH:MM:SS,mmm)");
            }
            if (!next_line(lx) || !has_arrow(lx))
                return lfail(lx->err, lx->pos >= lx->len && lx->lineno == ident ? ident : lx->lineno, 1,
                             "expected the timing line of the entry that starts at line %d (%s)", ident,
                             vtt ? "[HH:]MM:SS.mmm --> [HH:]MM:SS.mmm" : "HH:MM:SS,mmm --> HH:MM:SS,mmm");
        }
        Entry e = {0};
        if (timing_line(lx, vtt, &e) < 0)
            return -1;
        int r = entry_text(lx, &e);
        if (r < 0)
            return r;
        if (add_entry(es, n, cap, &e) < 0) {
            free(e.text);
            return -ENOMEM;
        }
    }
    return 0;
}

/* LRC: [mm:ss.xx]text per line; [offset:+N] (ms) shifts every time that follows earlier by N; other [tag:...]
 * lines are metadata. */
static int parse_lrc(Lex *lx, Entry **es, int *n, int *cap)
{
    int64_t offset = 0;
    while (next_line(lx)) {
        const char *s = lx->line;
        size_t len = lx->line_len, i = 0;
        int ntags = 0;
        while (i < len && (s[i] == ' ' || s[i] == '\t'))
            i++;
        if (i == len)
            continue;
        if (s[i] != '[')
            return lfail(lx->err, lx->lineno, col_of(s, i),
                         "an LRC line starts with a time tag [mm:ss.xx] (or is a [tag:value] line)");
        while (i < len && s[i] == '[') {
            size_t at = i++;
            int64_t mm, ss, frac = 0;
            int nd = digits(s, len, &i, 4, &mm);
            if (nd == 0) {
                /* [ar:...], [ti:...], [offset:...]: metadata, only at the start of a line */
                const char *close = memchr(s + at, ']', len - at);
                if (ntags || !close)
                    return lfail(lx->err, lx->lineno, col_of(s, at),
                                 "bad LRC tag: expected a time [mm:ss.xx] or a [tag:value] line");
                if (len - at > 8 && !memcmp(s + at, "[offset:", 8)) {
                    size_t k = at + 8;
                    int neg = k < len && s[k] == '-';
                    k += k < len && (s[k] == '-' || s[k] == '+');
                    if (digits(s, len, &k, 9, &offset) == 0 || s + k != close)
                        return lfail(lx->err, lx->lineno, col_of(s, at + 8),
                                     "bad [offset:N]: N is a number of milliseconds, e.g. [offset:+250]");
                    if (neg)
                        offset = -offset;
                }
                i = len;
                break;
            }
            if (nd < 2 || i >= len || s[i] != ':' || (i++, digits(s, len, &i, 2, &ss)) != 2 || ss > 59)
                return lfail(lx->err, lx->lineno, col_of(s, at), "bad LRC time tag: expected [mm:ss.xx]");
            if (i < len && (s[i] == '.' || s[i] == ':')) {
                i++;
                size_t k = i;
                int nfd = digits(s, len, &i, 3, &frac);
                if (nfd == 0)
                    return lfail(lx->err, lx->lineno, col_of(s, at), "bad LRC time tag: expected [mm:ss.xx]");
                for (size_t z = i - k; z < 3; z++)
                    frac *= 10; /* hundredths (or tenths) to ms */
            }
            if (i >= len || s[i] != ']')
                return lfail(lx->err, lx->lineno, col_of(s, at), "bad LRC time tag: expected [mm:ss.xx]");
            i++;
            Entry e = {.start_ms = (mm * 60 + ss) * 1000 + frac - offset, .end_ms = -1, .line = lx->lineno,
                       .col = col_of(s, at)};
            if (e.start_ms < 0)
                return lfail(lx->err, lx->lineno, col_of(s, at), "the [offset:] puts this line before 00:00.00");
            if (add_entry(es, n, cap, &e) < 0)
                return -ENOMEM;
            ntags++;
        }
        if (!ntags)
            continue;
        while (i < len && (s[i] == ' ' || s[i] == '\t'))
            i++;
        size_t end = len;
        while (end > i && (s[end - 1] == ' ' || s[end - 1] == '\t'))
            end--;
        for (int k = *n - ntags; k < *n; k++) {
            (*es)[k].text = malloc(end - i + 1);
            if (!(*es)[k].text)
                return -ENOMEM;
            memcpy((*es)[k].text, s + i, end - i);
            (*es)[k].text[end - i] = '\0';
        }
    }
    return 0;
}

static int64_t ms_to_frame(SwRate r, int64_t ms)
{
    /* the nearest frame: round(ms / 1000 x num / den), halves up */
    return (ms * r.num * 2 + 1000LL * r.den) / (2000LL * r.den);
}

static void fmt_ms(int64_t ms, char *buf, size_t size)
{
    snprintf(buf, size, "%02lld:%02lld:%02lld.%03lld", (long long)(ms / 3600000), (long long)(ms / 60000 % 60),
             (long long)(ms / 1000 % 60), (long long)(ms % 1000));
}

static int add_op(SwSubs *s, SwSubOp *ops, int *nops, int64_t frame, int lang, const char *text, int line)
{
    (void)s;
    ops[(*nops)++] = (SwSubOp){.frame = frame, .lang = lang, .text = text, .cue = -1, .line = line};
    return 0;
}

static int keep_text(SwSubs *s, char *t)
{
    if (ot_array_grow((void **)&s->texts, &s->texts_cap, s->ntexts + 1, sizeof(*s->texts)) < 0)
        return -ENOMEM;
    s->texts[s->ntexts++] = t;
    return 0;
}

/* Merge the new ops (frame order) after the existing ones at equal frames. */
static int merge_ops(SwSubs *s, const SwSubOp *add, int nadd)
{
    SwSubOp *m = malloc(sizeof(*m) * (size_t)(s->nops + nadd + 1));
    if (!m)
        return -ENOMEM;
    int i = 0, j = 0, k = 0;
    while (i < s->nops || j < nadd)
        m[k++] = j >= nadd || (i < s->nops && s->ops[i].frame <= add[j].frame) ? s->ops[i++] : add[j++];
    free(s->ops);
    s->ops = m;
    s->nops = s->cap = k;
    return 0;
}

/* The entries checked (order, overlap, at least a frame each) and turned into ops of language lang. */
static int entries_to_ops(SwSubs *s, int lang, Entry *es, int n, SwCueError *err)
{
    char a[32], b[32];
    SwSubOp *ops = malloc(sizeof(*ops) * (size_t)(2 * n + 1));
    int nops = 0, ret = 0, open = 0;
    if (!ops)
        return -ENOMEM;
    for (int i = 0; i < n && !ret; i++) {
        Entry *e = &es[i], *prev = i ? &es[i - 1] : NULL;
        int64_t f = ms_to_frame(s->rate, e->start_ms);
        int64_t end = e->end_ms >= 0 ? ms_to_frame(s->rate, e->end_ms) : -1;
        if (e->end_ms >= 0 && e->end_ms <= e->start_ms) {
            fmt_ms(e->start_ms, a, sizeof(a));
            fmt_ms(e->end_ms, b, sizeof(b));
            ret = lfail(err, e->line, e->col, "the entry ends (%s) before it starts (%s)", b, a);
        } else if (prev && e->start_ms < prev->start_ms) {
            fmt_ms(e->start_ms, a, sizeof(a));
            fmt_ms(prev->start_ms, b, sizeof(b));
            ret = lfail(err, e->line, e->col,
                        "this entry (%s) starts before the one at line %d (%s): entries must be in time order",
                        a, prev->line, b);
        } else if (prev && prev->end_ms >= 0 && e->start_ms < prev->end_ms) {
            fmt_ms(e->start_ms, a, sizeof(a));
            fmt_ms(prev->end_ms, b, sizeof(b));
            ret = lfail(err, e->line, e->col,
                        "this entry (from %s) overlaps the one at line %d (until %s): one line at a time per "
                        "language (give the other line its own language)",
                        a, prev->line, b);
        } else if ((end >= 0 && end <= f) || (prev && ms_to_frame(s->rate, prev->start_ms) == f)) {
            fmt_ms(e->start_ms, a, sizeof(a));
            ret = lfail(err, e->line, e->col,
                        "the entry at %s is shorter than one frame at %d/%d fps (frame %lld): it cannot be "
                        "shown",
                        a, s->rate.num, s->rate.den, (long long)f);
        }
        if (ret)
            break;
        if (e->text[0]) {
            if (keep_text(s, e->text) < 0) {
                ret = -ENOMEM;
                break;
            }
            add_op(s, ops, &nops, f, lang, e->text, e->line);
            e->text = NULL; /* the SwSubs's now */
            open = 1;
        } else if (open) {
            add_op(s, ops, &nops, f, lang, NULL, e->line); /* an LRC entry without text: a gap */
            open = 0;
        }
        if (end >= 0 && !(i + 1 < n && ms_to_frame(s->rate, es[i + 1].start_ms) == end)) {
            add_op(s, ops, &nops, end, lang, NULL, e->line);
            open = 0;
        }
    }
    if (!ret)
        ret = merge_ops(s, ops, nops);
    free(ops);
    return ret;
}

static SwLyricsFormat sniff(const char *text, size_t len)
{
    size_t i = len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3) ? 3 : 0;
    while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r' || text[i] == '\n'))
        i++;
    if (len - i >= 6 && !memcmp(text + i, "WEBVTT", 6))
        return SW_LYRICS_VTT;
    if (i < len && text[i] == '[')
        return SW_LYRICS_LRC;
    return SW_LYRICS_SRT;
}

int sw_subs_parse_lyrics(SwSubs *s, const char *lang, const char *text, size_t len, SwLyricsFormat format,
                         SwCueError *err)
{
    SwCueError dummy;
    Entry *es = NULL;
    int n = 0, cap = 0, ret;
    if (!err)
        err = &dummy;
    memset(err, 0, sizeof(*err));
    if (!s || (!text && len))
        return lfail(err, 0, 0, "no lyrics to parse");
    if (!lang)
        lang = "und";
    if (!sw_sub_lang_valid(lang, strlen(lang)))
        return lfail(err, 0, 0, "bad language \"%s\" for the lyrics: e.g. en, ko, pt-BR", lang);
    long bad = sw_cues_utf8_invalid((const unsigned char *)text, len);
    if (bad >= 0) {
        int line = 1;
        size_t ls = 0;
        for (long i = 0; i < bad; i++)
            if (text[i] == '\n') {
                line++;
                ls = (size_t)i + 1;
            }
        return lfail(err, line, col_of(text + ls, (size_t)bad - ls),
                     "invalid UTF-8 or a NUL byte: a lyrics file must be UTF-8 text (save it as UTF-8)");
    }
    int li = sw_subs_lang_index(s, lang);
    if (li >= 0 && li < s->cue_langs)
        return lfail(err, 0, 0,
                     "language %s already has sub cues in the cue list: give the lyrics another language "
                     "(--lyrics LANG=FILE) or drop those cues",
                     lang);
    if (li >= 0)
        return lfail(err, 0, 0, "language %s has lines from another lyrics file already: one file per language",
                     lang);
    if (s->nlangs == SW_SUB_MAX_LANGS)
        return lfail(err, 0, 0, "more than %d subtitle languages: a take has at most %d", SW_SUB_MAX_LANGS,
                     SW_SUB_MAX_LANGS);

    Lex lx = {.text = text, .len = len, .err = err};
    if (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3))
        lx.pos = 3;
    if (format == SW_LYRICS_AUTO)
        format = sniff(text, len);
    ret = format == SW_LYRICS_LRC ? parse_lrc(&lx, &es, &n, &cap)
                                  : parse_blocks(&lx, format == SW_LYRICS_VTT, &es, &n, &cap);
    if (ret == 0 && n == 0)
        ret = lfail(err, 0, 0, "no timed line in the lyrics file");
    if (ret == 0) {
        if (!(s->langs[s->nlangs] = strdup(lang)))
            ret = -ENOMEM;
        else if ((ret = entries_to_ops(s, s->nlangs, es, n, err)) < 0)
            free(s->langs[s->nlangs]);
        else
            s->lyrics_lang[s->nlangs++] = 1;
    }
    if (ret == -ENOMEM)
        lfail(err, 0, 0, "out of memory reading the lyrics");
    for (int i = 0; i < n; i++)
        free(es[i].text);
    free(es);
    return ret < 0 ? -1 : 0;
}

int sw_subs_load_lyrics(SwSubs *s, const char *lang, const char *path, SwLyricsFormat format, SwCueError *err)
{
    SwCueError dummy;
    char *text;
    size_t len;
    if (!err)
        err = &dummy;
    if (sw_cues_read_file(path, &text, &len, err) < 0)
        return -1;
    if (format == SW_LYRICS_AUTO && path) {
        size_t pl = strlen(path);
        if (pl > 4 && !strcmp(path + pl - 4, ".srt"))
            format = SW_LYRICS_SRT;
        else if (pl > 4 && !strcmp(path + pl - 4, ".vtt"))
            format = SW_LYRICS_VTT;
        else if (pl > 4 && !strcmp(path + pl - 4, ".lrc"))
            format = SW_LYRICS_LRC;
    }
    int ret = sw_subs_parse_lyrics(s, lang, text, len, format, err);
    free(text);
    return ret;
}

int sw_subs_add_lines(SwSubs *s, const char *lang, const int64_t *start, const int64_t *end,
                      const char *const *text, int n)
{
    if (!s || !lang || n < 0 || !sw_sub_lang_valid(lang, strlen(lang)))
        return -EINVAL;
    if (sw_subs_lang_index(s, lang) >= 0)
        return -EEXIST;
    if (s->nlangs == SW_SUB_MAX_LANGS)
        return -ENOSPC;
    for (int i = 0; i < n; i++)
        if (start[i] < 0 || end[i] <= start[i] || (i && start[i] < end[i - 1]) || !text[i])
            return -EINVAL;
    SwSubOp *ops = malloc(sizeof(*ops) * (size_t)(2 * n + 1));
    int nops = 0, ret = 0;
    if (!ops || !(s->langs[s->nlangs] = strdup(lang))) {
        free(ops);
        return -ENOMEM;
    }
    for (int i = 0; i < n && !ret; i++) {
        char *t = strdup(text[i]);
        if (!t || keep_text(s, t) < 0) {
            free(t);
            ret = -ENOMEM;
            break;
        }
        add_op(s, ops, &nops, start[i], s->nlangs, t, 0);
        if (!(i + 1 < n && start[i + 1] == end[i]))
            add_op(s, ops, &nops, end[i], s->nlangs, NULL, 0);
    }
    if (!ret)
        ret = merge_ops(s, ops, nops);
    free(ops);
    if (ret < 0) {
        free(s->langs[s->nlangs]);
        return ret;
    }
    s->lyrics_lang[s->nlangs++] = 1;
    return 0;
}

SwSubs *sw_subs_alloc(const SwCueList *cues, SwRate rate)
{
    SwSubs *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->rate = rate;
    for (int i = 0; i < sw_cues_nlangs(cues); i++)
        if (!(s->langs[s->nlangs++] = strdup(sw_cues_lang(cues, i))))
            goto fail;
    s->cue_langs = s->nlangs;
    int n = sw_cues_nsub_timed(cues);
    s->ops = calloc((size_t)(n ? n : 1), sizeof(*s->ops));
    if (!s->ops)
        goto fail;
    s->cap = n;
    for (int k = 0; k < n; k++) {
        int i = sw_cues_sub_timed(cues, k);
        const SwCue *c = sw_cues_get(cues, i);
        s->ops[s->nops++] = (SwSubOp){.frame = c->frame, .lang = c->lang, .text = c->text, .cue = i,
                                      .line = c->line};
    }
    return s;
fail:
    sw_subs_free(&s);
    return NULL;
}

void sw_subs_free(SwSubs **ps)
{
    SwSubs *s = ps ? *ps : NULL;
    if (!s)
        return;
    for (int i = 0; i < s->nlangs; i++)
        free(s->langs[i]);
    for (int i = 0; i < s->ntexts; i++)
        free(s->texts[i]);
    free(s->texts);
    free(s->ops);
    free(s);
    *ps = NULL;
}

int sw_subs_nlangs(const SwSubs *s)
{
    return s ? s->nlangs : 0;
}

const char *sw_subs_lang(const SwSubs *s, int lang)
{
    return s && lang >= 0 && lang < s->nlangs ? s->langs[lang] : NULL;
}

int sw_subs_lang_index(const SwSubs *s, const char *code)
{
    for (int i = 0; s && code && i < s->nlangs; i++)
        if (!strcmp(s->langs[i], code))
            return i;
    return -1;
}

int sw_subs_count(const SwSubs *s)
{
    return s ? s->nops : 0;
}

const SwSubOp *sw_subs_get(const SwSubs *s, int index)
{
    return s && index >= 0 && index < s->nops ? &s->ops[index] : NULL;
}

int sw_subs_find(const SwSubs *s, int64_t frame)
{
    int lo = 0, hi = s ? s->nops : 0;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (s->ops[mid].frame < frame)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int sw_subs_split_arg(const char *arg, const char **lang, size_t *lang_len, const char **path)
{
    const char *eq = arg ? strchr(arg, '=') : NULL;
    const char *slash = arg ? strchr(arg, '/') : NULL;
    *lang = NULL;
    *lang_len = 0;
    *path = arg;
    if (!eq || (slash && slash < eq))
        return 0; /* a path, perhaps with '=' in a folder name */
    if (!sw_sub_lang_valid(arg, (size_t)(eq - arg)))
        return -EINVAL;
    *lang = arg;
    *lang_len = (size_t)(eq - arg);
    *path = eq + 1;
    return 0;
}
