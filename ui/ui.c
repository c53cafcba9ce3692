/* onetake ui: the multiview window: the loop, input, drawing and the screenshot. Threads and locks: see ui.h.
 *
 * The loop draws at UI_FPS from what it reads each frame (switcher state, runner counters, each camera's
 * latest preview frame) and handles input as it comes. Nothing here is on the program path: a preview frame
 * is uploaded to a texture and released within the frame; a stalled loop only makes the window stale. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <SDL.h>
#include <SDL_image.h>

#include "ot_common.h"
#include "ui_internal.h"

#define UI_FPS 30
#define UI_DOUBLE_PRESS_MS 2000  /* Esc twice within this ends the take */
#define UI_HOLD_MS 1000          /* ... or Esc held this long */
#define UI_CLOSE_CONFIRM_MS 5000 /* a second close within this confirms */
#define UI_PREVIEW_KEY_MS 2000   /* P, then a camera number within this */
#define UI_MESSAGE_MS 3000
#define UI_BLINK_MS 400
#define UI_DEFAULT_SHOT_S 5 /* screenshot time when the take's length is not known */

typedef struct UiCamTex {
    SDL_Texture *tex;
    int w, h;
    int64_t seq; /* preview frame uploaded, -1 for none */
    int64_t pts_ns;
    int64_t tick; /* the program texture only: the program tick of the frame uploaded, -1 for none */
} UiCamTex;

struct Ui {
    UiConfig cfg;
    char *names[UI_MAX_CAMS];
    char *title;
    char *shot_path;
    SDL_Window *win;
    SDL_Renderer *ren;
    Uint32 win_id;
    int video_up, img_up;
    UiText *text;
    UiLayout layout;
    UiCamTex cam[UI_MAX_CAMS];
    UiCamTex pgm; /* the program pane: the program path's own frame (UiTake.get_program), not a preview */
    const UiTake *take; /* during ui_run */

    /* What this UI frame shows (read at its start). */
    SwState st;
    SwRunnerStats rs;
    int done;
    Uint64 now;     /* SDL_GetTicks64 */
    int64_t now_ns; /* CLOCK_MONOTONIC, the take's roll clock */

    /* Input state. */
    int esc_armed, esc_down;
    Uint64 esc_time, esc_down_since;
    int close_armed;
    Uint64 close_time;
    int p_armed;
    Uint64 p_time;
    int help;
    char msg[200];
    Uint64 msg_until;
    int ending;    /* the director ended (or cancelled) the take */
    int cancelled; /* ... before the roll */
    int closing;   /* the director closed the window: hidden, quit as soon as the take is done */
    int quit;

    int script_next;
    int64_t shot_frame; /* -2 until known */
    int shot_done;
};

static const SDL_Color C_TEXT = {235, 238, 241, 255};
static const SDL_Color C_DIM = {135, 145, 155, 255};
static const SDL_Color C_RED = {228, 32, 32, 255};
static const SDL_Color C_GREEN = {28, 196, 64, 255};
static const SDL_Color C_AMBER = {246, 176, 18, 255};
static const SDL_Color C_YELLOW = {250, 222, 70, 255};
static const SDL_Color C_BLACK = {0, 0, 0, 255};
static const SDL_Color C_BG = {14, 17, 21, 255};
static const SDL_Color C_PANEL = {26, 31, 37, 255};
static const SDL_Color C_BAR = {34, 40, 47, 255};
static const SDL_Color C_IDLE = {52, 58, 66, 255};


int ui_display_available(void)
{
    const char *x = getenv("DISPLAY"), *w = getenv("WAYLAND_DISPLAY");
    return (x && *x) || (w && *w);
}

/* ---- drawing helpers ---- */

static void fill(Ui *ui, UiRect r, SDL_Color c)
{
    SDL_Rect sr = {r.x, r.y, r.w, r.h};
    SDL_SetRenderDrawColor(ui->ren, c.r, c.g, c.b, c.a);
    SDL_RenderFillRect(ui->ren, &sr);
}

static UiRect rect(int x, int y, int w, int h)
{
    UiRect r = {x, y, w, h};
    return r;
}

static int text(Ui *ui, UiFont f, const char *s, SDL_Color c, int x, int y, int align, int max_w)
{
    return ui_text_draw(ui->text, f, s, c, x, y, align, max_w);
}

/* Text vertically centred in a row of height h at y. */
static int text_row(Ui *ui, UiFont f, const char *s, SDL_Color c, int x, int y, int h, int align, int max_w)
{
    int th = ui_text_height(ui->text, f);
    return text(ui, f, s, c, x, y + (h - th) / 2, align, max_w);
}

static void format_tc(const Ui *ui, int64_t frame, char *buf, int size)
{
    sw_timecode_format(ui->cfg.rate, sw_rate_allows_drop_frame(ui->cfg.rate), frame, buf, size);
}

static void message(Ui *ui, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void message(Ui *ui, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ui->msg, sizeof(ui->msg), fmt, ap);
    va_end(ap);
    ui->msg_until = SDL_GetTicks64() + UI_MESSAGE_MS;
}

static int blink_on(const Ui *ui)
{
    return (ui->now / UI_BLINK_MS) % 2 == 0;
}

/* ---- state ---- */

static void snapshot(Ui *ui)
{
    const UiTake *t = ui->take;
    sw_switcher_get_state(t->sw, &ui->st);
    sw_runner_get_stats(t->runner, &ui->rs);
    ui->done = t->is_done ? t->is_done(t->opaque) : 0;
    ui->now = SDL_GetTicks64();
    ui->now_ns = ot_mono_ns();
}

static int armed(const Ui *ui)
{
    return ui->st.tick < 0 && !ui->st.ended && !ui->done;
}

/* Where the take will end, when it is known: the end cue or --duration, whichever comes first; -1 otherwise.
 */
static int64_t end_frame(const Ui *ui)
{
    int64_t e = ui->st.end_frame;
    int64_t d = ui->take->max_frames;
    if (d >= 0 && (e < 0 || d < e))
        e = d;
    return e;
}

static void relayout(Ui *ui)
{
    int w = 0, h = 0;
    SDL_GetRendererOutputSize(ui->ren, &w, &h);
    int audio = ui->take && ui->take->get_audio;
    ui_layout_compute(w, h, ui->cfg.ncams, ui->cfg.program_width, ui->cfg.program_height, audio, &ui->layout);
    ui_text_set_size(ui->text, ui->layout.font_px, ui->layout.big_px);
}

/* ---- commands ---- */

/* The switcher applies a staged command at the next tick it decides. Reading the last decided tick just
 * before and just after staging brackets that tick exactly: the command lands at before+1, or at most after+1
 * if the program thread decided ticks in between. */
static void log_landing(Ui *ui, const char *how, const char *what, int64_t before, int64_t after)
{
    if (before == after)
        ot_log(OT_LOG_INFO, "ui", "%s: %s: staged after frame %" PRId64 ", lands at frame %" PRId64, how,
               what, before, before + 1);
    else
        ot_log(OT_LOG_INFO, "ui",
               "%s: %s: staged after frame %" PRId64 ", lands at frame %" PRId64 " to %" PRId64, how, what,
               before, before + 1, after + 1);
}

static const char *refusal(int ret)
{
    return ret == -EPIPE    ? "the take has ended"
           : ret == -ENOSPC ? "too many commands at once"
                            : ot_strerror(ret);
}

static void cmd_cut(Ui *ui, int cam, const char *how)
{
    if (cam < 0 || cam >= ui->cfg.ncams) {
        message(ui, "There is no camera %d", cam + 1);
        return;
    }
    SwState a, b;
    sw_switcher_get_state(ui->take->sw, &a);
    int ret = sw_switcher_cut(ui->take->sw, cam);
    sw_switcher_get_state(ui->take->sw, &b);
    char what[96];
    snprintf(what, sizeof(what), "cut to %s", ui->names[cam]);
    if (ret < 0) {
        ot_log(OT_LOG_WARNING, "ui", "%s: %s refused: %s", how, what, refusal(ret));
        message(ui, "Cut refused: %s", refusal(ret));
        return;
    }
    log_landing(ui, how, what, a.tick, b.tick);
}

static void cmd_preview(Ui *ui, int cam, const char *how)
{
    if (cam < 0 || cam >= ui->cfg.ncams) {
        message(ui, "There is no camera %d", cam + 1);
        return;
    }
    SwState a, b;
    sw_switcher_get_state(ui->take->sw, &a);
    int ret = sw_switcher_preview(ui->take->sw, cam);
    sw_switcher_get_state(ui->take->sw, &b);
    char what[96];
    snprintf(what, sizeof(what), "preview %s", ui->names[cam]);
    if (ret < 0) {
        message(ui, "Preview refused: %s", refusal(ret));
        return;
    }
    log_landing(ui, how, what, a.tick, b.tick);
}

static void cmd_go(Ui *ui, const char *how)
{
    SwState a, b;
    sw_switcher_get_state(ui->take->sw, &a);
    int ret = sw_switcher_go(ui->take->sw);
    sw_switcher_get_state(ui->take->sw, &b);
    if (ret == -ENOENT) {
        message(ui, "No go cue left");
        ot_log(OT_LOG_INFO, "ui", "%s: go: no go cue left", how);
        return;
    }
    if (ret < 0) {
        message(ui, "Go refused: %s", refusal(ret));
        return;
    }
    log_landing(ui, how, "go", a.tick, b.tick);
}

/* The director ends the take (or cancels it before the roll). */
static void cmd_end(Ui *ui, const char *how)
{
    if (ui->ending || ui->done)
        return;
    SwState a, b;
    sw_switcher_get_state(ui->take->sw, &a);
    if (a.tick < 0 && ui->take->cancel) {
        /* Before the roll nothing is recorded yet: cancel. The end is staged too, in case the roll happened
         * in the meantime: the take then ends at frame 0 instead of running on. */
        ui->take->cancel(ui->take->opaque);
        ui->cancelled = 1;
        ot_log(OT_LOG_WARNING, "ui", "%s: the take is cancelled before the roll", how);
    }
    int ret = sw_switcher_end(ui->take->sw);
    sw_switcher_get_state(ui->take->sw, &b);
    ui->ending = 1;
    if (ret == 0 && !ui->cancelled)
        log_landing(ui, how, "end the take", a.tick, b.tick);
}

static void close_pressed(Ui *ui)
{
    snapshot(ui);
    if (ui->done) {
        ui->quit = 1;
        return;
    }
    if (ui->close_armed && ui->now - ui->close_time <= UI_CLOSE_CONFIRM_MS) {
        ui->close_armed = 0;
        cmd_end(ui, "window closed twice");
        ui->closing = 1;
        SDL_HideWindow(ui->win);
        return;
    }
    ui->close_armed = 1;
    ui->close_time = ui->now;
    message(ui, armed(ui) ? "Close again to cancel the take (nothing is recorded)"
                          : "Close again to END the take");
}

static void esc_pressed(Ui *ui)
{
    snapshot(ui);
    if (ui->ending || ui->done)
        return;
    if (ui->esc_armed && ui->now - ui->esc_time <= UI_DOUBLE_PRESS_MS) {
        ui->esc_armed = 0;
        cmd_end(ui, "Esc twice");
        return;
    }
    ui->esc_armed = 1;
    ui->esc_time = ui->now;
    message(ui, armed(ui) ? "Esc again within 2 s cancels the take"
                          : "Esc again within 2 s (or hold Esc) ENDS the take");
}

/* T: the default transition from program to preview, or, during a transition, its completion at once. */
static void cmd_auto(Ui *ui, const char *how, SwInput input)
{
    SwState a, b;
    sw_switcher_get_state(ui->take->sw, &a);
    SwTransSpec spec = ui->cfg.auto_trans;
    if (spec.kind == SW_TRANS_CUT)
        spec = (SwTransSpec){.kind = SW_TRANS_MIX, .frames = 15};
    int ret = sw_switcher_auto_by(ui->take->sw, &spec, input, NULL);
    sw_switcher_get_state(ui->take->sw, &b);
    if (ret == -ENOENT) {
        message(ui, "Nothing on preview to go to");
        ot_log(OT_LOG_INFO, "ui", "%s: auto: nothing on preview to go to", how);
        return;
    }
    if (ret < 0) {
        message(ui, "Auto refused: %s", refusal(ret));
        return;
    }
    log_landing(ui, how, a.mix_from >= 0 ? "auto (complete the transition)" : "auto", a.tick, b.tick);
}

static int digit(SDL_Keycode k)
{
    if (k >= SDLK_1 && k <= SDLK_9)
        return (int)(k - SDLK_1);
    if (k >= SDLK_KP_1 && k <= SDLK_KP_9)
        return (int)(k - SDLK_KP_1);
    return -1;
}

static void key_down(Ui *ui, const SDL_KeyboardEvent *k)
{
    SDL_Keycode sym = k->keysym.sym;
    if (sym == SDLK_ESCAPE) {
        if (!k->repeat) {
            ui->esc_down = 1;
            ui->esc_down_since = SDL_GetTicks64();
            esc_pressed(ui);
        }
        return;
    }
    if (k->repeat)
        return; /* a held key is one press */
    snapshot(ui);
    int n = digit(sym);
    char how[32];
    int scripted = k->keysym.unused == UI_SCRIPT_MARK;
    if (n >= 0) {
        if (ui->p_armed && ui->now - ui->p_time <= UI_PREVIEW_KEY_MS) {
            ui->p_armed = 0;
            snprintf(how, sizeof(how), "key P %d", n + 1);
            cmd_preview(ui, n, how);
        } else {
            snprintf(how, sizeof(how), "key %d", n + 1);
            cmd_cut(ui, n, how);
        }
        return;
    }
    switch (sym) {
    case SDLK_p:
        ui->p_armed = 1;
        ui->p_time = ui->now;
        message(ui, "Preview: press the camera's number (1-9)");
        break;
    case SDLK_SPACE:
    case SDLK_RETURN:
    case SDLK_KP_ENTER:
        cmd_go(ui, sym == SDLK_SPACE ? "key Space" : "key Enter");
        break;
    case SDLK_t:
        cmd_auto(ui, scripted ? "script key T" : "key T", scripted ? SW_INPUT_SCRIPT : SW_INPUT_KEY);
        break;
    case SDLK_F1:
        ui->help = !ui->help;
        break;
    default:
        break;
    }
}

static void mouse_down(Ui *ui, const SDL_MouseButtonEvent *b)
{
    /* Mouse positions are in window coordinates; the layout is in renderer pixels (they differ on HiDPI). */
    int ww = 1, wh = 1;
    SDL_GetWindowSize(ui->win, &ww, &wh);
    int x = (int)((int64_t)b->x * ui->layout.width / (ww > 0 ? ww : 1));
    int y = (int)((int64_t)b->y * ui->layout.height / (wh > 0 ? wh : 1));
    if (ui->help) {
        ui->help = 0;
        return;
    }
    snapshot(ui);
    int hit = ui_layout_hit(&ui->layout, x, y);
    if (b->button == SDL_BUTTON_LEFT) {
        if (hit >= 0)
            cmd_cut(ui, hit, "click");
        else if (hit == UI_HIT_PREVIEW && ui->st.preview >= 0)
            cmd_cut(ui, ui->st.preview, "click on preview");
    } else if (b->button == SDL_BUTTON_RIGHT && hit >= 0) {
        cmd_preview(ui, hit, "right-click");
    }
}

static void handle_event(Ui *ui, const SDL_Event *ev)
{
    switch (ev->type) {
    case SDL_QUIT:
        close_pressed(ui);
        break;
    case SDL_WINDOWEVENT:
        if (ev->window.event == SDL_WINDOWEVENT_CLOSE)
            close_pressed(ui);
        else if (ev->window.event == SDL_WINDOWEVENT_SIZE_CHANGED)
            relayout(ui);
        break;
    case SDL_KEYDOWN:
        key_down(ui, &ev->key);
        break;
    case SDL_KEYUP:
        if (ev->key.keysym.sym == SDLK_ESCAPE)
            ui->esc_down = 0;
        break;
    case SDL_TEXTINPUT:
        /* "?" by the character typed, whatever the keyboard layout puts it on */
        if (!strcmp(ev->text.text, "?"))
            ui->help = !ui->help;
        break;
    case SDL_MOUSEBUTTONDOWN:
        mouse_down(ui, &ev->button);
        break;
    default:
        break;
    }
}

/* ---- the input script ---- */

static void push_key(Ui *ui, const UiScriptLine *l, int down)
{
    SDL_Event e;
    memset(&e, 0, sizeof(e));
    if (l->text_question) {
        if (!down)
            return;
        e.type = SDL_TEXTINPUT;
        e.text.windowID = ui->win_id;
        e.text.timestamp = SDL_GetTicks();
        snprintf(e.text.text, sizeof(e.text.text), "?");
        SDL_PushEvent(&e);
        return;
    }
    e.type = down ? SDL_KEYDOWN : SDL_KEYUP;
    e.key.timestamp = SDL_GetTicks();
    e.key.windowID = ui->win_id;
    e.key.state = down ? SDL_PRESSED : SDL_RELEASED;
    e.key.keysym.sym = l->key;
    e.key.keysym.scancode = SDL_GetScancodeFromKey(l->key);
    e.key.keysym.unused = UI_SCRIPT_MARK;
    SDL_PushEvent(&e);
}

static void push_click(Ui *ui, const UiScriptLine *l, Uint8 button)
{
    /* Script coordinates are renderer pixels, like the layout; events carry window coordinates. */
    int ww = 1, wh = 1;
    SDL_GetWindowSize(ui->win, &ww, &wh);
    int x = (int)((int64_t)l->x * ww / (ui->layout.width > 0 ? ui->layout.width : 1));
    int y = (int)((int64_t)l->y * wh / (ui->layout.height > 0 ? ui->layout.height : 1));
    for (int down = 1; down >= 0; down--) {
        SDL_Event e;
        memset(&e, 0, sizeof(e));
        e.type = down ? SDL_MOUSEBUTTONDOWN : SDL_MOUSEBUTTONUP;
        e.button.timestamp = SDL_GetTicks();
        e.button.windowID = ui->win_id;
        e.button.button = button;
        e.button.state = down ? SDL_PRESSED : SDL_RELEASED;
        e.button.clicks = 1;
        e.button.x = x;
        e.button.y = y;
        SDL_PushEvent(&e);
    }
}

static void run_script(Ui *ui)
{
    const UiScript *s = ui->cfg.script;
    while (ui->script_next < ui_script_count(s)) {
        const UiScriptLine *l = ui_script_get(s, ui->script_next);
        if (l->frame >= 0 && l->frame > ui->st.tick)
            break;
        ui->script_next++;
        switch (l->action) {
        case UI_SCRIPT_KEY:
            push_key(ui, l, 1);
            push_key(ui, l, 0);
            break;
        case UI_SCRIPT_KEYDOWN:
            push_key(ui, l, 1);
            break;
        case UI_SCRIPT_KEYUP:
            push_key(ui, l, 0);
            break;
        case UI_SCRIPT_CLICK:
            push_click(ui, l, SDL_BUTTON_LEFT);
            break;
        case UI_SCRIPT_RCLICK:
            push_click(ui, l, SDL_BUTTON_RIGHT);
            break;
        case UI_SCRIPT_CLOSE: {
            SDL_Event e;
            memset(&e, 0, sizeof(e));
            e.type = SDL_WINDOWEVENT;
            e.window.event = SDL_WINDOWEVENT_CLOSE;
            e.window.windowID = ui->win_id;
            SDL_PushEvent(&e);
            break;
        }
        case UI_SCRIPT_STALL: {
            /* A frozen window on purpose: this thread does nothing at all meanwhile. The program thread must
             * go on regardless: the frames it decided meanwhile are logged. */
            int64_t t0 = ot_mono_ns();
            SDL_Delay((Uint32)l->ms);
            SwState after;
            sw_switcher_get_state(ui->take->sw, &after);
            ot_log(OT_LOG_INFO, "ui",
                   "script line %d: the window stalled for %.0f ms, from frame %" PRId64 " to frame %" PRId64,
                   l->line, (double)(ot_mono_ns() - t0) / 1e6, ui->st.tick, after.tick);
            break;
        }
        }
    }
}

/* ---- pictures ---- */

/* Upload an I420 frame into a texture when it is new (another seq). */
static void upload(Ui *ui, UiCamTex *c, const OtFrame *f, const char *what)
{
    if (f->format != OT_PIX_I420 || f->nb_planes < 3 || f->seq == c->seq)
        return;
    if (c->tex && (c->w != f->width || c->h != f->height)) {
        SDL_DestroyTexture(c->tex);
        c->tex = NULL;
    }
    if (!c->tex) {
        c->tex = SDL_CreateTexture(ui->ren, SDL_PIXELFORMAT_IYUV, SDL_TEXTUREACCESS_STREAMING, f->width,
                                   f->height);
        c->w = f->width;
        c->h = f->height;
        if (!c->tex)
            ot_log(OT_LOG_WARNING, "ui", "cannot make a %dx%d texture for %s: %s", f->width, f->height, what,
                   SDL_GetError());
    }
    if (c->tex && SDL_UpdateYUVTexture(c->tex, NULL, f->data[0], f->linesize[0], f->data[1], f->linesize[1],
                                       f->data[2], f->linesize[2]) == 0) {
        c->seq = f->seq;
        c->pts_ns = f->pts_ns;
    }
}

/* Upload each camera's latest preview frame and the program's frame when they are new. Frames are released
 * right away: the UI holds no capture buffer between frames. */
static void update_textures(Ui *ui)
{
    if (ui->take->get_program) {
        int64_t tick = -1;
        OtFrame *f = ui->take->get_program(ui->take->opaque, &tick);
        if (f) {
            /* Each new tick is uploaded: a transition's pooled picture may come back with a seq seen before. */
            if (tick != ui->pgm.tick)
                ui->pgm.seq = -1;
            upload(ui, &ui->pgm, f, "the program");
            ui->pgm.tick = ui->pgm.seq >= 0 ? tick : -1;
            ot_frame_unref(&f);
        }
    }
    if (!ui->take->get_preview)
        return;
    /* The frame of the tick the program is at (before the roll: the newest), like the runner picks it. */
    int64_t at = ui->st.tick >= 0 ? sw_rate_frame_to_ns(ui->cfg.rate, ui->st.tick) : -1;
    for (int i = 0; i < ui->cfg.ncams; i++) {
        OtFrame *f = ui->take->get_preview(ui->take->opaque, i, at);
        if (!f)
            continue;
        upload(ui, &ui->cam[i], f, ui->names[i]);
        ot_frame_unref(&f);
    }
}

static int cam_lost(const Ui *ui, int cam)
{
    return cam >= 0 && cam < ui->rs.ncams && (ui->rs.cams[cam].ended || ui->rs.cams[cam].failed);
}

static void draw_picture(Ui *ui, int cam, UiRect r, int dim)
{
    UiCamTex *c = cam >= 0 ? &ui->cam[cam] : NULL;
    if (!c || !c->tex || c->seq < 0) {
        fill(ui, r, C_BLACK);
        return;
    }
    SDL_Rect dst = {r.x, r.y, r.w, r.h};
    if (dim)
        SDL_SetTextureColorMod(c->tex, 70, 70, 70);
    SDL_RenderCopy(ui->ren, c->tex, NULL, &dst);
    if (dim)
        SDL_SetTextureColorMod(c->tex, 255, 255, 255);
}

/* NO SIGNAL over a camera's picture: its source ended or failed; the counts say how its frames went. */
static void draw_no_signal(Ui *ui, int cam, UiRect r)
{
    const SwCamStats *cs = &ui->rs.cams[cam];
    int y = r.y + r.h / 2 - ui->layout.row_h;
    text(ui, UI_FONT_BOLD, "NO SIGNAL", C_RED, r.x + r.w / 2, y, UI_ALIGN_CENTER, r.w);
    char line[96];
    snprintf(line, sizeof(line), "%s: %" PRId64 " repeated, %" PRId64 " dropped",
             cs->failed ? "lost" : "ended", cs->repeats, cs->drops);
    text(ui, UI_FONT_LABEL, line, C_TEXT, r.x + r.w / 2, y + ui->layout.row_h, UI_ALIGN_CENTER, r.w);
}

/* A take that is over has nothing on air: no red tally (ENDED/CANCELLED). */
static int take_over(const Ui *ui)
{
    return ui->st.ended || ui->done || (ui->cancelled && ui->st.tick < 0);
}

/* A transition is running (the switcher clears mix_from when none is). */
static int mixing(const Ui *ui)
{
    return ui->st.mix_from >= 0 && ui->st.mix_frames > 0;
}

/* Camera i is on air: on program, or the camera a running transition comes from (both tallies red during it). */
static int on_air(const Ui *ui, int i)
{
    return ui->st.program == i || (mixing(ui) && ui->st.mix_from == i);
}

/* During a transition: a bar in the margin under the program pane, filled by the frames mixed so far. */
static void draw_trans_progress(Ui *ui)
{
    const UiLayout *l = &ui->layout;
    if (!mixing(ui) || take_over(ui))
        return;
    UiRect f = l->program_frame;
    int h = l->margin - 2;
    if (h < 2)
        return;
    UiRect bar = rect(f.x, f.y + f.h + 1, f.w, h);
    int done = ui->st.mix_k + 1;
    if (done > ui->st.mix_frames)
        done = ui->st.mix_frames;
    fill(ui, bar, C_IDLE);
    fill(ui, rect(bar.x, bar.y, (int)((int64_t)bar.w * done / ui->st.mix_frames), bar.h), C_RED);
}

static void draw_tile(Ui *ui, int i)
{
    const UiLayout *l = &ui->layout;
    int pgm = on_air(ui, i);
    int pvw = !pgm && ui->st.preview == i;
    int lost = cam_lost(ui, i);
    fill(ui, l->tile_frame[i], pgm && !take_over(ui) ? C_RED : pvw ? C_GREEN : C_IDLE);
    draw_picture(ui, i, l->tile[i], lost);
    if (lost)
        draw_no_signal(ui, i, l->tile[i]);
    else if (ui->cam[i].seq < 0)
        text_row(ui, UI_FONT_LABEL, "no picture yet", C_DIM, l->tile[i].x + l->tile[i].w / 2, l->tile[i].y,
                 l->tile[i].h, UI_ALIGN_CENTER, l->tile[i].w);

    UiRect lb = l->tile_label[i];
    fill(ui, lb, pgm && !take_over(ui) ? C_RED : pvw ? C_GREEN : C_BAR);
    SDL_Color fg = pvw ? C_BLACK : C_TEXT; /* black on the green bar, white on red and grey */
    char name[96];
    if (i < 9)
        snprintf(name, sizeof(name), "%d  %s", i + 1, ui->names[i]);
    else
        snprintf(name, sizeof(name), "%s", ui->names[i]);
    int pad = l->border + 2;
    int used = text_row(ui, UI_FONT_BOLD, name, fg, lb.x + pad, lb.y, lb.h, UI_ALIGN_LEFT, lb.w - 2 * pad);
    char right[96] = "";
    const SwCamStats *cs = i < ui->rs.ncams ? &ui->rs.cams[i] : NULL;
    if (cs && (cs->repeats || cs->drops))
        snprintf(right, sizeof(right), "rep %" PRId64 "  drop %" PRId64, cs->repeats, cs->drops);
    const char *tally = pgm ? "PGM" : pvw ? "PVW" : "";
    char both[128];
    snprintf(both, sizeof(both), "%s%s%s", right, right[0] && tally[0] ? "   " : "", tally);
    SDL_Color rc = pgm || pvw ? fg : C_YELLOW;
    text_row(ui, UI_FONT_LABEL, both, rc, lb.x + lb.w - pad, lb.y, lb.h, UI_ALIGN_RIGHT,
             lb.w - used - 3 * pad);
}

static void draw_pane(Ui *ui, int program)
{
    const UiLayout *l = &ui->layout;
    int cam = program ? ui->st.program : ui->st.preview;
    SDL_Color col = program ? (take_over(ui) ? C_IDLE : C_RED) : C_GREEN;
    UiRect frame = program ? l->program_frame : l->preview_frame;
    UiRect pic = program ? l->program : l->preview;
    UiRect lb = program ? l->program_label : l->preview_label;
    fill(ui, frame, col);
    fill(ui, lb, col);
    int pad = l->border + 2;
    SDL_Color fg = program ? C_TEXT : C_BLACK;
    int used = text_row(ui, UI_FONT_BOLD, program ? "PROGRAM" : "PREVIEW", fg, lb.x + pad, lb.y, lb.h,
                        UI_ALIGN_LEFT, lb.w / 2);
    char name[96];
    if (cam >= 0 && cam < ui->cfg.ncams)
        snprintf(name, sizeof(name), "%d  %s", cam + 1, ui->names[cam]);
    else
        snprintf(name, sizeof(name), "none");
    text_row(ui, UI_FONT_BOLD, name, fg, lb.x + pad + used + 3 * pad, lb.y, lb.h, UI_ALIGN_LEFT,
             lb.w - used - 5 * pad);
    if (program && ui->pgm.tex && ui->pgm.seq >= 0) {
        /* What goes to tape: the program path's frame (slate, held last frame, a transition's picture). */
        SDL_Rect dst = {pic.x, pic.y, pic.w, pic.h};
        SDL_RenderCopy(ui->ren, ui->pgm.tex, NULL, &dst);
    } else if (cam >= 0 && cam < ui->cfg.ncams) {
        int lost = cam_lost(ui, cam);
        draw_picture(ui, cam, pic, lost);
        if (lost)
            draw_no_signal(ui, cam, pic);
    } else {
        fill(ui, pic, C_BLACK);
        text_row(ui, UI_FONT_LABEL, program ? "" : "no camera on preview", C_DIM, pic.x + pic.w / 2, pic.y,
                 pic.h, UI_ALIGN_CENTER, pic.w);
    }
}

/* ---- the Take One Clock and the cue list ---- */

typedef enum UiPhase { UI_ARMED, UI_ROLLING, UI_ENDING, UI_ENDED, UI_CANCELLED } UiPhase;

static UiPhase phase(const Ui *ui)
{
    if (ui->cancelled && ui->st.tick < 0)
        return UI_CANCELLED;
    if (ui->st.ended || ui->done)
        return UI_ENDED;
    if (ui->st.tick < 0)
        return UI_ARMED;
    return ui->ending ? UI_ENDING : UI_ROLLING;
}

static int64_t frames_until_roll(const Ui *ui)
{
    int64_t ns = ui->take->roll_ns - ui->now_ns;
    if (ns <= 0)
        return 0;
    /* ceil(ns * fps): the countdown shows 0 only when the roll is due */
    int64_t den = (int64_t)ui->cfg.rate.den * 1000000000LL;
    return (ns * ui->cfg.rate.num + den - 1) / den;
}

/* "LTC HH:MM:SS:FF" of the tick shown, or negative without LTC (or before the roll). */
static int ui_ltc(Ui *ui, char *buf, int size)
{
    char tc[32];
    if (!ui->take->get_ltc || ui->st.tick < 0 ||
        ui->take->get_ltc(ui->take->ltc_opaque, ui->st.tick, tc, (int)sizeof(tc)) < 0)
        return -1;
    return snprintf(buf, (size_t)size, "LTC %s", tc) < size ? 0 : -1;
}

static void draw_clock(Ui *ui)
{
    const UiLayout *l = &ui->layout;
    UiRect c = l->clock;
    UiPhase ph = phase(ui);
    static const char *const names[] = {"ARMED", "ROLLING", "ENDING", "ENDED", "CANCELLED"};
    SDL_Color badge = ph == UI_ARMED ? C_AMBER : ph == UI_ROLLING || ph == UI_ENDING ? C_RED : C_IDLE;
    SDL_Color badge_fg = ph == UI_ARMED ? C_BLACK : C_TEXT;
    char label[32];
    snprintf(label, sizeof(label), "%s%s", ph == UI_ROLLING ? "\xe2\x97\x8f " : "", names[ph]); /* U+25CF */
    int bh = l->row_h + 4;
    int bw = ui_text_width(ui->text, UI_FONT_BOLD, label) + 4 * l->border;
    if (bw < 6 * l->font_px)
        bw = 6 * l->font_px;
    fill(ui, rect(c.x, c.y, bw, bh), badge);
    text_row(ui, UI_FONT_BOLD, label, badge_fg, c.x + bw / 2, c.y, bh, UI_ALIGN_CENTER, bw);

    /* right of the badge: the wall clock, or when the take rolls */
    char wall[48];
    time_t now = time(NULL);
    if (ph == UI_ARMED)
        now += (time_t)((ui->take->roll_ns - ui->now_ns + 500000000LL) / 1000000000LL);
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(wall, sizeof(wall), ph == UI_ARMED ? "rolls at %H:%M:%S" : "%H:%M:%S", &tm);
    /* with LTC in, its timecode beside the take's, in place of the wall clock */
    char ltc[40];
    int have_ltc = ui_ltc(ui, ltc, sizeof(ltc)) == 0;
    text_row(ui, have_ltc ? UI_FONT_MONO : UI_FONT_LABEL, have_ltc ? ltc : wall, have_ltc ? C_AMBER : C_DIM,
             c.x + c.w, c.y, bh, UI_ALIGN_RIGHT, c.w - bw - l->border);

    /* the big timecode: the countdown to the roll, then the take's */
    char tc[48], buf[40];
    int y = c.y + bh + l->border / 2;
    int big_h = l->big_px * 13 / 10;
    if (ph == UI_ARMED || ph == UI_CANCELLED) {
        format_tc(ui, ph == UI_ARMED ? frames_until_roll(ui) : 0, buf, sizeof(buf));
        snprintf(tc, sizeof(tc), "-%s", buf);
    } else {
        format_tc(ui, ui->st.tick < 0 ? 0 : ui->st.tick, tc, sizeof(tc));
    }
    SDL_Color big = ph == UI_ARMED ? C_AMBER : ph == UI_ENDED || ph == UI_CANCELLED ? C_DIM : C_TEXT;
    text_row(ui, UI_FONT_BIG, tc, big, c.x, y, big_h, UI_ALIGN_LEFT, c.w);
    y += big_h;

    /* time to the next cue, and to the end */
    int64_t now_f = ui->st.tick < 0 ? 0 : ui->st.tick;
    int64_t before_roll = ph == UI_ARMED ? frames_until_roll(ui) : 0;
    char next[80] = "none";
    SDL_Color next_col = C_TEXT;
    const SwCueList *cues = ui->take->cues;
    if (ph == UI_ENDED || ph == UI_CANCELLED) {
        snprintf(next, sizeof(next), "-");
    } else if (cues) {
        int ti = sw_cues_find_timed(cues, ui->st.tick + 1);
        const SwCue *tcue = ti < sw_cues_count(cues) ? sw_cues_get(cues, ti) : NULL;
        if (tcue) {
            format_tc(ui, tcue->frame - now_f + before_roll, buf, sizeof(buf));
            snprintf(next, sizeof(next), "in %s", buf);
        }
        if (ui->st.next_go >= 0 && ui->st.next_cue == ui->st.next_go) {
            snprintf(next, sizeof(next), "GO pending");
            next_col = C_AMBER;
        }
    }
    text_row(ui, UI_FONT_BOLD, "NEXT CUE", C_DIM, c.x, y, l->row_h, UI_ALIGN_LEFT, c.w / 2);
    text_row(ui, UI_FONT_MONO, next, next_col, c.x + c.w, y, l->row_h, UI_ALIGN_RIGHT, c.w * 2 / 3);
    y += l->row_h;
    char end[80];
    int64_t e = end_frame(ui);
    if (ph == UI_ENDED || ph == UI_CANCELLED) {
        format_tc(ui, ui->rs.ticks, buf, sizeof(buf));
        snprintf(end, sizeof(end), ph == UI_CANCELLED ? "nothing recorded" : "at %s", buf);
    } else if (e >= 0) {
        format_tc(ui, e - now_f + before_roll, buf, sizeof(buf));
        snprintf(end, sizeof(end), "in %s", buf);
    } else {
        snprintf(end, sizeof(end), "open");
    }
    text_row(ui, UI_FONT_BOLD, "END", C_DIM, c.x, y, l->row_h, UI_ALIGN_LEFT, c.w / 2);
    text_row(ui, UI_FONT_MONO, end, C_TEXT, c.x + c.w, y, l->row_h, UI_ALIGN_RIGHT, c.w * 2 / 3);
}

/* A cue has fired: timed cues once the program passed their frame, go cues in file order (next_go is the
 * first go cue not fired). */
static int cue_fired(const Ui *ui, const SwCue *c, int index)
{
    if (c->frame >= 0)
        return c->frame <= ui->st.tick;
    return ui->st.next_go < 0 || index < ui->st.next_go;
}

static void draw_cue_row(Ui *ui, int index, int row, int current)
{
    const UiLayout *l = &ui->layout;
    const SwCue *c = sw_cues_get(ui->take->cues, index);
    UiRect r = rect(l->cues.x, l->cues.y + row * l->row_h, l->cues.w, l->row_h);
    int pending_go = c->frame < 0 && index == ui->st.next_go && !ui->st.ended;
    SDL_Color fg = C_TEXT, dim = C_DIM;
    if (current) {
        fill(ui, r, (SDL_Color){90, 24, 24, 255});
    } else if (pending_go && blink_on(ui)) {
        fill(ui, r, C_AMBER);
        fg = dim = C_BLACK;
    }
    char tc[40];
    if (c->frame >= 0)
        format_tc(ui, c->frame, tc, sizeof(tc));
    else
        snprintf(tc, sizeof(tc), "GO");
    int pad = l->border;
    int tc_w = ui_text_width(ui->text, UI_FONT_MONO, "00:00:00:00") + 2 * pad;
    text_row(ui, UI_FONT_MONO, tc, pending_go && !current ? (blink_on(ui) ? C_BLACK : C_AMBER) : fg,
             r.x + pad, r.y, r.h, UI_ALIGN_LEFT, tc_w);
    char what[160];
    if (c->action == SW_CUE_END)
        snprintf(what, sizeof(what), "end");
    else if (c->action == SW_CUE_SUB || c->action == SW_CUE_SUB_CLEAR)
        snprintf(what, sizeof(what), "sub");
    else
        snprintf(what, sizeof(what), "%s", c->camera ? c->camera : "?");
    int x = r.x + pad + tc_w;
    int used = text_row(ui, UI_FONT_BOLD, what, fg, x, r.y, r.h, UI_ALIGN_LEFT, r.w - tc_w - pad);
    if (c->label || c->text) {
        char label[160];
        snprintf(label, sizeof(label), "\"%s\"", c->label ? c->label : c->text);
        text_row(ui, UI_FONT_LABEL, label, dim, x + used + 2 * pad, r.y, r.h, UI_ALIGN_LEFT,
                 r.w - tc_w - used - 3 * pad);
    }
}

/* Subtitles at the top of the cue rows: per language (the first UI_SUB_ROWS_LANGS), the line shown now and the
 * next one. Returns the rows used. */
#define UI_SUB_ROWS_LANGS 2
static int draw_subs(Ui *ui)
{
    const UiLayout *l = &ui->layout;
    const SwSubs *subs = sw_switcher_subs(ui->take->sw);
    int row = 0;
    for (int i = 0; i < ui->st.sub_langs && i < UI_SUB_ROWS_LANGS && row + 2 <= l->cue_rows / 2; i++) {
        char tag[32];
        snprintf(tag, sizeof(tag), "SUB %s", sw_subs_lang(subs, i) ? sw_subs_lang(subs, i) : "?");
        int tw = ui_text_width(ui->text, UI_FONT_BOLD, "SUB pt-BR ") + l->border;
        for (int k = 0; k < 2; k++, row++) {
            const char *t = k ? ui->st.sub_next[i] : ui->st.sub_now[i];
            int y = l->cues.y + row * l->row_h;
            text_row(ui, UI_FONT_BOLD, k ? "next" : tag, C_DIM, l->cues.x, y, l->row_h, UI_ALIGN_LEFT, tw);
            text_row(ui, UI_FONT_LABEL, t ? t : "-", k ? C_DIM : C_TEXT, l->cues.x + tw, y, l->row_h, UI_ALIGN_LEFT,
                     l->cues.w - tw);
        }
    }
    return row;
}

static void draw_cues(Ui *ui)
{
    const UiLayout *l = &ui->layout;
    const SwCueList *cues = ui->take->cues;
    if (l->cue_rows <= 0)
        return;
    int n = sw_cues_count(cues);
    int row = draw_subs(ui);
    if (!cues || n == 0) {
        text_row(ui, UI_FONT_LABEL, "No cue list: cut by hand (1-9, click)", C_DIM, l->cues.x,
                 l->cues.y + row * l->row_h, l->row_h, UI_ALIGN_LEFT, l->cues.w);
        return;
    }
    /* The current cue (the last one fired, in file order), then the cues still to come. */
    int current = -1;
    for (int i = 0; i < n; i++)
        if (cue_fired(ui, sw_cues_get(cues, i), i))
            current = i;
    if (current >= 0 && row < l->cue_rows)
        draw_cue_row(ui, current, row++, 1);
    for (int i = 0; i < n && row < l->cue_rows; i++)
        if (!cue_fired(ui, sw_cues_get(cues, i), i))
            draw_cue_row(ui, i, row++, 0);
}

static SDL_Color meter_color(float db)
{
    return db >= -6.0f ? C_RED : db >= -18.0f ? C_YELLOW : C_GREEN;
}

static int meter_y(UiRect r, float db)
{
    float v = (db + 60.0f) / 60.0f; /* -60 dBFS at the bottom, 0 dBFS at the top */
    v = v < 0 ? 0 : v > 1 ? 1 : v;
    return r.y + r.h - (int)(v * (float)r.h);
}

/* Program audio, a strip right of the program: per channel the RMS as a bar and the peak as a tick, in dBFS,
 * with marks at -18 and -6 dBFS and the loudest peak written under it. Drawn only when the take has program
 * audio. */
static void draw_meter(Ui *ui)
{
    const UiLayout *l = &ui->layout;
    UiRect r = l->meter;
    if (!ui->take->get_audio || r.w <= 0 || r.h <= 0)
        return;
    fill(ui, r, C_PANEL);
    UiAudioLevel lv;
    memset(&lv, 0, sizeof(lv));
    int ok = ui->take->get_audio(ui->take->opaque, &lv) == 0 && lv.channels > 0;
    text_row(ui, UI_FONT_LABEL, "dB", C_DIM, r.x + r.w / 2, r.y, l->row_h, UI_ALIGN_CENTER, r.w);
    UiRect bars = rect(r.x + l->border, r.y + l->row_h, r.w - 2 * l->border, r.h - 2 * l->row_h);
    if (!ok) {
        fill(ui, bars, C_BAR);
        text_row(ui, UI_FONT_LABEL, "--", C_DIM, r.x + r.w / 2, r.y + r.h - l->row_h, l->row_h,
                 UI_ALIGN_CENTER, r.w);
        return;
    }
    int ch = lv.channels > UI_AUDIO_MAX_CHANNELS ? UI_AUDIO_MAX_CHANNELS : lv.channels;
    int bw = (bars.w - (ch - 1)) / ch;
    if (bw < 2)
        bw = 2;
    float pk = -200;
    for (int i = 0; i < ch; i++) {
        UiRect bar = rect(bars.x + i * (bw + 1), bars.y, bw, bars.h);
        fill(ui, bar, C_BAR);
        /* the RMS bar in three colours: green up to -18 dBFS, yellow to -6, red above */
        static const float zones[3][2] = {{-60, -18}, {-18, -6}, {-6, 0}};
        for (int z = 0; z < 3; z++) {
            float top = lv.rms_dbfs[i] < zones[z][1] ? lv.rms_dbfs[i] : zones[z][1];
            if (top <= zones[z][0])
                break;
            int y0 = meter_y(bar, top), y1 = meter_y(bar, zones[z][0]);
            fill(ui, rect(bar.x, y0, bar.w, y1 - y0), meter_color(zones[z][1] - 0.5f));
        }
        int yp = meter_y(bar, lv.peak_dbfs[i]);
        fill(ui, rect(bar.x, yp - 1, bar.w, 2), lv.peak_dbfs[i] >= -0.1f ? C_RED : C_TEXT);
        pk = lv.peak_dbfs[i] > pk ? lv.peak_dbfs[i] : pk;
    }
    for (int k = 0; k < 2; k++) {
        int y = meter_y(bars, k ? -6.0f : -18.0f);
        fill(ui, rect(bars.x - l->border, y, l->border, 1), C_DIM);
    }
    char num[16];
    snprintf(num, sizeof(num), "%.0f", pk < -99 ? -99.0f : pk);
    text_row(ui, UI_FONT_MONO, num, meter_color(pk), r.x + r.w / 2, r.y + r.h - l->row_h, l->row_h,
             UI_ALIGN_CENTER, r.w);
}

static void draw_panel(Ui *ui)
{
    const UiLayout *l = &ui->layout;
    fill(ui, l->panel, C_PANEL);
    draw_clock(ui);
    draw_cues(ui);
    if (ui->msg[0] && ui->now < ui->msg_until)
        text_row(ui, UI_FONT_BOLD, ui->msg, C_AMBER, l->hint.x, l->hint.y, l->hint.h, UI_ALIGN_LEFT,
                 l->hint.w);
    else {
        /* once the take is over, Esc no longer ends anything: say so instead of the rolling hint */
        UiPhase ph = phase(ui);
        const char *hint = ph == UI_ENDED || ph == UI_CANCELLED ? "F1 keys    the take is over"
                                                                : "F1 keys    Esc Esc ends the take";
        text_row(ui, UI_FONT_LABEL, hint, C_DIM, l->hint.x, l->hint.y, l->hint.h, UI_ALIGN_LEFT, l->hint.w);
    }
}

static void draw_help(Ui *ui)
{
    static const char *const lines[][2] = {
        {"1 - 9", "cut that camera to program"},
        {"click a tile", "cut it to program"},
        {"right-click a tile", "put it on preview"},
        {"P, then 1 - 9", "put that camera on preview"},
        {"click the preview", "cut the preview to program"},
        {"Space or Enter", "fire the next GO cue"},
        {"T", "transition to preview (--auto-transition); T again: finish it now"},
        {"Esc twice (2 s)", "end the take (or hold Esc 1 s)"},
        {"close twice", "end the take and close"},
        {"F1 or ?", "show or hide these keys"},
    };
    const UiLayout *l = &ui->layout;
    int n = (int)(sizeof(lines) / sizeof(lines[0]));
    int key_w = 0, what_w = 0;
    for (int i = 0; i < n; i++) {
        int kw = ui_text_width(ui->text, UI_FONT_BOLD, lines[i][0]);
        int ww = ui_text_width(ui->text, UI_FONT_LABEL, lines[i][1]);
        key_w = kw > key_w ? kw : key_w;
        what_w = ww > what_w ? ww : what_w;
    }
    int pad = 3 * l->border;
    int w = key_w + what_w + 4 * pad, h = (n + 2) * l->row_h + 2 * pad;
    UiRect box = rect((l->width - w) / 2, (l->height - h) / 2, w, h);
    fill(ui, box, (SDL_Color){0, 0, 0, 225});
    text_row(ui, UI_FONT_BOLD, "KEYS  (every cut lands on the next frame)", C_AMBER, box.x + pad, box.y + pad,
             l->row_h, UI_ALIGN_LEFT, w - 2 * pad);
    for (int i = 0; i < n; i++) {
        int y = box.y + pad + (i + 1) * l->row_h + l->row_h / 2;
        text_row(ui, UI_FONT_BOLD, lines[i][0], C_TEXT, box.x + pad, y, l->row_h, UI_ALIGN_LEFT, key_w);
        text_row(ui, UI_FONT_LABEL, lines[i][1], C_TEXT, box.x + 3 * pad + key_w, y, l->row_h, UI_ALIGN_LEFT,
                 what_w);
    }
}

static void draw(Ui *ui)
{
    SDL_SetRenderDrawColor(ui->ren, C_BG.r, C_BG.g, C_BG.b, 255);
    SDL_RenderClear(ui->ren);
    draw_pane(ui, 0);
    draw_pane(ui, 1);
    draw_trans_progress(ui);
    draw_panel(ui);
    draw_meter(ui);
    for (int i = 0; i < ui->cfg.ncams; i++)
        draw_tile(ui, i);
    if (ui->help)
        draw_help(ui);
}

/* ---- screenshot ---- */

/* A JSON string (or null): UTF-8 as it is, quotes, backslashes and control characters escaped. */
static void json_str(FILE *f, const char *s)
{
    if (!s) {
        fputs("null", f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

static void json_rect(FILE *f, const char *key, UiRect r)
{
    fprintf(f, "\"%s\": [%d, %d, %d, %d]", key, r.x, r.y, r.w, r.h);
}

static void json_picture(Ui *ui, FILE *f, int cam)
{
    const UiCamTex *c = cam >= 0 && cam < ui->cfg.ncams ? &ui->cam[cam] : NULL;
    fprintf(f, "\"cam\": %d, \"name\": %s%s%s, \"seq\": %" PRId64 ", \"pts_ns\": %" PRId64, cam,
            c ? "\"" : "", c ? ui->names[cam] : "null", c ? "\"" : "", c ? c->seq : -1, c ? c->pts_ns : -1);
}

/* What the screenshot shows and where, for tests and docs (FILE.json). Camera names are [A-Za-z0-9_-]. */
static int write_shot_json(Ui *ui, const char *path)
{
    const UiLayout *l = &ui->layout;
    FILE *f = fopen(path, "w");
    if (!f)
        return -errno;
    static const char *const phases[] = {"armed", "rolling", "ending", "ended", "cancelled"};
    fprintf(f, "{\n  \"requested_frame\": %" PRId64 ", \"frame\": %" PRId64 ", \"state\": \"%s\",\n",
            ui->shot_frame, ui->st.tick, phases[phase(ui)]);
    fprintf(f, "  \"width\": %d, \"height\": %d, \"border\": %d, \"program_cam\": %d, \"preview_cam\": %d,\n",
            l->width, l->height, l->border, ui->st.program, ui->st.preview);
    fprintf(f, "  \"program\": {");
    json_picture(ui, f, ui->st.program);
    fprintf(f, ", \"program_tick\": %" PRId64, ui->pgm.tick); /* the program frame the pane shows */
    fprintf(f, ", ");
    json_rect(f, "picture", l->program);
    fprintf(f, ", ");
    json_rect(f, "frame", l->program_frame);
    fprintf(f, "},\n  \"preview\": {");
    json_picture(ui, f, ui->st.preview);
    fprintf(f, ", ");
    json_rect(f, "picture", l->preview);
    fprintf(f, ", ");
    json_rect(f, "frame", l->preview_frame);
    fprintf(f, "},\n  ");
    json_rect(f, "panel", l->panel);
    fprintf(f, ", ");
    json_rect(f, "clock", l->clock);
    fprintf(f, ", ");
    json_rect(f, "cues", l->cues);
    fprintf(f, ", ");
    json_rect(f, "meter", l->meter);
    char ltc[40];
    fprintf(f, ",\n  \"ltc\": ");
    json_str(f, ui_ltc(ui, ltc, sizeof(ltc)) == 0 ? ltc + 4 : NULL);
    fprintf(f, ",\n  \"subtitles\": [");
    for (int i = 0; i < ui->st.sub_langs; i++) {
        fprintf(f, "%s{\"lang\": ", i ? ", " : "");
        json_str(f, sw_subs_lang(sw_switcher_subs(ui->take->sw), i));
        fprintf(f, ", \"now\": ");
        json_str(f, ui->st.sub_now[i]);
        fprintf(f, ", \"next\": ");
        json_str(f, ui->st.sub_next[i]);
        fprintf(f, "}");
    }
    fprintf(f, "],\n  \"tiles\": [\n");
    for (int i = 0; i < ui->cfg.ncams; i++) {
        const char *tally = on_air(ui, i) ? "program" : ui->st.preview == i ? "preview" : "none";
        fprintf(f, "    {");
        json_picture(ui, f, i);
        fprintf(f, ", \"tally\": \"%s\", \"signal\": %s, ", tally, cam_lost(ui, i) ? "false" : "true");
        json_rect(f, "picture", l->tile[i]);
        fprintf(f, ", ");
        json_rect(f, "frame", l->tile_frame[i]);
        fprintf(f, ", ");
        json_rect(f, "label", l->tile_label[i]);
        fprintf(f, "}%s\n", i + 1 < ui->cfg.ncams ? "," : "");
    }
    fprintf(f, "  ]\n}\n");
    int bad = ferror(f);
    if (fclose(f) != 0 || bad)
        return -EIO;
    return 0;
}

/* Read back what was just drawn (before it is presented) and write it as PNG, plus FILE.json. */
static int save_screenshot(Ui *ui)
{
    const char *path = ui->shot_path;
    int w = 0, h = 0;
    SDL_GetRendererOutputSize(ui->ren, &w, &h);
    SDL_Surface *s = SDL_CreateRGBSurfaceWithFormat(0, w, h, 24, SDL_PIXELFORMAT_RGB24);
    int ret = 0;
    if (!s) {
        ot_log(OT_LOG_ERROR, "ui", "screenshot %s: %s", path, SDL_GetError());
        return -ENOMEM;
    }
    if (SDL_RenderReadPixels(ui->ren, NULL, SDL_PIXELFORMAT_RGB24, s->pixels, s->pitch) < 0) {
        ot_log(OT_LOG_ERROR, "ui", "screenshot %s: cannot read the window back: %s", path, SDL_GetError());
        ret = -EIO;
        goto fail;
    }
    if (!ui->img_up) {
        if ((IMG_Init(IMG_INIT_PNG) & IMG_INIT_PNG) == 0)
            ot_log(OT_LOG_VERBOSE, "ui", "IMG_Init: %s (PNG saving may still work)", IMG_GetError());
        ui->img_up = 1;
    }
    if (IMG_SavePNG(s, path) < 0) {
        ot_log(OT_LOG_ERROR, "ui", "screenshot %s: cannot write the PNG: %s", path, IMG_GetError());
        ret = -EIO;
        goto fail;
    }
    char json[4096];
    snprintf(json, sizeof(json), "%s.json", path);
    if ((ret = write_shot_json(ui, json)) < 0) {
        ot_log(OT_LOG_ERROR, "ui", "screenshot %s: cannot write %s: %s", path, json, ot_strerror(ret));
        goto fail;
    }
    ot_log(OT_LOG_INFO, "ui", "screenshot of frame %" PRId64 " written to %s (%dx%d)", ui->st.tick, path, w,
           h);
fail:
    SDL_FreeSurface(s);
    return ret;
}

static void maybe_screenshot(Ui *ui)
{
    if (!ui->shot_path || ui->shot_done)
        return;
    if (ui->shot_frame == -2) {
        /* The middle of the take when its length is known, else a few seconds in. */
        int64_t e = end_frame(ui);
        ui->shot_frame = ui->cfg.screenshot_frame >= 0 ? ui->cfg.screenshot_frame
                         : e > 0                       ? e / 2
                                 : (int64_t)UI_DEFAULT_SHOT_S * ui->cfg.rate.num / ui->cfg.rate.den;
    }
    int due = ui->st.tick >= ui->shot_frame;
    if (!due && !ui->done)
        return;
    if (!due)
        ot_log(OT_LOG_WARNING, "ui",
               "the take ended at frame %" PRId64 ", before screenshot frame %" PRId64
               ": the screenshot shows its end",
               ui->rs.ticks, ui->shot_frame);
    ui->shot_done = 1;
    save_screenshot(ui);
}

/* ---- the loop ---- */

static void ui_frame(Ui *ui)
{
    snapshot(ui);
    run_script(ui);
    if (ui->esc_down && !ui->ending && ui->now - ui->esc_down_since >= UI_HOLD_MS) {
        ui->esc_down = 0;
        cmd_end(ui, "Esc held");
    }
    if (ui->p_armed && ui->now - ui->p_time > UI_PREVIEW_KEY_MS)
        ui->p_armed = 0;
    if (ui->esc_armed && ui->now - ui->esc_time > UI_DOUBLE_PRESS_MS)
        ui->esc_armed = 0;
    if (ui->close_armed && ui->now - ui->close_time > UI_CLOSE_CONFIRM_MS)
        ui->close_armed = 0;

    if (!ui->closing) {
        update_textures(ui);
        draw(ui);
        maybe_screenshot(ui);
        SDL_RenderPresent(ui->ren);
    } else if (ui->shot_path && !ui->shot_done && ui->done) {
        ot_log(OT_LOG_WARNING, "ui", "the window was closed before the screenshot: none written");
        ui->shot_done = 1;
    }
    if (ui->done)
        ui->quit =
            1; /* this frame showed ENDED: the caller finishes the take, the window stays up meanwhile */
}

int ui_run(Ui *ui, const UiTake *take)
{
    if (!ui || !take || !take->sw || !take->runner)
        return -EINVAL;
    ui->take = take;
    relayout(ui);
    const Uint64 period = 1000 / UI_FPS;
    Uint64 next = SDL_GetTicks64();
    while (!ui->quit) {
        Uint64 now = SDL_GetTicks64();
        SDL_Event ev;
        /* Input is handled as it arrives (a cut is staged at once); drawing happens at UI_FPS. */
        if (SDL_WaitEventTimeout(&ev, next > now ? (int)(next - now) : 0)) {
            handle_event(ui, &ev);
            while (SDL_PollEvent(&ev))
                handle_event(ui, &ev);
        }
        now = SDL_GetTicks64();
        if (now >= next) {
            ui_frame(ui);
            next += period;
            if (next <= now)
                next = now + period; /* after a stall: no burst of catch-up frames */
        }
    }
    ui->take = NULL;
    return 0;
}

void ui_linger(Ui *ui, int ms)
{
    if (!ui || ui->closing)
        return;
    Uint64 until = SDL_GetTicks64() + (Uint64)(ms > 0 ? ms : 0);
    for (Uint64 now = SDL_GetTicks64(); now < until; now = SDL_GetTicks64()) {
        SDL_Event ev;
        if (!SDL_WaitEventTimeout(&ev, (int)(until - now)))
            continue;
        if (ev.type == SDL_QUIT || (ev.type == SDL_WINDOWEVENT && ev.window.event == SDL_WINDOWEVENT_CLOSE))
            return;
    }
}

/* ---- open and close ---- */

Ui *ui_alloc(const UiConfig *cfg)
{
    if (!cfg || cfg->ncams < 1 || cfg->ncams > UI_MAX_CAMS || cfg->rate.num <= 0 || cfg->rate.den <= 0 ||
        cfg->program_width <= 0 || cfg->program_height <= 0)
        return NULL;
    Ui *ui = calloc(1, sizeof(*ui));
    if (!ui)
        return NULL;
    ui->cfg = *cfg;
    ui->shot_frame = -2;
    for (int i = 0; i < cfg->ncams; i++) {
        ui->names[i] = strdup(cfg->cams[i] ? cfg->cams[i] : "?");
        ui->cam[i].seq = -1;
        if (!ui->names[i])
            goto fail;
    }
    ui->pgm.seq = -1;
    ui->pgm.tick = -1;
    ui->cfg.cams = (const char *const *)ui->names;
    ui->title = strdup(cfg->title ? cfg->title : "onetake multiview");
    ui->shot_path = cfg->screenshot_path ? strdup(cfg->screenshot_path) : NULL;
    if (!ui->title || (cfg->screenshot_path && !ui->shot_path))
        goto fail;

    /* Our SIGINT/SIGTERM handlers end the take cleanly: SDL must not replace them. The window closing is
     * handled as a window event (asked twice), not as SDL_QUIT. */
    SDL_SetHint(SDL_HINT_NO_SIGNAL_HANDLERS, "1");
    SDL_SetHint(SDL_HINT_QUIT_ON_LAST_WINDOW_CLOSE, "0");
    SDL_SetHint(SDL_HINT_RENDER_SCALE_QUALITY, "linear");
    SDL_SetHint(SDL_HINT_MOUSE_FOCUS_CLICKTHROUGH, "1");
    SDL_SetHint(SDL_HINT_VIDEO_X11_NET_WM_BYPASS_COMPOSITOR, "0");
    /* When drawing falls back to the software renderer, present through the window system directly (X11:
     * XShm) instead of a hidden OpenGL renderer: cheaper on a machine without a GPU, and no Mesa loaded for
     * nothing. */
    SDL_SetHint(SDL_HINT_FRAMEBUFFER_ACCELERATION, "0");
    if (SDL_InitSubSystem(SDL_INIT_VIDEO) < 0) {
        ot_log(OT_LOG_WARNING, "ui", "cannot open the multiview window (SDL: %s)", SDL_GetError());
        goto fail;
    }
    ui->video_up = 1;
    int w = cfg->window_width > 0 ? cfg->window_width : 1280;
    int h = cfg->window_height > 0 ? cfg->window_height : 720;
    ui->win = SDL_CreateWindow(ui->title, SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED, w, h,
                               SDL_WINDOW_RESIZABLE);
    if (!ui->win) {
        ot_log(OT_LOG_WARNING, "ui", "cannot open the multiview window (SDL: %s)", SDL_GetError());
        goto fail;
    }
    ui->win_id = SDL_GetWindowID(ui->win);
    SDL_SetWindowMinimumSize(ui->win, UI_MIN_WIDTH, UI_MIN_HEIGHT);
    /* No vsync: presenting must never wait on the display longer than a frame. Any renderer will do; the
     * software one is the fallback (and what tests under Xvfb use). */
    ui->ren = SDL_CreateRenderer(ui->win, -1, 0);
    if (!ui->ren)
        ui->ren = SDL_CreateRenderer(ui->win, -1, SDL_RENDERER_SOFTWARE);
    if (!ui->ren) {
        ot_log(OT_LOG_WARNING, "ui", "cannot draw in the multiview window (SDL: %s)", SDL_GetError());
        goto fail;
    }
    SDL_SetRenderDrawBlendMode(ui->ren, SDL_BLENDMODE_BLEND);
    SDL_RendererInfo info;
    if (SDL_GetRendererInfo(ui->ren, &info) == 0)
        ot_log(OT_LOG_VERBOSE, "ui", "multiview: %dx%d, SDL renderer %s", w, h, info.name);
    ui->text = ui_text_alloc(ui->ren);
    if (!ui->text)
        goto fail;
    return ui;

fail:
    ui_free(&ui);
    return NULL;
}

void ui_free(Ui **pui)
{
    Ui *ui = pui ? *pui : NULL;
    if (!ui)
        return;
    for (int i = 0; i < UI_MAX_CAMS; i++) {
        if (ui->cam[i].tex)
            SDL_DestroyTexture(ui->cam[i].tex);
        free(ui->names[i]);
    }
    if (ui->pgm.tex)
        SDL_DestroyTexture(ui->pgm.tex);
    ui_text_free(&ui->text);
    if (ui->ren)
        SDL_DestroyRenderer(ui->ren);
    if (ui->win)
        SDL_DestroyWindow(ui->win);
    if (ui->img_up)
        IMG_Quit();
    if (ui->video_up) {
        SDL_QuitSubSystem(SDL_INIT_VIDEO);
        SDL_Quit();
    }
    free(ui->title);
    free(ui->shot_path);
    free(ui);
    *pui = NULL;
}
