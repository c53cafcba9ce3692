/* onetake: the transition compositor and its frame pool (rules in sw_transition.h).
 *
 * The blend loops are written for the auto-vectoriser: restrict rows, 16-bit arithmetic (a*(256-w) + b*w + 128
 * is at most 65408, so it fits uint16), no branch in the loop. This file is built with -O3 (CMakeLists.txt); with
 * -fopt-info-vec GCC reports the loops of blend_row, blend_row_const and blend_row_w vectorised. The wipe's
 * weights are computed per row (64-bit, outside the blend). */
#include "sw_transition.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "ot_common.h"

/* out = (a*(256-w) + b*w + 128) >> 8 with one w for the row. */
static void blend_row(uint8_t *restrict o, const uint8_t *restrict a, const uint8_t *restrict b, uint16_t w,
                      int n)
{
    uint16_t iw = (uint16_t)(256 - w);
    for (int i = 0; i < n; i++)
        o[i] = (uint8_t)((uint16_t)(a[i] * iw + b[i] * w + 128) >> 8);
}

/* Towards or from a constant: out = (a*(256-w) + c*w + 128) >> 8. */
static void blend_row_const(uint8_t *restrict o, const uint8_t *restrict a, uint16_t cw, uint16_t w, int n)
{
    uint16_t iw = (uint16_t)(256 - w), add = (uint16_t)(cw + 128);
    for (int i = 0; i < n; i++)
        o[i] = (uint8_t)((uint16_t)(a[i] * iw + add) >> 8);
}

/* One w per sample. */
static void blend_row_w(uint8_t *restrict o, const uint8_t *restrict a, const uint8_t *restrict b,
                        const uint16_t *restrict w, int n)
{
    for (int i = 0; i < n; i++)
        o[i] = (uint8_t)((uint16_t)(a[i] * (uint16_t)(256 - w[i]) + b[i] * w[i] + 128) >> 8);
}

static int64_t isqrt64(int64_t n)
{
    if (n <= 0)
        return 0;
    int64_t x = 0, bit = (int64_t)1 << 62;
    while (bit > n)
        bit >>= 2;
    while (bit) {
        if (n >= x + bit) {
            n -= x + bit;
            x = (x >> 1) + bit;
        } else {
            x >>= 1;
        }
        bit >>= 2;
    }
    return x;
}

typedef struct WipeGeom {
    SwWipePattern pattern;
    int64_t W, H, e, S;
} WipeGeom;

static void wipe_geom(const SwTransSpec *spec, int k, int W, int H, WipeGeom *g)
{
    int64_t M, S = spec->soft;
    g->pattern = spec->pattern;
    g->W = W;
    g->H = H;
    switch (spec->pattern) {
    case SW_WIPE_LEFT:
    case SW_WIPE_RIGHT:
        M = W;
        break;
    case SW_WIPE_UP:
    case SW_WIPE_DOWN:
        M = H;
        break;
    case SW_WIPE_BOX:
        M = (int64_t)W * H;
        S = 2 * S * H;
        break;
    default: /* circle */
        M = isqrt64((int64_t)W * W + (int64_t)H * H) + 1;
        S = 2 * S;
        break;
    }
    g->S = S;
    g->e = ((int64_t)k + 1) * (M + S) / ((int64_t)spec->frames + 1);
}

static int64_t iabs64(int64_t v)
{
    return v < 0 ? -v : v;
}

static uint16_t wipe_w(const WipeGeom *g, int64_t v)
{
    int64_t d = g->e - v;
    if (d <= 0)
        return 0;
    if (d >= g->S)
        return 256;
    return (uint16_t)(d * 256 / g->S);
}

/* The weights of luma row y, every `step`-th sample from x = 0 (step 2: a chroma row's), n of them. Cheap tests
 * first: only samples in the soft band need a division (and, for the circle, a square root). */
static void wipe_row(const WipeGeom *g, int y, int step, uint16_t *w, int n)
{
    int64_t W = g->W, H = g->H, dy = 2 * (int64_t)y + 1 - H;
    /* v <= full: weight 256; v >= g->e: weight 0 (d <= 0) */
    int64_t full = g->S > 0 ? g->e - g->S : g->e - 1;
    switch (g->pattern) {
    case SW_WIPE_LEFT:
    case SW_WIPE_RIGHT:
        for (int i = 0; i < n; i++) {
            int64_t x = (int64_t)i * step;
            w[i] = wipe_w(g, g->pattern == SW_WIPE_LEFT ? x : W - 1 - x);
        }
        return;
    case SW_WIPE_DOWN:
    case SW_WIPE_UP: {
        uint16_t c = wipe_w(g, g->pattern == SW_WIPE_DOWN ? y : H - 1 - y);
        for (int i = 0; i < n; i++)
            w[i] = c;
        return;
    }
    case SW_WIPE_BOX: {
        int64_t hy = iabs64(dy) * W;
        for (int i = 0; i < n; i++) {
            int64_t hx = iabs64(2 * (int64_t)i * step + 1 - W) * H, v = hx > hy ? hx : hy;
            w[i] = v >= g->e ? 0 : v <= full ? 256 : wipe_w(g, v);
        }
        return;
    }
    default: {
        /* v = isqrt(q) >= e  <=>  q >= e^2;  v <= full  <=>  q < (full+1)^2 */
        int64_t zero_q = g->e * g->e, full_q = full >= 0 ? (full + 1) * (full + 1) : 0;
        for (int i = 0; i < n; i++) {
            int64_t dx = 2 * (int64_t)i * step + 1 - W, q = dx * dx + dy * dy;
            w[i] = q >= zero_q ? 0 : q < full_q ? 256 : wipe_w(g, isqrt64(q));
        }
        return;
    }
    }
}

static int same_geometry(const OtFrame *a, const OtFrame *b)
{
    return a->format == OT_PIX_I420 && b->format == OT_PIX_I420 && a->width == b->width &&
           a->height == b->height && a->nb_planes >= 3 && b->nb_planes >= 3;
}

static int compose_wipe(const SwTransSpec *spec, int k, const OtFrame *a, const OtFrame *b, OtFrame *out)
{
    WipeGeom g;
    wipe_geom(spec, k, a->width, a->height, &g);
    uint16_t w[16384]; /* one row's weights (ot_frame sizes are at most 16384 wide): no allocation per frame */
    if (a->width > 16384)
        return -EINVAL;
    for (int p = 0; p < 3; p++) {
        int pw = ot_frame_plane_width(a, p), ph = ot_frame_plane_height(a, p), step = p ? 2 : 1;
        int same_rows = spec->pattern == SW_WIPE_LEFT || spec->pattern == SW_WIPE_RIGHT;
        for (int y = 0; y < ph; y++) {
            if (y == 0 || !same_rows) /* left and right: every row has the same weights */
                wipe_row(&g, y * step, step, w, pw);
            blend_row_w(out->data[p] + (size_t)y * out->linesize[p], a->data[p] + (size_t)y * a->linesize[p],
                        b->data[p] + (size_t)y * b->linesize[p], w, pw);
        }
    }
    return 0;
}

int sw_trans_compose(const SwTransSpec *spec, int k, const OtFrame *a, const OtFrame *b, OtFrame *out)
{
    if (!spec || !a || !b || !out || spec->kind == SW_TRANS_CUT || k < 0 || k >= spec->frames ||
        !same_geometry(a, b) || !same_geometry(a, out))
        return -EINVAL;
    if (spec->kind == SW_TRANS_WIPE)
        return compose_wipe(spec, k, a, b, out);
    uint8_t yuv[3];
    int w = sw_trans_mix_weight(k, spec->frames), pos = 0;
    if (spec->kind == SW_TRANS_DIP) {
        sw_trans_colour_yuv(spec->rgb, yuv);
        pos = (int)(((int64_t)k + 1) * 512 / ((int64_t)spec->frames + 1));
    }
    for (int p = 0; p < 3; p++) {
        int pw = ot_frame_plane_width(a, p), ph = ot_frame_plane_height(a, p);
        for (int y = 0; y < ph; y++) {
            uint8_t *o = out->data[p] + (size_t)y * out->linesize[p];
            const uint8_t *ra = a->data[p] + (size_t)y * a->linesize[p];
            const uint8_t *rb = b->data[p] + (size_t)y * b->linesize[p];
            if (spec->kind == SW_TRANS_MIX)
                blend_row(o, ra, rb, (uint16_t)w, pw);
            else if (pos < 256) /* A towards the colour */
                blend_row_const(o, ra, (uint16_t)(yuv[p] * pos), (uint16_t)pos, pw);
            else /* the colour towards B: a = C, so (C*(256-w) + b*w) with w = pos - 256 */
                blend_row_const(o, rb, (uint16_t)(yuv[p] * (512 - pos)), (uint16_t)(512 - pos), pw);
        }
    }
    return 0;
}

/* ---- the pool ---- */

typedef struct PoolSlot {
    struct SwTransPool *pool;
    uint8_t *data[3];
    int linesize[3];
    atomic_int busy;
} PoolSlot;

struct SwTransPool {
    int width, height, nslots;
    atomic_int refs; /* the owner's + one per frame alive */
    uint8_t *memory;
    PoolSlot *slots;
};

static void pool_unref(SwTransPool *pool)
{
    if (atomic_fetch_sub_explicit(&pool->refs, 1, memory_order_acq_rel) != 1)
        return;
    free(pool->memory);
    free(pool->slots);
    free(pool);
}

static void slot_release(void *opaque)
{
    PoolSlot *s = opaque;
    SwTransPool *pool = s->pool;
    atomic_store_explicit(&s->busy, 0, memory_order_release);
    pool_unref(pool);
}

static int align32(int v)
{
    return (v + 31) & ~31;
}

SwTransPool *sw_trans_pool_alloc(int width, int height, int nslots)
{
    if (width <= 0 || height <= 0 || width > 16384 || height > 16384 || nslots < 1 || nslots > 64)
        return NULL;
    SwTransPool *pool = calloc(1, sizeof(*pool));
    if (!pool)
        return NULL;
    int cw = (width + 1) / 2, ch = (height + 1) / 2;
    int stride[3] = {align32(width), align32(cw), align32(cw)}, rows[3] = {height, ch, ch};
    size_t per = 0;
    for (int p = 0; p < 3; p++)
        per += (size_t)stride[p] * (size_t)rows[p];
    pool->slots = calloc((size_t)nslots, sizeof(*pool->slots));
    pool->memory = aligned_alloc(32, per * (size_t)nslots); /* per is a multiple of 32 */
    if (!pool->slots || !pool->memory) {
        free(pool->slots);
        free(pool->memory);
        free(pool);
        return NULL;
    }
    static const uint8_t black[3] = {16, 128, 128};
    for (int i = 0; i < nslots; i++) {
        PoolSlot *s = &pool->slots[i];
        uint8_t *m = pool->memory + per * (size_t)i;
        s->pool = pool;
        for (int p = 0; p < 3; p++) {
            s->data[p] = m;
            s->linesize[p] = stride[p];
            memset(m, black[p], (size_t)stride[p] * (size_t)rows[p]); /* touched now, not on the first mix */
            m += (size_t)stride[p] * (size_t)rows[p];
        }
        atomic_init(&s->busy, 0);
    }
    pool->width = width;
    pool->height = height;
    pool->nslots = nslots;
    atomic_init(&pool->refs, 1);
    return pool;
}

void sw_trans_pool_free(SwTransPool **pool)
{
    if (!pool || !*pool)
        return;
    pool_unref(*pool);
    *pool = NULL;
}

OtFrame *sw_trans_pool_get(SwTransPool *pool)
{
    if (!pool)
        return NULL;
    for (int i = 0; i < pool->nslots; i++) {
        PoolSlot *s = &pool->slots[i];
        int expected = 0;
        if (!atomic_compare_exchange_strong(&s->busy, &expected, 1))
            continue;
        atomic_fetch_add_explicit(&pool->refs, 1, memory_order_relaxed);
        OtFrame *f = ot_frame_alloc(slot_release, s);
        if (!f) {
            slot_release(s);
            return NULL;
        }
        f->width = pool->width;
        f->height = pool->height;
        f->format = OT_PIX_I420;
        f->nb_planes = 3;
        for (int p = 0; p < 3; p++) {
            f->data[p] = s->data[p];
            f->linesize[p] = s->linesize[p];
        }
        return f;
    }
    return NULL;
}

int sw_trans_pool_width(const SwTransPool *pool)
{
    return pool ? pool->width : 0;
}

int sw_trans_pool_height(const SwTransPool *pool)
{
    return pool ? pool->height : 0;
}

/* ---- the mixer ---- */

struct SwMixer {
    int nslots;
    SwTransPool *pool;
    SwMixerStats st;
    int warned;
};

SwMixer *sw_mixer_alloc(int nslots)
{
    if (nslots < 1 || nslots > 64)
        return NULL;
    SwMixer *m = calloc(1, sizeof(*m));
    if (m)
        m->nslots = nslots;
    return m;
}

void sw_mixer_free(SwMixer **m)
{
    if (!m || !*m)
        return;
    sw_trans_pool_free(&(*m)->pool);
    free(*m);
    *m = NULL;
}

int sw_mixer_prepare(SwMixer *m, int width, int height)
{
    if (!m)
        return -EINVAL;
    if (m->pool && m->pool->width == width && m->pool->height == height)
        return 0;
    sw_trans_pool_free(&m->pool);
    m->pool = sw_trans_pool_alloc(width, height, m->nslots);
    if (!m->pool) {
        ot_log(OT_LOG_ERROR, "mixer", "cannot allocate %d frames of %dx%d for transitions", m->nslots, width,
               height);
        return -ENOMEM;
    }
    return 0;
}

int sw_mixer_make(SwMixer *m, const SwTransSpec *spec, int k, OtFrame *a, OtFrame *b, OtFrame **out)
{
    *out = NULL;
    if (!m || !spec || !a || !b)
        return -EINVAL;
    if (!same_geometry(a, b)) {
        if (!m->warned++)
            ot_log(OT_LOG_WARNING, "mixer",
                   "a transition between frames of %dx%d and %dx%d: shown as a cut (the cameras must have one "
                   "size)",
                   a->width, a->height, b->width, b->height);
        m->st.unmixable++;
        *out = ot_frame_ref(b);
        return 0;
    }
    int ret = sw_mixer_prepare(m, b->width, b->height);
    if (ret < 0)
        return ret;
    OtFrame *f = sw_trans_pool_get(m->pool);
    if (!f) {
        f = ot_frame_alloc_buffer(b->width, b->height, OT_PIX_I420);
        if (!f)
            return -ENOMEM;
        m->st.pool_misses++;
    }
    ret = sw_trans_compose(spec, k, a, b, f);
    if (ret < 0) {
        ot_frame_unref(&f);
        return ret;
    }
    f->source = -1;
    f->seq = b->seq;
    f->pts_ns = b->pts_ns;
    f->arrival_ns = b->arrival_ns;
    m->st.mixed++;
    *out = f;
    return 0;
}

void sw_mixer_get_stats(const SwMixer *m, SwMixerStats *st)
{
    if (m && st)
        *st = m->st;
}
