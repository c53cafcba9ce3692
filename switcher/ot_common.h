/* onetake: error codes and logging shared by every module.
 * Errors are negative ints: -errno values (ENOMEM, EINVAL, EIO, EEXIST, ENOENT...) or the OT_ERROR_* codes below. */
#ifndef OT_COMMON_H
#define OT_COMMON_H

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define OT_ERROR_EOF (-10001)     /* a stream ended: not a failure by itself */
#define OT_ERROR_CUES (-10002)    /* a cue list is invalid (details in SwCueError) */
#define OT_ERROR_SOURCE (-10003)  /* a camera source failed or is not usable */
#define OT_ERROR_CODEC (-10004)   /* an encoder or muxer failed */
#define OT_ERROR_STOPPED (-10005) /* the operation was interrupted by a stop request */
#define OT_ERROR_TAKE (-10006)    /* the take folder cannot be used (exists, holds a take...) */
#define OT_ERROR_SEGMENT_END (-10007) /* a source sought with a stop has given its frames up to it */

/* A short static description of an error code (ours or -errno). */
const char *ot_strerror(int err);

/* CLOCK_MONOTONIC now, in ns: the one clock of the roll, the ticks, live capture times and timings (GStreamer's
 * system clock is the same one). */
int64_t ot_mono_ns(void);

/* Write all of data to fd, retrying short writes and EINTR. 0 or -errno (ENOSPC, EIO...). */
int ot_write_all(int fd, const void *data, size_t len);

/* fsync the file or folder at path (opened read-only). 0 or -errno. */
int ot_fsync_path(const char *path);

/* Replace the file at path atomically and durably: path.tmp, written and fsynced, renamed over path, then its folder
 * fsynced, so that a reader or a crash sees the old file or the new one, never a mix. 0, or -errno with *what
 * (may be NULL) saying which step failed ("create", "write", "rename to", "sync the folder of"); path.tmp is
 * removed on failure. The one atomic file write of the project. */
int ot_file_replace(const char *path, const void *data, size_t len, const char **what);

/* Make room for need elements of elem bytes in *arr (capacity *cap, doubled from 16 as needed). 0 or -ENOMEM
 * (*arr untouched). */
int ot_array_grow(void **arr, int *cap, int need, size_t elem);

/* Levels follow FFmpeg's av_log levels so that both logs map 1:1. */
enum {
    OT_LOG_QUIET = -8,
    OT_LOG_ERROR = 16,
    OT_LOG_WARNING = 24,
    OT_LOG_INFO = 32,
    OT_LOG_VERBOSE = 40,
    OT_LOG_DEBUG = 48,
};

typedef void (*OtLogCallback)(int level, const char *module, const char *msg, void *opaque);

/* Log one message. module is a short tag ("capture", "mux", "cues"...). Thread-safe. */
void ot_log(int level, const char *module, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void ot_vlog(int level, const char *module, const char *fmt, va_list ap);
void ot_log_set_level(int level);
int ot_log_get_level(void);
/* Replace the sink (default: stderr as "onetake[module]: msg"). NULL restores the default. */
void ot_log_set_callback(OtLogCallback cb, void *opaque);

#endif
