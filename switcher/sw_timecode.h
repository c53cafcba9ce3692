/* onetake: SMPTE timecode <-> program frame index, non-drop and drop-frame. Pure integer arithmetic.
 * (The switcher may not include GStreamer or FFmpeg, so GstVideoTimeCode / AVTimecode cannot be used here;
 * tests/unit/test_timecode_xcheck.c checks that all three agree at 24, 25, 29.97 DF, 30, 50 and 59.94 DF.) */
#ifndef SW_TIMECODE_H
#define SW_TIMECODE_H

#include <stdint.h>

typedef struct SwRate {
    int num, den; /* frames per second = num / den, e.g. 30000/1001 */
} SwRate;

/* Parse "N/D" or "N" (D = 1), each 1 to 1000000, nothing else around them: 0, or -EINVAL (nothing said: the caller
 * knows which option or field it was and what it accepts). */
int sw_rate_parse(const char *text, SwRate *rate);
/* Frames per timecode second: round(num/den), e.g. 30 for 30000/1001. */
int sw_rate_nominal(SwRate rate);
/* Drop-frame timecode exists at this rate (30000/1001 and 60000/1001 only). */
int sw_rate_allows_drop_frame(SwRate rate);
/* Presentation time of frame i in ns, exact integer division rounded down. */
int64_t sw_rate_frame_to_ns(SwRate rate, int64_t frame);

/* Frame index of hh:mm:ss:ff. Returns >= 0, or -EINVAL when a field is out of range (ff >= nominal fps, mm or
 * ss >= 60, hh outside 0-23) or, with drop_frame, when the rate has no drop-frame timecode or the label is one that
 * drop-frame skips (ff 0 or 1 (0-3 at 60) in a minute not divisible by 10). */
int64_t sw_timecode_to_frame(SwRate rate, int drop_frame, int hh, int mm, int ss, int ff);
/* Format frame as "HH:MM:SS:FF" (or "HH:MM:SS;FF" with drop_frame at a rate that has it; ':' otherwise). Hours do
 * not wrap at 24. A negative frame gives "--:--:--:--". buf needs 16 bytes. Returns buf. */
char *sw_timecode_format(SwRate rate, int drop_frame, int64_t frame, char *buf, int size);

#endif
