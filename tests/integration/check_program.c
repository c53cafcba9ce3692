/* ot-check-program: a FATE-style checker of a recorded program against its plan.
 *
 * Independent of the runner and of the switcher's tick logic, on purpose: it re-derives everything a take
 * should be from the inputs alone.
 *   1. Each camera clip is decoded by a GStreamer pipeline of its own, `uridecodebin ! <conform> ! appsink`,
 * where <conform> is cap_conform_description(): the recorder's own conform chain, so camera frames are
 * conformed the same way. Frames are stamped by running time minus the first frame's, and tick i takes the
 * frame whose time is the latest at or before i/fps (docs/contract.md "Program timing", 1 ms tolerance for
 * container rounding), which handles cameras at another frame rate.
 *   2. The expected camera per program frame is simulated from the cue list and the action script (parsed by
 *      sw_cues_load / sw_actions_load only): first --cam before the first cut; a timed cue at frame f takes
 * effect at f; actions at frame f apply after the timed cue of f, in file order; `go` fires the next unfired
 * go cue in file order; `end` at f means frame f is not recorded.
 *   3. program.mkv is decoded with libavformat/libavcodec: frame count, exact timestamps (frame i at i/fps in
 * the stream time base, strictly increasing, no gap), then per frame either byte equality of the visible I420
 *      pixels with the expected camera's frame (--mode exact, lossless codecs) or the expected camera having
 * the best PSNR, at least --min-psnr, and its tick's frame matching better than its neighbours (--mode psnr).
 *   4. Optionally keyframes (--keyframes GOP: key exactly at i % GOP == 0 and at cuts) and the executed cut
 * log
 *      (--cuts cuts.jsonl: one line per executed cut, then the end).
 * Exit status: 0 when every check passes, 1 when one fails, 2 for a usage or I/O error. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <gst/app/gstappsink.h>
#include <gst/gst.h>
#include <gst/video/video.h>
#include <json-glib/json-glib.h>
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/pixdesc.h>

#include "capture.h"
#include "sw_cues.h"

#define MAX_CAMS 16
/* Container timestamps are rounded: Matroska and WebM store milliseconds rounded to the nearest, so a 30 fps
 * frame can sit up to 0.5 ms after its tick (frame 20 at 667 ms, tick 20 at 666.67 ms). 0.1 ms is not enough
 * (every third frame of a Matroska camera would map one tick late); 1 ms is, and is still far below any frame
 * period. */
#define DEFAULT_TOLERANCE_NS 1000000
#define LOOKBACK 8  /* camera frames kept before the tick's frame, to name what a wrong frame is */
#define LOOKAHEAD 8 /* and after it */
#define RING 32     /* > LOOKBACK + 1 + LOOKAHEAD + frames one tick can pull */
#define PULL_SLICE_NS (100 * GST_MSECOND)
#define STALL_NS (20 * GST_SECOND)
#define MAX_REPORTS 5       /* detailed lines per kind of failure; the rest are counted */
#define PSNR_IDENTICAL 99.0 /* what identical frames report as PSNR */

enum { EXIT_PASS = 0, EXIT_FAILED = 1, EXIT_USAGE = 2 };

typedef struct CamFrame {
    int64_t seq;
    int64_t t_ns;
    uint8_t *data; /* visible I420, packed: Y then U then V */
} CamFrame;

typedef struct Cam {
    char *name;
    char *source;
    GstElement *pipeline;
    GstAppSink *sink;
    GstBus *bus;
    GMutex
        lock; /* protects video_linked, no_more_pads, other_streams: pad-added runs on a streaming thread */
    gboolean video_linked;
    gboolean no_more_pads;
    char *other_streams;
    GstClockTime first_rt;
    int64_t next_seq; /* sequence number of the next frame pulled */
    int eos;
    int failed;
    CamFrame ring[RING];
    int64_t lo;        /* frames [lo, next_seq) are in the ring */
    int64_t sel;       /* frame for the current tick, -1 before the camera's first frame */
    int64_t backwards; /* frames whose time went backwards */
    /* summary */
    int64_t expected_ticks, ok_ticks, bad_ticks;
    double psnr_min, psnr_sum;
} Cam;

typedef struct PlanEvent {
    int64_t frame;
    int cam;
    const char *origin;
    int line; /* line of the cue or action, 0 for the start */
} PlanEvent;

typedef struct Plan {
    int64_t frames;
    int *cam;          /* expected camera per program frame */
    int64_t end_frame; /* frame at which the plan ends the take, -1 when it does not within --frames */
    int end_line;
    PlanEvent *events;
    int nevents;
} Plan;

typedef struct PktInfo {
    int64_t pts;
    int key;
} PktInfo;

typedef struct Options {
    const char *program;
    const char *cues;
    const char *actions;
    const char *cuts;
    const char *end_origin;
    const char *actions_origin; /* --actions-origin: manual (default) or remote */
    int width, height;
    int fps_num, fps_den;
    int64_t frames;
    int exact;
    int gop;
    double min_psnr;
    int64_t tolerance_ns;
    int verbose;
    int print_conform;
    int ncams;
    char *cam_names[MAX_CAMS];
    char *cam_sources[MAX_CAMS];
} Options;

typedef struct Checker {
    Options opt;
    Cam cams[MAX_CAMS];
    Plan plan;
    size_t ysize, csize, fsize; /* visible bytes of the Y plane, of one chroma plane, of a frame */
    int cw, ch;                 /* chroma plane size */
    int failures;
    uint8_t *scratch; /* the program frame, packed like a camera frame */
} Checker;

static void fail_msg(Checker *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail_msg(Checker *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("FAIL: ", stdout);
    vprintf(fmt, ap);
    fputc('\n', stdout);
    va_end(ap);
    c->failures++;
}

/* Count one failure; 1 when it should be printed in detail (the first MAX_REPORTS of its kind). */
static int report(Checker *c, int *count)
{
    if ((*count)++ < MAX_REPORTS)
        return 1;
    c->failures++;
    return 0;
}

/* Non-drop-frame timecode of a program frame, for messages only (drop-frame rates show the nominal count). */
static const char *timecode(const Options *o, int64_t frame, char *buf, size_t size)
{
    int64_t nominal = (o->fps_num + o->fps_den / 2) / o->fps_den;
    if (nominal < 1)
        nominal = 1;
    int64_t ff = frame % nominal, s = frame / nominal;
    snprintf(buf, size, "%02" PRId64 ":%02" PRId64 ":%02" PRId64 ":%02" PRId64, s / 3600, s / 60 % 60, s % 60,
             ff);
    return buf;
}

/* Time of tick i in ns: exact integer arithmetic, rounded down (never accumulate floats). */
static int64_t tick_ns(const Options *o, int64_t i)
{
    return (int64_t)gst_util_uint64_scale((guint64)i, GST_SECOND * (guint64)o->fps_den, (guint64)o->fps_num);
}

/* ---- the plan: expected camera per frame, simulated from the cue list and the action script ---- */

static void plan_event(Plan *pl, int64_t frame, int cam, const char *origin, int line)
{
    pl->events = g_renew(PlanEvent, pl->events, pl->nevents + 1);
    pl->events[pl->nevents++] = (PlanEvent){.frame = frame, .cam = cam, .origin = origin, .line = line};
}

/* Put cam on program at frame t. A cut to the camera already on program is a no-op, not an event. */
static void plan_cut(Plan *pl, int *prog, int64_t t, int cam, const char *origin, int line)
{
    if (cam == *prog)
        return;
    *prog = cam;
    if (t == 0) {
        /* Frame 0 has one start event: it names the camera that is on program at frame 0. */
        pl->events[0].cam = cam;
        pl->events[0].origin = origin;
        pl->events[0].line = line;
        return;
    }
    plan_event(pl, t, cam, origin, line);
}

/* act_origin: the origin the action script's cuts and gos have in the cut log ("manual"; "remote" for commands
 * sent over the network, whose landing frames the script then gives). */
static int plan_build(Plan *pl, const SwCueList *cues, const SwActionList *acts, int64_t frames,
                      const char *act_origin)
{
    int remote = act_origin && strcmp(act_origin, "manual");
    int ncues = cues ? sw_cues_count(cues) : 0;
    int nacts = acts ? sw_actions_count(acts) : 0;
    gboolean *go_fired = g_new0(gboolean, ncues > 0 ? ncues : 1);
    int prog = 0, ai = 0;
    pl->frames = frames;
    pl->cam = g_new0(int, frames > 0 ? frames : 1);
    pl->end_frame = -1;
    plan_event(pl, 0, 0, "start", 0);
    /* One tick past --frames: an end exactly at --frames is the plan's own end. */
    for (int64_t t = 0; t <= frames && pl->end_frame < 0; t++) {
        for (int i = 0; i < ncues && pl->end_frame < 0; i++) {
            const SwCue *cue = sw_cues_get(cues, i);
            if (cue->frame != t || cue->action == SW_CUE_SUB || cue->action == SW_CUE_SUB_CLEAR)
                continue;
            if (cue->action == SW_CUE_END) {
                pl->end_frame = t;
                pl->end_line = cue->line;
            } else if (t < frames) {
                plan_cut(pl, &prog, t, cue->cam, "cue", cue->line);
            }
        }
        for (; ai < nacts && pl->end_frame < 0; ai++) {
            const SwAction *a = sw_actions_get(acts, ai);
            if (a->frame > t)
                break;
            if (t >= frames && a->type != SW_ACTION_END && a->type != SW_ACTION_GO)
                continue;
            switch (a->type) {
            case SW_ACTION_CUT:
                plan_cut(pl, &prog, t, a->cam, act_origin ? act_origin : "manual", a->line);
                break;
            case SW_ACTION_PREVIEW:
                break;
            case SW_ACTION_END:
                pl->end_frame = t;
                pl->end_line = a->line;
                break;
            case SW_ACTION_GO: {
                int g = 0;
                while (g < ncues && (sw_cues_get(cues, g)->frame >= 0 || go_fired[g]))
                    g++;
                if (g == ncues) {
                    printf("note: the go on line %d of the action script (frame %" PRId64
                           ") finds no go cue left\n",
                           a->line, t);
                    break;
                }
                go_fired[g] = TRUE;
                const SwCue *cue = sw_cues_get(cues, g);
                if (cue->action == SW_CUE_SUB || cue->action == SW_CUE_SUB_CLEAR) {
                    break; /* a go sub cue: no cut */
                } else if (cue->action == SW_CUE_END) {
                    pl->end_frame = t;
                    pl->end_line = cue->line;
                } else if (t < frames) {
                    plan_cut(pl, &prog, t, cue->cam, remote ? act_origin : "go", cue->line);
                }
                break;
            }
            }
        }
        if (pl->end_frame < 0 && t < frames)
            pl->cam[t] = prog;
    }
    g_free(go_fired);
    return 0;
}

static void plan_free(Plan *pl)
{
    g_free(pl->cam);
    g_free(pl->events);
    memset(pl, 0, sizeof(*pl));
}

/* ---- cameras: GStreamer, conformed with the recorder's own chain ---- */

/* gst_parse_launch links the video pad to the conform chain (delayed linking); every other stream (audio...)
 * goes to a fakesink here, since a not-linked stream could stop the demuxer. */
static void on_pad_added(GstElement *decode, GstPad *pad, gpointer user_data)
{
    Cam *cam = user_data;
    GstCaps *caps = gst_pad_get_current_caps(pad);
    if (!caps)
        caps = gst_pad_query_caps(pad, NULL);
    const char *media = gst_structure_get_name(gst_caps_get_structure(caps, 0));
    gboolean linked = gst_pad_is_linked(pad);
    g_mutex_lock(&cam->lock);
    if (linked && g_str_has_prefix(media, "video/x-raw"))
        cam->video_linked = TRUE;
    else if (!linked) {
        char *more = g_strdup_printf("%s%s%s", cam->other_streams ? cam->other_streams : "",
                                     cam->other_streams ? ", " : "", media);
        g_free(cam->other_streams);
        cam->other_streams = more;
    }
    g_mutex_unlock(&cam->lock);
    if (!linked) {
        GstElement *fake = gst_element_factory_make("fakesink", NULL);
        g_object_set(fake, "sync", FALSE, "async", FALSE, NULL);
        gst_bin_add(GST_BIN(cam->pipeline), fake);
        gst_element_sync_state_with_parent(fake);
        GstPad *sinkpad = gst_element_get_static_pad(fake, "sink");
        gst_pad_link(pad, sinkpad);
        gst_object_unref(sinkpad);
    }
    gst_caps_unref(caps);
}

static void on_no_more_pads(GstElement *decode, gpointer user_data)
{
    Cam *cam = user_data;
    g_mutex_lock(&cam->lock);
    cam->no_more_pads = TRUE;
    g_mutex_unlock(&cam->lock);
}

/* An error posted by the camera's pipeline, printed; 0 when there is none. */
static int cam_check_bus(Cam *cam)
{
    GstMessage *msg = gst_bus_pop_filtered(cam->bus, GST_MESSAGE_ERROR);
    if (!msg)
        return 0;
    GError *err = NULL;
    gst_message_parse_error(msg, &err, NULL);
    fprintf(stderr, "ot-check-program: camera %s (%s): %s\n", cam->name, cam->source,
            err ? err->message : "error");
    g_clear_error(&err);
    gst_message_unref(msg);
    return -1;
}

static int cam_open(Checker *c, Cam *cam)
{
    CapFormat fmt = {
        .width = c->opt.width, .height = c->opt.height, .rate = {c->opt.fps_num, c->opt.fps_den}};
    char *conform = cap_conform_description(&fmt);
    char *uri = strstr(cam->source, "://") ? g_strdup(cam->source) : gst_filename_to_uri(cam->source, NULL);
    char *desc = NULL;
    GError *err = NULL;
    int ret = -1;
    if (!conform || !uri) {
        fprintf(stderr, "ot-check-program: camera %s: no URI for %s or no conform chain\n", cam->name,
                cam->source);
        goto out;
    }
    /* One description for the whole pipeline: a caps string only parses as a capsfilter between two elements,
     * so the conform chain (which ends in caps) is not parsed on its own. */
    desc = g_strdup_printf("uridecodebin name=decode uri=\"%s\" ! %s ! appsink name=sink", uri, conform);
    cam->pipeline = gst_parse_launch_full(desc, NULL, GST_PARSE_FLAG_FATAL_ERRORS, &err);
    if (!cam->pipeline) {
        fprintf(stderr, "ot-check-program: camera %s: cannot build %s: %s\n", cam->name, desc,
                err ? err->message : "unknown error");
        goto out;
    }
    GstElement *decode = gst_bin_get_by_name(GST_BIN(cam->pipeline), "decode");
    GstElement *sink = gst_bin_get_by_name(GST_BIN(cam->pipeline), "sink");
    if (!decode || !sink) {
        fprintf(stderr, "ot-check-program: camera %s: %s has no decode or sink element\n", cam->name, desc);
        if (decode)
            gst_object_unref(decode);
        if (sink)
            gst_object_unref(sink);
        goto out;
    }
    /* No clock sync and no drop: the checker pulls every frame at its own pace. */
    g_object_set(sink, "sync", FALSE, "max-buffers", 4, "drop", FALSE, "enable-last-sample", FALSE, NULL);
    cam->sink = GST_APP_SINK(sink);
    cam->bus = gst_element_get_bus(cam->pipeline);
    g_signal_connect(decode, "pad-added", G_CALLBACK(on_pad_added), cam);
    g_signal_connect(decode, "no-more-pads", G_CALLBACK(on_no_more_pads), cam);
    gst_object_unref(decode);
    if (gst_element_set_state(cam->pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
        cam_check_bus(cam);
        fprintf(stderr, "ot-check-program: camera %s: cannot start decoding %s\n", cam->name, cam->source);
        goto out;
    }
    for (int i = 0; i < RING; i++)
        cam->ring[i].data = g_malloc(c->fsize);
    cam->first_rt = GST_CLOCK_TIME_NONE;
    cam->sel = -1;
    cam->psnr_min = INFINITY;
    if (c->opt.verbose)
        printf("camera %s: %s\n", cam->name, desc);
    ret = 0;
out:
    g_clear_error(&err);
    g_free(desc);
    g_free(uri);
    g_free(conform);
    return ret;
}

static void cam_close(Cam *cam)
{
    if (cam->pipeline)
        gst_element_set_state(cam->pipeline, GST_STATE_NULL);
    if (cam->sink)
        gst_object_unref(cam->sink);
    if (cam->bus)
        gst_object_unref(cam->bus);
    if (cam->pipeline)
        gst_object_unref(cam->pipeline);
    for (int i = 0; i < RING; i++)
        g_free(cam->ring[i].data);
    g_free(cam->other_streams);
    cam->pipeline = NULL;
    cam->sink = NULL;
    cam->bus = NULL;
}

/* Pull one frame into the ring. 0, 1 at the end of the clip, -1 on error (printed). */
static int cam_pull_one(Checker *c, Cam *cam)
{
    GstSample *sample = NULL;
    for (GstClockTime waited = 0; !sample; waited += PULL_SLICE_NS) {
        sample = gst_app_sink_try_pull_sample(cam->sink, PULL_SLICE_NS);
        if (sample)
            break;
        if (gst_app_sink_is_eos(cam->sink))
            return 1;
        if (cam_check_bus(cam) < 0)
            return -1;
        g_mutex_lock(&cam->lock);
        gboolean no_video = cam->no_more_pads && !cam->video_linked;
        g_mutex_unlock(&cam->lock);
        if (no_video) {
            fprintf(stderr, "ot-check-program: camera %s: %s has no video stream (found: %s)\n", cam->name,
                    cam->source, cam->other_streams ? cam->other_streams : "nothing");
            return -1;
        }
        if (waited >= STALL_NS) {
            fprintf(stderr, "ot-check-program: camera %s: no frame for %d s\n", cam->name,
                    (int)(STALL_NS / GST_SECOND));
            return -1;
        }
    }
    int ret = -1;
    GstVideoInfo info;
    GstVideoFrame vf;
    GstBuffer *buf = gst_sample_get_buffer(sample);
    const GstSegment *seg = gst_sample_get_segment(sample);
    if (!buf || !gst_video_info_from_caps(&info, gst_sample_get_caps(sample))) {
        fprintf(stderr, "ot-check-program: camera %s: a sample without buffer or video caps\n", cam->name);
        goto out;
    }
    if (GST_VIDEO_INFO_FORMAT(&info) != GST_VIDEO_FORMAT_I420 ||
        GST_VIDEO_INFO_WIDTH(&info) != c->opt.width || GST_VIDEO_INFO_HEIGHT(&info) != c->opt.height) {
        fprintf(stderr, "ot-check-program: camera %s: the conform chain gives %s %dx%d, not I420 %dx%d\n",
                cam->name, gst_video_format_to_string(GST_VIDEO_INFO_FORMAT(&info)),
                GST_VIDEO_INFO_WIDTH(&info), GST_VIDEO_INFO_HEIGHT(&info), c->opt.width, c->opt.height);
        goto out;
    }
    GstClockTime pts = GST_BUFFER_PTS(buf);
    GstClockTime rt = GST_CLOCK_TIME_IS_VALID(pts) && seg
                          ? gst_segment_to_running_time(seg, GST_FORMAT_TIME, pts)
                          : GST_CLOCK_TIME_NONE;
    if (!GST_CLOCK_TIME_IS_VALID(rt)) {
        fprintf(stderr, "ot-check-program: camera %s: frame %" PRId64 " has no running time\n", cam->name,
                cam->next_seq);
        goto out;
    }
    /* Running time, never raw pts: an MP4 edit list delays raw pts by the B-frame delay. */
    if (!GST_CLOCK_TIME_IS_VALID(cam->first_rt))
        cam->first_rt = rt;
    int64_t t = (int64_t)rt - (int64_t)cam->first_rt;
    if (cam->next_seq > cam->lo && t < cam->ring[(cam->next_seq - 1) % RING].t_ns)
        cam->backwards++;
    if (!gst_video_frame_map(&vf, &info, buf, GST_MAP_READ)) {
        fprintf(stderr, "ot-check-program: camera %s: cannot map frame %" PRId64 "\n", cam->name,
                cam->next_seq);
        goto out;
    }
    if (cam->next_seq - cam->lo >= RING)
        cam->lo = cam->next_seq - RING + 1;
    CamFrame *f = &cam->ring[cam->next_seq % RING];
    f->seq = cam->next_seq++;
    f->t_ns = t;
    uint8_t *dst = f->data;
    for (int p = 0; p < 3; p++) {
        int w = p ? c->cw : c->opt.width, h = p ? c->ch : c->opt.height;
        const uint8_t *src = GST_VIDEO_FRAME_PLANE_DATA(&vf, p);
        int stride = GST_VIDEO_FRAME_PLANE_STRIDE(&vf, p);
        for (int y = 0; y < h; y++, dst += w)
            memcpy(dst, src + (size_t)y * stride, (size_t)w);
    }
    gst_video_frame_unmap(&vf);
    ret = 0;
out:
    gst_sample_unref(sample);
    return ret;
}

static const CamFrame *cam_frame(const Cam *cam, int64_t seq)
{
    if (seq < cam->lo || seq >= cam->next_seq || seq < 0)
        return NULL;
    return &cam->ring[seq % RING];
}

/* Make cam->sel the frame latest at or before time t (within the tolerance), with LOOKAHEAD frames after it
 * in the ring when the clip has them. 0 or -1 (the camera failed). */
static int cam_advance(Checker *c, Cam *cam, int64_t t)
{
    if (cam->failed)
        return -1;
    for (;;) {
        /* Frames already pulled that are now at or before the tick. */
        while (cam->sel + 1 < cam->next_seq && cam_frame(cam, cam->sel + 1) &&
               cam_frame(cam, cam->sel + 1)->t_ns <= t + c->opt.tolerance_ns)
            cam->sel++;
        if (cam->eos || cam->next_seq - 1 - cam->sel >= LOOKAHEAD)
            break;
        int ret = cam_pull_one(c, cam);
        if (ret < 0) {
            cam->failed = 1;
            return -1;
        }
        if (ret > 0)
            cam->eos = 1;
    }
    if (cam->sel - LOOKBACK > cam->lo)
        cam->lo = cam->sel - LOOKBACK;
    return 0;
}

/* ---- comparing frames ---- */

static double psnr(const Checker *c, const uint8_t *a, const uint8_t *b)
{
    uint64_t sse = 0;
    for (size_t i = 0; i < c->fsize; i++) {
        int d = (int)a[i] - (int)b[i];
        sse += (uint64_t)(d * d);
    }
    if (!sse)
        return PSNR_IDENTICAL;
    double mse = (double)sse / (double)c->fsize;
    double v = 10.0 * log10(255.0 * 255.0 / mse);
    return v > PSNR_IDENTICAL - 1 ? PSNR_IDENTICAL - 1 : v;
}

/* The camera frame (any camera, any frame in the rings) that the program frame resembles most. */
static void best_match(const Checker *c, const uint8_t *prog, int *best_cam, int64_t *best_seq,
                       double *best_psnr)
{
    *best_cam = -1;
    *best_seq = -1;
    *best_psnr = -1;
    for (int k = 0; k < c->opt.ncams; k++) {
        const Cam *cam = &c->cams[k];
        for (int64_t s = cam->lo; s < cam->next_seq; s++) {
            const CamFrame *f = cam_frame(cam, s);
            double p = f ? psnr(c, prog, f->data) : -1;
            if (p > *best_psnr) {
                *best_psnr = p;
                *best_cam = k;
                *best_seq = s;
            }
        }
    }
}

/* Describe what a wrong program frame shows instead. */
static void explain(const Checker *c, int64_t tick, int exp, const uint8_t *prog)
{
    const Cam *ec = &c->cams[exp];
    int bc;
    int64_t bs;
    double bp;
    best_match(c, prog, &bc, &bs, &bp);
    if (bc < 0) {
        printf("      no camera frame to compare with\n");
        return;
    }
    const Cam *cam = &c->cams[bc];
    const CamFrame *f = cam_frame(cam, bs);
    const char *how = bp >= PSNR_IDENTICAL ? "is identical to" : "looks most like";
    if (bc == exp)
        printf("      it %s %s frame %" PRId64 " (t=%.4f s), %+" PRId64
               " frame(s) from the expected frame %" PRId64 " (PSNR %.2f dB)\n",
               how, cam->name, bs, f->t_ns / 1e9, bs - ec->sel, ec->sel, bp);
    else
        printf("      it %s %s frame %" PRId64 " (t=%.4f s; %s's frame for this tick is %" PRId64
               ") (PSNR %.2f dB)\n",
               how, cam->name, bs, f->t_ns / 1e9, cam->name, cam->sel, bp);
    if (c->opt.exact && bp < PSNR_IDENTICAL)
        printf("      it matches no camera frame within %d frames of the tick byte for byte\n", LOOKBACK);
}

/* The program frame, visible pixels packed like a camera frame. */
static int pack_program_frame(Checker *c, const AVFrame *fr, int64_t k)
{
    if ((fr->format != AV_PIX_FMT_YUV420P && fr->format != AV_PIX_FMT_YUVJ420P) ||
        fr->width != c->opt.width || fr->height != c->opt.height) {
        const char *name = av_get_pix_fmt_name(fr->format);
        fail_msg(c, "program frame %" PRId64 " is %s %dx%d, expected yuv420p %dx%d", k, name ? name : "?",
                 fr->width, fr->height, c->opt.width, c->opt.height);
        return -1;
    }
    uint8_t *dst = c->scratch;
    for (int p = 0; p < 3; p++) {
        int w = p ? c->cw : c->opt.width, h = p ? c->ch : c->opt.height;
        for (int y = 0; y < h; y++, dst += w)
            memcpy(dst, fr->data[p] + (size_t)y * fr->linesize[p], (size_t)w);
    }
    return 0;
}

static void check_frame(Checker *c, int64_t k, int *reports)
{
    int exp = c->plan.cam[k];
    Cam *ec = &c->cams[exp];
    const CamFrame *ef = cam_frame(ec, ec->sel);
    char tc[64];
    timecode(&c->opt, k, tc, sizeof(tc));
    ec->expected_ticks++;
    if (!ef) {
        ec->bad_ticks++;
        if (report(c, reports))
            fail_msg(c, "frame %" PRId64 " (%s): camera %s has no frame at or before %.4f s", k, tc, ec->name,
                     tick_ns(&c->opt, k) / 1e9);
        return;
    }
    if (c->opt.exact) {
        if (!memcmp(c->scratch, ef->data, c->fsize)) {
            ec->ok_ticks++;
            return;
        }
        ec->bad_ticks++;
        if (report(c, reports)) {
            fail_msg(c,
                     "frame %" PRId64 " (%s): not the expected frame %" PRId64
                     " of %s (t=%.4f s), PSNR %.2f dB",
                     k, tc, ef->seq, ec->name, ef->t_ns / 1e9, psnr(c, c->scratch, ef->data));
            explain(c, k, exp, c->scratch);
        }
        return;
    }

    /* psnr: the expected camera must look most like the program, well enough, and its tick frame better than
     * its neighbours (so a frame one off in time is caught even through a lossy codec). */
    double best = -1, pe = psnr(c, c->scratch, ef->data);
    int best_cam = -1;
    for (int j = 0; j < c->opt.ncams; j++) {
        const Cam *cam = &c->cams[j];
        const CamFrame *f = cam_frame(cam, cam->sel);
        double p = f ? (j == exp ? pe : psnr(c, c->scratch, f->data)) : -1;
        if (p > best) {
            best = p;
            best_cam = j;
        }
    }
    const char *why = NULL;
    char whybuf[160];
    if (best_cam != exp) {
        snprintf(whybuf, sizeof(whybuf), "%s looks more like it (%.2f dB) than %s (%.2f dB)",
                 c->cams[best_cam].name, best, ec->name, pe);
        why = whybuf;
    } else if (pe < c->opt.min_psnr) {
        snprintf(whybuf, sizeof(whybuf), "PSNR against %s is %.2f dB, below %.1f dB", ec->name, pe,
                 c->opt.min_psnr);
        why = whybuf;
    } else {
        for (int d = -1; d <= 1 && !why; d += 2) {
            const CamFrame *nf = cam_frame(ec, ec->sel + d);
            double pn = nf ? psnr(c, c->scratch, nf->data) : -1;
            if (pn >= pe) {
                snprintf(whybuf, sizeof(whybuf),
                         "%s frame %" PRId64 " (%.2f dB) matches better than the tick's frame %" PRId64
                         " (%.2f dB)",
                         ec->name, nf->seq, pn, ef->seq, pe);
                why = whybuf;
            }
        }
    }
    if (pe < ec->psnr_min)
        ec->psnr_min = pe;
    ec->psnr_sum += pe;
    if (!why) {
        ec->ok_ticks++;
        return;
    }
    ec->bad_ticks++;
    if (report(c, reports)) {
        fail_msg(c, "frame %" PRId64 " (%s): expected %s frame %" PRId64 ": %s", k, tc, ec->name, ef->seq,
                 why);
        explain(c, k, exp, c->scratch);
    }
}

/* ---- the program: libavformat / libavcodec ---- */

typedef struct Prog {
    AVFormatContext *fmt;
    AVCodecContext *dec;
    int stream;
    AVRational tb;
    AVPacket *pkt;
    AVFrame *frame;
    int flushing;
    PktInfo *pkts;
    size_t npkts, cap;
} Prog;

static int prog_open(Prog *p, const char *path)
{
    char err[AV_ERROR_MAX_STRING_SIZE];
    int ret = avformat_open_input(&p->fmt, path, NULL, NULL);
    if (ret < 0) {
        fprintf(stderr, "ot-check-program: cannot open %s: %s\n", path,
                av_make_error_string(err, sizeof(err), ret));
        return -1;
    }
    if ((ret = avformat_find_stream_info(p->fmt, NULL)) < 0) {
        fprintf(stderr, "ot-check-program: %s: %s\n", path, av_make_error_string(err, sizeof(err), ret));
        return -1;
    }
    const AVCodec *codec = NULL;
    p->stream = av_find_best_stream(p->fmt, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
    if (p->stream < 0 || !codec) {
        fprintf(stderr, "ot-check-program: %s has no decodable video stream\n", path);
        return -1;
    }
    AVStream *st = p->fmt->streams[p->stream];
    p->tb = st->time_base;
    p->dec = avcodec_alloc_context3(codec);
    p->pkt = av_packet_alloc();
    p->frame = av_frame_alloc();
    if (!p->dec || !p->pkt || !p->frame || avcodec_parameters_to_context(p->dec, st->codecpar) < 0 ||
        avcodec_open2(p->dec, codec, NULL) < 0) {
        fprintf(stderr, "ot-check-program: %s: cannot open the %s decoder\n", path, codec->name);
        return -1;
    }
    printf("program %s: %s %dx%d, time base %d/%d\n", path, codec->name, st->codecpar->width,
           st->codecpar->height, p->tb.num, p->tb.den);
    return 0;
}

/* Next decoded frame in p->frame: 1, 0 at the end, -1 on error (printed). */
static int prog_next(Prog *p)
{
    char err[AV_ERROR_MAX_STRING_SIZE];
    for (;;) {
        int ret = avcodec_receive_frame(p->dec, p->frame);
        if (ret == 0)
            return 1;
        if (ret == AVERROR_EOF)
            return 0;
        if (ret != AVERROR(EAGAIN) || p->flushing) {
            fprintf(stderr, "ot-check-program: decoding the program: %s\n",
                    av_make_error_string(err, sizeof(err), ret));
            return -1;
        }
        ret = av_read_frame(p->fmt, p->pkt);
        if (ret == AVERROR_EOF) {
            p->flushing = 1;
            avcodec_send_packet(p->dec, NULL);
            continue;
        }
        if (ret < 0) {
            fprintf(stderr, "ot-check-program: reading the program: %s\n",
                    av_make_error_string(err, sizeof(err), ret));
            return -1;
        }
        if (p->pkt->stream_index == p->stream) {
            if (p->npkts == p->cap) {
                p->cap = p->cap ? 2 * p->cap : 1024;
                p->pkts = g_renew(PktInfo, p->pkts, p->cap);
            }
            p->pkts[p->npkts++] = (PktInfo){.pts = p->pkt->pts, .key = !!(p->pkt->flags & AV_PKT_FLAG_KEY)};
            ret = avcodec_send_packet(p->dec, p->pkt);
            if (ret < 0) {
                fprintf(stderr, "ot-check-program: decoding program packet %zu: %s\n", p->npkts - 1,
                        av_make_error_string(err, sizeof(err), ret));
                av_packet_unref(p->pkt);
                return -1;
            }
        }
        av_packet_unref(p->pkt);
    }
}

static void prog_close(Prog *p)
{
    avcodec_free_context(&p->dec);
    avformat_close_input(&p->fmt);
    av_packet_free(&p->pkt);
    av_frame_free(&p->frame);
    g_free(p->pkts);
}

/* Frame index of a timestamp: round(pts * time_base * fps). */
static int64_t pts_to_index(const Checker *c, const Prog *p, int64_t pts)
{
    return av_rescale_q_rnd(pts, p->tb, (AVRational){c->opt.fps_den, c->opt.fps_num},
                            AV_ROUND_NEAR_INF | AV_ROUND_PASS_MINMAX);
}

static void check_keyframes(Checker *c, const Prog *p)
{
    int bad = 0;
    int64_t keys = 0;
    for (size_t n = 0; n < p->npkts; n++) {
        if (p->pkts[n].pts == AV_NOPTS_VALUE) {
            if (report(c, &bad))
                fail_msg(c, "keyframes: program packet %zu has no pts", n);
            continue;
        }
        int64_t i = pts_to_index(c, p, p->pkts[n].pts);
        int cut = i > 0 && i < c->plan.frames && c->plan.cam[i] != c->plan.cam[i - 1];
        int want = i % c->opt.gop == 0 || cut;
        keys += p->pkts[n].key;
        if (want == p->pkts[n].key)
            continue;
        char tc[64];
        if (report(c, &bad))
            fail_msg(c, "keyframes: frame %" PRId64 " (%s) %s a keyframe but %s", i,
                     timecode(&c->opt, i, tc, sizeof(tc)), p->pkts[n].key ? "is" : "is not",
                     want ? (cut ? "the program cuts there" : "it starts a GOP")
                          : "it neither starts a GOP nor is a cut");
    }
    if (bad > MAX_REPORTS)
        printf("      ... %d keyframe errors in all\n", bad);
    printf("keyframes: %" PRId64 " keyframes in %zu packets, GOP %d plus cuts: %s\n", keys, p->npkts,
           c->opt.gop, bad ? "FAIL" : "ok");
}

/* ---- the executed cut log ---- */

typedef struct LogLine {
    char *type, *camera, *origin;
    int64_t frame;
    int line;
} LogLine;

static int check_cuts(Checker *c, int64_t frames)
{
    char *text = NULL;
    GError *err = NULL;
    if (!g_file_get_contents(c->opt.cuts, &text, NULL, &err)) {
        fail_msg(c, "cut log: %s", err->message);
        g_clear_error(&err);
        return -1;
    }
    char **lines = g_strsplit(text, "\n", -1);
    g_free(text);
    GArray *cuts = g_array_new(FALSE, TRUE, sizeof(LogLine));
    GArray *ends = g_array_new(FALSE, TRUE, sizeof(LogLine));
    int before = c->failures;
    JsonParser *parser = json_parser_new();
    for (int n = 0; lines[n]; n++) {
        if (!*g_strstrip(lines[n]))
            continue;
        if (!json_parser_load_from_data(parser, lines[n], -1, &err) ||
            !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser))) {
            fail_msg(c, "cut log %s:%d: not a JSON object: %s", c->opt.cuts, n + 1,
                     err ? err->message : lines[n]);
            g_clear_error(&err);
            continue;
        }
        JsonObject *o = json_node_get_object(json_parser_get_root(parser));
        LogLine l = {.line = n + 1};
        l.type = g_strdup(json_object_get_string_member_with_default(o, "type", ""));
        l.camera = g_strdup(json_object_get_string_member_with_default(o, "camera", ""));
        l.origin = g_strdup(json_object_get_string_member_with_default(o, "origin", ""));
        l.frame = json_object_get_int_member_with_default(o, "frame", -1);
        if (!strcmp(l.type, "cut"))
            g_array_append_val(cuts, l);
        else if (!strcmp(l.type, "end"))
            g_array_append_val(ends, l);
        else {
            g_free(l.type);
            g_free(l.camera);
            g_free(l.origin);
        }
    }
    g_object_unref(parser);
    g_strfreev(lines);

    /* Several lines at frame 0 are tolerated (start, then a cue at 0): the last one names the first camera.
     */
    guint first = 0;
    while (first + 1 < cuts->len && g_array_index(cuts, LogLine, first + 1).frame == 0)
        first++;
    guint nlog = cuts->len - first;
    int n = c->plan.nevents;
    for (int e = 0; e < n || (guint)e < nlog; e++) {
        const PlanEvent *pe = e < n ? &c->plan.events[e] : NULL;
        const LogLine *l = (guint)e < nlog ? &g_array_index(cuts, LogLine, first + e) : NULL;
        char tc[64];
        if (!l) {
            fail_msg(c, "cut log: missing the cut at frame %" PRId64 " (%s) to %s (%s, line %d of the plan)",
                     pe->frame, timecode(&c->opt, pe->frame, tc, sizeof(tc)), c->cams[pe->cam].name,
                     pe->origin, pe->line);
            break;
        }
        if (!pe) {
            fail_msg(c, "cut log %s:%d: a cut at frame %" PRId64 " to %s that the plan does not have",
                     c->opt.cuts, l->line, l->frame, l->camera);
            break;
        }
        /* At frame 0 the log may say "start" or "cue" for a cue at frame 0 that names the first camera. */
        int origin_ok = !strcmp(l->origin, pe->origin) ||
                        (pe->frame == 0 && (!strcmp(l->origin, "start") || !strcmp(l->origin, "cue")));
        if (l->frame != pe->frame || strcmp(l->camera, c->cams[pe->cam].name) || !origin_ok) {
            fail_msg(c,
                     "cut log %s:%d: cut at frame %" PRId64 " to %s (%s), the plan has frame %" PRId64
                     " (%s) to %s (%s)",
                     c->opt.cuts, l->line, l->frame, l->camera, l->origin, pe->frame,
                     timecode(&c->opt, pe->frame, tc, sizeof(tc)), c->cams[pe->cam].name, pe->origin);
            break;
        }
    }
    if (ends->len != 1)
        fail_msg(c, "cut log: %u end lines, expected 1", ends->len);
    else {
        const LogLine *l = &g_array_index(ends, LogLine, 0);
        if (l->frame != frames)
            fail_msg(c, "cut log %s:%d: the end is at frame %" PRId64 ", the program has %" PRId64 " frames",
                     c->opt.cuts, l->line, l->frame, frames);
        if (c->opt.end_origin && strcmp(l->origin, c->opt.end_origin))
            fail_msg(c, "cut log %s:%d: the end's origin is \"%s\", expected \"%s\"", c->opt.cuts, l->line,
                     l->origin, c->opt.end_origin);
    }
    printf("cut log: %u cut lines (%d executed cuts planned, the start included), %u end line: %s\n",
           cuts->len, n, ends->len, c->failures == before ? "ok" : "FAIL");
    for (guint i = 0; i < cuts->len + ends->len; i++) {
        LogLine *l =
            i < cuts->len ? &g_array_index(cuts, LogLine, i) : &g_array_index(ends, LogLine, i - cuts->len);
        g_free(l->type);
        g_free(l->camera);
        g_free(l->origin);
    }
    g_array_free(cuts, TRUE);
    g_array_free(ends, TRUE);
    return 0;
}

/* ---- command line ---- */

static void usage(FILE *out)
{
    fputs("usage: ot-check-program --program FILE --size WxH --fps N/D --frames N --mode exact|psnr\n"
          "                        --cam NAME=PATH [--cam ...] [--cues FILE] [--actions FILE]\n"
          "                        [--keyframes GOP] [--cuts cuts.jsonl] [--end-origin ORIGIN]\n"
          "                        [--actions-origin manual|remote]\n"
          "                        [--min-psnr DB] [--tolerance-us US] [--verbose]\n"
          "       ot-check-program --print-conform --size WxH --fps N/D\n"
          "Checks a program against its cameras and its plan (cue list + director actions). Exit 0 pass, 1 "
          "fail,\n"
          "2 usage or I/O error.\n",
          out);
}

static int parse_int64(const char *s, int64_t *v)
{
    char *end;
    errno = 0;
    long long x = strtoll(s, &end, 10);
    if (errno || end == s || *end)
        return -1;
    *v = x;
    return 0;
}

static int parse_options(int argc, char **argv, Options *o)
{
    o->min_psnr = 25.0;
    o->tolerance_ns = DEFAULT_TOLERANCE_NS;
    o->frames = -1;
    o->exact = -1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--verbose") || !strcmp(a, "-v")) {
            o->verbose = 1;
            continue;
        }
        if (!strcmp(a, "--print-conform")) {
            o->print_conform = 1;
            continue;
        }
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            exit(EXIT_PASS);
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "ot-check-program: %s needs a value (or is unknown)\n", a);
            return -1;
        }
        const char *v = argv[++i];
        int64_t n;
        if (!strcmp(a, "--program"))
            o->program = v;
        else if (!strcmp(a, "--cues"))
            o->cues = v;
        else if (!strcmp(a, "--actions"))
            o->actions = v;
        else if (!strcmp(a, "--cuts"))
            o->cuts = v;
        else if (!strcmp(a, "--end-origin"))
            o->end_origin = v;
        else if (!strcmp(a, "--actions-origin"))
            o->actions_origin = v;
        else if (!strcmp(a, "--size")) {
            if (sscanf(v, "%dx%d", &o->width, &o->height) != 2 || o->width <= 0 || o->height <= 0) {
                fprintf(stderr, "ot-check-program: --size %s: give WxH\n", v);
                return -1;
            }
        } else if (!strcmp(a, "--fps")) {
            int got = sscanf(v, "%d/%d", &o->fps_num, &o->fps_den);
            if (got == 1)
                o->fps_den = 1;
            if (got < 1 || o->fps_num <= 0 || o->fps_den <= 0) {
                fprintf(stderr, "ot-check-program: --fps %s: give N/D\n", v);
                return -1;
            }
        } else if (!strcmp(a, "--frames")) {
            if (parse_int64(v, &o->frames) < 0 || o->frames < 0) {
                fprintf(stderr, "ot-check-program: --frames %s: give a frame count\n", v);
                return -1;
            }
        } else if (!strcmp(a, "--mode")) {
            if (strcmp(v, "exact") && strcmp(v, "psnr")) {
                fprintf(stderr, "ot-check-program: --mode %s: give exact or psnr\n", v);
                return -1;
            }
            o->exact = !strcmp(v, "exact");
        } else if (!strcmp(a, "--keyframes")) {
            if (parse_int64(v, &n) < 0 || n <= 0 || n > INT32_MAX) {
                fprintf(stderr, "ot-check-program: --keyframes %s: give the GOP in frames\n", v);
                return -1;
            }
            o->gop = (int)n;
        } else if (!strcmp(a, "--tolerance-us")) {
            if (parse_int64(v, &n) < 0 || n < 0 || n > 1000000) {
                fprintf(stderr, "ot-check-program: --tolerance-us %s: give microseconds\n", v);
                return -1;
            }
            o->tolerance_ns = n * 1000;
        } else if (!strcmp(a, "--min-psnr")) {
            o->min_psnr = g_ascii_strtod(v, NULL);
        } else if (!strcmp(a, "--cam")) {
            const char *eq = strchr(v, '=');
            if (!eq || eq == v || !eq[1] || o->ncams == MAX_CAMS) {
                fprintf(stderr, "ot-check-program: --cam %s: give NAME=PATH (at most %d cameras)\n", v,
                        MAX_CAMS);
                return -1;
            }
            o->cam_names[o->ncams] = g_strndup(v, (gsize)(eq - v));
            o->cam_sources[o->ncams++] = g_strdup(eq + 1);
        } else {
            fprintf(stderr, "ot-check-program: unknown option %s\n", a);
            return -1;
        }
    }
    if (!o->width || !o->fps_num) {
        fprintf(stderr, "ot-check-program: --size and --fps are required\n");
        return -1;
    }
    if (o->print_conform)
        return 0;
    if (!o->program || o->frames < 0 || o->exact < 0 || !o->ncams) {
        fprintf(stderr,
                "ot-check-program: --program, --frames, --mode and at least one --cam are required\n");
        return -1;
    }
    return 0;
}

static int load_plan(Checker *c)
{
    Options *o = &c->opt;
    SwRate rate = {o->fps_num, o->fps_den};
    SwCueError err;
    char msg[768];
    SwCueList *cues = NULL;
    SwActionList *acts = NULL;
    int ret = -1;
    if (o->cues && !(cues = sw_cues_load(o->cues, rate, (const char *const *)o->cam_names, o->ncams, &err))) {
        fprintf(stderr, "ot-check-program: %s\n", sw_cue_error_format(&err, o->cues, msg, sizeof(msg)));
        goto out;
    }
    if (o->actions &&
        !(acts = sw_actions_load(o->actions, rate, (const char *const *)o->cam_names, o->ncams, &err))) {
        fprintf(stderr, "ot-check-program: %s\n", sw_cue_error_format(&err, o->actions, msg, sizeof(msg)));
        goto out;
    }
    plan_build(&c->plan, cues, acts, o->frames, o->actions_origin);
    ret = 0;
out:
    sw_actions_free(&acts);
    sw_cues_free(&cues);
    return ret;
}

static void print_plan(const Checker *c)
{
    printf("plan: %" PRId64 " frames", c->plan.frames);
    if (c->plan.end_frame >= 0)
        printf(", ended by line %d at frame %" PRId64, c->plan.end_line, c->plan.end_frame);
    printf("\n");
    for (int e = 0; e < c->plan.nevents; e++) {
        const PlanEvent *pe = &c->plan.events[e];
        int64_t to = e + 1 < c->plan.nevents ? c->plan.events[e + 1].frame : c->plan.frames;
        char tc[64];
        printf("  %6" PRId64 "-%-6" PRId64 " %s  %-10s %s", pe->frame, to - 1,
               timecode(&c->opt, pe->frame, tc, sizeof(tc)), c->cams[pe->cam].name, pe->origin);
        if (pe->line)
            printf(" (line %d)", pe->line);
        printf("\n");
    }
}

static int run(Checker *c)
{
    Options *o = &c->opt;
    Prog prog = {0};
    int ret = EXIT_USAGE;
    c->cw = (o->width + 1) / 2;
    c->ch = (o->height + 1) / 2;
    c->ysize = (size_t)o->width * (size_t)o->height;
    c->csize = (size_t)c->cw * (size_t)c->ch;
    c->fsize = c->ysize + 2 * c->csize;
    c->scratch = g_malloc(c->fsize);

    if (load_plan(c) < 0)
        goto out;
    for (int k = 0; k < o->ncams; k++) {
        c->cams[k].name = o->cam_names[k];
        c->cams[k].source = o->cam_sources[k];
        g_mutex_init(&c->cams[k].lock);
        if (cam_open(c, &c->cams[k]) < 0)
            goto out;
    }
    print_plan(c);
    if (c->plan.end_frame >= 0 && c->plan.end_frame < o->frames) {
        fail_msg(c, "the plan ends the take at frame %" PRId64 " (line %d) but --frames is %" PRId64,
                 c->plan.end_frame, c->plan.end_line, o->frames);
        ret = EXIT_FAILED;
        goto out;
    }
    if (prog_open(&prog, o->program) < 0)
        goto out;

    int frame_reports = 0, ts_reports = 0, cam_fail = 0;
    int64_t k = 0, prev_pts = INT64_MIN;
    for (;; k++) {
        int r = prog_next(&prog);
        if (r < 0)
            goto out;
        if (r == 0)
            break;
        AVFrame *fr = prog.frame;
        int64_t pts = fr->pts != AV_NOPTS_VALUE ? fr->pts : fr->best_effort_timestamp;
        char tc[64];
        timecode(o, k, tc, sizeof(tc));
        if (pts == AV_NOPTS_VALUE) {
            if (report(c, &ts_reports))
                fail_msg(c, "frame %" PRId64 " (%s) has no timestamp", k, tc);
        } else {
            int64_t idx = pts_to_index(c, &prog, pts);
            int64_t exact = av_rescale_q(k, (AVRational){o->fps_den, o->fps_num}, prog.tb);
            if (pts <= prev_pts) {
                if (report(c, &ts_reports))
                    fail_msg(c,
                             "frame %" PRId64 " (%s): pts %" PRId64 " is not after the previous pts %" PRId64,
                             k, tc, pts, prev_pts);
            } else if (idx != k) {
                if (report(c, &ts_reports))
                    fail_msg(c,
                             "frame %" PRId64 " (%s): pts %" PRId64 " (%d/%d) is frame %" PRId64 "'s time%s",
                             k, tc, pts, prog.tb.num, prog.tb.den, idx,
                             idx > k ? ": frames are missing before it" : "");
            } else if (llabs(pts - exact) > 1) {
                if (report(c, &ts_reports))
                    fail_msg(c,
                             "frame %" PRId64 " (%s): pts %" PRId64 " is not %" PRId64 " (= %" PRId64
                             " x %d/%d s)",
                             k, tc, pts, exact, k, o->fps_den, o->fps_num);
            }
            prev_pts = pts;
        }
        if (k < o->frames) {
            int64_t t = tick_ns(o, k);
            for (int j = 0; j < o->ncams; j++)
                if (!c->cams[j].failed && cam_advance(c, &c->cams[j], t) < 0) {
                    fail_msg(c, "camera %s could not be decoded up to frame %" PRId64, c->cams[j].name, k);
                    cam_fail = 1;
                }
            if (cam_fail) {
                ret = EXIT_FAILED;
                goto out;
            }
            if (pack_program_frame(c, fr, k) < 0) {
                ret = EXIT_FAILED;
                goto out;
            }
            check_frame(c, k, &frame_reports);
        }
        av_frame_unref(fr);
    }
    if (frame_reports > MAX_REPORTS)
        printf("      ... %d wrong frames in all\n", frame_reports);
    if (ts_reports > MAX_REPORTS)
        printf("      ... %d timestamp errors in all\n", ts_reports);
    printf("frames: %" PRId64 " decoded, %" PRId64 " expected: %s\n", k, o->frames,
           k == o->frames ? "ok" : "FAIL");
    if (k != o->frames)
        fail_msg(c, "the program has %" PRId64 " frames, expected %" PRId64, k, o->frames);
    printf("timestamps: %s\n", ts_reports ? "FAIL" : "ok (frame i at i/fps, strictly increasing, no gap)");
    if (o->gop)
        check_keyframes(c, &prog);
    if (o->cuts)
        check_cuts(c, k);

    printf("%-10s %8s %8s %8s %10s %10s  %s\n", "camera", "program", "ok", "wrong", o->exact ? "" : "min dB",
           o->exact ? "" : "mean dB", "source");
    for (int j = 0; j < o->ncams; j++) {
        const Cam *cam = &c->cams[j];
        char mn[32] = "", mean[32] = "";
        if (!o->exact && cam->expected_ticks) {
            snprintf(mn, sizeof(mn), "%.2f", cam->psnr_min);
            snprintf(mean, sizeof(mean), "%.2f", cam->psnr_sum / (double)cam->expected_ticks);
        }
        printf("%-10s %8" PRId64 " %8" PRId64 " %8" PRId64 " %10s %10s  %s\n", cam->name, cam->expected_ticks,
               cam->ok_ticks, cam->bad_ticks, mn, mean, cam->source);
        if (cam->backwards)
            printf("note: camera %s: %" PRId64 " frames went back in time\n", cam->name, cam->backwards);
    }
    ret = c->failures ? EXIT_FAILED : EXIT_PASS;
out:
    if (ret == EXIT_PASS)
        printf("PASS: %s: %" PRId64 " frames, %d cuts (start included), mode %s\n", o->program, o->frames,
               c->plan.nevents, o->exact ? "exact" : "psnr");
    else if (ret == EXIT_FAILED || c->failures)
        printf("FAIL: %s: %d failed check(s)\n", o->program ? o->program : "", c->failures ? c->failures : 1);
    prog_close(&prog);
    for (int k2 = 0; k2 < o->ncams; k2++) {
        cam_close(&c->cams[k2]);
        if (c->cams[k2].name)
            g_mutex_clear(&c->cams[k2].lock);
    }
    plan_free(&c->plan);
    g_free(c->scratch);
    return ret == EXIT_USAGE && c->failures ? EXIT_FAILED : ret;
}

int main(int argc, char **argv)
{
    Checker c;
    setvbuf(stdout, NULL, _IOLBF, 0); /* keep stdout and stderr in order in test logs */
    memset(&c, 0, sizeof(c));
    gst_init(NULL, NULL);
    av_log_set_level(AV_LOG_ERROR);
    int ret;
    if (parse_options(argc, argv, &c.opt) < 0) {
        usage(stderr);
        ret = EXIT_USAGE;
    } else if (c.opt.print_conform) {
        CapFormat fmt = {
            .width = c.opt.width, .height = c.opt.height, .rate = {c.opt.fps_num, c.opt.fps_den}};
        char *desc = cap_conform_description(&fmt);
        printf("%s\n", desc);
        g_free(desc);
        ret = EXIT_PASS;
    } else {
        ret = run(&c);
    }
    for (int k = 0; k < c.opt.ncams; k++) {
        g_free(c.opt.cam_names[k]);
        g_free(c.opt.cam_sources[k]);
    }
    gst_deinit();
    return ret;
}
