/* Unit test of the multiview layout (ui_layout_compute, ui_layout_hit, ui_preview_size): pure arithmetic, no
 * window. For 1 to UI_MAX_CAMS cameras and window sizes from tiny to 4K: everything inside the window, no two
 * frames overlap, pictures keep the program's aspect ratio, the panel's parts nest, the hit test finds every
 * tile and pane, and at 1280x720 with up to 9 cameras tiles and text are big enough to read.
 *
 *   test_ui_layout                     run the checks
 *   test_ui_layout --print W H N AW AH print the rectangles ("NAME X Y W H CX CY" per line) for scripts */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui.h"

static int failures;

#define CHECK(cond, ...)                                                                                     \
    do {                                                                                                     \
        if (!(cond)) {                                                                                       \
            printf("FAIL %s:%d: ", __FILE__, __LINE__);                                                      \
            printf(__VA_ARGS__);                                                                             \
            printf("\n");                                                                                    \
            failures++;                                                                                      \
        }                                                                                                    \
    } while (0)

static int inside(UiRect in, UiRect out)
{
    return in.x >= out.x && in.y >= out.y && in.x + in.w <= out.x + out.w && in.y + in.h <= out.y + out.h &&
           in.w > 0 && in.h > 0;
}

static int overlap(UiRect a, UiRect b)
{
    return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

static void print_rect(const char *name, UiRect r)
{
    printf("%s %d %d %d %d %d %d\n", name, r.x, r.y, r.w, r.h, r.x + r.w / 2, r.y + r.h / 2);
}

static int print_layout(char **argv)
{
    UiLayout l;
    ui_layout_compute(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]), atoi(argv[5]), atoi(argv[6]), 0, &l);
    print_rect("preview", l.preview);
    print_rect("program", l.program);
    print_rect("panel", l.panel);
    print_rect("clock", l.clock);
    for (int i = 0; i < l.ncams; i++) {
        char name[32];
        snprintf(name, sizeof(name), "tile%d", i + 1);
        print_rect(name, l.tile[i]);
    }
    return 0;
}

/* |w/h - aw/ah| within the rounding of one pixel */
static int aspect_ok(UiRect r, int aw, int ah)
{
    long d = labs((long)r.w * ah - (long)r.h * aw);
    return d <= (long)aw + ah;
}

static void check(int W, int H, int n, int aw, int ah, int audio)
{
    UiLayout l;
    ui_layout_compute(W, H, n, aw, ah, audio, &l);
    UiRect win = {0, 0, l.width, l.height};
    CHECK(l.width == (W < UI_MIN_WIDTH ? UI_MIN_WIDTH : W) &&
              l.height == (H < UI_MIN_HEIGHT ? UI_MIN_HEIGHT : H),
          "%dx%d: laid out for %dx%d", W, H, l.width, l.height);
    CHECK(l.ncams == n, "%dx%d n=%d: ncams %d", W, H, n, l.ncams);
    UiRect frames[UI_MAX_CAMS + 3];
    int nf = 0;
    frames[nf++] = l.preview_frame;
    frames[nf++] = l.program_frame;
    frames[nf++] = l.panel;
    for (int i = 0; i < n; i++)
        frames[nf++] = l.tile_frame[i];
    for (int i = 0; i < nf; i++) {
        CHECK(inside(frames[i], win), "%dx%d n=%d: frame %d (%d,%d %dx%d) outside the window", W, H, n, i,
              frames[i].x, frames[i].y, frames[i].w, frames[i].h);
        for (int j = i + 1; j < nf; j++)
            CHECK(!overlap(frames[i], frames[j]), "%dx%d n=%d: frames %d and %d overlap", W, H, n, i, j);
    }
    CHECK(aspect_ok(l.preview, aw, ah) && aspect_ok(l.program, aw, ah), "%dx%d: pane aspect", W, H);
    CHECK(inside(l.preview, l.preview_frame) && inside(l.preview_label, l.preview_frame), "%dx%d: preview", W,
          H);
    CHECK(inside(l.program, l.program_frame) && inside(l.program_label, l.program_frame), "%dx%d: program", W,
          H);
    CHECK(!overlap(l.preview, l.preview_label), "%dx%d: preview label over the picture", W, H);
    for (int i = 0; i < n; i++) {
        CHECK(aspect_ok(l.tile[i], aw, ah), "%dx%d n=%d: tile %d is %dx%d, not %d:%d", W, H, n, i,
              l.tile[i].w, l.tile[i].h, aw, ah);
        CHECK(inside(l.tile[i], l.tile_frame[i]) && inside(l.tile_label[i], l.tile_frame[i]) &&
                  !overlap(l.tile[i], l.tile_label[i]),
              "%dx%d n=%d: tile %d parts", W, H, n, i);
        /* the ring: the picture sits `border` inside its frame */
        CHECK(l.tile[i].x - l.tile_frame[i].x == l.border, "%dx%d n=%d: tile %d border", W, H, n, i);
        UiRect t = l.tile[i];
        CHECK(ui_layout_hit(&l, t.x + t.w / 2, t.y + t.h / 2) == i, "%dx%d n=%d: hit tile %d", W, H, n, i);
        CHECK(ui_layout_hit(&l, l.tile_label[i].x + 1, l.tile_label[i].y + 1) == i, "%dx%d: hit label %d", W,
              H, i);
        if (i > 0)
            CHECK(l.tile[i].w == l.tile[0].w && l.tile[i].h == l.tile[0].h, "%dx%d n=%d: tiles differ", W, H,
                  n);
    }
    CHECK(ui_layout_hit(&l, l.preview.x + 2, l.preview.y + 2) == UI_HIT_PREVIEW, "%dx%d: hit preview", W, H);
    CHECK(ui_layout_hit(&l, l.program.x + 2, l.program.y + 2) == UI_HIT_PROGRAM, "%dx%d: hit program", W, H);
    CHECK(ui_layout_hit(&l, l.panel.x + 2, l.panel.y + 2) == UI_HIT_NONE, "%dx%d: hit panel", W, H);
    CHECK(inside(l.clock, l.panel) && inside(l.hint, l.panel), "%dx%d: clock and hint in the panel", W, H);
    CHECK(!overlap(l.clock, l.hint), "%dx%d: clock over the hint", W, H);
    if (l.cue_rows > 0)
        CHECK(inside(l.cues, l.panel) && !overlap(l.cues, l.clock) && !overlap(l.cues, l.hint), "%dx%d: cues",
              W, H);
    if (audio) {
        CHECK(inside(l.meter, win), "%dx%d: the meter outside the window", W, H);
        for (int i = 0; i < nf; i++)
            CHECK(!overlap(l.meter, frames[i]), "%dx%d n=%d: the meter over frame %d", W, H, n, i);
    } else {
        CHECK(l.meter.w == 0 && l.meter.h == 0, "%dx%d: a meter area without audio", W, H);
    }
    if (W == 1280 && H == 720 && n <= 9) {
        /* readable at 1280x720: sizes as the side of a square of the same area (a 16:9 tile of 150 is
         * 200x112) */
        double tile = sqrt((double)l.tile[0].w * l.tile[0].h), pane = sqrt((double)l.program.w * l.program.h);
        CHECK(tile >= 150, "1280x720 n=%d %d:%d: tiles only %dx%d", n, aw, ah, l.tile[0].w, l.tile[0].h);
        CHECK(pane >= 240 && pane >= tile, "1280x720 n=%d %d:%d: program only %dx%d", n, aw, ah, l.program.w,
              l.program.h);
        CHECK(l.font_px >= 14, "1280x720: text %d px", l.font_px);
        CHECK(l.cue_rows >= 3, "1280x720 n=%d %d:%d: %d cue rows", n, aw, ah, l.cue_rows);
    }
}

int main(int argc, char **argv)
{
    if (argc == 7 && !strcmp(argv[1], "--print"))
        return print_layout(argv);
    static const int sizes[][2] = {{1280, 720}, {1920, 1080}, {3840, 2160}, {1024, 768}, {800, 600},
                                   {640, 360},  {1280, 1024}, {2560, 1080}, {320, 200},  {100, 50}};
    static const int aspects[][2] = {{16, 9}, {4, 3}, {640, 360}, {1, 1}, {9, 16}};
    for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++)
        for (size_t a = 0; a < sizeof(aspects) / sizeof(aspects[0]); a++)
            for (int n = 1; n <= UI_MAX_CAMS; n++)
                for (int audio = 0; audio <= 1; audio++)
                    check(sizes[s][0], sizes[s][1], n, aspects[a][0], aspects[a][1], audio);
    int w, h;
    ui_preview_size(1920, 1080, &w, &h);
    CHECK(w == 480 && h == 270, "preview of 1920x1080: %dx%d", w, h);
    ui_preview_size(320, 180, &w, &h);
    CHECK(w == 320 && h == 180, "preview of 320x180: %dx%d", w, h);
    ui_preview_size(720, 576, &w, &h);
    CHECK(w == 480 && h % 2 == 0 && h == 384, "preview of 720x576: %dx%d", w, h);
    if (failures) {
        printf("%d failure(s)\n", failures);
        return 1;
    }
    printf("ok: layouts for 1-%d cameras, %zu window sizes, %zu aspect ratios\n", UI_MAX_CAMS,
           sizeof(sizes) / sizeof(sizes[0]), sizeof(aspects) / sizeof(aspects[0]));
    return 0;
}
