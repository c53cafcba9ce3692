/* Unit test: live takes and program audio in the switcher library alone.
 *
 * - SwAudioRing: samples placed by position (not counted), holes read as silence, contiguity within the
 *   tolerance, late and overflowed frames counted, the lockstep writer waiting for room.
 * - The runner in live mode with a manual clock (like GstTestClock): fake live cameras whose frames are
 * captured on their own grid and arrive after a delay; the runner polls them on the clock. Frame-rate conform
 * (25, 50 and 29.97 fps into 30, each program frame checked against the rule), repeats/drops declared once a
 * second, a camera lost and back (hold, slate, anomalies), the program audio (continuous, gaps declared), and
 * the runner never waiting on a camera. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ot_common.h"
#include "sw_audio.h"
#include "sw_runner.h"
#include "ut.h"

#define NS 1000000000LL
#define MAX_TICKS 1024
static const SwRate R30 = {30, 1};

/* ---- the audio ring ---- */

static void fill(SwSample *buf, int n, int64_t pos)
{
    for (int i = 0; i < n; i++)
        buf[2 * i] = buf[2 * i + 1] = (SwSample)((pos + i) % 30000 + 1); /* never 0: silence is visible */
}

static int check_span(const SwSample *buf, int n, int64_t pos, int64_t hole_from, int64_t hole_to)
{
    for (int i = 0; i < n; i++) {
        int64_t p = pos + i;
        SwSample want = p >= hole_from && p < hole_to ? 0 : (SwSample)(p % 30000 + 1);
        if (buf[2 * i] != want || buf[2 * i + 1] != want)
            return 0;
    }
    return 1;
}

static void test_ring(void)
{
    SwAudioRing *r = sw_audio_ring_alloc(4800, 2, 48);
    SwSample in[2 * 2000], out[2 * 2000];
    SwAudioRingStats st;
    UT_CHECK(r != NULL);

    /* Blocks placed by position: 1000 frames at 5000, then a hole of 600, then 400 at 6600. */
    fill(in, 1000, 5000);
    UT_EQ_INT(sw_audio_ring_write(r, 5000, in, 1000, 0), 0);
    fill(in, 400, 6600);
    UT_EQ_INT(sw_audio_ring_write(r, 6600, in, 400, 0), 0);
    UT_EQ_INT(sw_audio_ring_read(r, 5000, 2000, out, 0, NULL), 600);
    UT_CHECK(check_span(out, 2000, 5000, 6000, 6600));
    sw_audio_ring_get_stats(r, &st);
    UT_EQ_INT(st.resyncs, 1);

    /* Within the tolerance (48 frames) a block continues the previous one: no click of silence. */
    fill(in, 1000, 7000);
    UT_EQ_INT(sw_audio_ring_write(r, 7000 + 20, in, 1000, 0), 0);
    UT_EQ_INT(sw_audio_ring_read(r, 7000, 1000, out, 0, NULL), 0);
    UT_CHECK(check_span(out, 1000, 7000, 0, 0));

    /* Too late: positions already read are dropped and counted. */
    fill(in, 500, 7800);
    sw_audio_ring_discont(r);
    UT_EQ_INT(sw_audio_ring_write(r, 7800, in, 500, 0), 0);
    sw_audio_ring_get_stats(r, &st);
    UT_EQ_INT(st.late, 200);
    UT_EQ_INT(sw_audio_ring_read(r, 8000, 300, out, 0, NULL), 0);

    /* Live: a reader that falls behind loses the oldest frames, counted. */
    sw_audio_ring_discont(r);
    for (int64_t p = 8300; p < 8300 + 6000; p += 1000) {
        fill(in, 1000, p);
        UT_EQ_INT(sw_audio_ring_write(r, p, in, 1000, 0), 0);
    }
    sw_audio_ring_get_stats(r, &st);
    UT_EQ_INT(st.overflow, 1200); /* 6000 written into a window of 4800 */
    UT_EQ_INT(sw_audio_ring_read(r, 8300, 2000, out, 0, NULL), 1200);
    UT_CHECK(check_span(out, 2000, 8300, 8300, 9500));

    /* A read that waits gives up at its deadline and says so; ended rings are not waited for. */
    int timed_out = 0;
    UT_EQ_INT(sw_audio_ring_read(r, 20000, 100, out, 20000000, &timed_out), 100);
    UT_EQ_INT(timed_out, 1);
    sw_audio_ring_end(r);
    UT_EQ_INT(sw_audio_ring_read(r, 20100, 100, out, NS, &timed_out), 100);
    UT_EQ_INT(timed_out, 0);
    sw_audio_ring_free(&r);
    UT_CHECK(r == NULL);

    /* Positions and ticks: exact integer arithmetic. */
    UT_EQ_INT(sw_audio_pos_from_ns(NS), 48000);
    UT_EQ_INT(sw_audio_pos_from_ns(-NS / 2), -24000);
    UT_EQ_INT(sw_audio_tick_pos(30, 1, 285), 456000);
    UT_EQ_INT(sw_audio_tick_pos(30000, 1001, 30000), 48048000);
    UT_EQ_INT(sw_audio_tick_pos(30000, 1001, 1) - sw_audio_tick_pos(30000, 1001, 0), 1601);
}

/* ---- a manual clock and fake live cameras ---- */

typedef struct Clock {
    int64_t now;
    int64_t waits;
} Clock;

static int64_t clk_now(void *opaque)
{
    return ((Clock *)opaque)->now;
}

static void clk_wait(void *opaque, int64_t t)
{
    Clock *c = opaque;
    if (t > c->now)
        c->now = t;
    c->waits++;
}

typedef struct Live {
    Clock *clock;
    int cam;
    SwRate rate;              /* its own frame rate */
    int64_t first_ns;         /* capture time of frame 0 (CLOCK_MONOTONIC) */
    int64_t delay_ns;         /* capture to arrival */
    int64_t next;             /* next frame to hand out */
    int64_t gap_from, gap_to; /* frames never delivered (the camera is down), -1 */
    int64_t lost_after_ns;
    OtFrame *slate;
    int64_t polls;
} Live;

static int64_t cap_time(const Live *l, int64_t k)
{
    return l->first_ns + k * NS * l->rate.den / l->rate.num;
}

static int live_poll(void *opaque, OtFrame **out)
{
    Live *l = opaque;
    l->polls++;
    *out = NULL;
    if (l->gap_from >= 0 && l->next >= l->gap_from && l->next < l->gap_to)
        l->next = l->gap_to; /* what it captured while down never comes */
    int64_t arrival = cap_time(l, l->next) + l->delay_ns;
    if (arrival > l->clock->now) {
        /* Nothing now; lost when the last frame came more than lost_after ago (capture's supervisor). */
        int64_t last = l->gap_from >= 0 && l->next == l->gap_to ? cap_time(l, l->gap_from - 1) + l->delay_ns
                                                                : cap_time(l, l->next - 1) + l->delay_ns;
        return l->clock->now - last > l->lost_after_ns ? OT_ERROR_SOURCE : -EAGAIN;
    }
    OtFrame *f = ot_frame_alloc_buffer(16, 16, OT_PIX_I420);
    if (!f)
        return -ENOMEM;
    f->source = l->cam;
    f->seq = l->next;
    f->pts_ns = cap_time(l, l->next);
    f->arrival_ns = arrival;
    l->next++;
    *out = f;
    return 0;
}

static void live_reason(void *opaque, char *buf, int size)
{
    (void)opaque;
    snprintf(buf, (size_t)size, "no frame for 500 ms");
}

/* ---- a recording sink ---- */

typedef struct Prog {
    int cam, source;
    int64_t seq;
    unsigned flags;
} Prog;

typedef struct Rec {
    Prog prog[MAX_TICKS];
    int64_t nprog;
    SwAnomaly anoms[256];
    int nanoms;
    int64_t audio_next; /* first sample of the next audio block expected */
    int64_t audio_missing;
    int audio_errors;
    SwSample first_value; /* audio of tick 0 */
} Rec;

static int rec_program(void *opaque, const SwProgramFrame *pf)
{
    Rec *r = opaque;
    if (r->nprog < MAX_TICKS && pf->tick == r->nprog)
        r->prog[r->nprog++] = (Prog){pf->cam, pf->frame->source, pf->frame->seq, pf->flags};
    return 0;
}

static int rec_anomaly(void *opaque, const SwAnomaly *a)
{
    Rec *r = opaque;
    if (r->nanoms < 256)
        r->anoms[r->nanoms++] = *a;
    return 0;
}

static int rec_audio(void *opaque, int track, int64_t first, const SwSample *samples, int n, int channels,
                     int missing)
{
    Rec *r = opaque;
    if (track != 0 || channels != SW_AUDIO_CHANNELS)
        r->audio_errors++;
    if (first != r->audio_next)
        r->audio_errors++;
    if (first == 0 && n > 0)
        r->first_value = samples[0];
    r->audio_next = first + n;
    r->audio_missing += missing;
    return 0;
}

static int64_t declared(const Rec *r, SwAnomalyKind kind, int cam)
{
    int64_t n = 0;
    for (int i = 0; i < r->nanoms; i++)
        if (r->anoms[i].kind == kind && r->anoms[i].cam == cam)
            n += r->anoms[i].count;
    return n;
}

/* A fake audio source: audio frame k of the take is (k % 1000) + 1, except [hole_from, hole_to) never
 * arrived. */
typedef struct FakeAudio {
    int64_t hole_from, hole_to;
    int64_t origin;
} FakeAudio;

static int audio_read(void *opaque, int64_t origin_ns, int64_t pos, int n, SwSample *out, int wait)
{
    FakeAudio *a = opaque;
    int missing = 0;
    a->origin = origin_ns;
    (void)wait;
    for (int i = 0; i < n; i++) {
        int64_t p = pos + i;
        int hole = p >= a->hole_from && p < a->hole_to;
        out[2 * i] = out[2 * i + 1] = hole ? 0 : (SwSample)(p % 1000 + 1);
        missing += hole;
    }
    return missing;
}

/* ---- live takes ---- */

typedef struct LiveTake {
    int ncams;
    Live cams[3];
    int64_t ticks;
    SwRunnerConfig cfg;
    Clock clock;
    Rec rec;
    SwRunnerStats st;
    FakeAudio audio;
} LiveTake;

static void live_init(LiveTake *t, int ncams)
{
    memset(t, 0, sizeof(*t));
    t->ncams = ncams;
    t->clock.now = 10 * NS; /* the roll */
    for (int i = 0; i < ncams; i++)
        t->cams[i] = (Live){.clock = &t->clock,
                            .cam = i,
                            .rate = R30,
                            .first_ns = 9 * NS + 7000000,
                            .delay_ns = 20000000,
                            .gap_from = -1,
                            .gap_to = -1,
                            .lost_after_ns = NS / 2};
    t->ticks = 300;
    t->cfg = (SwRunnerConfig){.rate = R30,
                              .live = 1,
                              .roll_ns = 10 * NS,
                              .latency_ns = 66666667,
                              .hold_ns = NS / 2,
                              .clock_now = clk_now,
                              .clock_wait_until = clk_wait};
}

static void live_run(LiveTake *t)
{
    static const char *const names[] = {"a", "b", "c"};
    SwSwitcher *sw = sw_switcher_alloc(NULL, t->ncams, 0);
    SwSource src[3];
    t->cfg.max_frames = t->ticks;
    t->cfg.clock_opaque = &t->clock;
    for (int i = 0; i < t->ncams; i++) {
        t->cams[i].slate = ot_frame_alloc_buffer(16, 16, OT_PIX_I420);
        t->cams[i].slate->source = -1;
        t->cams[i].next = 0;
        /* Frames captured before the roll that are still in capture's queue: the last 3. */
        while (cap_time(&t->cams[i], t->cams[i].next) < t->cfg.roll_ns - 3 * NS / 30)
            t->cams[i].next++;
        src[i] = (SwSource){.opaque = &t->cams[i],
                            .name = names[i],
                            .live = 1,
                            .poll = live_poll,
                            .lost_reason = live_reason,
                            .slate = t->cams[i].slate};
    }
    SwRunner *r = sw_runner_alloc(&t->cfg, sw, src, t->ncams);
    UT_CHECK(r != NULL);
    SwSink sink = {
        .opaque = &t->rec, .program_frame = rec_program, .anomaly = rec_anomaly, .program_audio = rec_audio};
    sw_runner_add_sink(r, &sink);
    UT_EQ_INT(sw_runner_run(r), 0);
    sw_runner_get_stats(r, &t->st);
    sw_runner_free(&r);
    sw_switcher_free(&sw);
    for (int i = 0; i < t->ncams; i++)
        ot_frame_unref(&t->cams[i].slate);
    UT_EQ_INT(t->rec.nprog, t->ticks);
}

/* The frame of camera l for tick i by docs/contract.md's rule: the latest captured at or before roll + i/fps. */
static int64_t rule(const LiveTake *t, const Live *l, int64_t i)
{
    int64_t at = t->cfg.roll_ns + i * NS / 30 + SW_RUNNER_TOLERANCE_NS;
    int64_t k = (at - l->first_ns) * l->rate.num / (NS * l->rate.den);
    while (cap_time(l, k + 1) <= at)
        k++;
    while (k > 0 && cap_time(l, k) > at)
        k--;
    return k;
}

static void test_conform(SwRate rate, int64_t want_repeats, int64_t want_drops)
{
    LiveTake t;
    live_init(&t, 1);
    t.cams[0].rate = rate;
    live_run(&t);
    int wrong = 0;
    for (int64_t i = 0; i < t.ticks; i++)
        wrong += t.rec.prog[i].seq != rule(&t, &t.cams[0], i);
    UT_CHECKF(wrong == 0, "%d/%d: %d program frames are not the latest captured at or before their tick",
              rate.num, rate.den, wrong);
    const SwCamStats *c = &t.st.cams[0];
    UT_CHECKF(llabs(c->repeats - want_repeats) <= 1 && llabs(c->drops - want_drops) <= 1,
              "%d/%d into 30: %lld repeats, %lld drops, expected %lld and %lld", rate.num, rate.den,
              (long long)c->repeats, (long long)c->drops, (long long)want_repeats, (long long)want_drops);
    /* Every one declared, once a second of media, never a record per frame. */
    UT_EQ_INT(declared(&t.rec, SW_ANOMALY_CAMERA_REPEAT, 0), c->repeats);
    UT_EQ_INT(declared(&t.rec, SW_ANOMALY_CAMERA_DROP, 0), c->drops);
    UT_CHECKF(t.rec.nanoms <= 2 * (t.ticks / 30 + 1), "%d anomaly records for %lld ticks", t.rec.nanoms,
              (long long)t.ticks);
    UT_EQ_INT(c->late, 0);
    UT_CHECKF(c->latency_max_ns <= t.cfg.latency_ns + NS / 30, "latency %lld", (long long)c->latency_max_ns);
    UT_EQ_INT(t.st.live, 1);
    UT_EQ_INT(ot_frame_live_count(), 0);
}

static int64_t due(const LiveTake *t, int64_t i)
{
    return t->cfg.roll_ns + t->cfg.latency_ns + sw_rate_frame_to_ns(t->cfg.rate, i);
}

static void test_lost_and_back(void)
{
    LiveTake t;
    live_init(&t, 2);
    /* Camera a (on program: the first camera) is down from its frame 120 to its frame 210 (3 s). */
    t.cams[0].gap_from = 120;
    t.cams[0].gap_to = 210;
    Live g = t.cams[0]; /* its parameters, for the expectations */
    live_run(&t);

    /* Found lost at the first tick after lost_after without a frame; held for hold_ns (15 ticks), then the
     * slate; back (polled) once frame 210 has arrived; shown once its capture time is due. */
    int64_t last_arrival = cap_time(&g, 119) + g.delay_ns, i_lost = 0, i_back = 0, i_shown = 0;
    while (due(&t, i_lost) - last_arrival <= g.lost_after_ns)
        i_lost++;
    while (due(&t, i_back) < cap_time(&g, 210) + g.delay_ns)
        i_back++;
    i_shown = i_back;
    while (cap_time(&g, 210) - t.cfg.roll_ns > sw_rate_frame_to_ns(R30, i_shown) + SW_RUNNER_TOLERANCE_NS)
        i_shown++;
    for (int64_t i = 0; i < t.ticks; i++) {
        const Prog *p = &t.rec.prog[i];
        unsigned want = i < i_lost ? 0 : i < i_lost + 15 ? SW_PF_LOST : i < i_shown ? SW_PF_SLATE : 0;
        unsigned got = p->flags & (SW_PF_LOST | SW_PF_SLATE);
        UT_CHECKF(got == want,
                  "tick %lld: flags %#x, expected %#x (lost at %lld, back at %lld, shown at %lld)",
                  (long long)i, p->flags, want, (long long)i_lost, (long long)i_back, (long long)i_shown);
        if (want == SW_PF_SLATE)
            UT_CHECK(p->source == -1 && p->cam == 0);
        if (want == SW_PF_LOST)
            UT_EQ_INT(p->seq, 119); /* its last frame, held */
        if (i >= i_shown)
            UT_EQ_INT(p->seq, rule(&t, &g, i));
    }
    UT_EQ_INT(declared(&t.rec, SW_ANOMALY_CAMERA_LOST, 0), 1);
    UT_EQ_INT(declared(&t.rec, SW_ANOMALY_CAMERA_BACK, 0), i_back - i_lost); /* n: ticks it was lost */
    UT_EQ_INT(t.st.cams[0].losses, 1);
    UT_EQ_INT(t.st.cams[0].failed, 0); /* back */
    UT_EQ_INT(t.st.cams[0].slate_ticks, i_shown - i_lost - 15);
    UT_EQ_INT(declared(&t.rec, SW_ANOMALY_CAMERA_LOST, 1), 0); /* the other camera never was */
    UT_EQ_INT(ot_frame_live_count(), 0);
}

static void test_audio(SwAudioMode mode)
{
    LiveTake t;
    live_init(&t, 1);
    t.ticks = 95;
    t.audio.hole_from = 48000;
    t.audio.hole_to = 48000 + 4800; /* 0.1 s never arrived */
    t.cfg.audio = mode;
    SwAudioSource a = {.opaque = &t.audio, .name = "fake", .live = 1, .read = audio_read};
    if (mode == SW_AUDIO_SOURCE)
        t.cfg.audio_src = a;
    live_run(&t); /* SW_AUDIO_FOLLOW_VIDEO: the camera has no audio: every tick silence */
    UT_EQ_INT(t.rec.audio_errors, 0);
    UT_EQ_INT(t.rec.audio_next, 95 * 1600); /* continuous, exactly the take's length */
    UT_EQ_INT(t.st.audio_frames, 95 * 1600);
    int64_t want_missing = mode == SW_AUDIO_SOURCE ? 4800 : 95 * 1600;
    UT_EQ_INT(t.rec.audio_missing, want_missing);
    UT_EQ_INT(declared(&t.rec, SW_ANOMALY_AUDIO_GAP, -1), want_missing);
    if (mode == SW_AUDIO_SOURCE) {
        UT_EQ_INT(t.audio.origin, t.cfg.roll_ns); /* a live source's timestamps go through the roll */
        UT_EQ_INT(t.rec.first_value, 1);          /* take sample 0 is the source's sample at the roll */
        UT_CHECK(t.st.audio_peak[0] > 0);
    }
}

int main(void)
{
    test_ring();
    test_conform((SwRate){30, 1}, 0, 0);
    test_conform((SwRate){25, 1}, 50, 0);
    test_conform((SwRate){50, 1}, 0, 200);
    test_conform((SwRate){30000, 1001}, 0, 0);
    test_lost_and_back();
    test_audio(SW_AUDIO_SOURCE);
    test_audio(SW_AUDIO_FOLLOW_VIDEO);
    return ut_finish("test_live");
}
