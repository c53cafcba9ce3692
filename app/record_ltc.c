/* onetake record: LTC in (record_ltc.h).
 *
 * The mapping. LTC frame k of the signal starts at audio sample pos_k, take time pos_k / 48000 (the source's
 * first sample is take time 0, as for --audio-src); the program frame that carries it is the one nearest that
 * time (an LTC frame starts with its video frame). From the first frame found the mapping follows the signal
 * while each frame is the one after the last and comes when it should; at the first frame that is not (a jump:
 * the playback skipped) or when none comes (a loss) the anomaly is declared at its program frame and the
 * mapping freewheels from the last good frame at the LTC's nominal rate for the rest of the take: a cue list in
 * song time goes on where the song would have been, and no cue fires twice or is skipped by a jump. */
#include "record_ltc.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "capture.h"
#include "ot_common.h"
#include "sw_audio.h"
#include "sw_timecode.h"

#define LTC_START_TIMEOUT_MS 15000

const GOptionEntry *record_ltc_entries(RecordLtc *l)
{
    const GOptionEntry e[] = {
        {"ltc", 0, 0, G_OPTION_ARG_STRING, &l->source,
         "LTC in: an audio file (its left channel) or cam:NAME[:CHANNEL] (a file camera's audio, channel 1 or 2)",
         "SOURCE"},
        {"ltc-fps", 0, 0, G_OPTION_ARG_STRING, &l->fps, "The LTC's rate: 24, 25, 29.97 (drop-frame) or 30 "
         "(default: the program's)", "FPS"},
        {"cue-clock", 0, 0, G_OPTION_ARG_STRING, &l->cue_clock,
         "program (default): cue times are take timecode; ltc: they are LTC times (needs --ltc)", "CLOCK"},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    memcpy(l->entries, e, sizeof(e));
    return l->entries;
}

static int parse_fps(const char *s, SwRate *r)
{
    if (!strcmp(s, "29.97"))
        s = "30000/1001";
    if (sw_rate_parse(s, r) < 0)
        return -EINVAL;
    if ((r->num == 24 * r->den) || (r->num == 25 * r->den) || (r->num == 30 * r->den)) {
        *r = (SwRate){r->num / r->den, 1};
        return 0;
    }
    return r->num == 30000 && r->den == 1001 ? 0 : -EINVAL;
}

int record_ltc_check(RecordLtc *l, char **names, char **sources, int ncams, SwRate prog)
{
    l->prog = prog;
    l->cue_clock_ltc = l->cue_clock && !strcmp(l->cue_clock, "ltc");
    if (l->cue_clock && !l->cue_clock_ltc && strcmp(l->cue_clock, "program")) {
        ot_log(OT_LOG_ERROR, "record", "--cue-clock %s: give program or ltc", l->cue_clock);
        return -EINVAL;
    }
    if (!l->source) {
        if (l->cue_clock_ltc || l->fps) {
            ot_log(OT_LOG_ERROR, "record", "%s needs --ltc SOURCE (the audio that carries the LTC)",
                   l->fps ? "--ltc-fps" : "--cue-clock ltc");
            return -EINVAL;
        }
        return 0;
    }
    l->on = 1;
    char progfps[32];
    snprintf(progfps, sizeof(progfps), "%d/%d", prog.num, prog.den);
    if (parse_fps(l->fps ? l->fps : progfps, &l->rate) < 0) {
        ot_log(OT_LOG_ERROR, "record", "--ltc-fps %s: LTC runs at 24, 25, 29.97 (drop-frame) or 30%s",
               l->fps ? l->fps : "(the program's rate)", l->fps ? "" : ": give --ltc-fps");
        return -EINVAL;
    }
    l->drop = sw_rate_allows_drop_frame(l->rate);
    const char *src = l->source;
    if (g_str_has_prefix(src, "cam:")) {
        const char *name = src + 4, *colon = strchr(name, ':');
        size_t n = colon ? (size_t)(colon - name) : strlen(name);
        int cam = -1;
        for (int i = 0; i < ncams; i++)
            if (strlen(names[i]) == n && !strncmp(names[i], name, n))
                cam = i;
        if (cam < 0) {
            ot_log(OT_LOG_ERROR, "record", "--ltc %s: no camera \"%.*s\" (give cam:NAME[:CHANNEL], NAME one of the "
                   "--cam names)", src, (int)n, name);
            return -EINVAL;
        }
        if (colon && strcmp(colon, ":1") && strcmp(colon, ":2")) {
            ot_log(OT_LOG_ERROR, "record", "--ltc %s: CHANNEL is 1 (left) or 2 (right)", src);
            return -EINVAL;
        }
        l->channel = colon && !strcmp(colon, ":2");
        src = sources[cam];
    }
    if (g_str_has_prefix(src, "test:") || g_str_has_prefix(src, "pipe:") || cap_source_is_live(src)) {
        ot_log(OT_LOG_ERROR, "record", "--ltc %s: LTC is read from a file in a take of file cameras (the whole "
               "signal before the roll); live LTC is not here yet", l->source);
        return -EINVAL;
    }
    if (!g_str_has_prefix(src, "file://") && access(src, R_OK) < 0) {
        ot_log(OT_LOG_ERROR, "record", "--ltc %s: cannot read \"%s\": %s", l->source, src, ot_strerror(-errno));
        return -EINVAL;
    }
    l->path = g_strdup(src);
    return 0;
}

/* Samples of one LTC frame, times den (exact at 29.97: 48000 x 1001 / 30000 = 1601.6). */
static int64_t spf_num(const RecordLtc *l)
{
    return (int64_t)SW_AUDIO_RATE * l->rate.den;
}

/* The program frame nearest audio sample pos x / div. */
static int64_t tick_of(const RecordLtc *l, __int128 pos_x, __int128 div)
{
    __int128 n = pos_x * l->prog.num * 2 + (__int128)SW_AUDIO_RATE * l->prog.den * div;
    __int128 d = (__int128)2 * SW_AUDIO_RATE * l->prog.den * div;
    return (int64_t)(n >= 0 ? n / d : -((-n + d - 1) / d));
}

static int64_t count_of(const RecordLtc *l, const CapLtcFrame *f)
{
    return sw_timecode_to_frame(l->rate, l->drop, f->hh, f->mm, f->ss, f->ff);
}

static void tc_of(const RecordLtc *l, int64_t frame, char *buf, int size)
{
    sw_timecode_format(l->rate, l->drop, frame, buf, size);
}

__attribute__((format(printf, 4, 0))) static void add_note(RecordLtc *l, int64_t tick, SwAnomalyKind kind,
                                                         const char *fmt, const char *a, const char *b)
{
    if (l->nnotes == (int)G_N_ELEMENTS(l->notes))
        return;
    RecordLtcNote *n = &l->notes[l->nnotes++];
    n->tick = tick;
    n->kind = kind;
    if (snprintf(n->detail, sizeof(n->detail), fmt, a, b) >= (int)sizeof(n->detail))
        n->detail[sizeof(n->detail) - 1] = '\0'; /* one short sentence: its end may be cut */
}

int record_ltc_decode(RecordLtc *l, char **sources, int ncams)
{
    char a[32], b[32];
    if (!l->on)
        return 0;
    for (int i = 0; i < ncams; i++)
        if (cap_source_is_live(sources[i])) {
            ot_log(OT_LOG_ERROR, "record", "--ltc %s: camera %d (%s) is live: LTC is read from a file in a take of "
                   "file cameras (the whole signal before the roll); live LTC is not here yet", l->source, i + 1,
                   sources[i]);
            return -EINVAL;
        }
    l->track = cap_ltc_decode(l->path, l->channel, l->rate, LTC_START_TIMEOUT_MS);
    if (!l->track)
        return OT_ERROR_SOURCE;
    const CapLtcTrack *t = l->track;
    if (t->n == 0) {
        ot_log(OT_LOG_ERROR, "record", "--ltc %s: no LTC found in %.1f s of audio (%s channel): check the source "
               "and the channel (cam:NAME:2 for the right one)", l->source, (double)t->samples / SW_AUDIO_RATE,
               l->channel ? "right" : "left");
        return OT_ERROR_SOURCE;
    }
    for (int64_t i = 0; i < t->n; i++)
        if (count_of(l, &t->frames[i]) < 0) {
            snprintf(a, sizeof(a), "%02d:%02d:%02d%c%02d", t->frames[i].hh, t->frames[i].mm, t->frames[i].ss,
                     t->frames[i].drop ? ';' : ':', t->frames[i].ff);
            ot_log(OT_LOG_ERROR, "record", "--ltc %s: LTC frame %s (at %.3f s) does not exist at %d/%d fps: give "
                   "the LTC's rate with --ltc-fps", l->source, a, (double)t->frames[i].pos / SW_AUDIO_RATE,
                   l->rate.num, l->rate.den);
            return OT_ERROR_SOURCE;
        }
    l->first_frame = count_of(l, &t->frames[0]);
    /* Follow while each frame is the next one, in time (within half a frame). */
    int64_t spf2 = 3 * spf_num(l); /* 1.5 frames, times 2 num */
    l->nfollow = 1;
    while (l->nfollow < t->n) {
        const CapLtcFrame *p = &t->frames[l->nfollow - 1], *f = &t->frames[l->nfollow];
        if (count_of(l, f) != count_of(l, p) + 1 || (f->pos - p->pos) * 2 * l->rate.num > spf2)
            break;
        l->nfollow++;
    }
    const CapLtcFrame *last = &t->frames[l->nfollow - 1];
    tc_of(l, count_of(l, last), a, sizeof(a));
    if (l->nfollow < t->n && count_of(l, &t->frames[l->nfollow]) != count_of(l, last) + 1) {
        tc_of(l, count_of(l, &t->frames[l->nfollow]), b, sizeof(b));
        add_note(l, tick_of(l, t->frames[l->nfollow].pos, 1), SW_ANOMALY_LTC_JUMP,
                 "LTC jumped from %s to %s: the cue clock freewheels from the last good frame", a, b);
        l->jumps = 1;
    } else if (l->nfollow < t->n ||
               (t->samples - last->pos) * l->rate.num > 3 * spf_num(l)) {
        /* nothing when it should have come (the source going on); a file that ends with its LTC is no loss */
        add_note(l, tick_of(l, (__int128)last->pos * l->rate.num + 2 * spf_num(l), l->rate.num), SW_ANOMALY_LTC_LOST,
                 "no LTC after %s%s: the cue clock freewheels from it", a, "");
        l->losses = 1;
    }
    tc_of(l, l->first_frame, b, sizeof(b));
    ot_log(OT_LOG_INFO, "record", "LTC: %s at take frame %" G_GINT64_FORMAT " to %s (%" G_GINT64_FORMAT
           " frames followed)%s", b, tick_of(l, t->frames[0].pos, 1), a, l->nfollow,
           l->nnotes ? ", then freewheeling (declared)" : "");
    return 0;
}

/* The program frame of LTC frame count L: the frame's own when the mapping followed it, else run on from the
 * nearest followed frame at the nominal rate. */
static int64_t tick_of_ltc(const RecordLtc *l, int64_t L)
{
    const CapLtcFrame *f = L < l->first_frame ? &l->track->frames[0] : &l->track->frames[l->nfollow - 1];
    if (L >= l->first_frame && L < l->first_frame + l->nfollow)
        return tick_of(l, l->track->frames[L - l->first_frame].pos, 1);
    int64_t dL = L - count_of(l, f);
    return tick_of(l, (__int128)f->pos * l->rate.num + (__int128)dL * spf_num(l), l->rate.num);
}

/* The LTC frame count at program frame tick (inverse of the above), and whether it is freewheeled. */
static int64_t ltc_of_tick(const RecordLtc *l, int64_t tick, int *freewheel)
{
    /* the followed frame at or before the tick's time, else the first */
    int64_t lo = 0, hi = l->nfollow - 1;
    while (lo < hi) {
        int64_t mid = (lo + hi + 1) / 2;
        if (tick_of(l, l->track->frames[mid].pos, 1) <= tick)
            lo = mid;
        else
            hi = mid - 1;
    }
    const CapLtcFrame *f = &l->track->frames[lo];
    int64_t base = tick_of(l, f->pos, 1);
    *freewheel = lo == l->nfollow - 1 && tick > base;
    /* frames of LTC in (tick - base) program frames, to the nearest */
    __int128 n = (__int128)(tick - base) * l->prog.den * l->rate.num * 2 + (__int128)l->prog.num * l->rate.den;
    __int128 d = (__int128)2 * l->prog.num * l->rate.den;
    return count_of(l, f) + (int64_t)(n >= 0 ? n / d : -((-n + d - 1) / d));
}

int record_ltc_convert_cues(RecordLtc *l, const char *cues_path, char **names, int ncams, const char **out_path,
                            SwCueList **out)
{
    SwCueError err;
    char msg[768], *text = NULL;
    size_t len = 0;
    int ret = OT_ERROR_CUES;
    SwCueList *lt = sw_cues_load(cues_path, l->rate, (const char *const *)names, ncams, &err);
    if (!lt || sw_cues_read_file(cues_path, &text, &len, &err) < 0) {
        fprintf(stderr, "%s\n", sw_cue_error_format(&err, cues_path, msg, sizeof(msg)));
        sw_cues_free(&lt);
        return OT_ERROR_CUES;
    }
    GString *g = g_string_new(NULL);
    int ci = 0, line = 0;
    for (size_t pos = 0; pos < len;) {
        const char *s = text + pos, *nl = memchr(s, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - s) : len - pos, body = n && s[n - 1] == '\r' ? n - 1 : n;
        line++;
        while (ci < sw_cues_count(lt) && sw_cues_get(lt, ci)->line < line)
            ci++;
        const SwCue *c = ci < sw_cues_count(lt) ? sw_cues_get(lt, ci) : NULL;
        if (c && c->line == line && c->frame >= 0) {
            size_t a = 0;
            while (a < body && (s[a] == ' ' || s[a] == '\t' || (line == 1 && (unsigned char)s[a] >= 0x80)))
                a++; /* (a BOM before the first line's time) */
            size_t e = a;
            while (e < body && s[e] != ' ' && s[e] != '\t' && s[e] != '#')
                e++;
            int64_t tick = tick_of_ltc(l, c->frame);
            if (tick < 0) {
                char t0[32];
                tc_of(l, l->first_frame, t0, sizeof(t0));
                fprintf(stderr, "%s:%d:%zu: error: LTC %s is before the take's first frame (the LTC starts at %s on "
                        "take frame %" G_GINT64_FORMAT "): move the cue or start the LTC earlier\n",
                        cues_path, line, a + 1, c->time_text, t0, tick_of(l, l->track->frames[0].pos, 1));
                goto out;
            }
            g_string_append_len(g, s, (gssize)a);
            g_string_append_printf(g, "%" G_GINT64_FORMAT, tick);
            g_string_append_len(g, s + e, (gssize)(body - e));
            g_string_append_printf(g, "   # LTC %s", c->time_text);
        } else {
            g_string_append_len(g, s, (gssize)body);
        }
        g_string_append_c(g, '\n');
        pos += n + (nl ? 1 : 0);
    }
    *out = sw_cues_parse(g->str, g->len, l->prog, (const char *const *)names, ncams, &err);
    if (!*out) {
        fprintf(stderr, "%s:%d: error: on program frames (--cue-clock ltc): %s\n", cues_path, err.line, err.message);
        goto out;
    }
    GError *gerr = NULL;
    int fd = g_file_open_tmp("onetake-cues-XXXXXX.txt", &l->cues_tmp, &gerr);
    if (fd < 0 || ot_write_all(fd, g->str, g->len) < 0) {
        ot_log(OT_LOG_ERROR, "record", "cannot write the cue list on program frames: %s",
               gerr ? gerr->message : ot_strerror(-errno));
        g_clear_error(&gerr);
        if (fd >= 0)
            close(fd);
        sw_cues_free(out);
        goto out;
    }
    close(fd);
    *out_path = l->cues_tmp;
    ret = 0;
out:
    g_string_free(g, TRUE);
    g_free(text);
    sw_cues_free(&lt);
    return ret;
}

void record_ltc_before_tick(RecordLtc *l, MuxWriter *w, const SwSink *sink, int64_t tick)
{
    if (!l->on || !l->track)
        return;
    if (tick % sw_rate_nominal(l->prog) == 0) {
        int fw;
        char tc[32];
        int64_t L = ltc_of_tick(l, tick, &fw);
        tc_of(l, L, tc, sizeof(tc));
        mux_writer_note_ltc(w, tick, L, tc, fw);
    }
    for (; l->next_note < l->nnotes && l->notes[l->next_note].tick <= tick; l->next_note++) {
        const RecordLtcNote *n = &l->notes[l->next_note];
        SwAnomaly a = {.kind = n->kind, .tick = tick, .ticks = 1, .cam = -1, .count = 1};
        memcpy(a.detail, n->detail, sizeof(a.detail) < sizeof(n->detail) ? sizeof(a.detail) : sizeof(n->detail));
        a.detail[sizeof(a.detail) - 1] = '\0';
        if (sink->anomaly)
            sink->anomaly(sink->opaque, &a);
    }
}

int record_ltc_tc_at(void *opaque, int64_t tick, char *buf, int size)
{
    RecordLtc *l = opaque;
    int fw;
    if (!l || !l->on || !l->track || tick < 0)
        return -1;
    tc_of(l, ltc_of_tick(l, tick, &fw), buf, size);
    return 0;
}

int record_ltc_counts(const RecordLtc *l, MuxCount *c)
{
    if (!l->on || !l->track)
        return 0;
    c[0] = (MuxCount){"first_take_frame", tick_of(l, l->track->frames[0].pos, 1)};
    c[1] = (MuxCount){"first_ltc_frame", l->first_frame};
    c[2] = (MuxCount){"frames_followed", l->nfollow};
    c[3] = (MuxCount){"jumps", l->jumps};
    c[4] = (MuxCount){"losses", l->losses};
    c[5] = (MuxCount){"freewheel_from_take_frame",
                      l->nnotes ? l->notes[0].tick : -1};
    return 6;
}

void record_ltc_free(RecordLtc *l)
{
    cap_ltc_track_free(&l->track);
    if (l->cues_tmp)
        unlink(l->cues_tmp);
    g_clear_pointer(&l->cues_tmp, g_free);
    g_clear_pointer(&l->path, g_free);
    g_clear_pointer(&l->source, g_free);
    g_clear_pointer(&l->fps, g_free);
    g_clear_pointer(&l->cue_clock, g_free);
}
