/* Unit test: SMPTE timecode <-> frame index, non-drop and drop-frame, and frame -> ns. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sw_timecode.h"
#include "ut.h"

static const SwRate R25 = {25, 1}, R30 = {30, 1}, R2997 = {30000, 1001}, R5994 = {60000, 1001}, R60 = {60, 1},
                    R23976 = {24000, 1001};

/* Parse "HH:MM:SS:FF" / "HH:MM:SS;FF" with the library (the format is fixed, so sscanf is enough here). */
static int64_t label_to_frame(SwRate r, const char *s)
{
    int hh, mm, ss, ff;
    char sep;
    if (sscanf(s, "%d:%d:%d%c%d", &hh, &mm, &ss, &sep, &ff) != 5)
        return -1000;
    return sw_timecode_to_frame(r, sep == ';', hh, mm, ss, ff);
}

static void check_format(SwRate r, int df, int64_t frame, const char *want)
{
    char buf[16];
    sw_timecode_format(r, df, frame, buf, sizeof(buf));
    UT_CHECKF(strcmp(buf, want) == 0, "%d/%d df=%d frame %lld formats as %s, expected %s", r.num, r.den, df,
              (long long)frame, buf, want);
}

static void check_label(SwRate r, const char *label, int64_t want)
{
    int64_t got = label_to_frame(r, label);
    UT_CHECKF(got == want, "%d/%d: %s -> %lld, expected %lld", r.num, r.den, label, (long long)got,
              (long long)want);
    if (want >= 0)
        check_format(r, strchr(label, ';') != NULL, want, label);
}

static void test_rates(void)
{
    UT_EQ_INT(sw_rate_nominal(R25), 25);
    UT_EQ_INT(sw_rate_nominal(R30), 30);
    UT_EQ_INT(sw_rate_nominal(R2997), 30);
    UT_EQ_INT(sw_rate_nominal(R5994), 60);
    UT_EQ_INT(sw_rate_nominal(R23976), 24);
    UT_EQ_INT(sw_rate_nominal((SwRate){0, 1}), 0);
    UT_CHECK(sw_rate_allows_drop_frame(R2997));
    UT_CHECK(sw_rate_allows_drop_frame(R5994));
    UT_CHECK(!sw_rate_allows_drop_frame(R30));
    UT_CHECK(!sw_rate_allows_drop_frame(R25));
    UT_CHECK(!sw_rate_allows_drop_frame(R23976));

    UT_EQ_INT(sw_rate_frame_to_ns(R30, 0), 0);
    UT_EQ_INT(sw_rate_frame_to_ns(R30, 1), 33333333);
    UT_EQ_INT(sw_rate_frame_to_ns(R30, 3), 100000000);
    UT_EQ_INT(sw_rate_frame_to_ns(R25, 1), 40000000);
    UT_EQ_INT(sw_rate_frame_to_ns(R2997, 1), 33366666);
    UT_EQ_INT(sw_rate_frame_to_ns(R2997, 30000), 1001000000000LL);
    UT_EQ_INT(sw_rate_frame_to_ns(R30, -1), -33333334); /* rounded down, also below zero */
    /* a billion frames at 1001 denominators overflows 64-bit intermediates: the result still fits */
    UT_EQ_INT(sw_rate_frame_to_ns(R2997, 1000000000LL), 33366666666666666LL);
    UT_EQ_INT(sw_rate_frame_to_ns(R5994, 1000000000LL), 16683333333333333LL);
    /* rounded down and monotonic over a range */
    int64_t prev = -1;
    for (int64_t i = 0; i < 100000; i++) {
        int64_t ns = sw_rate_frame_to_ns(R2997, i);
        if (ns <= prev || ns * 30000 > i * 1001000000000LL || (ns + 1) * 30000 <= i * 1001000000000LL) {
            UT_CHECKF(0, "frame %lld -> %lld ns is not floor(i * 1001e9 / 30000)", (long long)i,
                      (long long)ns);
            break;
        }
        prev = ns;
    }
}

static void test_ndf(void)
{
    check_label(R25, "00:00:00:00", 0);
    check_label(R25, "00:00:01:00", 25);
    check_label(R25, "00:00:01:24", 49);
    check_label(R25, "01:00:00:00", 90000);
    check_label(R25, "23:59:59:24", 2159999);
    check_label(R30, "00:00:04:15", 135);
    check_label(R30, "00:01:00:00", 1800);
    check_label(R30, "10:00:00:00", 1080000);
    check_label(R2997, "00:01:00:00", 1800); /* non-drop at 29.97 counts 30 labels per second */
    check_label(R2997, "00:10:00:00", 18000);
    check_label(R5994, "00:00:01:59", 119);
    check_label(R60, "01:00:00:00", 216000);

    /* out of range fields */
    UT_EQ_INT(sw_timecode_to_frame(R30, 0, 0, 0, 1, 30), -EINVAL);
    UT_EQ_INT(sw_timecode_to_frame(R25, 0, 0, 0, 1, 25), -EINVAL);
    UT_EQ_INT(sw_timecode_to_frame(R30, 0, 0, 61, 0, 0), -EINVAL);
    UT_EQ_INT(sw_timecode_to_frame(R30, 0, 0, 60, 0, 0), -EINVAL);
    UT_EQ_INT(sw_timecode_to_frame(R30, 0, 0, 0, 60, 0), -EINVAL);
    UT_EQ_INT(sw_timecode_to_frame(R30, 0, 24, 0, 0, 0), -EINVAL);
    UT_EQ_INT(sw_timecode_to_frame(R30, 0, -1, 0, 0, 0), -EINVAL);
    UT_EQ_INT(sw_timecode_to_frame(R30, 0, 0, 0, 0, -1), -EINVAL);
    UT_EQ_INT(sw_timecode_to_frame((SwRate){0, 0}, 0, 0, 0, 0, 0), -EINVAL);

    check_format(R25, 0, 49, "00:00:01:24");
    check_format(R30, 0, 135, "00:00:04:15");
    check_format(R30, 1, 135, "00:00:04:15"); /* no drop-frame at 30/1: non-drop with ':' */
    check_format(R30, 0, -1, "--:--:--:--");
}

static void test_df(void)
{
    /* 29.97 DF: labels ;00 and ;01 are skipped at every minute not divisible by 10 */
    check_label(R2997, "00:00:00;00", 0);
    check_label(R2997, "00:00:59;29", 1799);
    check_label(R2997, "00:01:00;02", 1800);
    check_label(R2997, "00:01:59;29", 3597);
    check_label(R2997, "00:02:00;02", 3598);
    check_label(R2997, "00:09:59;29", 17981);
    check_label(R2997, "00:10:00;00", 17982);
    check_label(R2997, "00:10:00;01", 17983);
    check_label(R2997, "00:11:00;02", 17982 + 1800);
    check_label(R2997, "01:00:00;00", 107892);
    check_label(R2997, "23:59:59;29", 2589407);
    /* 59.94 DF: four labels skipped */
    check_label(R5994, "00:00:59;59", 3599);
    check_label(R5994, "00:01:00;04", 3600);
    check_label(R5994, "00:10:00;00", 35964);
    check_label(R5994, "01:00:00;00", 215784);

    /* labels that drop-frame skips */
    UT_EQ_INT(label_to_frame(R2997, "00:01:00;00"), -EINVAL);
    UT_EQ_INT(label_to_frame(R2997, "00:01:00;01"), -EINVAL);
    UT_EQ_INT(label_to_frame(R2997, "00:09:00;01"), -EINVAL);
    UT_EQ_INT(label_to_frame(R2997, "01:01:00;00"), -EINVAL);
    UT_EQ_INT(label_to_frame(R5994, "00:01:00;03"), -EINVAL);
    UT_EQ_INT(label_to_frame(R5994, "00:01:00;00"), -EINVAL);
    UT_EQ_INT(label_to_frame(R2997, "00:01:01;00"), 1828); /* only second 00 drops */
    /* no drop-frame at other rates */
    UT_EQ_INT(sw_timecode_to_frame(R25, 1, 0, 0, 1, 0), -EINVAL);
    UT_EQ_INT(sw_timecode_to_frame(R30, 1, 0, 0, 1, 0), -EINVAL);
    UT_EQ_INT(sw_timecode_to_frame(R23976, 1, 0, 0, 1, 0), -EINVAL);
}

/* Every frame formats to a label that parses back to it; labels are strictly increasing. */
static void round_trip(SwRate r, int df, int64_t nframes)
{
    char buf[16], prev[16] = "";
    for (int64_t f = 0; f < nframes; f++) {
        sw_timecode_format(r, df, f, buf, sizeof(buf));
        int64_t back = label_to_frame(r, buf);
        if (back != f || strcmp(prev, buf) >= 0) {
            UT_CHECKF(0, "%d/%d df=%d: frame %lld -> %s -> %lld (previous label %s)", r.num, r.den, df,
                      (long long)f, buf, (long long)back, prev);
            return;
        }
        memcpy(prev, buf, sizeof(prev));
    }
    ut_checks++;
}

/* Every valid label, walked in label order, is the next frame; every skipped label is rejected. */
static void walk_labels(SwRate r, int df, int hours)
{
    int nominal = sw_rate_nominal(r), drop = df ? nominal / 15 : 0;
    int64_t expect = 0;
    for (int hh = 0; hh < hours; hh++)
        for (int mm = 0; mm < 60; mm++)
            for (int ss = 0; ss < 60; ss++)
                for (int ff = 0; ff < nominal; ff++) {
                    int64_t f = sw_timecode_to_frame(r, df, hh, mm, ss, ff);
                    int skipped = df && ss == 0 && ff < drop && mm % 10 != 0;
                    if (skipped ? f != -EINVAL : f != expect) {
                        UT_CHECKF(0, "%d/%d df=%d: %02d:%02d:%02d:%02d -> %lld, expected %lld", r.num, r.den,
                                  df, hh, mm, ss, ff, (long long)f,
                                  skipped ? (long long)-EINVAL : (long long)expect);
                        return;
                    }
                    if (!skipped)
                        expect++;
                }
    ut_checks++;
}

int main(void)
{
    test_rates();
    test_ndf();
    test_df();
    round_trip(R25, 0, 25 * 3600 + 100);
    round_trip(R30, 0, 30 * 3600 + 100);
    round_trip(R2997, 0, 30 * 3600 + 100);
    round_trip(R2997, 1, 107892 * 2 + 100);
    round_trip(R5994, 1, 215784 + 100);
    round_trip(R23976, 0, 24 * 600);
    walk_labels(R2997, 1, 2);
    walk_labels(R5994, 1, 1);
    walk_labels(R30, 0, 1);
    walk_labels(R25, 0, 1);
    return ut_finish("test_timecode");
}
