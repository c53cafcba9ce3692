/* onetake: SMPTE timecode arithmetic (SMPTE ST 12-1 drop-frame counting). */
#include "sw_timecode.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

__extension__ typedef __int128 SwInt128;

static int rate_valid(SwRate rate)
{
    return rate.num > 0 && rate.den > 0;
}

int sw_rate_nominal(SwRate rate)
{
    if (!rate_valid(rate))
        return 0;
    return (int)(((int64_t)rate.num + rate.den / 2) / rate.den);
}

int sw_rate_allows_drop_frame(SwRate rate)
{
    return rate.den == 1001 && (rate.num == 30000 || rate.num == 60000);
}

/* Frames dropped per minute label: 2 at 29.97, 4 at 59.94. */
static int drop_count(SwRate rate)
{
    return sw_rate_nominal(rate) / 15;
}

int64_t sw_rate_frame_to_ns(SwRate rate, int64_t frame)
{
    if (!rate_valid(rate))
        return 0;
    /* 128-bit: frame * 1e9 * den overflows int64 after a few days at 1001 denominators. */
    SwInt128 n = (SwInt128)frame * 1000000000 * rate.den;
    SwInt128 q = n / rate.num;
    if (n < 0 && q * rate.num != n)
        q--; /* round down, also for negative frames */
    if (q > INT64_MAX)
        return INT64_MAX;
    if (q < INT64_MIN)
        return INT64_MIN;
    return (int64_t)q;
}

int64_t sw_timecode_to_frame(SwRate rate, int drop_frame, int hh, int mm, int ss, int ff)
{
    int nominal = sw_rate_nominal(rate);
    if (nominal <= 0)
        return -EINVAL;
    if (hh < 0 || hh > 23 || mm < 0 || mm > 59 || ss < 0 || ss > 59 || ff < 0 || ff >= nominal)
        return -EINVAL;
    int64_t minutes = (int64_t)hh * 60 + mm;
    int64_t frame = (minutes * 60 + ss) * nominal + ff;
    if (!drop_frame)
        return frame;
    if (!sw_rate_allows_drop_frame(rate))
        return -EINVAL;
    int drop = drop_count(rate);
    if (ss == 0 && ff < drop && mm % 10 != 0)
        return -EINVAL; /* a label that drop-frame counting skips */
    return frame - drop * (minutes - minutes / 10);
}

char *sw_timecode_format(SwRate rate, int drop_frame, int64_t frame, char *buf, int size)
{
    if (!buf || size <= 0)
        return buf;
    int nominal = sw_rate_nominal(rate);
    if (nominal <= 0 || frame < 0) {
        snprintf(buf, (size_t)size, "--:--:--:--");
        return buf;
    }
    char sep = ':';
    int64_t f = frame;
    if (drop_frame && sw_rate_allows_drop_frame(rate)) {
        /* Turn the frame count back into a label count by re-inserting the skipped labels. */
        int64_t drop = drop_count(rate);
        int64_t per_min = (int64_t)nominal * 60 - drop;
        int64_t per_10min = (int64_t)nominal * 600 - drop * 9;
        int64_t d = f / per_10min, m = f % per_10min;
        f += drop * 9 * d;
        if (m > drop)
            f += drop * ((m - drop) / per_min);
        sep = ';';
    }
    /* Hours are not wrapped at 24: a label stays unique within a take. */
    int64_t ff = f % nominal;
    int64_t secs = f / nominal;
    snprintf(buf, (size_t)size, "%02lld:%02lld:%02lld%c%02lld", (long long)(secs / 3600),
             (long long)(secs / 60 % 60), (long long)(secs % 60), sep, (long long)ff);
    return buf;
}

/* A decimal integer in [1, max] at *p; *p moves past it. -1 when there is none. */
static long long parse_count(const char **p, long long max)
{
    char *end = NULL;
    if (**p < '0' || **p > '9')
        return -1; /* strtoll would take a sign or spaces */
    errno = 0;
    long long v = strtoll(*p, &end, 10);
    if (errno || v < 1 || v > max)
        return -1;
    *p = end;
    return v;
}

int sw_rate_parse(const char *text, SwRate *rate)
{
    const char *p = text;
    long long num, den = 1;
    if (!text || !rate || (num = parse_count(&p, 1000000)) < 0)
        return -EINVAL;
    if (*p == '/') {
        p++;
        if ((den = parse_count(&p, 1000000)) < 0)
            return -EINVAL;
    }
    if (*p)
        return -EINVAL;
    rate->num = (int)num;
    rate->den = (int)den;
    return 0;
}
