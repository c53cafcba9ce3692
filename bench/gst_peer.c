/* The GStreamer peer for bench/run.sh: what a user builds without onetake. N camera files are decoded
 * (uridecodebin), an input-selector picks one, x264enc speed-preset=ultrafast encodes it, matroskamux writes it.
 * The selector is switched on the same schedule as the onetake cue list: a probe on the selector's source pad counts
 * program frames and sets active-pad when the next cut is due. This is the usual way to drive input-selector from a
 * schedule; it is not frame-exact (the new pad's thread is not in lockstep), and bench/run.sh measures by how much.
 *
 * usage: ot-bench-gst-peer OUT.mkv FRAMES GOP CUT_EVERY_FRAMES CAM.mp4 [CAM.mp4 ...] */
#include <stdio.h>
#include <stdlib.h>

#include <gst/gst.h>

typedef struct Peer {
    GstElement *pipeline;
    GstElement *selector;
    GstElement *convert[16];
    GstPad *sel_pads[16];
    int ncams;
    gint64 frames;    /* program frames seen on the selector's output */
    gint64 max_frames;
    gint64 cut_every;
    int active;
    GMainLoop *loop;
} Peer;

static void on_pad_added(GstElement *decode, GstPad *pad, gpointer user_data)
{
    GstElement *convert = user_data;
    GstCaps *caps = gst_pad_get_current_caps(pad);
    const char *name = caps ? gst_structure_get_name(gst_caps_get_structure(caps, 0)) : "";
    if (g_str_has_prefix(name, "video/x-raw")) {
        GstPad *sink = gst_element_get_static_pad(convert, "sink");
        if (!gst_pad_is_linked(sink))
            gst_pad_link(pad, sink);
        gst_object_unref(sink);
    }
    if (caps)
        gst_caps_unref(caps);
}

static GstPadProbeReturn on_program_buffer(GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
    Peer *p = user_data;
    p->frames++;
    if (p->frames >= p->max_frames) {
        /* End the program after exactly max_frames, like onetake's end cue. */
        if (p->frames > p->max_frames)
            return GST_PAD_PROBE_DROP;
        gst_element_send_event(p->pipeline, gst_event_new_eos());
    }
    if (p->frames % p->cut_every == 0) {
        p->active = (p->active + 1) % p->ncams;
        g_object_set(p->selector, "active-pad", p->sel_pads[p->active], NULL);
    }
    return GST_PAD_PROBE_OK;
}

static gboolean on_bus(GstBus *bus, GstMessage *msg, gpointer user_data)
{
    Peer *p = user_data;
    if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
        GError *err = NULL;
        gst_message_parse_error(msg, &err, NULL);
        fprintf(stderr, "gst peer: %s\n", err->message);
        g_clear_error(&err);
        g_main_loop_quit(p->loop);
    } else if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_EOS) {
        g_main_loop_quit(p->loop);
    }
    return TRUE;
}

int main(int argc, char **argv)
{
    gst_init(&argc, &argv);
    if (argc < 6 || argc - 5 > 16) {
        fprintf(stderr, "usage: %s OUT.mkv FRAMES GOP CUT_EVERY CAM... (1-16 cameras)\n", argv[0]);
        return 2;
    }
    Peer p = {0};
    p.max_frames = g_ascii_strtoll(argv[2], NULL, 10);
    int gop = (int)g_ascii_strtoll(argv[3], NULL, 10);
    p.cut_every = g_ascii_strtoll(argv[4], NULL, 10);
    p.ncams = argc - 5;
    p.pipeline = gst_pipeline_new("peer");
    p.selector = gst_element_factory_make("input-selector", "sel");
    GstElement *enc = gst_element_factory_make("x264enc", NULL);
    GstElement *mux = gst_element_factory_make("matroskamux", NULL);
    GstElement *sink = gst_element_factory_make("filesink", NULL);
    g_object_set(enc, "speed-preset", 1 /* ultrafast */, "key-int-max", gop, "threads", 2, NULL);
    g_object_set(sink, "location", argv[1], NULL);
    gst_bin_add_many(GST_BIN(p.pipeline), p.selector, enc, mux, sink, NULL);
    gst_element_link_many(p.selector, enc, mux, sink, NULL);
    for (int i = 0; i < p.ncams; i++) {
        GstElement *decode = gst_element_factory_make("uridecodebin", NULL);
        char *uri = gst_filename_to_uri(argv[5 + i], NULL);
        g_object_set(decode, "uri", uri, NULL);
        g_free(uri);
        p.convert[i] = gst_element_factory_make("videoconvert", NULL);
        gst_bin_add_many(GST_BIN(p.pipeline), decode, p.convert[i], NULL);
        g_signal_connect(decode, "pad-added", G_CALLBACK(on_pad_added), p.convert[i]);
        p.sel_pads[i] = gst_element_request_pad_simple(p.selector, "sink_%u");
        GstPad *src = gst_element_get_static_pad(p.convert[i], "src");
        gst_pad_link(src, p.sel_pads[i]);
        gst_object_unref(src);
    }
    g_object_set(p.selector, "active-pad", p.sel_pads[0], NULL);
    GstPad *selsrc = gst_element_get_static_pad(p.selector, "src");
    gst_pad_add_probe(selsrc, GST_PAD_PROBE_TYPE_BUFFER, on_program_buffer, &p, NULL);
    gst_object_unref(selsrc);

    p.loop = g_main_loop_new(NULL, FALSE);
    GstBus *bus = gst_element_get_bus(p.pipeline);
    gst_bus_add_watch(bus, on_bus, &p);
    gst_element_set_state(p.pipeline, GST_STATE_PLAYING);
    g_main_loop_run(p.loop);
    gst_element_set_state(p.pipeline, GST_STATE_NULL);
    gst_bus_remove_watch(bus);
    gst_object_unref(bus);
    for (int i = 0; i < p.ncams; i++)
        gst_object_unref(p.sel_pads[i]);
    gst_object_unref(p.pipeline);
    g_main_loop_unref(p.loop);
    printf("gst peer: %" G_GINT64_FORMAT " program frames\n", p.frames);
    return 0;
}
