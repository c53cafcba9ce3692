/* Unit test: the frame handle (refcount, release callback, own buffers, live count across threads) and the
 * common module (log sink and levels, error strings). */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "ot_common.h"
#include "ut.h"

static int released;
static void on_release(void *opaque)
{
    released++;
    UT_CHECK(opaque == &released);
}

static void test_foreign(void)
{
    uint8_t pixels[64];
    OtFrame *f = ot_frame_alloc(on_release, &released);
    UT_CHECK(f != NULL);
    UT_EQ_INT(ot_frame_live_count(), 1);
    UT_EQ_INT(f->source, -1);
    f->data[0] = pixels;
    OtFrame *g = ot_frame_ref(f);
    UT_CHECK(g == f);
    ot_frame_unref(&f);
    UT_CHECK(f == NULL);
    UT_EQ_INT(released, 0);
    UT_EQ_INT(ot_frame_live_count(), 1);
    ot_frame_unref(&g);
    UT_EQ_INT(released, 1);
    UT_EQ_INT(ot_frame_live_count(), 0);
    ot_frame_unref(&g); /* NULL: no-op */
    ot_frame_unref(NULL);
    UT_CHECK(ot_frame_ref(NULL) == NULL);

    f = ot_frame_alloc(NULL, NULL); /* no callback */
    ot_frame_unref(&f);
    UT_EQ_INT(ot_frame_live_count(), 0);
}

static void test_buffer(void)
{
    UT_CHECK(ot_frame_alloc_buffer(0, 10, OT_PIX_I420) == NULL);
    UT_CHECK(ot_frame_alloc_buffer(10, -1, OT_PIX_I420) == NULL);
    UT_CHECK(ot_frame_alloc_buffer(16, 16, OT_PIX_NONE) == NULL);
    UT_EQ_INT(ot_frame_live_count(), 0);

    OtFrame *f = ot_frame_alloc_buffer(33, 17, OT_PIX_I420); /* odd sizes round the chroma up */
    UT_CHECK(f != NULL);
    if (!f)
        return;
    UT_EQ_INT(f->nb_planes, 3);
    UT_EQ_INT(ot_frame_plane_width(f, 0), 33);
    UT_EQ_INT(ot_frame_plane_height(f, 0), 17);
    UT_EQ_INT(ot_frame_plane_width(f, 1), 17);
    UT_EQ_INT(ot_frame_plane_height(f, 2), 9);
    UT_EQ_INT(ot_frame_plane_width(f, 3), 0);
    UT_EQ_INT(ot_frame_plane_width(f, -1), 0);
    for (int p = 0; p < 3; p++) {
        UT_CHECKF(f->linesize[p] % 32 == 0 && f->linesize[p] >= ot_frame_plane_width(f, p),
                  "plane %d stride %d", p, f->linesize[p]);
        UT_CHECKF(((uintptr_t)f->data[p] & 31) == 0, "plane %d not 32-byte aligned", p);
        uint8_t want = p == 0 ? 16 : 128;
        int bad = 0;
        for (int y = 0; y < ot_frame_plane_height(f, p); y++)
            for (int x = 0; x < ot_frame_plane_width(f, p); x++)
                bad += f->data[p][y * f->linesize[p] + x] != want;
        UT_CHECKF(bad == 0, "plane %d: %d pixels are not black", p, bad);
    }
    /* planes do not overlap: writing the last row of one leaves the next intact */
    memset(f->data[0] + 16 * f->linesize[0], 0xAB, (size_t)f->linesize[0]);
    UT_EQ_INT(f->data[1][0], 128);
    ot_frame_unref(&f);
    UT_EQ_INT(ot_frame_live_count(), 0);
}

#define THREAD_REFS 20000

static void *ref_unref(void *arg)
{
    OtFrame *f = arg;
    for (int i = 0; i < THREAD_REFS; i++) {
        OtFrame *r = ot_frame_ref(f);
        ot_frame_unref(&r);
    }
    OtFrame *mine = f;
    ot_frame_unref(&mine); /* each thread owns one reference */
    return NULL;
}

static void test_threads(void)
{
    released = 0;
    OtFrame *f = ot_frame_alloc(on_release, &released);
    pthread_t th[4];
    for (int i = 0; i < 4; i++)
        ot_frame_ref(f);
    for (int i = 0; i < 4; i++)
        UT_CHECK(pthread_create(&th[i], NULL, ref_unref, f) == 0);
    ot_frame_unref(&f);
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    UT_EQ_INT(released, 1);
    UT_EQ_INT(ot_frame_live_count(), 0);
}

/* ---- log ---- */

static char last_msg[256], last_module[32];
static int last_level, nmsg;
static size_t last_len;
static void capture(int level, const char *module, const char *msg, void *opaque)
{
    UT_CHECK(opaque == &nmsg);
    nmsg++;
    last_level = level;
    last_len = strlen(msg);
    snprintf(last_msg, sizeof(last_msg), "%s", msg);
    snprintf(last_module, sizeof(last_module), "%s", module);
    if (nmsg == 1)
        ot_log(OT_LOG_ERROR, "test", "a log from inside the sink goes to stderr instead of deadlocking");
}

static void test_log(void)
{
    UT_EQ_INT(ot_log_get_level(), OT_LOG_INFO);
    ot_log_set_callback(capture, &nmsg);
    ot_log(OT_LOG_WARNING, "cues", "line %d is odd\n", 3);
    UT_EQ_INT(nmsg, 1);
    UT_EQ_INT(last_level, OT_LOG_WARNING);
    UT_CHECK(!strcmp(last_msg, "line 3 is odd")); /* one line: the trailing newline is the sink's */
    UT_CHECK(!strcmp(last_module, "cues"));
    ot_log(OT_LOG_VERBOSE, "cues", "not shown at INFO");
    UT_EQ_INT(nmsg, 1);
    ot_log_set_level(OT_LOG_DEBUG);
    ot_log(OT_LOG_VERBOSE, "cues", "shown at DEBUG");
    UT_EQ_INT(nmsg, 2);
    ot_log_set_level(OT_LOG_QUIET);
    ot_log(OT_LOG_ERROR, "cues", "quiet");
    UT_EQ_INT(nmsg, 2);
    ot_log_set_level(OT_LOG_INFO);

    /* a message longer than the stack buffer arrives whole */
    char big[3000];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    ot_log(OT_LOG_INFO, "big", "%s!", big);
    UT_EQ_INT(nmsg, 3);
    UT_EQ_INT(last_len, sizeof(big));
    ot_log_set_callback(NULL, NULL);
    ot_log(OT_LOG_INFO, "test", "default sink: this line goes to stderr");
    UT_EQ_INT(nmsg, 3);

    UT_CHECK(!strcmp(ot_strerror(OT_ERROR_EOF), "end of stream"));
    UT_CHECK(!strcmp(ot_strerror(-ENOENT), "No such file or directory"));
    UT_CHECK(strlen(ot_strerror(OT_ERROR_CUES)) > 0);
    UT_CHECK(!strcmp(ot_strerror(-99999), "unknown error"));
    UT_CHECK(!strcmp(ot_strerror(0), "success"));
}

int main(void)
{
    test_foreign();
    test_buffer();
    test_threads();
    test_log();
    return ut_finish("test_frame");
}
