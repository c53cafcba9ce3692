/* onetake proof: reading a take folder that somebody else made. A take folder may hold a FIFO (opening it
 * would wait forever), a symlink out of the folder, /dev/zero, a sparse file of many gigabytes or a JSON text
 * nested a million deep. Everything the verifier, replay and archive read from it comes through here: opened
 * without following symlinks and without blocking, refused unless it is a regular file, read up to a bound
 * the caller knows (the size the log recorded, or a format's own limit), never beyond. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>

#include "ot_common.h"
#include "proof.h"
#include "proof_json.h"

static int open_regular_at(int dirfd, const char *name, int64_t *size)
{
    struct stat sb;
    int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return errno == ELOOP || errno == EMLINK ? -ELOOP : -errno;
    if (fstat(fd, &sb) < 0) {
        int err = -errno;
        close(fd);
        return err;
    }
    if (!S_ISREG(sb.st_mode)) {
        int err = S_ISDIR(sb.st_mode) ? -EISDIR : -EINVAL;
        close(fd);
        return err;
    }
    if (size)
        *size = (int64_t)sb.st_size;
    return fd;
}

int proof_file_open_regular(const char *path, int64_t *size)
{
    return open_regular_at(AT_FDCWD, path, size);
}

int proof_take_file_open(const char *dir, const char *rel, int64_t *size)
{
    char **parts;
    int dfd, ret = -EPERM;
    guint n;

    if (!rel || !*rel || rel[0] == '/')
        return -EPERM;
    parts = g_strsplit(rel, "/", -1);
    n = g_strv_length(parts);
    for (guint i = 0; i < n; i++)
        if (!*parts[i] || !strcmp(parts[i], ".") || !strcmp(parts[i], "..")) {
            g_strfreev(parts);
            return -EPERM;
        }
    dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) {
        ret = -errno;
        goto out;
    }
    /* Every folder on the way is the take's own: a symlinked folder is not followed either. */
    for (guint i = 0; i + 1 < n; i++) {
        int next = openat(dfd, parts[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        int err = errno;
        struct stat st;
        /* O_NOFOLLOW with O_DIRECTORY says ENOTDIR for a symlink too: tell it from a file in its place. */
        if (next < 0 && err == ENOTDIR && fstatat(dfd, parts[i], &st, AT_SYMLINK_NOFOLLOW) == 0 &&
            S_ISLNK(st.st_mode))
            err = ELOOP;
        close(dfd);
        dfd = next;
        if (dfd < 0) {
            ret = -err;
            goto out;
        }
    }
    ret = open_regular_at(dfd, parts[n - 1], size);
out:
    if (dfd >= 0)
        close(dfd);
    g_strfreev(parts);
    return ret;
}

/* Read what fstat said (at most max), not a byte more, even when the file grows meanwhile. */
static int read_bounded(int fd, int64_t size, int64_t max, char **data, size_t *len)
{
    char *buf;
    size_t got = 0;

    if (size > max) {
        close(fd);
        return -EFBIG;
    }
    buf = g_try_malloc((gsize)size + 1);
    if (!buf) {
        close(fd);
        return -ENOMEM;
    }
    while (got < (size_t)size) {
        ssize_t r = read(fd, buf + got, (size_t)size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int err = -errno;
            g_free(buf);
            close(fd);
            return err;
        }
        if (r == 0)
            break; /* shrank meanwhile: what is there */
        got += (size_t)r;
    }
    close(fd);
    buf[got] = 0;
    *data = buf;
    if (len)
        *len = got;
    return 0;
}

int proof_take_file_read(const char *dir, const char *rel, int64_t max, char **data, size_t *len)
{
    int64_t size = 0;
    int fd = proof_take_file_open(dir, rel, &size);
    *data = NULL;
    if (fd < 0)
        return fd;
    return read_bounded(fd, size, max, data, len);
}

int proof_file_read_regular(const char *path, int64_t max, char **data, size_t *len)
{
    int64_t size = 0;
    int fd = proof_file_open_regular(path, &size);
    *data = NULL;
    if (fd < 0)
        return fd;
    return read_bounded(fd, size, max, data, len);
}

const char *proof_file_why(int err)
{
    switch (err) {
    case -ELOOP:
        return "it is a symbolic link (never followed: a take folder holds its own files)";
    case -EINVAL:
        return "it is not a regular file (a FIFO, a device or a socket)";
    case -EISDIR:
        return "it is a folder, not a file";
    case -EFBIG:
        return "it is larger than a take can make it";
    case -EPERM:
        return "its path leaves the take folder";
    case -ENOTDIR:
        return "a folder on its path is not a folder";
    case -ENOENT:
        return "it is missing";
    default:
        return ot_strerror(err);
    }
}

int proof_file_refused(int err)
{
    return err == -ELOOP || err == -EINVAL || err == -EISDIR || err == -EFBIG || err == -EPERM ||
           err == -ENOTDIR;
}

/* ---- JSON from outside ---- */

int proof_json_depth_ok(const char *text, size_t len, int max_depth)
{
    int depth = 0, in_string = 0;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (in_string) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_string = 0;
        } else if (c == '"') {
            in_string = 1;
        } else if (c == '[' || c == '{') {
            if (++depth > max_depth)
                return 0;
        } else if (c == ']' || c == '}') {
            depth--;
        }
    }
    return 1;
}

int proof_json_load(JsonParser *parser, const char *text, size_t len)
{
    /* json-glib parses recursively: a deep enough text overflows the stack before it is rejected. */
    if (!proof_json_depth_ok(text, len, PROOF_JSON_MAX_DEPTH) || len > G_MAXSSIZE)
        return -EINVAL;
    return json_parser_load_from_data(parser, text, (gssize)len, NULL) ? 0 : -EINVAL;
}
