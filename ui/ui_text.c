/* onetake ui: text through SDL_ttf (DejaVu, from Debian's fonts-dejavu-core). A rendered string is kept as a
 * texture in a small LRU cache: camera names and cue labels are rendered once, the clock once per change. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <SDL_ttf.h>

#include "ot_common.h"
#include "ui_internal.h"

#define UI_TEXT_CACHE 192
#define UI_TEXT_KEY 128 /* longer strings are rendered every time */

typedef struct UiTextEntry {
    char s[UI_TEXT_KEY];
    int font;
    Uint32 rgba;
    SDL_Texture *tex;
    int w, h;
    Uint64 used;
} UiTextEntry;

struct UiText {
    SDL_Renderer *ren;
    int ttf_ready;
    int ok;
    char dir[512];
    TTF_Font *font[UI_FONT_COUNT];
    Uint64 clock;
    UiTextEntry cache[UI_TEXT_CACHE];
};

static const char *const font_files[UI_FONT_COUNT] = {
    "DejaVuSans.ttf",
    "DejaVuSans-Bold.ttf",
    "DejaVuSansMono-Bold.ttf",
    "DejaVuSansMono-Bold.ttf",
};

static int file_exists(const char *dir, const char *name)
{
    char path[768];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (f)
        fclose(f);
    return f != NULL;
}

UiText *ui_text_alloc(SDL_Renderer *ren)
{
    UiText *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->ren = ren;
    if (TTF_Init() < 0) {
        ot_log(OT_LOG_WARNING, "ui", "SDL_ttf cannot start (%s): the multiview shows no text",
               TTF_GetError());
        return t;
    }
    t->ttf_ready = 1;
    const char *env = getenv("ONETAKE_FONT_DIR");
    const char *dirs[] = {env, "/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu",
                          "/usr/local/share/fonts/dejavu"};
    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]) && !t->dir[0]; i++)
        if (dirs[i] && file_exists(dirs[i], font_files[0]) && file_exists(dirs[i], font_files[1]) &&
            file_exists(dirs[i], font_files[2]))
            snprintf(t->dir, sizeof(t->dir), "%s", dirs[i]);
    if (!t->dir[0])
        ot_log(OT_LOG_WARNING, "ui",
               "the DejaVu fonts are not installed (apt-get install fonts-dejavu-core, or set "
               "ONETAKE_FONT_DIR): the multiview shows no text");
    return t;
}

static void clear_cache(UiText *t)
{
    for (int i = 0; i < UI_TEXT_CACHE; i++) {
        if (t->cache[i].tex)
            SDL_DestroyTexture(t->cache[i].tex);
        t->cache[i] = (UiTextEntry){0};
    }
}

static void close_fonts(UiText *t)
{
    for (int i = 0; i < UI_FONT_COUNT; i++) {
        if (t->font[i])
            TTF_CloseFont(t->font[i]);
        t->font[i] = NULL;
    }
    t->ok = 0;
}

void ui_text_set_size(UiText *t, int font_px, int big_px)
{
    if (!t)
        return;
    clear_cache(t);
    close_fonts(t);
    if (!t->ttf_ready || !t->dir[0])
        return;
    for (int i = 0; i < UI_FONT_COUNT; i++) {
        char path[768];
        snprintf(path, sizeof(path), "%s/%s", t->dir, font_files[i]);
        t->font[i] = TTF_OpenFont(path, i == UI_FONT_BIG ? big_px : font_px);
        if (!t->font[i]) {
            ot_log(OT_LOG_WARNING, "ui", "cannot open font %s (%s): the multiview shows no text", path,
                   TTF_GetError());
            close_fonts(t);
            t->dir[0] = 0; /* do not try again at every resize */
            return;
        }
    }
    t->ok = 1;
}

int ui_text_ok(const UiText *t)
{
    return t && t->ok;
}

void ui_text_free(UiText **pt)
{
    UiText *t = pt ? *pt : NULL;
    if (!t)
        return;
    clear_cache(t);
    close_fonts(t);
    if (t->ttf_ready)
        TTF_Quit();
    free(t);
    *pt = NULL;
}

static Uint32 rgba(SDL_Color c)
{
    return (Uint32)c.r << 24 | (Uint32)c.g << 16 | (Uint32)c.b << 8 | c.a;
}

/* The cached texture of s (rendering it on a miss), or NULL. *owned is set when the texture is not cached and
 * the caller must destroy it. */
static SDL_Texture *lookup(UiText *t, UiFont font, const char *s, SDL_Color color, int *w, int *h, int *owned)
{
    *owned = 0;
    if (!t->ok || !s || !*s)
        return NULL;
    size_t len = strlen(s);
    Uint32 key = rgba(color);
    t->clock++;
    UiTextEntry *victim = &t->cache[0];
    if (len < UI_TEXT_KEY) {
        for (int i = 0; i < UI_TEXT_CACHE; i++) {
            UiTextEntry *e = &t->cache[i];
            if (e->tex && e->font == (int)font && e->rgba == key && !strcmp(e->s, s)) {
                e->used = t->clock;
                *w = e->w;
                *h = e->h;
                return e->tex;
            }
            /* the victim: an empty slot if there is one, else the least recently used */
            if (!e->tex) {
                if (victim->tex)
                    victim = e;
            } else if (victim->tex && e->used < victim->used) {
                victim = e;
            }
        }
    }
    SDL_Surface *surf = TTF_RenderUTF8_Blended(t->font[font], s, color);
    if (!surf)
        return NULL;
    SDL_Texture *tex = SDL_CreateTextureFromSurface(t->ren, surf);
    *w = surf->w;
    *h = surf->h;
    SDL_FreeSurface(surf);
    if (!tex)
        return NULL;
    if (len >= UI_TEXT_KEY) {
        *owned = 1;
        return tex;
    }
    if (victim->tex)
        SDL_DestroyTexture(victim->tex);
    memcpy(victim->s, s, len + 1);
    victim->font = (int)font;
    victim->rgba = key;
    victim->tex = tex;
    victim->w = *w;
    victim->h = *h;
    victim->used = t->clock;
    return tex;
}

int ui_text_draw(UiText *t, UiFont font, const char *s, SDL_Color color, int x, int y, int align, int max_w)
{
    int w = 0, h = 0, owned = 0;
    SDL_Texture *tex = t ? lookup(t, font, s, color, &w, &h, &owned) : NULL;
    if (!tex)
        return 0;
    int dw = max_w > 0 && w > max_w ? max_w : w;
    int dx = align == UI_ALIGN_CENTER ? x - dw / 2 : align == UI_ALIGN_RIGHT ? x - dw : x;
    SDL_Rect src = {0, 0, dw, h};
    SDL_Rect dst = {dx, y, dw, h};
    SDL_RenderCopy(t->ren, tex, &src, &dst);
    if (owned)
        SDL_DestroyTexture(tex);
    return dw;
}

int ui_text_width(UiText *t, UiFont font, const char *s)
{
    int w = 0;
    if (t && t->ok && s && *s)
        TTF_SizeUTF8(t->font[font], s, &w, NULL);
    return w;
}

int ui_text_height(UiText *t, UiFont font)
{
    return t && t->ok ? TTF_FontHeight(t->font[font]) : 0;
}
