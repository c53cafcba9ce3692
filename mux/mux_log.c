/* onetake mux: FFmpeg's av_log routed into ot_log (module "ffmpeg").
 *
 * libav* log from any thread (x264's threads included) and often in pieces: a line may arrive as several
 * calls, only the last ending in '\n'. Each thread keeps its own partial line (thread-local, so no lock is
 * needed here; ot_log is thread-safe) and hands complete lines to ot_log. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <libavutil/log.h>

#include "mux.h"
#include "ot_common.h"

#define MUX_LOG_LINE 1024

static _Thread_local char line_buf[MUX_LOG_LINE];
static _Thread_local size_t line_len;
static _Thread_local int line_level = OT_LOG_DEBUG;
static _Thread_local int print_prefix = 1; /* av_log_format_line2's state: the next piece starts a line */

/* Errors and warnings keep their level. FFmpeg's info is library chatter (x264's banner and end-of-encode
 * statistics, per encoder): it goes to verbose, so that onetake's info level stays the operator's. */
static int map_level(int av_level)
{
    if (av_level <= AV_LOG_ERROR)
        return OT_LOG_ERROR; /* panic, fatal, error */
    if (av_level <= AV_LOG_WARNING)
        return OT_LOG_WARNING;
    if (av_level <= AV_LOG_VERBOSE)
        return OT_LOG_VERBOSE; /* info, verbose */
    return OT_LOG_DEBUG;       /* debug, trace */
}

static void emit_line(void)
{
    while (line_len > 0 && (line_buf[line_len - 1] == '\n' || line_buf[line_len - 1] == '\r'))
        line_len--;
    line_buf[line_len] = '\0';
    if (line_len > 0)
        ot_log(line_level, "ffmpeg", "%s", line_buf);
    line_len = 0;
    line_level = OT_LOG_DEBUG;
}

static void av_log_to_ot(void *avcl, int level, const char *fmt, va_list vl)
{
    char piece[MUX_LOG_LINE];
    int ot_level = map_level(level);
    int n;

    if (level < 0 || ot_level > ot_log_get_level())
        return; /* AV_LOG_QUIET, or filtered before the formatting cost */
    n = av_log_format_line2(avcl, level, fmt, vl, piece, sizeof(piece), &print_prefix);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof(piece))
        n = (int)sizeof(piece) - 1; /* truncated */
    /* A line takes the most severe level of its pieces. */
    if (ot_level < line_level)
        line_level = ot_level;
    for (int i = 0; i < n; i++) {
        if (line_len < sizeof(line_buf) - 1)
            line_buf[line_len++] = piece[i];
        if (piece[i] == '\n' || line_len == sizeof(line_buf) - 1) {
            emit_line();
            if (piece[i] != '\n')
                line_level = ot_level; /* the rest of an over-long line */
        }
    }
}

void mux_init_logging(void)
{
    /* FFmpeg consults its own level before costly debug work, so keep it in step (the scales are the same);
     * the callback filters on ot_log's level, which may change later. */
    av_log_set_level(ot_log_get_level());
    av_log_set_callback(av_log_to_ot);
}
