/* ot-check-multiview: checks a multiview screenshot (onetake record --screenshot FILE) against the cameras.
 *
 *   ot-check-multiview --shot FILE.png [--layout FILE.png.json] --ref NAME=FRAMES.rgb@FPS ... [--ref-size
 * WxH]
 *                      [--expect-program NAME] [--expect-preview NAME] [--expect-frame N [--frame-slack N]]
 *                      [--master master=PROGRAM.rgb@FPS] [--verbose]
 *
 * FRAMES.rgb is every frame of a camera clip as raw RGB24 at --ref-size (default 64x36), scaled with its
 * aspect kept and black borders like capture's conform chain (the test makes it with ffmpeg, independently of
 * onetake). The layout file (written by the UI next to the PNG) says where each picture is and which camera
 * and take-clock time it showed; the pixels are the judge:
 *   - every tile, and the program and preview panes, look like their own camera at that time (mean absolute
 * error at --ref-size, over the frame and its neighbours) clearly better than like any other camera; a tile
 * whose camera has ended shows NO SIGNAL (dimmed, red text) instead;
 *   - a red ring around the program pane and the program camera's tile, a green one around the preview pane
 * and the preview camera's tile, neither around the other tiles;
 *   - the clock's area holds text;
 *   - with --master (every frame of the take's program as ffmpeg decodes it): the program pane shows the
 * master's frame of the tick it says it shows (a held last frame, a slate: what went to tape);
 *   - the program / preview cameras and the frame are the expected ones.
 * Exit 0 when every check passes, 1 when one fails, 2 for a usage or I/O error. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <SDL.h>
#include <SDL_image.h>
#include <json-glib/json-glib.h>

#define MAX_REFS 16
#define OWN_MAX_MAE                                                                                          \
    40.0           /* own camera, same time: scaler, aliasing (zone plates!) and colour-matrix differences */
#define MARGIN 2.0 /* ... and at least this many times closer than any other camera */
#define TIME_WINDOW 10 /* frames searched around the picture's time ... */
#define TIME_SLACK                                                                                           \
    1.15              /* ... whose best match may beat the picture's own time (+-1) by at most this factor */
#define RING_MIN 0.95 /* share of a tally ring in its colour */
#define RING_STRAY 0.20 /* share of red or green allowed in an idle tile's ring */

typedef struct Ref {
    char name[64];
    double fps;
    int nframes;
    unsigned char *data;
} Ref;

typedef struct Shot {
    int w, h, pitch;
    unsigned char *px; /* RGB24 */
} Shot;

static int failures;
static int verbose;
static int ref_w = 64, ref_h = 36;

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("FAIL: ", stdout);
    vprintf(fmt, ap);
    fputc('\n', stdout);
    va_end(ap);
    failures++;
}

static int load_ref(Ref *r, const char *arg)
{
    const char *eq = strchr(arg, '='), *at = strrchr(arg, '@');
    if (!eq || !at || at < eq || (size_t)(eq - arg) >= sizeof(r->name)) {
        fprintf(stderr, "ot-check-multiview: --ref %s: give NAME=FILE@FPS\n", arg);
        return -1;
    }
    memcpy(r->name, arg, (size_t)(eq - arg));
    r->name[eq - arg] = 0;
    r->fps = atof(at + 1);
    char *path = g_strndup(eq + 1, (gsize)(at - eq - 1));
    gsize len = 0;
    gchar *data = NULL;
    GError *err = NULL;
    int ok = g_file_get_contents(path, &data, &len, &err);
    if (!ok) {
        fprintf(stderr, "ot-check-multiview: %s: %s\n", path, err->message);
        g_clear_error(&err);
        g_free(path);
        return -1;
    }
    size_t fsz = (size_t)ref_w * ref_h * 3;
    r->nframes = (int)(len / fsz);
    r->data = (unsigned char *)data;
    if (r->fps <= 0 || r->nframes < 1) {
        fprintf(stderr, "ot-check-multiview: %s: no %dx%d RGB frames or no fps\n", path, ref_w, ref_h);
        g_free(path);
        return -1;
    }
    g_free(path);
    return 0;
}

static const unsigned char *pixel(const Shot *s, int x, int y)
{
    return s->px + (size_t)y * s->pitch + (size_t)x * 3;
}

/* Box-average the rectangle down to ref_w x ref_h. */
static void downsample(const Shot *s, const int r[4], unsigned char *out)
{
    for (int v = 0; v < ref_h; v++)
        for (int u = 0; u < ref_w; u++) {
            int x0 = r[0] + u * r[2] / ref_w, x1 = r[0] + (u + 1) * r[2] / ref_w;
            int y0 = r[1] + v * r[3] / ref_h, y1 = r[1] + (v + 1) * r[3] / ref_h;
            double sum[3] = {0, 0, 0};
            int n = 0;
            for (int y = y0; y < y1 && y < s->h; y++)
                for (int x = x0; x < x1 && x < s->w; x++) {
                    const unsigned char *p = pixel(s, x, y);
                    sum[0] += p[0], sum[1] += p[1], sum[2] += p[2];
                    n++;
                }
            for (int c = 0; c < 3; c++)
                out[(v * ref_w + u) * 3 + c] = (unsigned char)(n ? sum[c] / n + 0.5 : 0);
        }
}

static double mae(const unsigned char *a, const unsigned char *b)
{
    size_t n = (size_t)ref_w * ref_h * 3;
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += abs((int)a[i] - (int)b[i]);
    return sum / (double)n;
}

/* Best MAE of the picture against ref's frames around take-clock time pts_ns (the frame at or before it,
 * +-span). */
static double best_mae(const unsigned char *pic, const Ref *r, int64_t pts_ns, int span, int *best_frame)
{
    /* +1 ms: container times are rounded to the millisecond (frame 100 of a Matroska clip is at 3.333 s) */
    int idx = (int)floor((double)(pts_ns + 1000000) * r->fps / 1e9);
    double best = 1e9;
    for (int i = idx - span; i <= idx + span; i++) {
        if (i < 0 || i >= r->nframes)
            continue;
        double m = mae(pic, r->data + (size_t)i * ref_w * ref_h * 3);
        if (m < best) {
            best = m;
            *best_frame = i;
        }
    }
    return best;
}

static int get_rect(JsonObject *o, const char *key, int r[4])
{
    JsonArray *a = json_object_has_member(o, key) ? json_object_get_array_member(o, key) : NULL;
    if (!a || json_array_get_length(a) != 4)
        return -1;
    for (int i = 0; i < 4; i++)
        r[i] = (int)json_array_get_int_element(a, (guint)i);
    return 0;
}

static const Ref *find_ref(const Ref *refs, int nrefs, const char *name)
{
    for (int i = 0; i < nrefs; i++)
        if (!strcmp(refs[i].name, name))
            return &refs[i];
    return NULL;
}

/* The picture shows its own camera at its time, better than any other camera at the same time. */
static void check_picture(const Shot *s, const char *what, JsonObject *o, const Ref *refs, int nrefs)
{
    int r[4];
    const char *name = json_object_get_string_member_with_default(o, "name", NULL);
    int64_t pts = json_object_get_int_member_with_default(o, "pts_ns", -1);
    if (get_rect(o, "picture", r) < 0 || !name || pts < 0) {
        fail("%s: the layout gives no picture, camera or time", what);
        return;
    }
    const Ref *own = find_ref(refs, nrefs, name);
    if (!own) {
        fail("%s: no --ref for camera %s", what, name);
        return;
    }
    unsigned char pic[64 * 64 * 3 * 16];
    if ((size_t)ref_w * ref_h * 3 > sizeof(pic)) {
        fail("--ref-size too large");
        return;
    }
    downsample(s, r, pic);
    int own_frame = -1, other_frame = -1;
    double own_mae = best_mae(pic, own, pts, 1, &own_frame);
    int any_frame = -1;
    double any_mae = best_mae(pic, own, pts, TIME_WINDOW, &any_frame);
    double other_mae = 1e9;
    const char *other = "-";
    for (int i = 0; i < nrefs; i++) {
        if (&refs[i] == own)
            continue;
        int f = -1;
        double m = best_mae(pic, &refs[i], pts, 1, &f);
        if (m < other_mae) {
            other_mae = m;
            other = refs[i].name;
            other_frame = f;
        }
    }
    int ok = own_mae <= OWN_MAX_MAE && own_mae * MARGIN <= other_mae;
    if (!ok)
        fail("%s: does not show %s at %.3f s: mean error %.1f against it (frame %d), %.1f against %s (frame "
             "%d)",
             what, name, pts / 1e9, own_mae, own_frame, other_mae, other, other_frame);
    else if (own_mae > any_mae * TIME_SLACK)
        fail("%s: shows %s, but not at %.3f s: frame %d matches better (%.1f) than frames around its time "
             "(%.1f)",
             what, name, pts / 1e9, any_frame, any_mae, own_mae);
    else if (verbose)
        printf("ok: %s shows %s (frame %d, best within +-%d: %d): mean error %.1f, next best %s %.1f\n", what,
               name, own_frame, TIME_WINDOW, any_frame, own_mae, other, other_mae);
}

/* --master: the program pane shows the master's own frame of the tick it says it shows (program_tick), the
 * picture the program path made (a held last frame, a slate), not a camera's preview re-derived. */
static void check_master(const Shot *s, JsonObject *o, const Ref *master)
{
    int r[4];
    int64_t tick = json_object_get_int_member_with_default(o, "program_tick", -1);
    if (get_rect(o, "picture", r) < 0 || tick < 0 || tick >= master->nframes) {
        fail("program pane: the layout gives no picture or a program tick (%lld) outside the master's %d "
             "frames",
             (long long)tick, master->nframes);
        return;
    }
    unsigned char pic[64 * 64 * 3 * 16];
    downsample(s, r, pic);
    int own_frame = -1, any_frame = -1;
    int64_t at = (int64_t)((double)tick * 1e9 / master->fps);
    double own = best_mae(pic, master, at, 0, &own_frame);
    double any = best_mae(pic, master, at, TIME_WINDOW, &any_frame);
    if (own > OWN_MAX_MAE)
        fail("program pane: does not show the master's frame %lld: mean error %.1f", (long long)tick, own);
    else if (own > any * TIME_SLACK && any_frame != own_frame)
        fail("program pane: master frame %d matches better (%.1f) than its tick %lld (%.1f)", any_frame, any,
             (long long)tick, own);
    else if (verbose)
        printf("ok: program pane shows master frame %lld: mean error %.1f\n", (long long)tick, own);
}

/* Share of the ring (frame minus its inside, `border` thick) whose pixels are red / green. */
static void ring_colours(const Shot *s, const int f[4], int border, double *red, double *green)
{
    long n = 0, nr = 0, ng = 0;
    for (int y = f[1]; y < f[1] + f[3] && y < s->h; y++)
        for (int x = f[0]; x < f[0] + f[2] && x < s->w; x++) {
            int in = x >= f[0] + border && x < f[0] + f[2] - border && y >= f[1] + border &&
                     y < f[1] + f[3] - border;
            if (in)
                continue;
            const unsigned char *p = pixel(s, x, y);
            n++;
            nr += p[0] > 180 && p[1] < 90 && p[2] < 90;
            ng += p[1] > 150 && p[0] < 100 && p[2] < 130;
        }
    *red = n ? (double)nr / n : 0;
    *green = n ? (double)ng / n : 0;
}

static void check_ring(const Shot *s, const char *what, JsonObject *o, int border, const char *want)
{
    int f[4];
    if (get_rect(o, "frame", f) < 0) {
        fail("%s: the layout gives no frame", what);
        return;
    }
    double red, green;
    ring_colours(s, f, border, &red, &green);
    int ok = !strcmp(want, "red")     ? red >= RING_MIN
             : !strcmp(want, "green") ? green >= RING_MIN
                                      : red <= RING_STRAY && green <= RING_STRAY;
    if (!ok)
        fail("%s: its border should be %s: %.0f%% red, %.0f%% green", what, want, red * 100, green * 100);
    else if (verbose)
        printf("ok: %s border %s (%.0f%% red, %.0f%% green)\n", what, want, red * 100, green * 100);
}

/* NO SIGNAL: the picture is dimmed and carries red text. */
static void check_no_signal(const Shot *s, const char *what, JsonObject *o)
{
    int r[4];
    if (get_rect(o, "picture", r) < 0) {
        fail("%s: the layout gives no picture", what);
        return;
    }
    long n = 0, red = 0;
    double luma = 0;
    for (int y = r[1]; y < r[1] + r[3]; y++)
        for (int x = r[0]; x < r[0] + r[2]; x++) {
            const unsigned char *p = pixel(s, x, y);
            n++;
            red += p[0] > 180 && p[1] < 90 && p[2] < 90;
            luma += 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2];
        }
    luma /= n ? n : 1;
    if (red < 50 || luma > 110)
        fail("%s: no visible NO SIGNAL (%ld red text pixels, mean brightness %.0f)", what, red, luma);
    else if (verbose)
        printf("ok: %s shows NO SIGNAL (%ld red pixels, brightness %.0f)\n", what, red, luma);
}

static void check_clock(const Shot *s, JsonObject *root)
{
    int c[4], p[4];
    if (get_rect(root, "clock", c) < 0 || get_rect(root, "panel", p) < 0) {
        fail("the layout gives no clock or panel");
        return;
    }
    const unsigned char *bg = pixel(s, p[0] + 1, p[1] + p[3] - 2);
    long n = 0, ink = 0, bright = 0;
    for (int y = c[1]; y < c[1] + c[3]; y++)
        for (int x = c[0]; x < c[0] + c[2]; x++) {
            const unsigned char *q = pixel(s, x, y);
            int d = abs(q[0] - bg[0]) + abs(q[1] - bg[1]) + abs(q[2] - bg[2]);
            n++;
            ink += d > 60;
            bright += q[0] > 200 && q[1] > 200 && q[2] > 200;
        }
    double share = n ? (double)ink / n : 0;
    if (share < 0.03 || bright < 100)
        fail("the clock's area is (nearly) empty: %.1f%% ink, %ld bright pixels", share * 100, bright);
    else if (verbose)
        printf("ok: the clock holds text (%.1f%% ink, %ld bright pixels)\n", share * 100, bright);
}

static void usage(FILE *f)
{
    fputs("usage: ot-check-multiview --shot FILE.png [--layout FILE.json] --ref NAME=FRAMES.rgb@FPS ...\n"
          "                          [--ref-size WxH] [--expect-program NAME] [--expect-preview NAME]\n"
          "                          [--expect-frame N [--frame-slack N]] [--master master=F.rgb@FPS]\n"
          "                          [--verbose]\n",
          f);
}

int main(int argc, char **argv)
{
    const char *shot_path = NULL, *layout_path = NULL, *want_pgm = NULL, *want_pvw = NULL;
    long want_frame = -1, frame_slack = 5;
    Ref refs[MAX_REFS], master = {0};
    int nrefs = 0;
    const char *master_arg = NULL;
    const char *ref_args[MAX_REFS];
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--verbose")) {
            verbose = 1;
            continue;
        }
        if (!strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        }
        if (!v) {
            usage(stderr);
            return 2;
        }
        i++;
        if (!strcmp(a, "--shot"))
            shot_path = v;
        else if (!strcmp(a, "--layout"))
            layout_path = v;
        else if (!strcmp(a, "--expect-program"))
            want_pgm = v;
        else if (!strcmp(a, "--expect-preview"))
            want_pvw = v;
        else if (!strcmp(a, "--expect-frame"))
            want_frame = atol(v);
        else if (!strcmp(a, "--frame-slack"))
            frame_slack = atol(v);
        else if (!strcmp(a, "--ref-size") && sscanf(v, "%dx%d", &ref_w, &ref_h) == 2 && ref_w > 0 &&
                 ref_h > 0 && ref_w * ref_h <= 64 * 64 * 16)
            ;
        else if (!strcmp(a, "--master"))
            master_arg = v;
        else if (!strcmp(a, "--ref") && nrefs < MAX_REFS)
            ref_args[nrefs++] = v;
        else {
            usage(stderr);
            return 2;
        }
    }
    if (!shot_path || nrefs == 0) {
        usage(stderr);
        return 2;
    }
    for (int i = 0; i < nrefs; i++)
        if (load_ref(&refs[i], ref_args[i]) < 0)
            return 2;
    if (master_arg && load_ref(&master, master_arg) < 0)
        return 2;
    char *layout_default = g_strdup_printf("%s.json", shot_path);
    if (!layout_path)
        layout_path = layout_default;

    SDL_Surface *raw = IMG_Load(shot_path);
    SDL_Surface *rgb = raw ? SDL_ConvertSurfaceFormat(raw, SDL_PIXELFORMAT_RGB24, 0) : NULL;
    if (!rgb) {
        fprintf(stderr, "ot-check-multiview: %s: %s\n", shot_path, IMG_GetError());
        return 2;
    }
    Shot shot = {rgb->w, rgb->h, rgb->pitch, rgb->pixels};
    JsonParser *parser = json_parser_new();
    GError *err = NULL;
    if (!json_parser_load_from_file(parser, layout_path, &err)) {
        fprintf(stderr, "ot-check-multiview: %s: %s\n", layout_path, err->message);
        return 2;
    }
    JsonObject *root = json_node_get_object(json_parser_get_root(parser));
    int W = (int)json_object_get_int_member(root, "width"),
        H = (int)json_object_get_int_member(root, "height");
    int border = (int)json_object_get_int_member(root, "border");
    if (W != shot.w || H != shot.h)
        fail("the PNG is %dx%d, the layout says %dx%d", shot.w, shot.h, W, H);
    long frame = (long)json_object_get_int_member(root, "frame");
    if (want_frame >= 0 && (frame < want_frame || frame > want_frame + frame_slack))
        fail("the screenshot is of frame %ld, expected %ld to %ld", frame, want_frame,
             want_frame + frame_slack);

    JsonObject *pgm = json_object_get_object_member(root, "program");
    JsonObject *pvw = json_object_get_object_member(root, "preview");
    const char *pgm_name = json_object_get_string_member_with_default(pgm, "name", "none");
    const char *pvw_name = json_object_get_string_member_with_default(pvw, "name", "none");
    if (want_pgm && strcmp(want_pgm, pgm_name))
        fail("program is %s, expected %s", pgm_name, want_pgm);
    if (want_pvw && strcmp(want_pvw, pvw_name))
        fail("preview is %s, expected %s", pvw_name, want_pvw);
    if (master_arg)
        check_master(&shot, pgm, &master);
    else
        check_picture(&shot, "program pane", pgm, refs, nrefs);
    check_ring(&shot, "program pane", pgm, border, "red");
    check_picture(&shot, "preview pane", pvw, refs, nrefs);
    check_ring(&shot, "preview pane", pvw, border, "green");

    JsonArray *tiles = json_object_get_array_member(root, "tiles");
    for (guint i = 0; i < json_array_get_length(tiles); i++) {
        JsonObject *t = json_array_get_object_element(tiles, i);
        char what[96];
        snprintf(what, sizeof(what), "tile %u (%s)", i + 1,
                 json_object_get_string_member_with_default(t, "name", "?"));
        if (json_object_get_boolean_member_with_default(t, "signal", TRUE))
            check_picture(&shot, what, t, refs, nrefs);
        else
            check_no_signal(&shot, what, t);
        const char *tally = json_object_get_string_member_with_default(t, "tally", "none");
        check_ring(&shot, what, t, border,
                   !strcmp(tally, "program")   ? "red"
                   : !strcmp(tally, "preview") ? "green"
                                               : "none");
    }
    check_clock(&shot, root);

    printf("%s: %s (%d failure%s)\n", shot_path, failures ? "FAILED" : "ok", failures,
           failures == 1 ? "" : "s");
    g_object_unref(parser);
    SDL_FreeSurface(rgb);
    SDL_FreeSurface(raw);
    g_free(layout_default);
    for (int i = 0; i < nrefs; i++)
        g_free(refs[i].data);
    g_free(master.data);
    IMG_Quit();
    SDL_Quit();
    return failures ? 1 : 0;
}
