/* onetake mux: the executed cuts for post (layout: docs/take-folder.md, "cuts.edl" and "cuts.otio").
 *
 * Both lists are made from cuts.jsonl, not from memory: the log is the executed record (synced per event), so
 * a take's lists, a replay's and any made later from a salvaged take say the same thing. A cut becomes one
 * shot from its frame to the next event's frame (the end, or the frame count when the take has no end); a
 * shot of no frames (two cuts at one tick: the last one wins) is left out. Each list is written shot by shot
 * as it is made (one shot in memory, whatever the take's length) into a temporary file of the take folder,
 * fsynced and renamed over the list: a reader or a crash sees the old list or the new one.
 *
 * - cuts.edl, CMX3600: one event per shot, record in/out = program timecode, source in/out = the same,
 * because ISO frame k is take frame k (the ISOs carry the take's start timecode). Reels from camera names,
 * clip names and source files in the comments that most editors read ("* FROM CLIP NAME:", "* SOURCE FILE:").
 * - cuts.otio, OpenTimelineIO JSON: Timeline > Stack > one video Track of Clips, each an ExternalReference to
 * what it shows (the ISO file), source_range in frames at the program rate. Clip.1 schema: every OTIO release
 * reads it (newer ones upgrade it to Clip.2 on load).
 *
 * Without ISOs the clips reference the camera sources as given; their source range is then take time, which
 * is the source file's own time from its first frame (file sources start at take frame 0). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "mux.h"
#include "mux_trans.h"
#include "ot_common.h"
#include "proof.h"
#include "proof_json.h"

#define EDL_TITLE_MAX 70 /* CMX3600 title field */

/* ---- cuts.jsonl ---- */

static const char *obj_string(JsonObject *o, const char *key)
{
    JsonNode *n = json_object_get_member(o, key);
    if (!n || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING)
        return NULL;
    return json_node_get_string(n);
}

static int obj_int(JsonObject *o, const char *key, int64_t *v)
{
    JsonNode *n = json_object_get_member(o, key);
    if (!n || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64)
        return -ENOENT;
    *v = json_node_get_int(n);
    return 0;
}

/* One line (len bytes, no newline) into ev. NULL on success, else what is wrong with it. */
static const char *parse_event(JsonParser *parser, const char *line, gssize len, const char *const *cams,
                               int ncams, MuxCutEvent *ev)
{
    JsonNode *root;
    JsonObject *o;
    const char *type, *camera;
    int64_t frame, cam, v;

    if (proof_json_load(parser, line, (size_t)len) < 0)
        return "not JSON (or nested deeper than a cut event is)";
    root = json_parser_get_root(parser);
    if (!root || !JSON_NODE_HOLDS_OBJECT(root))
        return "not a JSON object";
    o = json_node_get_object(root);
    type = obj_string(o, "type");
    if (!type || (strcmp(type, "cut") && strcmp(type, "end")))
        return "\"type\" is not \"cut\" or \"end\"";
    if (obj_int(o, "frame", &frame) < 0 || frame < 0)
        return "no \"frame\"";
    if (obj_int(o, "cam", &cam) < 0 || cam < 0 || cam >= ncams)
        return "\"cam\" is not one of the take's cameras";
    camera = obj_string(o, "camera");
    if (camera && strcmp(camera, cams[cam]))
        return "\"camera\" does not name camera \"cam\" of the take";
    const char *bad_trans = mux_trans_json_read(o, &ev->trans);
    if (bad_trans)
        return bad_trans;
    ev->end = !strcmp(type, "end");
    ev->frame = frame;
    ev->cam = (int)cam;
    ev->origin = g_strdup(obj_string(o, "origin") ? obj_string(o, "origin") : "?");
    ev->cue_line = obj_int(o, "cue_line", &v) == 0 && v > 0 && v <= INT32_MAX ? (int)v : 0;
    ev->label = g_strdup(obj_string(o, "label"));
    return NULL;
}

MuxCutLog *mux_cut_log_load(const char *path, const char *const *cams, int ncams)
{
    MuxCutLog *log;
    JsonParser *parser;
    char *text = NULL, *line, *nl;
    size_t size = 0;
    ssize_t len;
    int lineno = 0, nalloc = 0;
    /* A cut list from outside: a regular file (no symlink, FIFO or device), at most MUX_CUTS_MAX bytes. */
    int err = proof_file_read_regular(path, MUX_CUTS_MAX, &text, &size);

    if (err < 0) {
        ot_log(OT_LOG_ERROR, "cuts", "cannot read \"%s\": %s", path, proof_file_why(err));
        return NULL;
    }
    log = g_new0(MuxCutLog, 1);
    parser = json_parser_new();
    for (line = text; log && line < text + size; line += len) {
        MuxCutEvent ev = {0};
        const char *what;
        nl = memchr(line, '\n', (size_t)(text + size - line));
        len = nl ? nl - line + 1 : text + size - line;
        lineno++;
        if (line[len - 1] != '\n') { /* the last line, torn by a power loss */
            ot_log(OT_LOG_WARNING, "cuts", "\"%s\": the last line has no newline (a torn write): ignored",
                   path);
            break;
        }
        if (len == 1)
            continue;
        what = log->ended ? "an event after the end" : parse_event(parser, line, len - 1, cams, ncams, &ev);
        if (!what && log->nevents == 0 && (ev.end || ev.frame != 0))
            what = "the first event is not the camera on program at frame 0";
        if (!what && log->nevents > 0 && ev.frame < log->events[log->nevents - 1].frame)
            what = "frames go backwards";
        if (what) {
            ot_log(OT_LOG_ERROR, "cuts", "%s:%d: %s: not a cut log written by onetake", path, lineno, what);
            g_free(ev.origin); /* parsed but refused: not in events */
            g_free(ev.label);
            mux_cut_log_free(&log);
            break;
        }
        if (log->nevents == nalloc) {
            nalloc = nalloc ? 2 * nalloc : 64;
            log->events = g_renew(MuxCutEvent, log->events, nalloc);
        }
        log->events[log->nevents++] = ev;
        log->ended = ev.end;
    }
    if (log && log->nevents == 0) {
        ot_log(OT_LOG_ERROR, "cuts", "\"%s\" holds no event: the take never started", path);
        mux_cut_log_free(&log);
    }
    g_object_unref(parser);
    g_free(text);
    return log;
}

void mux_cut_log_free(MuxCutLog **plog)
{
    MuxCutLog *log = plog ? *plog : NULL;

    if (!log)
        return;
    for (int i = 0; i < log->nevents; i++) {
        g_free(log->events[i].origin);
        g_free(log->events[i].label);
    }
    g_free(log->events);
    g_free(log);
    *plog = NULL;
}

/* ---- shots ---- */

typedef struct Shot {
    int64_t in, out; /* program frames [in, out) */
    const MuxCutEvent *ev;
} Shot;

/* The log's shots one at a time, empty ones left out: the next from event *next on into sh, 0 when there is
 * none left. */
static int next_shot(const MuxCutLog *log, int64_t frames, int *next, Shot *sh)
{
    while (*next < log->nevents) {
        const MuxCutEvent *ev = &log->events[(*next)++];
        int64_t out;
        if (ev->end)
            break;
        out = *next < log->nevents ? log->events[*next].frame : frames;
        if (out > ev->frame) {
            *sh = (Shot){.in = ev->frame, .out = out, .ev = ev};
            return 1;
        }
    }
    *next = log->nevents;
    return 0;
}

/* ---- reels ---- */

static int reel_taken(char (*reels)[9], int n, const char *reel)
{
    if (!strcmp(reel, "BL") || !strcmp(reel, "AX")) /* CMX: black and auxiliary source */
        return 1;
    for (int i = 0; i < n; i++)
        if (!strcmp(reels[i], reel))
            return 1;
    return 0;
}

void mux_cutlist_reels(const char *const *cams, int ncams, char (*reels)[9])
{
    for (int i = 0; i < ncams; i++) {
        char base[9] = "";
        int len = 0;
        for (const char *p = cams[i]; *p && len < 8; p++)
            base[len++] = g_ascii_isalnum(*p) ? g_ascii_toupper(*p) : '_';
        base[len] = '\0';
        if (!len)
            len = (int)g_strlcpy(base, "CAM", sizeof(base));
        memcpy(reels[i], base, sizeof(base));
        /* Truncation can make two names one reel ("handheld1", "handheld2"): number the later ones. */
        for (int k = 1; reel_taken(reels, i, reels[i]) && k < 1000000; k++) {
            char num[8];
            int nl = snprintf(num, sizeof(num), "%d", k);
            int keep = len + nl > 8 ? 8 - nl : len;
            memcpy(reels[i], base, (size_t)keep);
            memcpy(reels[i] + keep, num, (size_t)nl + 1);
        }
    }
}

/* ---- writing ---- */

/* A list being written: into a temporary file of the take folder, fsynced and renamed over the list once
 * complete, so that a reader or a crash sees the old list or the new one. The first failure (what, errno)
 * ends the writing; list_finish reports it. */
typedef struct ListFile {
    const char *dir;
    char *path, *tmp; /* tmp: NULL once there is nothing to remove */
    FILE *f;
    const char *failed; /* what failed first, NULL while all is well */
    int err;            /* its errno */
} ListFile;

static void list_fail(ListFile *lf, const char *what, int err)
{
    if (!lf->failed) {
        lf->failed = what;
        lf->err = err ? err : EIO;
    }
}

static void list_open(ListFile *lf, const char *dir, const char *name)
{
    char *base = g_strdup_printf(".%s.XXXXXX", name); /* hidden: not a list until it is renamed */
    int fd;

    *lf = (ListFile){.dir = dir, .path = g_build_filename(dir, name, NULL)};
    lf->tmp = g_build_filename(dir, base, NULL);
    g_free(base);
    fd = g_mkstemp_full(lf->tmp, O_WRONLY | O_CLOEXEC, 0644);
    if (fd < 0) {
        list_fail(lf, "create a temporary file in its folder", errno);
        g_clear_pointer(&lf->tmp, g_free);
        return;
    }
    lf->f = fdopen(fd, "w");
    if (!lf->f) {
        list_fail(lf, "open its temporary file", errno);
        close(fd);
    }
}

static void list_write(ListFile *lf, const char *data, size_t len)
{
    if (!lf->failed && len && fwrite(data, 1, len, lf->f) != len)
        list_fail(lf, "write its temporary file", errno);
}

static G_GNUC_PRINTF(2, 3) void list_printf(ListFile *lf, const char *fmt, ...)
{
    va_list ap;

    if (lf->failed)
        return;
    va_start(ap, fmt);
    if (vfprintf(lf->f, fmt, ap) < 0)
        list_fail(lf, "write its temporary file", errno);
    va_end(ap);
}

/* Flush, fsync, rename over the list, fsync the folder; on failure remove the temporary file. 0 or -EIO,
 * logged. */
static int list_finish(ListFile *lf)
{
    int ret = 0;

    if (lf->f) {
        if (!lf->failed && fflush(lf->f) != 0)
            list_fail(lf, "write its temporary file", errno);
        if (!lf->failed && fsync(fileno(lf->f)) < 0)
            list_fail(lf, "sync its temporary file", errno);
        if (fclose(lf->f) != 0)
            list_fail(lf, "close its temporary file", errno);
        lf->f = NULL;
    }
    if (!lf->failed) {
        if (rename(lf->tmp, lf->path) < 0) {
            list_fail(lf, "rename its temporary file over it", errno);
        } else {
            int dfd = open(lf->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            g_clear_pointer(&lf->tmp, g_free); /* it is the list now */
            if (dfd < 0 || fsync(dfd) < 0)
                list_fail(lf, "sync its folder", errno);
            if (dfd >= 0)
                close(dfd);
        }
    }
    if (lf->failed) {
        if (lf->tmp)
            g_unlink(lf->tmp);
        ot_log(OT_LOG_ERROR, "cuts", "cannot write \"%s\": %s: %s: check the disk and the take folder",
               lf->path, lf->failed, g_strerror(lf->err));
        ret = -EIO;
    }
    g_free(lf->tmp);
    g_free(lf->path);
    return ret;
}

/* EDL text: printable ASCII, no line breaks. */
static void edl_clean(char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
            *s = '_';
}

/* cuts.edl, event by event. The number of shots. */
static int write_edl(ListFile *lf, const MuxCutListConfig *cfg, const char *title, const MuxCutLog *log,
                     int64_t frames, char (*reels)[9])
{
    int drop = sw_rate_allows_drop_frame(cfg->rate);
    char *t = g_strndup(title, EDL_TITLE_MAX);
    int next = 0, n = 0;
    Shot sh;

    edl_clean(t);
    list_printf(lf, "TITLE: %s\n", t);
    list_printf(lf, "FCM: %s\n", drop ? "DROP FRAME" : "NON-DROP FRAME");
    g_free(t);
    while (next_shot(log, frames, &next, &sh)) {
        char in[32], out[32];
        sw_timecode_format(cfg->rate, drop, sh.in, in, sizeof(in));
        sw_timecode_format(cfg->rate, drop, sh.out, out, sizeof(out));
        /* event, reel (8), track (5), transition (8), source in/out, record in/out: source = record. */
        list_printf(lf, "\n%03d  %-8s %-5s %-8s %s %s %s %s\n", ++n, reels[sh.ev->cam], "V", "C", in, out, in,
                    out);
        char *name = g_strdup(cfg->cams[sh.ev->cam]);
        edl_clean(name);
        list_printf(lf, "* FROM CLIP NAME: %s\n", name);
        g_free(name);
        if (cfg->media && cfg->media[sh.ev->cam]) {
            char *file = g_strdup(cfg->media[sh.ev->cam]);
            edl_clean(file);
            list_printf(lf, "* SOURCE FILE: %s\n", file);
            g_free(file);
        }
        char *label = sh.ev->label ? g_strdup(sh.ev->label) : NULL;
        if (label)
            edl_clean(label);
        if (sh.ev->cue_line)
            list_printf(lf, "* COMMENT: %s cut, cue line %d%s%s\n", sh.ev->origin, sh.ev->cue_line,
                        label ? ": " : "", label ? label : "");
        else
            list_printf(lf, "* COMMENT: %s cut\n", sh.ev->origin);
        g_free(label);
    }
    return n;
}

#define OTIO_INDENT 2
#define OTIO_SLOT "onetake:clip" /* where the clips go in the timeline's text */

static void otio_time(JsonBuilder *b, const char *key, double rate, int64_t value)
{
    json_builder_set_member_name(b, key);
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "OTIO_SCHEMA");
    json_builder_add_string_value(b, "RationalTime.1");
    json_builder_set_member_name(b, "rate");
    json_builder_add_double_value(b, rate);
    json_builder_set_member_name(b, "value");
    json_builder_add_double_value(b, (double)value);
    json_builder_end_object(b);
}

static void otio_range(JsonBuilder *b, const char *key, double rate, int64_t start, int64_t duration)
{
    json_builder_set_member_name(b, key);
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "OTIO_SCHEMA");
    json_builder_add_string_value(b, "TimeRange.1");
    otio_time(b, "start_time", rate, start);
    otio_time(b, "duration", rate, duration);
    json_builder_end_object(b);
}

/* The fields every OTIO Item (Stack, Track, Clip) has. */
static void otio_item_fields(JsonBuilder *b, const char *schema, const char *name)
{
    proof_json_add_string(b, "OTIO_SCHEMA", schema);
    proof_json_add_string(b, "name", name);
    json_builder_set_member_name(b, "effects");
    json_builder_begin_array(b);
    json_builder_end_array(b);
    json_builder_set_member_name(b, "markers");
    json_builder_begin_array(b);
    json_builder_end_array(b);
    json_builder_set_member_name(b, "enabled");
    json_builder_add_boolean_value(b, TRUE);
}

/* Pretty JSON text of root, as the whole list has always been written. g_free the result. */
static char *otio_text(JsonNode *root, gsize *len)
{
    JsonGenerator *gen = json_generator_new();
    char *text;

    json_generator_set_root(gen, root);
    json_generator_set_pretty(gen, TRUE);
    json_generator_set_indent(gen, OTIO_INDENT);
    text = json_generator_to_data(gen, len);
    g_object_unref(gen);
    return text;
}

/* The timeline without its clips: Timeline > Stack > Track, whose children are nslots OTIO_SLOT strings. */
static JsonNode *otio_timeline(const MuxCutListConfig *cfg, const char *title, int64_t frames, int nslots)
{
    JsonBuilder *b = json_builder_new();
    double rate = (double)cfg->rate.num / cfg->rate.den;
    char fps[32];
    JsonNode *root;

    snprintf(fps, sizeof(fps), "%d/%d", cfg->rate.num, cfg->rate.den);
    json_builder_begin_object(b);
    proof_json_add_string(b, "OTIO_SCHEMA", "Timeline.1");
    proof_json_add_string(b, "name", title);
    json_builder_set_member_name(b, "metadata");
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "onetake");
    json_builder_begin_object(b);
    proof_json_add_string(b, "take_id", cfg->take_id);
    proof_json_add_string(b, "fps", fps); /* the exact rate: OTIO's rate is a double */
    json_builder_set_member_name(b, "frames");
    json_builder_add_int_value(b, frames);
    proof_json_add_string(b, "cuts", MUX_TAKE_CUTS_FILE);
    json_builder_end_object(b);
    json_builder_end_object(b);
    otio_time(b, "global_start_time", rate, 0);

    json_builder_set_member_name(b, "tracks");
    json_builder_begin_object(b);
    otio_item_fields(b, "Stack.1", "tracks");
    json_builder_set_member_name(b, "source_range");
    json_builder_add_null_value(b);
    json_builder_set_member_name(b, "metadata");
    json_builder_begin_object(b);
    json_builder_end_object(b);
    json_builder_set_member_name(b, "children");
    json_builder_begin_array(b);

    json_builder_begin_object(b);
    otio_item_fields(b, "Track.1", "Program");
    proof_json_add_string(b, "kind", "Video");
    json_builder_set_member_name(b, "source_range");
    json_builder_add_null_value(b);
    json_builder_set_member_name(b, "metadata");
    json_builder_begin_object(b);
    json_builder_end_object(b);
    json_builder_set_member_name(b, "children");
    json_builder_begin_array(b);
    for (int i = 0; i < nslots; i++)
        json_builder_add_string_value(b, OTIO_SLOT);
    json_builder_end_array(b);  /* clips */
    json_builder_end_object(b); /* track */
    json_builder_end_array(b);  /* stack children */
    json_builder_end_object(b); /* stack */
    json_builder_end_object(b); /* timeline */
    root = json_builder_get_root(b);
    g_object_unref(b);
    return root;
}

static void otio_clip(JsonBuilder *b, const MuxCutListConfig *cfg, const Shot *sh, int64_t frames)
{
    double rate = (double)cfg->rate.num / cfg->rate.den;
    const char *cam = cfg->cams[sh->ev->cam];
    const char *media = cfg->media ? cfg->media[sh->ev->cam] : NULL;

    json_builder_begin_object(b);
    otio_item_fields(b, "Clip.1", cam);
    otio_range(b, "source_range", rate, sh->in, sh->out - sh->in);
    json_builder_set_member_name(b, "metadata");
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "onetake");
    json_builder_begin_object(b);
    proof_json_add_string(b, "camera", cam);
    json_builder_set_member_name(b, "record_frame");
    json_builder_add_int_value(b, sh->in);
    proof_json_add_string(b, "origin", sh->ev->origin);
    json_builder_set_member_name(b, "cue_line");
    if (sh->ev->cue_line)
        json_builder_add_int_value(b, sh->ev->cue_line);
    else
        json_builder_add_null_value(b);
    proof_json_add_string(b, "label", sh->ev->label);
    json_builder_end_object(b);
    json_builder_end_object(b);
    json_builder_set_member_name(b, "media_reference");
    json_builder_begin_object(b);
    if (media) {
        proof_json_add_string(b, "OTIO_SCHEMA", "ExternalReference.1");
        proof_json_add_string(b, "target_url", media);
        /* ISOs (and file sources) span the take from frame 0. */
        otio_range(b, "available_range", rate, 0, frames);
    } else {
        proof_json_add_string(b, "OTIO_SCHEMA", "MissingReference.1");
        json_builder_set_member_name(b, "available_range");
        json_builder_add_null_value(b);
    }
    proof_json_add_string(b, "name", cam);
    json_builder_set_member_name(b, "metadata");
    json_builder_begin_object(b);
    json_builder_end_object(b);
    json_builder_end_object(b);
    json_builder_end_object(b);
}

/* One clip's text at depth (containers around it), as json-glib writes it inside the whole timeline: it is
 * serialised inside depth arrays, so that everything depth-dependent (indents, the inside of an empty {})
 * comes out the same, and written from its first '{' to its last '}' (the arrays are brackets and white
 * space). */
static void otio_write_clip(ListFile *lf, const MuxCutListConfig *cfg, const Shot *sh, int64_t frames,
                            int depth)
{
    JsonBuilder *b = json_builder_new();
    JsonNode *root;
    char *text, *first, *last;
    gsize len;

    for (int i = 0; i < depth; i++)
        json_builder_begin_array(b);
    otio_clip(b, cfg, sh, frames);
    for (int i = 0; i < depth; i++)
        json_builder_end_array(b);
    root = json_builder_get_root(b);
    text = otio_text(root, &len);
    first = strchr(text, '{');
    last = strrchr(text, '}');
    list_write(lf, first, (size_t)(last + 1 - first));
    g_free(text);
    json_node_unref(root);
    g_object_unref(b);
}

/* cuts.otio, clip by clip: the timeline's text is made with two slots in the track's children, then written
 * up to the first slot, the clips with what stands between the slots between them, and what follows the
 * second. The same bytes as the whole tree pretty-printed at once, in one clip's memory. */
static void write_otio(ListFile *lf, const MuxCutListConfig *cfg, const char *title, const MuxCutLog *log,
                       int64_t frames)
{
    const char *slot = "\"" OTIO_SLOT "\"";
    size_t slot_len = strlen(slot);
    int next = 0;
    Shot sh;
    int any = next_shot(log, frames, &next, &sh);
    JsonNode *root = otio_timeline(cfg, title, frames, any ? 2 : 0);
    gsize len;
    char *text = otio_text(root, &len);

    json_node_unref(root);
    if (!any) {
        list_write(lf, text, len);
    } else {
        /* The clips are the last member of the track, the track of the stack, the stack of the timeline: the
         * last two slots in the text are ours, whatever the title says. */
        const char *second = g_strrstr(text, slot);
        const char *first = g_strrstr_len(text, second - text, slot);
        const char *line = first;
        while (line > text && line[-1] == ' ')
            line--;
        list_write(lf, text, (size_t)(first - text));
        otio_write_clip(lf, cfg, &sh, frames, (int)(first - line) / OTIO_INDENT);
        while (next_shot(log, frames, &next, &sh)) {
            list_write(lf, first + slot_len, (size_t)(second - first) - slot_len);
            otio_write_clip(lf, cfg, &sh, frames, (int)(first - line) / OTIO_INDENT);
        }
        list_write(lf, second + slot_len, len - (size_t)(second - text) - slot_len);
    }
    list_write(lf, "\n", 1);
    g_free(text);
}

int mux_cutlist_write(const MuxCutListConfig *cfg)
{
    char *path;
    MuxCutLog *log;
    int nshots;
    int64_t frames;
    char(*reels)[9];
    char *title;
    ListFile lf;
    int ret;

    if (!cfg || !cfg->dir || !cfg->cams || cfg->ncams < 1 || cfg->rate.num <= 0 || cfg->rate.den <= 0)
        return -EINVAL;
    path = g_build_filename(cfg->dir, MUX_TAKE_CUTS_FILE, NULL);
    log = mux_cut_log_load(path, cfg->cams, cfg->ncams);
    g_free(path);
    if (!log)
        return -EINVAL;
    /* The end: the end event, else (a take that failed or died) the frames recorded. */
    frames = log->ended ? log->events[log->nevents - 1].frame : cfg->frames;
    if (frames < 0)
        frames = log->events[log->nevents - 1].frame;
    reels = g_malloc0(sizeof(*reels) * (gsize)cfg->ncams);
    mux_cutlist_reels(cfg->cams, cfg->ncams, reels);
    title = cfg->title ? g_strdup(cfg->title)
                       : g_strdup_printf("onetake take %s", cfg->take_id ? cfg->take_id : "");

    /* Each list is written as its shots are made from the log: a long take's lists cost no more memory than a
     * short one's. */
    list_open(&lf, cfg->dir, MUX_TAKE_EDL_FILE);
    nshots = write_edl(&lf, cfg, title, log, frames, reels);
    ret = list_finish(&lf);
    if (!ret) {
        list_open(&lf, cfg->dir, MUX_TAKE_OTIO_FILE);
        write_otio(&lf, cfg, title, log, frames);
        ret = list_finish(&lf);
    }
    if (!ret)
        ot_log(OT_LOG_VERBOSE, "cuts", "%s and %s: %d shots over %" PRId64 " frames", MUX_TAKE_EDL_FILE,
               MUX_TAKE_OTIO_FILE, nshots, frames);
    g_free(title);
    g_free(reels);
    mux_cut_log_free(&log);
    return ret;
}
