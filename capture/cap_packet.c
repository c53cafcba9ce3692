/* onetake capture: a live camera's own compressed stream, for its copy ISO (--iso-codec copy on a live
 * source).
 *
 * - The tap: uridecodebin plugs a parser (h264parse, h265parse, mpegvideoparse) between the demuxer and the
 *   decoder; a probe on the parser's source pad sees every parsed access unit (and its caps) on its way to
 * the decoder, and keeps a reference to it in a bounded queue of its own. It is a tee without a queue
 * element: the probe never blocks (a mutex held for a few pointer moves), never copies the bytes (GstBuffer's
 *   refcount: the decoder's copy-on-write leaves ours alone), and when the queue is full it drops its oldest
 *   packet and counts it, so the decode branch never waits for the ISO. The caps are those the decoder
 *   negotiated: H.264 as avc and H.265 as hvc1 (avdec_* list them first), with codec_data (avcC/hvcC), which
 * is the ISO's codec private data; MPEG-2's codec_data is its sequence header.
 * - The take clock: a packet's capture time is its decoded frame's. The probe tags the packet's buffer with
 *   its sequence number (a GstReferenceTimestampMeta of caps CAP_PACKET_META_CAPS, which GstVideoDecoder and
 *   the conform chain copy to the decoded frame); when that frame reaches on_live_sample, its capture time
 *   (the camera's clock map, cap_live.c) becomes the packet's (cap_packet_resolve). So ISO packet and program
 *   frame sit at the same take time, to the nanosecond, whatever the decoder does to timestamps (it sorts
 *   them: a demuxer's jittering running times while it locks on do not match its output). A packet whose
 *   frame never comes (the decoder skipped it) takes the time of the next frame that does. The queue hands
 *   packets out in decode order, each once its time is known.
 * - Restarts: after a live restart (a loss), the next packet says `discont`, and so does the first packet
 *   after packets were dropped: the ISO then starts again at a keyframe and declares it. A caps change with
 * new codec_data is counted (params_changes) and flagged on the next packet.
 *
 * Locks: CapPackets.lock (pthread mutex, leaf) protects everything below it. */
#include <string.h>

#include "cap_internal.h"
#include "ot_common.h"

/* The tag that ties a decoded frame to its packet (a sequence number in a reference timestamp). */
#define CAP_PACKET_META_CAPS "timestamp/x-onetake-packet"
#define CAP_PACKET_DEFAULT_QUEUE 600 /* 20 s at 30 fps: the ISO's thread drains it ten times a second */

typedef struct CapPkt {
    CapPacket pub;
    GstBuffer *buf;
    GstMapInfo map;
    GstClockTime pts_rt, dts_rt; /* running times, GST_CLOCK_TIME_NONE: none */
    guint64 seq;                 /* tagged on the buffer: its decoded frame says it */
    int resolved;
} CapPkt;

struct CapPackets {
    pthread_mutex_t lock;
    CapPkt **ring; /* decode order, oldest at head */
    int cap, head, count;
    GstSegment segment; /* the parser's current segment */
    int have_segment;
    CapStreamInfo info; /* extradata owned */
    int have_info;
    int pending_discont, pending_params;
    GstCaps *meta_caps; /* CAP_PACKET_META_CAPS */
    guint64 next_seq;
    int64_t packets, dropped, params_changes, discarded, untagged;
    gboolean warned_ts;
};

int cap_camera_enable_packets(CapCamera *cam, int max_packets)
{
    if (!cam || max_packets < 0)
        return -EINVAL;
    if (cam->started || cam->packets)
        return -EBUSY;
    if (!cam->live || !cam->uridecode || cam->audio_only) {
        ot_log(OT_LOG_ERROR, "capture",
               "camera \"%s\" (%s): only a live network or device URI has a compressed stream to copy",
               cam->name, cam->source);
        return -ENOTSUP;
    }
    CapPackets *pk = g_new0(CapPackets, 1);
    pthread_mutex_init(&pk->lock, NULL);
    pk->cap = max_packets > 0 ? max_packets : CAP_PACKET_DEFAULT_QUEUE;
    pk->ring = g_new0(CapPkt *, pk->cap);
    gst_segment_init(&pk->segment, GST_FORMAT_TIME);
    pk->meta_caps = gst_caps_from_string(CAP_PACKET_META_CAPS);
    cam->packets = pk;
    return 0;
}

static void pkt_free(CapPkt *p)
{
    if (!p)
        return;
    gst_buffer_unmap(p->buf, &p->map);
    gst_buffer_unref(p->buf);
    g_free(p);
}

void cap_packet_free(CapPacket **pp)
{
    if (!pp || !*pp)
        return;
    pkt_free((CapPkt *)*pp); /* pub is the first member */
    *pp = NULL;
}

/* The stream's description from the parser's caps. 0, or -ENOTSUP for a stream that is not copied. */
static int info_from_caps(GstCaps *caps, CapStreamInfo *info)
{
    const GstStructure *s = gst_caps_get_structure(caps, 0);
    const char *name = gst_structure_get_name(s);
    const char *fmt = gst_structure_get_string(s, "stream-format");
    int mpegversion = 0;

    memset(info, 0, sizeof(*info));
    if (!strcmp(name, "video/x-h264") && fmt && !strcmp(fmt, "avc"))
        g_strlcpy(info->codec, "h264", sizeof(info->codec));
    else if (!strcmp(name, "video/x-h265") && fmt && (!strcmp(fmt, "hvc1") || !strcmp(fmt, "hev1")))
        g_strlcpy(info->codec, "hevc", sizeof(info->codec));
    else if (!strcmp(name, "video/mpeg") && gst_structure_get_int(s, "mpegversion", &mpegversion) &&
             (mpegversion == 1 || mpegversion == 2))
        g_strlcpy(info->codec, mpegversion == 2 ? "mpeg2video" : "mpeg1video", sizeof(info->codec));
    else
        return -ENOTSUP; /* Annex B without codec_data, or another codec: the ISO cannot say how to decode it
                          */
    const GValue *cd = gst_structure_get_value(s, "codec_data");
    GstBuffer *cdbuf = cd && G_VALUE_HOLDS(cd, GST_TYPE_BUFFER) ? gst_value_get_buffer(cd) : NULL;
    if (cdbuf) {
        gsize n = gst_buffer_get_size(cdbuf);
        info->extradata = g_malloc(n ? n : 1);
        gst_buffer_extract(cdbuf, 0, info->extradata, n);
        info->extradata_size = (int)n;
    }
    gst_structure_get_int(s, "width", &info->width);
    gst_structure_get_int(s, "height", &info->height);
    if (!gst_structure_get_fraction(s, "framerate", &info->fps_num, &info->fps_den))
        info->fps_num = 0, info->fps_den = 1;
    if (strcmp(info->codec, "h264") && strcmp(info->codec, "hevc"))
        return 0;
    return info->extradata_size > 0 ? 0 : -ENOTSUP;
}

static void on_caps(CapCamera *cam, GstCaps *caps)
{
    CapPackets *pk = cam->packets;
    CapStreamInfo info;
    int ok = info_from_caps(caps, &info) == 0;
    pthread_mutex_lock(&pk->lock);
    if (ok && pk->have_info &&
        (strcmp(info.codec, pk->info.codec) || info.extradata_size != pk->info.extradata_size ||
         memcmp(info.extradata, pk->info.extradata, (size_t)info.extradata_size))) {
        pk->params_changes++;
        pk->pending_params = 1;
    }
    if (ok) {
        g_free(pk->info.extradata);
        pk->info = info;
        pk->have_info = 1;
    }
    pthread_mutex_unlock(&pk->lock);
    if (!ok) {
        gchar *s = gst_caps_to_string(caps);
        ot_log(OT_LOG_VERBOSE, "capture", "camera \"%s\": parsed stream %s is not copied", cam->name, s);
        g_free(s);
        g_free(info.extradata);
    }
}

static GstClockTime to_running(const GstSegment *seg, GstClockTime t)
{
    return GST_CLOCK_TIME_IS_VALID(t) ? gst_segment_to_running_time(seg, GST_FORMAT_TIME, t)
                                      : GST_CLOCK_TIME_NONE;
}

/* The parser's source pad, on the camera's streaming thread: never blocks, never changes what flows. */
static GstPadProbeReturn on_parsed(GstPad *pad, GstPadProbeInfo *pi, gpointer user_data)
{
    CapCamera *cam = user_data;
    CapPackets *pk = cam->packets;
    (void)pad;
    if (pi->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
        GstEvent *ev = GST_PAD_PROBE_INFO_EVENT(pi);
        if (GST_EVENT_TYPE(ev) == GST_EVENT_CAPS) {
            GstCaps *caps = NULL;
            gst_event_parse_caps(ev, &caps);
            on_caps(cam, caps);
        } else if (GST_EVENT_TYPE(ev) == GST_EVENT_SEGMENT) {
            const GstSegment *seg = NULL;
            gst_event_parse_segment(ev, &seg);
            pthread_mutex_lock(&pk->lock);
            gst_segment_copy_into(seg, &pk->segment);
            pk->have_segment = seg->format == GST_FORMAT_TIME;
            pthread_mutex_unlock(&pk->lock);
        }
        return GST_PAD_PROBE_OK;
    }
    GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER(pi);
    if (!buf)
        return GST_PAD_PROBE_OK;
    pthread_mutex_lock(&pk->lock);
    int take = pk->have_info && pk->have_segment;
    guint64 seq = pk->next_seq++;
    pthread_mutex_unlock(&pk->lock);
    if (!take) {
        pthread_mutex_lock(&pk->lock);
        pk->discarded++; /* no caps we copy (raw, Annex B) or no time: nothing the ISO can place */
        pthread_mutex_unlock(&pk->lock);
        return GST_PAD_PROBE_OK;
    }
    /* The tag needs a writable buffer: the parser's own (no copy), or a new one sharing its memory. */
    buf = gst_buffer_make_writable(buf);
    GST_PAD_PROBE_INFO_DATA(pi) = buf;
    gst_buffer_add_reference_timestamp_meta(buf, pk->meta_caps, seq, GST_CLOCK_TIME_NONE);
    CapPkt *p = g_new0(CapPkt, 1), *old = NULL;
    p->seq = seq;
    p->buf = gst_buffer_ref(buf);
    if (!gst_buffer_map(p->buf, &p->map, GST_MAP_READ)) {
        gst_buffer_unref(p->buf);
        g_free(p);
        return GST_PAD_PROBE_OK;
    }
    p->pub.data = p->map.data;
    p->pub.size = p->map.size;
    p->pub.key = !GST_BUFFER_FLAG_IS_SET(buf, GST_BUFFER_FLAG_DELTA_UNIT);
    p->pub.pts_ns = p->pub.dts_ns = INT64_MIN;
    pthread_mutex_lock(&pk->lock);
    p->pts_rt = to_running(&pk->segment, GST_BUFFER_PTS(buf));
    p->dts_rt = to_running(&pk->segment, GST_BUFFER_DTS(buf));
    p->pub.discont = pk->pending_discont;
    p->pub.params_changed = pk->pending_params;
    pk->pending_discont = pk->pending_params = 0;
    if (pk->count == pk->cap) {
        old = pk->ring[pk->head];
        pk->ring[pk->head] = NULL;
        pk->head = (pk->head + 1) % pk->cap;
        pk->count--;
        pk->dropped++;
        p->pub.discont = 1; /* the ISO restarts at the next keyframe */
    }
    pk->ring[(pk->head + pk->count) % pk->cap] = p;
    pk->count++;
    pk->packets++;
    pthread_mutex_unlock(&pk->lock);
    pkt_free(old); /* outside the lock */
    return GST_PAD_PROBE_OK;
}

void cap_packet_tap(CapCamera *cam, GstElement *el)
{
    if (!cam->packets)
        return;
    GstElementFactory *f = gst_element_get_factory(el);
    const char *klass = f ? gst_element_factory_get_metadata(f, GST_ELEMENT_METADATA_KLASS) : NULL;
    if (!f || !gst_element_factory_list_is_type(f, GST_ELEMENT_FACTORY_TYPE_PARSER) || !klass ||
        !strstr(klass, "Video"))
        return;
    GstPad *src = gst_element_get_static_pad(el, "src");
    if (!src)
        return;
    gst_pad_add_probe(src, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, on_parsed, cam,
                      NULL);
    gst_object_unref(src);
    ot_log(OT_LOG_VERBOSE, "capture", "camera \"%s\": its compressed stream is tapped after %s", cam->name,
           GST_OBJECT_NAME(el));
}

void cap_packet_resolve(CapCamera *cam, GstBuffer *frame, int64_t t_ns, int64_t frame_seq)
{
    CapPackets *pk = cam->packets;
    if (!pk || !frame)
        return;
    GstReferenceTimestampMeta *meta = gst_buffer_get_reference_timestamp_meta(frame, pk->meta_caps);
    int warn = 0;
    pthread_mutex_lock(&pk->lock);
    guint64 seq = meta ? meta->timestamp : 0;
    if (!meta) {
        /* A decoder that drops metas: one frame per packet, in order (right without B-frames). Said once. */
        for (int i = 0; i < pk->count && !meta; i++)
            if (!pk->ring[(pk->head + i) % pk->cap]->resolved) {
                seq = pk->ring[(pk->head + i) % pk->cap]->seq;
                break;
            }
        warn = !pk->untagged++;
    }
    for (int i = 0; i < pk->count; i++) {
        CapPkt *p = pk->ring[(pk->head + i) % pk->cap];
        /* Its own frame, or one the decoder passed over (its frame would have come before this one). */
        if (p->resolved || p->seq > seq)
            continue;
        p->pub.pts_ns = t_ns;
        p->pub.frame_seq = frame_seq;
        if (GST_CLOCK_TIME_IS_VALID(p->dts_rt) && GST_CLOCK_TIME_IS_VALID(p->pts_rt) &&
            p->dts_rt <= p->pts_rt)
            p->pub.dts_ns = t_ns - (int64_t)(p->pts_rt - p->dts_rt);
        p->resolved = 1;
    }
    pthread_mutex_unlock(&pk->lock);
    if (warn)
        ot_log(
            OT_LOG_WARNING, "capture",
            "camera \"%s\": its decoder does not pass on the packets' tags: its copy ISO is timed frame by "
            "frame in decode order (exact only for streams without B-frames)",
            cam->name);
}

void cap_packet_discont(CapCamera *cam)
{
    CapPackets *pk = cam->packets;
    if (!pk)
        return;
    CapPkt *gone[64];
    int ngone = 0;
    pthread_mutex_lock(&pk->lock);
    /* The old run's packets that never got a time: their frames will not come. Kept in the ring otherwise. */
    for (int i = pk->count - 1; i >= 0 && ngone < (int)G_N_ELEMENTS(gone); i--) {
        int at = (pk->head + i) % pk->cap;
        if (pk->ring[at]->resolved)
            break;
        gone[ngone++] = pk->ring[at];
        pk->ring[at] = NULL;
        pk->count--;
        pk->dropped++;
    }
    pk->pending_discont = 1;
    pk->have_segment = 0;
    pthread_mutex_unlock(&pk->lock);
    for (int i = 0; i < ngone; i++)
        pkt_free(gone[i]);
}

int cap_camera_pull_packet(CapCamera *cam, CapPacket **out)
{
    CapPackets *pk = cam ? cam->packets : NULL;
    *out = NULL;
    if (!pk)
        return -EINVAL;
    pthread_mutex_lock(&pk->lock);
    if (pk->count > 0 && pk->ring[pk->head]->resolved) {
        *out = &pk->ring[pk->head]->pub;
        pk->ring[pk->head] = NULL;
        pk->head = (pk->head + 1) % pk->cap;
        pk->count--;
    }
    pthread_mutex_unlock(&pk->lock);
    return *out ? 0 : -EAGAIN;
}

int cap_camera_get_stream_info(CapCamera *cam, CapStreamInfo *info)
{
    CapPackets *pk = cam ? cam->packets : NULL;
    memset(info, 0, sizeof(*info));
    if (!pk)
        return -EINVAL;
    pthread_mutex_lock(&pk->lock);
    int ok = pk->have_info;
    if (ok) {
        *info = pk->info;
        info->extradata = g_memdup2(pk->info.extradata, (gsize)pk->info.extradata_size);
    }
    pthread_mutex_unlock(&pk->lock);
    return ok ? 0 : -EAGAIN;
}

void cap_stream_info_clear(CapStreamInfo *info)
{
    if (!info)
        return;
    g_free(info->extradata);
    memset(info, 0, sizeof(*info));
}

void cap_camera_get_packet_stats(CapCamera *cam, CapPacketStats *st)
{
    CapPackets *pk = cam ? cam->packets : NULL;
    memset(st, 0, sizeof(*st));
    if (!pk)
        return;
    pthread_mutex_lock(&pk->lock);
    st->packets = pk->packets;
    st->dropped = pk->dropped;
    st->params_changes = pk->params_changes;
    st->discarded = pk->discarded;
    pthread_mutex_unlock(&pk->lock);
}

void cap_packet_free_all(CapCamera *cam)
{
    CapPackets *pk = cam ? cam->packets : NULL;
    if (!pk)
        return;
    for (int i = 0; i < pk->count; i++)
        pkt_free(pk->ring[(pk->head + i) % pk->cap]);
    g_free(pk->ring);
    g_free(pk->info.extradata);
    gst_caps_unref(pk->meta_caps);
    pthread_mutex_destroy(&pk->lock);
    g_free(pk);
    cam->packets = NULL;
}
