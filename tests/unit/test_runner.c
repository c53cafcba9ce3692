/* Unit test: the take runner with fake sources (frames of ot_frame_alloc_buffer with scripted pts) and a
 * recording sink. The program rate is 30/1 throughout; every take checks, per tick, the program camera, the
 * frame's source and sequence, and the flags. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "ot_common.h"
#include "sw_runner.h"
#include "ut.h"

#define MAX_TICKS 4096
#define MAX_EVENTS 64
#define INFINITE (-1)
#define INFINITE_CAP 20000 /* an "infinite" source still ends: a take that fails to stop fails, not hangs */

static const SwRate R30 = {30, 1};

/* ---- a fake camera ---- */

typedef struct FakeSource {
    int cam;
    SwRate rate;     /* the source's own frame rate */
    int64_t nframes; /* frames before EOF, or INFINITE */
    int64_t fail_at; /* pull index that fails with fail_code (and every later pull), or -1 */
    int fail_code;
    int64_t pts_offset_ns; /* added to every pts (late or early container timestamps) */
    int64_t pulled;  /* index of the next frame */
    int64_t decoded; /* frames handed out (what decoding them would cost) */
    int64_t seeks;
    int64_t stop_ns; /* the last seek's stop, -1: none */
    int64_t pulls_after_end; /* pulls after EOF or failure: the runner must not ask again */
} FakeSource;

/* pts as a container would store it: rounded to the nearest ns. */
static int64_t pts_nearest(SwRate r, int64_t i)
{
    return (i * 1000000000LL * r.den + r.num / 2) / r.num;
}

static int fake_pull(void *opaque, OtFrame **out)
{
    FakeSource *fs = opaque;
    int64_t n = fs->nframes >= 0 ? fs->nframes : INFINITE_CAP;
    if ((fs->fail_at >= 0 && fs->pulled >= fs->fail_at) || fs->pulled >= n) {
        if (fs->pulls_after_end++ > 0)
            fprintf(stderr, "camera %d pulled again after its end\n", fs->cam);
        return fs->fail_at >= 0 && fs->pulled >= fs->fail_at ? fs->fail_code : OT_ERROR_EOF;
    }
    if (fs->stop_ns >= 0 && pts_nearest(fs->rate, fs->pulled) + fs->pts_offset_ns >= fs->stop_ns)
        return OT_ERROR_SEGMENT_END;
    OtFrame *f = ot_frame_alloc_buffer(16, 16, OT_PIX_I420);
    if (!f)
        return -ENOMEM;
    f->source = fs->cam;
    f->seq = fs->pulled;
    f->pts_ns = pts_nearest(fs->rate, fs->pulled) + fs->pts_offset_ns;
    fs->pulled++;
    fs->decoded++;
    *out = f;
    return 0;
}

/* Like an accurate seek: the next frame is the one that covers t. */
static int fake_seek(void *opaque, int64_t t_ns, int64_t stop_ns)
{
    FakeSource *fs = opaque;
    fs->pulled = t_ns * fs->rate.num / (1000000000LL * fs->rate.den);
    fs->stop_ns = stop_ns;
    fs->seeks++;
    return 0;
}

/* ---- a recording sink ---- */

typedef struct Rec {
    int cam, source;
    int64_t seq;
    unsigned flags;
} Rec;

typedef struct Recorder {
    Rec prog[MAX_TICKS];
    int64_t nprog;
    SwEvent events[MAX_EVENTS];
    int nevents;
    int64_t cam_frames[SW_MAX_CAMS], cam_repeats[SW_MAX_CAMS];
    unsigned char cam_repeat_at[SW_MAX_CAMS][MAX_TICKS];
    int64_t cam_next_tick[SW_MAX_CAMS];
    int64_t fail_program_at; /* tick whose program_frame fails, or -1 */
    int fail_event_frame;    /* frame of a CUT event whose delivery fails, or -1 */
    int protocol_errors;     /* callbacks out of order or after the end */
    int ended;
    OtFrame *kept; /* a reference the sink keeps past the take */
} Recorder;

static void rec_init(Recorder *r)
{
    memset(r, 0, sizeof(*r));
    r->fail_program_at = -1;
    r->fail_event_frame = -1;
}

static int rec_program(void *opaque, const SwProgramFrame *pf)
{
    Recorder *r = opaque;
    if (r->ended || pf->tick != r->nprog || !pf->frame || r->nprog >= MAX_TICKS) {
        r->protocol_errors++;
        return 0;
    }
    if (pf->tick == r->fail_program_at)
        return -EIO;
    r->prog[r->nprog++] = (Rec){pf->cam, pf->frame->source, pf->frame->seq, pf->flags};
    ot_frame_unref(&r->kept);
    r->kept = ot_frame_ref(pf->frame); /* the runner's release must not free what a sink still holds */
    return 0;
}

static int rec_event(void *opaque, const SwEvent *ev)
{
    Recorder *r = opaque;
    if (r->ended || r->nevents >= MAX_EVENTS) {
        r->protocol_errors++;
        return 0;
    }
    r->events[r->nevents++] = *ev;
    if (ev->type == SW_EVENT_END)
        r->ended = 1;
    if (ev->type == SW_EVENT_CUT && ev->frame == r->fail_event_frame)
        return -EBADF;
    return 0;
}

static int rec_camera(void *opaque, int cam, int64_t tick, OtFrame *frame, int repeat)
{
    Recorder *r = opaque;
    if (r->ended || cam < 0 || cam >= SW_MAX_CAMS || tick != r->cam_next_tick[cam] || !frame ||
        tick >= MAX_TICKS || (tick == 0 && repeat)) {
        r->protocol_errors++;
        return 0;
    }
    r->cam_next_tick[cam]++;
    r->cam_frames[cam]++;
    r->cam_repeats[cam] += repeat;
    r->cam_repeat_at[cam][tick] = (unsigned char)repeat;
    return 0;
}

static SwSink rec_sink(Recorder *r)
{
    return (SwSink){
        .opaque = r, .program_frame = rec_program, .event = rec_event, .camera_frame = rec_camera};
}

/* ---- one take ---- */

typedef struct Take {
    int ncams;
    FakeSource src[4];
    const char *cues;
    int64_t max_frames;
    void (*before_tick)(void *opaque, int64_t tick);
    void (*progress)(void *opaque, const SwRunnerStats *stats);
    Recorder *second; /* an extra sink, or NULL */
    int program_only; /* SwRunnerConfig.program_only, with seekable sources and no camera_frame sink */
    /* results */
    SwSwitcher *sw;
    SwRunner *runner;
    Recorder rec;
    SwRunnerStats stats;
    int ret;
} Take;

static void take_init(Take *t, int ncams)
{
    memset(t, 0, sizeof(*t));
    t->ncams = ncams;
    t->max_frames = -1;
    for (int i = 0; i < ncams; i++)
        t->src[i] = (FakeSource){.cam = i, .rate = R30, .nframes = INFINITE, .fail_at = -1, .stop_ns = -1};
    rec_init(&t->rec);
}

static void take_run(Take *t)
{
    static const char *const names[] = {"wide", "close", "crane", "drone"};
    SwCueList *cues = NULL;
    SwCueError err;
    if (t->cues) {
        cues = sw_cues_parse(t->cues, strlen(t->cues), R30, names, t->ncams, &err);
        UT_CHECKF(cues != NULL, "cue list: %s", err.message);
    }
    t->sw = sw_switcher_alloc(cues, t->ncams, 0);
    SwSource sources[4];
    for (int i = 0; i < t->ncams; i++)
        sources[i] = (SwSource){.opaque = &t->src[i], .name = names[i], .pull = fake_pull,
                                .seek = t->program_only ? fake_seek : NULL};
    SwRunnerConfig cfg = {
        .rate = R30,
        .max_frames = t->max_frames,
        .progress = t->progress,
        .progress_opaque = t,
        .before_tick = t->before_tick,
        .before_tick_opaque = t,
        .program_only = t->program_only,
    };
    t->runner = sw_runner_alloc(&cfg, t->sw, sources, t->ncams);
    UT_CHECK(t->runner != NULL);
    SwSink sink = rec_sink(&t->rec);
    if (t->program_only)
        sink.camera_frame = NULL; /* a camera_frame sink needs every camera: program_only would be off */
    UT_EQ_INT(sw_runner_add_sink(t->runner, &sink), 0);
    if (t->second) {
        sink = rec_sink(t->second);
        UT_EQ_INT(sw_runner_add_sink(t->runner, &sink), 0);
    }
    t->ret = sw_runner_run(t->runner);
    sw_runner_get_stats(t->runner, &t->stats);
    UT_EQ_INT(sw_runner_run(t->runner), -EINVAL); /* one take per runner */
    sw_runner_free(&t->runner);
    UT_CHECK(t->runner == NULL);
    sw_switcher_free(&t->sw);
    sw_cues_free(&cues);
    UT_EQ_INT(t->rec.protocol_errors, 0);
    for (int i = 0; i < t->ncams; i++)
        UT_CHECKF(t->src[i].pulls_after_end <= 1, "camera %d pulled %lld times after its end", i,
                  (long long)t->src[i].pulls_after_end);
    UT_CHECKF(ot_frame_live_count() == (t->rec.kept ? 1 : 0), "%lld frames alive after the take",
              (long long)ot_frame_live_count());
    ot_frame_unref(&t->rec.kept);
    if (t->second)
        ot_frame_unref(&t->second->kept);
}

/* The program at tick i must be camera cam, frame seq of that camera, with flags. */
static void expect_prog(const Take *t, int64_t i, int cam, int64_t seq, unsigned flags, const char *what)
{
    if (i >= t->rec.nprog) {
        UT_CHECKF(0, "%s: no program frame at tick %lld (%lld recorded)", what, (long long)i,
                  (long long)t->rec.nprog);
        return;
    }
    const Rec *r = &t->rec.prog[i];
    UT_CHECKF(r->cam == cam && r->seq == seq && r->flags == flags && (r->source == cam || r->source == -1),
              "%s: tick %lld: cam %d source %d seq %lld flags %#x, expected cam %d seq %lld flags %#x", what,
              (long long)i, r->cam, r->source, (long long)r->seq, r->flags, cam, (long long)seq, flags);
}

static void expect_event(const Take *t, int k, SwEventType type, int64_t frame, int cam, SwOrigin origin,
                         const char *what)
{
    if (k >= t->rec.nevents) {
        UT_CHECKF(0, "%s: no event %d (%d recorded)", what, k, t->rec.nevents);
        return;
    }
    const SwEvent *e = &t->rec.events[k];
    UT_CHECKF(
        e->type == type && e->frame == frame && e->cam == cam && e->origin == origin,
        "%s: event %d: type %d frame %lld cam %d origin %s, expected type %d frame %lld cam %d origin %s",
        what, k, e->type, (long long)e->frame, e->cam, sw_origin_name(e->origin), type, (long long)frame, cam,
        sw_origin_name(origin));
}

static void expect_end(const Take *t, int64_t frames, SwOrigin origin, int error, const char *what)
{
    UT_CHECKF(t->ret == error, "%s: run returned %d, expected %d", what, t->ret, error);
    UT_CHECKF(t->rec.nprog == frames, "%s: %lld program frames, expected %lld", what, (long long)t->rec.nprog,
              (long long)frames);
    UT_CHECKF(t->stats.ticks == frames, "%s: stats.ticks %lld, expected %lld", what,
              (long long)t->stats.ticks, (long long)frames);
    UT_CHECKF(t->stats.ended && t->stats.end_origin == origin, "%s: ended %d origin %s, expected %s", what,
              t->stats.ended, sw_origin_name(t->stats.end_origin), sw_origin_name(origin));
    UT_CHECKF(t->stats.error == error, "%s: stats.error %d, expected %d", what, t->stats.error, error);
    const SwEvent *last = t->rec.nevents ? &t->rec.events[t->rec.nevents - 1] : NULL;
    UT_CHECKF(last && last->type == SW_EVENT_END && last->frame == frames && last->origin == origin,
              "%s: the last event is not END %s at %lld", what, sw_origin_name(origin), (long long)frames);
}

/* ---- takes ---- */

/* Three cameras at the program rate: frame i on tick i, cuts on their frames, the sources end the take. */
static void test_same_rate(void)
{
    Take t;
    take_init(&t, 3);
    for (int i = 0; i < 3; i++)
        t.src[i].nframes = 90;
    t.src[1].pts_offset_ns = SW_RUNNER_TOLERANCE_NS / 2; /* within the tolerance: still its tick's frame */
    t.src[2].pts_offset_ns = -3;
    t.cues = "30 cut close\n60 cut crane\n";
    take_run(&t);
    expect_end(&t, 90, SW_ORIGIN_SOURCES, 0, "same rate");
    for (int64_t i = 0; i < 90; i++) {
        int cam = i < 30 ? 0 : i < 60 ? 1 : 2;
        expect_prog(&t, i, cam, i, (i == 0 || i == 30 || i == 60) ? SW_PF_CUT : 0, "same rate");
    }
    UT_EQ_INT(t.rec.nevents, 4);
    expect_event(&t, 0, SW_EVENT_CUT, 0, 0, SW_ORIGIN_START, "same rate");
    expect_event(&t, 1, SW_EVENT_CUT, 30, 1, SW_ORIGIN_CUE, "same rate");
    expect_event(&t, 2, SW_EVENT_CUT, 60, 2, SW_ORIGIN_CUE, "same rate");
    expect_event(&t, 3, SW_EVENT_END, 90, 2, SW_ORIGIN_SOURCES, "same rate");
    UT_EQ_INT(t.stats.cuts, 2);
    UT_EQ_INT(t.stats.program_repeats, 0);
    UT_EQ_INT(t.stats.program_cam, 2);
    UT_EQ_INT(t.stats.ncams, 3);
    for (int c = 0; c < 3; c++) {
        UT_EQ_INT(t.stats.cams[c].frames, 90);
        UT_EQ_INT(t.stats.cams[c].repeats, 0);
        UT_EQ_INT(t.stats.cams[c].drops, 0);
        UT_EQ_INT(t.stats.cams[c].ended, 1);
        UT_EQ_INT(t.stats.cams[c].failed, 0);
        UT_EQ_INT(t.rec.cam_frames[c], 90);
        UT_EQ_INT(t.rec.cam_repeats[c], 0);
    }
}

/* Timestamps later than the tolerance belong to the next tick. */
static void test_late_source(void)
{
    Take t;
    take_init(&t, 1);
    t.src[0].nframes = 10;
    t.src[0].pts_offset_ns = SW_RUNNER_TOLERANCE_NS + 200000; /* 0.2 ms later than the tolerance */
    take_run(&t);
    /* the first frame lands on tick 0 anyway; then frame i shows from tick i+1 */
    expect_prog(&t, 0, 0, 0, SW_PF_CUT, "late");
    expect_prog(&t, 1, 0, 0, SW_PF_REPEAT, "late");
    for (int64_t i = 2; i <= 10; i++)
        expect_prog(&t, i, 0, i - 1, 0, "late");
    expect_end(&t, 11, SW_ORIGIN_SOURCES, 0, "late");
}

/* 25 fps into 30: the latest frame at or before each tick; one tick in six repeats. */
static void test_25_into_30(void)
{
    Take t;
    take_init(&t, 2);
    t.src[0].rate = (SwRate){25, 1};
    t.src[0].nframes = 50; /* 2 s */
    t.src[1].nframes = 60; /* 2 s */
    take_run(&t);
    expect_end(&t, 60, SW_ORIGIN_SOURCES, 0, "25->30");
    int64_t repeats = 0;
    for (int64_t i = 0; i < 60; i++) {
        int64_t seq = i * 25 / 30;
        int repeat = i > 0 && seq == (i - 1) * 25 / 30;
        repeats += repeat;
        expect_prog(&t, i, 0, seq, (i == 0 ? SW_PF_CUT : 0) | (repeat ? SW_PF_REPEAT : 0), "25->30");
        UT_CHECKF(t.rec.cam_repeat_at[0][i] == repeat, "25->30: camera_frame repeat at tick %lld",
                  (long long)i);
    }
    UT_EQ_INT(repeats, 10);
    UT_EQ_INT(t.stats.cams[0].repeats, 10);
    UT_EQ_INT(t.stats.cams[0].drops, 0);
    UT_EQ_INT(t.stats.program_repeats, 10);
    UT_EQ_INT(t.rec.cam_repeats[0], 10);
    UT_EQ_INT(t.stats.cams[1].repeats, 0);
}

/* 60 fps into 30: every other frame is dropped. */
static void test_60_into_30(void)
{
    Take t;
    take_init(&t, 1);
    t.src[0].rate = (SwRate){60, 1};
    t.src[0].nframes = 120;
    take_run(&t);
    for (int64_t i = 0; i < 60; i++)
        expect_prog(&t, i, 0, 2 * i, i == 0 ? SW_PF_CUT : 0, "60->30");
    /* frame 119 (1983.3 ms) is the latest at or before tick 60 (2000 ms): it is shown there, then the source
     * has ended */
    expect_prog(&t, 60, 0, 119, 0, "60->30");
    expect_end(&t, 61, SW_ORIGIN_SOURCES, 0, "60->30");
    UT_EQ_INT(t.stats.cams[0].drops, 59);
    UT_EQ_INT(t.stats.cams[0].repeats, 0);
    UT_EQ_INT(t.stats.cams[0].frames, 120);
}

/* A camera that ends early: held on program with REPEAT|LOST until a cut; the take goes on with the others */
static void test_source_ends_early(void)
{
    Take t;
    take_init(&t, 2);
    t.src[0].nframes = 30;
    t.src[1].nframes = 90;
    t.cues = "60 cut close\n";
    take_run(&t);
    expect_end(&t, 90, SW_ORIGIN_SOURCES, 0, "ends early");
    for (int64_t i = 0; i < 30; i++)
        expect_prog(&t, i, 0, i, i == 0 ? SW_PF_CUT : 0, "ends early");
    for (int64_t i = 30; i < 60; i++)
        expect_prog(&t, i, 0, 29, SW_PF_REPEAT | SW_PF_LOST, "ends early");
    expect_prog(&t, 60, 1, 60, SW_PF_CUT, "ends early");
    for (int64_t i = 61; i < 90; i++)
        expect_prog(&t, i, 1, i, 0, "ends early");
    UT_EQ_INT(t.stats.cams[0].ended, 1);
    UT_EQ_INT(t.stats.cams[0].repeats, 60);
    UT_EQ_INT(t.rec.cam_frames[0], 90); /* the ended camera is still given every tick */
    UT_EQ_INT(t.rec.cam_repeats[0], 60);
    UT_EQ_INT(t.stats.program_repeats, 30);
}

static void test_max_frames(void)
{
    Take t;
    take_init(&t, 2);
    t.max_frames = 45;
    take_run(&t);
    expect_end(&t, 45, SW_ORIGIN_DURATION, 0, "duration");
    for (int64_t i = 0; i < 45; i++)
        expect_prog(&t, i, 0, i, i == 0 ? SW_PF_CUT : 0, "duration");
    UT_EQ_INT(t.rec.nevents, 2);
    UT_EQ_INT(t.rec.cam_frames[1], 45);

    take_init(&t, 2);
    t.max_frames = 0;
    take_run(&t);
    expect_end(&t, 0, SW_ORIGIN_DURATION, 0, "duration 0");
    UT_EQ_INT(t.rec.nevents, 1);
    UT_EQ_INT(t.rec.cam_frames[0], 0);
}

static int log_errors;
static void count_log(int level, const char *module, const char *msg, void *opaque)
{
    (void)msg;
    (void)opaque;
    if (level <= OT_LOG_ERROR && !strcmp(module, "runner"))
        log_errors++;
}

/* A camera whose source fails: logged once, held with REPEAT|LOST, the take goes on. */
static void test_failing_source(void)
{
    Take t;
    take_init(&t, 2);
    t.src[0].nframes = 40;
    t.src[1].fail_at = 10;
    t.src[1].fail_code = -EIO;
    t.cues = "5 cut close\n";
    log_errors = 0;
    ot_log_set_callback(count_log, NULL);
    take_run(&t);
    ot_log_set_callback(NULL, NULL);
    UT_EQ_INT(log_errors, 1);
    expect_end(&t, 40, SW_ORIGIN_SOURCES, 0, "failing");
    for (int64_t i = 0; i < 5; i++)
        expect_prog(&t, i, 0, i, i == 0 ? SW_PF_CUT : 0, "failing");
    for (int64_t i = 5; i < 10; i++)
        expect_prog(&t, i, 1, i, i == 5 ? SW_PF_CUT : 0, "failing");
    for (int64_t i = 10; i < 40; i++)
        expect_prog(&t, i, 1, 9, SW_PF_REPEAT | SW_PF_LOST, "failing");
    UT_EQ_INT(t.stats.cams[1].failed, 1);
    UT_EQ_INT(t.stats.cams[1].ended, 0);
    UT_EQ_INT(t.stats.cams[1].frames, 10);
}

/* A camera that fails before its first frame shows black (a frame of our own) and is LOST from the start. */
static OtFrame *first_slate;
static int slate_probe(void *opaque, const SwProgramFrame *pf)
{
    (void)opaque;
    if (pf->frame->source == -1 && !first_slate)
        first_slate = ot_frame_ref(pf->frame);
    return 0;
}

static void test_failing_from_start(void)
{
    Take t;
    take_init(&t, 2);
    t.src[0].nframes = 20;
    t.src[1].fail_at = 0;
    t.src[1].fail_code = OT_ERROR_SOURCE;
    t.cues = "5 cut close\n10 cut wide\n";
    Recorder probe;
    rec_init(&probe);
    t.second = &probe;
    ot_log_set_level(OT_LOG_QUIET);
    take_run(&t);
    ot_log_set_level(OT_LOG_INFO);
    expect_end(&t, 20, SW_ORIGIN_SOURCES, 0, "failing at start");
    for (int64_t i = 5; i < 10; i++)
        expect_prog(&t, i, 1, 0, (i == 5 ? SW_PF_CUT : 0) | SW_PF_REPEAT | SW_PF_LOST, "failing at start");
    UT_EQ_INT(t.rec.prog[5].source, -1);
    UT_EQ_INT(t.rec.cam_frames[1], 20);
    UT_EQ_INT(t.rec.cam_repeats[1], 19); /* given once, then again */
    UT_EQ_INT(t.stats.cams[1].failed, 1);
    UT_EQ_INT(t.stats.cams[1].frames, 0);

    /* the slate is black at the size of the other cameras */
    Take t2;
    take_init(&t2, 2);
    t2.src[0].nframes = 3;
    t2.src[1].fail_at = 0;
    t2.src[1].fail_code = -EIO;
    t2.cues = "0 cut close\n";
    ot_log_set_level(OT_LOG_QUIET);
    /* reuse the recorder callbacks but probe the slate through a custom program callback */
    SwSwitcher *sw = NULL;
    SwCueError err;
    static const char *const names[] = {"wide", "close"};
    SwCueList *cues = sw_cues_parse(t2.cues, strlen(t2.cues), R30, names, 2, &err);
    sw = sw_switcher_alloc(cues, 2, 0);
    SwSource src[2] = {{.opaque = &t2.src[0], .name = "wide", .pull = fake_pull},
                       {.opaque = &t2.src[1], .name = "close", .pull = fake_pull}};
    SwRunnerConfig cfg = {.rate = R30, .max_frames = -1};
    SwRunner *r = sw_runner_alloc(&cfg, sw, src, 2);
    SwSink sink = {.program_frame = slate_probe};
    sw_runner_add_sink(r, &sink);
    UT_EQ_INT(sw_runner_run(r), 0);
    sw_runner_free(&r);
    sw_switcher_free(&sw);
    sw_cues_free(&cues);
    ot_log_set_level(OT_LOG_INFO);
    UT_CHECK(first_slate != NULL);
    if (first_slate) {
        UT_EQ_INT(first_slate->width, 16);
        UT_EQ_INT(first_slate->height, 16);
        UT_EQ_INT(first_slate->format, OT_PIX_I420);
        UT_EQ_INT(first_slate->data[0][0], 16);
        UT_EQ_INT(first_slate->data[1][0], 128);
        ot_frame_unref(&first_slate);
    }

    /* every camera fails at once: nothing to record */
    take_init(&t, 2);
    t.src[0].fail_at = 0;
    t.src[0].fail_code = -EIO;
    t.src[1].nframes = 0;
    ot_log_set_level(OT_LOG_QUIET);
    take_run(&t);
    ot_log_set_level(OT_LOG_INFO);
    expect_end(&t, 0, SW_ORIGIN_SOURCES, 0, "all failed");
    UT_EQ_INT(t.rec.nevents, 1);
}

/* before_tick: a command staged there takes effect at that very tick. */
static void director(void *opaque, int64_t tick)
{
    Take *t = opaque;
    if (tick == 17)
        UT_EQ_INT(sw_switcher_cut(t->sw, 1), 0);
    if (tick == 23)
        UT_EQ_INT(sw_switcher_go(t->sw), 0);
    if (tick == 25)
        UT_EQ_INT(sw_switcher_end(t->sw), 0);
}

static void test_before_tick(void)
{
    Take t;
    take_init(&t, 3);
    t.cues = "go cut crane\n";
    t.before_tick = director;
    take_run(&t);
    expect_end(&t, 25, SW_ORIGIN_STOP, 0, "before_tick");
    for (int64_t i = 0; i < 25; i++)
        expect_prog(&t, i,
                    i < 17   ? 0
                    : i < 23 ? 1
                             : 2,
                    i, (i == 0 || i == 17 || i == 23) ? SW_PF_CUT : 0, "before_tick");
    expect_event(&t, 1, SW_EVENT_CUT, 17, 1, SW_ORIGIN_MANUAL, "before_tick");
    expect_event(&t, 2, SW_EVENT_CUT, 23, 2, SW_ORIGIN_GO, "before_tick");
    UT_EQ_INT(t.rec.events[2].cue_index, 0);
}

/* End cue: the frame at its time is not recorded. */
static void test_end_cue(void)
{
    Take t;
    take_init(&t, 2);
    t.cues = "10 cut close\n50 end\n";
    take_run(&t);
    expect_end(&t, 50, SW_ORIGIN_CUE, 0, "end cue");
    expect_prog(&t, 49, 1, 49, 0, "end cue");
    UT_EQ_INT(t.stats.cuts, 1);
}

/* sw_runner_stop from another thread ends the take at the next tick. */
typedef struct Stopper {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int go, stopped;
    SwRunner *runner;
    int64_t at; /* stop once this many frames are recorded */
} Stopper;

static Stopper stopper = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, NULL, 10};

static void *stopper_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&stopper.lock);
    while (!stopper.go)
        pthread_cond_wait(&stopper.cond, &stopper.lock);
    SwRunnerStats st;
    sw_runner_get_stats(stopper.runner, &st); /* stats are readable from any thread */
    sw_runner_stop(stopper.runner);
    stopper.stopped = 1;
    pthread_cond_broadcast(&stopper.cond);
    pthread_mutex_unlock(&stopper.lock);
    return NULL;
}

static void stop_progress(void *opaque, const SwRunnerStats *st)
{
    Take *t = opaque;
    if (st->ticks != stopper.at || st->ended)
        return;
    /* hand over to the other thread and wait until it has asked for the stop: a deterministic end tick */
    pthread_mutex_lock(&stopper.lock);
    stopper.runner = t->runner;
    stopper.go = 1;
    pthread_cond_broadcast(&stopper.cond);
    while (!stopper.stopped)
        pthread_cond_wait(&stopper.cond, &stopper.lock);
    pthread_mutex_unlock(&stopper.lock);
}

static void test_stop_thread(void)
{
    pthread_t th;
    UT_CHECK(pthread_create(&th, NULL, stopper_main, NULL) == 0);
    Take t;
    take_init(&t, 2);
    t.progress = stop_progress;
    take_run(&t);
    pthread_join(th, NULL);
    UT_EQ_INT(stopper.stopped, 1);
    expect_end(&t, 10, SW_ORIGIN_STOP, 0, "stop");
}

/* A sink error ends the take: END (stop) is sent, the error returned, every reference released. */
static void test_sink_error(void)
{
    Take t;
    Recorder other;
    take_init(&t, 2);
    rec_init(&other);
    t.second = &other;
    t.rec.fail_program_at = 20;
    ot_log_set_level(OT_LOG_QUIET);
    take_run(&t);
    ot_log_set_level(OT_LOG_INFO);
    expect_end(&t, 20, SW_ORIGIN_STOP, -EIO, "sink error");
    UT_EQ_INT(other.nevents, 2);
    UT_CHECK(other.ended);
    UT_EQ_INT(other.events[1].type, SW_EVENT_END);
    UT_EQ_INT(other.events[1].frame, 20);
    UT_EQ_INT(other.nprog, 20); /* the first sink failed before the second got frame 20 */

    /* an event callback failing at a cut */
    take_init(&t, 2);
    t.cues = "30 cut close\n";
    t.rec.fail_event_frame = 30;
    ot_log_set_level(OT_LOG_QUIET);
    take_run(&t);
    ot_log_set_level(OT_LOG_INFO);
    expect_end(&t, 30, SW_ORIGIN_STOP, -EBADF, "event error");
    UT_EQ_INT(t.rec.nevents, 3); /* START, the cut, END */
}

static void test_api(void)
{
    SwSwitcher *sw = sw_switcher_alloc(NULL, 2, 0);
    FakeSource fs[2] = {{.cam = 0, .rate = R30, .nframes = 1, .fail_at = -1, .stop_ns = -1},
                        {.cam = 1, .rate = R30, .nframes = 1, .fail_at = -1, .stop_ns = -1}};
    SwSource src[2] = {{.opaque = &fs[0], .name = "a", .pull = fake_pull}, {.opaque = &fs[1], .name = "b", .pull = fake_pull}};
    SwRunnerConfig cfg = {.rate = R30, .max_frames = -1};
    UT_CHECK(sw_runner_alloc(&cfg, sw, src, 1) == NULL); /* not the switcher's camera count */
    UT_CHECK(sw_runner_alloc(NULL, sw, src, 2) == NULL);
    SwRunnerConfig bad = {.rate = {0, 1}, .max_frames = -1};
    UT_CHECK(sw_runner_alloc(&bad, sw, src, 2) == NULL);
    src[1].pull = NULL;
    UT_CHECK(sw_runner_alloc(&cfg, sw, src, 2) == NULL);
    src[1].pull = fake_pull;
    SwRunner *r = sw_runner_alloc(&cfg, sw, src, 2);
    UT_CHECK(r != NULL);
    SwSink sink = {0};
    for (int i = 0; i < SW_MAX_SINKS; i++)
        UT_EQ_INT(sw_runner_add_sink(r, &sink), 0);
    UT_EQ_INT(sw_runner_add_sink(r, &sink), -ENOSPC);
    SwRunnerStats st;
    sw_runner_get_stats(r, &st);
    UT_EQ_INT(st.ticks, 0);
    UT_EQ_INT(st.ended, 0);
    sw_runner_stop(r); /* before the run: the take ends at tick 0 */
    UT_EQ_INT(sw_runner_run(r), 0);
    sw_runner_get_stats(r, &st);
    UT_EQ_INT(st.ticks, 0);
    UT_EQ_INT(st.end_origin, SW_ORIGIN_STOP);
    sw_runner_free(&r); /* frees without a run too */
    UT_CHECK(r == NULL);
    sw_runner_free(&r);
    sw_switcher_free(&sw);
}

/* program_only: the same program frame for frame, with fewer frames decoded; cameras far behind are sought. */
static void test_program_only(void)
{
    const char *cues = "0 cut wide\n60 cut close\n120 cut crane\n180 cut wide\n190 cut close\n"
                       "200 cut crane\n215 cut wide\n280 end\n";
    Take *full = calloc(1, sizeof(Take)), *lazy = calloc(1, sizeof(Take));
    take_init(full, 3);
    take_init(lazy, 3);
    full->cues = lazy->cues = cues;
    for (int i = 0; i < 3; i++)
        full->src[i].nframes = lazy->src[i].nframes = 300;
    lazy->src[2].rate = full->src[2].rate = (SwRate){25, 1}; /* a camera at another rate */
    lazy->program_only = 1;
    take_run(full);
    take_run(lazy);
    expect_end(lazy, 280, SW_ORIGIN_CUE, 0, "program_only");
    UT_EQ_INT(lazy->rec.nprog, full->rec.nprog);
    for (int64_t i = 0; i < full->rec.nprog && i < lazy->rec.nprog; i++) {
        const Rec *a = &full->rec.prog[i], *b = &lazy->rec.prog[i];
        UT_CHECKF(a->cam == b->cam && a->seq == b->seq && a->source == b->source,
                  "program_only: tick %lld: cam %d seq %lld, decoding all gives cam %d seq %lld", (long long)i,
                  b->cam, (long long)b->seq, a->cam, (long long)a->seq);
    }
    int64_t decoded_full = 0, decoded_lazy = 0, seeks = 0;
    for (int i = 0; i < 3; i++) {
        decoded_full += full->src[i].decoded;
        decoded_lazy += lazy->src[i].decoded;
        seeks += lazy->src[i].seeks;
    }
    /* Each camera is sought to each of its shots once, ahead of its cut, with a stop at the shot's end: wide at 0
     * (the program camera's stop), close and crane at 0, then at each cut the camera that left to its next shot
     * (wide at 60, close at 120, crane at 180, wide at 190); close at 200 and crane at 215 have no shot left. */
    UT_EQ_INT(seeks, 7);
    /* Only what the program shows is decoded: 269 frames (crane at 25 fps shows 64 frames over its 75 ticks), and
     * a few more: each camera's first frame at the start, which the seeks at tick 0 drop. */
    UT_CHECKF(decoded_lazy >= 269 && decoded_lazy <= 269 + 6, "program_only decoded %lld frames for 269",
              (long long)decoded_lazy);
    UT_CHECKF(decoded_lazy * 2 < decoded_full, "program_only decoded %lld frames, decoding all %lld",
              (long long)decoded_lazy, (long long)decoded_full);
    free(full);
    free(lazy);
}

/* program_only when the director changes the plan: a manual cut to a camera sought for a later shot, a go cue, a
 * timed cut taken back at its own tick, and --duration: the program is still the same frame for frame. */
static void plan_breaker(void *opaque, int64_t tick)
{
    Take *t = opaque;
    if (tick == 30)
        UT_EQ_INT(sw_switcher_cut(t->sw, 2), 0); /* crane, sought for its shot at 120 */
    if (tick == 70)
        UT_EQ_INT(sw_switcher_go(t->sw), 0); /* the go cue: drone */
    if (tick == 120)
        UT_EQ_INT(sw_switcher_cut(t->sw, 1), 0); /* takes back the timed cut to crane at this tick */
    if (tick == 150)
        UT_EQ_INT(sw_switcher_cut(t->sw, 0), 0); /* wide, which the plan has at 180 */
}

static void test_program_only_plan_changed(void)
{
    const char *cues = "0 cut wide\n60 cut close\ngo cut drone\n120 cut crane\n180 cut wide\n200 cut close\n";
    Take *full = calloc(1, sizeof(Take)), *lazy = calloc(1, sizeof(Take));
    take_init(full, 4);
    take_init(lazy, 4);
    full->cues = lazy->cues = cues;
    full->before_tick = lazy->before_tick = plan_breaker;
    full->max_frames = lazy->max_frames = 230;
    lazy->program_only = 1;
    take_run(full);
    take_run(lazy);
    expect_end(lazy, 230, SW_ORIGIN_DURATION, 0, "program_only, plan changed");
    UT_EQ_INT(lazy->rec.nprog, full->rec.nprog);
    for (int64_t i = 0; i < full->rec.nprog && i < lazy->rec.nprog; i++) {
        const Rec *a = &full->rec.prog[i], *b = &lazy->rec.prog[i];
        UT_CHECKF(a->cam == b->cam && a->seq == b->seq && a->flags == b->flags,
                  "program_only, plan changed: tick %lld: cam %d seq %lld flags %u, decoding all gives cam %d "
                  "seq %lld flags %u",
                  (long long)i, b->cam, (long long)b->seq, b->flags, a->cam, (long long)a->seq, a->flags);
    }
    free(full);
    free(lazy);
}

/* program_only when the program camera ends: every camera is brought up to date, and the take ends when they all
 * have, as without program_only. */
static void test_program_only_sources_end(void)
{
    Take *t = calloc(1, sizeof(Take));
    take_init(t, 2);
    t->cues = "0 cut wide\n50 cut close\n";
    t->src[0].nframes = 100;
    t->src[1].nframes = 80;
    t->program_only = 1;
    take_run(t);
    expect_end(t, 100, SW_ORIGIN_SOURCES, 0, "program_only, sources end");
    expect_prog(t, 79, 1, 79, 0, "program_only, close's last frame");
    expect_prog(t, 80, 1, 79, SW_PF_REPEAT | SW_PF_LOST, "program_only, close held");
    free(t);
}

int main(void)
{
    test_api();
    test_same_rate();
    test_late_source();
    test_25_into_30();
    test_60_into_30();
    test_source_ends_early();
    test_max_frames();
    test_failing_source();
    test_failing_from_start();
    test_before_tick();
    test_end_cue();
    test_stop_thread();
    test_sink_error();
    test_program_only();
    test_program_only_plan_changed();
    test_program_only_sources_end();
    return ut_finish("test_runner");
}
