/* Unit test: subtitle cues in the cue list (grammar, order per language, errors at line:col), lyrics files
 * (SubRip, WebVTT, LRC: times to frames, refusals), and the switcher firing timed, go and staged lines. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sw_subs.h"
#include "sw_switcher.h"
#include "ut.h"

static const char *const CAMS[] = {"wide", "close"};
static const SwRate R25 = {25, 1}, R2997 = {30000, 1001};

static SwCueList *parse(const char *text, SwCueError *err)
{
    return sw_cues_parse(text, strlen(text), R25, CAMS, 2, err);
}

static void expect_error(const char *text, SwCueErrorCode code, int line, int col)
{
    SwCueError err;
    SwCueList *l = parse(text, &err);
    UT_CHECKF(l == NULL, "accepted: %s", text);
    UT_CHECKF(err.code == code && err.line == line && err.column == col,
              "%s -> %s at %d:%d (%s), expected %s at %d:%d", text, sw_cue_error_name(err.code), err.line,
              err.column, err.message, sw_cue_error_name(code), line, col);
    sw_cues_free(&l);
}

static void test_grammar(void)
{
    const char *text = "00:00:00:00 cut wide\n"
                       "00:00:01:00 sub \"Under the bridge\" # a comment\n"
                       "00:00:01:00 sub.ko \"\xea\xb0\x80\xec\x82\xac\"\n"
                       "00:00:01:10 cut close\n"
                       "00:00:02:00 sub-clear\n"
                       "go sub.en \"Go \\\"line\\\"\"\n"
                       "00:00:03:00 sub.ko-clear\n"
                       "go cut wide\n"
                       "00:00:04:00 end\n";
    SwCueError err;
    SwCueList *l = parse(text, &err);
    UT_CHECKF(l != NULL, "rejected: %s", err.message);
    if (!l)
        return;
    UT_EQ_INT(sw_cues_count(l), 9);
    UT_EQ_INT(sw_cues_nlangs(l), 3);
    UT_CHECK(!strcmp(sw_cues_lang(l, 0), "und") && !strcmp(sw_cues_lang(l, 1), "ko") &&
             !strcmp(sw_cues_lang(l, 2), "en"));
    const SwCue *c = sw_cues_get(l, 1);
    UT_CHECK(c->action == SW_CUE_SUB && c->frame == 25 && c->lang == 0 && !strcmp(c->text, "Under the bridge"));
    c = sw_cues_get(l, 5);
    UT_CHECK(c->action == SW_CUE_SUB && c->frame == -1 && c->lang == 2 && !strcmp(c->text, "Go \"line\""));
    c = sw_cues_get(l, 6);
    UT_CHECK(c->action == SW_CUE_SUB_CLEAR && c->frame == 75 && c->lang == 1 && c->text == NULL);
    /* timed subs in frame order; cuts alone in the timed index */
    UT_EQ_INT(sw_cues_nsub_timed(l), 4);
    UT_EQ_INT(sw_cues_sub_timed(l, 0), 1);
    UT_EQ_INT(sw_cues_sub_timed(l, 1), 2);
    UT_EQ_INT(sw_cues_sub_timed(l, 3), 6);
    UT_EQ_INT(sw_cues_find_timed(l, 1), 3);
    UT_EQ_INT(sw_cues_shot_end(l, 0, 0), 35);
    UT_EQ_INT(sw_cues_end_frame(l), 100);
    sw_cues_free(&l);

    /* another language may come earlier than a line of the first: each language has its own order */
    text = "00:00:05:00 sub.en \"b\"\n00:00:01:00 sub.ko \"a\"\n";
    l = parse(text, &err);
    UT_CHECKF(l != NULL, "rejected: %s", err.message);
    UT_EQ_INT(sw_cues_sub_timed(l, 0), 1);
    sw_cues_free(&l);
}

static void test_errors(void)
{
    expect_error("00:00:01:00 sub\n", SW_CUE_ERR_SUB, 1, 16);
    expect_error("00:00:01:00 sub wide\n", SW_CUE_ERR_SUB, 1, 17);
    expect_error("00:00:01:00 sub \"\"\n", SW_CUE_ERR_SUB, 1, 17);
    expect_error("00:00:01:00 sub.k \"x\"\n", SW_CUE_ERR_SUB, 1, 17);
    expect_error("00:00:01:00 sub.en_GB \"x\"\n", SW_CUE_ERR_SUB, 1, 17);
    expect_error("00:00:01:00 subtitle \"x\"\n", SW_CUE_ERR_ACTION, 1, 13);
    expect_error("00:00:01:00 sub-clear \"x\"\n", SW_CUE_ERR_EXTRA, 1, 23);
    expect_error("00:00:01:00 sub \"a\" \"b\"\n", SW_CUE_ERR_EXTRA, 1, 21);
    expect_error("00:00:02:00 sub \"a\"\n00:00:01:00 sub \"b\"\n", SW_CUE_ERR_ORDER, 2, 1);
    expect_error("00:00:02:00 sub \"a\"\n00:00:02:00 sub-clear\n", SW_CUE_ERR_ORDER, 2, 1);
    expect_error("00:00:01:00 end\n00:00:00:10 sub \"a\"\n", SW_CUE_ERR_AFTER_END, 2, 1);
    expect_error("00:00:03:00 sub \"a\"\n00:00:02:00 end\n", SW_CUE_ERR_PAST_END, 2, 1);
    expect_error("1 sub.aa \"1\"\n2 sub.ab \"1\"\n3 sub.ac \"1\"\n4 sub.ad \"1\"\n5 sub.ae \"1\"\n6 sub.af \"1\"\n"
                 "7 sub.ag \"1\"\n",
                 SW_CUE_ERR_SUB, 7, 3);
    /* a sub at the frame of a cut is fine; two cuts at one frame still are not */
    SwCueError err;
    SwCueList *l = parse("10 cut wide\n10 sub \"x\"\n", &err);
    UT_CHECKF(l != NULL, "rejected: %s", err.message);
    sw_cues_free(&l);
}

static void check_op(const SwSubs *s, int i, int64_t frame, int lang, const char *text)
{
    const SwSubOp *op = sw_subs_get(s, i);
    UT_CHECKF(op && op->frame == frame && op->lang == lang &&
                  ((!text && !op->text) || (text && op->text && !strcmp(text, op->text))),
              "op %d: frame %lld lang %d text [%s], expected %lld %d [%s]", i, op ? (long long)op->frame : -9LL,
              op ? op->lang : -9, op && op->text ? op->text : "(null)", (long long)frame, lang,
              text ? text : "(null)");
}

static void lyrics_error(const char *text, SwLyricsFormat fmt, int line, int col)
{
    SwCueError err;
    SwSubs *s = sw_subs_alloc(NULL, R25);
    int r = sw_subs_parse_lyrics(s, "en", text, strlen(text), fmt, &err);
    UT_CHECKF(r < 0 && err.code == SW_CUE_ERR_LYRICS && err.line == line && err.column == col,
              "[%s] -> %d %s at %d:%d (%s), expected lyrics at %d:%d", text, r, sw_cue_error_name(err.code),
              err.line, err.column, err.message, line, col);
    UT_EQ_INT(sw_subs_nlangs(s), 0);
    sw_subs_free(&s);
}

static void test_lyrics(void)
{
    SwCueError err;
    SwSubs *s = sw_subs_alloc(NULL, R25);
    const char *srt = "\xEF\xBB\xBF" "1\r\n00:00:01,000 --> 00:00:02,500\r\nfirst\r\nsecond row\r\n\r\n"
                      "2\n00:00:02,500 --> 00:00:04,019\nthird\n\n3\n00:00:05,020 --> 00:00:06,000\nlast\n";
    UT_EQ_INT(sw_subs_parse_lyrics(s, "en", srt, strlen(srt), SW_LYRICS_AUTO, &err), 0);
    /* 1000 ms = frame 25; 2500 = 62.5 -> 63; 4019 -> 100.475 -> 100; 5020 -> 125.5 -> 126; 6000 -> 150 */
    UT_EQ_INT(sw_subs_count(s), 5);
    check_op(s, 0, 25, 0, "first\nsecond row");
    check_op(s, 1, 63, 0, "third");
    check_op(s, 2, 100, 0, NULL);
    check_op(s, 3, 126, 0, "last");
    check_op(s, 4, 150, 0, NULL);
    const char *vtt = "WEBVTT - lyrics\n\nNOTE a comment\nspans lines\n\nid-1\n00:01.000 --> 00:02.000 align:start\n"
                      "un\n\n00:00:02.000 --> 00:00:03.000\ndeux\n";
    UT_EQ_INT(sw_subs_parse_lyrics(s, "fr", vtt, strlen(vtt), SW_LYRICS_AUTO, &err), 0);
    UT_EQ_INT(sw_subs_lang_index(s, "fr"), 1);
    UT_EQ_INT(sw_subs_count(s), 8);
    check_op(s, 0, 25, 0, "first\nsecond row");
    check_op(s, 1, 25, 1, "un");
    check_op(s, 2, 50, 1, "deux");
    check_op(s, 3, 63, 0, "third");
    check_op(s, 4, 75, 1, NULL);
    const char *lrc = "[ar:Band]\n[offset:+100]\n[00:01.10]one\n[00:02.00]\n[00:03.5]two\n";
    UT_EQ_INT(sw_subs_parse_lyrics(s, "de", lrc, strlen(lrc), SW_LYRICS_LRC, &err), 0);
    UT_EQ_INT(sw_subs_count(s), 11);
    check_op(s, 2, 25, 2, "one");  /* 1100 - 100 ms; after the lines already at frame 25 */
    check_op(s, 3, 48, 2, NULL);   /* 1900 ms -> 47.5 -> 48 */
    check_op(s, 7, 85, 2, "two");  /* 3400 ms */
    /* one file per language */
    UT_CHECK(sw_subs_parse_lyrics(s, "de", lrc, strlen(lrc), SW_LYRICS_LRC, &err) < 0);
    sw_subs_free(&s);

    lyrics_error("1\n00:00:02,000 --> 00:00:03,000\na\n\n2\n00:00:01,000 --> 00:00:04,000\nb\n", SW_LYRICS_SRT, 6, 1);
    lyrics_error("1\n00:00:01,000 --> 00:00:03,000\na\n\n2\n00:00:02,000 --> 00:00:04,000\nb\n", SW_LYRICS_SRT, 6, 1);
    lyrics_error("1\n00:00:01,000 -> 00:00:03,000\na\n", SW_LYRICS_SRT, 2, 1);
    lyrics_error("1\n00:00:01,000 --> 00:00:03;000\na\n", SW_LYRICS_SRT, 2, 18);
    lyrics_error("1\n00:00:01,000 --> 00:00:03,000\n\n", SW_LYRICS_SRT, 2, 1);
    lyrics_error("1\n00:00:03,000 --> 00:00:01,000\na\n", SW_LYRICS_SRT, 2, 1);
    lyrics_error("1\n00:00:01,000 --> 00:00:01,010\na\n", SW_LYRICS_SRT, 2, 1);
    lyrics_error("WEBVTT\n\n00:01.000 --> 00:02.000\na\n\n00:01.500 --> 00:03.000\nb\n", SW_LYRICS_VTT, 6, 1);
    lyrics_error("00:01.000 --> 00:02.000\na\n", SW_LYRICS_VTT, 1, 1);
    lyrics_error("[00:02.00]a\n[00:01.00]b\n", SW_LYRICS_LRC, 2, 1);
    lyrics_error("[00:02.00]a\nb\n", SW_LYRICS_LRC, 2, 1);
    lyrics_error("[00:61.00]a\n", SW_LYRICS_LRC, 1, 1);

    /* a language of the cue list cannot also come from a lyrics file */
    SwCueList *l = parse("10 sub.en \"x\"\n", &err);
    s = sw_subs_alloc(l, R25);
    UT_CHECK(sw_subs_parse_lyrics(s, "en", srt, strlen(srt), SW_LYRICS_SRT, &err) < 0);
    UT_CHECK(sw_subs_parse_lyrics(s, NULL, srt, strlen(srt), SW_LYRICS_SRT, &err) == 0);
    UT_EQ_INT(sw_subs_lang_index(s, "und"), 1);
    sw_subs_free(&s);
    sw_cues_free(&l);

    const char *lang, *path;
    size_t ll;
    UT_EQ_INT(sw_subs_split_arg("ko=song.srt", &lang, &ll, &path), 0);
    UT_CHECK(ll == 2 && !strncmp(lang, "ko", 2) && !strcmp(path, "song.srt"));
    UT_EQ_INT(sw_subs_split_arg("d1r=x/song.srt", &lang, &ll, &path), -EINVAL);
    UT_EQ_INT(sw_subs_split_arg("./a=b/song.srt", &lang, &ll, &path), 0);
    UT_CHECK(lang == NULL && !strcmp(path, "./a=b/song.srt"));
    /* 29.97: 1001 ms is frame 30 exactly (30 x 1001/30000 s) */
    s = sw_subs_alloc(NULL, R2997);
    const char *one = "1\n00:00:01,001 --> 00:00:02,002\nx\n";
    UT_EQ_INT(sw_subs_parse_lyrics(s, "en", one, strlen(one), SW_LYRICS_SRT, &err), 0);
    check_op(s, 0, 30, 0, "x");
    check_op(s, 1, 60, 0, NULL);
    sw_subs_free(&s);
}

/* Timed lines fire at their frame after the cut, go subs on GO in file order among go cues, staged lines at the
 * next tick. */
static void test_switcher(void)
{
    const char *text = "0 cut wide\n2 sub \"a\"\n2 cut close\ngo sub.ko \"b\"\ngo cut wide\n4 sub-clear\n9 end\n";
    SwCueError err;
    SwCueList *l = parse(text, &err);
    UT_CHECKF(l != NULL, "rejected: %s", err.message);
    SwSwitcher *sw = sw_switcher_alloc(l, 2, 0);
    UT_CHECK(sw != NULL);
    SwDecision d;
    int nsub = 0;
    for (int64_t t = 0; t < 9; t++) {
        if (t == 3) {
            UT_EQ_INT(sw_switcher_go(sw), 0); /* the go sub */
            UT_EQ_INT(sw_switcher_go(sw), 0); /* the go cut */
        }
        if (t == 5)
            UT_EQ_INT(sw_switcher_sub(sw, 1, "staged"), 0);
        UT_EQ_INT(sw_switcher_tick(sw, t, &d), 0);
        for (int k = 0; k < d.nevents; k++) {
            const SwEvent *e = &d.events[k];
            if (e->type != SW_EVENT_SUB)
                continue;
            nsub++;
            if (t == 2) {
                UT_CHECK(k == 1 && e->lang == 0 && !strcmp(e->text, "a") && e->origin == SW_ORIGIN_CUE &&
                         e->cue_index == 1 && e->cam == 1);
                UT_CHECK(d.cut && !d.end);
            } else if (t == 3) {
                UT_CHECK(k == 0 && e->lang == 1 && !strcmp(e->text, "b") && e->origin == SW_ORIGIN_GO &&
                         e->cue_index == 3);
            } else if (t == 4) {
                UT_CHECK(e->lang == 0 && e->text == NULL && !d.cut);
            } else if (t == 5) {
                UT_CHECK(e->lang == 1 && !strcmp(e->text, "staged") && e->origin == SW_ORIGIN_MANUAL);
            } else {
                UT_CHECKF(0, "sub event at tick %lld", (long long)t);
            }
        }
        if (t == 3)
            UT_CHECK(d.cut && d.cam == 0);
        /* what the multiview shows: each language's line now and the next to come */
        SwState st;
        sw_switcher_get_state(sw, &st);
        UT_EQ_INT(st.sub_langs, 2);
        if (t == 1)
            UT_CHECK(!st.sub_now[0] && !strcmp(st.sub_next[0], "a") && !strcmp(st.sub_next[1], "b"));
        if (t == 2)
            UT_CHECK(!strcmp(st.sub_now[0], "a") && !st.sub_next[0] && !st.sub_now[1] &&
                     !strcmp(st.sub_next[1], "b"));
        if (t == 3)
            UT_CHECK(!strcmp(st.sub_now[1], "b") && !st.sub_next[1]);
        if (t == 4)
            UT_CHECK(!st.sub_now[0] && !strcmp(st.sub_now[1], "b"));
        if (t == 5)
            UT_CHECK(!strcmp(st.sub_now[1], "staged"));
    }
    UT_EQ_INT(nsub, 4);
    UT_EQ_INT(sw_switcher_sub(sw, 2, "x"), -EINVAL);
    SwState st;
    sw_switcher_get_state(sw, &st);
    UT_EQ_INT(st.next_cue, 6); /* every sub cue counts as fired */
    sw_switcher_free(&sw);

    /* an external schedule (lyrics) replaces the switcher's own */
    SwSubs *subs = sw_subs_alloc(l, R25);
    const char *srt = "1\n00:00:00,040 --> 00:00:00,120\nly\n";
    UT_EQ_INT(sw_subs_parse_lyrics(subs, "en", srt, strlen(srt), SW_LYRICS_SRT, &err), 0);
    sw = sw_switcher_alloc(l, 2, 0);
    sw_switcher_set_subs(sw, subs);
    int64_t at[8];
    int n = 0;
    for (int64_t t = 0; t < 6; t++) {
        UT_EQ_INT(sw_switcher_tick(sw, t, &d), 0);
        for (int k = 0; k < d.nevents; k++)
            if (d.events[k].type == SW_EVENT_SUB && n < 8)
                at[n++] = t * 10 + d.events[k].lang;
    }
    UT_EQ_INT(n, 4);
    UT_EQ_INT(at[0], 12); /* en "ly" at 1 */
    UT_EQ_INT(at[1], 20); /* und "a" at 2 */
    UT_EQ_INT(at[2], 32); /* en clear at 3 */
    UT_EQ_INT(at[3], 40); /* und clear at 4 */
    sw_switcher_free(&sw);
    sw_subs_free(&subs);
    sw_cues_free(&l);
}

int main(void)
{
    test_grammar();
    test_errors();
    test_lyrics();
    test_switcher();
    return ut_finish("test_subs");
}
