/* onetake mux (private): a cut's transition in the take's JSON (cuts.jsonl), written and read in one place. */
#ifndef MUX_TRANS_H
#define MUX_TRANS_H

#include <json-glib/json-glib.h>

#include "sw_transition.h"

/* Members of the event object: "kind" ("cut", "mix", "dip", "wipe") and "length" (frames, 0 for a cut); a dip's
 * "colour" ("#RRGGBB"), a wipe's "pattern" and "soft". */
void mux_trans_json_add(JsonBuilder *b, const SwTransSpec *t);
/* The same back (no "kind": a cut, as in logs written before transitions). NULL, or what is wrong. */
const char *mux_trans_json_read(JsonObject *o, SwTransSpec *t);

#endif
