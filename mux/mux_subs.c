/* onetake mux: the subtitle tracks of program.mkv (mux_subs.h), the files for post (subtitles.LANG.srt/.vtt),
 * and the tracks read back from a master (mux_sub_tracks_load, for replay).
 *
 * A line's block needs its duration, which is known only when the line ends (the next line of its language,
 * a clear, or the end of the take; a `go` line may come at any time), so each line is written when it ends:
 * pts = its first frame, duration = its frames, in the stream time base 1/fps (Matroska stores ms). Its PKT
 * record is made then and released with the program's next commit, like the audio's. The file stays
 * append-only; a block may be timestamped before the cluster it is in (Matroska's block timecode is signed),
 * and a line longer than 32 s gets a cluster of its own (libavformat starts one).
 *
 * Threads: the program's mux thread only (mux_sub_tracks_load: any thread, its own context). */
#include "mux_subs.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <libavutil/mathematics.h>

#include "mux.h"
#include "ot_common.h"

typedef struct SubLine {
    int64_t start, end;
    char *text;
} SubLine;

typedef struct SubTrack {
    char *lang;
    AVStream *st;
    ProofStream *proof;
    int64_t open_start; /* -1: no line shown */
    char *open_text;
    SubLine *lines; /* written, for the files */
    int nlines, cap;
    int64_t written;
} SubTrack;

struct MuxSubs {
    AVFormatContext *fmt; /* borrowed */
    char *path;
    SwRate rate;
    AVRational tb; /* 1/fps */
    SubTrack tracks[SW_SUB_MAX_LANGS];
    int n;
    AVPacket *pkt;
    int err;
    int64_t written;
};

int mux_subs_open(AVFormatContext *fmt, const char *path, SwRate rate, const char *const *langs, int nlangs,
                  ProofStream *const *proofs, MuxSubs **out)
{
    char role[64];
    *out = NULL;
    if (nlangs < 1 || nlangs > SW_SUB_MAX_LANGS)
        return -EINVAL;
    MuxSubs *s = calloc(1, sizeof(*s));
    if (!s)
        return -ENOMEM;
    s->fmt = fmt;
    s->rate = rate;
    s->tb = (AVRational){rate.den, rate.num};
    s->path = strdup(path);
    s->pkt = av_packet_alloc();
    if (!s->path || !s->pkt)
        goto nomem;
    for (int i = 0; i < nlangs; i++) {
        SubTrack *t = &s->tracks[s->n++];
        t->open_start = -1;
        t->proof = proofs ? proofs[i] : NULL;
        if (!(t->lang = strdup(langs[i])) || !(t->st = avformat_new_stream(fmt, NULL)))
            goto nomem;
        t->st->codecpar->codec_type = AVMEDIA_TYPE_SUBTITLE;
        t->st->codecpar->codec_id = AV_CODEC_ID_SUBRIP; /* Matroska S_TEXT/UTF8 */
        t->st->time_base = s->tb;
        if (snprintf(role, sizeof(role), "subtitles %s", langs[i]) >= (int)sizeof(role))
            goto nomem; /* cannot happen: a language has at most SW_SUB_LANG_MAX characters */
        av_dict_set(&t->st->metadata, "language", langs[i], 0);
        av_dict_set(&t->st->metadata, "title", langs[i], 0);
        av_dict_set(&t->st->metadata, "ROLE", role, 0);
    }
    *out = s;
    return 0;
nomem:
    mux_subs_free(&s);
    return -ENOMEM;
}

static int fail(MuxSubs *s, const char *what, int averr)
{
    if (!s->err) {
        int is_errno = averr < 0 && averr > -4096;
        if (!is_errno)
            ot_log(OT_LOG_ERROR, "mux", "subtitles of \"%s\": %s failed: %s", s->path, what, av_err2str(averr));
        s->err = is_errno ? averr : OT_ERROR_CODEC;
    }
    return s->err;
}

/* The line of t from its start to end: one block, its PKT record, kept for the files. */
static int write_line(MuxSubs *s, SubTrack *t, int64_t end)
{
    size_t len = strlen(t->open_text);
    int ret;
    if (t->nlines == t->cap) {
        int cap = t->cap ? t->cap * 2 : 64;
        SubLine *n = realloc(t->lines, (size_t)cap * sizeof(*n));
        if (!n)
            return fail(s, "keeping a line", AVERROR(ENOMEM));
        t->lines = n;
        t->cap = cap;
    }
    if ((ret = av_new_packet(s->pkt, (int)len)) < 0)
        return fail(s, "making a packet", ret);
    memcpy(s->pkt->data, t->open_text, len);
    s->pkt->pts = s->pkt->dts = t->open_start;
    s->pkt->duration = end - t->open_start;
    s->pkt->flags = AV_PKT_FLAG_KEY;
    s->pkt->stream_index = t->st->index;
    av_packet_rescale_ts(s->pkt, s->tb, t->st->time_base);
    ret = av_write_frame(s->fmt, s->pkt);
    av_packet_unref(s->pkt);
    if (ret < 0)
        return fail(s, "writing a line", ret);
    /* The block is in the cluster being made: the next commit ends that cluster and syncs it first. */
    if (t->proof && (ret = proof_stream_packet(t->proof, t->open_start, t->open_start, end - t->open_start, 1,
                                               (const uint8_t *)t->open_text, len)) < 0) {
        s->err = ret;
        return ret;
    }
    t->lines[t->nlines++] = (SubLine){t->open_start, end, t->open_text};
    t->open_text = NULL;
    __atomic_fetch_add(&s->written, 1, __ATOMIC_RELAXED); /* read by the stats from other threads */
    __atomic_fetch_add(&t->written, 1, __ATOMIC_RELAXED);
    return 0;
}

int mux_subs_line(MuxSubs *s, int lang, int64_t frame, const char *text)
{
    if (!s || lang < 0 || lang >= s->n)
        return -EINVAL;
    if (s->err)
        return s->err;
    SubTrack *t = &s->tracks[lang];
    int ret = 0;
    if (t->open_start >= 0 && frame > t->open_start)
        ret = write_line(s, t, frame);
    free(t->open_text); /* a line that never lasted a frame (two at one tick): only the last is shown */
    t->open_text = NULL;
    t->open_start = -1;
    if (ret < 0 || !text)
        return ret;
    if (!(t->open_text = strdup(text)))
        return fail(s, "keeping a line", AVERROR(ENOMEM));
    t->open_start = frame;
    return 0;
}

int mux_subs_finish(MuxSubs *s, int64_t end)
{
    int ret = 0;
    for (int i = 0; s && i < s->n && !ret; i++)
        ret = mux_subs_line(s, i, end, NULL);
    return ret;
}

int mux_subs_durable(MuxSubs *s)
{
    int ret = 0;
    for (int i = 0; s && i < s->n && !ret; i++)
        if (s->tracks[i].proof)
            ret = proof_stream_release(s->tracks[i].proof);
    return ret;
}

int mux_subs_close(MuxSubs *s)
{
    int ret = 0;
    for (int i = 0; s && i < s->n && !ret; i++)
        if (s->tracks[i].proof)
            ret = proof_stream_close_shared(s->tracks[i].proof);
    return ret;
}

/* HH:MM:SS,mmm (sep ',') or HH:MM:SS.mmm (sep '.') of frame, the millisecond Matroska has for it. */
static void append_time(GString *g, MuxSubs *s, int64_t frame, char sep)
{
    int64_t ms = av_rescale_q(frame, s->tb, (AVRational){1, 1000});
    g_string_append_printf(g, "%02" PRId64 ":%02" PRId64 ":%02" PRId64 "%c%03" PRId64, ms / 3600000,
                           ms / 60000 % 60, ms / 1000 % 60, sep, ms % 1000);
}

/* WebVTT's text: & and < escaped (a "-->" then cannot appear either). */
static void append_vtt_text(GString *g, const char *t)
{
    for (; *t; t++) {
        if (*t == '&')
            g_string_append(g, "&amp;");
        else if (*t == '<')
            g_string_append(g, "&lt;");
        else if (*t == '>')
            g_string_append(g, "&gt;");
        else
            g_string_append_c(g, *t);
    }
}

static int replace_file(const char *dir, const char *name, const GString *g)
{
    char *path = g_build_filename(dir, name, NULL);
    const char *what = NULL;
    int ret = ot_file_replace(path, g->str, g->len, &what);
    if (ret < 0)
        ot_log(OT_LOG_ERROR, "mux", "cannot %s \"%s\": %s (the subtitles are in program.mkv all the same)",
               what ? what : "write", path, ot_strerror(ret));
    g_free(path);
    return ret;
}

int mux_subs_write_files(MuxSubs *s)
{
    int ret = 0;
    char *dir = s ? g_path_get_dirname(s->path) : NULL;
    for (int i = 0; s && i < s->n; i++) {
        const SubTrack *t = &s->tracks[i];
        GString *srt = g_string_new(NULL), *vtt = g_string_new("WEBVTT\n");
        char name[64];
        for (int k = 0; k < t->nlines; k++) {
            const SubLine *l = &t->lines[k];
            g_string_append_printf(srt, "%d\n", k + 1);
            append_time(srt, s, l->start, ',');
            g_string_append(srt, " --> ");
            append_time(srt, s, l->end, ',');
            g_string_append_printf(srt, "\n%s\n\n", l->text);
            g_string_append(vtt, "\n");
            append_time(vtt, s, l->start, '.');
            g_string_append(vtt, " --> ");
            append_time(vtt, s, l->end, '.');
            g_string_append_c(vtt, '\n');
            append_vtt_text(vtt, l->text);
            g_string_append_c(vtt, '\n');
        }
        int r = snprintf(name, sizeof(name), MUX_TAKE_SUBS_FILE_FMT, t->lang, "srt") >= (int)sizeof(name)
                    ? -ENAMETOOLONG
                    : replace_file(dir, name, srt);
        if (!r)
            r = snprintf(name, sizeof(name), MUX_TAKE_SUBS_FILE_FMT, t->lang, "vtt") >= (int)sizeof(name)
                    ? -ENAMETOOLONG
                    : replace_file(dir, name, vtt);
        if (r < 0 && !ret)
            ret = r;
        g_string_free(srt, TRUE);
        g_string_free(vtt, TRUE);
    }
    g_free(dir);
    return ret;
}

int64_t mux_subs_lines(const MuxSubs *s, int lang)
{
    if (!s || lang >= s->n)
        return 0;
    return __atomic_load_n(lang < 0 ? &s->written : &s->tracks[lang].written, __ATOMIC_RELAXED);
}

void mux_subs_free(MuxSubs **ps)
{
    MuxSubs *s = ps ? *ps : NULL;
    if (!s)
        return;
    for (int i = 0; i < s->n; i++) {
        SubTrack *t = &s->tracks[i];
        for (int k = 0; k < t->nlines; k++)
            free(t->lines[k].text);
        free(t->lines);
        free(t->open_text);
        free(t->lang);
    }
    av_packet_free(&s->pkt);
    free(s->path);
    free(s);
    *ps = NULL;
}

/* ---- read back ---- */

MuxSubTracks *mux_sub_tracks_load(const char *path, SwRate rate)
{
    AVFormatContext *fmt = NULL;
    AVPacket *pkt = av_packet_alloc();
    MuxSubTracks *m = g_new0(MuxSubTracks, 1);
    int map[64];
    int ret = pkt ? avformat_open_input(&fmt, path, NULL, NULL) : AVERROR(ENOMEM);
    if (ret < 0) {
        ot_log(OT_LOG_ERROR, "mux", "cannot read the subtitle tracks of \"%s\": %s", path, av_err2str(ret));
        goto fail;
    }
    GArray *lines = g_array_new(FALSE, TRUE, sizeof(MuxSubTrackLine));
    for (unsigned i = 0; i < fmt->nb_streams && i < 64; i++) {
        const AVDictionaryEntry *role = av_dict_get(fmt->streams[i]->metadata, "ROLE", NULL, 0);
        map[i] = -1;
        if (fmt->streams[i]->codecpar->codec_type != AVMEDIA_TYPE_SUBTITLE || !role ||
            !g_str_has_prefix(role->value, "subtitles ") || m->nlangs == SW_SUB_MAX_LANGS)
            continue;
        map[i] = m->nlangs;
        m->langs[m->nlangs++] = g_strdup(role->value + strlen("subtitles "));
    }
    AVRational tb = {rate.den, rate.num};
    while (av_read_frame(fmt, pkt) >= 0) {
        int si = pkt->stream_index;
        if (si < 64 && map[si] >= 0 && pkt->pts != AV_NOPTS_VALUE) {
            AVRational stb = fmt->streams[si]->time_base;
            MuxSubTrackLine l = {
                .lang = map[si],
                .start = av_rescale_q_rnd(pkt->pts, stb, tb, AV_ROUND_NEAR_INF | AV_ROUND_PASS_MINMAX),
                .end = av_rescale_q_rnd(pkt->pts + pkt->duration, stb, tb, AV_ROUND_NEAR_INF | AV_ROUND_PASS_MINMAX),
                .text = g_strndup((const char *)pkt->data, (gsize)pkt->size),
            };
            g_array_append_val(lines, l);
        }
        av_packet_unref(pkt);
    }
    m->nlines = (int)lines->len;
    m->lines = (MuxSubTrackLine *)(void *)g_array_free(lines, FALSE);
    avformat_close_input(&fmt);
    av_packet_free(&pkt);
    return m;
fail:
    avformat_close_input(&fmt);
    av_packet_free(&pkt);
    mux_sub_tracks_free(&m);
    return NULL;
}

void mux_sub_tracks_free(MuxSubTracks **pm)
{
    MuxSubTracks *m = pm ? *pm : NULL;
    if (!m)
        return;
    for (int i = 0; i < m->nlines; i++)
        g_free(m->lines[i].text);
    g_free(m->lines);
    for (int i = 0; i < m->nlangs; i++)
        g_free(m->langs[i]);
    g_free(m);
    *pm = NULL;
}
