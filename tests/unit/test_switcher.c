/* Unit test: the switcher, driven by scenario scripts.
 * Usage: test_switcher SCENARIO.txt    run one scenario (tests/unit/scenarios/)
 *        test_switcher                 run the built-in API checks (argument validation, threads)
 *
 * Scenario format: one command per line, words separated by blanks; `#` starts a comment; blank lines are
 * ignored; a line that ends with `\` goes on on the next line.
 *
 * Header, before the first command:
 *   rate N/D          program rate that cue times are read at (default 30/1)
 *   cams NAME...      the take's cameras (required)
 *   first NAME        camera on program at tick 0 (default: the first of cams)
 *   cues <<           an inline cue list (docs/contract.md grammar, comments and all) up to a line `>>`
 *
 * Commands (the switcher is made before the first one):
 *   cut CAM | go | end | preview CAM     stage a command: it must return 0
 *   repeat N COMMAND                     stage COMMAND N times: each must return 0
 *   expect-error COMMAND ERR             COMMAND must return -ERR (ERR: ENOENT ENOSPC EINVAL EPIPE). COMMAND
 * is a staging command, `tick N` or `end-at N ORIGIN` tick N expect CAM [EVENT...] [STATE...] decide tick N:
 * program on CAM, exactly the EVENTs listed, in order ticks A-B expect CAM [STATE...]      decide ticks A..B:
 * each on CAM with no event end-at N ORIGIN expect CAM [STATE...] sw_switcher_end_at: exactly one END event
 * of ORIGIN, on CAM state STATE...                       check sw_switcher_get_state
 *
 * CAM is a camera name, a camera index (to test bad indices) or `-` (none).
 * EVENT is `cut ORIGIN` or `end ORIGIN` (ORIGIN: start cue go manual duration stop sources), optionally
 * followed by modifiers of that event: cam=CAM prev=CAM cue=N. Without cam=, the last cut and every end must
 * be on the tick's CAM; without cue=, events of origins other than cue and go must have cue -1. decision.cut
 * (decision.end) must be 1 exactly when a cut (an end) is listed. STATE is KEY=VALUE, checked against
 * sw_switcher_get_state after the command: program=CAM preview=CAM next_cue=N|- next_go=N|- ended=0|1
 * end_frame=N|- tick=N. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ot_common.h"
#include "sw_switcher.h"
#include "ut.h"

#define MAX_TOKS 64

typedef struct Scenario {
    const char *path;
    int lineno;
    SwRate rate;
    char *cams[SW_MAX_CAMS];
    int ncams;
    int first;
    char *cue_text;
    size_t cue_len;
    SwCueList *cues;
    SwSwitcher *sw;
} Scenario;

__attribute__((format(printf, 2, 3))) static void fail(Scenario *s, const char *fmt, ...)
{
    va_list ap;
    ut_failures++;
    fprintf(stderr, "%s:%d: FAIL: ", s->path, s->lineno);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

#define EXPECT(s, cond, ...)                                                                                 \
    do {                                                                                                     \
        ut_checks++;                                                                                         \
        if (!(cond))                                                                                         \
            fail((s), __VA_ARGS__);                                                                          \
    } while (0)

/* ---- values ---- */

static int parse_int(const char *t, long long *v)
{
    char *end;
    if (!*t)
        return -1;
    *v = strtoll(t, &end, 10);
    return *end ? -1 : 0;
}

/* CAM: a name, an index, or `-`. Returns 0 and *cam, or -1. */
static int parse_cam(Scenario *s, const char *t, int *cam)
{
    long long v;
    if (!strcmp(t, "-")) {
        *cam = -1;
        return 0;
    }
    for (int i = 0; i < s->ncams; i++)
        if (!strcmp(s->cams[i], t)) {
            *cam = i;
            return 0;
        }
    if (parse_int(t, &v) == 0) {
        *cam = (int)v;
        return 0;
    }
    fail(s, "scenario: unknown camera %s", t);
    return -1;
}

/* N or `-` (-1). */
static int parse_opt_int(Scenario *s, const char *t, long long *v)
{
    if (!strcmp(t, "-")) {
        *v = -1;
        return 0;
    }
    if (parse_int(t, v) == 0)
        return 0;
    fail(s, "scenario: %s is not a number or -", t);
    return -1;
}

static const char *cam_name(const Scenario *s, int cam)
{
    return cam >= 0 && cam < s->ncams ? s->cams[cam] : cam == -1 ? "-" : "?";
}

static int parse_origin(Scenario *s, const char *t, SwOrigin *o)
{
    for (int i = SW_ORIGIN_START; i <= SW_ORIGIN_SOURCES; i++)
        if (!strcmp(sw_origin_name((SwOrigin)i), t)) {
            *o = (SwOrigin)i;
            return 0;
        }
    fail(s, "scenario: unknown origin %s", t);
    return -1;
}

static int parse_errno(Scenario *s, const char *t, int *err)
{
    static const struct {
        const char *name;
        int value;
    } names[] = {{"ENOENT", ENOENT}, {"ENOSPC", ENOSPC}, {"EINVAL", EINVAL}, {"EPIPE", EPIPE}};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (!strcmp(names[i].name, t)) {
            *err = names[i].value;
            return 0;
        }
    fail(s, "scenario: unknown error name %s", t);
    return -1;
}

/* ---- checks ---- */

/* KEY=VALUE against the switcher's state. Returns 0, or -1 on a scenario syntax error. */
static int check_state_key(Scenario *s, const SwState *st, const char *tok)
{
    const char *eq = strchr(tok, '=');
    if (!eq) {
        fail(s, "scenario: expected KEY=VALUE, got %s", tok);
        return -1;
    }
    size_t klen = (size_t)(eq - tok);
    const char *val = eq + 1;
    long long v;
    int cam;
#define KEY(k) (klen == strlen(k) && !strncmp(tok, k, klen))
    if (KEY("program") || KEY("preview")) {
        if (parse_cam(s, val, &cam) < 0)
            return -1;
        int got = KEY("program") ? st->program : st->preview;
        EXPECT(s, got == cam, "state %.*s is %s, expected %s", (int)klen, tok, cam_name(s, got),
               cam_name(s, cam));
    } else if (KEY("next_cue") || KEY("next_go") || KEY("end_frame") || KEY("tick") || KEY("ended")) {
        if (parse_opt_int(s, val, &v) < 0)
            return -1;
        long long got = KEY("next_cue")    ? st->next_cue
                        : KEY("next_go")   ? st->next_go
                        : KEY("end_frame") ? st->end_frame
                        : KEY("tick")      ? st->tick
                                           : st->ended;
        EXPECT(s, got == v, "state %.*s is %lld, expected %lld", (int)klen, tok, got, v);
    } else {
        fail(s, "scenario: unknown state key %s", tok);
        return -1;
    }
#undef KEY
    return 0;
}

static int check_state(Scenario *s, char **toks, int ntoks)
{
    SwState st;
    sw_switcher_get_state(s->sw, &st);
    for (int i = 0; i < ntoks; i++)
        if (check_state_key(s, &st, toks[i]) < 0)
            return -1;
    return 0;
}

typedef struct Expected {
    SwEventType type;
    SwOrigin origin;
    int cam, prev, cue; /* -2: not given */
} Expected;

static void print_decision(const Scenario *s, const SwDecision *d)
{
    fprintf(stderr, "    decision: tick %lld cam %s cut %d end %d, %d events:", (long long)d->tick,
            cam_name(s, d->cam), d->cut, d->end, d->nevents);
    for (int k = 0; k < d->nevents; k++) {
        const SwEvent *e = &d->events[k];
        fprintf(stderr, " [%s %s cam=%s prev=%s cue=%d frame=%lld]", e->type == SW_EVENT_CUT ? "cut" : "end",
                sw_origin_name(e->origin), cam_name(s, e->cam), cam_name(s, e->prev_cam), e->cue_index,
                (long long)e->frame);
    }
    fputc('\n', stderr);
}

/* Check decision d of tick `tick` against `CAM [EVENT...] [STATE...]` in toks. */
static int check_decision(Scenario *s, const SwDecision *d, int64_t tick, char **toks, int ntoks)
{
    Expected exp[SW_MAX_EVENTS + 1];
    int nexp = 0, cam, i = 1, bad = ut_failures;
    if (ntoks < 1 || parse_cam(s, toks[0], &cam) < 0)
        return -1;
    while (i < ntoks) {
        const char *t = toks[i];
        if (!strcmp(t, "cut") || !strcmp(t, "end")) {
            if (i + 1 >= ntoks || nexp == SW_MAX_EVENTS + 1) {
                fail(s, "scenario: %s needs an origin", t);
                return -1;
            }
            Expected *e = &exp[nexp++];
            e->type = t[0] == 'c' ? SW_EVENT_CUT : SW_EVENT_END;
            e->cam = e->prev = e->cue = -2;
            if (parse_origin(s, toks[i + 1], &e->origin) < 0)
                return -1;
            i += 2;
        } else if (nexp > 0 &&
                   (!strncmp(t, "cam=", 4) || !strncmp(t, "prev=", 5) || !strncmp(t, "cue=", 4))) {
            Expected *e = &exp[nexp - 1];
            long long v;
            if (t[1] == 'a' && parse_cam(s, t + 4, &e->cam) < 0)
                return -1;
            if (t[0] == 'p' && parse_cam(s, t + 5, &e->prev) < 0)
                return -1;
            if (t[1] == 'u') {
                if (parse_opt_int(s, t + 4, &v) < 0)
                    return -1;
                e->cue = (int)v;
            }
            i++;
        } else {
            break; /* state keys */
        }
    }

    int want_cut = 0, want_end = 0, last_cut = -1;
    for (int k = 0; k < nexp; k++) {
        want_cut |= exp[k].type == SW_EVENT_CUT;
        want_end |= exp[k].type == SW_EVENT_END;
        if (exp[k].type == SW_EVENT_CUT)
            last_cut = k;
    }
    EXPECT(s, d->tick == tick, "decision tick %lld, expected %lld", (long long)d->tick, (long long)tick);
    EXPECT(s, d->cam == cam, "tick %lld: program %s, expected %s", (long long)tick, cam_name(s, d->cam),
           cam_name(s, cam));
    EXPECT(s, d->cut == want_cut, "tick %lld: cut %d, expected %d", (long long)tick, d->cut, want_cut);
    EXPECT(s, d->end == want_end, "tick %lld: end %d, expected %d", (long long)tick, d->end, want_end);
    EXPECT(s, d->nevents == nexp, "tick %lld: %d events, expected %d", (long long)tick, d->nevents, nexp);
    for (int k = 0; k < nexp && k < d->nevents; k++) {
        const Expected *e = &exp[k];
        const SwEvent *g = &d->events[k];
        int want_cam = e->cam != -2 ? e->cam : (e->type == SW_EVENT_END || k == last_cut) ? cam : -2;
        int want_cue = e->cue != -2                                                ? e->cue
                       : (e->origin == SW_ORIGIN_CUE || e->origin == SW_ORIGIN_GO) ? -2
                                                                                   : -1;
        EXPECT(s, g->type == e->type, "tick %lld event %d: type %d, expected %d", (long long)tick, k, g->type,
               e->type);
        EXPECT(s, g->origin == e->origin, "tick %lld event %d: origin %s, expected %s", (long long)tick, k,
               sw_origin_name(g->origin), sw_origin_name(e->origin));
        EXPECT(s, g->frame == tick, "tick %lld event %d: frame %lld", (long long)tick, k,
               (long long)g->frame);
        if (want_cam != -2)
            EXPECT(s, g->cam == want_cam, "tick %lld event %d: cam %s, expected %s", (long long)tick, k,
                   cam_name(s, g->cam), cam_name(s, want_cam));
        if (e->prev != -2)
            EXPECT(s, g->prev_cam == e->prev, "tick %lld event %d: prev %s, expected %s", (long long)tick, k,
                   cam_name(s, g->prev_cam), cam_name(s, e->prev));
        if (want_cue != -2)
            EXPECT(s, g->cue_index == want_cue, "tick %lld event %d: cue %d, expected %d", (long long)tick, k,
                   g->cue_index, want_cue);
    }
    if (ut_failures != bad)
        print_decision(s, d);
    return check_state(s, toks + i, ntoks - i);
}

/* ---- commands ---- */

/* Run a staging command, tick N or end-at N ORIGIN without checks. Returns 0 and *ret, or -1 on a syntax
 * error. */
static int run_plain(Scenario *s, char **toks, int ntoks, int *ret)
{
    const char *c = toks[0];
    int cam;
    long long v;
    SwDecision d;
    if ((!strcmp(c, "cut") || !strcmp(c, "preview")) && ntoks == 2) {
        if (parse_cam(s, toks[1], &cam) < 0)
            return -1;
        *ret = c[0] == 'c' ? sw_switcher_cut(s->sw, cam) : sw_switcher_preview(s->sw, cam);
    } else if (!strcmp(c, "go") && ntoks == 1) {
        *ret = sw_switcher_go(s->sw);
    } else if (!strcmp(c, "end") && ntoks == 1) {
        *ret = sw_switcher_end(s->sw);
    } else if (!strcmp(c, "tick") && ntoks == 2 && parse_int(toks[1], &v) == 0) {
        *ret = sw_switcher_tick(s->sw, v, &d);
    } else if (!strcmp(c, "end-at") && ntoks == 3 && parse_int(toks[1], &v) == 0) {
        SwOrigin o;
        if (parse_origin(s, toks[2], &o) < 0)
            return -1;
        *ret = sw_switcher_end_at(s->sw, v, o, &d);
    } else {
        fail(s, "scenario: bad command: %s", c);
        return -1;
    }
    return 0;
}

static int make_switcher(Scenario *s)
{
    if (s->ncams == 0) {
        fail(s, "scenario: no `cams` line before the first command");
        return -1;
    }
    if (s->cue_text) {
        SwCueError err;
        s->cues =
            sw_cues_parse(s->cue_text, s->cue_len, s->rate, (const char *const *)s->cams, s->ncams, &err);
        if (!s->cues) {
            char buf[1024];
            fail(s, "cue list rejected: %s", sw_cue_error_format(&err, "cues", buf, sizeof(buf)));
            return -1;
        }
    }
    s->sw = sw_switcher_alloc(s->cues, s->ncams, s->first);
    if (!s->sw) {
        fail(s, "sw_switcher_alloc failed");
        return -1;
    }
    return 0;
}

static int run_line(Scenario *s, char **toks, int n)
{
    const char *c = toks[0];
    long long a, b;
    int ret;
    SwDecision d;

    if (!strcmp(c, "rate") || !strcmp(c, "cams") || !strcmp(c, "first")) {
        if (s->sw) {
            fail(s, "scenario: %s after the first command", c);
            return -1;
        }
        if (!strcmp(c, "rate") && n == 2 && sscanf(toks[1], "%d/%d", &s->rate.num, &s->rate.den) == 2)
            return 0;
        if (!strcmp(c, "cams") && n >= 2 && n - 1 <= SW_MAX_CAMS) {
            for (int i = 1; i < n; i++)
                s->cams[s->ncams++] = strdup(toks[i]);
            return 0;
        }
        if (!strcmp(c, "first") && n == 2)
            return parse_cam(s, toks[1], &s->first);
        fail(s, "scenario: bad %s line", c);
        return -1;
    }
    if (!s->sw && make_switcher(s) < 0)
        return -1;

    if (!strcmp(c, "tick") && n >= 4 && !strcmp(toks[2], "expect") && parse_int(toks[1], &a) == 0) {
        ret = sw_switcher_tick(s->sw, a, &d);
        EXPECT(s, ret == 0, "tick %lld returned %d (%s)", a, ret, ot_strerror(ret));
        return ret == 0 ? check_decision(s, &d, a, toks + 3, n - 3) : 0;
    }
    if (!strcmp(c, "ticks") && n >= 4 && !strcmp(toks[2], "expect") &&
        sscanf(toks[1], "%lld-%lld", &a, &b) == 2) {
        for (long long t = a; t <= b; t++) {
            ret = sw_switcher_tick(s->sw, t, &d);
            EXPECT(s, ret == 0, "tick %lld returned %d (%s)", t, ret, ot_strerror(ret));
            if (ret < 0)
                return 0;
            char *sub[MAX_TOKS];
            int m = 0;
            sub[m++] = toks[3];
            for (int i = 4; i < n; i++)
                sub[m++] = toks[i]; /* state keys only: no events allowed */
            int before = ut_failures;
            if (check_decision(s, &d, t, sub, m) < 0)
                return -1;
            if (ut_failures != before)
                return 0; /* one report per range is enough */
        }
        return 0;
    }
    if (!strcmp(c, "end-at") && n >= 5 && !strcmp(toks[3], "expect") && parse_int(toks[1], &a) == 0) {
        SwOrigin o;
        if (parse_origin(s, toks[2], &o) < 0)
            return -1;
        ret = sw_switcher_end_at(s->sw, a, o, &d);
        EXPECT(s, ret == 0, "end-at %lld returned %d (%s)", a, ret, ot_strerror(ret));
        if (ret < 0)
            return 0;
        char *sub[MAX_TOKS];
        int m = 0;
        sub[m++] = toks[4];
        sub[m++] = "end";
        sub[m++] = toks[2];
        for (int i = 5; i < n; i++)
            sub[m++] = toks[i];
        return check_decision(s, &d, a, sub, m);
    }
    if (!strcmp(c, "state"))
        return check_state(s, toks + 1, n - 1);
    if (!strcmp(c, "expect-error") && n >= 3) {
        int err;
        if (parse_errno(s, toks[n - 1], &err) < 0 || run_plain(s, toks + 1, n - 2, &ret) < 0)
            return -1;
        EXPECT(s, ret == -err, "%s returned %d (%s), expected -%s", toks[1], ret, ret ? ot_strerror(ret) : "ok",
               toks[n - 1]);
        return 0;
    }
    if (!strcmp(c, "repeat") && n >= 3 && parse_int(toks[1], &a) == 0) {
        for (long long i = 0; i < a; i++) {
            if (run_plain(s, toks + 2, n - 2, &ret) < 0)
                return -1;
            EXPECT(s, ret == 0, "repeat %lld/%lld: %s returned %d (%s)", i + 1, a, toks[2], ret,
                   ot_strerror(ret));
            if (ret)
                break;
        }
        return 0;
    }
    if (run_plain(s, toks, n, &ret) < 0)
        return -1;
    EXPECT(s, ret == 0, "%s returned %d (%s)", c, ret, ot_strerror(ret));
    return 0;
}

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            char *nb = realloc(buf, cap * 2 + 1);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    fclose(f);
    if (buf)
        buf[n] = '\0';
    *len = n;
    return buf;
}

static int run_scenario(const char *path)
{
    Scenario s = {.path = path, .rate = {30, 1}};
    size_t len;
    char *text = read_all(path, &len);
    if (!text) {
        fprintf(stderr, "%s: FAIL: cannot read the scenario\n", path);
        return 1;
    }
    int in_cues = 0, stop = 0;
    char *next = text;
    while (next && !stop) {
        char *line = next, *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        next = nl ? nl + 1 : NULL;
        if (!nl && !*line)
            break;
        s.lineno++;
        if (in_cues) {
            if (!strcmp(line, ">>")) {
                in_cues = 0;
                continue;
            }
            size_t l = strlen(line);
            char *nt = realloc(s.cue_text, s.cue_len + l + 2);
            if (!nt)
                abort();
            s.cue_text = nt;
            memcpy(s.cue_text + s.cue_len, line, l);
            s.cue_len += l;
            s.cue_text[s.cue_len++] = '\n';
            continue;
        }
        /* a line that ends with a backslash goes on on the next line */
        size_t l = strlen(line);
        while (l > 0 && line[l - 1] == '\\' && next) {
            char *nl2 = strchr(next, '\n');
            if (nl2)
                *nl2 = '\0';
            line[l - 1] = ' ';
            memmove(line + l, next, strlen(next) + 1); /* one byte to the left, over this line's end */
            next = nl2 ? nl2 + 1 : NULL;
            l = strlen(line);
            s.lineno++;
        }
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        char *toks[MAX_TOKS], *tsave = NULL;
        int n = 0;
        for (char *t = strtok_r(line, " \t\r", &tsave); t && n < MAX_TOKS;
             t = strtok_r(NULL, " \t\r", &tsave))
            toks[n++] = t;
        if (n == 0)
            continue;
        if (!strcmp(toks[0], "cues") && n == 2 && !strcmp(toks[1], "<<")) {
            if (s.sw) {
                fail(&s, "scenario: cues after the first command");
                break;
            }
            in_cues = 1;
            if (!s.cue_text)
                s.cue_text = calloc(1, 1);
            continue;
        }
        if (run_line(&s, toks, n) < 0)
            stop = 1; /* a scenario syntax error: the rest would only cascade */
    }
    if (in_cues)
        fail(&s, "scenario: cues << without >>");
    sw_switcher_free(&s.sw);
    UT_CHECK(s.sw == NULL);
    sw_cues_free(&s.cues);
    for (int i = 0; i < s.ncams; i++)
        free(s.cams[i]);
    free(s.cue_text);
    free(text);
    return 0;
}

/* ---- built-in API checks ---- */

typedef struct Stager {
    SwSwitcher *sw;
    int cam;
    int done;
    int errors;
} Stager;

static void *stager_main(void *arg)
{
    Stager *st = arg;
    for (int i = 0; i < 2000; i++) {
        int r;
        while ((r = sw_switcher_cut(st->sw, (st->cam + i) % 3)) == -ENOSPC)
            sched_yield();
        if (r)
            st->errors++;
        if (i % 100 == 0) {
            SwState state;
            sw_switcher_get_state(st->sw, &state);
        }
    }
    __atomic_store_n(&st->done, 1, __ATOMIC_RELEASE);
    return NULL;
}

static void test_api(void)
{
    SwDecision d;
    SwState st;
    UT_CHECK(sw_switcher_alloc(NULL, 0, 0) == NULL);
    UT_CHECK(sw_switcher_alloc(NULL, SW_MAX_CAMS + 1, 0) == NULL);
    UT_CHECK(sw_switcher_alloc(NULL, 2, 2) == NULL);
    UT_CHECK(sw_switcher_alloc(NULL, 2, -1) == NULL);

    /* a cue list naming a camera the take does not have */
    SwCueError err;
    SwCueList *cues = sw_cues_parse("0 cut a\n5 cut b\n9 cut c\n", 24, (SwRate){30, 1}, NULL, 0, &err);
    UT_CHECK(cues != NULL);
    UT_CHECK(sw_switcher_alloc(cues, 2, 0) == NULL);
    SwSwitcher *sw = sw_switcher_alloc(cues, 3, 1);
    UT_CHECK(sw != NULL);
    UT_EQ_INT(sw_switcher_ncams(sw), 3);
    sw_switcher_get_state(sw, &st);
    UT_EQ_INT(st.tick, -1);
    UT_EQ_INT(st.program, 1);
    UT_EQ_INT(st.preview, 0); /* the camera of the next cue */
    UT_EQ_INT(st.next_cue, 0);
    UT_EQ_INT(st.next_go, -1);
    UT_EQ_INT(st.ended, 0);
    UT_EQ_INT(sw_switcher_tick(sw, 1, &d), -EINVAL); /* ticks start at 0 */
    UT_EQ_INT(sw_switcher_tick(sw, 0, NULL), -EINVAL);
    UT_EQ_INT(sw_switcher_end_at(sw, 0, (SwOrigin)99, &d), -EINVAL);
    UT_EQ_INT(sw_switcher_tick(NULL, 0, &d), -EINVAL);
    UT_EQ_INT(sw_switcher_cut(NULL, 0), -EINVAL);
    sw_switcher_free(&sw);
    UT_CHECK(sw == NULL);
    sw_switcher_free(&sw);
    sw_cues_free(&cues);

    UT_CHECK(!strcmp(sw_origin_name(SW_ORIGIN_START), "start"));
    UT_CHECK(!strcmp(sw_origin_name(SW_ORIGIN_SOURCES), "sources"));
    UT_CHECK(!strcmp(sw_origin_name((SwOrigin)42), "unknown"));

    /* commands staged from several threads while the program thread ticks: nothing lost, nothing refused */
    sw = sw_switcher_alloc(NULL, 3, 0);
    Stager stagers[3];
    pthread_t threads[3];
    for (int i = 0; i < 3; i++) {
        stagers[i] = (Stager){.sw = sw, .cam = i};
        UT_CHECK(pthread_create(&threads[i], NULL, stager_main, &stagers[i]) == 0);
    }
    int64_t tick = 0, events = 0;
    for (;;) {
        int all_done = 1;
        for (int i = 0; i < 3; i++)
            all_done &= __atomic_load_n(&stagers[i].done, __ATOMIC_ACQUIRE);
        UT_EQ_INT(sw_switcher_tick(sw, tick++, &d), 0);
        events += d.nevents;
        UT_CHECK(d.nevents <= SW_MAX_EVENTS);
        if (all_done) {
            sw_switcher_get_state(sw, &st);
            /* drain what is still staged */
            for (int k = 0; k < 1000 && d.nevents; k++) {
                UT_EQ_INT(sw_switcher_tick(sw, tick++, &d), 0);
                events += d.nevents;
            }
            break;
        }
    }
    for (int i = 0; i < 3; i++) {
        pthread_join(threads[i], NULL);
        UT_EQ_INT(stagers[i].errors, 0);
    }
    UT_CHECK(events > 1);
    UT_EQ_INT(sw_switcher_end(sw), 0);
    UT_EQ_INT(sw_switcher_tick(sw, tick, &d), 0);
    UT_CHECK(d.end == 1);
    sw_switcher_free(&sw);
}

/* Transitions: a cue's mix runs frames start..start+N-1 with the new camera on program; a cut during it completes
 * it; auto (T) goes to preview, and a second auto completes the transition at once. */
static void test_transitions(void)
{
    const char *text = "0 cut wide\n10 mix close 4\n20 wipe crane 6 box\n";
    static const char *const cams[] = {"wide", "close", "crane"};
    SwCueError err;
    SwCueList *l = sw_cues_parse(text, strlen(text), (SwRate){30, 1}, cams, 3, &err);
    UT_CHECKF(l != NULL, "cues: %s", err.message);
    SwSwitcher *sw = sw_switcher_alloc(l, 3, 0);
    SwDecision d;
    int mixed = 0;
    for (int64_t t = 0; t < 40; t++) {
        if (t == 23)
            UT_EQ_INT(sw_switcher_cut(sw, 0), 0); /* a cut during the wipe completes it */
        if (t == 30)
            UT_EQ_INT(sw_switcher_preview(sw, 2), 0);
        SwTransSpec mix = {.kind = SW_TRANS_MIX, .frames = 5};
        if (t == 31)
            UT_EQ_INT(sw_switcher_auto(sw, &mix), 0);
        if (t == 33)
            UT_EQ_INT(sw_switcher_auto_by(sw, &mix, SW_INPUT_CONTROL, "tcp:127.0.0.1:5"), 0);
        UT_EQ_INT(sw_switcher_tick(sw, t, &d), 0);
        mixed += d.mix.active;
        if (t >= 10 && t < 14) {
            UT_CHECKF(d.mix.active && d.mix.from == 0 && d.cam == 1 && d.mix.k == t - 10, "tick %lld", (long long)t);
        } else if (t >= 20 && t < 23) {
            UT_CHECKF(d.mix.active && d.mix.from == 1 && d.cam == 2 && d.mix.spec.kind == SW_TRANS_WIPE,
                      "tick %lld", (long long)t);
        } else if (t == 31 || t == 32) {
            UT_CHECKF(d.mix.active && d.mix.from == 0 && d.cam == 2, "auto tick %lld", (long long)t);
        } else {
            UT_CHECKF(!d.mix.active, "tick %lld is mixed", (long long)t);
        }
        if (t == 10 || t == 20 || t == 31) {
            UT_EQ_INT(d.nevents, 1);
            UT_CHECKF(d.events[0].trans.kind != SW_TRANS_CUT, "tick %lld: the event has no transition", (long long)t);
        }
        if (t == 33) {
            /* the early completion is an event of its own: the transition, its planned length, what was mixed */
            UT_EQ_INT(d.nevents, 1);
            const SwEvent *e = &d.events[0];
            UT_CHECK(e->type == SW_EVENT_COMPLETE && e->cam == 2 && e->prev_cam == 0 && e->mixed == 2 &&
                     e->trans.kind == SW_TRANS_MIX && e->trans.frames == 5 && e->input == SW_INPUT_CONTROL &&
                     e->origin == SW_ORIGIN_REMOTE && !strcmp(e->peer, "tcp:127.0.0.1:5"));
            UT_CHECK(!d.cut && !d.end);
            UT_CHECK(!strcmp(sw_event_type_name(e->type), "complete"));
        } else if (t != 23) {
            for (int k = 0; k < d.nevents; k++)
                UT_CHECKF(d.events[k].type != SW_EVENT_COMPLETE, "tick %lld: a completion", (long long)t);
        }
    }
    UT_EQ_INT(mixed, 4 + 3 + 2); /* the wipe cut short at 23 by a cut, the auto completed at 33 */
    sw_switcher_free(&sw);

    /* sw_switcher_complete (replay): completes the transition in progress, nothing without one; the auto that
     * starts a transition carries its input */
    sw = sw_switcher_alloc(NULL, 2, 0);
    SwTransSpec dip = {.kind = SW_TRANS_DIP, .frames = 6};
    int ncomplete = 0;
    for (int64_t t = 0; t < 20; t++) {
        if (t == 2)
            UT_EQ_INT(sw_switcher_complete(sw), 0); /* no transition: nothing */
        if (t == 3)
            UT_EQ_INT(sw_switcher_preview(sw, 1), 0);
        if (t == 4)
            UT_EQ_INT(sw_switcher_auto_by(sw, &dip, SW_INPUT_SCRIPT, NULL), 0);
        if (t == 8)
            UT_EQ_INT(sw_switcher_complete(sw), 0);
        UT_EQ_INT(sw_switcher_tick(sw, t, &d), 0);
        UT_CHECKF(d.mix.active == (t >= 4 && t < 8), "tick %lld", (long long)t);
        if (t == 4)
            UT_CHECK(d.nevents == 1 && d.events[0].input == SW_INPUT_SCRIPT && d.events[0].origin == SW_ORIGIN_MANUAL);
        for (int k = 0; k < d.nevents; k++)
            if (d.events[k].type == SW_EVENT_COMPLETE) {
                ncomplete++;
                UT_CHECK(t == 8 && d.events[k].mixed == 4 && d.events[k].cam == 1 && d.events[k].trans.frames == 6);
            }
    }
    UT_EQ_INT(ncomplete, 1);
    UT_EQ_INT(sw_switcher_auto(sw, &dip), -ENOENT); /* preview is on program now */
    /* a double T staged before one tick: the transition is completed on its first frame, nothing is mixed */
    UT_EQ_INT(sw_switcher_preview(sw, 0), 0);
    UT_EQ_INT(sw_switcher_auto_by(sw, &dip, SW_INPUT_KEY, NULL), 0);
    UT_EQ_INT(sw_switcher_auto_by(sw, &dip, SW_INPUT_KEY, NULL), 0);
    UT_EQ_INT(sw_switcher_tick(sw, 20, &d), 0);
    UT_CHECK(d.nevents == 2 && d.events[0].type == SW_EVENT_CUT && d.events[1].type == SW_EVENT_COMPLETE &&
             d.events[1].mixed == 0 && d.events[1].input == SW_INPUT_KEY && !d.mix.active && d.cam == 0);
    UT_EQ_INT(sw_switcher_tick(sw, 21, &d), 0);
    UT_CHECK(!d.mix.active && d.nevents == 0);
    sw_switcher_free(&sw);
    sw_cues_free(&l);
}

int main(int argc, char **argv)
{
    if (argc > 1) {
        for (int i = 1; i < argc; i++)
            run_scenario(argv[i]);
        return ut_finish(argv[1]);
    }
    test_api();
    test_transitions();
    return ut_finish("test_switcher");
}
