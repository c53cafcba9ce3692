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
 * A shot that starts a transition is CMX3600's two-event form under one event number: the outgoing camera as a
 * zero-length cut at the transition's first frame, then the incoming camera with "D" (mix, dip) or "Wnnn"
 * (wipe) and the length in frames, from that frame on: the record in of the second event is the first mixed
 * frame, as onetake's cue TIME is. Wipe codes are SMPTE's: left/right W001 (a horizontal bar), down/up W002
 * (vertical bar), box W101 (rectangle iris), circle W119 (circle); "right" and "up" are the same codes run the
 * other way, said in a comment, as is a dip's colour (CMX has no dip: it is written as a dissolve). A length
 * above 999 (the field's 3 digits) is written as 999, the real one in the comment.
 * - cuts.otio, OpenTimelineIO JSON: Timeline > Stack > one video Track of Clips, each an ExternalReference to
 * what it shows (the ISO file), source_range in frames at the program rate. Clip.1 schema: every OTIO release
 * reads it (newer ones upgrade it to Clip.2 on load).
 *
 * A transition is a Transition.1 between the two clips in the track (it takes no track time): the cut point is
 * the transition's first frame (where the incoming clip starts, as in the EDL), in_offset 0 and out_offset the
 * length, so the transition covers exactly the mixed frames [TIME, TIME + N) and reads the outgoing clip's media
 * past its end (the ISOs hold it). transition_type "SMPTE_Dissolve" for a mix, "Custom_Transition" for a dip or
 * a wipe, with kind, colour or pattern and soft edge in metadata.onetake.
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
    if (!type || (strcmp(type, "cut") && strcmp(type, "end") && strcmp(type, "complete")))
        return "\"type\" is not \"cut\", \"end\" or \"complete\"";
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
    ev->done_at = !strcmp(type, "complete") ? -1 : 0; /* the loader folds it into its cut */
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
        if (!what && ev.done_at < 0) {
            /* an early completion: of the transition the last cut started, inside it, same camera */
            MuxCutEvent *last = log->nevents > 0 ? &log->events[log->nevents - 1] : NULL;
            if (!last || last->trans.kind == SW_TRANS_CUT || last->done_at || last->cam != ev.cam ||
                ev.frame < last->frame || ev.frame >= last->frame + last->trans.frames)
                what = "a \"complete\" that is not inside the transition of the cut before it";
            else
                last->done_at = ev.frame;
            g_clear_pointer(&ev.origin, g_free);
            g_clear_pointer(&ev.label, g_free);
            if (!what)
                continue;
        }
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
    int from;        /* the camera on program before the shot, -1 for the first */
    int64_t trans;   /* frames of its transition (cut short by the next event), 0 for a cut */
} Shot;

/* The log's shots one at a time, empty ones left out: the next from event *next on into sh (the previous shot,
 * zeroed before the first), 0 when there is none left. */
static int next_shot(const MuxCutLog *log, int64_t frames, int *next, Shot *sh)
{
    while (*next < log->nevents) {
        const MuxCutEvent *ev = &log->events[(*next)++];
        int64_t out;
        if (ev->end)
            break;
        out = *next < log->nevents ? log->events[*next].frame : frames;
        if (out > ev->frame) {
            int from = sh->ev ? sh->ev->cam : -1; /* sh: the previous shot, or zeroed before the first */
            int64_t trans = from >= 0 && ev->trans.kind != SW_TRANS_CUT ? ev->trans.frames : 0;
            if (trans && ev->done_at > 0)
                trans = ev->done_at - ev->frame; /* completed early: the frames actually mixed (0: a cut) */
            *sh = (Shot){.in = ev->frame, .out = out, .ev = ev, .from = from,
                         .trans = trans < out - ev->frame ? trans : out - ev->frame};
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

/* SMPTE wipe code per pattern (see the top of the file), and whether it runs the other way. */
static int edl_wipe_code(SwWipePattern p, int *reverse)
{
    static const int code[] = {[SW_WIPE_LEFT] = 1,  [SW_WIPE_RIGHT] = 1, [SW_WIPE_DOWN] = 2,
                               [SW_WIPE_UP] = 2,    [SW_WIPE_BOX] = 101, [SW_WIPE_CIRCLE] = 119};
    *reverse = p == SW_WIPE_RIGHT || p == SW_WIPE_UP;
    return (unsigned)p < sizeof(code) / sizeof(code[0]) ? code[p] : 1;
}

/* The 8-character transition field of a transition's incoming event: "D    030", "W001 015". */
static void edl_transition_field(const Shot *sh, char *field, size_t size)
{
    int len = sh->trans > 999 ? 999 : (int)sh->trans, rev, n;

    if (sh->ev->trans.kind == SW_TRANS_WIPE)
        n = snprintf(field, size, "W%03d %03d", edl_wipe_code(sh->ev->trans.pattern, &rev), len);
    else
        n = snprintf(field, size, "D    %03d", len);
    if (n < 0 || (size_t)n >= size)
        g_strlcpy(field, "D    001", size); /* cannot happen: 8 characters into 16 */
}

static void edl_transition_comment(ListFile *lf, const MuxCutListConfig *cfg, const Shot *sh)
{
    const SwTransSpec *t = &sh->ev->trans;
    char *from = g_strdup(cfg->cams[sh->from]);
    int rev = 0, code = edl_wipe_code(t->pattern, &rev);

    edl_clean(from);
    list_printf(lf, "* FROM CLIP NAME: %s\n", from);
    g_free(from);
    if (t->kind == SW_TRANS_DIP)
        list_printf(lf, "* COMMENT: dip through #%02X%02X%02X, %" PRId64 " frames\n", t->rgb[0], t->rgb[1],
                    t->rgb[2], sh->trans);
    else if (t->kind == SW_TRANS_WIPE)
        list_printf(lf, "* COMMENT: wipe %s, soft %d, %" PRId64 " frames (W%03d%s)\n",
                    sw_wipe_pattern_name(t->pattern), t->soft, sh->trans, code, rev ? " reversed" : "");
    else
        list_printf(lf, "* COMMENT: mix, %" PRId64 " frames\n", sh->trans);
}

/* cuts.edl, event by event. The number of shots. */
static int write_edl(ListFile *lf, const MuxCutListConfig *cfg, const char *title, const MuxCutLog *log,
                     int64_t frames, char (*reels)[9])
{
    int drop = sw_rate_allows_drop_frame(cfg->rate);
    char *t = g_strndup(title, EDL_TITLE_MAX);
    int next = 0, n = 0;
    Shot sh = {0};

    edl_clean(t);
    list_printf(lf, "TITLE: %s\n", t);
    list_printf(lf, "FCM: %s\n", drop ? "DROP FRAME" : "NON-DROP FRAME");
    g_free(t);
    while (next_shot(log, frames, &next, &sh)) {
        char in[32], out[32];
        sw_timecode_format(cfg->rate, drop, sh.in, in, sizeof(in));
        sw_timecode_format(cfg->rate, drop, sh.out, out, sizeof(out));
        /* event, reel (8), track (5), transition (8), source in/out, record in/out: source = record. */
        if (sh.trans) {
            char field[16];
            edl_transition_field(&sh, field, sizeof(field));
            list_printf(lf, "\n%03d  %-8s %-5s %-8s %s %s %s %s\n", ++n, reels[sh.from], "V", "C", in, in, in, in);
            list_printf(lf, "%03d  %-8s %-5s %-8s %s %s %s %s\n", n, reels[sh.ev->cam], "V", field, in, out, in,
                        out);
            edl_transition_comment(lf, cfg, &sh);
        } else {
            list_printf(lf, "\n%03d  %-8s %-5s %-8s %s %s %s %s\n", ++n, reels[sh.ev->cam], "V", "C", in, out, in,
                        out);
        }
        char *name = g_strdup(cfg->cams[sh.ev->cam]);
        edl_clean(name);
        list_printf(lf, sh.trans ? "* TO CLIP NAME: %s\n" : "* FROM CLIP NAME: %s\n", name);
        g_free(name);
        if (cfg->media && cfg->media[sh.ev->cam]) {
            char *file = g_strdup(cfg->media[sh.ev->cam]);
            edl_clean(file);
            list_printf(lf, "* SOURCE FILE: %s\n", file);
            g_free(file);
        }
        const char *kind = sw_trans_kind_name(sh.trans ? sh.ev->trans.kind : SW_TRANS_CUT);
        char *label = sh.ev->label ? g_strdup(sh.ev->label) : NULL;
        if (label)
            edl_clean(label);
        if (sh.ev->cue_line)
            list_printf(lf, "* COMMENT: %s %s, cue line %d%s%s\n", sh.ev->origin, kind, sh.ev->cue_line,
                        label ? ": " : "", label ? label : "");
        else
            list_printf(lf, "* COMMENT: %s %s\n", sh.ev->origin, kind);
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

/* The Transition.1 before sh's clip (see the top of the file for the offsets). */
static void otio_transition(JsonBuilder *b, const MuxCutListConfig *cfg, const Shot *sh)
{
    double rate = (double)cfg->rate.num / cfg->rate.den;
    const SwTransSpec *t = &sh->ev->trans;

    json_builder_begin_object(b);
    proof_json_add_string(b, "OTIO_SCHEMA", "Transition.1");
    proof_json_add_string(b, "name", sw_trans_kind_name(t->kind));
    json_builder_set_member_name(b, "metadata");
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "onetake");
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "record_frame");
    json_builder_add_int_value(b, sh->in);
    mux_trans_json_add(b, t);
    json_builder_end_object(b);
    json_builder_end_object(b);
    proof_json_add_string(b, "transition_type", t->kind == SW_TRANS_MIX ? "SMPTE_Dissolve" : "Custom_Transition");
    otio_time(b, "in_offset", rate, 0);
    otio_time(b, "out_offset", rate, sh->trans);
    json_builder_end_object(b);
}

/* One clip's (or transition's) text at depth (containers around it), as json-glib writes it inside the whole timeline: it is
 * serialised inside depth arrays, so that everything depth-dependent (indents, the inside of an empty {})
 * comes out the same, and written from its first '{' to its last '}' (the arrays are brackets and white
 * space). */
static void otio_write_clip(ListFile *lf, const MuxCutListConfig *cfg, const Shot *sh, int64_t frames,
                            int depth, int transition)
{
    JsonBuilder *b = json_builder_new();
    JsonNode *root;
    char *text, *first, *last;
    gsize len;

    for (int i = 0; i < depth; i++)
        json_builder_begin_array(b);
    if (transition)
        otio_transition(b, cfg, sh);
    else
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

/* cuts.otio, clip by clip (a transition before its clip): the timeline's text is made with two slots in the track's children, then written
 * up to the first slot, the clips with what stands between the slots between them, and what follows the
 * second. The same bytes as the whole tree pretty-printed at once, in one clip's memory. */
static void write_otio(ListFile *lf, const MuxCutListConfig *cfg, const char *title, const MuxCutLog *log,
                       int64_t frames)
{
    const char *slot = "\"" OTIO_SLOT "\"";
    size_t slot_len = strlen(slot);
    int next = 0;
    Shot sh = {0};
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
        otio_write_clip(lf, cfg, &sh, frames, (int)(first - line) / OTIO_INDENT, 0);
        while (next_shot(log, frames, &next, &sh)) {
            for (int tr = !sh.trans; tr < 2; tr++) { /* a transition, then its clip */
                list_write(lf, first + slot_len, (size_t)(second - first) - slot_len);
                otio_write_clip(lf, cfg, &sh, frames, (int)(first - line) / OTIO_INDENT, !tr);
            }
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
