/* onetake record: live sources and program audio (record_live.h). */
#include "record_live.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ot_common.h"

#define RECORD_LIVE_MAX_MS 10000

const GOptionEntry *record_live_entries(RecordLive *l)
{
    const GOptionEntry e[] = {
        {"latency", 0, 0, G_OPTION_ARG_STRING, &l->latency,
         "Live: how long after its time a program frame is made, so that every camera's frame of that time "
         "has "
         "arrived (default: 2 frames)",
         "MS"},
        {"lost-after", 0, 0, G_OPTION_ARG_STRING, &l->lost_after,
         "Live: a camera that delivers nothing for this long is lost (default 500)", "MS"},
        {"hold", 0, 0, G_OPTION_ARG_STRING, &l->hold,
         "Live: a lost camera's last frame stays on program this long before its NO SIGNAL slate (default "
         "500)",
         "MS"},
        {"live-queue", 0, 0, G_OPTION_ARG_INT, &l->queue,
         "Live: frames each camera's queue holds before it drops its oldest (default: the latency at twice the "
         "program rate, at least 4)", "N"},
        {"audio-src", 0, 0, G_OPTION_ARG_STRING, &l->audio_src,
         "Program audio from a separate source: a file, a URI, test:WAVE (audiotestsrc) or pipe:FRAGMENT "
         "ending "
         "in raw audio",
         "SOURCE"},
        {"afv", 0, 0, G_OPTION_ARG_NONE, &l->afv,
         "Audio follows video: the program audio is the program camera's audio", NULL},
        {"audio-bits", 0, 0, G_OPTION_ARG_INT, &l->audio_bits,
         "Program audio FLAC bits: 24 (the default; any source up to 24 bits exactly) or 16 (the top 16 bits, "
         "no dither)",
         "16|24"},
        {"loudness-target", 0, 0, G_OPTION_ARG_STRING, &l->loudness_target,
         "Integrated loudness the delivery asks for (EBU R128, e.g. -23 or -14): the summary and take.json say "
         "how far the program audio is from it",
         "LUFS"},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    G_STATIC_ASSERT(G_N_ELEMENTS(e) <= G_N_ELEMENTS(l->entries));
    memcpy(l->entries, e, sizeof(e));
    return l->entries;
}

static int parse_ms(const char *option, const char *text, int64_t min, int64_t *out)
{
    char *end = NULL;
    double v = g_ascii_strtod(text, &end);
    if (end == text || *end || !(v >= (double)min) || v > RECORD_LIVE_MAX_MS) {
        ot_log(OT_LOG_ERROR, "record", "%s %s: give milliseconds from %" PRId64 " to %d, e.g. 100", option,
               text, min, RECORD_LIVE_MAX_MS);
        return -EINVAL;
    }
    *out = (int64_t)(v * 1e6 + 0.5);
    return 0;
}

/* test: and pipe: cameras are video only. */
static int can_have_audio(const char *source)
{
    CapSourceKind kind = cap_source_kind(source);
    return kind != CAP_SOURCE_TEST && kind != CAP_SOURCE_PIPE;
}

/* The stems (record_audio.c), and with no --audio/--audio-src/--afv the first --audio-track as the first track. */
static int check_tracks(RecordLive *l, char **names, char **sources, int ncams)
{
    RecordAudio *a = &l->tracks;
    l->audio_channels = a->first_channels ? a->first_channels : SW_AUDIO_CHANNELS;
    if (record_audio_check(a, l->audio != SW_AUDIO_NONE, l->afv, l->audio_name, names, sources, ncams) < 0)
        return -EINVAL;
    if (l->audio != SW_AUDIO_NONE || !record_audio_take_first(a, &l->first))
        return 0;
    l->audio_title = l->first.name;
    l->audio_channels = l->first.channels;
    if (l->first.cam >= 0) {
        l->audio = SW_AUDIO_CAMERA;
        l->audio_cam = l->first.cam;
        l->audio_name = names[l->first.cam];
    } else {
        l->audio = SW_AUDIO_SOURCE;
        l->audio_src = g_strdup(l->first.source);
    }
    return 0;
}

GOptionGroup *record_live_audio_group(RecordLive *l)
{
    return record_audio_group(&l->tracks);
}

int record_live_audio_tracks(const RecordLive *l, AppAudioStems *stems, MuxAudioTrackInfo *info,
                             const char *from)
{
    memset(stems, 0, sizeof(*stems));
    if (l->audio == SW_AUDIO_NONE)
        return 0;
    stems->first_title = l->audio_title;
    record_audio_stems(&l->tracks, stems);
    info[0] = (MuxAudioTrackInfo){.title = l->audio_title, .from = from, .channels = l->audio_channels};
    record_audio_info(&l->tracks, info + 1);
    return 1 + stems->n;
}

int record_live_check(RecordLive *l, const char *audio_name, char **names, char **sources, int ncams,
                      SwRate rate)
{
    int64_t ns;
    l->audio_name = audio_name;
    l->audio_cam = -1;
    l->audio = SW_AUDIO_NONE;
    l->latency_ns = sw_rate_frame_to_ns(rate, RECORD_LIVE_DEFAULT_LATENCY_FRAMES);
    l->lost_after_ms = RECORD_LIVE_DEFAULT_LOST_AFTER_MS;
    l->hold_ns = (int64_t)RECORD_LIVE_DEFAULT_HOLD_MS * 1000000;
    if (l->audio_bits == 0)
        l->audio_bits = 24;
    if (l->loudness_target) {
        char *end = NULL;
        double v = g_ascii_strtod(l->loudness_target, &end);
        if (end == l->loudness_target || *end || !(v >= -70 && v <= 0)) {
            ot_log(OT_LOG_ERROR, "record",
                   "--loudness-target %s: give the integrated loudness in LUFS, from -70 to 0 (e.g. -23 for EBU "
                   "R128, -14 for streaming)",
                   l->loudness_target);
            return -EINVAL;
        }
        l->has_target = 1;
        l->target_lufs = v;
    }
    if (l->audio_bits != 16 && l->audio_bits != 24) {
        ot_log(OT_LOG_ERROR, "record", "--audio-bits %d: the program audio is 24-bit or 16-bit FLAC: give 24 or 16",
               l->audio_bits);
        return -EINVAL;
    }
    if ((audio_name != NULL) + (l->audio_src != NULL) + (l->afv != 0) > 1) {
        ot_log(OT_LOG_ERROR, "record",
               "--audio, --audio-src and --afv each say where the program audio comes "
               "from: give one of them");
        return -EINVAL;
    }
    if (audio_name) {
        for (int i = 0; i < ncams; i++)
            if (!strcmp(names[i], audio_name))
                l->audio_cam = i;
        if (l->audio_cam < 0) {
            char *list = g_strjoinv(", ", names);
            ot_log(OT_LOG_ERROR, "record", "--audio %s: no such camera: the take's cameras are %s",
                   audio_name, list);
            g_free(list);
            return -EINVAL;
        }
        const char *src = sources[l->audio_cam];
        if (!can_have_audio(src)) {
            ot_log(OT_LOG_ERROR, "record",
                   "--audio %s: camera %s is %s, which carries no audio (test: and pipe: cameras are video "
                   "only): "
                   "give the program audio with --audio-src SOURCE (e.g. test:ticks, a file or a URI)",
                   audio_name, audio_name, src);
            return -EINVAL;
        }
        l->audio = SW_AUDIO_CAMERA;
    } else if (l->audio_src) {
        if (cap_source_check("audio", l->audio_src) < 0)
            return -EINVAL;
        l->audio = SW_AUDIO_SOURCE;
    } else if (l->afv) {
        l->audio = SW_AUDIO_FOLLOW_VIDEO;
    }
    if (check_tracks(l, names, sources, ncams) < 0)
        return -EINVAL;
    if (l->latency) {
        if (parse_ms("--latency", l->latency, 0, &l->latency_ns) < 0)
            return -EINVAL;
        l->latency_given = 1;
    }
    if (l->lost_after) {
        if (parse_ms("--lost-after", l->lost_after, 50, &ns) < 0)
            return -EINVAL;
        l->lost_after_ms = ns / 1000000;
    }
    if (l->hold && parse_ms("--hold", l->hold, 0, &l->hold_ns) < 0)
        return -EINVAL;
    if (l->queue < 0 || l->queue > 64) {
        ot_log(OT_LOG_ERROR, "record", "--live-queue %d: give 1 to 64 frames", l->queue);
        return -EINVAL;
    }
    return 0;
}

void record_live_prepare(RecordLive *l, char **sources, int ncams, CapFormat *fmt)
{
    l->live = 0;
    for (int i = 0; i < ncams; i++)
        l->live |= cap_source_is_live(sources[i]);
    if (l->audio_src)
        l->live |= cap_source_is_live(l->audio_src);
    l->live |= record_audio_live(&l->tracks);
    fmt->live = l->live;
    fmt->lost_after_ms = (int)l->lost_after_ms;
    /* Every frame a camera captures within the latency and two ticks more must fit, for cameras up to twice
     * the program rate (50/60 fps into 25/30): 8 at the default latency. Faster cameras: --live-queue. */
    int need = (int)(2 * ((l->latency_ns + 2 * sw_rate_frame_to_ns(fmt->rate, 1)) /
                          sw_rate_frame_to_ns(fmt->rate, 1)));
    fmt->queue_frames = l->queue > 0 ? l->queue : need > 4 ? need : 4;
    if (l->live)
        ot_log(OT_LOG_INFO, "record",
               "live take: program frames on the clock %.0f ms after their time (--latency), a camera silent "
               "for "
               "%" PRId64 " ms is lost (--lost-after), its last frame held %.0f ms before its slate (--hold)",
               (double)l->latency_ns / 1e6, l->lost_after_ms, (double)l->hold_ns / 1e6);
    else if (l->latency_given)
        ot_log(OT_LOG_WARNING, "record", "--latency is for live cameras: no camera of this take is live");
}


int record_live_add_camera(RecordLive *l, int i, const char *source, CapCamera *cam)
{
    if (l->audio == SW_AUDIO_CAMERA && i == l->audio_cam && cap_camera_enable_audio(cam, l->audio_channels) < 0)
        return -EINVAL;
    if (l->audio == SW_AUDIO_FOLLOW_VIDEO && can_have_audio(source) &&
        cap_camera_enable_audio(cam, SW_AUDIO_CHANNELS) < 0)
        return -EINVAL;
    if (record_audio_add_camera(&l->tracks, i, cam) < 0)
        return -EINVAL;
    /* Its ISO carries its audio: enabled at the width a track gave it, else stereo. */
    if (l->iso_audio && can_have_audio(source) && !cap_camera_audio_channels(cam))
        return cap_camera_enable_audio(cam, SW_AUDIO_CHANNELS);
    return 0;
}

/* Which ISOs carry their camera's audio: the cameras whose source turned out to have an audio stream (conformed
 * to FLAC), or whose file has one (a copy ISO remuxes its packets; a live camera's copy ISO has none). */
static void iso_audio(RecordLive *l, char **sources)
{
    for (int i = 0; i < SW_MAX_CAMS; i++) {
        CapCamera *cam = l->tracks.cams[i];
        l->iso_channels[i] = 0;
        l->iso_audio_codec[i] = NULL;
        if (!cam)
            continue;
        /* A live camera's copy ISO is its video stream only (its compressed audio is not tapped yet). */
        if (l->iso_copy && cap_source_is_file(sources[i]) &&
            mux_iso_copy_probe_audio(sources[i], l->iso_codec_buf[i], sizeof(l->iso_codec_buf[i])) > 0) {
            l->iso_channels[i] = 1;
            l->iso_audio_codec[i] = l->iso_codec_buf[i];
        } else if (l->iso_audio && cap_camera_audio_channels(cam) && record_audio_wait_has_audio(cam) > 0) {
            l->iso_channels[i] = cap_camera_audio_channels(cam);
            l->iso_audio_codec[i] = "flac";
        }
    }
}

int record_live_start(RecordLive *l, char **sources, const CapFormat *fmt, int timeout_ms)
{
    int ret;
    if (l->audio == SW_AUDIO_CAMERA) {
        char what[160];
        if (l->audio_title)
            snprintf(what, sizeof(what), "--audio-track %.64s=%.80s", l->first.name, l->first.source);
        else
            snprintf(what, sizeof(what), "--audio %.64s", l->audio_name);
        if ((ret = record_audio_camera_has_audio(&l->tracks, l->audio_cam, what)) < 0)
            return ret;
    }
    if (l->audio == SW_AUDIO_SOURCE) {
        l->audio_source = cap_audio_alloc(l->audio_title ? l->audio_title : "audio", l->audio_src, fmt,
                                          l->audio_channels);
        if (!l->audio_source)
            return OT_ERROR_SOURCE;
        if ((ret = cap_camera_start(l->audio_source, timeout_ms)) < 0)
            return ret;
    }
    if ((ret = record_audio_start(&l->tracks, fmt, timeout_ms)) < 0)
        return ret;
    iso_audio(l, sources);
    return 0;
}

void record_live_configure(const RecordLive *l, SwRunnerConfig *rc)
{
    rc->live = l->live;
    rc->latency_ns = l->latency_ns;
    rc->hold_ns = l->hold_ns;
    rc->audio = l->audio;
    rc->audio_cam = l->audio_cam;
    rc->audio_channels = l->audio_channels;
    if (l->audio_source)
        rc->audio_src = cap_camera_audio_source(l->audio_source);
    record_audio_configure(&l->tracks, rc);
    if (l->live)
        rc->realtime = 0; /* the clock paces a live take: ticks are due at roll + i/fps + latency */
}

void record_live_cam_info(CapCamera *const *cams, int ncams, MuxLiveCamInfo *info)
{
    for (int i = 0; i < ncams; i++) {
        CapLiveStats ls;
        cap_camera_get_live_stats(cams[i], &ls);
        info[i] = (MuxLiveCamInfo){
            .restarts = ls.restarts, .jitter_max_ns = ls.delay_max_ns, .audio_late = ls.audio_late};
    }
}

void record_live_print_summary(const RecordLive *l, const SwRunnerStats *st, CapCamera *const *cams,
                               char **names, int ncams)
{
    if (l->live) {
        printf("  live: program frames %.0f ms after their time; per camera: mean/max latency from arrival "
               "to the "
               "program, late frames, queue overflows, losses\n",
               (double)l->latency_ns / 1e6);
        for (int i = 0; i < ncams; i++) {
            const SwCamStats *c = &st->cams[i];
            CapLiveStats ls;
            if (!c->live)
                continue;
            cap_camera_get_live_stats(cams[i], &ls);
            printf("  camera %-10s latency %5.1f/%5.1f ms  %4" PRId64 " late  %4" PRId64 " overflow  %" PRId64
                   " lost (%" PRId64 " frames, %" PRId64 " on slate), %" PRId64
                   " reconnects, jitter %.1f ms%s\n",
                   names[i],
                   c->latency_count ? (double)c->latency_sum_ns / (double)c->latency_count / 1e6 : 0.0,
                   (double)c->latency_max_ns / 1e6, c->late, c->overflow, c->losses, c->lost_ticks,
                   c->slate_ticks, ls.restarts, (double)ls.delay_max_ns / 1e6, c->failed ? "  LOST" : "");
            if (c->late > 0 || ls.audio_late > 0)
                ot_log(OT_LOG_WARNING, "record",
                       "camera %s: %" PRId64 " frames and %" PRId64
                       " audio samples came after their tick was "
                       "made (its jitter reached %.0f ms, --latency is %.0f ms): give --latency %.0f or more",
                       names[i], c->late, ls.audio_late, (double)ls.delay_max_ns / 1e6,
                       (double)l->latency_ns / 1e6, (double)ls.delay_max_ns / 1e6 + 50);
        }
    }
    if (st->audio_channels) {
        const char *from = l->audio == SW_AUDIO_CAMERA   ? l->audio_name
                           : l->audio == SW_AUDIO_SOURCE ? l->audio_src
                                                         : "the program camera (afv)";
        printf("  program audio%s%s%s: %" PRId64 " samples (%.3f s) at 48 kHz %d-bit, %d ch from %s, %" PRId64
               " of them silence filled in (declared)\n",
               l->audio_title ? " \"" : "", l->audio_title ? l->audio_title : "", l->audio_title ? "\"" : "",
               st->audio_frames, (double)st->audio_frames / SW_AUDIO_RATE, l->audio_bits, l->audio_channels, from,
               st->audio_gap_frames);
    }
}

void record_live_loudness(const RecordLive *l, const MuxOutputStats *program, MuxTakeSummary *sum)
{
    (void)program;
    sum->has_loudness_target = l->has_target;
    sum->loudness_target = l->target_lufs;
}

/* The first track's loudness, and how far it is from --loudness-target. */
static void print_first_loudness(const RecordLive *l, const MuxLoudness *m)
{
    char a[32], b[32], c[32];
    printf("  program audio loudness: %s LUFS integrated, range %s LU, true peak %s dBTP (EBU R128, "
           "libebur128)\n",
           record_audio_level(a, sizeof(a), m->integrated_lufs), record_audio_level(b, sizeof(b), m->range_lu),
           record_audio_level(c, sizeof(c), m->true_peak_dbtp));
    if (!l->has_target)
        return;
    if (!isfinite(m->integrated_lufs)) {
        printf("  loudness target %s LUFS: the program audio is silence (below the gate)\n",
               record_audio_level(a, sizeof(a), l->target_lufs));
        return;
    }
    double off = m->integrated_lufs - l->target_lufs;
    printf("  loudness target %s LUFS: the take is %.1f LU %s it%s\n", record_audio_level(a, sizeof(a), l->target_lufs),
           fabs(off), off >= 0 ? "above" : "below", fabs(off) <= 1.0 ? " (within 1 LU)" : "");
}

void record_live_print_loudness(const RecordLive *l, const SwRunnerStats *st, const MuxOutputStats *p)
{
    if (p->audio_tracks > 0 && p->audio_loudness[0].measured)
        print_first_loudness(l, &p->audio_loudness[0]);
    record_audio_print_summary(&l->tracks, st, p);
}

void record_live_stop(RecordLive *l)
{
    cap_camera_stop(l->audio_source);
    record_audio_stop(&l->tracks);
}

void record_live_free(RecordLive *l)
{
    if (!l)
        return;
    cap_camera_free(&l->audio_source);
    g_clear_pointer(&l->latency, g_free);
    g_clear_pointer(&l->lost_after, g_free);
    g_clear_pointer(&l->hold, g_free);
    g_clear_pointer(&l->audio_src, g_free);
    g_clear_pointer(&l->loudness_target, g_free);
    record_audio_free(&l->tracks);
    record_audio_track_clear(&l->first);
}
