/* onetake app: what record and replay share after the switcher: ISO options, the cut lists for post, the ISO
 * summary. */
#ifndef TAKE_POST_H
#define TAKE_POST_H

#include <stdint.h>

#include "app_proof.h"
#include "capture.h"
#include "mux.h"

/* --iso-codec NAME -> codec: "ffv1" (also NULL: the default), "h264", "copy" (MUX_CODEC_COPY: the camera's
 * own packets, not re-encoded: a file's, or a live camera's compressed stream; see app_iso_copy_check) or
 * "auto" (copy, *is_auto set: the caller falls back to ffv1 where a camera cannot). 0 or -EINVAL (logged
 * with a fix). */
int app_iso_codec(const char *name, MuxCodec *codec, int *is_auto);
/* Whether every camera can have a copy ISO: a local file, a file:// URI or a live URI (srt://, udp://,
 * rtsp://, v4l2://...: whether it sends compressed video is known once it has started, app_iso_live_check).
 * -ENOTSUP (logged unless quiet: which camera, why, and what to use instead) for the first that cannot,
 * else 0. Before anything is created. */
int app_iso_copy_check(char **names, char **sources, int ncams, int quiet);
/* After the cameras started (packets enabled on every live one): whether each live camera's tap has seen a
 * stream a copy ISO records. -ENOTSUP (logged unless quiet, naming the camera and what to use instead). */
int app_iso_live_check(char **names, char **sources, CapCamera **cams, int ncams, int quiet);

/* What the cut lists point at for each camera: "iso/NAME.mkv" with ISOs; else a file source's absolute path,
 * a URI as given, NULL for test:/pipe: sources (nothing to link). g_strfreev the result (ncams entries +
 * NULL; a NULL entry ends g_strfreev early, so free it with app_media_free). */
char **app_cutlist_media(char **names, char **sources, int ncams, int iso);
void app_media_free(char **media, int ncams);

/* cuts.edl and cuts.otio in dir from its cuts.jsonl. 0 or negative (logged). */
int app_write_cutlists(const char *dir, const char *take_id, SwRate rate, char **names, char **media,
                       int ncams, int64_t frames);

/* The ISOs of a take: dir/iso/NAME.mkv per camera, tagged with the take id and start timecode. Real time
 * (drop when full) when any source is live. With the take log (proof), each ISO is a stream of it (streams
 * 1..ncams) and dropped frames are declared in it as ANOMALY "iso-drop" (a live copy ISO's restarts as
 * "iso-restart", "iso-params"). Copy ISOs of live cameras record the packets of cams[i] (packets enabled).
 * NULL on error (logged, nothing left behind). audio_channels: each camera's own audio in its ISO. */
typedef struct AppIsoStart {
    const char *dir, *take_id;
    char **names, **sources;
    CapCamera **cams; /* the started cameras (NULL: copy ISOs of files only) */
    int ncams;
    MuxCodec codec;
    const char *preset;
    int width, height;
    SwRate rate;
    int gop;
    const char *timecode;
    const int *audio_channels; /* per camera, its own audio's channels for its ISO (0: none); NULL: none */
    int audio_bits;
} AppIsoStart;
MuxIso *app_iso_start(const AppIsoStart *s, AppProof *proof);

/* An x264 preset named by option (--preset, --iso-preset): 0, or -EINVAL (logged with the list). NULL is fine. */
int app_x264_preset_check(const char *option, const char *preset);

/* One line per ISO on stdout (frames, repeats, drops, size). */
void app_print_iso_summary(MuxIso *iso);

#endif
