/* onetake mux: the executed cuts for post (layout: docs/take-folder.md, "cuts.edl" and "cuts.otio").
 *
 * Both lists are made from cuts.jsonl, not from memory: the log is the executed record (synced per event), so
 * a take's lists, a replay's and any made later from a salvaged take say the same thing. A cut becomes one
 * shot from its frame to the next event's frame (the end, or the frame count when the take has no end); a
 * shot of no frames (two cuts at one tick: the last one wins) is left out.
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
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "mux.h"
#include "ot_common.h"

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

/* One line into ev. NULL on success, else what is wrong with it. */
static const char *parse_event(JsonParser *parser, const char *line, const char *const *cams, int ncams,
                               MuxCutEvent *ev)
{
    JsonNode *root;
    JsonObject *o;
    const char *type, *camera;
    int64_t frame, cam, v;

    if (!json_parser_load_from_data(parser, line, -1, NULL))
        return "not JSON";
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
    char *text = NULL;
    gsize len = 0;
    GError *gerr = NULL;
    MuxCutLog *log;
    JsonParser *parser;
    char **lines;
    int nlines;

    if (!g_file_get_contents(path, &text, &len, &gerr)) {
        ot_log(OT_LOG_ERROR, "cuts", "cannot read \"%s\": %s", path, gerr->message);
        g_error_free(gerr);
        return NULL;
    }
    lines = g_strsplit(text, "\n", -1);
    nlines = (int)g_strv_length(lines);
    /* The text after the last newline: "" for a complete file, a torn line after a power loss (ignored). */
    if (nlines > 0 && lines[nlines - 1][0])
        ot_log(OT_LOG_WARNING, "cuts", "\"%s\": the last line has no newline (a torn write): ignored", path);
    nlines--;
    log = g_new0(MuxCutLog, 1);
    log->events = g_new0(MuxCutEvent, nlines > 0 ? nlines : 1);
    parser = json_parser_new();
    for (int i = 0; i < nlines; i++) {
        MuxCutEvent *ev = &log->events[log->nevents];
        const char *what;
        if (!lines[i][0])
            continue;
        what = log->ended ? "an event after the end" : parse_event(parser, lines[i], cams, ncams, ev);
        if (!what && log->nevents == 0 && (ev->end || ev->frame != 0))
            what = "the first event is not the camera on program at frame 0";
        if (!what && log->nevents > 0 && ev->frame < log->events[log->nevents - 1].frame)
            what = "frames go backwards";
        if (what) {
            ot_log(OT_LOG_ERROR, "cuts", "%s:%d: %s: not a cut log written by onetake", path, i + 1, what);
            g_free(ev->origin); /* parsed but refused: not counted in nevents */
            g_free(ev->label);
            mux_cut_log_free(&log);
            break;
        }
        log->ended = ev->end;
        log->nevents++;
    }
    if (log && log->nevents == 0) {
        ot_log(OT_LOG_ERROR, "cuts", "\"%s\" holds no event: the take never started", path);
        mux_cut_log_free(&log);
    }
    g_object_unref(parser);
    g_strfreev(lines);
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

/* Shots of the log, empty ones left out. g_free the result. */
static Shot *make_shots(const MuxCutLog *log, int64_t frames, int *nshots)
{
    Shot *shots = g_new0(Shot, log->nevents);
    int n = 0;

    for (int i = 0; i < log->nevents; i++) {
        const MuxCutEvent *ev = &log->events[i];
        int64_t out;
        if (ev->end)
            break;
        out = i + 1 < log->nevents ? log->events[i + 1].frame : frames;
        if (out <= ev->frame)
            continue;
        shots[n++] = (Shot){.in = ev->frame, .out = out, .ev = ev};
    }
    *nshots = n;
    return shots;
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

static int write_file_atomic(const char *dir, const char *name, const char *data, size_t len)
{
    char *path = g_build_filename(dir, name, NULL);
    GError *gerr = NULL;
    int ret = 0;

    /* A temporary file, fsynced, renamed over path: a reader or a crash sees the old list or the new one. */
    if (!g_file_set_contents_full(path, data, (gssize)len,
                                  G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE, 0644,
                                  &gerr)) {
        ot_log(OT_LOG_ERROR, "cuts", "cannot write \"%s\": %s: check the disk and the take folder", path,
               gerr->message);
        g_error_free(gerr);
        ret = -EIO;
    }
    g_free(path);
    return ret;
}

/* EDL text: printable ASCII, no line breaks. */
static void edl_clean(char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
            *s = '_';
}

static char *make_edl(const MuxCutListConfig *cfg, const char *title, const Shot *shots, int nshots,
                      char (*reels)[9])
{
    GString *s = g_string_new(NULL);
    int drop = sw_rate_allows_drop_frame(cfg->rate);
    char *t = g_strndup(title, EDL_TITLE_MAX);

    edl_clean(t);
    g_string_append_printf(s, "TITLE: %s\n", t);
    g_string_append_printf(s, "FCM: %s\n", drop ? "DROP FRAME" : "NON-DROP FRAME");
    g_free(t);
    for (int i = 0; i < nshots; i++) {
        const Shot *sh = &shots[i];
        char in[32], out[32];
        sw_timecode_format(cfg->rate, drop, sh->in, in, sizeof(in));
        sw_timecode_format(cfg->rate, drop, sh->out, out, sizeof(out));
        /* event, reel (8), track (5), transition (8), source in/out, record in/out: source = record. */
        g_string_append_printf(s, "\n%03d  %-8s %-5s %-8s %s %s %s %s\n", i + 1, reels[sh->ev->cam], "V", "C",
                               in, out, in, out);
        char *name = g_strdup(cfg->cams[sh->ev->cam]);
        edl_clean(name);
        g_string_append_printf(s, "* FROM CLIP NAME: %s\n", name);
        g_free(name);
        if (cfg->media && cfg->media[sh->ev->cam]) {
            char *file = g_strdup(cfg->media[sh->ev->cam]);
            edl_clean(file);
            g_string_append_printf(s, "* SOURCE FILE: %s\n", file);
            g_free(file);
        }
        char *label = sh->ev->label ? g_strdup(sh->ev->label) : NULL;
        if (label)
            edl_clean(label);
        if (sh->ev->cue_line)
            g_string_append_printf(s, "* COMMENT: %s cut, cue line %d%s%s\n", sh->ev->origin,
                                   sh->ev->cue_line, label ? ": " : "", label ? label : "");
        else
            g_string_append_printf(s, "* COMMENT: %s cut\n", sh->ev->origin);
        g_free(label);
    }
    return g_string_free(s, FALSE);
}

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

static void json_str(JsonBuilder *b, const char *key, const char *value)
{
    json_builder_set_member_name(b, key);
    if (!value) {
        json_builder_add_null_value(b);
    } else if (g_utf8_validate(value, -1, NULL)) {
        json_builder_add_string_value(b, value);
    } else {
        char *valid = g_utf8_make_valid(value, -1);
        json_builder_add_string_value(b, valid);
        g_free(valid);
    }
}

/* The fields every OTIO Item (Stack, Track, Clip) has. */
static void otio_item_fields(JsonBuilder *b, const char *schema, const char *name)
{
    json_str(b, "OTIO_SCHEMA", schema);
    json_str(b, "name", name);
    json_builder_set_member_name(b, "effects");
    json_builder_begin_array(b);
    json_builder_end_array(b);
    json_builder_set_member_name(b, "markers");
    json_builder_begin_array(b);
    json_builder_end_array(b);
    json_builder_set_member_name(b, "enabled");
    json_builder_add_boolean_value(b, TRUE);
}

static char *make_otio(const MuxCutListConfig *cfg, const char *title, const Shot *shots, int nshots,
                       int64_t frames, gsize *len)
{
    JsonBuilder *b = json_builder_new();
    double rate = (double)cfg->rate.num / cfg->rate.den;
    char fps[32];
    JsonGenerator *gen;
    JsonNode *root;
    char *text;

    snprintf(fps, sizeof(fps), "%d/%d", cfg->rate.num, cfg->rate.den);
    json_builder_begin_object(b);
    json_str(b, "OTIO_SCHEMA", "Timeline.1");
    json_str(b, "name", title);
    json_builder_set_member_name(b, "metadata");
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "onetake");
    json_builder_begin_object(b);
    json_str(b, "take_id", cfg->take_id);
    json_str(b, "fps", fps); /* the exact rate: OTIO's rate is a double */
    json_builder_set_member_name(b, "frames");
    json_builder_add_int_value(b, frames);
    json_str(b, "cuts", MUX_TAKE_CUTS_FILE);
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
    json_str(b, "kind", "Video");
    json_builder_set_member_name(b, "source_range");
    json_builder_add_null_value(b);
    json_builder_set_member_name(b, "metadata");
    json_builder_begin_object(b);
    json_builder_end_object(b);
    json_builder_set_member_name(b, "children");
    json_builder_begin_array(b);
    for (int i = 0; i < nshots; i++) {
        const Shot *sh = &shots[i];
        const char *cam = cfg->cams[sh->ev->cam];
        const char *media = cfg->media ? cfg->media[sh->ev->cam] : NULL;
        json_builder_begin_object(b);
        otio_item_fields(b, "Clip.1", cam);
        otio_range(b, "source_range", rate, sh->in, sh->out - sh->in);
        json_builder_set_member_name(b, "metadata");
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "onetake");
        json_builder_begin_object(b);
        json_str(b, "camera", cam);
        json_builder_set_member_name(b, "record_frame");
        json_builder_add_int_value(b, sh->in);
        json_str(b, "origin", sh->ev->origin);
        json_builder_set_member_name(b, "cue_line");
        if (sh->ev->cue_line)
            json_builder_add_int_value(b, sh->ev->cue_line);
        else
            json_builder_add_null_value(b);
        json_str(b, "label", sh->ev->label);
        json_builder_end_object(b);
        json_builder_end_object(b);
        json_builder_set_member_name(b, "media_reference");
        json_builder_begin_object(b);
        if (media) {
            json_str(b, "OTIO_SCHEMA", "ExternalReference.1");
            json_str(b, "target_url", media);
            /* ISOs (and file sources) span the take from frame 0. */
            otio_range(b, "available_range", rate, 0, frames);
        } else {
            json_str(b, "OTIO_SCHEMA", "MissingReference.1");
            json_builder_set_member_name(b, "available_range");
            json_builder_add_null_value(b);
        }
        json_str(b, "name", cam);
        json_builder_set_member_name(b, "metadata");
        json_builder_begin_object(b);
        json_builder_end_object(b);
        json_builder_end_object(b);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);  /* clips */
    json_builder_end_object(b); /* track */
    json_builder_end_array(b);  /* stack children */
    json_builder_end_object(b); /* stack */
    json_builder_end_object(b); /* timeline */

    root = json_builder_get_root(b);
    gen = json_generator_new();
    json_generator_set_root(gen, root);
    json_generator_set_pretty(gen, TRUE);
    json_generator_set_indent(gen, 2);
    text = json_generator_to_data(gen, len);
    text = g_realloc(text, *len + 2);
    text[(*len)++] = '\n';
    text[*len] = '\0';
    g_object_unref(gen);
    json_node_unref(root);
    g_object_unref(b);
    return text;
}

int mux_cutlist_write(const MuxCutListConfig *cfg)
{
    char *path;
    MuxCutLog *log;
    Shot *shots;
    int nshots;
    int64_t frames;
    char(*reels)[9];
    char *title;
    char *edl, *otio;
    gsize otio_len;
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
    shots = make_shots(log, frames, &nshots);
    reels = g_malloc0(sizeof(*reels) * (gsize)cfg->ncams);
    mux_cutlist_reels(cfg->cams, cfg->ncams, reels);
    title = cfg->title ? g_strdup(cfg->title)
                       : g_strdup_printf("onetake take %s", cfg->take_id ? cfg->take_id : "");

    edl = make_edl(cfg, title, shots, nshots, reels);
    otio = make_otio(cfg, title, shots, nshots, frames, &otio_len);
    ret = write_file_atomic(cfg->dir, MUX_TAKE_EDL_FILE, edl, strlen(edl));
    if (!ret)
        ret = write_file_atomic(cfg->dir, MUX_TAKE_OTIO_FILE, otio, otio_len);
    if (!ret)
        ot_log(OT_LOG_VERBOSE, "cuts", "%s and %s: %d shots over %" PRId64 " frames", MUX_TAKE_EDL_FILE,
               MUX_TAKE_OTIO_FILE, nshots, frames);
    g_free(edl);
    g_free(otio);
    g_free(title);
    g_free(reels);
    g_free(shots);
    mux_cut_log_free(&log);
    return ret;
}
