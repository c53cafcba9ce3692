/* Unit test: the cue list and action script parsers (good files, and bad files with their exact error code,
 * line and column), cue lookup, and error formatting. Usage: test_cues DIR  (DIR holds the .cues files of
 * tests/unit/cues) */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sw_cues.h"
#include "ut.h"

static const char *const CAMS[] = {"wide", "close", "crane", "drone"};
#define NCAMS 4
static const SwRate R30 = {30, 1}, R25 = {25, 1}, R2997 = {30000, 1001};

static const char *dir = ".";

static SwCueList *parse(const char *text, SwRate rate, int with_cams, SwCueError *err)
{
    return sw_cues_parse(text, strlen(text), rate, with_cams ? CAMS : NULL, with_cams ? NCAMS : 0, err);
}

static void check_cue(const SwCueList *l, int i, int64_t frame, SwCueAction action, int cam,
                      const char *camera, const char *label, int line)
{
    const SwCue *c = sw_cues_get(l, i);
    UT_CHECKF(c != NULL, "cue %d missing", i);
    if (!c)
        return;
    UT_CHECKF(c->frame == frame, "cue %d frame %lld, expected %lld", i, (long long)c->frame,
              (long long)frame);
    UT_CHECKF(c->action == action, "cue %d action %d, expected %d", i, c->action, action);
    UT_CHECKF(c->cam == cam, "cue %d cam %d, expected %d", i, c->cam, cam);
    UT_CHECKF((camera == NULL && c->camera == NULL) || (camera && c->camera && !strcmp(camera, c->camera)),
              "cue %d camera %s, expected %s", i, c->camera ? c->camera : "(null)",
              camera ? camera : "(null)");
    UT_CHECKF((label == NULL && c->label == NULL) || (label && c->label && !strcmp(label, c->label)),
              "cue %d label [%s], expected [%s]", i, c->label ? c->label : "(null)",
              label ? label : "(null)");
    UT_CHECKF(c->line == line, "cue %d line %d, expected %d", i, c->line, line);
}

/* ---- the plan ---- */

/* A timed cut to the camera already on program does not end its shot; an end cue does. */
static void test_plan_same_camera(void)
{
    const char *text = "0 cut wide\n60 cut close\n90 cut close\n120 cut wide\n150 cut wide\n200 end\n";
    SwCueError err;
    SwCueList *l = sw_cues_parse(text, strlen(text), R30, CAMS, NCAMS, &err);
    UT_CHECKF(l != NULL, "plan cues rejected: %s", err.message);
    if (!l)
        return;
    int64_t in = -2, out = -2;
    UT_EQ_INT(sw_cues_shot_end(l, 1, 60), 120);
    UT_EQ_INT(sw_cues_shot_end(l, 0, 120), 200);
    UT_EQ_INT(sw_cues_next_shot(l, 0, 0, &in, &out), 0);
    UT_EQ_INT(in, 120);
    UT_EQ_INT(out, 200);
    UT_EQ_INT(sw_cues_next_shot(l, 1, 0, &in, &out), 0);
    UT_EQ_INT(in, 60);
    UT_EQ_INT(out, 120);
    UT_EQ_INT(sw_cues_next_shot(l, 2, 0, &in, &out), -ENOENT);
    sw_cues_free(&l);
}

/* ---- good files ---- */

static void test_contract_file(void)
{
    char path[1024];
    SwCueError err;
    snprintf(path, sizeof(path), "%s/contract.cues", dir);
    SwCueList *l = sw_cues_load(path, R30, CAMS, NCAMS, &err);
    UT_CHECKF(l != NULL, "contract example rejected: %s", err.message);
    if (!l)
        return;
    UT_EQ_INT(err.code, SW_CUE_OK);
    UT_EQ_INT(sw_cues_count(l), 5);
    check_cue(l, 0, 0, SW_CUE_CUT, 0, "wide", "Opening", 2);
    check_cue(l, 1, 135, SW_CUE_CUT, 1, "close", NULL, 3);
    check_cue(l, 2, 150, SW_CUE_CUT, 2, "crane", "Chorus", 4);
    check_cue(l, 3, -1, SW_CUE_CUT, 3, "drone", "Skydivers land", 5);
    check_cue(l, 4, 600, SW_CUE_END, -1, NULL, NULL, 6);
    UT_CHECK(!strcmp(sw_cues_get(l, 1)->time_text, "00:00:04:15"));
    UT_CHECK(!strcmp(sw_cues_get(l, 2)->time_text, "150"));
    UT_CHECK(!strcmp(sw_cues_get(l, 3)->time_text, "go"));
    UT_CHECK(sw_cues_get(l, -1) == NULL);
    UT_CHECK(sw_cues_get(l, 5) == NULL);
    UT_EQ_INT(sw_cues_rate(l).num, 30);
    UT_EQ_INT(sw_cues_end_frame(l), 600);

    /* lookup: timed cues are list indices 0 (frame 0), 1 (135), 2 (150), 4 (600); 3 is the go cue */
    UT_EQ_INT(sw_cues_find_timed(l, -10), 0);
    UT_EQ_INT(sw_cues_find_timed(l, 0), 0);
    UT_EQ_INT(sw_cues_find_timed(l, 1), 1);
    UT_EQ_INT(sw_cues_find_timed(l, 134), 1);
    UT_EQ_INT(sw_cues_find_timed(l, 135), 1);
    UT_EQ_INT(sw_cues_find_timed(l, 136), 2);
    UT_EQ_INT(sw_cues_find_timed(l, 150), 2);
    UT_EQ_INT(sw_cues_find_timed(l, 151), 4);
    UT_EQ_INT(sw_cues_find_timed(l, 600), 4);
    UT_EQ_INT(sw_cues_find_timed(l, 601), 5);
    UT_EQ_INT(sw_cues_find_timed(l, 1000000), 5);

    /* the plan: wide 0-135, close 135-150, crane 150-600 (the go cue to drone is not timed: not planned) */
    int64_t in = -2, out = -2;
    UT_EQ_INT(sw_cues_shot_end(l, 0, 0), 135);
    UT_EQ_INT(sw_cues_shot_end(l, 1, 135), 150);
    UT_EQ_INT(sw_cues_shot_end(l, 1, 140), 150);
    UT_EQ_INT(sw_cues_shot_end(l, 2, 150), 600);
    UT_EQ_INT(sw_cues_shot_end(l, 2, 600), -1);
    UT_EQ_INT(sw_cues_shot_end(l, 3, 10), 135); /* a go cut to drone: the next timed cut elsewhere ends it */
    UT_EQ_INT(sw_cues_next_shot(l, 1, 0, &in, &out), 0);
    UT_EQ_INT(in, 135);
    UT_EQ_INT(out, 150);
    UT_EQ_INT(sw_cues_next_shot(l, 2, 135, &in, &out), 0);
    UT_EQ_INT(in, 150);
    UT_EQ_INT(out, 600);
    UT_EQ_INT(sw_cues_next_shot(l, 1, 135, &in, &out), -ENOENT); /* after its shot started */
    UT_EQ_INT(sw_cues_next_shot(l, 3, 0, &in, &out), -ENOENT);   /* go cues are not planned */
    UT_EQ_INT(sw_cues_next_shot(NULL, 0, 0, &in, &out), -ENOENT);
    UT_EQ_INT(sw_cues_shot_end(NULL, 0, 0), -1);
    sw_cues_free(&l);
    UT_CHECK(l == NULL);
    sw_cues_free(&l); /* freeing NULL is fine */
}

static void test_good_texts(void)
{
    SwCueError err;
    SwCueList *l;

    /* comments everywhere, '#' inside a label, tabs, blank lines, no final newline */
    l = parse("# header\n\n   \t\n0\tcut\twide   # first\n10 cut close \"a # b\"# glued comment\n"
              "20 cut crane#comment right after the camera\n  # indented comment\n30 end \"bye\" # done",
              R30, 1, &err);
    UT_CHECKF(l != NULL, "comments: %s", err.message);
    if (l) {
        UT_EQ_INT(sw_cues_count(l), 4);
        check_cue(l, 0, 0, SW_CUE_CUT, 0, "wide", NULL, 4);
        check_cue(l, 1, 10, SW_CUE_CUT, 1, "close", "a # b", 5);
        check_cue(l, 2, 20, SW_CUE_CUT, 2, "crane", NULL, 6);
        check_cue(l, 3, 30, SW_CUE_END, -1, NULL, "bye", 8);
        sw_cues_free(&l);
    }

    /* BOM + CRLF */
    l = parse("\xEF\xBB\xBF# made on Windows\r\n00:00:00:00 cut wide\r\n\r\n00:00:01:00 cut close \"x\"\r\n",
              R30, 1, &err);
    UT_CHECKF(l != NULL, "BOM/CRLF: %s", err.message);
    if (l) {
        UT_EQ_INT(sw_cues_count(l), 2);
        check_cue(l, 0, 0, SW_CUE_CUT, 0, "wide", NULL, 2);
        check_cue(l, 1, 30, SW_CUE_CUT, 1, "close", "x", 4);
        sw_cues_free(&l);
    }

    /* escapes, UTF-8 labels, empty label */
    l = parse("0 cut wide \"say \\\"hi\\\" \\\\ back\"\n1 cut close \"Überblick — 日本\"\n2 cut crane \"\"\n",
              R30, 1, &err);
    UT_CHECKF(l != NULL, "labels: %s", err.message);
    if (l) {
        check_cue(l, 0, 0, SW_CUE_CUT, 0, "wide", "say \"hi\" \\ back", 1);
        check_cue(l, 1, 1, SW_CUE_CUT, 1, "close", "Überblick — 日本", 2);
        check_cue(l, 2, 2, SW_CUE_CUT, 2, "crane", "", 3);
        sw_cues_free(&l);
    }

    /* go cues between timed cues, go end, frame numbers with leading zeros */
    l = parse("go cut close\n0005 cut crane\ngo cut wide \"two\"\n10 cut drone\ngo end \"That's all\"\n20 "
              "cut wide\n",
              R30, 1, &err);
    UT_CHECKF(l != NULL, "go: %s", err.message);
    if (l) {
        UT_EQ_INT(sw_cues_count(l), 6);
        check_cue(l, 0, -1, SW_CUE_CUT, 1, "close", NULL, 1);
        check_cue(l, 1, 5, SW_CUE_CUT, 2, "crane", NULL, 2);
        check_cue(l, 2, -1, SW_CUE_CUT, 0, "wide", "two", 3);
        check_cue(l, 4, -1, SW_CUE_END, -1, NULL, "That's all", 5);
        check_cue(l, 5, 20, SW_CUE_CUT, 0, "wide", NULL, 6);
        UT_EQ_INT(sw_cues_end_frame(l), -1); /* a go end is not a timed end */
        UT_EQ_INT(sw_cues_find_timed(l, 0), 1);
        UT_EQ_INT(sw_cues_find_timed(l, 6), 3);
        UT_EQ_INT(sw_cues_find_timed(l, 11), 5);
        UT_EQ_INT(sw_cues_find_timed(l, 21), 6);
        sw_cues_free(&l);
    }

    /* no camera list: indices in order of first appearance */
    l = parse("0 cut b\n5 cut a-1\n9 cut b\n12 cut C_2\n", R30, 0, &err);
    UT_CHECKF(l != NULL, "auto cams: %s", err.message);
    if (l) {
        check_cue(l, 0, 0, SW_CUE_CUT, 0, "b", NULL, 1);
        check_cue(l, 1, 5, SW_CUE_CUT, 1, "a-1", NULL, 2);
        check_cue(l, 2, 9, SW_CUE_CUT, 0, "b", NULL, 3);
        check_cue(l, 3, 12, SW_CUE_CUT, 2, "C_2", NULL, 4);
        sw_cues_free(&l);
    }

    /* drop-frame at 29.97, non-drop at 29.97, 25 fps, three-digit frames at 120 fps */
    l = parse("00:00:59;29 cut wide\n00:01:00;02 cut close\n00:10:00;00 cut crane\n00:10:00:01 cut wide\n",
              R2997, 1, &err);
    UT_CHECKF(l != NULL, "DF: %s", err.message);
    if (l) {
        UT_EQ_INT(sw_cues_get(l, 0)->frame, 1799);
        UT_EQ_INT(sw_cues_get(l, 1)->frame, 1800);
        UT_EQ_INT(sw_cues_get(l, 2)->frame, 17982);
        UT_EQ_INT(sw_cues_get(l, 3)->frame, 18001);
        sw_cues_free(&l);
    }
    l = parse("00:00:01:24 cut wide\n", R25, 1, &err);
    UT_CHECKF(l && sw_cues_get(l, 0)->frame == 49, "25 fps: %s", err.message);
    sw_cues_free(&l);
    l = parse("00:00:01:119 cut wide\n", (SwRate){120, 1}, 1, &err);
    UT_CHECKF(l && sw_cues_get(l, 0)->frame == 239, "120 fps: %s", err.message);
    sw_cues_free(&l);

    /* empty text and comment-only text */
    l = sw_cues_parse("", 0, R30, CAMS, NCAMS, &err);
    UT_CHECK(l && sw_cues_count(l) == 0 && sw_cues_end_frame(l) == -1 && sw_cues_find_timed(l, 0) == 0);
    sw_cues_free(&l);
    l = sw_cues_parse(NULL, 0, R30, CAMS, NCAMS, &err);
    UT_CHECK(l && sw_cues_count(l) == 0);
    sw_cues_free(&l);
    l = parse("\xEF\xBB\xBF# nothing\n\n", R30, 1, &err);
    UT_CHECK(l && sw_cues_count(l) == 0);
    sw_cues_free(&l);

    /* the text need not be NUL-terminated: parse a prefix */
    const char *t = "0 cut wide\n10 cut bogus\n";
    l = sw_cues_parse(t, 11, R30, CAMS, NCAMS, &err);
    UT_CHECK(l && sw_cues_count(l) == 1);
    sw_cues_free(&l);

    /* a timed end at the very start is legal (an empty take) */
    l = parse("0 end\n", R30, 1, &err);
    UT_CHECK(l && sw_cues_end_frame(l) == 0);
    sw_cues_free(&l);
}

/* ---- bad files ---- */

typedef struct BadCase {
    const char *text;
    size_t len;  /* 0: strlen(text) */
    SwRate rate; /* {0,0}: 30/1 */
    int no_cams; /* parse with cams == NULL */
    SwCueErrorCode code;
    int line, col;
    const char *msg; /* a substring the message must hold, or NULL */
} BadCase;

static const BadCase BAD[] = {
    /* unknown camera, with the accepted names */
    {"0 cut crane2\n",
     0,
     {0, 0},
     0,
     SW_CUE_ERR_UNKNOWN_CAMERA,
     1,
     7,
     "unknown camera \"crane2\": the take's cameras are wide, close, crane, drone"},
    {"0 cut wide\r\n5 cut bogus\r\n", 0, {0, 0}, 0, SW_CUE_ERR_UNKNOWN_CAMERA, 2, 7, "\"bogus\""},
    {"\xEF\xBB\xBF"
     "0 cut crane2",
     0,
     {0, 0},
     0,
     SW_CUE_ERR_UNKNOWN_CAMERA,
     1,
     7,
     NULL},                                                              /* BOM not counted */
    {"0 cut Wide", 0, {0, 0}, 0, SW_CUE_ERR_UNKNOWN_CAMERA, 1, 7, NULL}, /* names are exact */
    /* transitions */
    {"0 cut wide\n30 mix close 0\n", 0, {0, 0}, 0, SW_CUE_ERR_LENGTH, 2, 14, "at least 1 frame"},
    {"0 cut wide\n30 mix close -5\n", 0, {0, 0}, 0, SW_CUE_ERR_LENGTH, 2, 14, "at least 1 frame"},
    {"0 cut wide\n30 mix close\n", 0, {0, 0}, 0, SW_CUE_ERR_LENGTH, 2, 13, "needs its length"},
    {"0 cut wide\n30 mix close ten\n", 0, {0, 0}, 0, SW_CUE_ERR_LENGTH, 2, 14, "\"ten\""},
    {"0 cut wide\n30 mix close 30\n50 cut crane\n", 0, {0, 0}, 0, SW_CUE_ERR_OVERLAP, 2, 14,
     "runs to frame 60, past the next cue at line 3 (frame 50)"},
    {"0 cut wide\n30 wipe close 30 left\n40 end\n", 0, {0, 0}, 0, SW_CUE_ERR_PAST_END, 2, 15,
     "past the end at line 3"},
    {"0 cut wide\n30 wipe close 10 diagonal\n", 0, {0, 0}, 0, SW_CUE_ERR_PATTERN, 2, 18, "\"diagonal\""},
    {"0 cut wide\n30 wipe close 10\n", 0, {0, 0}, 0, SW_CUE_ERR_PATTERN, 2, 17, "needs a pattern"},
    {"0 cut wide\n30 wipe close 10 box soft\n", 0, {0, 0}, 0, SW_CUE_ERR_PATTERN, 2, 26, "soft needs"},
    {"0 cut wide\n30 dip close 10 red\n", 0, {0, 0}, 0, SW_CUE_ERR_COLOUR, 2, 17, "\"red\""},
    {"0 cut wide\n30 dip close 10 #12345G\n", 0, {0, 0}, 0, SW_CUE_ERR_COLOUR, 2, 17, NULL},
    {"0 cut wide\n30 mix cam9 10\n", 0, {0, 0}, 0, SW_CUE_ERR_UNKNOWN_CAMERA, 2, 8, "\"cam9\""},
    /* order */
    {"0 cut wide\n100 cut close\n50 cut crane\n", 0, {0, 0}, 0, SW_CUE_ERR_ORDER, 3, 1, "line 2"},
    {"0 cut wide\n00:00:01:00 cut close\n30 cut crane\n",
     0,
     {0, 0},
     0,
     SW_CUE_ERR_ORDER,
     3,
     1,
     "the same frame as the cue at line 2 at 00:00:01:00 (frame 30)"},
    {"10 cut wide\ngo cut close\n  10 cut crane\n", 0, {0, 0}, 0, SW_CUE_ERR_ORDER, 3, 3, "line 1"},
    /* TIME */
    {"00:00:01:30 cut wide",
     0,
     {0, 0},
     0,
     SW_CUE_ERR_TIMECODE_RANGE,
     1,
     1,
     "frame 30 is out of range at 30/1 fps: FF must be 00-29"},
    {"00:00:01:25 cut wide", 0, {25, 1}, 0, SW_CUE_ERR_TIMECODE_RANGE, 1, 1, "FF must be 00-24"},
    {"0 cut wide\n00:61:00:00 cut wide", 0, {0, 0}, 0, SW_CUE_ERR_TIMECODE_RANGE, 2, 1, "MM must be 00-59"},
    {"00:00:60:00 cut wide", 0, {0, 0}, 0, SW_CUE_ERR_TIMECODE_RANGE, 1, 1, "SS must be 00-59"},
    {"24:00:00:00 cut wide", 0, {0, 0}, 0, SW_CUE_ERR_TIMECODE_RANGE, 1, 1, "HH must be 00-23"},
    {"1:2:3 cut wide", 0, {0, 0}, 0, SW_CUE_ERR_TIME, 1, 1, "expected HH:MM:SS:FF"},
    {"   00:00:00:00x cut wide", 0, {0, 0}, 0, SW_CUE_ERR_TIME, 1, 4, NULL},
    {"00:00:00 cut wide", 0, {0, 0}, 0, SW_CUE_ERR_TIME, 1, 1, NULL},
    {"00:00:01:029 cut wide", 0, {0, 0}, 0, SW_CUE_ERR_TIME, 1, 1, NULL}, /* three FF digits below 100 fps */
    {"0:00:00:00 cut wide", 0, {0, 0}, 0, SW_CUE_ERR_TIME, 1, 1, NULL},
    {"00;00;01;00 cut wide", 0, {0, 0}, 0, SW_CUE_ERR_TIME, 1, 1, NULL},
    {"-5 cut wide", 0, {0, 0}, 0, SW_CUE_ERR_TIME, 1, 1, NULL},
    {"\"0\" cut wide", 0, {0, 0}, 0, SW_CUE_ERR_TIME, 1, 1, NULL},
    {"GO cut wide", 0, {0, 0}, 0, SW_CUE_ERR_TIME, 1, 1, "or go"},
    {"1234567890 cut wide", 0, {0, 0}, 0, SW_CUE_ERR_TOO_BIG, 1, 1, "999999999"},
    /* drop-frame */
    {"00:00:01;00 cut wide", 0, {0, 0}, 0, SW_CUE_ERR_DROP_FRAME_RATE, 1, 1, "write 00:00:01:00"},
    {"00:00:01;00 cut wide", 0, {25, 1}, 0, SW_CUE_ERR_DROP_FRAME_RATE, 1, 1, "30000/1001"},
    {"0 cut wide\n00:01:00;00 cut close",
     0,
     {30000, 1001},
     0,
     SW_CUE_ERR_DROPPED_LABEL,
     2,
     1,
     "the next label is 00:01:00;02"},
    {"00:03:00;01 cut close", 0, {30000, 1001}, 0, SW_CUE_ERR_DROPPED_LABEL, 1, 1, NULL},
    {"00:01:00;03 cut close", 0, {60000, 1001}, 0, SW_CUE_ERR_DROPPED_LABEL, 1, 1, "00:01:00;04"},
    /* action */
    {"0 cat wide",
     0,
     {0, 0},
     0,
     SW_CUE_ERR_ACTION,
     1,
     3,
     "unknown action \"cat\": expected cut CAMERA or end"},
    {"0 Cut wide", 0, {0, 0}, 0, SW_CUE_ERR_ACTION, 1, 3, NULL},
    {"10", 0, {0, 0}, 0, SW_CUE_ERR_ACTION, 1, 3, "missing action after 10"},
    {"10   # a comment", 0, {0, 0}, 0, SW_CUE_ERR_ACTION, 1, 3, NULL},
    {"0 \"label\"", 0, {0, 0}, 0, SW_CUE_ERR_ACTION, 1, 3, NULL},
    /* camera */
    {"0 cut", 0, {0, 0}, 0, SW_CUE_ERR_MISSING_CAMERA, 1, 6, "one of wide, close, crane, drone"},
    {"0 cut   # wide", 0, {0, 0}, 0, SW_CUE_ERR_MISSING_CAMERA, 1, 6, NULL},
    {"0 cut \"Opening\"", 0, {0, 0}, 0, SW_CUE_ERR_MISSING_CAMERA, 1, 7, NULL},
    {"0 cut \"Opening\"", 0, {0, 0}, 1, SW_CUE_ERR_MISSING_CAMERA, 1, 7, NULL},
    {"0 cut cr@ne", 0, {0, 0}, 0, SW_CUE_ERR_CAMERA_NAME, 1, 7, "letters, digits, '_' and '-'"},
    {"0 cut cr@ne", 0, {0, 0}, 1, SW_CUE_ERR_CAMERA_NAME, 1, 7, NULL},
    {"0 cut wide\"x\"", 0, {0, 0}, 0, SW_CUE_ERR_CAMERA_NAME, 1, 7, NULL},
    {"0 cut wïde", 0, {0, 0}, 0, SW_CUE_ERR_CAMERA_NAME, 1, 7, NULL},
    /* a lone CR is no line break */
    {"0 cut wide\r5 cut close", 0, {0, 0}, 0, SW_CUE_ERR_CAMERA_NAME, 1, 7, NULL},
    /* label */
    {"0 cut wide \"Opening", 0, {0, 0}, 0, SW_CUE_ERR_LABEL, 1, 12, "unterminated label"},
    {"0 cut wide \"Open\\\"", 0, {0, 0}, 0, SW_CUE_ERR_LABEL, 1, 12, "unterminated label"},
    {"0 cut wide \"Open\\", 0, {0, 0}, 0, SW_CUE_ERR_LABEL, 1, 12, "unterminated label"},
    {"0 cut wide \"a\\nb\"", 0, {0, 0}, 0, SW_CUE_ERR_LABEL, 1, 12, "unknown escape \"\\n\""},
    {"0 cut wide \"a\"b", 0, {0, 0}, 0, SW_CUE_ERR_LABEL, 1, 15, NULL},
    {"0 end \"Bye", 0, {0, 0}, 0, SW_CUE_ERR_LABEL, 1, 7, NULL},
    /* extra text */
    {"0 cut wide Opening shot", 0, {0, 0}, 0, SW_CUE_ERR_EXTRA, 1, 12, "double quotes"},
    {"0 end wide", 0, {0, 0}, 0, SW_CUE_ERR_EXTRA, 1, 7, "end takes no camera"},
    {"0 cut wide \"a\" \"b\"", 0, {0, 0}, 0, SW_CUE_ERR_EXTRA, 1, 16, NULL},
    {"0 cut wide \"a\"  b", 0, {0, 0}, 0, SW_CUE_ERR_EXTRA, 1, 17, NULL},
    {"0 cut wide \"日本\" extra", 0, {0, 0}, 0, SW_CUE_ERR_EXTRA, 1, 17, NULL}, /* columns count characters */
    /* after end */
    {"0 cut wide\n10 end\n20 cut close", 0, {0, 0}, 0, SW_CUE_ERR_AFTER_END, 3, 1, "line 2"},
    {"0 cut wide\n10 end\n\n# still nothing\ngo cut close", 0, {0, 0}, 0, SW_CUE_ERR_AFTER_END, 5, 1, NULL},
    {"10 end\n5 cut wide", 0, {0, 0}, 0, SW_CUE_ERR_AFTER_END, 2, 1, NULL},
    {"10 end\n10 end", 0, {0, 0}, 0, SW_CUE_ERR_AFTER_END, 2, 1, NULL},
    /* encoding */
    {"0 cut wide \"ab\xff\"", 0, {0, 0}, 0, SW_CUE_ERR_ENCODING, 1, 15, "UTF-8"},
    {"0 cut wide \"é\xff\"", 0, {0, 0}, 0, SW_CUE_ERR_ENCODING, 1, 14, NULL},
    {"# fine\n\xc0\x80 cut wide", 0, {0, 0}, 0, SW_CUE_ERR_ENCODING, 2, 1, NULL},        /* overlong */
    {"0 cut wide \"\xed\xa0\x80\"", 0, {0, 0}, 0, SW_CUE_ERR_ENCODING, 1, 13, NULL},     /* surrogate */
    {"0 cut wide \"\xf4\x90\x80\x80\"", 0, {0, 0}, 0, SW_CUE_ERR_ENCODING, 1, 13, NULL}, /* > U+10FFFF */
    {"0 cut wide \"\xe2\x82\"", 0, {0, 0}, 0, SW_CUE_ERR_ENCODING, 1, 13, NULL},         /* truncated */
    {"0 cut wide\n\xe2\x82", 0, {0, 0}, 0, SW_CUE_ERR_ENCODING, 2, 1, NULL},             /* at the end */
    {"# Latin-1: caf\xe9\n", 0, {0, 0}, 0, SW_CUE_ERR_ENCODING, 1, 15, NULL},            /* in a comment */
    {"0 cut wide\n5 cut\0close", 22, {0, 0}, 0, SW_CUE_ERR_ENCODING, 2, 6, "NUL"},
    {"0 cut wide\n\xEF\xBB\xBF"
     "5 cut close",
     0,
     {0, 0},
     0,
     SW_CUE_ERR_TIME,
     2,
     1,
     NULL}, /* BOM mid-file */
};

static void test_bad_texts(void)
{
    for (size_t i = 0; i < sizeof(BAD) / sizeof(BAD[0]); i++) {
        const BadCase *b = &BAD[i];
        SwRate rate = b->rate.num ? b->rate : R30;
        SwCueError err;
        memset(&err, 0x55, sizeof(err));
        size_t len = b->len ? b->len : strlen(b->text);
        SwCueList *l =
            sw_cues_parse(b->text, len, rate, b->no_cams ? NULL : CAMS, b->no_cams ? 0 : NCAMS, &err);
        UT_CHECKF(l == NULL, "case %zu was accepted: %s", i, b->text);
        sw_cues_free(&l);
        UT_CHECKF(err.code == b->code && err.line == b->line && err.column == b->col,
                  "case %zu: got %s at %d:%d (%s), expected %s at %d:%d", i, sw_cue_error_name(err.code),
                  err.line, err.column, err.message, sw_cue_error_name(b->code), b->line, b->col);
        UT_CHECKF(strlen(err.message) > 20 && strchr(err.message, ':'), "case %zu: message too thin: %s", i,
                  err.message);
        if (b->msg)
            UT_CHECKF(strstr(err.message, b->msg) != NULL, "case %zu: message \"%s\" lacks \"%s\"", i,
                      err.message, b->msg);
        if (getenv("UT_VERBOSE")) {
            char buf[1024];
            printf("%s\n", sw_cue_error_format(&err, "show.cues", buf, sizeof(buf)));
        }
    }
}

static void test_files_and_format(void)
{
    char path[1024], buf[4096], want[4096];
    SwCueError err;
    static const char *const three[] = {"wide", "close", "crane"};

    snprintf(path, sizeof(path), "%s/unknown_camera.cues", dir);
    SwCueList *l = sw_cues_load(path, R30, three, 3, &err);
    UT_CHECK(l == NULL);
    UT_EQ_INT(err.code, SW_CUE_ERR_UNKNOWN_CAMERA);
    UT_EQ_INT(err.line, 3);
    UT_EQ_INT(err.column, 19);
    sw_cue_error_format(&err, path, buf, sizeof(buf));
    snprintf(want, sizeof(want),
             "%s:3:19: error: unknown camera \"crane2\": the take's cameras are wide, close, crane", path);
    UT_CHECKF(!strcmp(buf, want), "formatted as\n  %s\nexpected\n  %s", buf, want);

    /* unreadable: missing file, a directory */
    l = sw_cues_load("/nonexistent/onetake/show.cues", R30, CAMS, NCAMS, &err);
    UT_CHECK(l == NULL);
    UT_EQ_INT(err.code, SW_CUE_ERR_IO);
    UT_EQ_INT(err.line, 0);
    UT_EQ_INT(err.column, 0);
    UT_CHECKF(strstr(err.message, "/nonexistent/onetake/show.cues") != NULL, "%s", err.message);
    sw_cue_error_format(&err, "/nonexistent/onetake/show.cues", buf, sizeof(buf));
    UT_CHECKF(!strncmp(buf, "/nonexistent/onetake/show.cues: error: cannot read", 50), "%s", buf);
    l = sw_cues_load(dir, R30, CAMS, NCAMS, &err);
    UT_CHECK(l == NULL);
    UT_EQ_INT(err.code, SW_CUE_ERR_IO);
    SwActionList *a = sw_actions_load("/nonexistent/onetake/a.txt", R30, CAMS, NCAMS, &err);
    UT_CHECK(a == NULL);
    UT_EQ_INT(err.code, SW_CUE_ERR_IO);

    /* err may be NULL */
    l = sw_cues_parse("0 cut nope", 10, R30, CAMS, NCAMS, NULL);
    UT_CHECK(l == NULL);

    /* every code has a name */
    for (int c = SW_CUE_OK; c <= SW_CUE_ERR_TOO_BIG; c++)
        UT_CHECKF(strcmp(sw_cue_error_name((SwCueErrorCode)c), "unknown") != 0, "code %d has no name", c);
}

/* ---- action scripts ---- */

static void check_action(const SwActionList *l, int i, int64_t frame, SwActionType type, int cam, int line)
{
    const SwAction *a = sw_actions_get(l, i);
    UT_CHECKF(a != NULL, "action %d missing", i);
    if (!a)
        return;
    UT_CHECKF(a->frame == frame && a->type == type && a->cam == cam && a->line == line,
              "action %d: frame %lld type %d cam %d line %d, expected %lld %d %d %d", i, (long long)a->frame,
              a->type, a->cam, a->line, (long long)frame, type, cam, line);
}

static void test_actions(void)
{
    SwCueError err;
    const char *good = "\xEF\xBB\xBF# rehearsal\r\n0 preview close\r\n10 cut close   # key 2\r\n10 go\r\n"
                       "00:00:01:00 preview crane\r\n00:00:01:00 cut crane\r\n45 end\r\n";
    SwActionList *l = sw_actions_parse(good, strlen(good), R30, CAMS, NCAMS, &err);
    UT_CHECKF(l != NULL, "actions: %s", err.message);
    if (l) {
        UT_EQ_INT(sw_actions_count(l), 6);
        check_action(l, 0, 0, SW_ACTION_PREVIEW, 1, 2);
        check_action(l, 1, 10, SW_ACTION_CUT, 1, 3);
        check_action(l, 2, 10, SW_ACTION_GO, -1, 4);
        check_action(l, 3, 30, SW_ACTION_PREVIEW, 2, 5);
        check_action(l, 4, 30, SW_ACTION_CUT, 2, 6);
        check_action(l, 5, 45, SW_ACTION_END, -1, 7);
        UT_CHECK(sw_actions_get(l, 6) == NULL && sw_actions_get(l, -1) == NULL);
        sw_actions_free(&l);
        UT_CHECK(l == NULL);
    }
    const char *autos = "3 cut x\n4 cut y\n5 preview x\n";
    l = sw_actions_parse(autos, strlen(autos), R30, NULL, 0, &err);
    UT_CHECKF(l != NULL, "auto cams: %s", err.message);
    if (l) {
        check_action(l, 0, 3, SW_ACTION_CUT, 0, 1);
        check_action(l, 1, 4, SW_ACTION_CUT, 1, 2);
        check_action(l, 2, 5, SW_ACTION_PREVIEW, 0, 3);
        sw_actions_free(&l);
    }

    static const BadCase bad[] = {
        {"go cut wide", 0, {0, 0}, 0, SW_CUE_ERR_TIME, 1, 1, "not a time"},
        {"10 cut wide\n5 cut close", 0, {0, 0}, 0, SW_CUE_ERR_ORDER, 2, 1, "line 1"},
        {"10 jump", 0, {0, 0}, 0, SW_CUE_ERR_ACTION, 1, 4, "expected go, cut CAMERA, preview CAMERA or end"},
        {"10", 0, {0, 0}, 0, SW_CUE_ERR_ACTION, 1, 3, NULL},
        {"10 cut", 0, {0, 0}, 0, SW_CUE_ERR_MISSING_CAMERA, 1, 7, NULL},
        {"10 preview", 0, {0, 0}, 0, SW_CUE_ERR_MISSING_CAMERA, 1, 11, NULL},
        {"10 cut nope", 0, {0, 0}, 0, SW_CUE_ERR_UNKNOWN_CAMERA, 1, 8, "wide, close, crane, drone"},
        {"10 cut w!de", 0, {0, 0}, 0, SW_CUE_ERR_CAMERA_NAME, 1, 8, NULL},
        {"10 go now", 0, {0, 0}, 0, SW_CUE_ERR_EXTRA, 1, 7, NULL},
        {"10 cut wide \"label\"", 0, {0, 0}, 0, SW_CUE_ERR_EXTRA, 1, 13, NULL},
        {"10 end\n20 cut wide", 0, {0, 0}, 0, SW_CUE_ERR_AFTER_END, 2, 1, NULL},
        {"00:00:01:30 cut wide", 0, {0, 0}, 0, SW_CUE_ERR_TIMECODE_RANGE, 1, 1, NULL},
        {"00:00:01;00 cut wide", 0, {0, 0}, 0, SW_CUE_ERR_DROP_FRAME_RATE, 1, 1, NULL},
        {"10 cut wide \xff", 0, {0, 0}, 0, SW_CUE_ERR_ENCODING, 1, 13, NULL},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const BadCase *b = &bad[i];
        l = sw_actions_parse(b->text, strlen(b->text), R30, CAMS, NCAMS, &err);
        UT_CHECKF(l == NULL, "action case %zu was accepted", i);
        sw_actions_free(&l);
        UT_CHECKF(err.code == b->code && err.line == b->line && err.column == b->col,
                  "action case %zu: got %s at %d:%d (%s), expected %s at %d:%d", i,
                  sw_cue_error_name(err.code), err.line, err.column, err.message, sw_cue_error_name(b->code),
                  b->line, b->col);
        if (b->msg)
            UT_CHECKF(strstr(err.message, b->msg) != NULL, "action case %zu: \"%s\" lacks \"%s\"", i,
                      err.message, b->msg);
    }
}

/* ---- transitions ---- */

static void test_transitions(void)
{
    const char *text = "0 cut wide \"open\"\n"
                       "30 mix close 30 # a mix\n"
                       "60 dip crane 20\n"
                       "80 dip wide 10 white \"w\"\n"
                       "90 dip close 10 #FF8000 # orange\n"
                       "100 wipe drone 15 circle soft 8 \"c\"\n"
                       "go wipe wide 5 left\n"
                       "200 cut close #comment\n"
                       "300 end\n";
    SwCueError err;
    SwCueList *l = sw_cues_parse(text, strlen(text), R30, CAMS, NCAMS, &err);
    UT_CHECKF(l != NULL, "transitions rejected: %d:%d %s", err.line, err.column, err.message);
    if (!l)
        return;
    UT_EQ_INT(sw_cues_count(l), 9);
    UT_EQ_INT(sw_cues_has_transitions(l), 1);
    check_cue(l, 1, 30, SW_CUE_CUT, 1, "close", NULL, 2);
    UT_EQ_INT(sw_cues_get(l, 0)->trans.kind, SW_TRANS_CUT);
    UT_EQ_INT(sw_cues_get(l, 1)->trans.kind, SW_TRANS_MIX);
    UT_EQ_INT(sw_cues_get(l, 1)->trans.frames, 30);
    const SwCue *c = sw_cues_get(l, 2);
    UT_EQ_INT(c->trans.kind, SW_TRANS_DIP);
    UT_EQ_INT(c->trans.rgb[0] + c->trans.rgb[1] + c->trans.rgb[2], 0);
    c = sw_cues_get(l, 3);
    UT_EQ_INT(c->trans.rgb[0] & c->trans.rgb[1] & c->trans.rgb[2], 255);
    check_cue(l, 3, 80, SW_CUE_CUT, 0, "wide", "w", 4);
    c = sw_cues_get(l, 4);
    UT_CHECKF(c->trans.rgb[0] == 0xFF && c->trans.rgb[1] == 0x80 && c->trans.rgb[2] == 0, "orange %x%x%x",
              c->trans.rgb[0], c->trans.rgb[1], c->trans.rgb[2]);
    c = sw_cues_get(l, 5);
    UT_EQ_INT(c->trans.kind, SW_TRANS_WIPE);
    UT_EQ_INT(c->trans.pattern, SW_WIPE_CIRCLE);
    UT_EQ_INT(c->trans.soft, 8);
    check_cue(l, 5, 100, SW_CUE_CUT, 3, "drone", "c", 6);
    c = sw_cues_get(l, 6);
    UT_EQ_INT(c->frame, -1);
    UT_EQ_INT(c->trans.pattern, SW_WIPE_LEFT);
    UT_EQ_INT(c->trans.frames, 5);
    UT_EQ_INT(sw_cues_get(l, 7)->trans.kind, SW_TRANS_CUT);
    sw_cues_free(&l);

    /* a transition that ends exactly at the next cue or at the end is fine */
    const char *edge = "0 cut wide\n30 mix close 30\n60 wipe wide 40 up\n100 end\n";
    l = sw_cues_parse(edge, strlen(edge), R30, CAMS, NCAMS, &err);
    UT_CHECKF(l != NULL, "edge rejected: %s", err.message);
    sw_cues_free(&l);

    /* the weights and the --auto-transition text */
    UT_EQ_INT(sw_trans_mix_weight(0, 15), 16);
    UT_EQ_INT(sw_trans_mix_weight(14, 15), 240);
    SwTransSpec sp;
    UT_EQ_INT(sw_trans_parse_spec("mix:15", &sp), 0);
    UT_EQ_INT(sp.kind, SW_TRANS_MIX);
    UT_EQ_INT(sp.frames, 15);
    UT_EQ_INT(sw_trans_parse_spec("wipe:10:box:4", &sp), 0);
    UT_EQ_INT(sp.pattern, SW_WIPE_BOX);
    UT_EQ_INT(sp.soft, 4);
    UT_EQ_INT(sw_trans_parse_spec("dip:8:#00FF00", &sp), 0);
    UT_EQ_INT(sp.rgb[1], 255);
    UT_EQ_INT(sw_trans_parse_spec("mix:0", &sp), -EINVAL);
    UT_EQ_INT(sw_trans_parse_spec("mix", &sp), -EINVAL);
    UT_EQ_INT(sw_trans_parse_spec("wipe:10:zigzag", &sp), -EINVAL);
    UT_EQ_INT(sw_trans_parse_spec("fade:10", &sp), -EINVAL);
    uint8_t yuv[3];
    sw_trans_colour_yuv((const uint8_t[3]){0, 0, 0}, yuv);
    UT_CHECKF(yuv[0] == 16 && yuv[1] == 128 && yuv[2] == 128, "black %d %d %d", yuv[0], yuv[1], yuv[2]);
    sw_trans_colour_yuv((const uint8_t[3]){255, 255, 255}, yuv);
    UT_CHECKF(yuv[0] == 235 && yuv[1] == 128 && yuv[2] == 128, "white %d %d %d", yuv[0], yuv[1], yuv[2]);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        dir = argv[1];
    test_contract_file();
    test_plan_same_camera();
    test_good_texts();
    test_bad_texts();
    test_files_and_format();
    test_actions();
    test_transitions();
    return ut_finish("test_cues");
}
