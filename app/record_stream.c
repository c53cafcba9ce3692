/* onetake record: program out live (record_stream.h). */
#include "record_stream.h"

#include <stdio.h>
#include <string.h>

#include "ot_common.h"

#define RECORD_STREAM_WAIT_MAX_MS 120000
#define RECORD_STREAM_QUEUE_MIN_MS 200
#define RECORD_STREAM_QUEUE_MAX_MS 30000

const GOptionEntry *record_stream_entries(RecordStream *s)
{
    const GOptionEntry e[] = {
        {"stream", 0, 0, G_OPTION_ARG_STRING_ARRAY, &s->urls,
         "Send the program live as it records, its own H.264 packets (no second encode): "
         "srt://HOST:PORT?mode=caller|listener (MPEG-TS), udp://HOST:PORT (MPEG-TS), rtmp://HOST/APP/KEY (FLV), or "
         "a new .ts or .flv file; repeatable. Video only",
         "URL"},
        {"stream-optional", 0, 0, G_OPTION_ARG_NONE, &s->optional,
         "A --stream that cannot be opened at the start keeps trying in the background instead of refusing the "
         "take", NULL},
        {"stream-wait", 0, 0, G_OPTION_ARG_INT, &s->wait_ms,
         "How long the start waits for each --stream to connect (an SRT listener for its caller; default 10000)",
         "MS"},
        {"stream-queue", 0, 0, G_OPTION_ARG_INT, &s->queue_ms,
         "Media each --stream may hold before it drops whole GOPs (default 2000)", "MS"},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    G_STATIC_ASSERT(G_N_ELEMENTS(e) <= G_N_ELEMENTS(s->entries));
    memcpy(s->entries, e, sizeof(e));
    return s->entries;
}

int record_stream_check(RecordStream *s, MuxCodec codec)
{
    s->n = s->urls ? (int)g_strv_length(s->urls) : 0;
    if (!s->n) {
        if (s->optional || s->wait_ms || s->queue_ms) {
            ot_log(OT_LOG_ERROR, "record", "--stream-optional, --stream-wait and --stream-queue need a --stream URL");
            return -EINVAL;
        }
        return 0;
    }
    if (s->n > MUX_STREAM_MAX) {
        ot_log(OT_LOG_ERROR, "record", "%d --stream outputs: at most %d", s->n, MUX_STREAM_MAX);
        return -EINVAL;
    }
    if (codec != MUX_CODEC_H264) {
        ot_log(OT_LOG_ERROR, "record", "--stream sends the program's own H.264 packets: record with --codec h264 "
               "(MPEG-TS and FLV do not carry FFV1)");
        return -EINVAL;
    }
    if (s->wait_ms < 0 || s->wait_ms > RECORD_STREAM_WAIT_MAX_MS) {
        ot_log(OT_LOG_ERROR, "record", "--stream-wait %d: give milliseconds from 1 to %d", s->wait_ms,
               RECORD_STREAM_WAIT_MAX_MS);
        return -EINVAL;
    }
    if (s->queue_ms && (s->queue_ms < RECORD_STREAM_QUEUE_MIN_MS || s->queue_ms > RECORD_STREAM_QUEUE_MAX_MS)) {
        ot_log(OT_LOG_ERROR, "record", "--stream-queue %d: give milliseconds from %d to %d", s->queue_ms,
               RECORD_STREAM_QUEUE_MIN_MS, RECORD_STREAM_QUEUE_MAX_MS);
        return -EINVAL;
    }
    for (int i = 0; i < s->n; i++) {
        const char *why = NULL;
        if (!mux_stream_format(s->urls[i], &why)) {
            ot_log(OT_LOG_ERROR, "record", "--stream %s: %s", s->urls[i], why);
            return -EINVAL;
        }
        if (!strstr(s->urls[i], "://") && g_file_test(s->urls[i], G_FILE_TEST_EXISTS)) {
            ot_log(OT_LOG_ERROR, "record", "--stream %s: the file exists: onetake never overwrites a recording; "
                   "give a new file", s->urls[i]);
            return -EINVAL;
        }
    }
    return 0;
}

const MuxStreamConfig *record_stream_config(RecordStream *s, const char *take_id, const char *genesis)
{
    if (!s->n)
        return NULL;
    s->cfg = (MuxStreamConfig){
        .urls = (const char *const *)s->urls,
        .nurls = s->n,
        .optional = s->optional,
        .queue_ms = s->queue_ms,
        .open_timeout_ms = s->wait_ms,
        .take_id = take_id,
        .genesis = genesis,
    };
    return &s->cfg;
}

void record_stream_print_summary(const MuxOutputStats *program)
{
    for (int i = 0; i < program->nstreams; i++) {
        const MuxStreamStats *st = &program->streams[i];
        printf("  stream %d: %s (%s): %" G_GINT64_FORMAT " packets, %.1f MB sent, %" G_GINT64_FORMAT
               " GOPs (%" G_GINT64_FORMAT " frames) dropped, %" G_GINT64_FORMAT " reconnects, latency %.1f ms "
               "median, %.1f ms max\n",
               i + 1, st->url, st->format, st->packets, (double)st->bytes / 1e6, st->gops_dropped,
               st->frames_dropped, st->reconnects, st->latency_median_ms, st->latency_max_ms);
    }
}

void record_stream_free(RecordStream *s)
{
    g_strfreev(s->urls);
    s->urls = NULL;
}
