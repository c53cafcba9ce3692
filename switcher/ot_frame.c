/* onetake: the refcounted frame handle. */
#include "ot_frame.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FRAME_ALIGN 32
#define FRAME_MAX_DIM 16384

/* The public struct comes first so that an OtFrame * is also a FramePriv *. */
typedef struct FramePriv {
    OtFrame pub;
    atomic_int refcount;
    OtFrameRelease release;
    void *opaque;
    void *buffer; /* our own pixel memory (ot_frame_alloc_buffer), or NULL */
} FramePriv;

static atomic_llong live_frames;

static FramePriv *frame_priv(OtFrame *frame)
{
    return (FramePriv *)frame;
}

OtFrame *ot_frame_alloc(OtFrameRelease release, void *opaque)
{
    FramePriv *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    atomic_init(&p->refcount, 1);
    p->release = release;
    p->opaque = opaque;
    p->pub.format = OT_PIX_NONE;
    p->pub.source = -1;
    atomic_fetch_add_explicit(&live_frames, 1, memory_order_relaxed);
    return &p->pub;
}

void *ot_frame_get_opaque(const OtFrame *frame, OtFrameRelease release)
{
    const FramePriv *p = (const FramePriv *)frame;
    return frame && release && p->release == release ? p->opaque : NULL;
}

static int align_up(int v)
{
    return (v + FRAME_ALIGN - 1) & ~(FRAME_ALIGN - 1);
}

OtFrame *ot_frame_alloc_buffer(int width, int height, OtPixFmt format)
{
    if (format != OT_PIX_I420 || width <= 0 || height <= 0 || width > FRAME_MAX_DIM || height > FRAME_MAX_DIM)
        return NULL;

    int cw = (width + 1) / 2, ch = (height + 1) / 2;
    int stride[3] = {align_up(width), align_up(cw), align_up(cw)};
    int rows[3] = {height, ch, ch};
    uint8_t fill[3] = {16, 128, 128}; /* video-range black */
    size_t offset[3], total = 0;
    for (int i = 0; i < 3; i++) {
        offset[i] = total;
        total += (size_t)stride[i] *
                 (size_t)rows[i]; /* every plane size is a multiple of 32: planes stay aligned */
    }

    uint8_t *buf = aligned_alloc(FRAME_ALIGN, total);
    if (!buf)
        return NULL;
    OtFrame *f = ot_frame_alloc(NULL, NULL);
    if (!f) {
        free(buf);
        return NULL;
    }
    frame_priv(f)->buffer = buf;
    f->width = width;
    f->height = height;
    f->format = format;
    f->nb_planes = 3;
    for (int i = 0; i < 3; i++) {
        f->data[i] = buf + offset[i];
        f->linesize[i] = stride[i];
        memset(f->data[i], fill[i], (size_t)stride[i] * (size_t)rows[i]);
    }
    return f;
}

OtFrame *ot_frame_ref(OtFrame *frame)
{
    if (!frame)
        return NULL;
    /* Taking a reference needs no ordering: the caller already holds one. */
    atomic_fetch_add_explicit(&frame_priv(frame)->refcount, 1, memory_order_relaxed);
    return frame;
}

void ot_frame_unref(OtFrame **frame)
{
    if (!frame || !*frame)
        return;
    FramePriv *p = frame_priv(*frame);
    *frame = NULL;
    /* acq_rel: every other holder's use happens-before the release callback. */
    int old = atomic_fetch_sub_explicit(&p->refcount, 1, memory_order_acq_rel);
    if (old > 1)
        return;
    if (old < 1) {
        fprintf(stderr, "onetake[frame]: unref of a dead frame (refcount %d)\n", old);
        abort();
    }
    if (p->release)
        p->release(p->opaque);
    free(p->buffer);
    free(p);
    atomic_fetch_sub_explicit(&live_frames, 1, memory_order_relaxed);
}

int ot_frame_plane_width(const OtFrame *frame, int plane)
{
    if (!frame || plane < 0 || plane >= frame->nb_planes)
        return 0;
    if (frame->format == OT_PIX_I420 && plane > 0)
        return (frame->width + 1) / 2;
    return frame->width;
}

int ot_frame_plane_height(const OtFrame *frame, int plane)
{
    if (!frame || plane < 0 || plane >= frame->nb_planes)
        return 0;
    if (frame->format == OT_PIX_I420 && plane > 0)
        return (frame->height + 1) / 2;
    return frame->height;
}

int64_t ot_frame_live_count(void)
{
    return atomic_load(&live_frames);
}

static long long parse_side(const char **p)
{
    char *end = NULL;
    if (**p < '0' || **p > '9')
        return -1; /* strtoll would take a sign or spaces */
    errno = 0;
    long long v = strtoll(*p, &end, 10);
    if (errno || v < 1 || v > 65536)
        return -1;
    *p = end;
    return v;
}

int ot_frame_parse_size(const char *text, int *width, int *height)
{
    const char *p = text;
    long long w, h;
    if (!text || !width || !height || (w = parse_side(&p)) < 0 || (*p != 'x' && *p != 'X'))
        return -EINVAL;
    p++;
    if ((h = parse_side(&p)) < 0 || *p)
        return -EINVAL;
    *width = (int)w;
    *height = (int)h;
    return 0;
}
