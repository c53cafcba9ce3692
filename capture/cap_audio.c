/* onetake capture: audio branches (a camera's own audio, or --audio-src), for the program audio.
 *
 *   decoder's audio pad (or a test:/pipe: audio fragment) ! audioconvert ! audioresample
 *       ! audio/x-raw,format=S32LE,rate=48000,channels=2 ! appsink  -> SwAudioRing (switcher/sw_audio.h)
 *
 * S32 holds any source up to 24 bits exactly (audioconvert shifts it to the top bits); audioconvert is told
 * never to dither, so the same source gives the same samples (replay, the FLAC's bits).
 *
 * The appsink's callback (the branch's streaming thread) places every block in the ring by its timestamp,
 * never by counting: a file's block at stream time s goes to position s x 48000 (the reader adds the camera's
 * first video frame, so that the camera's audio is taken from its first frame, aligned with its first video
 * frame); a live block goes to its capture time on CLOCK_MONOTONIC (cap_live_capture_time, the same map as
 * the camera's video, so the camera's picture and sound stay together), which the reader maps through the
 * roll. Lockstep writers wait for room (files are decoded as the program advances), live writers never wait.
 *
 * Threads: the callback writes the ring (its own lock) and first_pos (atomic); the program thread reads
 * through SwAudioSource.read. */
#include <string.h>

#include "cap_internal.h"
#include "ot_common.h"

#define CAP_AUDIO_RING_S 4      /* seconds the ring holds: more than a file's audio/video interleave */
#define CAP_AUDIO_TOLERANCE 960 /* 20 ms: timestamps closer than this to contiguous are contiguous */
#define CAP_AUDIO_WAIT_NS 20000000000LL /* lockstep: a file's audio that does not come in 20 s is stalled */

struct CapAudio {
    SwAudioRing *ring;
    int channels;
    GstElement *bin;        /* the chain, once in the pipeline */
    atomic_llong first_pos; /* the first block's position, LLONG_MIN before it */
    int64_t origin;         /* lockstep: ring position of take frame 0 (program thread) */
    int have_origin;
    gboolean warned_stall; /* program thread */
    gboolean warned_none;
};

int cap_audio_setup(CapCamera *cam, int channels)
{
    if (channels != 1 && channels != 2 && channels != 6 && channels != 8)
        return -EINVAL;
    if (cam->audio)
        return cam->audio->channels == channels ? 0 : -EINVAL;
    CapAudio *a = g_new0(CapAudio, 1);
    a->channels = channels;
    a->ring = sw_audio_ring_alloc(CAP_AUDIO_RING_S * SW_AUDIO_RATE, channels, CAP_AUDIO_TOLERANCE);
    if (!a->ring) {
        g_free(a);
        return -ENOMEM;
    }
    atomic_init(&a->first_pos, LLONG_MIN);
    cam->audio = a;
    return 0;
}

int cap_camera_enable_audio(CapCamera *cam, int channels)
{
    if (!cam)
        return -EINVAL;
    if (cam->started)
        return -EBUSY;
    if (!cam->uridecode) {
        ot_log(OT_LOG_ERROR, "capture",
               "camera \"%s\": %s carries no audio (test: and pipe: cameras are video "
               "only): give the audio with --audio-src SOURCE",
               cam->name, cam->source);
        return -ENOTSUP;
    }
    return cap_audio_setup(cam, channels);
}

int cap_camera_audio_channels(const CapCamera *cam)
{
    return cam && cam->audio ? cam->audio->channels : 0;
}

int cap_camera_has_audio(CapCamera *cam)
{
    if (!cam || !cam->audio)
        return 0;
    g_mutex_lock(&cam->lock);
    int ret = cam->audio_linked ? 1 : cam->no_more_pads ? 0 : -1;
    g_mutex_unlock(&cam->lock);
    return ret;
}

static GstFlowReturn on_audio_sample(GstAppSink *appsink, gpointer user_data)
{
    CapCamera *cam = user_data;
    CapAudio *a = cam->audio;
    GstSample *sample = gst_app_sink_try_pull_sample(appsink, 0);
    if (!sample)
        return GST_FLOW_OK;
    GstBuffer *buf = gst_sample_get_buffer(sample);
    const GstSegment *seg = gst_sample_get_segment(sample);
    GstMapInfo map;
    if (!buf || !gst_buffer_map(buf, &map, GST_MAP_READ)) {
        gst_sample_unref(sample);
        return GST_FLOW_OK;
    }
    int n = (int)(map.size / ((size_t)a->channels * sizeof(SwSample)));
    int64_t pos;
    int block = cam->live == NULL;
    if (cam->live) {
        int64_t arrival = ot_mono_ns();
        pos = sw_audio_pos_from_ns(cap_live_capture_time(cam, cap_running_time(sample), arrival));
        cap_live_arrived(cam, arrival);
    } else {
        /* Stream time for files (what the video is stamped with), running time for the rest. */
        GstClockTime pts = GST_BUFFER_PTS(buf), t = GST_CLOCK_TIME_NONE;
        if (GST_CLOCK_TIME_IS_VALID(pts) && seg)
            t = cam->seekable ? gst_segment_to_stream_time(seg, GST_FORMAT_TIME, pts)
                              : gst_segment_to_running_time(seg, GST_FORMAT_TIME, pts);
        int64_t end = sw_audio_ring_written_end(a->ring);
        /* No timestamp: right after the previous block. */
        pos = GST_CLOCK_TIME_IS_VALID(t) ? sw_audio_pos_from_ns((int64_t)t) : end == INT64_MIN ? 0 : end;
    }
    long long unset = LLONG_MIN;
    atomic_compare_exchange_strong(&a->first_pos, &unset, (long long)pos);
    sw_audio_ring_write(a->ring, pos, (const SwSample *)map.data, n, block);
    gst_buffer_unmap(buf, &map);
    gst_sample_unref(sample);
    return GST_FLOW_OK;
}

static void on_audio_eos(GstAppSink *appsink, gpointer user_data)
{
    CapCamera *cam = user_data;
    (void)appsink;
    if (!cam->live)
        sw_audio_ring_end(cam->audio->ring); /* a live source's end is a loss: the supervisor restarts it */
}

static GstElement *make_chain(CapCamera *cam)
{
    GError *err = NULL;
    /* 5.1 and 7.1 in FLAC's (and FFmpeg's) channel order: FL FR FC LFE RL RR (SL SR). */
    int ch = cam->audio->channels;
    const char *mask = ch == 6 ? ",channel-mask=(bitmask)0x3f" : ch == 8 ? ",channel-mask=(bitmask)0xc3f" : "";
    char *desc = g_strdup_printf(
        "audioconvert dithering=none noise-shaping=none ! audioresample ! capsfilter caps=\"%s,channels=%d%s\" "
        "! appsink name=audio_sink",
        CAP_AUDIO_CAPS, ch, mask);
    GstElement *bin = gst_parse_bin_from_description(desc, TRUE, &err);
    g_free(desc);
    if (!bin) {
        ot_log(OT_LOG_ERROR, "capture",
               "camera \"%s\": cannot make its audio chain: %s (install "
               "gstreamer1.0-plugins-base)",
               cam->name, err ? err->message : "unknown error");
        g_clear_error(&err);
        return NULL;
    }
    GstElement *sink = gst_bin_get_by_name(GST_BIN(bin), "audio_sink");
    /* Never sync, never preroll, take every block as it comes (the callback never blocks when live). */
    g_object_set(sink, "sync", FALSE, "async", FALSE, "max-buffers", 1, "drop", FALSE, "emit-signals", FALSE,
                 "enable-last-sample", FALSE, NULL);
    GstAppSinkCallbacks cb = {.new_sample = on_audio_sample, .eos = on_audio_eos};
    gst_app_sink_set_callbacks(GST_APP_SINK(sink), &cb, cam, NULL);
    gst_object_unref(sink);
    return bin;
}

int cap_audio_link_pad(CapCamera *cam, GstPad *pad)
{
    CapAudio *a = cam->audio;
    if (!a)
        return -EINVAL;
    if (!a->bin) {
        GstElement *bin = make_chain(cam);
        if (!bin)
            return OT_ERROR_SOURCE;
        gst_bin_add(GST_BIN(cam->pipeline), bin);
        a->bin = bin;
    }
    gst_element_sync_state_with_parent(a->bin);
    GstPad *sinkpad = gst_element_get_static_pad(a->bin, "sink");
    GstPadLinkReturn ret = gst_pad_link(pad, sinkpad);
    gst_object_unref(sinkpad);
    if (ret != GST_PAD_LINK_OK) {
        ot_log(OT_LOG_ERROR, "capture", "camera \"%s\": cannot link its audio stream (%s)", cam->name,
               gst_pad_link_get_name(ret));
        return OT_ERROR_SOURCE;
    }
    return 0;
}

int cap_audio_wait_first(CapCamera *cam, int timeout_ms)
{
    CapAudio *a = cam->audio;
    int64_t until = ot_mono_ns() + (int64_t)timeout_ms * 1000000;
    while (sw_audio_ring_written_end(a->ring) == INT64_MIN) {
        int ret = cap_check_bus(cam);
        if (ret < 0)
            return ret;
        g_mutex_lock(&cam->lock);
        int none = cam->no_more_pads && !cam->audio_linked;
        g_mutex_unlock(&cam->lock);
        if (none) {
            ot_log(OT_LOG_ERROR, "capture", "audio source \"%s\": %s has no audio stream (found: %s)",
                   cam->name, cam->source, cam->other_streams ? cam->other_streams : "nothing");
            return OT_ERROR_SOURCE;
        }
        if (ot_mono_ns() > until) {
            ot_log(OT_LOG_ERROR, "capture", "audio source \"%s\" (%s): no audio in %d ms", cam->name,
                   cam->source, timeout_ms);
            return OT_ERROR_SOURCE;
        }
        g_usleep(20000);
    }
    return 0;
}

static int audio_read(void *opaque, int64_t origin_ns, int64_t pos, int n, SwSample *out, int wait)
{
    CapCamera *cam = opaque;
    CapAudio *a = cam->audio;
    int64_t base;
    if (cam->live) {
        base = sw_audio_pos_from_ns(origin_ns);
    } else {
        if (!a->have_origin) {
            /* A camera's audio from its first video frame; an audio-only source from its first block. */
            long long first = atomic_load(&a->first_pos);
            if (!cam->audio_only && cam->first_t >= 0)
                a->origin = sw_audio_pos_from_ns(cam->first_t);
            else
                a->origin = first == LLONG_MIN ? 0 : first;
            a->have_origin = 1;
        }
        base = a->origin;
        if (wait && !cam->audio_only) {
            /* A camera that turned out to have no audio stream: nothing to wait for. */
            g_mutex_lock(&cam->lock);
            int none = cam->no_more_pads && !cam->audio_linked;
            g_mutex_unlock(&cam->lock);
            if (none) {
                if (!a->warned_none)
                    ot_log(OT_LOG_WARNING, "capture",
                           "camera \"%s\" has no audio stream (%s): its audio is silence", cam->name,
                           cam->other_streams ? cam->other_streams : "no other stream");
                a->warned_none = TRUE;
                wait = 0;
            }
        }
    }
    int timed_out = 0;
    int missing = sw_audio_ring_read(a->ring, base + pos, n, out, wait ? CAP_AUDIO_WAIT_NS : 0, &timed_out);
    if (timed_out && !a->warned_stall) {
        ot_log(OT_LOG_WARNING, "capture",
               "camera \"%s\": its audio stalled (nothing for %.0f s): silence from here", cam->name,
               (double)CAP_AUDIO_WAIT_NS / 1e9);
        a->warned_stall = TRUE;
        sw_audio_ring_end(a->ring);
    }
    return missing;
}

SwAudioSource cap_camera_audio_source(CapCamera *cam)
{
    SwAudioSource src = {0};
    if (cam && cam->audio) {
        src.opaque = cam;
        src.name = cam->name;
        src.live = cam->live != NULL;
        src.channels = cam->audio->channels;
        src.read = audio_read;
    }
    return src;
}

void cap_audio_end(CapCamera *cam)
{
    if (cam && cam->audio)
        sw_audio_ring_end(cam->audio->ring);
}

void cap_audio_close(CapCamera *cam)
{
    if (cam && cam->audio)
        sw_audio_ring_close(cam->audio->ring);
}

void cap_audio_discont(CapCamera *cam)
{
    if (cam && cam->audio)
        sw_audio_ring_discont(cam->audio->ring);
}

void cap_audio_get_stats(CapCamera *cam, CapLiveStats *st)
{
    if (!cam || !cam->audio)
        return;
    SwAudioRingStats rs;
    sw_audio_ring_get_stats(cam->audio->ring, &rs);
    st->audio_late = rs.late;
    st->audio_overflow = rs.overflow;
}

void cap_audio_free(CapCamera *cam)
{
    if (!cam || !cam->audio)
        return;
    sw_audio_ring_free(&cam->audio->ring);
    g_free(cam->audio);
    cam->audio = NULL;
}
