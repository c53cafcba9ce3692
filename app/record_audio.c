/* onetake record: program audio tracks beyond the first (record_audio.h). */
#include "record_audio.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ot_common.h"
#include "sw_cues.h"

#define RECORD_AUDIO_HAS_AUDIO_WAIT_MS 2000 /* a file camera's streams are known by then */

static int channels_ok(int ch)
{
    return ch == 1 || ch == 2 || ch == 6 || ch == 8;
}

/* --audio-channels N: the tracks after it; before any --audio-track also the first track's. */
static gboolean on_channels(const gchar *option, const gchar *value, gpointer data, GError **error)
{
    RecordAudio *a = data;
    char *end = NULL;
    long v = strtol(value, &end, 10);
    if (end == value || *end || !channels_ok((int)v)) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "%s %s: a program audio track has 1 (mono), 2 (stereo), 6 (5.1) or 8 (7.1) channels", option,
                    value);
        return FALSE;
    }
    a->channels = (int)v;
    if (a->given == 0) {
        a->first_channels = (int)v;
        a->first_channels_given = 1;
    }
    return TRUE;
}

/* --audio-track NAME=SOURCE, in order, with the --audio-channels in effect. */
static gboolean on_track(const gchar *option, const gchar *value, gpointer data, GError **error)
{
    RecordAudio *a = data;
    const char *eq = strchr(value, '=');
    if (!eq || eq == value || !eq[1]) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "%s %s: give NAME=SOURCE, e.g. %s vocals=vocals.wav or %s room=cam:wide", option, value, option,
                    option);
        return FALSE;
    }
    a->given++;
    if (a->ntracks == (int)G_N_ELEMENTS(a->tracks))
        return TRUE; /* too many: counted, refused by record_audio_check */
    RecordAudioTrack *t = &a->tracks[a->ntracks++];
    t->name = g_strndup(value, (gsize)(eq - value));
    t->source = g_strdup(eq + 1);
    t->channels = a->channels ? a->channels : SW_AUDIO_CHANNELS;
    t->cam = -1;
    return TRUE;
}

GOptionGroup *record_audio_group(RecordAudio *a)
{
    static const GOptionEntry e[] = {
        {"audio-track", 0, 0, G_OPTION_ARG_CALLBACK, (void *)on_track,
         "One more program audio track (a stem; repeatable, up to 16 tracks in all), titled NAME in program.mkv, "
         "from SOURCE: a file, a URI, test:WAVE, pipe:FRAGMENT (as --audio-src) or cam:CAMERA (a camera's own "
         "audio). Without --audio/--audio-src/--afv the first one is the program audio",
         "NAME=SOURCE"},
        {"audio-channels", 0, 0, G_OPTION_ARG_CALLBACK, (void *)on_channels,
         "Channels of the --audio-track options after it (1, 2, 6 = 5.1, 8 = 7.1; default 2); given before any "
         "--audio-track, also of --audio/--audio-src's track",
         "N"},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    GOptionGroup *g = g_option_group_new("audio", "Program audio tracks (stems):", "Show the audio track options", a,
                                         NULL);
    g_option_group_add_entries(g, e);
    return g;
}

static int check_cam_track(RecordAudio *a, RecordAudioTrack *t, const char *first_cam, int afv, char **names,
                           char **sources, int ncams)
{
    const char *cam = t->source + 4;
    for (int i = 0; i < ncams; i++)
        if (!strcmp(names[i], cam))
            t->cam = i;
    if (t->cam < 0) {
        char *list = g_strjoinv(", ", names);
        ot_log(OT_LOG_ERROR, "record", "--audio-track %s=%s: no camera \"%s\": the take's cameras are %s", t->name,
               t->source, cam, list);
        g_free(list);
        return -EINVAL;
    }
    CapSourceKind kind = cap_source_kind(sources[t->cam]);
    if (kind == CAP_SOURCE_TEST || kind == CAP_SOURCE_PIPE) {
        ot_log(OT_LOG_ERROR, "record",
               "--audio-track %s=%s: camera %s is %s, which carries no audio (test: and pipe: cameras are video "
               "only): give the track a source of its own (a file, a URI, test:WAVE or pipe:FRAGMENT)",
               t->name, t->source, cam, sources[t->cam]);
        return -EINVAL;
    }
    /* A camera's audio ring gives each sample once: one track per camera. */
    if (afv || (first_cam && !strcmp(first_cam, cam))) {
        ot_log(OT_LOG_ERROR, "record",
               "--audio-track %s=%s: camera %s's audio is already the program audio (%s): a camera's audio makes "
               "one track",
               t->name, t->source, cam, afv ? "--afv" : "--audio");
        return -EINVAL;
    }
    for (RecordAudioTrack *o = a->tracks; o < t; o++)
        if (o->cam == t->cam) {
            ot_log(OT_LOG_ERROR, "record",
                   "--audio-track %s=%s: camera %s's audio is already track \"%s\": a camera's audio makes one "
                   "track",
                   t->name, t->source, cam, o->name);
            return -EINVAL;
        }
    t->from = g_strdup_printf("camera %s", cam);
    return 0;
}

int record_audio_check(RecordAudio *a, int has_first, int afv, const char *first_cam, char **names,
                       char **sources, int ncams)
{
    if (a->given + !!has_first > SW_AUDIO_MAX_TRACKS) {
        ot_log(OT_LOG_ERROR, "record",
               "%d program audio tracks: at most %d (%d --audio-track%s): mix some of them together first",
               a->given + !!has_first, SW_AUDIO_MAX_TRACKS, a->given,
               has_first ? " and the one of --audio/--audio-src/--afv" : "");
        return -EINVAL;
    }
    if (afv && a->first_channels_given && a->first_channels != SW_AUDIO_CHANNELS) {
        ot_log(OT_LOG_ERROR, "record",
               "--afv with --audio-channels %d: audio follows video is stereo (the cameras' audio): give "
               "--audio-channels after --afv's track, before the --audio-track it is for",
               a->first_channels);
        return -EINVAL;
    }
    for (int i = 0; i < a->ntracks; i++) {
        RecordAudioTrack *t = &a->tracks[i];
        if (!sw_cam_name_valid(t->name, strlen(t->name))) {
            ot_log(OT_LOG_ERROR, "record",
                   "--audio-track %s=%s: \"%s\" is not a track name: use letters, digits, _ and -, at most %d",
                   t->name, t->source, t->name, SW_CAM_NAME_MAX);
            return -EINVAL;
        }
        for (int j = 0; j < i; j++)
            if (!strcmp(a->tracks[j].name, t->name)) {
                ot_log(OT_LOG_ERROR, "record", "--audio-track %s: track \"%s\" is given twice: names must be unique",
                       t->name, t->name);
                return -EINVAL;
            }
        if (g_str_has_prefix(t->source, "cam:")) {
            if (check_cam_track(a, t, first_cam, afv, names, sources, ncams) < 0)
                return -EINVAL;
        } else {
            if (cap_source_check(t->name, t->source) < 0)
                return -EINVAL;
            t->from = g_strdup_printf("source %s", t->source);
        }
        t->role = g_strdup_printf("program audio %s", t->name);
    }
    return 0;
}

int record_audio_add_camera(RecordAudio *a, int i, CapCamera *cam)
{
    if (i >= 0 && i < SW_MAX_CAMS)
        a->cams[i] = cam;
    for (int k = 0; k < a->ntracks; k++)
        if (a->tracks[k].cam == i)
            return cap_camera_enable_audio(cam, a->tracks[k].channels);
    return 0;
}

int record_audio_wait_has_audio(CapCamera *cam)
{
    int has = -1;
    for (int waited = 0; (has = cap_camera_has_audio(cam)) < 0 && waited < RECORD_AUDIO_HAS_AUDIO_WAIT_MS;
         waited += 20)
        g_usleep(20000);
    return has;
}

int record_audio_camera_has_audio(const RecordAudio *a, int cam, const char *what)
{
    if (cam < 0 || cam >= SW_MAX_CAMS || !a->cams[cam])
        return -EINVAL;
    if (record_audio_wait_has_audio(a->cams[cam]) == 0) {
        ot_log(OT_LOG_ERROR, "record",
               "%s: the camera's source has no audio stream: give the track a source of its own (a file, a URI, "
               "test:WAVE or pipe:FRAGMENT)",
               what);
        return OT_ERROR_SOURCE;
    }
    return 0;
}

int record_audio_start(RecordAudio *a, const CapFormat *fmt, int timeout_ms)
{
    for (int i = 0; i < a->ntracks; i++) {
        RecordAudioTrack *t = &a->tracks[i];
        int ret;
        if (t->cam >= 0) {
            char what[160];
            snprintf(what, sizeof(what), "--audio-track %.64s=%.80s", t->name, t->source);
            if ((ret = record_audio_camera_has_audio(a, t->cam, what)) < 0)
                return ret;
            continue;
        }
        t->src = cap_audio_alloc(t->name, t->source, fmt, t->channels);
        if (!t->src)
            return OT_ERROR_SOURCE;
        if ((ret = cap_camera_start(t->src, timeout_ms)) < 0) {
            ot_log(OT_LOG_ERROR, "record", "--audio-track %s=%s: the source did not start (above): fix or replace it",
                   t->name, t->source);
            return ret;
        }
    }
    return 0;
}

int record_audio_live(const RecordAudio *a)
{
    for (int i = 0; i < a->ntracks; i++)
        if (a->tracks[i].cam < 0 && cap_source_is_live(a->tracks[i].source))
            return 1;
    return 0;
}

void record_audio_configure(const RecordAudio *a, SwRunnerConfig *rc)
{
    rc->nstems = 0;
    for (int i = 0; i < a->ntracks && i < SW_AUDIO_MAX_TRACKS - 1; i++) {
        const RecordAudioTrack *t = &a->tracks[i];
        rc->stems[i] = cap_camera_audio_source(t->cam >= 0 ? a->cams[t->cam] : t->src);
        rc->stem_names[i] = t->name;
        rc->nstems = i + 1;
    }
}

void record_audio_stems(const RecordAudio *a, AppAudioStems *stems)
{
    stems->n = 0;
    for (int i = 0; i < a->ntracks && i < SW_AUDIO_MAX_TRACKS - 1; i++) {
        stems->channels[i] = a->tracks[i].channels;
        stems->titles[i] = a->tracks[i].name;
        stems->roles[i] = a->tracks[i].role;
        stems->n = i + 1;
    }
}

void record_audio_info(const RecordAudio *a, MuxAudioTrackInfo *info)
{
    for (int i = 0; i < a->ntracks && i < SW_AUDIO_MAX_TRACKS - 1; i++)
        info[i] = (MuxAudioTrackInfo){.title = a->tracks[i].name, .from = a->tracks[i].from,
                                      .channels = a->tracks[i].channels};
}

int record_audio_take_first(RecordAudio *a, RecordAudioTrack *first)
{
    if (a->ntracks == 0)
        return 0;
    *first = a->tracks[0];
    memmove(&a->tracks[0], &a->tracks[1], (size_t)(a->ntracks - 1) * sizeof(a->tracks[0]));
    a->ntracks--;
    memset(&a->tracks[a->ntracks], 0, sizeof(a->tracks[0]));
    return 1;
}

void record_audio_track_clear(RecordAudioTrack *t)
{
    cap_camera_free(&t->src);
    g_free(t->name);
    g_free(t->source);
    g_free(t->role);
    g_free(t->from);
    memset(t, 0, sizeof(*t));
    t->cam = -1;
}

const char *record_audio_level(char *buf, size_t size, double v)
{
    if (!isfinite(v))
        return "-inf";
    int n = snprintf(buf, size, "%.1f", v);
    return n > 0 && (size_t)n < size ? buf : "?";
}

void record_audio_print_summary(const RecordAudio *a, const SwRunnerStats *st, const MuxOutputStats *p)
{
    for (int i = 0; i < a->ntracks && i + 1 < st->audio_tracks; i++) {
        const RecordAudioTrack *t = &a->tracks[i];
        const MuxLoudness *m = &p->audio_loudness[i + 1];
        char x[32], y[32], z[32];
        printf("  audio track %d \"%s\": %d ch from %s, %" PRId64 " samples, %" PRId64
               " of them silence filled in (declared)",
               i + 2, t->name, t->channels, t->source, st->audio_frames, st->track_gap_frames[i + 1]);
        if (m->measured)
            printf("; %s LUFS, range %s LU, true peak %s dBTP", record_audio_level(x, sizeof(x), m->integrated_lufs),
                   record_audio_level(y, sizeof(y), m->range_lu), record_audio_level(z, sizeof(z), m->true_peak_dbtp));
        printf("\n");
    }
}

void record_audio_stop(RecordAudio *a)
{
    for (int i = 0; i < a->ntracks; i++)
        cap_camera_stop(a->tracks[i].src);
}

void record_audio_free(RecordAudio *a)
{
    for (int i = 0; i < a->ntracks; i++)
        record_audio_track_clear(&a->tracks[i]);
    a->ntracks = 0;
}
