/* onetake capture, internal: the multiview's preview branch of a camera pipeline (see cap_preview.c). Not
 * part of capture's public API: capture.h exposes it as cap_camera_enable_preview / cap_camera_get_preview.
 */
#ifndef CAP_PREVIEW_H
#define CAP_PREVIEW_H

#include <gst/gst.h>

#include "ot_frame.h"

typedef struct CapPreview CapPreview;

/* Insert a tee in front of `sink` (the program appsink, already linked in `pipeline`, which must be in the
 * NULL state) and hang the preview branch on it. name is the camera's, for messages. NULL on error (logged;
 * the pipeline is then left as it was when possible). */
CapPreview *cap_preview_attach(GstElement *pipeline, GstElement *sink, const char *name, int index, int width,
                               int height);
/* A kept preview frame as a new reference: the latest at or before at_ns (the newest when at_ns < 0, the
 * oldest kept when every one is later), or NULL when none has arrived yet. Any thread. */
OtFrame *cap_preview_get(CapPreview *p, int64_t at_ns);
/* The pipeline must be in the NULL state (its threads joined). */
void cap_preview_free(CapPreview **p);

#endif
