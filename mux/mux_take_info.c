/* onetake mux: a take folder read back (take.json), for replay and archive. The fields are those that
 * mux_take.c writes (docs/take-folder.md); new fields are ignored, missing optional ones keep defaults. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <json-glib/json-glib.h>

#include "mux.h"
#include "proof.h"
#include "proof_json.h"
#include "ot_common.h"
#include "ot_frame.h"
#include "sw_timecode.h"

static void load_audio(JsonObject *o, MuxTakeInfo *info);

static const char *get_string(JsonObject *o, const char *key)
{
    JsonNode *n = json_object_get_member(o, key);
    if (!n || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING)
        return NULL;
    return json_node_get_string(n);
}

static int get_int(JsonObject *o, const char *key, int64_t *value)
{
    JsonNode *n = json_object_get_member(o, key);
    if (!n || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64)
        return -ENOENT;
    *value = json_node_get_int(n);
    return 0;
}

MuxTakeInfo *mux_take_info_load(const char *dir)
{
    char *path = g_build_filename(dir, MUX_TAKE_JSON_FILE, NULL);
    JsonParser *parser = json_parser_new();
    MuxTakeInfo *info = NULL;
    char *text = NULL;
    size_t len = 0;
    int err;
    const char *what = NULL;
    JsonNode *root;
    JsonObject *o;
    JsonArray *cams;
    int64_t v;

    /* A take folder from outside: no symlink, FIFO or giant followed, no nesting that would overflow the
     * stack. */
    err = proof_take_file_read(dir, MUX_TAKE_JSON_FILE, MUX_TAKE_JSON_MAX, &text, &len);
    if (err < 0) {
        ot_log(OT_LOG_ERROR, "take", "cannot read \"%s\": %s: give a take folder made by onetake record",
               path, proof_file_why(err));
        goto out;
    }
    if (proof_json_load(parser, text, len) < 0) {
        what = "it is not JSON, or nests deeper than a take record does";
        goto bad;
    }
    root = json_parser_get_root(parser);
    if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
        what = "it is not a JSON object";
        goto bad;
    }
    o = json_node_get_object(root);
    if (g_strcmp0(get_string(o, "format"), "onetake-take")) {
        what = "\"format\" is not \"onetake-take\"";
        goto bad;
    }
    info = g_new0(MuxTakeInfo, 1);
    info->dir = g_strdup(dir);
    info->frames = -1;
    info->take_id = g_strdup(get_string(o, "take_id"));
    info->status = g_strdup(get_string(o, "status"));
    info->end_reason = g_strdup(get_string(o, "end_reason"));
    if (!info->take_id || !info->status) {
        what = "\"take_id\" or \"status\" is missing";
        goto bad;
    }
    if (sw_rate_parse(get_string(o, "fps"), &info->rate) < 0) {
        what = "\"fps\" is not N/D";
        goto bad;
    }
    info->drop_frame = sw_rate_allows_drop_frame(info->rate);
    if (ot_frame_parse_size(get_string(o, "size"), &info->width, &info->height) < 0) {
        what = "\"size\" is not WxH";
        goto bad;
    }
    if (mux_codec_from_name(get_string(o, "codec"), &info->codec) < 0) {
        what = "\"codec\" is not h264 or ffv1";
        goto bad;
    }
    if (get_int(o, "gop", &v) == 0 && v > 0 && v <= INT32_MAX)
        info->gop = (int)v;
    info->preset = g_strdup(get_string(o, "preset"));
    if (get_int(o, "encoder_threads", &v) == 0 && v > 0 && v <= 64)
        info->threads = (int)v;
    if (get_string(o, "iso_codec")) {
        if (!strcmp(get_string(o, "iso_codec"), mux_codec_name(MUX_CODEC_COPY))) {
            info->iso_codec = MUX_CODEC_COPY; /* no encoder: mux_codec_from_name does not take it */
        } else if (mux_codec_from_name(get_string(o, "iso_codec"), &info->iso_codec) < 0) {
            what = "\"iso_codec\" is not h264, ffv1 or copy";
            goto bad;
        }
        info->has_iso = 1;
    }
    if (get_int(o, "frames", &v) == 0 && v >= 0)
        info->frames = v;

    JsonNode *cn = json_object_get_member(o, "cameras");
    cams = cn && JSON_NODE_HOLDS_ARRAY(cn) ? json_node_get_array(cn) : NULL;
    if (!cams || json_array_get_length(cams) < 1 || json_array_get_length(cams) > SW_MAX_CAMS) {
        what = "\"cameras\" is not a list of 1 to 16 cameras";
        goto bad;
    }
    info->ncams = (int)json_array_get_length(cams);
    info->cams = g_new0(char *, (gsize)info->ncams + 1);
    info->sources = g_new0(char *, (gsize)info->ncams + 1);
    info->iso_dropped = g_new0(int64_t, (gsize)info->ncams);
    info->iso_start_ms = g_new0(int64_t, (gsize)info->ncams);
    for (int i = 0; i < info->ncams; i++) {
        JsonNode *cam = json_array_get_element(cams, (guint)i);
        const char *name =
            cam && JSON_NODE_HOLDS_OBJECT(cam) ? get_string(json_node_get_object(cam), "name") : NULL;
        /* Names become file names (iso/NAME.mkv): only what record accepts. */
        if (!name || !*name ||
            strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") !=
                strlen(name)) {
            what = "a camera has no valid \"name\"";
            goto bad;
        }
        info->cams[i] = g_strdup(name);
        info->sources[i] = g_strdup(get_string(json_node_get_object(cam), "source"));
    }
    load_audio(o, info);
    JsonNode *in = json_object_get_member(o, "iso");
    if (in && JSON_NODE_HOLDS_ARRAY(in)) {
        JsonArray *isos = json_node_get_array(in);
        for (guint k = 0; k < json_array_get_length(isos); k++) {
            JsonNode *e = json_array_get_element(isos, k);
            if (!e || !JSON_NODE_HOLDS_OBJECT(e))
                continue;
            const char *cam = get_string(json_node_get_object(e), "camera");
            for (int i = 0; i < info->ncams; i++)
                if (!g_strcmp0(cam, info->cams[i])) {
                    if (get_int(json_node_get_object(e), "dropped", &v) == 0)
                        info->iso_dropped[i] = v;
                    if (get_int(json_node_get_object(e), "start_ms", &v) == 0)
                        info->iso_start_ms[i] = v;
                }
        }
    }
    goto out;

bad:
    ot_log(OT_LOG_ERROR, "take", "\"%s\" is not a take record: %s: give a take folder made by onetake record",
           path, what);
    mux_take_info_free(&info);
out:
    g_object_unref(parser);
    g_free(text);
    g_free(path);
    return info;
}

static void load_audio(JsonObject *o, MuxTakeInfo *info)
{
    int64_t v;
    JsonNode *an = json_object_get_member(o, "audio");
    if (!an || !JSON_NODE_HOLDS_OBJECT(an))
        return;
    JsonObject *a = json_node_get_object(an);
    info->audio_bits = get_int(a, "bits", &v) == 0 && v == 16 ? 16 : 24;
    JsonNode *tn = json_object_get_member(o, "audio_tracks");
    JsonArray *tracks = tn && JSON_NODE_HOLDS_ARRAY(tn) ? json_node_get_array(tn) : NULL;
    if (!tracks) {
        /* Before stems: one stereo track. */
        info->audio[0].from = g_strdup(get_string(a, "from"));
        info->audio[0].channels = get_int(a, "channels", &v) == 0 && v > 0 && v <= 8 ? (int)v : 2;
        info->naudio = info->audio[0].from ? 1 : 0;
        return;
    }
    for (guint k = 0; k < json_array_get_length(tracks) && info->naudio < SW_AUDIO_MAX_TRACKS; k++) {
        JsonNode *e = json_array_get_element(tracks, k);
        JsonObject *t = e && JSON_NODE_HOLDS_OBJECT(e) ? json_node_get_object(e) : NULL;
        if (!t || get_int(t, "channels", &v) < 0 || v < 1 || v > 8)
            continue;
        int i = info->naudio++;
        info->audio[i].channels = (int)v;
        info->audio[i].title = g_strdup(get_string(t, "title"));
        info->audio[i].from = g_strdup(get_string(t, "from"));
    }
}

void mux_take_info_free(MuxTakeInfo **pinfo)
{
    MuxTakeInfo *info = pinfo ? *pinfo : NULL;

    if (!info)
        return;
    g_free(info->dir);
    g_free(info->take_id);
    g_free(info->status);
    g_free(info->end_reason);
    g_free(info->preset);
    /* by count: a camera's source may be NULL (absent in take.json), so the lists are not NULL-terminated */
    for (int i = 0; info->cams && i < info->ncams; i++)
        g_free(info->cams[i]);
    for (int i = 0; info->sources && i < info->ncams; i++)
        g_free(info->sources[i]);
    g_free(info->cams);
    g_free(info->sources);
    g_free(info->iso_dropped);
    g_free(info->iso_start_ms);
    for (int i = 0; i < info->naudio; i++) {
        g_free(info->audio[i].title);
        g_free(info->audio[i].from);
    }
    g_free(info);
    *pinfo = NULL;
}
