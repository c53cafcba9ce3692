/* bench: one 1920x1080 I420 transition frame (sw_trans_compose) against a memcpy of the same bytes, which is the
 * limit for a mix: two loads and one store of the frame. Single thread. Prints the median of ROUNDS rounds of
 * ITERS frames each, in ms per frame.
 * usage: ot-bench-compose [WIDTH HEIGHT] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ot_frame.h"
#include "sw_transition.h"

#define ROUNDS 15
#define ITERS 20

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static size_t frame_bytes(const OtFrame *f)
{
    size_t n = 0;
    for (int p = 0; p < 3; p++)
        n += (size_t)f->linesize[p] * (size_t)ot_frame_plane_height(f, p);
    return n;
}

static double run(const char *what, const SwTransSpec *spec, OtFrame *a, OtFrame *b, OtFrame *o)
{
    double t[ROUNDS];
    size_t bytes = frame_bytes(a);
    for (int r = 0; r < ROUNDS; r++) {
        double t0 = now_ms();
        for (int i = 0; i < ITERS; i++) {
            if (spec) {
                if (sw_trans_compose(spec, i % spec->frames, a, b, o) < 0) {
                    fprintf(stderr, "compose failed\n");
                    exit(1);
                }
            } else {
                memcpy(o->data[0], a->data[0], bytes); /* the planes are one block (ot_frame_alloc_buffer) */
            }
        }
        t[r] = (now_ms() - t0) / ITERS;
    }
    qsort(t, ROUNDS, sizeof(t[0]), cmp_double);
    printf("%-22s %7.3f ms/frame (median of %d x %d; min %.3f)\n", what, t[ROUNDS / 2], ROUNDS, ITERS, t[0]);
    return t[ROUNDS / 2];
}

int main(int argc, char **argv)
{
    int w = argc > 2 ? atoi(argv[1]) : 1920, h = argc > 2 ? atoi(argv[2]) : 1080;
    OtFrame *a = ot_frame_alloc_buffer(w, h, OT_PIX_I420), *b = ot_frame_alloc_buffer(w, h, OT_PIX_I420);
    OtFrame *o = ot_frame_alloc_buffer(w, h, OT_PIX_I420);
    if (!a || !b || !o)
        return 1;
    unsigned seed = 1;
    for (int p = 0; p < 3; p++) /* pixels that are not constant (nothing the compiler or the cache could fold) */
        for (int y = 0; y < ot_frame_plane_height(a, p); y++)
            for (int x = 0; x < a->linesize[p]; x++) {
                seed = seed * 1103515245u + 12345u;
                a->data[p][(size_t)y * a->linesize[p] + x] = (uint8_t)(seed >> 16);
                b->data[p][(size_t)y * b->linesize[p] + x] = (uint8_t)(seed >> 24);
            }
    printf("%dx%d I420, %.2f MB a frame\n", w, h, frame_bytes(a) / 1e6);
    double mc = run("memcpy (the limit)", NULL, a, b, o);
    SwTransSpec mix = {.kind = SW_TRANS_MIX, .frames = 15};
    SwTransSpec dip = {.kind = SW_TRANS_DIP, .frames = 15};
    SwTransSpec left = {.kind = SW_TRANS_WIPE, .frames = 15, .pattern = SW_WIPE_LEFT, .soft = 8};
    SwTransSpec circle = {.kind = SW_TRANS_WIPE, .frames = 15, .pattern = SW_WIPE_CIRCLE, .soft = 8};
    double m = run("mix", &mix, a, b, o);
    run("dip", &dip, a, b, o);
    run("wipe left soft 8", &left, a, b, o);
    run("wipe circle soft 8", &circle, a, b, o);
    printf("mix / memcpy: %.2f\n", m / mc);
    ot_frame_unref(&a);
    ot_frame_unref(&b);
    ot_frame_unref(&o);
    return 0;
}
