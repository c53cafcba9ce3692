/* onetake: program audio on the take clock. Pure C11 + pthreads.
 *
 * SwAudioRing is a window of sample frames indexed by an absolute position (a sample clock: for a live source
 * CLOCK_MONOTONIC in 1/48000 s, for a file its stream time in 1/48000 s). The writer (a capture streaming
 * thread) places each block where its timestamp says, not after the previous one, so that a lost block leaves
 * a hole instead of shifting everything after it; the reader (the program thread) takes [pos, pos + n) and
 * gets silence where nothing was written. That is what keeps audio sample k at take time k / 48000 over a
 * long take.
 *
 * Each slot is tagged with the position written into it: a slot holds position p only when its tag is p, so
 * nothing has to be cleared and a stale slot can never be read as new.
 *
 * Continuity: a block that starts within `tolerance` frames of where the previous one ended is taken as
 * contiguous (timestamps of live sources jitter by a few samples; snapping avoids clicks of one or two silent
 * samples). Beyond it the block goes where its timestamp says (a resync, counted).
 *
 * Modes: lockstep (files): the writer waits for room (block=1) and the reader waits for the samples it asks
 * for; live: the writer never waits (the oldest unread frames are discarded and counted: the reader fell
 * behind) and the reader never waits (what has not arrived is silence; when it arrives later it is dropped as
 * late).
 *
 * Lock: one mutex (leaf) protects everything; the copy in and out happens under it (a tick's worth of samples
 * is a few kilobytes). */
#ifndef SW_AUDIO_H
#define SW_AUDIO_H

#include <stdint.h>

#define SW_AUDIO_RATE 48000 /* program audio: 48 kHz */
#define SW_AUDIO_CHANNELS 2 /* stereo, interleaved: the default track */
#define SW_AUDIO_MAX_CHANNELS 8 /* a track's channels: 1, 2, 6 (5.1) or 8 (7.1) */
#define SW_AUDIO_MAX_TRACKS 16  /* program audio tracks (the first and its stems) */

/* One sample of program audio: signed 32-bit with the signal in the top bits (GStreamer's S32LE, FFmpeg's S32):
 * a 24-bit source's sample x is x << 8, a 16-bit one's x << 16, so every depth up to 24 bits is carried exactly
 * and full scale is 2^31 whatever the source. */
typedef int32_t SwSample;
#define SW_SAMPLE_FULL_SCALE 2147483648.0

typedef struct SwAudioRingStats {
    int64_t written;  /* frames written into the ring */
    int64_t late;     /* frames that arrived for positions already read: dropped */
    int64_t overflow; /* frames written but discarded unread: the reader fell behind (live only) */
    int64_t
        resyncs; /* blocks that did not continue the previous one (a timestamp jump beyond the tolerance) */
    int64_t end_pos; /* the position after the last frame written, or INT64_MIN before the first */
} SwAudioRingStats;

typedef struct SwAudioRing SwAudioRing;

/* capacity: frames the ring holds (the window); channels: interleaved samples per frame; tolerance: frames,
 * see above. NULL on ENOMEM or bad arguments. */
SwAudioRing *sw_audio_ring_alloc(int capacity, int channels, int tolerance);
void sw_audio_ring_free(SwAudioRing **ring);

/* n frames whose first belongs at position pos (copied). block=1 waits for room (lockstep); block=0 never
 * waits. 0, or -EPIPE once the ring was closed (sw_audio_ring_close). */
int sw_audio_ring_write(SwAudioRing *r, int64_t pos, const SwSample *samples, int n, int block);
/* The next write starts anew: no snapping to the previous block (after a reconnect or a seek). */
void sw_audio_ring_discont(SwAudioRing *r);
/* The writer has no more (end of stream): readers stop waiting. A later write reopens it (a source that came
 * back). */
void sw_audio_ring_end(SwAudioRing *r);
/* Wake everybody and refuse further writes (teardown). */
void sw_audio_ring_close(SwAudioRing *r);

/* Frames [pos, pos + n) into out (n x channels samples): silence where nothing was written. wait_ns > 0: wait
 * at most that long for the writer to reach pos + n (or end); 0: never wait (*timed_out, may be NULL, says
 * whether a wait ran out). The first read fixes the start of the window: what was written before pos is
 * discarded. Returns the number of frames that were silence (>= 0), or -EINVAL. */
int sw_audio_ring_read(SwAudioRing *r, int64_t pos, int n, SwSample *out, int64_t wait_ns, int *timed_out);
/* The end of what has been written (exclusive), INT64_MIN before the first write. */
int64_t sw_audio_ring_written_end(SwAudioRing *r);
void sw_audio_ring_get_stats(SwAudioRing *r, SwAudioRingStats *stats);

/* Position of time t_ns at SW_AUDIO_RATE, rounded to the nearest frame (exact integer arithmetic). */
int64_t sw_audio_pos_from_ns(int64_t t_ns);
/* The first frame of program tick `tick` at frame rate num/den: floor(tick x 48000 x den / num). Tick i's
 * audio is [sw_audio_tick_pos(i), sw_audio_tick_pos(i + 1)): 1600 frames a tick at 30 fps, 1601 or 1602 at
 * 30000/1001. */
int64_t sw_audio_tick_pos(int num, int den, int64_t tick);

/* Levels of interleaved samples, per channel, linear 0..1: peak and RMS. */
void sw_audio_levels(const SwSample *samples, int n, int channels, float *peak, float *rms);

#endif
