/* onetake: transitions (mix, dip, wipe) and the compositor that makes their frames. Pure C, integer only: the same
 * two input frames and the same frame index give the same bytes on every machine and compiler.
 *
 * The rule, for frame k (0-based) of an N-frame transition from picture A (the camera that was on program) to
 * picture B (the new camera). Every output sample is
 *     out = (a*(256-w) + b*w + 128) >> 8          (w in 0..256; w 0 is A exactly, 256 is B exactly)
 * with w chosen per kind:
 *   mix:  w = ((k+1)*256) / (N+1), the same for every sample of the three planes.
 *   dip:  p = ((k+1)*512) / (N+1); p < 256: A towards the colour C with w = p; else the colour towards B with
 *         w = p - 256 (a = C). C is the colour in video-range BT.601, from 8-bit R,G,B:
 *         Y = (66R + 129G + 25B + 4224) >> 8, U = (-38R - 74G + 112B + 32896) >> 8,
 *         V = (112R - 94G - 18B + 32896) >> 8   (black: 16,128,128; white: 235,128,128).
 *   wipe: each luma sample (x, y) of the W x H picture has a position v and the pattern a range M; S is the soft
 *         edge in the same units as v (soft N luma pixels: S = N, or 2*N*H for box, 2*N for circle):
 *         left   v = x                                       M = W    (B enters at the left edge)
 *         right  v = W-1-x                                   M = W
 *         down   v = y                                       M = H    (B enters at the top)
 *         up     v = H-1-y                                   M = H
 *         box    v = max(|2x+1-W| * H, |2y+1-H| * W)          M = W*H  (grows from the centre)
 *         circle v = isqrt((2x+1-W)^2 + (2y+1-H)^2)          M = isqrt(W^2 + H^2) + 1
 *         edge e = ((k+1)*(M+S)) / (N+1) (64-bit), d = e - v; w = 0 when d <= 0, 256 when d >= S (with S 0:
 *         when d > 0), else (d*256) / S. A chroma sample (x, y) takes the w of luma sample (2x, 2y).
 * All divisions are of non-negative integers (truncation = floor). */
#ifndef SW_TRANSITION_H
#define SW_TRANSITION_H

#include <stdint.h>

#include "ot_frame.h"

#define SW_TRANS_MAX_FRAMES 100000 /* about an hour at 30 fps: a length beyond is a typo */
#define SW_TRANS_MAX_SOFT 4096     /* soft edge in luma pixels */

typedef enum SwTransKind {
    SW_TRANS_CUT = 0, /* no transition */
    SW_TRANS_MIX,
    SW_TRANS_DIP,
    SW_TRANS_WIPE,
} SwTransKind;

typedef enum SwWipePattern {
    SW_WIPE_LEFT = 0,
    SW_WIPE_RIGHT,
    SW_WIPE_UP,
    SW_WIPE_DOWN,
    SW_WIPE_BOX,
    SW_WIPE_CIRCLE,
} SwWipePattern;

typedef struct SwTransSpec {
    SwTransKind kind;
    int frames;            /* N >= 1 (0 for a cut) */
    SwWipePattern pattern; /* wipe */
    int soft;              /* wipe: soft edge in luma pixels, 0 = hard */
    uint8_t rgb[3];        /* dip: the colour */
} SwTransSpec;

const char *sw_trans_kind_name(SwTransKind kind);      /* "cut", "mix", "dip", "wipe" */
const char *sw_wipe_pattern_name(SwWipePattern p);     /* "left", ... "circle" */
/* Name -> value; -1 when unknown. */
int sw_trans_kind_from_name(const char *s, int n);
int sw_wipe_pattern_from_name(const char *s, int n);
/* "black", "white" or "#RRGGBB" (n bytes) -> rgb. 0, or -1 when it is none of these. */
int sw_trans_parse_colour(const char *s, int n, uint8_t rgb[3]);
/* "mix:15", "dip:20", "dip:20:white", "wipe:15:left", "wipe:15:circle:8" (soft 8). 0 or -EINVAL. */
int sw_trans_parse_spec(const char *text, SwTransSpec *spec);
/* The video-range Y, U, V of a colour (rule above). */
void sw_trans_colour_yuv(const uint8_t rgb[3], uint8_t yuv[3]);
/* The mix weight of frame k of n (rule above). */
int sw_trans_mix_weight(int k, int n);

/* The compositor. `out` must be an I420 frame of the inputs' size with its own writable memory; a and b I420 of the
 * same size. 0, or -EINVAL (formats or sizes differ, k out of 0..frames-1). Single-threaded: one 1080p mix is
 * about a memcpy of the frame (bench/README.md). */
int sw_trans_compose(const SwTransSpec *spec, int k, const OtFrame *a, const OtFrame *b, OtFrame *out);

/* A small pool of preallocated I420 frames for the mixed pictures. sw_trans_pool_get returns a new reference
 * (refcount 1) on a free slot's memory, or NULL when every slot is still referenced (by a sink or an encoder);
 * the slot is free again at the frame's last unref, on whatever thread that happens. The pool itself is freed
 * when sw_trans_pool_free has been called and no frame from it is alive. */
typedef struct SwTransPool SwTransPool;

SwTransPool *sw_trans_pool_alloc(int width, int height, int nslots);
void sw_trans_pool_free(SwTransPool **pool);
OtFrame *sw_trans_pool_get(SwTransPool *pool);
int sw_trans_pool_width(const SwTransPool *pool);
int sw_trans_pool_height(const SwTransPool *pool);

/* The program thread's mixer: the pool, the compositor, and what a frame that cannot come from the pool does. */
typedef struct SwMixer SwMixer;
typedef struct SwMixerStats {
    int64_t mixed;       /* mixed frames made (new pictures: every other program frame is a reference) */
    int64_t pool_misses; /* of those, frames allocated because every pool slot was still held downstream */
    int64_t unmixable;   /* transition frames shown as the new camera's own: sizes or formats differ */
} SwMixerStats;

SwMixer *sw_mixer_alloc(int nslots);
void sw_mixer_free(SwMixer **m);
/* Preallocate the pool for width x height (before the take: this allocates). 0 or -ENOMEM. */
int sw_mixer_prepare(SwMixer *m, int width, int height);
/* Frame k of spec from a to b in *out (a new reference): from the pool (prepared on the first call if need be),
 * or allocated when the pool is exhausted; a reference to b when they cannot be mixed (logged once). pts, seq
 * and arrival are b's; source -1 (a picture of our own). 0 or -ENOMEM. */
int sw_mixer_make(SwMixer *m, const SwTransSpec *spec, int k, OtFrame *a, OtFrame *b, OtFrame **out);
void sw_mixer_get_stats(const SwMixer *m, SwMixerStats *st);

#endif
