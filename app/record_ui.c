/* onetake record: the multiview side of a take. See record_ui.h for the threads. */
#include "record_ui.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "app.h"

#define RECORD_UI_MAX_COUNTDOWN_S (24 * 3600.0)
/* --roll-at more than this far ahead is taken for a time already past (a typo), not for tomorrow. */
#define RECORD_UI_MAX_ROLL_AHEAD_S (12 * 3600)
#define RECORD_UI_WAIT_SLICE_NS 50000000LL /* how often the wait for the roll looks at cancel and signals */
#define RECORD_UI_LINGER_MS 1500           /* ENDED stays in sight this long after the take's summary */


const GOptionEntry *record_ui_entries(RecordUi *u)
{
    const GOptionEntry e[] = {
        {"countdown", 0, 0, G_OPTION_ARG_STRING, &u->countdown,
         "Roll (take frame 0) SECONDS after everything is ready; the window shows the countdown", "SECONDS"},
        {"roll-at", 0, 0, G_OPTION_ARG_STRING, &u->roll_at, "Roll at this local wall-clock time", "HH:MM:SS"},
        {"realtime", 0, 0, G_OPTION_ARG_NONE, &u->realtime,
         "Pace file sources to real time (default with the window)", NULL},
        {"no-realtime", 0, 0, G_OPTION_ARG_NONE, &u->no_realtime,
         "Pull file sources as fast as the program is made (default headless)", NULL},
        {"screenshot", 0, 0, G_OPTION_ARG_FILENAME, &u->screenshot,
         "Write a PNG of the multiview (and FILE.json: what is where)", "FILE"},
        {"screenshot-at", 0, 0, G_OPTION_ARG_STRING, &u->screenshot_at,
         "Program frame (or HH:MM:SS:FF) of the screenshot (default: mid-take)", "FRAME"},
        {"ui-script", 0, 0, G_OPTION_ARG_FILENAME, &u->ui_script,
         "Scripted keys and clicks at program frames (tests, docs)", "FILE"},
        {"window-size", 0, 0, G_OPTION_ARG_STRING, &u->window_size,
         "Multiview window size (default 1280x720)", "WxH"},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    G_STATIC_ASSERT(G_N_ELEMENTS(e) <= G_N_ELEMENTS(u->entries));
    memcpy(u->entries, e, sizeof(e));
    return u->entries;
}

/* "HH:MM:SS:FF" (or ';' before FF) or a frame number. */
static int parse_frame(const char *option, const char *text, SwRate rate, int64_t *out)
{
    char *end = NULL;
    long long v = g_ascii_strtoll(text, &end, 10);
    if (end != text && !*end && v >= 0) {
        *out = v;
        return 0;
    }
    int hh, mm, ss, ff, n = 0;
    char sep;
    if (sscanf(text, "%d:%d:%d%c%d%n", &hh, &mm, &ss, &sep, &ff, &n) == 5 && !text[n] &&
        (sep == ':' || sep == ';')) {
        int64_t f = sw_timecode_to_frame(rate, sep == ';', hh, mm, ss, ff);
        if (f >= 0) {
            *out = f;
            return 0;
        }
    }
    ot_log(OT_LOG_ERROR, "record", "%s %s: give a program frame number (e.g. 150) or a timecode HH:MM:SS:FF",
           option, text);
    return -EINVAL;
}

int record_ui_check(RecordUi *u, gboolean headless, const char *const *names, int ncams, SwRate rate,
                    int width, int height, const SwCueList *cues, int64_t max_frames)
{
    u->names = names;
    u->ncams = ncams;
    u->rate = rate;
    u->width = width;
    u->height = height;
    u->cues = cues;
    u->max_frames = max_frames;
    u->countdown_ns = -1;
    u->screenshot_frame = -1;
    pthread_mutex_init(&u->pgm_lock, NULL);
    u->pgm_tick = -1;

    if (u->realtime && u->no_realtime) {
        ot_log(OT_LOG_ERROR, "record", "--realtime and --no-realtime: give one of them");
        return -EINVAL;
    }
    if (u->countdown && u->roll_at) {
        ot_log(OT_LOG_ERROR, "record", "--countdown and --roll-at: give one of them");
        return -EINVAL;
    }
    if (u->countdown) {
        char *end = NULL;
        double s = g_ascii_strtod(u->countdown, &end);
        if (end == u->countdown || *end || !(s >= 0) || s > RECORD_UI_MAX_COUNTDOWN_S) {
            ot_log(OT_LOG_ERROR, "record", "--countdown %s: give seconds from 0 to 86400, e.g. 10 or 2.5",
                   u->countdown);
            return -EINVAL;
        }
        u->countdown_ns = (int64_t)(s * 1e9 + 0.5);
    }
    if (u->roll_at) {
        int h, m, s, n = 0;
        if (sscanf(u->roll_at, "%d:%d:%d%n", &h, &m, &s, &n) != 3 || u->roll_at[n] || h < 0 || h > 23 ||
            m < 0 || m > 59 || s < 0 || s > 59) {
            ot_log(OT_LOG_ERROR, "record", "--roll-at %s: give a local time of day HH:MM:SS, e.g. 20:30:00",
                   u->roll_at);
            return -EINVAL;
        }
        time_t now = time(NULL);
        struct tm tm;
        localtime_r(&now, &tm);
        long ahead = ((h - tm.tm_hour) * 3600L + (m - tm.tm_min) * 60L + (s - tm.tm_sec) + 86400L) % 86400L;
        if (ahead > RECORD_UI_MAX_ROLL_AHEAD_S) {
            ot_log(OT_LOG_ERROR, "record",
                   "--roll-at %s is in the past (it is %02d:%02d:%02d now): give a time "
                   "within the next 12 hours",
                   u->roll_at, tm.tm_hour, tm.tm_min, tm.tm_sec);
            return -EINVAL;
        }
        u->roll_hms[0] = h;
        u->roll_hms[1] = m;
        u->roll_hms[2] = s;
    }
    if (u->screenshot_at && parse_frame("--screenshot-at", u->screenshot_at, rate, &u->screenshot_frame) < 0)
        return -EINVAL;
    if (u->screenshot_at && !u->screenshot) {
        ot_log(OT_LOG_ERROR, "record", "--screenshot-at needs --screenshot FILE");
        return -EINVAL;
    }
    u->window_w = 1280;
    u->window_h = 720;
    if (u->window_size && app_parse_size("--window-size", u->window_size, &u->window_w, &u->window_h) < 0)
        return -EINVAL;
    if (headless && (u->screenshot || u->ui_script)) {
        ot_log(OT_LOG_ERROR, "record", "%s needs the multiview window: drop --headless",
               u->screenshot ? "--screenshot" : "--ui-script");
        return -EINVAL;
    }
    if (u->ui_script && ui_script_load(u->ui_script, &u->script) < 0)
        return -EINVAL;

    u->window = !headless;
    if (u->window && !ui_display_available()) {
        /* Never fail a take for lack of a window. */
        ot_log(OT_LOG_WARNING, "record",
               "no display ($DISPLAY and $WAYLAND_DISPLAY are not set): recording "
               "headless, without the multiview%s",
               u->screenshot || u->ui_script ? " (no screenshot, no UI "
                                               "script)"
                                             : "");
        u->window = FALSE;
    }
    return 0;
}

void record_ui_add_camera(RecordUi *u, int index, CapCamera *cam)
{
    if (index < 0 || index >= SW_MAX_CAMS)
        return;
    u->cams[index] = cam;
    if (!u->window)
        return;
    int w, h;
    ui_preview_size(u->width, u->height, &w, &h);
    if (cap_camera_enable_preview(cam, w, h) < 0)
        ot_log(OT_LOG_WARNING, "record",
               "camera \"%s\": no picture in the multiview (the take is not affected)", cap_camera_name(cam));
}

void record_ui_open(RecordUi *u, const char *take_dir)
{
    if (u->window) {
        char *title = g_strdup_printf("onetake: %s", take_dir ? take_dir : "take");
        UiConfig cfg = {
            .cams = u->names,
            .ncams = u->ncams,
            .rate = u->rate,
            .program_width = u->width,
            .program_height = u->height,
            .window_width = u->window_w,
            .window_height = u->window_h,
            .title = title,
            .screenshot_path = u->screenshot,
            .screenshot_frame = u->screenshot_frame,
            .script = u->script,
        };
        u->ui = ui_alloc(&cfg);
        g_free(title);
        if (!u->ui)
            ot_log(OT_LOG_WARNING, "record", "no multiview window: recording headless");
    }
    /* Files are paced when someone watches them; a headless take of files runs as fast as it can. */
    u->realtime_on = u->no_realtime ? 0 : u->realtime ? 1 : u->ui != NULL;
}

int record_ui_realtime(const RecordUi *u)
{
    return u->realtime_on;
}

int record_ui_wants_realtime(const RecordUi *u)
{
    return u->no_realtime ? 0 : u->realtime ? 1 : u->window;
}

/* CLOCK_MONOTONIC time of the roll: now, after --countdown, or at --roll-at (which may have passed while the
 * cameras started: then now). */
static int64_t roll_time(const RecordUi *u)
{
    int64_t now = ot_mono_ns();
    if (u->countdown_ns >= 0)
        return now + u->countdown_ns;
    if (!u->roll_at)
        return now;
    struct timespec wall;
    clock_gettime(CLOCK_REALTIME, &wall);
    time_t t = wall.tv_sec;
    struct tm tm;
    localtime_r(&t, &tm);
    tm.tm_hour = u->roll_hms[0];
    tm.tm_min = u->roll_hms[1];
    tm.tm_sec = u->roll_hms[2];
    tm.tm_isdst = -1;
    int64_t target = (int64_t)mktime(&tm) * 1000000000LL;
    int64_t now_wall = (int64_t)wall.tv_sec * 1000000000LL + wall.tv_nsec;
    int64_t ahead = target - now_wall;
    if (ahead < -(int64_t)RECORD_UI_MAX_ROLL_AHEAD_S * 1000000000LL)
        ahead += 86400LL * 1000000000LL; /* just after midnight for a time late in the day */
    if (ahead < 0) {
        ot_log(OT_LOG_WARNING, "record", "--roll-at %s passed while the cameras started: rolling now",
               u->roll_at);
        ahead = 0;
    }
    return now + ahead;
}

/* Wait until the roll, saying how long is left. 0 at the roll, RECORD_UI_CANCELLED if cancelled meanwhile.
 * Only libc here: it runs on the program thread when the window is open. */
static int wait_for_roll(RecordUi *u)
{
    int64_t said = -1;
    for (;;) {
        if (atomic_load(&u->cancel))
            return RECORD_UI_CANCELLED;
        if (u->stop_signal && *u->stop_signal) {
            ot_log(OT_LOG_WARNING, "record", "interrupted before the roll");
            return RECORD_UI_CANCELLED;
        }
        int64_t now = ot_mono_ns();
        int64_t left = u->roll_ns - now;
        if (left <= 0)
            return 0;
        int64_t s = (left + 999999999LL) / 1000000000LL;
        if (s != said && (s <= 5 || s % 10 == 0 || said < 0))
            ot_log(OT_LOG_INFO, "record", "rolling in %" PRId64 " s", s);
        said = s;
        int64_t until = left > RECORD_UI_WAIT_SLICE_NS ? now + RECORD_UI_WAIT_SLICE_NS : u->roll_ns;
        struct timespec ts = {.tv_sec = (time_t)(until / 1000000000LL),
                              .tv_nsec = (long)(until % 1000000000LL)};
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
    }
}

static int run_program(RecordUi *u)
{
    int ret = wait_for_roll(u);
    if (ret < 0)
        return ret;
    if (u->countdown_ns >= 0 || u->roll_at)
        ot_log(OT_LOG_INFO, "record", "rolling");
    return sw_runner_run(u->runner);
}

/* The program thread names itself (prctl on itself: no file is opened), so that tools and tests find it. */
static void *program_thread(void *opaque)
{
    RecordUi *u = opaque;
    pthread_setname_np(pthread_self(), RECORD_UI_PROGRAM_THREAD);
    u->run_ret = run_program(u);
    atomic_store(&u->done, 1);
    return NULL;
}

static OtFrame *ui_get_preview(void *opaque, int cam, int64_t at_ns)
{
    RecordUi *u = opaque;
    return cam >= 0 && cam < u->ncams ? cap_camera_get_preview(u->cams[cam], at_ns) : NULL;
}

/* The program sink of the window (on the program thread): keep a reference to the frame the master gets,
 * swapped under a leaf lock; the previous one is released after the lock. */
static int ui_program_frame(void *opaque, const SwProgramFrame *pf)
{
    RecordUi *u = opaque;
    OtFrame *keep = ot_frame_ref(pf->frame);
    pthread_mutex_lock(&u->pgm_lock);
    OtFrame *old = u->pgm;
    u->pgm = keep;
    u->pgm_tick = pf->tick;
    pthread_mutex_unlock(&u->pgm_lock);
    ot_frame_unref(&old);
    return 0;
}

static OtFrame *ui_get_program(void *opaque, int64_t *tick)
{
    RecordUi *u = opaque;
    pthread_mutex_lock(&u->pgm_lock);
    OtFrame *f = u->pgm ? ot_frame_ref(u->pgm) : NULL;
    *tick = u->pgm_tick;
    pthread_mutex_unlock(&u->pgm_lock);
    return f;
}

/* The program audio meter: the levels of the last tick's audio, kept by the runner (one leaf lock). */
static int ui_get_audio(void *opaque, UiAudioLevel *level)
{
    RecordUi *u = opaque;
    SwRunnerStats st;
    sw_runner_get_stats(u->runner, &st);
    memset(level, 0, sizeof(*level));
    level->channels = st.audio_channels < UI_AUDIO_MAX_CHANNELS ? st.audio_channels : UI_AUDIO_MAX_CHANNELS;
    if (st.ticks == 0)
        level->channels = 0; /* nothing heard yet */
    for (int c = 0; c < level->channels && c < 2; c++) {
        level->peak_dbfs[c] = 20.0f * log10f(st.audio_peak[c] > 1e-5f ? st.audio_peak[c] : 1e-5f);
        level->rms_dbfs[c] = 20.0f * log10f(st.audio_rms[c] > 1e-5f ? st.audio_rms[c] : 1e-5f);
    }
    return 0;
}

static int ui_is_done(void *opaque)
{
    RecordUi *u = opaque;
    return atomic_load(&u->done);
}

static void ui_cancel(void *opaque)
{
    RecordUi *u = opaque;
    atomic_store(&u->cancel, 1);
}

static void report_pacing(RecordUi *u)
{
    if (!u->realtime_on || !u->runner)
        return;
    SwRunnerStats st;
    sw_runner_get_stats(u->runner, &st);
    if (st.ticks == 0)
        return;
    ot_log(OT_LOG_INFO, "record",
           "real-time pacing: %" PRId64 " of %" PRId64 " frames started more than a frame "
           "late, the latest by %.1f ms; longest gap between two frames %.1f ms",
           st.late_ticks, st.ticks, (double)st.max_late_ns / 1e6, (double)st.max_tick_gap_ns / 1e6);
}

int record_ui_run(RecordUi *u, SwSwitcher *sw, SwRunner *runner, volatile sig_atomic_t *stop_signal)
{
    u->runner = runner;
    u->stop_signal = stop_signal;
    atomic_store(&u->cancel, 0);
    atomic_store(&u->done, 0);
    u->roll_ns = roll_time(u);
    if (u->ui) {
        SwSink pgm_sink = {.opaque = u, .program_frame = ui_program_frame};
        if (sw_runner_add_sink(runner, &pgm_sink) < 0)
            ot_log(OT_LOG_WARNING, "record", "the multiview's program pane shows the program camera's preview");
    }
    pthread_t thread;
    int err = pthread_create(&thread, NULL, program_thread, u);
    if (!err && !u->ui) {
        /* Headless, the take still runs on its own, named program thread: one rule for both ways to record. */
        pthread_join(thread, NULL);
        report_pacing(u);
        return u->run_ret;
    }
    if (err && !u->ui) {
        ot_log(OT_LOG_WARNING, "record", "cannot start the program thread (%s): running the take on this thread",
               ot_strerror(-err));
        int ret = run_program(u);
        report_pacing(u);
        return ret;
    }
    if (err) {
        ot_log(OT_LOG_WARNING, "record",
               "cannot start the program thread (%s): closing the multiview, recording "
               "headless",
               ot_strerror(-err));
        ui_free(&u->ui);
        int ret = run_program(u);
        report_pacing(u);
        return ret;
    }
    UiTake take = {
        .sw = sw,
        .runner = runner,
        .cues = u->cues,
        .max_frames = u->max_frames,
        .roll_ns = u->roll_ns,
        .opaque = u,
        .get_preview = ui_get_preview,
        .get_program = ui_get_program,
        .get_audio = u->audio ? ui_get_audio : NULL, /* no program audio: no meter at all */
        .get_ltc = u->get_ltc,
        .ltc_opaque = u->ltc_opaque,
        .is_done = ui_is_done,
        .cancel = ui_cancel,
    };
    if (ui_run(u->ui, &take) < 0)
        ot_log(OT_LOG_WARNING, "record", "the multiview failed: the take goes on headless");
    pthread_join(thread, NULL);
    u->linger = 1; /* the window stays up, showing ENDED, until record_ui_free */
    report_pacing(u);
    return u->run_ret;
}

void record_ui_free(RecordUi *u)
{
    if (!u)
        return;
    /* ENDED in sight for a moment after the summary; not when a script drives the window (tests, docs). */
    if (u->ui && u->linger && !u->script)
        ui_linger(u->ui, RECORD_UI_LINGER_MS);
    u->linger = 0;
    ui_free(&u->ui);
    ot_frame_unref(&u->pgm);
    pthread_mutex_destroy(&u->pgm_lock);
    ui_script_free(&u->script);
    g_clear_pointer(&u->countdown, g_free);
    g_clear_pointer(&u->roll_at, g_free);
    g_clear_pointer(&u->screenshot, g_free);
    g_clear_pointer(&u->screenshot_at, g_free);
    g_clear_pointer(&u->ui_script, g_free);
    g_clear_pointer(&u->window_size, g_free);
}
