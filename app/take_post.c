/* onetake app: ISO options, cut lists and the ISO summary, shared by record and replay. */
#include "take_post.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "ot_common.h"

int app_iso_codec(const char *name, MuxCodec *codec)
{
    if (!name) {
        *codec = MUX_CODEC_FFV1;
        return 0;
    }
    if (!strcmp(name, "copy")) {
        /* Needs the camera's compressed stream from capture (a parser branch before the decoder) and a
         * remuxing output; and a copied ISO cannot repeat a frame, so it would not be frame-aligned with the
         * take. */
        ot_log(OT_LOG_ERROR, "record",
               "--iso-codec copy (the camera's own packets, not re-encoded) is not available yet: use "
               "--iso-codec ffv1 (lossless, the default) or h264");
        return -ENOTSUP;
    }
    if (mux_codec_from_name(name, codec) < 0) {
        ot_log(OT_LOG_ERROR, "record", "--iso-codec %s: give ffv1 (lossless, the default), h264 or copy",
               name);
        return -EINVAL;
    }
    return 0;
}

int app_source_is_live(const char *source)
{
    if (g_str_has_prefix(source, "test:") || g_str_has_prefix(source, "file://"))
        return 0;
    if (g_str_has_prefix(source, "pipe:") || strstr(source, "://"))
        return 1;
    return 0; /* a local file */
}

char **app_cutlist_media(char **names, char **sources, int ncams, int iso)
{
    char **media = g_new0(char *, (gsize)ncams + 1);

    for (int i = 0; i < ncams; i++) {
        const char *s = sources ? sources[i] : NULL;
        if (iso)
            media[i] = g_strdup_printf("%s/%s.mkv", MUX_TAKE_ISO_DIR, names[i]);
        else if (!s || g_str_has_prefix(s, "test:") || g_str_has_prefix(s, "pipe:"))
            media[i] = NULL; /* generated or a pipeline: nothing an editor could open */
        else if (strstr(s, "://"))
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

MuxIso *app_iso_start(const char *dir, const char *take_id, char **names, char **sources, int ncams,
                      MuxCodec codec, int width, int height, SwRate rate, int gop, const char *timecode,
                      void (*configure)(void *opaque, int cam, MuxOutputConfig *out), void *configure_opaque)
{
    int realtime = 0;
    for (int i = 0; i < ncams; i++)
        realtime |= app_source_is_live(sources[i]);
    MuxIsoConfig ic = {
        .dir = dir,
        .cams = (const char *const *)names,
        .ncams = ncams,
        .codec = codec,
        .width = width,
        .height = height,
        .rate = rate,
        .gop = gop,
        .take_id = take_id,
        .timecode = timecode,
        .realtime = realtime,
        .configure = configure, /* the proof: each ISO is a stream of the take log */
        .configure_opaque = configure_opaque,
        /* .on_drop: where the take log's ANOMALY record ("iso-drop", camera, tick) goes once the proof is
           wired. */
    };
    return mux_iso_alloc(&ic);
}
