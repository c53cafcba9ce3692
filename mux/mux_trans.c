/* onetake mux: a cut's transition in cuts.jsonl (mux_trans.h). */
#include "mux_trans.h"

#include <stdio.h>
#include <string.h>

#include "proof_json.h"

void mux_trans_json_add(JsonBuilder *b, const SwTransSpec *t)
{
    proof_json_add_string(b, "kind", sw_trans_kind_name(t->kind));
    json_builder_set_member_name(b, "length");
    json_builder_add_int_value(b, t->kind == SW_TRANS_CUT ? 0 : t->frames);
    if (t->kind == SW_TRANS_DIP) {
        char colour[8];
        snprintf(colour, sizeof(colour), "#%02X%02X%02X", t->rgb[0], t->rgb[1], t->rgb[2]);
        proof_json_add_string(b, "colour", colour);
    } else if (t->kind == SW_TRANS_WIPE) {
        proof_json_add_string(b, "pattern", sw_wipe_pattern_name(t->pattern));
        json_builder_set_member_name(b, "soft");
        json_builder_add_int_value(b, t->soft);
    }
}

static const char *member_string(JsonObject *o, const char *key)
{
    JsonNode *n = json_object_get_member(o, key);
    if (!n || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING)
        return NULL;
    return json_node_get_string(n);
}

static int member_int(JsonObject *o, const char *key, int64_t lo, int64_t hi, int *v)
{
    JsonNode *n = json_object_get_member(o, key);
    if (!n || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64)
        return -1;
    int64_t x = json_node_get_int(n);
    if (x < lo || x > hi)
        return -1;
    *v = (int)x;
    return 0;
}

const char *mux_trans_json_read(JsonObject *o, SwTransSpec *t)
{
    memset(t, 0, sizeof(*t));
    const char *kind = member_string(o, "kind");
    if (!kind)
        return NULL;
    int k = sw_trans_kind_from_name(kind, (int)strlen(kind));
    if (k < 0)
        return "unknown transition \"kind\"";
    t->kind = (SwTransKind)k;
    if (k == SW_TRANS_CUT)
        return NULL;
    if (member_int(o, "length", 1, SW_TRANS_MAX_FRAMES, &t->frames) < 0)
        return "a transition without a valid \"length\"";
    if (k == SW_TRANS_DIP) {
        const char *c = member_string(o, "colour");
        if (!c || sw_trans_parse_colour(c, (int)strlen(c), t->rgb) < 0)
            return "a dip without a valid \"colour\"";
    } else if (k == SW_TRANS_WIPE) {
        const char *p = member_string(o, "pattern");
        int pat = p ? sw_wipe_pattern_from_name(p, (int)strlen(p)) : -1;
        if (pat < 0 || member_int(o, "soft", 0, SW_TRANS_MAX_SOFT, &t->soft) < 0)
            return "a wipe without a valid \"pattern\" and \"soft\"";
        t->pattern = (SwWipePattern)pat;
    }
    return NULL;
}
