/* onetake ui, internal: shared between the ui/ files only. */
#ifndef UI_INTERNAL_H
#define UI_INTERNAL_H

#include <SDL.h>

#include "ui.h"

/* ---- text: SDL_ttf with DejaVu, rendered strings cached as textures ---- */

typedef enum UiFont {
    UI_FONT_LABEL = 0, /* DejaVu Sans, font_px */
    UI_FONT_BOLD,      /* DejaVu Sans Bold, font_px */
    UI_FONT_MONO,      /* DejaVu Sans Mono Bold, font_px: timecodes in rows */
    UI_FONT_BIG,       /* DejaVu Sans Mono Bold, big_px: the clock */
    UI_FONT_COUNT,
} UiFont;

enum { UI_ALIGN_LEFT, UI_ALIGN_CENTER, UI_ALIGN_RIGHT };

typedef struct UiText UiText;

/* Never NULL on success; without fonts (not installed) it draws nothing and says so once. NULL on ENOMEM. */
UiText *ui_text_alloc(SDL_Renderer *ren);
void ui_text_free(UiText **text);
/* (Re)open the fonts at these pixel sizes (after a resize); drops the cache. */
void ui_text_set_size(UiText *text, int font_px, int big_px);
/* Draw s with its top at y, x being its left edge, centre or right edge per align; clipped to max_w (0: no
 * clip). Returns the width drawn. */
int ui_text_draw(UiText *text, UiFont font, const char *s, SDL_Color color, int x, int y, int align,
                 int max_w);
/* Width of s in that font (0 without fonts). */
int ui_text_width(UiText *text, UiFont font, const char *s);
/* Line height of the font. */
int ui_text_height(UiText *text, UiFont font);
/* 1 when fonts were found. */
int ui_text_ok(const UiText *text);

/* ---- scripted input ---- */

typedef enum UiScriptAction {
    UI_SCRIPT_KEY, /* down + up */
    UI_SCRIPT_KEYDOWN,
    UI_SCRIPT_KEYUP,
    UI_SCRIPT_CLICK,  /* left button down + up */
    UI_SCRIPT_RCLICK, /* right button */
    UI_SCRIPT_STALL,
    UI_SCRIPT_CLOSE,
} UiScriptAction;

typedef struct UiScriptLine {
    int64_t frame; /* -1: armed (before the roll) */
    UiScriptAction action;
    SDL_Keycode key;
    int text_question; /* the "?" key: sent as text input, as a keyboard layout would */
    int x, y;
    int ms;
    int line;
} UiScriptLine;

/* SDL_Keysym.unused of a key event the script pushed (a real key has 0): its commands are logged as the script's. */
#define UI_SCRIPT_MARK 0x6f74u

int ui_script_count(const UiScript *script);
const UiScriptLine *ui_script_get(const UiScript *script, int index);

#endif
