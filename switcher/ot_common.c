/* onetake: error strings and the process-wide log. */
#include "ot_common.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

const char *ot_strerror(int err)
{
    switch (err) {
    case 0:
        return "success";
    case OT_ERROR_EOF:
        return "end of stream";
    case OT_ERROR_CUES:
        return "invalid cue list";
    case OT_ERROR_SOURCE:
        return "camera source failed";
    case OT_ERROR_CODEC:
        return "encoder or muxer failed";
    case OT_ERROR_STOPPED:
        return "stopped";
    case OT_ERROR_TAKE:
        return "take folder cannot be used";
    case OT_ERROR_SEGMENT_END:
        return "end of the sought segment";
    default:
        break;
    }
    if (err < 0 && err > -4096) {
        /* strerrordesc_np returns a static string: thread-safe, unlike strerror. */
        const char *s = strerrordesc_np(-err);
        if (s)
            return s;
    }
    return "unknown error";
}

int64_t ot_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int ot_fsync_path(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    int ret = 0;
    if (fd < 0)
        return -errno;
    if (fsync(fd) < 0)
        ret = -errno;
    close(fd);
    return ret;
}

/* fsync the folder that holds path (a rename is durable only once its folder is). */
static int fsync_parent(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
    if (!dir)
        return -ENOMEM;
    int ret = ot_fsync_path(dir);
    free(dir);
    return ret;
}

int ot_file_replace(const char *path, const void *data, size_t len, const char **what)
{
    const char *step = "create";
    size_t n = strlen(path);
    char *tmp = malloc(n + 5);
    int ret = 0;

    if (!tmp)
        return -ENOMEM;
    memcpy(tmp, path, n);
    memcpy(tmp + n, ".tmp", 5);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        ret = -errno;
        goto out;
    }
    step = "write";
    ret = ot_write_all(fd, data, len);
    if (!ret && fsync(fd) < 0)
        ret = -errno;
    if (close(fd) < 0 && !ret)
        ret = -errno;
    if (!ret) {
        step = "rename to";
        if (rename(tmp, path) < 0)
            ret = -errno;
    }
    if (ret) {
        unlink(tmp);
        goto out;
    }
    step = "sync the folder of";
    ret = fsync_parent(path);
out:
    free(tmp);
    if (what)
        *what = step;
    return ret;
}

/* Protects the sink (callback + opaque) and serialises writes so lines never interleave. */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_int log_level = OT_LOG_INFO;
static OtLogCallback log_cb;
static void *log_opaque;
/* Set while this thread runs the sink: a callback that logs falls back to stderr instead of deadlocking. */
static _Thread_local int log_in_sink;

static void log_default(const char *module, const char *msg)
{
    fprintf(stderr, "onetake[%s]: %s\n", module ? module : "?", msg);
}

void ot_vlog(int level, const char *module, const char *fmt, va_list ap)
{
    if (level > atomic_load_explicit(&log_level, memory_order_relaxed) || level <= OT_LOG_QUIET)
        return;

    char small[1024];
    char *msg = small;
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    if (n < 0) {
        va_end(ap2);
        return;
    }
    if ((size_t)n >= sizeof(small)) {
        char *big = malloc((size_t)n + 1);
        if (big) {
            vsnprintf(big, (size_t)n + 1, fmt, ap2);
            msg = big;
        } /* else: log the truncated text rather than nothing */
    }
    va_end(ap2);

    /* One line per message: the sink adds the newline. */
    size_t len = strlen(msg);
    while (len > 0 && msg[len - 1] == '\n')
        msg[--len] = '\0';

    if (log_in_sink) {
        log_default(module, msg);
    } else {
        pthread_mutex_lock(&log_lock);
        log_in_sink = 1;
        if (log_cb)
            log_cb(level, module, msg, log_opaque);
        else
            log_default(module, msg);
        log_in_sink = 0;
        pthread_mutex_unlock(&log_lock);
    }
    if (msg != small)
        free(msg);
}

void ot_log(int level, const char *module, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ot_vlog(level, module, fmt, ap);
    va_end(ap);
}

void ot_log_set_level(int level)
{
    atomic_store(&log_level, level);
}

int ot_log_get_level(void)
{
    return atomic_load(&log_level);
}

void ot_log_set_callback(OtLogCallback cb, void *opaque)
{
    pthread_mutex_lock(&log_lock);
    log_cb = cb;
    log_opaque = cb ? opaque : NULL;
    pthread_mutex_unlock(&log_lock);
}

int ot_write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int ot_array_grow(void **arr, int *cap, int need, size_t elem)
{
    if (need <= *cap)
        return 0;
    int ncap = *cap ? *cap * 2 : 16;
    while (ncap < need)
        ncap *= 2;
    void *n = realloc(*arr, (size_t)ncap * elem);
    if (!n)
        return -ENOMEM;
    *arr = n;
    *cap = ncap;
    return 0;
}
