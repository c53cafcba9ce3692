/* onetake app: ISO options, cut lists and the ISO summary, shared by record and replay. */
#include "take_post.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "capture.h"
#include "ot_common.h"

int app_iso_codec(const char *name, MuxCodec *codec, int *is_auto)
{
    *is_auto = 0;
    if (!name) {
        *codec = MUX_CODEC_FFV1;
        return 0;
    }
    if (!strcmp(name, "copy") || !strcmp(name, "auto")) {
        /* Not an encoder: the ISO remuxes the camera's file or records its live stream (app_iso_copy_check
         * says which sources can); auto falls back to ffv1 where one cannot. */
        *codec = MUX_CODEC_COPY;
        *is_auto = !strcmp(name, "auto");
        return 0;
    }
    if (mux_codec_from_name(name, codec) < 0) {
        ot_log(OT_LOG_ERROR, "record",
               "--iso-codec %s: give ffv1 (lossless, the default), h264, copy or auto", name);
        return -EINVAL;
    }
    return 0;
}

/* A file (its packets are in it) or a live network/device URI (its compressed stream is tapped). */
static int can_copy(const char *s)
{
    return cap_source_is_file(s) || (cap_source_kind(s) == CAP_SOURCE_URI && cap_source_is_live(s));
}

int app_iso_copy_check(char **names, char **sources, int ncams, int quiet)
{
    for (int i = 0; i < ncams; i++) {
        const char *s = sources[i];
        CapSourceKind kind = cap_source_kind(s);
        if (can_copy(s))
            continue;
        if (!quiet)
            ot_log(OT_LOG_ERROR, "record",
                   "--iso-codec copy: camera \"%s\" (%s) %s; record this take with --iso-codec ffv1 "
                   "(lossless, the default), h264, or auto (copy where a camera's own packets can be had, "
                   "ffv1 elsewhere)",
                   names[i], s,
                   kind == CAP_SOURCE_TEST || kind == CAP_SOURCE_PIPE
                       ? "makes raw frames: there is nothing to copy"
                       : "is neither a file nor a live stream: there are no packets to copy");
        return -ENOTSUP;
    }
    return 0;
}

int app_iso_live_check(char **names, char **sources, CapCamera **cams, int ncams, int quiet)
{
    for (int i = 0; i < ncams; i++) {
        CapStreamInfo info;
        if (cap_source_is_file(sources[i]))
            continue;
        if (cap_camera_get_stream_info(cams[i], &info) == 0) {
            ot_log(OT_LOG_VERBOSE, "record", "camera \"%s\": its ISO copies its %s stream", names[i], info.codec);
            cap_stream_info_clear(&info);
            continue;
        }
        if (!quiet)
            ot_log(OT_LOG_ERROR, "record",
                   "--iso-codec copy: camera \"%s\" (%s) sends no compressed video a copy ISO can record (it "
                   "decodes to raw video, or its stream is not H.264, H.265 or MPEG-2 with codec data, or it "
                   "gave nothing yet); record this take with --iso-codec ffv1 (lossless), h264, or auto",
                   names[i], sources[i]);
        return -ENOTSUP;
    }
    return 0;
}

char **app_cutlist_media(char **names, char **sources, int ncams, int iso)
{
    char **media = g_new0(char *, (gsize)ncams + 1);

    for (int i = 0; i < ncams; i++) {
        const char *s = sources ? sources[i] : NULL;
        if (iso)
            media[i] = g_strdup_printf("%s/%s.mkv", MUX_TAKE_ISO_DIR, names[i]);
        else if (!s || cap_source_kind(s) == CAP_SOURCE_TEST || cap_source_kind(s) == CAP_SOURCE_PIPE)
            media[i] = NULL; /* generated or a pipeline: nothing an editor could open */
        else if (cap_source_kind(s) != CAP_SOURCE_PATH)
            media[i] = g_strdup(s);
        else
            media[i] = g_canonicalize_filename(s, NULL); /* the list outlives the working directory */
    }
    return media;
}

void app_media_free(char **media, int ncams)
{
    if (!media)
        return;
    for (int i = 0; i < ncams; i++)
        g_free(media[i]);
    g_free(media);
}

int app_write_cutlists(const char *dir, const char *take_id, SwRate rate, char **names, char **media,
                       int ncams, int64_t frames)
{
    MuxCutListConfig cc = {
        .dir = dir,
        .take_id = take_id,
        .rate = rate,
        .cams = (const char *const *)names,
        .media = (const char *const *)media,
        .ncams = ncams,
        .frames = frames,
    };
    int ret = mux_cutlist_write(&cc);
    if (ret < 0)
        ot_log(OT_LOG_ERROR, "record",
               "the cut lists (%s, %s) of \"%s\" could not be written: the take itself is complete; %s still "
               "holds every executed cut",
               MUX_TAKE_EDL_FILE, MUX_TAKE_OTIO_FILE, dir, MUX_TAKE_CUTS_FILE);
    return ret;
}

void app_print_iso_summary(MuxIso *iso)
{
    for (int i = 0; i < mux_iso_count(iso); i++) {
        MuxIsoStats s;
        mux_iso_get_stats(iso, i, &s);
        printf("  iso %-20s %6" PRId64 " frames  %4" PRId64 " repeats  %4" PRId64 " dropped  %.1f MB%s\n",
               s.file, s.frames, s.repeats, s.dropped, (double)s.out.bytes / 1e6, s.error ? "  FAILED" : "");
    }
}

/* MuxIsoConfig.on_drop with the take log: an ANOMALY record on the ISO's own stream (1 + cam). Runs on that
 * ISO's mux thread, the only one that writes its stream. */
static void iso_drop_to_log(void *opaque, int cam, int64_t first, int64_t count)
{
    AppProof *p = opaque;
    char detail[160];

    ot_log(OT_LOG_VERBOSE, "iso", "camera %d: %" PRId64 " frames from frame %" PRId64 " dropped (queue full)",
           cam, count, first);
    if (!p || p->disabled || !p->log || 1 + cam >= p->nstreams)
        return;
    /* One record per frame, like the program's "repeat": the verifier counts them as frames. */
    for (int64_t t = first; t < first + count; t++) {
        snprintf(detail, sizeof(detail),
                 "frame %" PRId64 " is not in the ISO: its queue was full (real time)", t);
        if (proof_stream_anomaly(proof_log_stream(p->log, 1 + cam), "iso-drop", t, cam, detail) < 0) {
            ot_log(OT_LOG_ERROR, "iso", "cannot declare ISO frame %" PRId64 " (dropped) in the take log", t);
            break;
        }
    }
}

int app_x264_preset_check(const char *option, const char *preset)
{
    /* x264's own list (x264_preset_names): a typo would otherwise surface as "cannot open encoder". */
    static const char *const presets[] = {"ultrafast", "superfast", "veryfast", "faster", "fast", "medium",
                                          "slow",      "slower",    "veryslow", "placebo", NULL};
    if (!preset)
        return 0;
    for (int i = 0; presets[i]; i++)
        if (!strcmp(preset, presets[i]))
            return 0;
    ot_log(OT_LOG_ERROR, "record", "%s %s: not an x264 preset; give one of ultrafast, superfast, veryfast (the "
           "default), faster, fast, medium, slow, slower, veryslow, placebo", option, preset);
    return -EINVAL;
}

/* MuxIsoConfig.on_anomaly with the take log: an ANOMALY record on the ISO's stream (1 + cam), on its thread. */
static void iso_anomaly_to_log(void *opaque, int cam, const char *kind, int64_t tick, const char *detail)
{
    AppProof *p = opaque;
    if (!p || p->disabled || !p->log || 1 + cam >= p->nstreams)
        return;
    if (proof_stream_anomaly(proof_log_stream(p->log, 1 + cam), kind, tick < 0 ? 0 : tick, cam, detail) < 0)
        ot_log(OT_LOG_ERROR, "iso", "cannot declare the ISO's %s at frame %" PRId64 " in the take log", kind, tick);
}

/* capture's packet tap as mux's MuxPacketSource (mux does not know capture). */
static int live_stream(void *opaque, MuxLiveStream *st)
{
    CapStreamInfo info;
    int ret = cap_camera_get_stream_info(opaque, &info);
    if (ret < 0)
        return ret;
    memset(st, 0, sizeof(*st));
    if (info.extradata_size > MUX_LIVE_EXTRADATA_MAX) {
        cap_stream_info_clear(&info);
        return -E2BIG;
    }
    g_strlcpy(st->codec, info.codec, sizeof(st->codec));
    if (info.extradata_size > 0)
        memcpy(st->extradata, info.extradata, (size_t)info.extradata_size);
    st->extradata_size = info.extradata_size;
    st->width = info.width;
    st->height = info.height;
    st->fps_num = info.fps_num;
    st->fps_den = info.fps_den;
    cap_stream_info_clear(&info);
    return 0;
}

static int live_pull(void *opaque, MuxLivePacket *pkt)
{
    CapPacket *p = NULL;
    int ret = cap_camera_pull_packet(opaque, &p);
    if (ret < 0)
        return ret;
    *pkt = (MuxLivePacket){.data = p->data, .size = p->size, .pts_ns = p->pts_ns, .dts_ns = p->dts_ns,
                           .frame_seq = p->frame_seq,
                           .key = p->key, .discont = p->discont, .params_changed = p->params_changed,
                           .handle = p};
    return 0;
}

static void live_release(void *opaque, MuxLivePacket *pkt)
{
    (void)opaque;
    CapPacket *p = pkt->handle;
    cap_packet_free(&p);
    pkt->handle = NULL;
}

MuxIso *app_iso_start(const AppIsoStart *s, AppProof *proof)
{
    int realtime = 0;
    MuxPacketSource live[SW_MAX_CAMS] = {{0}};
    for (int i = 0; i < s->ncams; i++) {
        realtime |= cap_source_is_live(s->sources[i]);
        if (s->codec == MUX_CODEC_COPY && s->cams && s->cams[i] && !cap_source_is_file(s->sources[i]))
            live[i] = (MuxPacketSource){.opaque = s->cams[i], .stream = live_stream, .pull = live_pull,
                                        .release = live_release};
    }
    MuxIsoConfig ic = {
        .dir = s->dir,
        .cams = (const char *const *)s->names,
        .sources = (const char *const *)s->sources,
        .ncams = s->ncams,
        .codec = s->codec,
        .width = s->width,
        .height = s->height,
        .rate = s->rate,
        .gop = s->gop,
        .preset = s->preset,
        .take_id = s->take_id,
        .timecode = s->timecode,
        .realtime = realtime,
        .on_drop = iso_drop_to_log,
        .on_drop_opaque = proof,
        .configure = proof ? app_proof_iso_configure : NULL, /* each ISO is a stream of the take log */
        .configure_opaque = proof,
        .live = live,
        .on_anomaly = iso_anomaly_to_log,
        .on_anomaly_opaque = proof,
        .audio_bits = s->audio_bits,
    };
    for (int i = 0; s->audio_channels && i < s->ncams && i < SW_MAX_CAMS; i++)
        ic.audio_channels[i] = s->audio_channels[i];
    return mux_iso_alloc(&ic);
}
