/* onetake proof: JSON helpers shared by the take's writers: take log records, take.json, cut lists. */
#ifndef PROOF_JSON_H
#define PROOF_JSON_H

#include <json-glib/json-glib.h>

/* Adds value as the string member key, or as an array element when key is NULL; a NULL value as null.
 * Strings from outside (paths, sources, the command line, cue labels) may not be UTF-8 and JSON must be:
 * invalid bytes become U+FFFD. */
void proof_json_add_string(JsonBuilder *b, const char *key, const char *value);

#endif
