/* onetake app: ISO options, cut lists and the ISO summary, shared by record and replay. */
#include "take_post.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "capture.h"
#include "ot_common.h"

int app_iso_codec(const char *name, MuxCodec *codec)
{
    if (!name) {
        *codec = MUX_CODEC_FFV1;
        return 0;
    }
    if (!strcmp(name, "copy")) {
        /* Not an encoder: the ISO remuxes the camera's file (app_iso_copy_check says which sources can). */
        *codec = MUX_CODEC_COPY;
        return 0;
    }
    if (mux_codec_from_name(name, codec) < 0) {
        ot_log(OT_LOG_ERROR, "record", "--iso-codec %s: give ffv1 (lossless, the default), h264 or copy",
               name);
        return -EINVAL;
    }
    return 0;
}

int app_iso_copy_check(char **names, char **sources, int ncams)
{
    for (int i = 0; i < ncams; i++) {
        const char *s = sources[i];
        /* Files only: their packets are in the file. A network stream's or a device's would need a compressed
         * branch from capture; test: and pipe: sources make raw frames, there is nothing to copy. */
        CapSourceKind kind = cap_source_kind(s);
        if (cap_source_is_file(s))
            continue;
        ot_log(OT_LOG_ERROR, "record",
               "--iso-codec copy: camera \"%s\" (%s) is not a file: a copy ISO remuxes the camera's own "
               "file (a local path or a file:// URI), and %s; record this take with --iso-codec ffv1 "
               "(lossless, the default) or h264",
               names[i], s,
               kind == CAP_SOURCE_TEST || kind == CAP_SOURCE_PIPE
                   ? "this source makes raw frames: there is nothing to copy"
                   : "copying a live source's packets is not available yet");
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

MuxIso *app_iso_start(const char *dir, const char *take_id, char **names, char **sources, int ncams,
                      MuxCodec codec, const char *preset, int width, int height, SwRate rate, int gop,
                      const char *timecode, AppProof *proof, const int *audio_channels, int audio_bits)
{
    int realtime = 0;
    for (int i = 0; i < ncams; i++)
        realtime |= cap_source_is_live(sources[i]);
    MuxIsoConfig ic = {
        .dir = dir,
        .cams = (const char *const *)names,
        .sources = (const char *const *)sources,
        .ncams = ncams,
        .codec = codec,
        .width = width,
        .height = height,
        .rate = rate,
        .gop = gop,
        .preset = preset,
        .take_id = take_id,
        .timecode = timecode,
        .realtime = realtime,
        .on_drop = iso_drop_to_log,
        .on_drop_opaque = proof,
        .configure = proof ? app_proof_iso_configure : NULL, /* each ISO is a stream of the take log */
        .configure_opaque = proof,
        .audio_bits = audio_bits,
    };
    for (int i = 0; audio_channels && i < ncams && i < SW_MAX_CAMS; i++)
        ic.audio_channels[i] = audio_channels[i];
    return mux_iso_alloc(&ic);
}
