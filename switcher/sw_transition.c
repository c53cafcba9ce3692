/* onetake: transition specs: names, colours, the --auto-transition text and the weights (rules in
 * sw_transition.h). */
#include "sw_transition.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *const kind_names[] = {"cut", "mix", "dip", "wipe"};
static const char *const pattern_names[] = {"left", "right", "up", "down", "box", "circle"};

const char *sw_trans_kind_name(SwTransKind kind)
{
    return kind >= SW_TRANS_CUT && kind <= SW_TRANS_WIPE ? kind_names[kind] : "unknown";
}

const char *sw_wipe_pattern_name(SwWipePattern p)
{
    return p >= SW_WIPE_LEFT && p <= SW_WIPE_CIRCLE ? pattern_names[p] : "unknown";
}

static int find_name(const char *const *names, int count, const char *s, int n)
{
    for (int i = 0; i < count; i++)
        if ((int)strlen(names[i]) == n && memcmp(names[i], s, (size_t)n) == 0)
            return i;
    return -1;
}

int sw_trans_kind_from_name(const char *s, int n)
{
    return find_name(kind_names, 4, s, n);
}

int sw_wipe_pattern_from_name(const char *s, int n)
{
    return find_name(pattern_names, 6, s, n);
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int sw_trans_parse_colour(const char *s, int n, uint8_t rgb[3])
{
    if (n == 5 && memcmp(s, "black", 5) == 0) {
        rgb[0] = rgb[1] = rgb[2] = 0;
        return 0;
    }
    if (n == 5 && memcmp(s, "white", 5) == 0) {
        rgb[0] = rgb[1] = rgb[2] = 255;
        return 0;
    }
    if (n != 7 || s[0] != '#')
        return -1;
    for (int i = 0; i < 3; i++) {
        int hi = hex_digit(s[1 + 2 * i]), lo = hex_digit(s[2 + 2 * i]);
        if (hi < 0 || lo < 0)
            return -1;
        rgb[i] = (uint8_t)(hi * 16 + lo);
    }
    return 0;
}

/* A decimal field of text[0..n): 0 and *v, or -1. */
static int parse_uint(const char *s, int n, int max, int *v)
{
    if (n <= 0 || n > 9)
        return -1;
    int x = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        x = x * 10 + (s[i] - '0');
    }
    if (x > max)
        return -1;
    *v = x;
    return 0;
}

int sw_trans_parse_spec(const char *text, SwTransSpec *spec)
{
    const char *f[5];
    int len[5], nf = 0;
    if (!text || !spec)
        return -EINVAL;
    memset(spec, 0, sizeof(*spec));
    for (const char *p = text;; nf++) {
        if (nf == 5)
            return -EINVAL;
        const char *c = strchr(p, ':');
        f[nf] = p;
        len[nf] = c ? (int)(c - p) : (int)strlen(p);
        if (!c) {
            nf++;
            break;
        }
        p = c + 1;
    }
    int kind = sw_trans_kind_from_name(f[0], len[0]);
    if (kind <= SW_TRANS_CUT || nf < 2 || parse_uint(f[1], len[1], SW_TRANS_MAX_FRAMES, &spec->frames) < 0 ||
        spec->frames < 1)
        return -EINVAL;
    spec->kind = (SwTransKind)kind;
    if (kind == SW_TRANS_MIX)
        return nf == 2 ? 0 : -EINVAL;
    if (kind == SW_TRANS_DIP) {
        if (nf > 3)
            return -EINVAL;
        return nf == 3 ? sw_trans_parse_colour(f[2], len[2], spec->rgb) == 0 ? 0 : -EINVAL : 0;
    }
    if (nf < 3 || nf > 4)
        return -EINVAL;
    int pat = sw_wipe_pattern_from_name(f[2], len[2]);
    if (pat < 0)
        return -EINVAL;
    spec->pattern = (SwWipePattern)pat;
    if (nf == 4 && parse_uint(f[3], len[3], SW_TRANS_MAX_SOFT, &spec->soft) < 0)
        return -EINVAL;
    return 0;
}

void sw_trans_colour_yuv(const uint8_t rgb[3], uint8_t yuv[3])
{
    int r = rgb[0], g = rgb[1], b = rgb[2];
    yuv[0] = (uint8_t)((66 * r + 129 * g + 25 * b + 4224) >> 8);
    yuv[1] = (uint8_t)((-38 * r - 74 * g + 112 * b + 32896) >> 8);
    yuv[2] = (uint8_t)((112 * r - 94 * g - 18 * b + 32896) >> 8);
}

int sw_trans_mix_weight(int k, int n)
{
    return (int)(((int64_t)k + 1) * 256 / ((int64_t)n + 1));
}
