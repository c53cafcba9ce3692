/* onetake: the frame handle. One refcounted handle over memory that somebody else owns (a mapped GstBuffer, an
 * AVFrame, or a buffer of our own for slates and tests). The switcher never touches pixels: it moves references.
 *
 * Ownership: ot_frame_alloc* returns a new reference (refcount 1); ot_frame_ref adds one; ot_frame_unref drops one,
 * sets the pointer to NULL, and the last unref calls the release callback. Metadata is read-only after the producer
 * has filled it in and handed the frame on. Thread-safe refcounting (C11 atomics). */
#ifndef OT_FRAME_H
#define OT_FRAME_H

#include <stdint.h>

#define OT_FRAME_MAX_PLANES 4

typedef enum OtPixFmt {
    OT_PIX_NONE = 0,
    OT_PIX_I420, /* planar 4:2:0 YUV, 8 bit: the program's one raw format */
} OtPixFmt;

typedef struct OtFrame {
    int width, height;
    OtPixFmt format;
    int nb_planes;
    uint8_t *data[OT_FRAME_MAX_PLANES]; /* read-only: may point into a mapped GstBuffer */
    int linesize[OT_FRAME_MAX_PLANES];
    int source;     /* camera index (order of --cam), -1 for frames of our own (slates) */
    int64_t seq;    /* per-source sequence number, 0 for the source's first frame */
    int64_t pts_ns; /* time on the take clock in ns: the source's first frame is 0 (live sources: sw_runner.h) */
    int64_t arrival_ns; /* CLOCK_MONOTONIC time it reached the program path (capture's queue), 0 if unknown */
} OtFrame;

typedef void (*OtFrameRelease)(void *opaque);

/* A frame over foreign memory. release(opaque) is called once, on the last unref. */
OtFrame *ot_frame_alloc(OtFrameRelease release, void *opaque);
/* A frame with its own zeroed (black for I420: Y=16, U=V=128) pixel memory. NULL on ENOMEM or bad size. */
OtFrame *ot_frame_alloc_buffer(int width, int height, OtPixFmt format);
OtFrame *ot_frame_ref(OtFrame *frame);
/* The opaque pointer given to ot_frame_alloc when the frame was made with that release callback, else NULL: lets
 * the module that made a frame find its own state again (e.g. the GstBuffer behind a capture frame). */
void *ot_frame_get_opaque(const OtFrame *frame, OtFrameRelease release);
void ot_frame_unref(OtFrame **frame);

/* Visible size of plane p in bytes per row and rows (no stride padding). */
int ot_frame_plane_width(const OtFrame *frame, int plane);
int ot_frame_plane_height(const OtFrame *frame, int plane);

/* Frames alive in the process right now (every test ends with 0). */
int64_t ot_frame_live_count(void);

/* Parse a picture size "WxH" (or "WXH"), each 1 to 65536, nothing else around them: 0, or -EINVAL (nothing said:
 * the caller knows what it parsed and what it accepts). */
int ot_frame_parse_size(const char *text, int *width, int *height);

#endif
