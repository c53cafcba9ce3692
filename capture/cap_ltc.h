/* onetake capture: SMPTE linear timecode (LTC) read from an audio source with libltc (cap_ltc.c). */
#ifndef CAP_LTC_H
#define CAP_LTC_H

#include <stdint.h>

#include "sw_timecode.h"

/* One decoded LTC frame: where it starts on the take's audio clock (sample pos at 48 kHz: take time pos / 48000;
 * pos 0 is the source's first audio), and the timecode it carries. */
typedef struct CapLtcFrame {
    int64_t pos;
    int hh, mm, ss, ff;
    int drop; /* the frame's drop-frame flag */
} CapLtcFrame;

typedef struct CapLtcTrack {
    CapLtcFrame *frames; /* in the order they were found */
    int64_t n;
    int64_t samples; /* audio samples read (the source's length) */
} CapLtcTrack;

/* Decode every LTC frame of source (an --audio-src SOURCE: a file or a file:// URI; left channel when channel is
 * 0, right when 1) on a thread of its own ("ot-ltc"), to the source's end. rate: the LTC's frame rate (for the
 * decoder's first guess; it follows the signal). timeout_ms bounds the wait for the source's first audio. NULL
 * when the source cannot be read (logged); a track with n = 0 when it holds no LTC. */
CapLtcTrack *cap_ltc_decode(const char *source, int channel, SwRate rate, int timeout_ms);
void cap_ltc_track_free(CapLtcTrack **track);

#endif
