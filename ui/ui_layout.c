/* onetake ui: the multiview layout, pure arithmetic (no SDL), so that tests can check it for every camera
 * count and window size.
 *
 *   +----------------+ +----------------+ +-----------+
 *   | PREVIEW  name  | | PROGRAM  name  | | clock     |
 *   |   (green)      | |   (red)        | | cue list  |
 *   +----------------+ +----------------+ | hint      |
 *   +------+ +------+ +------+            +-----------+
 *   | tile | | tile | | tile |   tiles: the grid with the largest tiles that fits
 *   +------+ +------+ +------+
 */
#include <math.h>

#include "ui.h"

static int clampi(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

static int gcd(int a, int b)
{
    while (b) {
        int t = a % b;
        a = b;
        b = t;
    }
    return a;
}

static UiRect rect(int x, int y, int w, int h)
{
    UiRect r = {x, y, w, h};
    return r;
}

void ui_preview_size(int program_width, int program_height, int *width, int *height)
{
    /* 480 wide covers a tile or a pane of a 1280x720 window one to one; bigger panes upscale a little, which
     * a monitor can afford. Never larger than the program: that would cost without showing more. */
    int w = program_width < 480 ? program_width : 480;
    int h = (int)((int64_t)w * program_height / program_width);
    *width = clampi(w & ~1, 2, 8192);
    *height = clampi(h & ~1, 2, 8192);
}

/* A picture (pw x ph) with its label bar above (top_label) or below, inside a tally border, at (x, y). */
static void place(const UiLayout *l, int x, int y, int pw, int ph, int top_label, UiRect *pic, UiRect *label,
                  UiRect *frame)
{
    int b = l->border;
    *frame = rect(x, y, pw + 2 * b, ph + l->label_h + 2 * b);
    if (top_label) {
        *label = rect(x + b, y + b, pw, l->label_h);
        *pic = rect(x + b, y + b + l->label_h, pw, ph);
    } else {
        *pic = rect(x + b, y + b, pw, ph);
        *label = rect(x + b, y + b + ph, pw, l->label_h);
    }
}

/* The tile grid (cols x rows) with the largest tiles that fit in avail_w x avail_h: tile picture width, or 0.
 */
static int tile_grid(const UiLayout *l, int n, int avail_w, int avail_h, int aw, int ah, int *cols_out)
{
    int m = l->margin, b = l->border, best_tw = 0;
    *cols_out = 1;
    for (int cols = 1; cols <= n; cols++) {
        int rows = (n + cols - 1) / cols;
        int cw = (avail_w - (cols - 1) * m) / cols - 2 * b;
        int ch = (avail_h - (rows - 1) * m) / rows - 2 * b - l->label_h;
        int tw = (int)((int64_t)ch * aw / ah);
        if (cw < tw)
            tw = cw;
        if (tw > best_tw) {
            best_tw = tw;
            *cols_out = cols;
        }
    }
    return best_tw;
}

void ui_layout_compute(int width, int height, int ncams, int aspect_w, int aspect_h, int audio, UiLayout *l)
{
    /* Below 640x360 a multiview is no use; the window does not go smaller (UI_MIN_WIDTH/HEIGHT). */
    const int W = width < UI_MIN_WIDTH ? UI_MIN_WIDTH : width;
    const int H = height < UI_MIN_HEIGHT ? UI_MIN_HEIGHT : height;
    const int n = clampi(ncams, 1, UI_MAX_CAMS);
    if (aspect_w <= 0 || aspect_h <= 0)
        aspect_w = 16, aspect_h = 9;
    int g = gcd(aspect_w, aspect_h); /* 1280:720 is 16:9 */
    aspect_w /= g;
    aspect_h /= g;

    *l = (UiLayout){0};
    l->width = W;
    l->height = H;
    l->ncams = n;
    /* Everything scales with the window height: at 1280x720, 4 px borders, 15 px text, 24 px label bars. */
    l->border = clampi(H / 180, 2, 10);
    l->margin = 2 * l->border + clampi(H / 180, 2, 10);
    l->font_px = clampi(H / 46, 10, 30);
    l->big_px = l->font_px * 2;
    l->row_h = l->font_px * 4 / 3 + 2;
    l->label_h = l->row_h + 2;
    const int m = l->margin, b = l->border;

    /* Top row: preview, program, the audio meter (a vertical strip, when there is audio), the panel. */
    int meter_w = audio ? clampi(W / 40, 28, 64) : 0;
    int panel_w = clampi(W * 26 / 100, 200, 520);
    int pw_max = (W - panel_w - (audio ? meter_w + m : 0) - 4 * m - 4 * b) / 2;
    if (pw_max < 32)
        pw_max = 32;
    /* How high the top row goes is a trade between the panes and the tiles: try heights from 60% of the
     * window down and keep the one whose smaller side is biggest, the panes counting 0.6 of their size (they
     * should stay larger than a tile). Sizes compare as the square root of the picture area. */
    int best_pw = 0, best_ph = 0;
    double best_score = -1;
    int cap0 = H * 60 / 100 - l->label_h - 2 * b - m;
    for (int step = 0; step <= 12; step++) {
        int cap = cap0 * (100 - 5 * step) / 100;
        if (cap < 18)
            cap = 18;
        int pw = pw_max;
        int ph = (int)((int64_t)pw * aspect_h / aspect_w);
        if (ph > cap) {
            ph = cap;
            pw = (int)((int64_t)ph * aspect_w / aspect_h);
        }
        int top_h = ph + l->label_h + 2 * b;
        int cols;
        int tw = tile_grid(l, n, W - 2 * m, H - top_h - 3 * m, aspect_w, aspect_h, &cols);
        if (tw > pw)
            tw = pw; /* a tile is never bigger than the program */
        int th = (int)((int64_t)tw * aspect_h / aspect_w);
        double pane = sqrt((double)pw * ph), tile = tw > 0 ? sqrt((double)tw * th) : 0;
        double score = 0.6 * pane < tile ? 0.6 * pane : tile;
        if (score > best_score + 0.5 || (score > best_score - 0.5 && pw > best_pw && tw > 0)) {
            best_score = score > best_score ? score : best_score;
            best_pw = pw;
            best_ph = ph;
        }
    }
    int pw = best_pw, ph = best_ph;
    place(l, m, m, pw, ph, 1, &l->preview, &l->preview_label, &l->preview_frame);
    place(l, m + l->preview_frame.w + m, m, pw, ph, 1, &l->program, &l->program_label, &l->program_frame);
    int top_h = l->program_frame.h;
    int px = l->program_frame.x + l->program_frame.w + m;
    if (audio) {
        l->meter = rect(px, m, meter_w, top_h);
        px += meter_w + m;
    }
    l->panel = rect(px, m, W - px - m, top_h);

    /* Inside the panel: clock on top, hint at the bottom, cue rows in between. */
    int pad = b * 2;
    int inner_w = l->panel.w - 2 * pad;
    int clock_h = (l->row_h + 4) + l->big_px * 13 / 10 + 2 * l->row_h;
    l->clock = rect(l->panel.x + pad, l->panel.y + pad, inner_w, clock_h);
    l->hint = rect(l->panel.x + pad, l->panel.y + l->panel.h - pad - l->row_h, inner_w, l->row_h);
    int cues_y = l->clock.y + l->clock.h + b;
    int cues_h = l->hint.y - b - cues_y;
    l->cue_rows = cues_h > 0 ? cues_h / l->row_h : 0;
    l->cues = rect(l->panel.x + pad, cues_y, inner_w, l->cue_rows * l->row_h);

    /* Tiles under the top row, the grid centred, its last row too. */
    int y0 = m + top_h + m;
    int avail_h = H - y0 - m;
    int cols;
    int tw = tile_grid(l, n, W - 2 * m, avail_h, aspect_w, aspect_h, &cols);
    if (tw > pw)
        tw = pw;
    if (tw < 16)
        tw = 16;
    int th = (int)((int64_t)tw * aspect_h / aspect_w);
    int rows = (n + cols - 1) / cols;
    int fw = tw + 2 * b, fh = th + l->label_h + 2 * b;
    int grid_h = rows * fh + (rows - 1) * m;
    int gy = y0 + (avail_h - grid_h > 0 ? (avail_h - grid_h) / 2 : 0);
    for (int i = 0; i < n; i++) {
        int row = i / cols, col = i % cols;
        int in_row = row == rows - 1 ? n - row * cols : cols;
        int row_w = in_row * fw + (in_row - 1) * m;
        int x = (W - row_w) / 2 + col * (fw + m);
        int y = gy + row * (fh + m);
        place(l, x, y, tw, th, 0, &l->tile[i], &l->tile_label[i], &l->tile_frame[i]);
    }
}

static int inside(UiRect r, int x, int y)
{
    return x >= r.x && x < r.x + r.w && y >= r.y && y < r.y + r.h;
}

int ui_layout_hit(const UiLayout *l, int x, int y)
{
    for (int i = 0; i < l->ncams; i++)
        if (inside(l->tile_frame[i], x, y))
            return i;
    if (inside(l->preview_frame, x, y))
        return UI_HIT_PREVIEW;
    if (inside(l->program_frame, x, y))
        return UI_HIT_PROGRAM;
    return UI_HIT_NONE;
}
