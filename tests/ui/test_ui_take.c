/* The multiview on a fake take, without GStreamer: three cameras of solid colours from fake runner sources
 * (the third ends after 10 frames), previews of the same colours, and a fake program audio source, which is
 * how a meter source plugs in (UiTake.get_audio). The runner runs paced on its own thread, the window on this
 * one, and takes a screenshot at frame 20. Then, in the PNG: each tile shows its camera's colour, the third
 * says NO SIGNAL, and the meter strip shows the levels (green up to -18 dBFS, yellow above). Every frame is
 * released at the end.
 *
 *   test_ui_take OUT.png      (needs a display: run it through run_xvfb.sh) */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include <SDL.h>
#include <SDL_image.h>

#include "ot_common.h"
#include "ui.h"

#define NCAMS 3
#define TAKE_FRAMES 45
#define SHOT_FRAME 20
#define ENDS_AFTER 10 /* camera 3's frames */

static const SwRate R30 = {30, 1};
/* BT.601 studio-range YUV of red, green, blue, and the RGB they come back as (roughly) */
static const unsigned char yuv[NCAMS][3] = {{81, 90, 240}, {145, 54, 34}, {41, 240, 110}};
static const unsigned char rgb[NCAMS][3] = {{255, 0, 0}, {0, 255, 0}, {0, 0, 255}};

typedef struct Fake {
    int cam;
    int64_t pulled;
} Fake;

static OtFrame *solid(int cam, int w, int h, int64_t seq)
{
    OtFrame *f = ot_frame_alloc_buffer(w, h, OT_PIX_I420);
    if (!f)
        return NULL;
    for (int p = 0; p < 3; p++)
        for (int y = 0; y < ot_frame_plane_height(f, p); y++)
            memset(f->data[p] + (size_t)y * f->linesize[p], yuv[cam][p], (size_t)ot_frame_plane_width(f, p));
    f->source = cam;
    f->seq = seq;
    f->pts_ns = sw_rate_frame_to_ns(R30, seq);
    return f;
}

static int fake_pull(void *opaque, OtFrame **out)
{
    Fake *fs = opaque;
    if (fs->cam == 2 && fs->pulled >= ENDS_AFTER)
        return OT_ERROR_EOF;
    *out = solid(fs->cam, 32, 18, fs->pulled++);
    return *out ? 0 : -ENOMEM;
}

typedef struct Take {
    SwRunner *runner;
    atomic_int done;
    int ret;
} Take;

static void *program_thread(void *opaque)
{
    Take *t = opaque;
    t->ret = sw_runner_run(t->runner);
    atomic_store(&t->done, 1);
    return NULL;
}

static OtFrame *get_preview(void *opaque, int cam, int64_t at_ns)
{
    return solid(cam, 64, 36, at_ns < 0 ? 0 : at_ns / 33333333);
}

static int get_audio(void *opaque, UiAudioLevel *lv)
{
    lv->channels = 2;
    lv->peak_dbfs[0] = -3.0f;
    lv->peak_dbfs[1] = -9.0f;
    lv->rms_dbfs[0] = -12.0f;
    lv->rms_dbfs[1] = -20.0f;
    return 0;
}

static int is_done(void *opaque)
{
    Take *t = opaque;
    return atomic_load(&t->done);
}

static int failures;

static void check(int ok, const char *what)
{
    printf("%s: %s\n", ok ? "ok" : "FAIL", what);
    failures += !ok;
}

static const unsigned char *px(SDL_Surface *s, int x, int y)
{
    return (const unsigned char *)s->pixels + (size_t)y * s->pitch + (size_t)x * 3;
}

/* Share of the pixels of r for which test(pixel) holds. */
static double share(SDL_Surface *s, UiRect r, int (*test)(const unsigned char *p, const void *arg),
                    const void *arg)
{
    long n = 0, hit = 0;
    for (int y = r.y; y < r.y + r.h && y < s->h; y++)
        for (int x = r.x; x < r.x + r.w && x < s->w; x++) {
            n++;
            hit += test(px(s, x, y), arg);
        }
    return n ? (double)hit / n : 0;
}

static int near_colour(const unsigned char *p, const void *arg)
{
    const unsigned char *c = arg;
    return abs(p[0] - c[0]) < 60 && abs(p[1] - c[1]) < 60 && abs(p[2] - c[2]) < 60;
}

static int is_green(const unsigned char *p, const void *arg)
{
    return p[1] > 150 && p[0] < 100 && p[2] < 140;
}

static int is_yellow(const unsigned char *p, const void *arg)
{
    return p[0] > 200 && p[1] > 180 && p[2] < 120;
}

static int is_red(const unsigned char *p, const void *arg)
{
    return p[0] > 180 && p[1] < 90 && p[2] < 90;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_ui_take OUT.png\n");
        return 2;
    }
    const char *names[NCAMS] = {"red", "green", "blue"};
    SwSwitcher *sw = sw_switcher_alloc(NULL, NCAMS, 0);
    Fake fakes[NCAMS];
    SwSource src[NCAMS];
    for (int i = 0; i < NCAMS; i++) {
        fakes[i] = (Fake){.cam = i};
        src[i] = (SwSource){.opaque = &fakes[i], .name = names[i], .pull = fake_pull};
    }
    SwRunnerConfig rc = {.rate = R30, .max_frames = TAKE_FRAMES, .realtime = 1};
    Take take = {.runner = sw ? sw_runner_alloc(&rc, sw, src, NCAMS) : NULL};
    UiConfig cfg = {
        .cams = names,
        .ncams = NCAMS,
        .rate = R30,
        .program_width = 1280,
        .program_height = 720,
        .screenshot_path = argv[1],
        .screenshot_frame = SHOT_FRAME,
    };
    Ui *ui = take.runner ? ui_alloc(&cfg) : NULL;
    if (!ui) {
        fprintf(stderr, "test_ui_take: no switcher, runner or window (is there a display?)\n");
        return 2;
    }
    pthread_t thread;
    pthread_create(&thread, NULL, program_thread, &take);
    UiTake ut = {
        .sw = sw,
        .runner = take.runner,
        .max_frames = TAKE_FRAMES,
        .opaque = &take,
        .get_preview = get_preview,
        .get_audio = get_audio,
        .is_done = is_done,
    };
    check(ui_run(ui, &ut) == 0, "the window ran the take");
    pthread_join(thread, NULL);
    ui_free(&ui);
    SwRunnerStats st;
    sw_runner_get_stats(take.runner, &st);
    check(take.ret == 0 && st.ticks == TAKE_FRAMES, "the take has all its frames");
    sw_runner_free(&take.runner);
    sw_switcher_free(&sw);
    check(ot_frame_live_count() == 0, "every frame released");

    SDL_Surface *raw = IMG_Load(argv[1]);
    SDL_Surface *s = raw ? SDL_ConvertSurfaceFormat(raw, SDL_PIXELFORMAT_RGB24, 0) : NULL;
    check(s != NULL, "the screenshot can be read");
    if (s) {
        UiLayout l;
        ui_layout_compute(s->w, s->h, NCAMS, 16, 9, 1, &l);
        for (int i = 0; i < 2; i++) {
            char what[64];
            snprintf(what, sizeof(what), "tile %d shows %s", i + 1, names[i]);
            check(share(s, l.tile[i], near_colour, rgb[i]) > 0.9, what);
        }
        check(share(s, l.tile[2], is_red, NULL) > 0.001, "tile 3 (ended) says NO SIGNAL in red");
        check(share(s, l.tile[2], near_colour, rgb[2]) < 0.5, "tile 3 (ended) is dimmed");
        check(l.meter.w > 0 && share(s, l.meter, is_green, NULL) > 0.05, "the meter shows green (below -18)");
        check(share(s, l.meter, is_yellow, NULL) > 0.01, "the meter shows yellow (-18 to -6 dBFS)");
    }
    SDL_FreeSurface(s);
    SDL_FreeSurface(raw);
    IMG_Quit();
    SDL_Quit();
    printf("%s\n", failures ? "FAILED" : "ok: the multiview on a fake take");
    return failures ? 1 : 0;
}
