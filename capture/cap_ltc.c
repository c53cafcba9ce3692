/* onetake capture: LTC from an audio source (cap_ltc.h).
 *
 * The source is opened like --audio-src (cap_audio_alloc: conformed to 48 kHz stereo S16) and read in lockstep
 * from its first sample to its end by a thread of its own; one channel goes to libltc's decoder, whose frames
 * carry the sample they start at (off_start), on the same count as the reads. libltc follows the signal's
 * speed, so the rate given is only its first guess. */
#include "cap_ltc.h"

#include <errno.h>
#include <ltc.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "ot_common.h"
#include "sw_audio.h"

#define LTC_BLOCK 1024  /* samples per read */
#define LTC_QUEUE 64    /* decoded frames libltc may hold between two reads */

typedef struct LtcJob {
    CapCamera *cam;
    int channel;
    SwRate rate;
    CapLtcTrack *track;
    int64_t cap;
    int err;
} LtcJob;

static int keep(LtcJob *j, const LTCFrameExt *e)
{
    SMPTETimecode t;
    if (j->track->n == j->cap) {
        int64_t cap = j->cap ? j->cap * 2 : 1024;
        CapLtcFrame *n = realloc(j->track->frames, (size_t)cap * sizeof(*n));
        if (!n)
            return -ENOMEM;
        j->track->frames = n;
        j->cap = cap;
    }
    ltc_frame_to_time(&t, (LTCFrame *)&e->ltc, 0);
    j->track->frames[j->track->n++] = (CapLtcFrame){.pos = e->off_start, .hh = t.hours, .mm = t.mins,
                                                    .ss = t.secs, .ff = t.frame, .drop = e->ltc.dfbit};
    return 0;
}

static void *ltc_main(void *arg)
{
    LtcJob *j = arg;
    SwAudioSource src = cap_camera_audio_source(j->cam);
    SwSample buf[LTC_BLOCK * SW_AUDIO_CHANNELS];
    short mono[LTC_BLOCK];
    int apv = (int)((int64_t)SW_AUDIO_RATE * j->rate.den / j->rate.num);
    LTCDecoder *d = ltc_decoder_create(apv, LTC_QUEUE);
    LTCFrameExt e;

    pthread_setname_np(pthread_self(), "ot-ltc");
    if (!d) {
        j->err = -ENOMEM;
        return NULL;
    }
    for (int64_t pos = 0;; pos += LTC_BLOCK) {
        int missing = src.read(src.opaque, -1, pos, LTC_BLOCK, buf, 1);
        if (missing < 0 || missing == LTC_BLOCK)
            break; /* the end (a file's lockstep read waits for what is not decoded yet) */
        for (int i = 0; i < LTC_BLOCK; i++)
            mono[i] = (short)(buf[i * SW_AUDIO_CHANNELS + j->channel] >> 16); /* the signal's top 16 bits */
        ltc_decoder_write_s16(d, mono, LTC_BLOCK, pos);
        j->track->samples = pos + LTC_BLOCK - missing;
        while (ltc_decoder_read(d, &e) > 0)
            if (!e.reverse && keep(j, &e) < 0) {
                j->err = -ENOMEM;
                goto out;
            }
    }
out:
    ltc_decoder_free(d);
    return NULL;
}

CapLtcTrack *cap_ltc_decode(const char *source, int channel, SwRate rate, int timeout_ms)
{
    CapFormat fmt = {.width = 16, .height = 16, .rate = rate};
    LtcJob j = {.channel = channel ? 1 : 0, .rate = rate};
    pthread_t th;

    if (rate.num <= 0 || rate.den <= 0)
        return NULL;
    j.cam = cap_audio_alloc("ltc", source, &fmt, SW_AUDIO_CHANNELS);
    if (!j.cam)
        return NULL;
    if (cap_camera_start(j.cam, timeout_ms) < 0) {
        cap_camera_free(&j.cam);
        return NULL;
    }
    j.track = calloc(1, sizeof(*j.track));
    int ret = j.track ? pthread_create(&th, NULL, ltc_main, &j) : ENOMEM;
    if (ret == 0)
        pthread_join(th, NULL);
    cap_camera_stop(j.cam);
    cap_camera_free(&j.cam);
    if (ret || j.err) {
        ot_log(OT_LOG_ERROR, "ltc", "cannot decode the LTC of \"%s\": %s", source,
               ot_strerror(ret ? -ret : j.err));
        cap_ltc_track_free(&j.track);
    }
    return j.track;
}

void cap_ltc_track_free(CapLtcTrack **pt)
{
    if (!pt || !*pt)
        return;
    free((*pt)->frames);
    free(*pt);
    *pt = NULL;
}
