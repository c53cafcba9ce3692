/* onetake archive: BagIt (RFC 8493) bags of takes, and their check. Layout: archive.h, docs/take-folder.md.
 *
 * Making a bag in place moves the take into DIR/data one top-level entry at a time with rename(2) (atomic per
 * entry, same file system: no byte is copied, nothing can be half-moved), and moves them back if anything
 * fails before the bag is complete. bagit.txt is written last, so a folder with data/ and no bagit.txt is an
 * interrupted archive, which a second run finishes. Making a bag at DEST copies the take there, hashing what
 * it reads, syncs each file and drops it from the page cache, then re-reads the copy against the hashes
 * before writing bagit.txt: a bad disk or a bad copy never becomes a bag.
 *
 * Hashing: SHA-256 through OpenSSL EVP, one context and one 1 MiB buffer reused for every file. */
#include "archive.h"
#include "ot_common.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <openssl/evp.h>

#include "mux.h"
#include "mux_mkv.h"
#include "ot_common.h"

#define ARCHIVE_BUF_SIZE (1 << 20)
/* The largest tag file (manifest, bag-info.txt) or checkpoints.txt read whole. */
#define ARCHIVE_TAG_MAX (64 * 1024 * 1024)
#define ARCHIVE_BAGIT_TEXT "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
#define ARCHIVE_SOFTWARE "onetake 0.1.0"
#define ARCHIVE_CKPT_ORIGIN                                                                                  \
    "onetake.take/" /* first line of a take log checkpoint (proof: C2SP signed note) */

/* ---- small helpers ---- */

int archive_is_bag(const char *dir)
{
    char *path = g_build_filename(dir, ARCHIVE_BAGIT_FILE, NULL);
    int is = g_file_test(path, G_FILE_TEST_IS_REGULAR);
    g_free(path);
    return is;
}

char *archive_bag_payload_dir(const char *dir)
{
    return archive_is_bag(dir) ? g_build_filename(dir, ARCHIVE_PAYLOAD_DIR, NULL) : g_strdup(dir);
}

static void hex(const uint8_t *bytes, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 15];
    }
    out[2 * n] = '\0';
}

/* RFC 8493 2.1.3: a file path in a manifest has CR, LF and % percent-encoded. */
static char *path_encode(const char *path)
{
    GString *s = g_string_new(NULL);
    for (const char *p = path; *p; p++) {
        if (*p == '%')
            g_string_append(s, "%25");
        else if (*p == '\n')
            g_string_append(s, "%0A");
        else if (*p == '\r')
            g_string_append(s, "%0D");
        else
            g_string_append_c(s, *p);
    }
    return g_string_free(s, FALSE);
}

static char *path_decode(const char *path)
{
    GString *s = g_string_new(NULL);
    for (const char *p = path; *p; p++) {
        if (p[0] == '%' && p[1] && p[2]) {
            if (!g_ascii_strncasecmp(p, "%25", 3)) {
                g_string_append_c(s, '%');
                p += 2;
                continue;
            }
            if (!g_ascii_strncasecmp(p, "%0A", 3)) {
                g_string_append_c(s, '\n');
                p += 2;
                continue;
            }
            if (!g_ascii_strncasecmp(p, "%0D", 3)) {
                g_string_append_c(s, '\r');
                p += 2;
                continue;
            }
        }
        g_string_append_c(s, *p);
    }
    return g_string_free(s, FALSE);
}

/* ---- progress ---- */

typedef struct Progress {
    int on;
    const char *what;
    int64_t done, total;
    gint64 last_us;
    int printed;
} Progress;

static void progress_start(Progress *p, int on, const char *what, int64_t total)
{
    p->on = on;
    p->what = what;
    p->done = 0;
    p->total = total;
    p->last_us = g_get_monotonic_time();
    p->printed = 0;
}

static void progress_print(Progress *p)
{
    fprintf(stderr, "archive: %s %.1f / %.1f MB (%d%%)\n", p->what, (double)p->done / 1e6,
            (double)p->total / 1e6, p->total > 0 ? (int)(p->done * 100 / p->total) : 100);
    p->printed = 1;
}

static void progress_add(Progress *p, int64_t n)
{
    gint64 now;
    p->done += n;
    if (!p->on)
        return;
    now = g_get_monotonic_time();
    if (now - p->last_us >= G_USEC_PER_SEC) {
        p->last_us = now;
        progress_print(p);
    }
}

/* The last line, when any was printed: a take that hashes in under a second prints nothing. */
static void progress_end(Progress *p)
{
    if (p->on && p->printed)
        progress_print(p);
}

/* ---- hashing ---- */

typedef struct Hasher {
    EVP_MD_CTX *ctx;
    EVP_MD *md;
    uint8_t *buf;
} Hasher;

static int hasher_init(Hasher *h)
{
    h->md = EVP_MD_fetch(NULL, "SHA256", NULL);
    h->ctx = EVP_MD_CTX_new();
    h->buf = g_malloc(ARCHIVE_BUF_SIZE);
    if (!h->md || !h->ctx) {
        ot_log(OT_LOG_ERROR, "archive", "OpenSSL has no SHA-256 here: install libssl3");
        return -ENOSYS;
    }
    return 0;
}

static void hasher_clear(Hasher *h)
{
    EVP_MD_CTX_free(h->ctx);
    EVP_MD_free(h->md);
    g_free(h->buf);
    memset(h, 0, sizeof(*h));
}

/* SHA-256 of the file at path; with copy_to, the bytes read are also written to that new file (O_EXCL), which
 * is synced and dropped from the page cache, so that re-reading it reads the disk. *what names the failing
 * step. */
static int hash_file(Hasher *h, const char *path, const char *copy_to, Progress *pr, uint8_t out[32],
                     int64_t *size, const char **what)
{
    int fd = -1, wfd = -1;
    struct stat sb;
    int64_t total = 0;
    int ret = 0;

    *what = "read";
    /* Never a symlink, FIFO or device: a take folder or bag from outside holds its own regular files. */
    fd = proof_file_open_regular(path, NULL);
    if (fd < 0) {
        ret = fd;
        goto out;
    }
    if (fstat(fd, &sb) < 0) {
        ret = -errno;
        goto out;
    }
    if (copy_to) {
        *what = "create";
        wfd = open(copy_to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, sb.st_mode & 0777);
        if (wfd < 0) {
            ret = -errno;
            goto out;
        }
    }
    posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    if (!EVP_DigestInit_ex(h->ctx, h->md, NULL)) {
        ret = -EIO;
        goto out;
    }
    for (;;) {
        *what = "read";
        ssize_t n = read(fd, h->buf, ARCHIVE_BUF_SIZE);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            ret = -errno;
            goto out;
        }
        if (n == 0)
            break;
        EVP_DigestUpdate(h->ctx, h->buf, (size_t)n);
        if (wfd >= 0) {
            *what = "write";
            ret = ot_write_all(wfd, h->buf, (size_t)n);
            if (ret)
                goto out;
        }
        total += n;
        progress_add(pr, n);
    }
    if (!EVP_DigestFinal_ex(h->ctx, out, NULL)) {
        ret = -EIO;
        goto out;
    }
    if (wfd >= 0) {
        *what = "sync";
        if (fdatasync(wfd) < 0) {
            ret = -errno;
            goto out;
        }
        posix_fadvise(wfd, 0, 0, POSIX_FADV_DONTNEED);
    }
    *size = total;
out:
    if (fd >= 0)
        close(fd);
    if (wfd >= 0 && close(wfd) < 0 && !ret) {
        *what = "close";
        ret = -errno;
    }
    return ret;
}

static void sha256_text(const char *text, size_t len, char out_hex[65])
{
    uint8_t md[32];
    EVP_Digest(text, len, md, NULL, EVP_sha256(), NULL);
    hex(md, 32, out_hex);
}

/* ---- the payload ---- */

typedef struct Entry {
    char *rel; /* path under the payload root, '/'-separated */
    int64_t size;
    uint8_t hash[32];
} Entry;

static void entries_free(GArray *entries)
{
    if (!entries)
        return;
    for (guint i = 0; i < entries->len; i++)
        g_free(g_array_index(entries, Entry, i).rel);
    g_array_free(entries, TRUE);
}

static int entry_cmp(const void *a, const void *b)
{
    return strcmp(((const Entry *)a)->rel, ((const Entry *)b)->rel);
}

/* Every regular file under root/rel, recursively. Anything else (a symbolic link, a device) is refused: a
 * take has none, and a bag must not point outside itself. */
static int list_files(const char *root, const char *rel, GArray *entries)
{
    char *dirpath = rel ? g_build_filename(root, rel, NULL) : g_strdup(root);
    GError *gerr = NULL;
    GDir *d = g_dir_open(dirpath, 0, &gerr);
    const char *name;
    int ret = 0;

    if (!d) {
        ot_log(OT_LOG_ERROR, "archive", "cannot read folder \"%s\": %s", dirpath, gerr->message);
        g_error_free(gerr);
        g_free(dirpath);
        return -EACCES;
    }
    while (!ret && (name = g_dir_read_name(d))) {
        char *sub = rel ? g_strconcat(rel, "/", name, NULL) : g_strdup(name);
        char *path = g_build_filename(root, sub, NULL);
        struct stat sb;
        if (lstat(path, &sb) < 0) {
            ret = -errno;
            ot_log(OT_LOG_ERROR, "archive", "cannot stat \"%s\": %s", path, ot_strerror(ret));
        } else if (S_ISDIR(sb.st_mode)) {
            ret = list_files(root, sub, entries);
        } else if (S_ISREG(sb.st_mode)) {
            Entry e = {.rel = sub, .size = sb.st_size};
            g_array_append_val(entries, e);
            sub = NULL;
        } else {
            ot_log(OT_LOG_ERROR, "archive",
                   "\"%s\" is not a regular file or folder (a link?): a bag holds files only; "
                   "replace it by the file it stands for or remove it",
                   path);
            ret = -EINVAL;
        }
        g_free(path);
        g_free(sub);
    }
    g_dir_close(d);
    g_free(dirpath);
    return ret;
}

static GArray *list_payload(const char *root, int *err)
{
    GArray *entries = g_array_new(FALSE, TRUE, sizeof(Entry));
    *err = list_files(root, NULL, entries);
    if (*err) {
        entries_free(entries);
        return NULL;
    }
    g_array_sort(entries, entry_cmp);
    return entries;
}

/* ---- tag files ---- */

static int write_tag(const char *bag, const char *name, const char *text)
{
    char *path = g_build_filename(bag, name, NULL);
    const char *what = "create";
    int ret = ot_file_replace(path, text, strlen(text), &what);

    if (ret)
        ot_log(OT_LOG_ERROR, "archive", "cannot %s \"%s\": %s: check the disk", what, path, ot_strerror(ret));
    g_free(path);
    return ret;
}

static char *manifest_text(GArray *entries)
{
    GString *s = g_string_new(NULL);
    char h[65];
    for (guint i = 0; i < entries->len; i++) {
        const Entry *e = &g_array_index(entries, Entry, i);
        char *enc = path_encode(e->rel);
        hex(e->hash, 32, h);
        g_string_append_printf(s, "%s  %s/%s\n", h, ARCHIVE_PAYLOAD_DIR, enc);
        g_free(enc);
    }
    return g_string_free(s, FALSE);
}

/* The last checkpoint of the take log: tree size and Merkle root (hex). 0 when found. */
static int last_checkpoint(const char *take_root, const char *take_id, int64_t *size, char root_hex[65])
{
    char *path = g_build_filename(take_root, PROOF_CHECKPOINTS_FILE, NULL);
    char *origin = g_strconcat(ARCHIVE_CKPT_ORIGIN, take_id, NULL);
    char *text = NULL;
    int found = -ENOENT;

    if (proof_file_read_regular(path, ARCHIVE_TAG_MAX, &text, NULL) == 0) {
        char **lines = g_strsplit(text, "\n", -1);
        for (int i = 0; lines[i] && lines[i + 1] && lines[i + 2]; i++) {
            gsize len = 0;
            guchar *raw;
            if (strcmp(lines[i], origin))
                continue;
            raw = g_base64_decode(lines[i + 2], &len);
            if (len == 32) {
                *size = g_ascii_strtoll(lines[i + 1], NULL, 10);
                hex(raw, 32, root_hex);
                found = 0;
            }
            g_free(raw);
        }
        g_strfreev(lines);
    }
    g_free(text);
    g_free(origin);
    g_free(path);
    return found;
}

/* ---- making a bag ---- */

typedef struct Status {
    const char *bag_status; /* "complete" or "partial" */
    char *why_partial;
    int has_log;
    char *log_station_keyid;
    char *finished; /* salvage: bag-info lines of the files finished in the bag, or NULL */
} Status;

/* complete: take.json says closed and, when there is a take log, it verifies and is closed. */
static int take_status(const char *dir, const char *take_root, const MuxTakeInfo *info, int salvage,
                       Status *st)
{
    char *log_path = g_build_filename(take_root, PROOF_LOG_FILE, NULL);
    int clean = !strcmp(info->status, "closed");

    if (!clean)
        st->why_partial = g_strdup_printf("take.json says \"%s\"%s", info->status,
                                          !strcmp(info->status, "recording") ? " (the recorder died?)" : "");
    st->has_log = g_file_test(log_path, G_FILE_TEST_EXISTS);
    if (st->has_log) {
        ProofVerdict v;
        proof_verdict_init(&v);
        ProofTake *t = proof_take_open(take_root, NULL, &v);
        int ok = t && v.status != PROOF_INVALID && v.status != PROOF_IO_ERROR;
        if (!ok || !proof_take_closed(t)) {
            clean = 0;
            if (!st->why_partial)
                st->why_partial =
                    ok ? g_strdup("the take log has no CLOSE record (no clean close)")
                       : g_strdup_printf("the take log does not verify: %s", v.what ? v.what : "unreadable");
        }
        st->log_station_keyid = g_strdup(v.station_keyid);
        proof_take_free(&t);
        proof_verdict_clear(&v);
    }
    g_free(log_path);
    st->bag_status = clean ? "complete" : "partial";
    if (!clean && !salvage) {
        ot_log(OT_LOG_ERROR, "archive",
               "the take in \"%s\" did not close cleanly: %s. Package it as a partial take with "
               "onetake archive %s --salvage",
               dir, st->why_partial, dir);
        return OT_ERROR_TAKE;
    }
    if (!clean)
        ot_log(OT_LOG_WARNING, "archive", "salvage: the bag says \"partial\": %s", st->why_partial);
    return 0;
}

/* Top-level names of a half-made bag that are ours to rewrite, not payload. */
static int is_tag_leftover(const char *name)
{
    static const char *const tags[] = {ARCHIVE_BAGIT_FILE, ARCHIVE_BAG_INFO_FILE, ARCHIVE_MANIFEST_FILE,
                                       ARCHIVE_TAGMANIFEST_FILE, ARCHIVE_SIGNATURE_FILE};
    for (size_t i = 0; i < G_N_ELEMENTS(tags); i++) {
        size_t n = strlen(tags[i]);
        if (!strncmp(name, tags[i], n) && (!name[n] || name[n] == '.'))
            return 1; /* the file or a temporary of it */
    }
    return 0;
}

/* In place: every top-level entry of dir but data/ goes into data/ by rename. *moved gets the names moved
 * (for rollback). */
static int move_in(const char *dir, const char *data, int resume, GPtrArray *moved)
{
    GError *gerr = NULL;
    GDir *d = g_dir_open(dir, 0, &gerr);
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    const char *name;
    int ret = 0;

    if (!d) {
        ot_log(OT_LOG_ERROR, "archive", "cannot read \"%s\": %s", dir, gerr->message);
        g_error_free(gerr);
        g_ptr_array_free(names, TRUE);
        return -EACCES;
    }
    while ((name = g_dir_read_name(d)))
        if (strcmp(name, ARCHIVE_PAYLOAD_DIR) && !(resume && is_tag_leftover(name)))
            g_ptr_array_add(names, g_strdup(name));
    g_dir_close(d);
    for (guint i = 0; i < names->len && !ret; i++) {
        char *from = g_build_filename(dir, names->pdata[i], NULL);
        char *to = g_build_filename(data, names->pdata[i], NULL);
        /* Never over something: rename(2) would replace a file of the same name. */
        if (g_file_test(to, G_FILE_TEST_EXISTS)) {
            ret = -EEXIST;
            ot_log(OT_LOG_ERROR, "archive",
                   "cannot move \"%s\" into the bag: \"%s\" exists; move one aside by hand "
                   "and run onetake archive again",
                   from, to);
        } else if (rename(from, to) < 0) {
            ret = -errno;
            ot_log(OT_LOG_ERROR, "archive", "cannot move \"%s\" to \"%s\": %s", from, to, ot_strerror(ret));
        } else {
            g_ptr_array_add(moved, g_strdup(names->pdata[i]));
        }
        g_free(from);
        g_free(to);
    }
    g_ptr_array_free(names, TRUE);
    if (!ret)
        ret = ot_fsync_path(data);
    if (!ret)
        ret = ot_fsync_path(dir);
    return ret;
}

static void move_back(const char *dir, const char *data, GPtrArray *moved)
{
    for (guint i = 0; i < moved->len; i++) {
        char *from = g_build_filename(data, moved->pdata[i], NULL);
        char *to = g_build_filename(dir, moved->pdata[i], NULL);
        if (rename(from, to) < 0)
            ot_log(OT_LOG_ERROR, "archive", "cannot move \"%s\" back to \"%s\": %s: move it by hand", from,
                   to, ot_strerror(-errno));
        g_free(from);
        g_free(to);
    }
    if (moved->len)
        ot_fsync_path(dir);
}

static char *bag_info_text(const ArchiveConfig *cfg, const MuxTakeInfo *info, const Status *st,
                           GArray *entries, const char *take_root)
{
    GString *s = g_string_new(NULL);
    GDateTime *now = g_date_time_new_now_utc();
    char *date = g_date_time_format(now, "%Y-%m-%d");
    int64_t bytes = 0;
    char root[65], kid[17];
    int64_t tree = 0;

    for (guint i = 0; i < entries->len; i++)
        bytes += g_array_index(entries, Entry, i).size;
    if (cfg->organization) {
        /* One line: a line break in the value would start a label of its own. */
        char *org = g_strdelimit(g_strdup(cfg->organization), "\r\n", ' ');
        g_string_append_printf(s, "Source-Organization: %s\n", org);
        g_free(org);
    }
    g_string_append_printf(s, "Bagging-Date: %s\n", date);
    g_string_append_printf(s, "Bag-Software-Agent: %s\n", ARCHIVE_SOFTWARE);
    g_string_append_printf(s, "External-Identifier: onetake-take-%s\n", info->take_id);
    g_string_append_printf(s, "Payload-Oxum: %" PRId64 ".%u\n", bytes, entries->len);
    g_string_append_printf(s, "Onetake-Take-Id: %s\n", info->take_id);
    g_string_append_printf(s, "Onetake-Status: %s\n", st->bag_status);
    g_string_append_printf(s, "Onetake-Take-Json-Status: %s\n", info->status);
    if (st->why_partial)
        g_string_append_printf(s, "Onetake-Partial-Reason: %s\n", st->why_partial);
    if (st->has_log && last_checkpoint(take_root, info->take_id, &tree, root) == 0) {
        g_string_append_printf(s, "Onetake-Merkle-Root: %s\n", root);
        g_string_append_printf(s, "Onetake-Merkle-Tree-Size: %" PRId64 "\n", tree);
    }
    if (st->log_station_keyid)
        g_string_append_printf(s, "Onetake-Take-Station-Key-Id: %s\n", st->log_station_keyid);
    if (st->finished)
        g_string_append(s, st->finished);
    if (cfg->key) {
        g_string_append_printf(s, "Onetake-Station-Key-Id: %s\n", proof_key_id_hex(cfg->key, kid));
        g_string_append_printf(s, "Onetake-Signature: %s\n", ARCHIVE_SIGNATURE_FILE);
    }
    g_free(date);
    g_date_time_unref(now);
    return g_string_free(s, FALSE);
}

/* Tag files, the signature, then bagit.txt: the bag exists only once everything it declares is there. */
static int write_tags(const ArchiveConfig *cfg, const char *bag, const char *manifest, const char *bag_info,
                      const MuxTakeInfo *info, const Status *st, int64_t bytes, guint files)
{
    char hb[65], hi[65], hm[65];
    char *tagmanifest;
    int ret;

    sha256_text(ARCHIVE_BAGIT_TEXT, strlen(ARCHIVE_BAGIT_TEXT), hb);
    sha256_text(bag_info, strlen(bag_info), hi);
    sha256_text(manifest, strlen(manifest), hm);
    tagmanifest = g_strdup_printf("%s  %s\n%s  %s\n%s  %s\n", hb, ARCHIVE_BAGIT_FILE, hi,
                                  ARCHIVE_BAG_INFO_FILE, hm, ARCHIVE_MANIFEST_FILE);
    ret = write_tag(bag, ARCHIVE_MANIFEST_FILE, manifest);
    if (!ret)
        ret = write_tag(bag, ARCHIVE_BAG_INFO_FILE, bag_info);
    if (!ret)
        ret = write_tag(bag, ARCHIVE_TAGMANIFEST_FILE, tagmanifest);
    g_free(tagmanifest);
    if (!ret && cfg->key) {
        char *tm = g_build_filename(bag, ARCHIVE_TAGMANIFEST_FILE, NULL);
        char *sig = g_build_filename(bag, ARCHIVE_SIGNATURE_FILE, NULL);
        char *tmp = g_strconcat(sig, ".tmp", NULL);
        /* Signed with the tag manifest: the take, its status and its size, so that the comment says what it
         * is. */
        char *comment = g_strdup_printf("onetake bag of take %s, %s, Payload-Oxum %" PRId64 ".%u",
                                        info->take_id, st->bag_status, bytes, files);
        unlink(tmp); /* a leftover of an interrupted run */
        ret = proof_minisign_sign_file(cfg->key, tm, tmp, comment);
        if (!ret && rename(tmp, sig) < 0) {
            ret = -errno;
            ot_log(OT_LOG_ERROR, "archive", "cannot rename \"%s\" to \"%s\": %s", tmp, sig, ot_strerror(ret));
        }
        if (ret)
            unlink(tmp);
        g_free(comment);
        g_free(tmp);
        g_free(sig);
        g_free(tm);
    }
    if (!ret)
        ret = write_tag(bag, ARCHIVE_BAGIT_FILE, ARCHIVE_BAGIT_TEXT);
    if (!ret)
        ret = ot_fsync_path(bag);
    return ret;
}

static void remove_tags(const char *bag)
{
    static const char *const tags[] = {ARCHIVE_BAGIT_FILE, ARCHIVE_BAG_INFO_FILE, ARCHIVE_MANIFEST_FILE,
                                       ARCHIVE_TAGMANIFEST_FILE, ARCHIVE_SIGNATURE_FILE};
    for (size_t i = 0; i < G_N_ELEMENTS(tags); i++) {
        char *path = g_build_filename(bag, tags[i], NULL);
        unlink(path);
        g_free(path);
    }
}

static int64_t total_size(GArray *entries)
{
    int64_t n = 0;
    for (guint i = 0; i < entries->len; i++)
        n += g_array_index(entries, Entry, i).size;
    return n;
}

static int hash_entries(Hasher *h, const char *root, GArray *entries, int progress)
{
    Progress pr;
    int ret = 0;

    progress_start(&pr, progress, "hashing", total_size(entries));
    for (guint i = 0; i < entries->len && !ret; i++) {
        Entry *e = &g_array_index(entries, Entry, i);
        char *path = g_build_filename(root, e->rel, NULL);
        const char *what;
        ret = hash_file(h, path, NULL, &pr, e->hash, &e->size, &what);
        if (ret)
            ot_log(OT_LOG_ERROR, "archive", "cannot %s \"%s\": %s", what, path, ot_strerror(ret));
        g_free(path);
    }
    progress_end(&pr);
    return ret;
}

/* DEST: copy every file (hashing what is read), then re-read the copy against those hashes. */
static int copy_entries(Hasher *h, const char *root, const char *data, GArray *entries, int progress)
{
    Progress pr;
    int ret = 0;

    progress_start(&pr, progress, "copying", total_size(entries));
    for (guint i = 0; i < entries->len && !ret; i++) {
        Entry *e = &g_array_index(entries, Entry, i);
        char *from = g_build_filename(root, e->rel, NULL);
        char *to = g_build_filename(data, e->rel, NULL);
        char *parent = g_path_get_dirname(to);
        const char *what = "create the folder of";
        if (g_mkdir_with_parents(parent, 0755) < 0)
            ret = -errno;
        else
            ret = hash_file(h, from, to, &pr, e->hash, &e->size, &what);
        if (ret)
            ot_log(OT_LOG_ERROR, "archive",
                   "cannot %s \"%s\" (copying \"%s\"): %s: check the disk of the --out "
                   "folder",
                   what, !strcmp(what, "read") ? from : to, from, ot_strerror(ret));
        g_free(parent);
        g_free(from);
        g_free(to);
    }
    progress_end(&pr);
    if (ret)
        return ret;

    progress_start(&pr, progress, "verifying the copy", total_size(entries));
    for (guint i = 0; i < entries->len && !ret; i++) {
        const Entry *e = &g_array_index(entries, Entry, i);
        char *path = g_build_filename(data, e->rel, NULL);
        uint8_t got[32];
        int64_t size = 0;
        const char *what;
        ret = hash_file(h, path, NULL, &pr, got, &size, &what);
        if (ret) {
            ot_log(OT_LOG_ERROR, "archive", "cannot %s the copy \"%s\": %s", what, path, ot_strerror(ret));
        } else if (size != e->size || memcmp(got, e->hash, 32)) {
            ot_log(OT_LOG_ERROR, "archive",
                   "the copy \"%s\" does not read back as the original (%s): the disk of "
                   "the --out folder is failing; archive to another disk",
                   path, size != e->size ? "size differs" : "SHA-256 differs");
            ret = -EIO;
        }
        g_free(path);
    }
    progress_end(&pr);
    return ret;
}

/* 0 when dest is missing (then created) or an empty folder, and not inside dir (the take would change). */
static int prepare_dest(const char *dir, const char *dest)
{
    char *cdir = g_canonicalize_filename(dir, NULL);
    char *cdest = g_canonicalize_filename(dest, NULL);
    char *prefix = g_strconcat(cdir, "/", NULL);
    int inside = !strcmp(cdir, cdest) || g_str_has_prefix(cdest, prefix);
    GDir *d;
    int empty;

    g_free(prefix);
    g_free(cdir);
    g_free(cdest);
    if (inside) {
        ot_log(OT_LOG_ERROR, "archive", "--out %s is inside the take folder %s: give a folder outside it",
               dest, dir);
        return -EINVAL;
    }

    if (!g_file_test(dest, G_FILE_TEST_EXISTS)) {
        if (g_mkdir_with_parents(dest, 0755) < 0) {
            int ret = -errno;
            ot_log(OT_LOG_ERROR, "archive",
                   "cannot create \"%s\": %s: choose an --out folder you can write to", dest, ot_strerror(ret));
            return ret;
        }
        return 0;
    }
    d = g_dir_open(dest, 0, NULL);
    if (!d) {
        ot_log(OT_LOG_ERROR, "archive",
               "\"%s\" exists and is not a folder that can be read: give a new --out "
               "folder",
               dest);
        return -ENOTDIR;
    }
    empty = g_dir_read_name(d) == NULL;
    g_dir_close(d);
    if (!empty) {
        ot_log(OT_LOG_ERROR, "archive", "\"%s\" is not empty: give a new or empty --out folder", dest);
        return -EEXIST;
    }
    return 0;
}

static int finish_copies(Hasher *h, const char *data, GArray *entries, Status *st);

int archive_make(const ArchiveConfig *cfg)
{
    char *data = NULL, *take_root = NULL, *bag = NULL, *bag_data = NULL;
    char *manifest = NULL, *bag_info = NULL;
    MuxTakeInfo *info = NULL;
    GArray *entries = NULL;
    GPtrArray *moved = g_ptr_array_new_with_free_func(g_free);
    Status st = {0};
    Hasher h = {0};
    int resume = 0;
    int ret;

    if (!cfg || !cfg->dir)
        return -EINVAL;
    if (archive_is_bag(cfg->dir)) {
        ot_log(OT_LOG_ERROR, "archive", "\"%s\" is already a bag: check it with onetake archive --check %s",
               cfg->dir, cfg->dir);
        ret = -EEXIST;
        goto out;
    }
    data = g_build_filename(cfg->dir, ARCHIVE_PAYLOAD_DIR, NULL);
    resume = g_file_test(data, G_FILE_TEST_IS_DIR);
    if (resume && cfg->dest) {
        ot_log(OT_LOG_ERROR, "archive",
               "\"%s\" is an interrupted archive in place (data/ and no bagit.txt): finish "
               "it first with onetake archive %s",
               cfg->dir, cfg->dir);
        ret = OT_ERROR_TAKE;
        goto out;
    }
    {
        char *in_data = g_build_filename(data, MUX_TAKE_JSON_FILE, NULL);
        take_root = g_strdup(resume && g_file_test(in_data, G_FILE_TEST_EXISTS) ? data : cfg->dir);
        g_free(in_data);
    }
    info = mux_take_info_load(take_root);
    if (!info) {
        ret = -ENOENT; /* not a take: said by mux_take_info_load */
        goto out;
    }
    if (resume)
        ot_log(OT_LOG_WARNING, "archive", "\"%s\" holds an interrupted archive: finishing it", cfg->dir);
    ret = take_status(cfg->dir, take_root, info, cfg->salvage, &st);
    if (ret)
        goto out;
    ret = hasher_init(&h);
    if (ret)
        goto out;

    if (!cfg->dest) {
        bag = g_strdup(cfg->dir);
        if (!resume && g_mkdir(data, 0755) < 0) {
            ret = -errno;
            ot_log(OT_LOG_ERROR, "archive", "cannot create \"%s\": %s", data, ot_strerror(ret));
            goto out;
        }
        if (!strcmp(st.bag_status, "partial"))
            ot_log(OT_LOG_WARNING, "archive", "salvage in place: the Matroska files stay in their streaming form "
                   "(the bag is the take); give --out DEST to finish copies in the bag");
        ret = move_in(cfg->dir, data, resume, moved);
        if (!ret && !(entries = list_payload(data, &ret)))
            goto fail_in_place;
        if (!ret)
            ret = hash_entries(&h, data, entries, cfg->progress);
        if (ret)
            goto fail_in_place;
        /* take.log and checkpoints.txt moved with the rest. */
        g_free(take_root);
        take_root = g_strdup(data);
    } else {
        bag = g_strdup(cfg->dest);
        ret = prepare_dest(cfg->dir, cfg->dest);
        if (ret)
            goto out;
        bag_data = g_build_filename(cfg->dest, ARCHIVE_PAYLOAD_DIR, NULL);
        if (!(entries = list_payload(take_root, &ret)))
            goto out;
        ret = copy_entries(&h, take_root, bag_data, entries, cfg->progress);
        if (!ret && !strcmp(st.bag_status, "partial"))
            ret = finish_copies(&h, bag_data, entries, &st);
        if (ret) {
            ot_log(OT_LOG_ERROR, "archive", "\"%s\" is not a bag (no bagit.txt): remove it and archive again",
                   cfg->dest);
            goto out;
        }
    }

    manifest = manifest_text(entries);
    bag_info = bag_info_text(cfg, info, &st, entries, take_root);
    ret = write_tags(cfg, bag, manifest, bag_info, info, &st, total_size(entries), entries->len);
    if (ret) {
        remove_tags(bag);
        if (!cfg->dest)
            goto fail_in_place;
        goto out;
    }
    printf("bag %s: take %s, %s, %u files, %.1f MB%s\n", bag, info->take_id, st.bag_status, entries->len,
           (double)total_size(entries) / 1e6, cfg->key ? ", signed" : ", NOT signed");
    goto out;

fail_in_place:
    /* Leave the take as it was. After an interrupted run (resume) the earlier moves are not known: data/
     * stays. */
    move_back(cfg->dir, data, moved);
    if (!resume && rmdir(data) < 0)
        ot_log(OT_LOG_WARNING, "archive", "cannot remove \"%s\": %s: check what is left in it", data,
               ot_strerror(-errno));
out:
    hasher_clear(&h);
    entries_free(entries);
    g_ptr_array_free(moved, TRUE);
    mux_take_info_free(&info);
    g_free(st.why_partial);
    g_free(st.log_station_keyid);
    g_free(st.finished);
    g_free(manifest);
    g_free(bag_info);
    g_free(bag_data);
    g_free(bag);
    g_free(take_root);
    g_free(data);
    return ret;
}

/* Salvage into DEST: the copies of a crashed take's Matroska files are finished in the bag (mux_mkv.h: the torn
 * tail after the last complete cluster cut, Cues appended, the header's reserved bytes patched), the originals
 * stay as they are. bag-info.txt records, per file, the streamed copy's size and SHA-256 and every patched range
 * (offset, length, bytes before and after), so that the streaming form the take log attests can be rebuilt. */
static int finish_copies(Hasher *h, const char *data, GArray *entries, Status *st)
{
    GString *s = g_string_new(NULL);
    Progress pr;
    int ret = 0;

    progress_start(&pr, 0, "hashing", 0);
    for (guint i = 0; i < entries->len && !ret; i++) {
        Entry *e = &g_array_index(entries, Entry, i);
        MuxMkvPatch p[MUX_MKV_MAX_PATCHES];
        int np = 0;
        int64_t cues = 0, size = 0, old_size = e->size;
        char old_hash[65];
        const char *what;
        if (strcmp(e->rel, MUX_TAKE_PROGRAM_FILE) && !(g_str_has_prefix(e->rel, "iso/") && g_str_has_suffix(e->rel, ".mkv")))
            continue;
        char *path = g_build_filename(data, e->rel, NULL);
        hex(e->hash, 32, old_hash);
        if (mux_mkv_finish_file(path, 0, p, &np, &cues, &size) == 0) {
            g_string_append_printf(s, "Onetake-Salvage-Finished: %s streamed-size=%" PRId64 " streamed-sha256=%s "
                                   "cues=%" PRId64 " size=%" PRId64, e->rel, old_size, old_hash, cues, size);
            for (int k = 0; k < np; k++) {
                char *b = g_malloc((size_t)p[k].len * 2 + 1), *a = g_malloc((size_t)p[k].len * 2 + 1);
                hex(p[k].before, (size_t)p[k].len, b);
                hex(p[k].after, (size_t)p[k].len, a);
                g_string_append_printf(s, " patch=%" PRId64 ":%d:%s:%s", p[k].off, p[k].len, b, a);
                g_free(b);
                g_free(a);
            }
            g_string_append_c(s, '\n');
            ret = hash_file(h, path, NULL, &pr, e->hash, &e->size, &what);
            if (ret)
                ot_log(OT_LOG_ERROR, "archive", "cannot %s \"%s\": %s", what, path, strerror(-ret));
            else
                printf("salvage: %s finished in the bag (Cues at byte %" PRId64 ", %" PRId64 " bytes)\n", e->rel,
                       cues, size);
        }
        g_free(path);
    }
    progress_end(&pr);
    st->finished = s->len ? g_string_free(s, FALSE) : (g_string_free(s, TRUE), NULL);
    return ret;
}

/* ---- checking a bag ---- */

static int check_fail(ArchiveCheck *res, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int check_fail(ArchiveCheck *res, const char *fmt, ...)
{
    va_list ap;
    if (!res->failure) {
        va_start(ap, fmt);
        res->failure = g_strdup_vprintf(fmt, ap);
        va_end(ap);
    }
    res->valid = 0;
    return 1;
}

void archive_check_clear(ArchiveCheck *res)
{
    if (!res)
        return;
    g_free(res->failure);
    g_free(res->take_id);
    g_free(res->status);
    g_free(res->key_id);
    memset(res, 0, sizeof(*res));
}

/* Labels of bag-info.txt (continuation lines folded in). */
static GHashTable *parse_bag_info(const char *text)
{
    GHashTable *t = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    char **lines = g_strsplit(text, "\n", -1);
    char *last = NULL;

    for (int i = 0; lines[i]; i++) {
        char *line = lines[i];
        char *colon;
        g_strchomp(line);
        if (!*line)
            continue;
        if ((*line == ' ' || *line == '\t') && last) {
            char *v = g_hash_table_lookup(t, last);
            char *joined = g_strconcat(v ? v : "", " ", g_strstrip(line), NULL);
            g_hash_table_replace(t, g_strdup(last), joined);
            continue;
        }
        colon = strchr(line, ':');
        if (!colon)
            continue;
        *colon = '\0';
        g_free(last);
        last = g_strdup(g_strstrip(line));
        g_hash_table_replace(t, g_strdup(last), g_strdup(g_strstrip(colon + 1)));
    }
    g_free(last);
    g_strfreev(lines);
    return t;
}

typedef struct ManifestLine {
    char *path; /* decoded, relative to the bag */
    uint8_t hash[32];
} ManifestLine;

static void manifest_free(GArray *m)
{
    if (!m)
        return;
    for (guint i = 0; i < m->len; i++)
        g_free(g_array_index(m, ManifestLine, i).path);
    g_array_free(m, TRUE);
}

/* A manifest's lines; NULL (with res->failure) when one is not "SHA256  path". */
static GArray *parse_manifest(const char *name, const char *text, ArchiveCheck *res)
{
    GArray *m = g_array_new(FALSE, TRUE, sizeof(ManifestLine));
    char **lines = g_strsplit(text, "\n", -1);

    for (int i = 0; lines[i]; i++) {
        char *line = lines[i];
        size_t n;
        ManifestLine ml = {0};
        if (!*line && !lines[i + 1])
            break; /* after the last newline */
        if (line[0] && line[strlen(line) - 1] == '\r')
            line[strlen(line) - 1] = '\0';
        n = strspn(line, "0123456789abcdefABCDEF");
        if (n != 64 || (line[64] != ' ' && line[64] != '\t')) {
            check_fail(res, "%s line %d is not \"SHA256  path\"", name, i + 1);
            goto fail;
        }
        char digits[65];
        memcpy(digits, line, 64);
        digits[64] = '\0';
        if (proof_unhex(digits, ml.hash, 32) < 0) {
            check_fail(res, "%s line %d: bad hex", name, i + 1);
            goto fail;
        }
        line += 64;
        line += strspn(line, " \t");
        ml.path = path_decode(line);
        g_array_append_val(m, ml);
    }
    g_strfreev(lines);
    return m;
fail:
    g_strfreev(lines);
    manifest_free(m);
    return NULL;
}

/* A manifest path: relative, no empty, "." or ".." component. */
static int safe_path(const char *path)
{
    char **parts;
    int ok = *path && *path != '/';
    if (!ok)
        return 0;
    parts = g_strsplit(path, "/", -1);
    for (int i = 0; parts[i] && ok; i++)
        ok = *parts[i] && strcmp(parts[i], ".") && strcmp(parts[i], "..");
    g_strfreev(parts);
    return ok;
}

static int verify_file(Hasher *h, const char *bag, const char *rel, const uint8_t want[32], Progress *pr,
                       int64_t *size, ArchiveCheck *res)
{
    char *path = g_build_filename(bag, rel, NULL);
    uint8_t got[32];
    const char *what;
    struct stat sb;
    int ret;

    int fd = proof_take_file_open(bag, rel, NULL); /* no symlinked folder on the way either */
    if (fd >= 0)
        close(fd);
    if (fd < 0 || lstat(path, &sb) < 0 || !S_ISREG(sb.st_mode)) {
        g_free(path);
        if (fd == -ENOENT)
            return check_fail(res, "%s is listed in the manifest but missing", rel);
        return check_fail(res, "%s is listed in the manifest but cannot be checked: %s", rel,
                          fd < 0 ? proof_file_why(fd) : "it is not a regular file");
    }
    ret = hash_file(h, path, NULL, pr, got, size, &what);
    g_free(path);
    if (ret)
        return check_fail(res, "%s cannot be read: %s", rel, proof_file_why(ret));
    if (memcmp(got, want, 32))
        return check_fail(res, "%s: SHA-256 differs from the manifest (the file changed after bagging)", rel);
    return 0;
}

/* A tag file of a bag from outside: regular, not followed, bounded (a manifest line is about 100 bytes a
 * file). */
static int read_tag(const char *path, char **text)
{
    return proof_file_read_regular(path, ARCHIVE_TAG_MAX, text, NULL);
}

static const char *const check_tag_names[] = {ARCHIVE_TAGMANIFEST_FILE, ARCHIVE_SIGNATURE_FILE};

static int check_signature(const char *bag, GHashTable *info, const ProofKey *pub, ArchiveCheck *res)
{
    char *sig = g_build_filename(bag, ARCHIVE_SIGNATURE_FILE, NULL);
    char *tm = g_build_filename(bag, ARCHIVE_TAGMANIFEST_FILE, NULL);
    const char *named = g_hash_table_lookup(info, "Onetake-Station-Key-Id");
    ProofKey *def = NULL;
    const ProofKey *key = pub;
    int bad = 0;

    res->key_id = g_strdup(named);
    if (!g_file_test(sig, G_FILE_TEST_EXISTS)) {
        res->signature = -1;
        if (named)
            bad = check_fail(res, "%s is missing: bag-info.txt says the bag is signed by key %s",
                             ARCHIVE_SIGNATURE_FILE, named);
        goto out;
    }
    if (!key) {
        /* The station's own key when it is the one bag-info names: QA pins theirs with --pubkey. */
        char *path = proof_key_default_path();
        char *pubpath = g_strconcat(path, ".pub", NULL);
        char kid[17];
        if (named && g_file_test(pubpath, G_FILE_TEST_EXISTS) && (def = proof_key_load_public(pubpath)) &&
            !strcmp(proof_key_id_hex(def, kid), named))
            key = def;
        g_free(pubpath);
        g_free(path);
    }
    if (!key) {
        res->signature = 0;
        goto out;
    }
    char kid[17];
    const char *why = NULL;
    int v = proof_minisign_verify_file(key, tm, sig, NULL, &why);
    if (v < 0)
        bad = check_fail(res, "%s cannot be read: %s", ARCHIVE_SIGNATURE_FILE, ot_strerror(v));
    else if (v == 0)
        bad = check_fail(res, "%s: the tag manifest's signature is not valid for key %s: %s",
                         ARCHIVE_SIGNATURE_FILE, proof_key_id_hex(key, kid), why ? why : "bad signature");
    else if (named && strcmp(named, proof_key_id_hex(key, kid)))
        bad = check_fail(res, "bag-info.txt names key %s but the bag is signed by %s", named, kid);
    else
        res->signature = 1;
out:
    proof_key_free(&def);
    g_free(sig);
    g_free(tm);
    return bad;
}

int archive_check(const char *bag, const ProofKey *pub, int progress, ArchiveCheck *res)
{
    char *text = NULL, *path = NULL, *data = NULL;
    GHashTable *info = NULL, *listed = NULL;
    GArray *manifest = NULL, *tagman = NULL, *payload = NULL;
    Hasher h = {0};
    Progress pr;
    int ret = 0; /* negative: no bag or no means to check; else the verdict is res->valid */

    memset(res, 0, sizeof(*res));
    res->signature = -1;
    res->valid = 1;

    /* bagit.txt */
    path = g_build_filename(bag, ARCHIVE_BAGIT_FILE, NULL);
    if (read_tag(path, &text) < 0) {
        res->valid = 0;
        res->failure = g_strdup_printf("%s is missing: not a bag", ARCHIVE_BAGIT_FILE);
        ret = -ENOENT;
        goto out;
    }
    if (!strstr(text, "BagIt-Version: ") || !strstr(text, "Tag-File-Character-Encoding: UTF-8")) {
        check_fail(res, "%s does not declare BagIt-Version and UTF-8", ARCHIVE_BAGIT_FILE);
        goto out;
    }
    if (hasher_init(&h) < 0) {
        ret = -ENOSYS;
        goto out;
    }

    /* bag-info.txt */
    g_clear_pointer(&text, g_free);
    g_free(path);
    path = g_build_filename(bag, ARCHIVE_BAG_INFO_FILE, NULL);
    if (read_tag(path, &text) < 0) {
        check_fail(res, "%s is missing", ARCHIVE_BAG_INFO_FILE);
        goto out;
    }
    info = parse_bag_info(text);
    res->take_id = g_strdup(g_hash_table_lookup(info, "Onetake-Take-Id"));
    res->status = g_strdup(g_hash_table_lookup(info, "Onetake-Status"));

    /* The tag manifest, then: no tag file outside it. */
    g_clear_pointer(&text, g_free);
    g_free(path);
    path = g_build_filename(bag, ARCHIVE_TAGMANIFEST_FILE, NULL);
    if (read_tag(path, &text) < 0) {
        check_fail(res, "%s is missing", ARCHIVE_TAGMANIFEST_FILE);
        goto out;
    }
    if (!(tagman = parse_manifest(ARCHIVE_TAGMANIFEST_FILE, text, res)))
        goto out;
    listed = g_hash_table_new(g_str_hash, g_str_equal);
    progress_start(&pr, 0, "", 0);
    for (guint i = 0; i < tagman->len; i++) {
        const ManifestLine *ml = &g_array_index(tagman, ManifestLine, i);
        int64_t size;
        if (!safe_path(ml->path) || g_str_has_prefix(ml->path, ARCHIVE_PAYLOAD_DIR "/") ||
            !strcmp(ml->path, ARCHIVE_TAGMANIFEST_FILE)) {
            check_fail(res, "%s lists \"%s\", which is not a tag file", ARCHIVE_TAGMANIFEST_FILE, ml->path);
            goto out;
        }
        if (verify_file(&h, bag, ml->path, ml->hash, &pr, &size, res)) {
            /* Say which tag file: an edited bag-info.txt is the usual case. */
            g_free(res->failure);
            res->failure = g_strdup_printf("tag file %s does not match %s (edited or missing after bagging)",
                                           ml->path, ARCHIVE_TAGMANIFEST_FILE);
            goto out;
        }
        g_hash_table_add(listed, ml->path);
    }
    {
        GDir *d = g_dir_open(bag, 0, NULL);
        const char *name;
        while (d && (name = g_dir_read_name(d))) {
            int ours = !strcmp(name, ARCHIVE_PAYLOAD_DIR) || g_hash_table_contains(listed, name);
            for (size_t k = 0; k < G_N_ELEMENTS(check_tag_names); k++)
                ours |= !strcmp(name, check_tag_names[k]);
            if (!ours) {
                check_fail(res, "%s is not covered by %s: a file added after bagging", name,
                           ARCHIVE_TAGMANIFEST_FILE);
                break;
            }
        }
        if (d)
            g_dir_close(d);
        if (!res->valid)
            goto out;
    }
    for (size_t k = 0; k < 3; k++) {
        static const char *const needed[] = {ARCHIVE_BAGIT_FILE, ARCHIVE_BAG_INFO_FILE,
                                             ARCHIVE_MANIFEST_FILE};
        if (!g_hash_table_contains(listed, needed[k])) {
            check_fail(res, "%s does not list %s", ARCHIVE_TAGMANIFEST_FILE, needed[k]);
            goto out;
        }
    }

    /* The signature of the tag manifest: authenticity before gigabytes of hashing. */
    if (check_signature(bag, info, pub, res))
        goto out;

    /* The manifest against the payload: no file missing, none added. */
    g_clear_pointer(&text, g_free);
    g_free(path);
    path = g_build_filename(bag, ARCHIVE_MANIFEST_FILE, NULL);
    if (read_tag(path, &text) < 0) {
        check_fail(res, "%s is missing", ARCHIVE_MANIFEST_FILE);
        goto out;
    }
    if (!(manifest = parse_manifest(ARCHIVE_MANIFEST_FILE, text, res)))
        goto out;
    g_hash_table_remove_all(listed);
    for (guint i = 0; i < manifest->len; i++) {
        const ManifestLine *ml = &g_array_index(manifest, ManifestLine, i);
        if (!safe_path(ml->path) || !g_str_has_prefix(ml->path, ARCHIVE_PAYLOAD_DIR "/")) {
            check_fail(res, "%s lists \"%s\", which is not under %s/", ARCHIVE_MANIFEST_FILE, ml->path,
                       ARCHIVE_PAYLOAD_DIR);
            goto out;
        }
        if (g_hash_table_contains(listed, ml->path)) {
            check_fail(res, "%s lists %s twice", ARCHIVE_MANIFEST_FILE, ml->path);
            goto out;
        }
        g_hash_table_add(listed, ml->path);
    }
    data = g_build_filename(bag, ARCHIVE_PAYLOAD_DIR, NULL);
    if (!g_file_test(data, G_FILE_TEST_IS_DIR)) {
        check_fail(res, "%s/ is missing", ARCHIVE_PAYLOAD_DIR);
        goto out;
    }
    {
        int err = 0;
        if (!(payload = list_payload(data, &err))) {
            check_fail(res, "%s/ cannot be listed: %s", ARCHIVE_PAYLOAD_DIR, ot_strerror(err));
            goto out;
        }
    }
    for (guint i = 0; i < payload->len; i++) {
        char *rel = g_strconcat(ARCHIVE_PAYLOAD_DIR "/", g_array_index(payload, Entry, i).rel, NULL);
        int known = g_hash_table_contains(listed, rel);
        if (!known)
            check_fail(res, "%s is not in %s: a file added after bagging", rel, ARCHIVE_MANIFEST_FILE);
        g_free(rel);
        if (!known)
            goto out;
    }
    {
        const char *oxum = g_hash_table_lookup(info, "Payload-Oxum");
        int64_t want_bytes = -1, want_files = -1;
        if (oxum)
            sscanf(oxum, "%" SCNd64 ".%" SCNd64, &want_bytes, &want_files);
        if (oxum && want_files != (int64_t)manifest->len) {
            check_fail(res, "Payload-Oxum says %" PRId64 " files, %s lists %u", want_files,
                       ARCHIVE_MANIFEST_FILE, manifest->len);
            goto out;
        }
        progress_start(&pr, progress, "checking", want_bytes > 0 ? want_bytes : 0);
        for (guint i = 0; i < manifest->len; i++) {
            const ManifestLine *ml = &g_array_index(manifest, ManifestLine, i);
            int64_t size = 0;
            if (verify_file(&h, bag, ml->path, ml->hash, &pr, &size, res))
                goto out;
            res->files++;
            res->bytes += size;
        }
        progress_end(&pr);
        if (oxum && want_bytes != res->bytes) {
            check_fail(res, "Payload-Oxum says %" PRId64 " bytes, the payload has %" PRId64, want_bytes,
                       res->bytes);
            goto out;
        }
    }
    /* The bag is the take it says it is. */
    {
        MuxTakeInfo *ti = NULL;
        char *tj = g_build_filename(data, MUX_TAKE_JSON_FILE, NULL);
        if (g_file_test(tj, G_FILE_TEST_EXISTS))
            ti = mux_take_info_load(data);
        g_free(tj);
        if (res->take_id && (!ti || strcmp(ti->take_id, res->take_id)))
            check_fail(res, "bag-info.txt names take %s but %s/%s %s", res->take_id, ARCHIVE_PAYLOAD_DIR,
                       MUX_TAKE_JSON_FILE, ti ? "is another take" : "is missing or unreadable");
        mux_take_info_free(&ti);
    }

out:
    if (ret == 0)
        ret = res->valid ? 0 : 1;
    hasher_clear(&h);
    manifest_free(manifest);
    manifest_free(tagman);
    entries_free(payload);
    if (listed)
        g_hash_table_destroy(listed);
    if (info)
        g_hash_table_destroy(info);
    g_free(text);
    g_free(path);
    g_free(data);
    return ret;
}
