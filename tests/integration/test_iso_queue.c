/* test_iso_queue OUT_DIR: the ISO writers' two queue policies, on frames made here (no capture).
 *
 * - lockstep: a full queue blocks the program thread: every tick is written, nothing dropped.
 * - real time: the program thread never waits for an ISO: with a one-frame queue and frames pushed faster
 *   than FFV1 encodes them, some are dropped; the sink takes a fraction of lockstep's time; every dropped
 *   tick is declared once through on_drop (on the ISO's mux thread); frames + dropped = ticks; the file holds
 *   exactly the frames written, each at its own tick's pts (a drop leaves a gap, never a shift).
 * Ends with zero live frames. Exit 0 pass, 1 fail. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <libavformat/avformat.h>

#include "mux.h"
#include "ot_common.h"
#include "ot_frame.h"

#define TICKS 90
#define W 320
#define H 180

static int failures;

#define CHECK(cond, ...)                                                                                     \
    do {                                                                                                     \
        if (!(cond)) {                                                                                       \
            printf("FAIL: " __VA_ARGS__);                                                                    \
            printf("\n");                                                                                    \
            failures++;                                                                                      \
        }                                                                                                    \
    } while (0)

typedef struct Drops {
    int64_t ticks[TICKS];
    int n;
} Drops;

/* On the ISO's mux thread; read by main after mux_iso_finish has joined it. */
static void on_drop(void *opaque, int cam, int64_t first, int64_t count)
{
    Drops *d = opaque;
    for (int64_t t = first; cam == 0 && t < first + count && d->n < TICKS; t++)
        d->ticks[d->n++] = t;
}

/* A frame whose pixels say its tick (noise, so that FFV1 has work to do). */
static OtFrame *make_frame(int64_t tick)
{
    OtFrame *f = ot_frame_alloc_buffer(W, H, OT_PIX_I420);
    uint32_t x = (uint32_t)tick * 2654435761u + 1;
    for (int p = 0; p < 3; p++)
        for (int y = 0; y < ot_frame_plane_height(f, p); y++)
            for (int i = 0; i < ot_frame_plane_width(f, p); i++) {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                f->data[p][y * f->linesize[p] + i] = (uint8_t)x;
            }
    return f;
}

/* Packets of the ISO and their frame indices (pts in ms at 30 fps). */
static int read_pts(const char *path, int64_t *idx, int max)
{
    AVFormatContext *fmt = NULL;
    AVPacket *pkt = av_packet_alloc();
    int n = 0;
    if (avformat_open_input(&fmt, path, NULL, NULL) < 0 || avformat_find_stream_info(fmt, NULL) < 0) {
        av_packet_free(&pkt);
        return -1;
    }
    AVRational tb = fmt->streams[0]->time_base;
    while (av_read_frame(fmt, pkt) >= 0) {
        if (n < max)
            idx[n] = av_rescale_q_rnd(pkt->pts, tb, (AVRational){1, 30}, AV_ROUND_NEAR_INF);
        n++;
        av_packet_unref(pkt);
    }
    av_packet_free(&pkt);
    avformat_close_input(&fmt);
    return n;
}

/* Returns the time the program thread spent in the sink, in us. */
static int64_t run(const char *out, int realtime, int64_t lockstep_us)
{
    char *dir = g_build_filename(out, realtime ? "realtime" : "lockstep", NULL);
    const char *cams[] = {"cam"};
    Drops drops = {0};
    MuxIsoConfig cfg = {
        .dir = dir,
        .cams = cams,
        .ncams = 1,
        .codec = MUX_CODEC_FFV1,
        .width = W,
        .height = H,
        .rate = {30, 1},
        .take_id = "0123456789abcdef0123456789abcdef",
        .timecode = "00:00:00:00",
        .queue_len = 1,
        .realtime = realtime,
        .on_drop = on_drop,
        .on_drop_opaque = &drops,
    };
    OtFrame *frames[TICKS];
    int64_t total_us = 0;
    char *path = g_build_filename(dir, "iso", "cam.mkv", NULL);
    char *iso_dir = g_build_filename(dir, "iso", NULL);

    /* The outputs of an earlier run (an ISO is never overwritten). */
    g_unlink(path);
    g_rmdir(iso_dir);
    g_mkdir_with_parents(dir, 0755);
    for (int64_t t = 0; t < TICKS; t++)
        frames[t] = make_frame(t);
    MuxIso *iso = mux_iso_alloc(&cfg);
    CHECK(iso, "%s: mux_iso_alloc failed", dir);
    if (!iso)
        goto out;
    SwSink sink = mux_iso_sink(iso);
    for (int64_t t = 0; t < TICKS; t++) {
        gint64 t0 = g_get_monotonic_time();
        int ret = sink.camera_frame(sink.opaque, 0, t, frames[t], 0);
        total_us += g_get_monotonic_time() - t0;
        if (realtime)
            g_usleep(2000); /* ticks faster than the encoder, but not all at once: some frames get through */
        CHECK(ret == 0, "%s: tick %d: camera_frame returned %d", dir, (int)t, ret);
    }
    CHECK(mux_iso_finish(iso) == 0, "%s: mux_iso_finish failed", dir);
    MuxIsoStats st;
    mux_iso_get_stats(iso, 0, &st);
    mux_iso_free(&iso);

    int64_t idx[TICKS];
    int n = read_pts(path, idx, TICKS);
    printf("%s: %d ticks, %d written, %d dropped, %d us in the sink, %d packets in the file\n",
           realtime ? "real time" : "lockstep", TICKS, (int)st.frames, (int)st.dropped, (int)total_us, n);
    CHECK(st.frames + st.dropped == TICKS, "frames %d + dropped %d != %d ticks", (int)st.frames,
          (int)st.dropped, TICKS);
    CHECK(n == st.frames, "the file has %d packets, %d frames were written", n, (int)st.frames);
    CHECK(drops.n == st.dropped, "on_drop declared %d ticks for %d drops", drops.n, (int)st.dropped);
    if (realtime) {
        CHECK(st.dropped > 0, "no frame dropped with a one-frame queue: the test did not fill the queue");
        /* Lockstep waits for every encode; real time must not: a fraction of that, whatever the machine. */
        CHECK(total_us * 4 < lockstep_us,
              "real time spent %d us in the sink, lockstep %d: the program thread "
              "waited for the ISO",
              (int)total_us, (int)lockstep_us);
    } else {
        CHECK(st.dropped == 0, "lockstep dropped %d frames", (int)st.dropped);
    }
    /* Frame k of the ISO is at tick k's pts: the ticks in the file are exactly those not dropped. */
    int di = 0, fi = 0;
    for (int64_t t = 0; t < TICKS && fi <= n; t++) {
        if (di < drops.n && drops.ticks[di] == t) {
            di++;
            continue;
        }
        CHECK(fi < n && idx[fi] == t, "packet %d is at frame %d, expected tick %d", fi,
              fi < n ? (int)idx[fi] : -1, (int)t);
        fi++;
    }
out:
    for (int64_t t = 0; t < TICKS; t++)
        ot_frame_unref(&frames[t]);
    g_free(path);
    g_free(iso_dir);
    g_free(dir);
    return total_us;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_iso_queue OUT_DIR\n");
        return 2;
    }
    av_log_set_level(AV_LOG_ERROR);
    int64_t lockstep_us = run(argv[1], 0, 0);
    run(argv[1], 1, lockstep_us);
    CHECK(ot_frame_live_count() == 0, "%d frames still alive", (int)ot_frame_live_count());
    printf("%s\n", failures ? "FAIL" : "ok: ISO queues block in lockstep, drop and declare in real time");
    return failures ? 1 : 0;
}
