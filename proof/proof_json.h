/* onetake proof: JSON helpers shared by the take's writers: take log records, take.json, cut lists. */
#ifndef PROOF_JSON_H
#define PROOF_JSON_H

#include <json-glib/json-glib.h>

/* Adds value as the string member key, or as an array element when key is NULL; a NULL value as null.
 * Strings from outside (paths, sources, the command line, cue labels) may not be UTF-8 and JSON must be:
 * invalid bytes become U+FFFD. */
void proof_json_add_string(JsonBuilder *b, const char *key, const char *value);

/* The deepest nesting of arrays and objects a JSON text from outside may have (onetake writes 3 at most). */
#define PROOF_JSON_MAX_DEPTH 64
/* 1 when text nests arrays/objects at most max_depth deep (a linear scan, no recursion). */
int proof_json_depth_ok(const char *text, size_t len, int max_depth);
/* json_parser_load_from_data after the depth check: 0, or -EINVAL (too deep, or not JSON). */
int proof_json_load(JsonParser *parser, const char *text, size_t len);

#endif
