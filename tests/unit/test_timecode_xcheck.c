/* Unit test: sw_timecode (pure integer arithmetic) against the two libraries the switcher may not include,
 * libavutil's AVTimecode (av_timecode_make_string) and GStreamer's GstVideoTimeCode, at 24, 25, 29.97 drop-frame,
 * 30, 50 and 59.94 drop-frame: every frame of the first 11 minutes (every drop-frame minute boundary of the first
 * ten-minute cycle and the next), then frames up to a day. Labels must be the same string, and the library label
 * must parse back to the frame. */
#include <stdio.h>
#include <string.h>

#include <gst/video/video.h>
#include <libavutil/rational.h>
#include <libavutil/timecode.h>

#include "sw_timecode.h"
#include "ut.h"

typedef struct XRate {
    SwRate rate;
    int drop_frame;
} XRate;

static const XRate rates[] = {
    {{24, 1}, 0}, {{25, 1}, 0}, {{30000, 1001}, 1}, {{30, 1}, 0}, {{50, 1}, 0}, {{60000, 1001}, 1},
};

/* Parse "HH:MM:SS:FF" or "HH:MM:SS;FF" and map it back with sw_timecode_to_frame. */
static int64_t parse_back(const XRate *x, const char *label)
{
    int hh, mm, ss, ff;
    char sep;
    if (sscanf(label, "%d:%d:%d%c%d", &hh, &mm, &ss, &sep, &ff) != 5)
        return -1000;
    return sw_timecode_to_frame(x->rate, sep == ';', hh, mm, ss, ff);
}

/* One frame against both libraries; gst is GStreamer's time code at that frame. Returns 1 when all agree. */
static int check_frame(const XRate *x, const AVTimecode *av, GstVideoTimeCode *gst, int64_t frame)
{
    char sw[32], avs[AV_TIMECODE_STR_SIZE];
    sw_timecode_format(x->rate, x->drop_frame, frame, sw, (int)sizeof(sw));
    av_timecode_make_string(av, avs, (int)frame);
    gchar *gs = gst_video_time_code_to_string(gst);
    int ok = !strcmp(sw, avs) && !strcmp(sw, gs) && parse_back(x, avs) == frame &&
             gst_video_time_code_frames_since_daily_jam(gst) == (guint64)frame;
    UT_CHECKF(ok, "%d/%d%s frame %lld: sw_timecode %s, AVTimecode %s, GstVideoTimeCode %s (parses back to %lld)",
              x->rate.num, x->rate.den, x->drop_frame ? " DF" : "", (long long)frame, sw, avs, gs,
              (long long)parse_back(x, avs));
    g_free(gs);
    return ok;
}

static void check_rate(const XRate *x)
{
    AVTimecode av;
    AVRational r = {x->rate.num, x->rate.den};
    int ret = av_timecode_init(&av, r, x->drop_frame ? AV_TIMECODE_FLAG_DROPFRAME : 0, 0, NULL);
    UT_CHECKF(ret == 0, "av_timecode_init %d/%d: %d", x->rate.num, x->rate.den, ret);
    if (ret)
        return;
    GstVideoTimeCodeFlags flags = x->drop_frame ? GST_VIDEO_TIME_CODE_FLAGS_DROP_FRAME : 0;
    GstVideoTimeCode *gst = gst_video_time_code_new(x->rate.num, x->rate.den, NULL, flags, 0, 0, 0, 0, 0);
    UT_CHECK(gst_video_time_code_is_valid(gst));

    /* Every frame of 11 minutes, the time code stepped one frame at a time; stop at the first disagreement. */
    int64_t minutes11 = (int64_t)sw_rate_nominal(x->rate) * 60 * 11;
    int64_t checked = 0;
    for (int64_t f = 0; f < minutes11; f++) {
        if (!check_frame(x, &av, gst, f))
            break;
        gst_video_time_code_increment_frame(gst);
        checked++;
    }
    UT_CHECKF(checked == minutes11, "%d/%d: %lld of %lld frames agree", x->rate.num, x->rate.den,
              (long long)checked, (long long)minutes11);
    gst_video_time_code_free(gst);

    /* Far frames: each from a fresh time code moved there at once (1 h, 10 h 9 min, the last frame of a day). */
    const double seconds[] = {3600.0, 10 * 3600.0 + 9 * 60.0 + 59.5, 23 * 3600.0 + 59 * 60.0 + 59.0};
    for (size_t i = 0; i < G_N_ELEMENTS(seconds); i++) {
        int64_t f = (int64_t)(seconds[i] * x->rate.num / x->rate.den);
        gst = gst_video_time_code_new(x->rate.num, x->rate.den, NULL, flags, 0, 0, 0, 0, 0);
        gst_video_time_code_add_frames(gst, f);
        check_frame(x, &av, gst, f);
        gst_video_time_code_free(gst);
    }
}

int main(void)
{
    gst_init(NULL, NULL);
    for (size_t i = 0; i < G_N_ELEMENTS(rates); i++)
        check_rate(&rates[i]);
    return ut_finish("timecode_xcheck");
}
