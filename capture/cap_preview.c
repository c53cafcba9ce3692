/* onetake capture: the multiview's preview branch of a camera.
 *
 *   ... conform ! tee ! appsink (program: unchanged, blocking, lockstep)
 *                  tee. ! queue leaky=downstream max-size-buffers=1 ! videoconvertscale ! YV12 WxH ! appsink
 *
 * The tee sits after the conform chain: a tile then shows exactly the picture the camera would put on program
 * (borders and all), scaling down from the program size costs less than from a camera's native size, and one
 * insertion point (in front of the program appsink) serves every kind of source (uridecodebin, test:, pipe:).
 *
 * Never in the way of the program: the tee pushes into the leaky queue without blocking (a slow preview drops
 * its oldest frame, never the program's), the scaling runs on the queue's own thread, and the preview appsink
 * hands each frame to a small ring from its callback, so its own queue never fills and nothing waits for the
 * UI.
 *
 * The ring keeps the last CAP_PREVIEW_KEEP frames so that the UI can show, for every camera, the frame of the
 * tick the program is at rather than the newest decoded one: with file sources the decoders run a few frames
 * ahead of the program (the program appsink's queue), and tiles would otherwise lead the program. Holding
 * frames is safe because they are the branch's own: the output is YV12, never the program's I420, so
 * videoconvertscale always writes a new buffer and is never a passthrough that would hold a decoder's
 * (finite) pool buffers. YV12 is I420 with the chroma planes swapped: the OtFrame handed out points its I420
 * planes at the right components.
 *
 * Times: a preview frame's pts_ns counts from the camera's first frame, taken at the tee (before the leaky
 * queue, which may drop the first frames while the branch starts), so that it is the camera's take-clock
 * time, like the program path's.
 *
 * Lock: CapPreview.lock (leaf) protects the ring and first_rt. first_rt is written once by the probe on the
 * tee (the camera's streaming thread), the ring by the preview branch's streaming thread; both are read by
 * whoever calls cap_preview_get (the UI thread). */
#include "cap_preview.h"
#include "cap_internal.h"

#include <gst/app/gstappsink.h>
#include <gst/video/video.h>

#include "ot_common.h"

/* 8 frames: more than the program path holds ahead of the tick (appsink queue 3 + lookahead + in flight),
 * about a quarter second at 30 fps; 8 x 480x270 x 1.5 bytes, about 1.5 MB per camera. */
#define CAP_PREVIEW_KEEP 8
/* Container timestamps are rounded to the millisecond: a frame this much after a time counts as at it. */
#define CAP_PREVIEW_TOLERANCE_NS 1000000

typedef struct CapPreviewSlot {
    GstSample *sample;
    int64_t seq;    /* 0 for the branch's first frame */
    int64_t pts_ns; /* from the first preview frame (the camera's take-clock time), -1 if unknown */
} CapPreviewSlot;

struct CapPreview {
    char *name;
    int index;
    gboolean warned; /* a frame could not be mapped: said once */
    GMutex lock;
    CapPreviewSlot ring[CAP_PREVIEW_KEEP]; /* oldest at head */
    int head, count;
    int64_t received;
    GstClockTime first_rt;
};

/* What a preview OtFrame holds so that its pixels stay valid. */

static GstFlowReturn on_new_sample(GstAppSink *appsink, gpointer user_data)
{
    CapPreview *p = user_data;
    GstSample *sample = gst_app_sink_try_pull_sample(appsink, 0);
    if (!sample)
        return GST_FLOW_OK;
    GstBuffer *buf = gst_sample_get_buffer(sample);
    const GstSegment *seg = gst_sample_get_segment(sample);
    GstClockTime rt = GST_CLOCK_TIME_NONE;
    if (buf && seg && GST_BUFFER_PTS_IS_VALID(buf))
        rt = gst_segment_to_running_time(seg, GST_FORMAT_TIME, GST_BUFFER_PTS(buf));

    g_mutex_lock(&p->lock);
    GstSample *old = NULL;
    if (p->count == CAP_PREVIEW_KEEP) {
        old = p->ring[p->head].sample;
        p->head = (p->head + 1) % CAP_PREVIEW_KEEP;
        p->count--;
    }
    CapPreviewSlot *slot = &p->ring[(p->head + p->count) % CAP_PREVIEW_KEEP];
    slot->sample = sample;
    slot->seq = p->received++;
    slot->pts_ns = -1;
    if (GST_CLOCK_TIME_IS_VALID(rt) && GST_CLOCK_TIME_IS_VALID(p->first_rt))
        slot->pts_ns = rt >= p->first_rt ? (int64_t)(rt - p->first_rt) : 0;
    p->count++;
    g_mutex_unlock(&p->lock);
    if (old)
        gst_sample_unref(old); /* outside the lock: it may free a buffer */
    return GST_FLOW_OK;
}

/* The camera's first frame, as it enters the tee: its running time is the origin of preview times. Once. */
static GstPadProbeReturn on_first_buffer(GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
    CapPreview *p = user_data;
    GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER(info);
    if (!buf || !GST_BUFFER_PTS_IS_VALID(buf))
        return GST_PAD_PROBE_OK;
    GstEvent *ev = gst_pad_get_sticky_event(pad, GST_EVENT_SEGMENT, 0);
    if (!ev)
        return GST_PAD_PROBE_OK;
    const GstSegment *seg = NULL;
    gst_event_parse_segment(ev, &seg);
    GstClockTime rt = gst_segment_to_running_time(seg, GST_FORMAT_TIME, GST_BUFFER_PTS(buf));
    gst_event_unref(ev);
    if (!GST_CLOCK_TIME_IS_VALID(rt))
        return GST_PAD_PROBE_OK;
    g_mutex_lock(&p->lock);
    p->first_rt = rt;
    g_mutex_unlock(&p->lock);
    return GST_PAD_PROBE_REMOVE;
}

static GstElement *make(const char *factory, const char *name, const char *cam)
{
    GstElement *e = gst_element_factory_make(factory, NULL);
    if (!e)
        ot_log(OT_LOG_ERROR, "capture",
               "camera \"%s\": GStreamer element %s (%s) is missing: install "
               "gstreamer1.0-plugins-base",
               cam, factory, name);
    return e;
}

CapPreview *cap_preview_attach(GstElement *pipeline, GstElement *sink, const char *name, int index, int width,
                               int height)
{
    GstElement *tee = make("tee", "preview tee", name);
    GstElement *queue = make("queue", "preview queue", name);
    GstElement *scale = make("videoconvertscale", "preview scaler", name);
    GstElement *filter = make("capsfilter", "preview caps", name);
    GstElement *psink = make("appsink", "preview sink", name);
    GstPad *sinkpad = gst_element_get_static_pad(sink, "sink");
    GstPad *up = sinkpad ? gst_pad_get_peer(sinkpad) : NULL;
    GstPad *teepad = NULL;
    gboolean added = FALSE;
    CapPreview *p = NULL;

    if (!tee || !queue || !scale || !filter || !psink)
        goto fail;
    if (!up) {
        ot_log(OT_LOG_ERROR, "capture", "camera \"%s\": the program appsink is not linked: no preview", name);
        goto fail;
    }
    /* Leaky downstream, one buffer: the tee never waits on the preview; a late preview loses its oldest
     * frame. */
    g_object_set(queue, "leaky", 2, "max-size-buffers", 1, "max-size-bytes", 0, "max-size-time", (guint64)0,
                 "silent", TRUE, NULL);
    g_object_set(scale, "add-borders", TRUE, NULL);
    GstCaps *caps = gst_caps_new_simple("video/x-raw", "format", G_TYPE_STRING, "YV12", "width", G_TYPE_INT,
                                        width, "height", G_TYPE_INT, height, "pixel-aspect-ratio",
                                        GST_TYPE_FRACTION, 1, 1, NULL);
    g_object_set(filter, "caps", caps, NULL);
    gst_caps_unref(caps);
    /* No clock, no preroll wait, one buffer, drop: the preview never holds up the pipeline or its state
     * changes. */
    g_object_set(psink, "sync", FALSE, "async", FALSE, "max-buffers", 1, "drop", TRUE, "emit-signals", FALSE,
                 "enable-last-sample", FALSE, "qos", FALSE, NULL);

    p = g_new0(CapPreview, 1);
    g_mutex_init(&p->lock);
    p->name = g_strdup(name);
    p->index = index;
    p->first_rt = GST_CLOCK_TIME_NONE;
    GstAppSinkCallbacks cb = {.new_sample = on_new_sample};
    gst_app_sink_set_callbacks(GST_APP_SINK(psink), &cb, p, NULL);

    gst_bin_add_many(GST_BIN(pipeline), tee, queue, scale, filter, psink, NULL);
    added = TRUE; /* the pipeline owns the elements from here on */
    gst_pad_unlink(up, sinkpad);
    teepad = gst_element_get_static_pad(tee, "sink");
    if (gst_pad_link(up, teepad) != GST_PAD_LINK_OK || !gst_element_link(tee, sink) ||
        !gst_element_link_many(tee, queue, scale, filter, psink, NULL)) {
        ot_log(OT_LOG_ERROR, "capture", "camera \"%s\": cannot link the preview branch", name);
        goto fail;
    }
    gst_pad_add_probe(teepad, GST_PAD_PROBE_TYPE_BUFFER, on_first_buffer, p, NULL);
    gst_object_unref(teepad);
    gst_object_unref(up);
    gst_object_unref(sinkpad);
    return p;

fail:
    if (added) {
        /* Put the program path back as it was; the unlinked preview elements stay in the bin, inert. */
        gst_element_unlink(tee, sink);
        if (teepad && gst_pad_is_linked(teepad))
            gst_pad_unlink(up, teepad);
        if (up && gst_pad_link(up, sinkpad) != GST_PAD_LINK_OK)
            ot_log(OT_LOG_ERROR, "capture", "camera \"%s\": cannot relink the program path", name);
        gst_app_sink_set_callbacks(GST_APP_SINK(psink), &(GstAppSinkCallbacks){0}, NULL, NULL);
    } else {
        if (tee)
            gst_object_unref(tee);
        if (queue)
            gst_object_unref(queue);
        if (scale)
            gst_object_unref(scale);
        if (filter)
            gst_object_unref(filter);
        if (psink)
            gst_object_unref(psink);
    }
    if (teepad)
        gst_object_unref(teepad);
    if (up)
        gst_object_unref(up);
    if (sinkpad)
        gst_object_unref(sinkpad);
    cap_preview_free(&p);
    return NULL;
}

OtFrame *cap_preview_get(CapPreview *p, int64_t at_ns)
{
    if (!p)
        return NULL;
    g_mutex_lock(&p->lock);
    const CapPreviewSlot *pick = NULL;
    if (p->count > 0) {
        /* the latest frame at or before at_ns; the newest when at_ns < 0; the oldest when all are later */
        pick = &p->ring[(p->head + p->count - 1) % CAP_PREVIEW_KEEP];
        if (at_ns >= 0) {
            pick = &p->ring[p->head];
            for (int i = 0; i < p->count; i++) {
                const CapPreviewSlot *s = &p->ring[(p->head + i) % CAP_PREVIEW_KEEP];
                if (s->pts_ns >= 0 && s->pts_ns <= at_ns + CAP_PREVIEW_TOLERANCE_NS)
                    pick = s;
            }
        }
    }
    GstSample *sample = pick ? gst_sample_ref(pick->sample) : NULL;
    int64_t seq = pick ? pick->seq : -1;
    int64_t pts = pick ? pick->pts_ns : -1;
    g_mutex_unlock(&p->lock);
    if (!sample)
        return NULL;

    GstVideoInfo info;
    GstCaps *caps = gst_sample_get_caps(sample);
    GstBuffer *buf = gst_sample_get_buffer(sample);
    OtFrame *f = caps && buf && gst_video_info_from_caps(&info, caps) ? cap_frame_from_buffer(buf, &info) : NULL;
    gst_sample_unref(sample);
    if (!f) {
        if (!p->warned)
            ot_log(OT_LOG_WARNING, "capture", "camera \"%s\": a preview frame cannot be read", p->name);
        p->warned = TRUE;
        return NULL;
    }
    f->source = p->index;
    f->seq = seq;
    f->pts_ns = pts;
    return f;
}

void cap_preview_free(CapPreview **pp)
{
    CapPreview *p = pp ? *pp : NULL;
    if (!p)
        return;
    for (int i = 0; i < p->count; i++)
        gst_sample_unref(p->ring[(p->head + i) % CAP_PREVIEW_KEEP].sample);
    g_mutex_clear(&p->lock);
    g_free(p->name);
    g_free(p);
    *pp = NULL;
}
