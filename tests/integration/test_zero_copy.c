/* Zero copy: the pixels that reach the encoder are the camera's GstBuffer memory itself. For every frame the test
 * maps the GstBuffer behind the capture frame on its own and checks that the AVFrame data pointer the mux handed to
 * libavcodec is that mapped pointer; the mux's copy counter stays 0; every frame reference is released at the end.
 * usage: test_zero_copy CLIP OUTDIR */
#include <stdio.h>
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <gst/gst.h>
#include <gst/video/video.h>

#include "capture.h"
#include "mux.h"
#include "ot_common.h"

#define FRAMES 45

static int fail(const char *what)
{
    fprintf(stderr, "test_zero_copy: FAIL: %s\n", what);
    return 1;
}

int main(int argc, char **argv)
{
    if (argc != 3)
        return fail("usage: test_zero_copy CLIP OUTDIR");
    if (cap_init(NULL, NULL) < 0)
        return fail("gst init");
    mux_init_logging();
    g_mkdir_with_parents(argv[2], 0755);
    int rc = 0;
    const char *codecs[] = {"ffv1", "h264"};
    for (int c = 0; c < 2 && !rc; c++) {
        CapFormat fmt = {.width = 640, .height = 360, .rate = {30, 1}};
        CapCamera *cam = cap_camera_alloc("wide", argv[1], 0, &fmt);
        if (!cam || cap_camera_start(cam, 10000) < 0)
            return fail("camera start");
        SwSource src = cap_camera_source(cam);
        char *path = g_strdup_printf("%s/zero-copy-%s.mkv", argv[2], codecs[c]);
        g_remove(path);
        MuxOutputConfig cfg = {.path = path, .width = 640, .height = 360, .rate = {30, 1}, .gop = 30,
                               .role = "program"};
        mux_codec_from_name(codecs[c], &cfg.codec);
        MuxOutput *out = mux_output_alloc(&cfg);
        if (!out)
            return fail("mux_output_alloc");
        for (int i = 0; i < FRAMES && !rc; i++) {
            OtFrame *f = NULL;
            if (src.pull(src.opaque, &f) < 0 || !f) {
                rc = fail("pull");
                break;
            }
            GstBuffer *buf = cap_frame_gst_buffer(f);
            if (!buf) {
                rc = fail("capture frame without a GstBuffer");
                ot_frame_unref(&f);
                break;
            }
            /* Map the camera's buffer independently of capture: the pointer libavcodec gets must be this one. */
            GstMapInfo map;
            if (!gst_buffer_map(buf, &map, GST_MAP_READ)) {
                rc = fail("map");
                ot_frame_unref(&f);
                break;
            }
            if (mux_output_write(out, f, i, i % 30 == 0) < 0)
                rc = fail("mux_output_write");
            MuxOutputStats st;
            mux_output_get_stats(out, &st);
            GstVideoMeta *meta = gst_buffer_get_video_meta(buf);
            const guint8 *plane0 = map.data + (meta ? meta->offset[0] : 0);
            if (!rc && st.last_data0 != plane0) {
                fprintf(stderr, "frame %d: encoder got %p, camera buffer maps at %p\n", i, (void *)st.last_data0,
                        (void *)plane0);
                rc = fail("the encoder's input is not the camera's buffer");
            }
            gst_buffer_unmap(buf, &map);
            ot_frame_unref(&f);
        }
        if (!rc && mux_output_close(out) < 0)
            rc = fail("close");
        MuxOutputStats st;
        mux_output_get_stats(out, &st);
        if (!rc && (st.copies != 0 || st.zero_copy != FRAMES)) {
            fprintf(stderr, "%s: copies %" G_GINT64_FORMAT ", zero-copy frames %" G_GINT64_FORMAT "\n", codecs[c],
                    st.copies, st.zero_copy);
            rc = fail("program-path copies");
        }
        mux_output_free(&out);
        cap_camera_free(&cam);
        g_free(path);
        if (!rc)
            printf("%s: %d frames reached the encoder as the camera's own buffers, 0 copies\n", codecs[c], FRAMES);
    }
    if (!rc && ot_frame_live_count() != 0) {
        fprintf(stderr, "%" G_GINT64_FORMAT " frames still referenced\n", ot_frame_live_count());
        rc = fail("frame leak");
    }
    return rc;
}
