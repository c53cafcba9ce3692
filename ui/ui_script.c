/* onetake ui: the input script (--ui-script): scripted keys, clicks, stalls and closes at program frames, for
 * tests and documentation. Parsed whole before the take starts, so a bad script touches nothing. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ot_common.h"
#include "ui_internal.h"

struct UiScript {
    UiScriptLine *lines;
    int count, cap;
};

int ui_script_count(const UiScript *s)
{
    return s ? s->count : 0;
}

const UiScriptLine *ui_script_get(const UiScript *s, int index)
{
    return s && index >= 0 && index < s->count ? &s->lines[index] : NULL;
}

void ui_script_free(UiScript **ps)
{
    if (!ps || !*ps)
        return;
    free((*ps)->lines);
    free(*ps);
    *ps = NULL;
}

/* Our own short names first (stable in scripts whatever SDL calls them), then SDL's key names. */
static int parse_key(const char *name, UiScriptLine *l)
{
    static const struct {
        const char *name;
        SDL_Keycode key;
    } names[] = {
        {"space", SDLK_SPACE}, {"return", SDLK_RETURN}, {"enter", SDLK_RETURN}, {"escape", SDLK_ESCAPE},
        {"esc", SDLK_ESCAPE},  {"f1", SDLK_F1},         {"p", SDLK_p},
    };
    if (!strcmp(name, "?") || !strcasecmp(name, "question")) {
        l->key = SDLK_QUESTION;
        l->text_question = 1;
        return 0;
    }
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (!strcasecmp(name, names[i].name)) {
            l->key = names[i].key;
            return 0;
        }
    if (strlen(name) == 1 && (isdigit((unsigned char)name[0]) || isalpha((unsigned char)name[0]))) {
        l->key = (SDL_Keycode)tolower((unsigned char)name[0]); /* SDLK_0..9, SDLK_a..z are the characters */
        return 0;
    }
    SDL_Keycode k = SDL_GetKeyFromName(name);
    if (k == SDLK_UNKNOWN)
        return -EINVAL;
    l->key = k;
    return 0;
}

static int parse_int(const char *s, long long lo, long long hi, long long *out)
{
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (!s[0] || *end || errno || v < lo || v > hi)
        return -EINVAL;
    *out = v;
    return 0;
}

static int parse_line(char *text, int lineno, UiScriptLine *l, char *why, size_t why_size)
{
    char *save = NULL;
    char *tok[5] = {0};
    int n = 0;
    for (char *t = strtok_r(text, " \t\r", &save); t; t = strtok_r(NULL, " \t\r", &save)) {
        if (n == 5) {
            snprintf(why, why_size, "too many fields after \"%s\"", tok[4]);
            return -EINVAL;
        }
        tok[n++] = t;
    }
    *l = (UiScriptLine){.line = lineno};
    long long v;
    if (!strcasecmp(tok[0], "armed")) {
        l->frame = -1;
    } else if (parse_int(tok[0], 0, INT64_C(1) << 40, &v) == 0) {
        l->frame = v;
    } else {
        snprintf(why, why_size, "\"%s\" is not a frame: give a program frame number (0, 1, ...) or armed",
                 tok[0]);
        return -EINVAL;
    }
    if (n < 2) {
        snprintf(why, why_size,
                 "no action: give key NAME, keydown NAME, keyup NAME, click X Y, rclick X Y, "
                 "stall MS, close or auto");
        return -EINVAL;
    }
    const char *a = tok[1];
    int want;
    if (!strcmp(a, "key") || !strcmp(a, "keydown") || !strcmp(a, "keyup")) {
        l->action = !strcmp(a, "key")       ? UI_SCRIPT_KEY
                    : !strcmp(a, "keydown") ? UI_SCRIPT_KEYDOWN
                                            : UI_SCRIPT_KEYUP;
        want = 3;
        if (n >= 3 && parse_key(tok[2], l) < 0) {
            snprintf(why, why_size,
                     "unknown key \"%s\": give 1-9, a-z, space, return, escape, f1, ? or an SDL "
                     "key name",
                     tok[2]);
            return -EINVAL;
        }
    } else if (!strcmp(a, "click") || !strcmp(a, "rclick")) {
        l->action = !strcmp(a, "click") ? UI_SCRIPT_CLICK : UI_SCRIPT_RCLICK;
        want = 4;
        long long x, y;
        if (n >= 4 && (parse_int(tok[2], 0, 65535, &x) < 0 || parse_int(tok[3], 0, 65535, &y) < 0)) {
            snprintf(why, why_size, "%s needs window pixel coordinates X Y, e.g. %s 640 500", a, a);
            return -EINVAL;
        }
        if (n >= 4) {
            l->x = (int)x;
            l->y = (int)y;
        }
    } else if (!strcmp(a, "stall")) {
        l->action = UI_SCRIPT_STALL;
        want = 3;
        if (n >= 3) {
            if (parse_int(tok[2], 1, 60000, &v) < 0) {
                snprintf(why, why_size, "stall needs milliseconds from 1 to 60000, e.g. stall 500");
                return -EINVAL;
            }
            l->ms = (int)v;
        }
    } else if (!strcmp(a, "close")) {
        l->action = UI_SCRIPT_CLOSE;
        want = 2;
    } else if (!strcmp(a, "auto")) {
        l->action = UI_SCRIPT_KEY; /* the director's T */
        l->key = SDLK_t;
        want = 2;
    } else {
        snprintf(why, why_size,
                 "unknown action \"%s\": give key, keydown, keyup, click, rclick, stall, close or auto", a);
        return -EINVAL;
    }
    if (n != want) {
        snprintf(why, why_size, "%s takes %d argument%s, not %d", a, want - 2, want == 3 ? "" : "s", n - 2);
        return -EINVAL;
    }
    return 0;
}

int ui_script_load(const char *path, UiScript **out)
{
    *out = NULL;
    FILE *f = fopen(path, "r");
    if (!f) {
        int err = -errno;
        fprintf(stderr, "%s: cannot read the UI script: %s\n", path, ot_strerror(err));
        return err;
    }
    UiScript *s = calloc(1, sizeof(*s));
    char buf[1024], why[256];
    int lineno = 0, ret = 0;
    int64_t last = -1;
    if (!s) {
        ret = -ENOMEM;
        goto fail;
    }
    while (fgets(buf, sizeof(buf), f)) {
        lineno++;
        char *hash = strchr(buf, '#');
        if (hash)
            *hash = 0;
        buf[strcspn(buf, "\n")] = 0;
        char *p = buf;
        while (*p == ' ' || *p == '\t' || *p == '\r')
            p++;
        if (!*p)
            continue;
        UiScriptLine l;
        if (parse_line(p, lineno, &l, why, sizeof(why)) < 0) {
            fprintf(stderr, "%s:%d: error: %s\n", path, lineno, why);
            ret = -EINVAL;
            goto fail;
        }
        if (l.frame < last) {
            fprintf(stderr,
                    "%s:%d: error: frame %lld comes before the previous line's %lld: lines must be in "
                    "time order\n",
                    path, lineno, (long long)l.frame, (long long)last);
            ret = -EINVAL;
            goto fail;
        }
        last = l.frame;
        if (s->count == s->cap) {
            int cap = s->cap ? 2 * s->cap : 16;
            UiScriptLine *lines = realloc(s->lines, (size_t)cap * sizeof(*lines));
            if (!lines) {
                ret = -ENOMEM;
                goto fail;
            }
            s->lines = lines;
            s->cap = cap;
        }
        s->lines[s->count++] = l;
    }
    if (ferror(f)) {
        fprintf(stderr, "%s: cannot read the UI script\n", path);
        ret = -EIO;
        goto fail;
    }
    fclose(f);
    *out = s;
    return 0;

fail:
    fclose(f);
    ui_script_free(&s);
    return ret;
}
