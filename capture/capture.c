/* onetake capture: one GStreamer pipeline per camera.
 *
 *   source (uridecodebin | videotestsrc | pipe: fragment) -> conform (videoconvertscale to I420 WxH, square pixels,
 *   borders keep the aspect) -> appsink
 *
 * The runner pulls frames from the appsink on the program thread (lockstep: files). Live cameras are the same
 * pipelines with a queue, a clock and a supervisor of their own (cap_live.c); audio branches are cap_audio.c.
 * Frame-rate matching is not done here (no videorate): the runner picks, per program tick, the frame whose
 * take-clock time is latest at or before the tick, which is docs/contract.md's rule (videorate picks the nearest frame,
 * which is not). */
#include "capture.h"

#include <gst/base/gstbasesrc.h>
#include <string.h>
#include <time.h>

#include "cap_internal.h"
#include "ot_common.h"

#define CAP_PULL_SLICE_NS (100 * GST_MSECOND)
/* A file source that produces nothing for this long is stalled (decoder hang, broken file). */
#define CAP_STALL_NS (20 * GST_SECOND)
/* Frames queued in the appsink: small, so that few upstream buffers are held (pools are finite). */
#define CAP_APPSINK_MAX_BUFFERS 3
/* A frame that ends this close to a seek's stop has reached it (timestamps are rounded). */
#define CAP_STOP_TOLERANCE_NS (GST_MSECOND)

/* What a frame of ours holds so that the pixels stay valid: the buffer and its mapping. Not the sample: appsink
 * reuses its sample object, which must not be shared when it sets the caps again after a flushing seek. */
typedef struct CapFrameRef {
    GstBuffer *buffer;
    GstVideoFrame vframe;
} CapFrameRef;

static void cap_gst_log(GstDebugCategory *category, GstDebugLevel level, const gchar *file, const gchar *function,
                        gint line, GObject *object, GstDebugMessage *message, gpointer user_data)
{
    int ot_level;
    switch (level) {
    case GST_LEVEL_ERROR:
        ot_level = OT_LOG_ERROR;
        break;
    case GST_LEVEL_WARNING:
    case GST_LEVEL_FIXME:
        ot_level = OT_LOG_WARNING;
        break;
    case GST_LEVEL_INFO:
        ot_level = OT_LOG_VERBOSE;
        break;
    default:
        ot_level = OT_LOG_DEBUG;
        break;
    }
    if (ot_level > ot_log_get_level())
        return;
    ot_log(ot_level, "gst", "%s: %s", gst_debug_category_get_name(category), gst_debug_message_get(message));
}

int cap_init(int *argc, char ***argv)
{
    GError *err = NULL;
    if (!gst_init_check(argc, argv, &err)) {
        ot_log(OT_LOG_ERROR, "capture", "cannot initialise GStreamer: %s", err ? err->message : "unknown error");
        g_clear_error(&err);
        return OT_ERROR_SOURCE;
    }
    /* GStreamer's own debug log (GST_DEBUG=...) goes through ours, so there is one log. */
    gst_debug_remove_log_function(gst_debug_log_default);
    gst_debug_add_log_function(cap_gst_log, NULL, NULL);
    return 0;
}

void cap_deinit(void)
{
    gst_debug_remove_log_function(cap_gst_log);
    gst_debug_add_log_function(gst_debug_log_default, NULL, NULL);
}

char *cap_conform_description(const CapFormat *fmt)
{
    /* add-borders keeps the camera's aspect ratio (letterbox/pillarbox) instead of stretching it. */
    return g_strdup_printf("videoconvertscale add-borders=true ! "
                           "capsfilter caps=\"video/x-raw,format=I420,width=%d,height=%d,pixel-aspect-ratio=1/1\"",
                           fmt->width, fmt->height);
}

static gboolean is_uri(const char *source)
{
    return gst_uri_is_valid(source) && strstr(source, "://") != NULL;
}

CapSourceKind cap_source_kind(const char *source)
{
    if (g_str_has_prefix(source, "test:"))
        return CAP_SOURCE_TEST;
    if (g_str_has_prefix(source, "pipe:"))
        return CAP_SOURCE_PIPE;
    if (is_uri(source))
        return g_str_has_prefix(source, "file://") ? CAP_SOURCE_FILE_URI : CAP_SOURCE_URI;
    return CAP_SOURCE_PATH;
}

int cap_source_is_file(const char *source)
{
    CapSourceKind k = cap_source_kind(source);
    return k == CAP_SOURCE_PATH || k == CAP_SOURCE_FILE_URI;
}

int cap_source_check(const char *name, const char *source)
{
    if (!source || !*source) {
        ot_log(OT_LOG_ERROR, "capture", "camera \"%s\": empty source: give a file, a URI, test:PATTERN or "
               "pipe:FRAGMENT", name);
        return -EINVAL;
    }
    if (g_str_has_prefix(source, "test:")) {
        if (!source[5]) {
            ot_log(OT_LOG_ERROR, "capture", "camera \"%s\": test: needs a pattern, e.g. test:smpte or test:ball",
                   name);
            return -EINVAL;
        }
        return 0;
    }
    if (g_str_has_prefix(source, "pipe:")) {
        if (!source[5]) {
            ot_log(OT_LOG_ERROR, "capture", "camera \"%s\": pipe: needs a gst-launch fragment that ends in raw "
                   "video, e.g. pipe:videotestsrc pattern=ball", name);
            return -EINVAL;
        }
        return 0;
    }
    if (is_uri(source)) {
        if (g_str_has_prefix(source, "file://")) {
            char *path = g_filename_from_uri(source, NULL, NULL);
            int exists = path && g_file_test(path, G_FILE_TEST_IS_REGULAR);
            g_free(path);
            if (!exists) {
                ot_log(OT_LOG_ERROR, "capture", "camera \"%s\": file not found: %s", name, source);
                return -ENOENT;
            }
        }
        return 0;
    }
    if (!g_file_test(source, G_FILE_TEST_EXISTS)) {
        ot_log(OT_LOG_ERROR, "capture",
               "camera \"%s\": file not found: %s (give an existing file, a URI such as srt://host:port, "
               "test:PATTERN or pipe:FRAGMENT)", name, source);
        return -ENOENT;
    }
    if (!g_file_test(source, G_FILE_TEST_IS_REGULAR)) {
        ot_log(OT_LOG_ERROR, "capture", "camera \"%s\": %s is not a regular file", name, source);
        return -EINVAL;
    }
    return 0;
}

/* A sink for a stream we do not use (audio we do not need, a second video), so that the demuxer does not stop on
 * a not-linked flow. Tracked, so that a live restart can remove the old ones. */
static void link_fakesink(CapCamera *cam, GstPad *pad)
{
    GstElement *fake = gst_element_factory_make("fakesink", NULL);
    if (!fake)
        return;
    g_object_set(fake, "sync", FALSE, "async", FALSE, NULL);
    gst_bin_add(GST_BIN(cam->pipeline), fake);
    gst_element_sync_state_with_parent(fake);
    GstPad *sinkpad = gst_element_get_static_pad(fake, "sink");
    gst_pad_link(pad, sinkpad);
    gst_object_unref(sinkpad);
    g_mutex_lock(&cam->lock);
    g_ptr_array_add(cam->fakes, gst_object_ref(fake));
    g_mutex_unlock(&cam->lock);
}

static void on_pad_added(GstElement *decodebin, GstPad *pad, gpointer user_data)
{
    CapCamera *cam = user_data;
    GstCaps *caps = gst_pad_get_current_caps(pad);
    if (!caps)
        caps = gst_pad_query_caps(pad, NULL);
    const GstStructure *s = gst_caps_get_structure(caps, 0);
    const char *media = gst_structure_get_name(s);
    gboolean link_video = FALSE, link_audio = FALSE;

    g_mutex_lock(&cam->lock);
    if (g_str_has_prefix(media, "video/x-raw") && !cam->video_linked && !cam->audio_only) {
        cam->video_linked = TRUE;
        link_video = TRUE;
    } else if (g_str_has_prefix(media, "audio/x-raw") && cam->audio && !cam->audio_linked) {
        cam->audio_linked = TRUE;
        link_audio = TRUE;
    } else {
        char *prev = cam->other_streams;
        cam->other_streams = prev ? g_strdup_printf("%s, %s", prev, media) : g_strdup(media);
        g_free(prev);
    }
    g_mutex_unlock(&cam->lock);

    if (link_video) {
        GstPad *sinkpad = gst_element_get_static_pad(cam->conform, "sink");
        GstPadLinkReturn ret = gst_pad_link(pad, sinkpad);
        if (ret != GST_PAD_LINK_OK)
            ot_log(OT_LOG_ERROR, "capture", "camera \"%s\": cannot link the video stream (%s)", cam->name,
                   gst_pad_link_get_name(ret));
        gst_object_unref(sinkpad);
    } else if (link_audio) {
        if (cap_audio_link_pad(cam, pad) < 0)
            link_fakesink(cam, pad);
    } else {
        link_fakesink(cam, pad);
    }
    gst_caps_unref(caps);
}

static void on_no_more_pads(GstElement *decodebin, gpointer user_data)
{
    CapCamera *cam = user_data;
    g_mutex_lock(&cam->lock);
    cam->no_more_pads = TRUE;
    g_mutex_unlock(&cam->lock);
}

static GstElement *build_from_description(CapCamera *cam, const char *head)
{
    char *conform = cap_conform_description(&cam->fmt);
    char *desc = g_strdup_printf("%s ! %s ! appsink name=sink", head, conform);
    GError *err = NULL;
    GstElement *pipeline = gst_parse_launch_full(desc, NULL, GST_PARSE_FLAG_FATAL_ERRORS, &err);
    if (!pipeline)
        ot_log(OT_LOG_ERROR, "capture", "camera \"%s\": cannot build the pipeline \"%s\": %s", cam->name, desc,
               err ? err->message : "unknown error");
    g_clear_error(&err);
    g_free(desc);
    g_free(conform);
    return pipeline;
}

/* A decoder inside uridecodebin: give it the thread count the take asked for (CapFormat.decoder_threads). libav's
 * decoders (avdec_*) and most others name it max-threads. */
static void on_deep_element_added(GstBin *bin, GstBin *sub, GstElement *el, gpointer user_data)
{
    CapCamera *cam = user_data;
    (void)bin;
    (void)sub;
    cap_packet_tap(cam, el); /* a video parser: the copy ISO's compressed stream */
    if (cam->fmt.decoder_threads <= 0 || !g_object_class_find_property(G_OBJECT_GET_CLASS(el), "max-threads"))
        return;
    GstElementFactory *f = gst_element_get_factory(el);
    if (f && gst_element_factory_list_is_type(f, GST_ELEMENT_FACTORY_TYPE_DECODER))
        g_object_set(el, "max-threads", cam->fmt.decoder_threads, NULL);
}

static GstElement *build_uridecodebin(CapCamera *cam, const char *uri)
{
    GstElement *pipeline = gst_pipeline_new(cam->name);
    GstElement *decode = gst_element_factory_make("uridecodebin", "decode");
    GError *err = NULL;
    GstElement *conform = NULL, *sink = NULL;
    if (!cam->audio_only) {
        char *conform_desc = cap_conform_description(&cam->fmt);
        conform = gst_parse_bin_from_description(conform_desc, TRUE, &err);
        sink = gst_element_factory_make("appsink", "sink");
        g_free(conform_desc);
    }
    if (!pipeline || !decode || (!cam->audio_only && (!conform || !sink))) {
        ot_log(OT_LOG_ERROR, "capture", "camera \"%s\": a GStreamer element is missing (%s): install "
               "gstreamer1.0-plugins-base", cam->name, err ? err->message : "uridecodebin/appsink");
        g_clear_error(&err);
        if (pipeline)
            gst_object_unref(pipeline);
        if (decode && !pipeline)
            gst_object_unref(decode);
        return NULL;
    }
    g_object_set(decode, "uri", uri, NULL);
    gst_bin_add(GST_BIN(pipeline), decode);
    if (!cam->audio_only) {
        gst_bin_add_many(GST_BIN(pipeline), conform, sink, NULL);
        if (!gst_element_link(conform, sink)) {
            ot_log(OT_LOG_ERROR, "capture", "camera \"%s\": cannot link the conform chain", cam->name);
            gst_object_unref(pipeline);
            return NULL;
        }
        cam->conform = conform;
    }
    cam->uridecode = TRUE;
    g_signal_connect(decode, "pad-added", G_CALLBACK(on_pad_added), cam);
    g_signal_connect(decode, "no-more-pads", G_CALLBACK(on_no_more_pads), cam);
    g_signal_connect(decode, "deep-element-added", G_CALLBACK(on_deep_element_added), cam);
    return pipeline;
}

static const char *const live_schemes[] = {"v4l2", "srt", "rtsp", "rtsps", "rtspt", "udp", "rtp", "rtmp", "rtmps",
                                           "dv1394", "hdv1394", "decklink", NULL};

/* A pipe: fragment is live when one of its source elements is (v4l2src, videotestsrc is-live=true, udpsrc...). */
static int fragment_is_live(const char *fragment)
{
    char *desc = g_strdup_printf("%s ! fakesink", fragment);
    GstElement *p = gst_parse_launch_full(desc, NULL, GST_PARSE_FLAG_FATAL_ERRORS, NULL);
    int live = 0;
    g_free(desc);
    if (!p)
        return 0; /* cap_camera_alloc says what is wrong with it */
    GstIterator *it = gst_bin_iterate_sources(GST_BIN(p));
    GValue v = G_VALUE_INIT;
    while (gst_iterator_next(it, &v) == GST_ITERATOR_OK) {
        GstElement *e = g_value_get_object(&v);
        if (GST_IS_BASE_SRC(e) && gst_base_src_is_live(GST_BASE_SRC(e)))
            live = 1;
        g_value_reset(&v);
    }
    g_value_unset(&v);
    gst_iterator_free(it);
    gst_object_unref(p);
    return live;
}

int cap_source_is_live(const char *source)
{
    if (!source)
        return 0;
    CapSourceKind kind = cap_source_kind(source);
    if (kind == CAP_SOURCE_PIPE)
        return fragment_is_live(source + 5);
    if (kind != CAP_SOURCE_URI)
        return 0;
    char *scheme = g_uri_parse_scheme(source);
    int live = 0;
    for (int i = 0; scheme && live_schemes[i] && !live; i++)
        live = !g_ascii_strcasecmp(scheme, live_schemes[i]);
    g_free(scheme);
    return live;
}

static CapCamera *camera_new(const char *name, const char *source, int index, const CapFormat *fmt)
{
    CapCamera *cam = g_new0(CapCamera, 1);
    g_mutex_init(&cam->lock);
    cam->name = g_strdup(name);
    cam->source = g_strdup(source);
    cam->index = index;
    cam->fmt = *fmt;
    cam->first_t = -1;
    cam->stop = -1;
    cam->fakes = g_ptr_array_new_with_free_func(gst_object_unref);
    return cam;
}

CapCamera *cap_camera_alloc(const char *name, const char *source, int index, const CapFormat *fmt)
{
    if (cap_source_check(name, source) < 0)
        return NULL;
    CapCamera *cam = camera_new(name, source, index, fmt);
    int live = cap_source_is_live(source);

    if (g_str_has_prefix(source, "test:")) {
        /* Offline, the runner pulls as fast as the program is made and the test source runs at the program rate,
         * so that it maps 1:1 onto ticks. In a live take it runs on the clock like a camera. */
        live = fmt->live;
        char *head = g_strdup_printf("videotestsrc pattern=%s is-live=%s ! video/x-raw,framerate=%d/%d",
                                     source + 5, live ? "true" : "false", fmt->rate.num, fmt->rate.den);
        cam->pipeline = build_from_description(cam, head);
        g_free(head);
        cam->video_linked = TRUE;
    } else if (g_str_has_prefix(source, "pipe:")) {
        cam->pipeline = build_from_description(cam, source + 5);
        cam->video_linked = TRUE;
    } else {
        char *uri = is_uri(source) ? g_strdup(source) : gst_filename_to_uri(source, NULL);
        cam->seekable = uri && g_str_has_prefix(uri, "file://");
        if (uri)
            cam->pipeline = build_uridecodebin(cam, uri);
        else
            ot_log(OT_LOG_ERROR, "capture", "camera \"%s\": cannot make a URI of %s", name, source);
        g_free(uri);
    }
    if (!cam->pipeline)
        goto fail;

    GstElement *sink = gst_bin_get_by_name(GST_BIN(cam->pipeline), "sink");
    if (!sink) {
        ot_log(OT_LOG_ERROR, "capture", "camera \"%s\": the pipeline has no appsink", name);
        goto fail;
    }
    cam->sink = GST_APP_SINK(sink);
    /* No clock sync: frames are stamped by running time and paced by the runner. No drop: file sources are
     * pulled in lockstep, and a dropped frame would be a lost frame. (Live cameras: cap_live_setup.) */
    g_object_set(sink, "sync", FALSE, "max-buffers", CAP_APPSINK_MAX_BUFFERS, "drop", FALSE, "emit-signals",
                 FALSE, "enable-last-sample", FALSE, NULL);
    cam->bus = gst_element_get_bus(cam->pipeline);
    if (live && cap_live_setup(cam) < 0)
        goto fail;
    return cam;

fail:
    cap_camera_free(&cam);
    return NULL;
}

CapCamera *cap_audio_alloc(const char *name, const char *source, const CapFormat *fmt, int channels)
{
    if (cap_source_check(name, source) < 0)
        return NULL;
    CapCamera *cam = camera_new(name, source, -1, fmt);
    int live = cap_source_is_live(source);
    cam->audio_only = TRUE;
    if (g_str_has_prefix(source, "test:") || g_str_has_prefix(source, "pipe:")) {
        char *desc;
        if (g_str_has_prefix(source, "test:")) {
            live = fmt->live;
            desc = g_strdup_printf("audiotestsrc wave=%s is-live=%s", source + 5, live ? "true" : "false");
        } else {
            desc = g_strdup(source + 5);
        }
        char *full = g_strdup_printf("%s ! audioconvert name=audio_in", desc);
        GError *err = NULL;
        cam->pipeline = gst_parse_launch_full(full, NULL, GST_PARSE_FLAG_FATAL_ERRORS, &err);
        if (!cam->pipeline)
            ot_log(OT_LOG_ERROR, "capture", "audio source \"%s\": cannot build the pipeline \"%s\": %s", name,
                   full, err ? err->message : "unknown error");
        g_clear_error(&err);
        g_free(full);
        g_free(desc);
    } else {
        char *uri = is_uri(source) ? g_strdup(source) : gst_filename_to_uri(source, NULL);
        cam->seekable = uri && g_str_has_prefix(uri, "file://");
        if (uri)
            cam->pipeline = build_uridecodebin(cam, uri);
        g_free(uri);
    }
    if (!cam->pipeline)
        goto fail;
    cam->bus = gst_element_get_bus(cam->pipeline);
    if (cap_audio_setup(cam, channels) < 0)
        goto fail;
    if (!cam->uridecode) {
        /* test:/pipe: the fragment ends in raw audio, linked to the audio chain now. */
        GstElement *in = gst_bin_get_by_name(GST_BIN(cam->pipeline), "audio_in");
        GstPad *src = in ? gst_element_get_static_pad(in, "src") : NULL;
        int ret = src ? cap_audio_link_pad(cam, src) : -EINVAL;
        if (src)
            gst_object_unref(src);
        if (in)
            gst_object_unref(in);
        if (ret < 0)
            goto fail;
        cam->audio_linked = TRUE;
    }
    if (live && cap_live_setup(cam) < 0)
        goto fail;
    return cam;

fail:
    cap_camera_free(&cam);
    return NULL;
}

/* The first error on the bus, logged with the camera and source; 0 when there is none. */
int cap_check_bus(CapCamera *cam)
{
    GstMessage *msg;
    int ret = 0;
    while (!ret && (msg = gst_bus_pop_filtered(cam->bus, GST_MESSAGE_ERROR | GST_MESSAGE_WARNING))) {
        GError *err = NULL;
        char *dbg = NULL;
        if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
            gst_message_parse_error(msg, &err, &dbg);
            ot_log(OT_LOG_ERROR, "capture", "camera \"%s\" (%s): %s", cam->name, cam->source,
                   err ? err->message : "unknown error");
            if (dbg)
                ot_log(OT_LOG_VERBOSE, "capture", "camera \"%s\": %s", cam->name, dbg);
            ret = OT_ERROR_SOURCE;
        } else {
            gst_message_parse_warning(msg, &err, &dbg);
            ot_log(OT_LOG_WARNING, "capture", "camera \"%s\": %s", cam->name, err ? err->message : "warning");
        }
        g_clear_error(&err);
        g_free(dbg);
        gst_message_unref(msg);
    }
    return ret;
}

/* A source that is not video: decodebin has exposed every stream and none was raw video. */
static int check_no_video(CapCamera *cam)
{
    int ret = 0;
    g_mutex_lock(&cam->lock);
    if (cam->no_more_pads && !cam->video_linked && !cam->audio_only) {
        ot_log(OT_LOG_ERROR, "capture", "camera \"%s\": %s has no video stream (found: %s): give a video file "
               "or stream", cam->name, cam->source, cam->other_streams ? cam->other_streams : "no stream");
        ret = OT_ERROR_SOURCE;
    }
    g_mutex_unlock(&cam->lock);
    return ret;
}

/* Pull the next sample, watching the bus. Returns 0 with *out, OT_ERROR_EOF, or OT_ERROR_SOURCE. */
static int pull_sample(CapCamera *cam, GstClockTime stall_ns, GstSample **out)
{
    GstClockTime waited = 0;
    for (;;) {
        GstSample *sample = gst_app_sink_try_pull_sample(cam->sink, CAP_PULL_SLICE_NS);
        if (sample) {
            *out = sample;
            return 0;
        }
        if (gst_app_sink_is_eos(cam->sink))
            return OT_ERROR_EOF;
        int ret = cap_check_bus(cam);
        if (!ret)
            ret = check_no_video(cam);
        if (ret < 0)
            return ret;
        waited += CAP_PULL_SLICE_NS;
        if (waited >= stall_ns) {
            ot_log(OT_LOG_ERROR, "capture", "camera \"%s\" (%s): no frame for %.0f s", cam->name, cam->source,
                   (double)waited / GST_SECOND);
            return OT_ERROR_SOURCE;
        }
    }
}

int cap_camera_start(CapCamera *cam, int timeout_ms)
{
    if (cam->live)
        return cap_live_start(cam, timeout_ms);
    if (gst_element_set_state(cam->pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
        int ret = cap_check_bus(cam);
        if (!ret)
            ot_log(OT_LOG_ERROR, "capture", "camera \"%s\": cannot start the pipeline for %s", cam->name,
                   cam->source);
        cam->failed = TRUE;
        return OT_ERROR_SOURCE;
    }
    cam->started = TRUE;
    if (cam->audio_only) {
        int ret = cap_audio_wait_first(cam, timeout_ms);
        if (ret < 0)
            cam->failed = TRUE;
        return ret;
    }
    int ret = pull_sample(cam, (GstClockTime)timeout_ms * GST_MSECOND, &cam->pending);
    if (ret == OT_ERROR_EOF) {
        ot_log(OT_LOG_ERROR, "capture", "camera \"%s\": %s ended before its first video frame", cam->name,
               cam->source);
        ret = OT_ERROR_SOURCE;
    }
    if (ret < 0)
        cam->failed = TRUE;
    return ret;
}

static void release_frame(void *opaque)
{
    CapFrameRef *ref = opaque;
    gst_video_frame_unmap(&ref->vframe);
    gst_buffer_unref(ref->buffer);
    g_free(ref);
}


GstClockTime cap_running_time(GstSample *sample)
{
    GstBuffer *buf = gst_sample_get_buffer(sample);
    const GstSegment *seg = gst_sample_get_segment(sample);
    if (!buf || !seg || !GST_BUFFER_PTS_IS_VALID(buf) || seg->format != GST_FORMAT_TIME)
        return GST_CLOCK_TIME_NONE;
    return gst_segment_to_running_time(seg, GST_FORMAT_TIME, GST_BUFFER_PTS(buf));
}

OtFrame *cap_frame_from_buffer(GstBuffer *buf, const GstVideoInfo *info)
{
    CapFrameRef *ref = g_new0(CapFrameRef, 1);
    ref->buffer = gst_buffer_ref(buf);
    if (!gst_video_frame_map(&ref->vframe, info, ref->buffer, GST_MAP_READ)) {
        gst_buffer_unref(ref->buffer);
        g_free(ref);
        return NULL;
    }
    OtFrame *f = ot_frame_alloc(release_frame, ref);
    if (!f) {
        release_frame(ref);
        return NULL;
    }
    f->width = GST_VIDEO_INFO_WIDTH(info);
    f->height = GST_VIDEO_INFO_HEIGHT(info);
    f->format = OT_PIX_I420;
    f->nb_planes = 3;
    /* By component, not by plane: YV12 stores V before U; the frame is I420 (Y, U, V) to its readers. */
    static const int comps[3] = {GST_VIDEO_COMP_Y, GST_VIDEO_COMP_U, GST_VIDEO_COMP_V};
    for (int i = 0; i < 3; i++) {
        f->data[i] = GST_VIDEO_FRAME_COMP_DATA(&ref->vframe, comps[i]);
        f->linesize[i] = GST_VIDEO_FRAME_COMP_STRIDE(&ref->vframe, comps[i]);
    }
    return f;
}

int cap_wrap_sample(CapCamera *cam, GstSample *sample, OtFrame **out)
{
    GstCaps *caps = gst_sample_get_caps(sample);
    GstBuffer *buf = gst_sample_get_buffer(sample);
    if (!caps || !buf) {
        ot_log(OT_LOG_ERROR, "capture", "camera \"%s\": a sample without caps or buffer", cam->name);
        gst_sample_unref(sample);
        return OT_ERROR_SOURCE;
    }
    if (caps != cam->info_caps) {
        if (!gst_video_info_from_caps(&cam->info, caps)) {
            ot_log(OT_LOG_ERROR, "capture", "camera \"%s\": unusable caps", cam->name);
            gst_sample_unref(sample);
            return OT_ERROR_SOURCE;
        }
        gst_caps_replace(&cam->info_caps, caps);
    }
    OtFrame *f = cap_frame_from_buffer(buf, &cam->info);
    gst_sample_unref(sample);
    if (!f) {
        ot_log(OT_LOG_ERROR, "capture", "camera \"%s\": cannot map frame %" G_GINT64_FORMAT, cam->name, cam->seq);
        return OT_ERROR_SOURCE;
    }
    f->source = cam->index;
    *out = f;
    return 0;
}

/* Lockstep (files): the frame stamped on the take clock, from the source's first frame. */
static int wrap_sample(CapCamera *cam, GstSample *sample, OtFrame **out)
{
    GstBuffer *buf = gst_sample_get_buffer(sample);
    GstClockTime pts = buf ? GST_BUFFER_PTS(buf) : GST_CLOCK_TIME_NONE;
    const GstSegment *seg = gst_sample_get_segment(sample);
    guint64 pos = 0;
    int sign = 0;
    /* Stream time for files (a flushing seek restarts running time but keeps stream time), running time for the
     * rest. Signed: after an accurate seek the first frame may start a little before the segment. */
    if (GST_CLOCK_TIME_IS_VALID(pts) && seg)
        sign = cam->seekable ? gst_segment_to_stream_time_full(seg, GST_FORMAT_TIME, pts, &pos)
                             : gst_segment_to_running_time_full(seg, GST_FORMAT_TIME, pts, &pos);
    if (!sign) {
        ot_log(OT_LOG_ERROR, "capture", "camera \"%s\": frame %" G_GINT64_FORMAT " has no timestamp", cam->name,
               cam->seq);
        gst_sample_unref(sample);
        return OT_ERROR_SOURCE;
    }
    gint64 when = sign > 0 ? (gint64)pos : -(gint64)pos;
    /* Take frame 0 is the source's first frame: index by time from the first frame, never by raw pts (an MP4 edit
     * list shifts raw pts by the B-frame delay). */
    if (cam->first_t < 0) {
        cam->first_t = when;
        ot_log(OT_LOG_VERBOSE, "capture", "camera \"%s\": first frame at %.3f s of %s time (pts %.3f s): its take "
               "frame 0", cam->name, (double)when / 1e9, cam->seekable ? "stream" : "running", (double)pts / 1e9);
    }
    int64_t t = when - cam->first_t + cam->origin;
    /* Where this frame ends (its duration, else one frame at the caps' rate; unknown: as far as can be). */
    GstClockTime dur = buf ? GST_BUFFER_DURATION(buf) : GST_CLOCK_TIME_NONE;
    if (!GST_CLOCK_TIME_IS_VALID(dur) && cam->info_caps && GST_VIDEO_INFO_FPS_N(&cam->info) > 0)
        dur = gst_util_uint64_scale(GST_SECOND, GST_VIDEO_INFO_FPS_D(&cam->info), GST_VIDEO_INFO_FPS_N(&cam->info));
    cam->last_end = GST_CLOCK_TIME_IS_VALID(dur) ? when + (gint64)dur : G_MAXINT64;
    OtFrame *f = NULL;
    int ret = cap_wrap_sample(cam, sample, &f);
    if (ret < 0)
        return ret;
    f->seq = cam->seq++;
    f->pts_ns = t;
    *out = f;
    return 0;
}

static int camera_pull(void *opaque, OtFrame **out)
{
    CapCamera *cam = opaque;
    *out = NULL;
    if (cam->failed)
        return OT_ERROR_SOURCE;
    GstSample *sample = cam->pending;
    cam->pending = NULL;
    if (!sample) {
        int ret = pull_sample(cam, CAP_STALL_NS, &sample);
        /* The end of a stop seek: the shot is done if its last frame reaches the stop (else the file ended). */
        if (ret == OT_ERROR_EOF && cam->stop >= 0 && cam->last_end >= cam->stop - CAP_STOP_TOLERANCE_NS)
            return OT_ERROR_SEGMENT_END;
        if (ret < 0) {
            if (ret != OT_ERROR_EOF)
                cam->failed = TRUE;
            cap_audio_end(cam); /* its audio has nothing more either: readers stop waiting */
            return ret;
        }
    }
    return wrap_sample(cam, sample, out);
}

void *cap_frame_gst_buffer(const OtFrame *frame)
{
    CapFrameRef *ref = ot_frame_get_opaque(frame, release_frame);
    return ref ? ref->buffer : NULL;
}

/* Flushing, accurate seek in stream time: the decoder starts at the keyframe before t and outputs from the frame
 * that covers t, which is what program_only needs (decode a camera only from the keyframe before its cut). With a
 * stop, the demuxer ends the stream there (EOS): the frames of one shot are decoded, and no more. The seek returns
 * once the pipeline is flushed; the decoder then prerolls the shot in its streaming thread. */
static int camera_seek(void *opaque, int64_t t_ns, int64_t stop_ns)
{
    CapCamera *cam = opaque;
    if (cam->failed)
        return OT_ERROR_SOURCE;
    if (cam->pending)
        gst_sample_unref(cam->pending);
    cam->pending = NULL;
    gint64 target = cam->first_t + t_ns - cam->origin;
    gint64 stop = stop_ns >= 0 ? cam->first_t + stop_ns - cam->origin : -1;
    /* SET with -1 clears an earlier stop (NONE would keep it). */
    if (!gst_element_seek(cam->pipeline, 1.0, GST_FORMAT_TIME, GST_SEEK_FLAG_FLUSH | GST_SEEK_FLAG_ACCURATE,
                          GST_SEEK_TYPE_SET, target > 0 ? (guint64)target : 0, GST_SEEK_TYPE_SET,
                          stop >= 0 ? (guint64)stop : GST_CLOCK_TIME_NONE)) {
        ot_log(OT_LOG_WARNING, "capture", "camera \"%s\": %s refused a seek to %.3f s", cam->name, cam->source,
               (double)t_ns / GST_SECOND);
        cam->stop = -1;
        return OT_ERROR_SOURCE;
    }
    cam->stop = stop;
    cam->last_end = -1;
    return 0;
}

int cap_camera_set_origin(CapCamera *cam, int64_t offset_ns)
{
    if (!cam || cam->started || cam->live)
        return -EINVAL;
    cam->origin = offset_ns;
    return 0;
}

int cap_camera_enable_preview(CapCamera *cam, int width, int height)
{
    if (!cam || width < 2 || height < 2 || width % 2 || height % 2)
        return -EINVAL;
    if (cam->started || cam->preview)
        return -EBUSY; /* the pipeline is rewired in the NULL state only, once */
    cam->preview = cap_preview_attach(cam->pipeline, GST_ELEMENT(cam->sink), cam->name, cam->index, width, height);
    return cam->preview ? 0 : OT_ERROR_SOURCE;
}

OtFrame *cap_camera_get_preview(CapCamera *cam, int64_t at_ns)
{
    /* A live camera's frames are not in step with the program's ticks by their index: the newest is its now. */
    return cam ? cap_preview_get(cam->preview, cam->live ? -1 : at_ns) : NULL;
}

SwSource cap_camera_source(CapCamera *cam)
{
    SwSource src = {.opaque = cam, .name = cam->name, .pull = camera_pull};
    if (cam->seekable && !cam->audio)
        src.seek = camera_seek;
    src.audio = cap_camera_audio_source(cam);
    if (cam->live)
        src = cap_live_source(cam, src);
    return src;
}

int cap_camera_is_live(const CapCamera *cam)
{
    return cam && cam->live;
}

void cap_camera_stop(CapCamera *cam)
{
    if (!cam)
        return;
    cap_audio_close(cam); /* first: a writer waiting for room would hold up the state change */
    if (cam->live)
        cap_live_stop(cam);
    if (cam->pipeline && cam->started) {
        gst_element_set_state(cam->pipeline, GST_STATE_NULL);
        cam->started = FALSE;
    }
}

const char *cap_camera_name(const CapCamera *cam)
{
    return cam->name;
}

void cap_camera_free(CapCamera **pcam)
{
    CapCamera *cam = *pcam;
    if (!cam)
        return;
    cap_audio_close(cam);
    if (cam->live)
        cap_live_stop(cam);
    if (cam->pipeline)
        gst_element_set_state(cam->pipeline, GST_STATE_NULL);
    if (cam->pending)
        gst_sample_unref(cam->pending);
    if (cam->sink)
        gst_object_unref(cam->sink);
    if (cam->bus)
        gst_object_unref(cam->bus);
    if (cam->fakes)
        g_ptr_array_unref(cam->fakes);
    if (cam->pipeline)
        gst_object_unref(cam->pipeline);
    cap_preview_free(&cam->preview); /* after the pipeline's threads are gone */
    cap_live_free(cam);
    cap_packet_free_all(cam);
    cap_audio_free(cam);
    gst_caps_replace(&cam->info_caps, NULL);
    g_mutex_clear(&cam->lock);
    g_free(cam->other_streams);
    g_free(cam->name);
    g_free(cam->source);
    g_free(cam);
    *pcam = NULL;
}
