/* onetake capture: one GStreamer pipeline per camera, conformed to the program format (size, I420, square pixels,
 * aspect kept with borders) and delivered through appsink as OtFrame references stamped on the take clock. The only
 * folder that includes GStreamer headers. */
#ifndef CAPTURE_H
#define CAPTURE_H

#include "ot_frame.h"
#include "sw_runner.h"

typedef struct CapFormat {
    int width, height; /* program size */
    SwRate rate;       /* program frame rate (test: sources run at it) */
} CapFormat;

typedef struct CapCamera CapCamera;

/* gst_init and routing of GStreamer's log into ot_log. Call once before anything else here. */
int cap_init(int *argc, char ***argv);
void cap_deinit(void);

/* Check a SOURCE string (CONTRACT.md: path, URI, test:PATTERN, pipe:FRAGMENT) without opening it. Returns 0 or a
 * negative error after logging what is wrong with it and how to fix it (e.g. a missing file). */
int cap_source_check(const char *name, const char *source);

/* Build the pipeline of camera `index`. NULL on error (logged). */
CapCamera *cap_camera_alloc(const char *name, const char *source, int index, const CapFormat *fmt);
/* Start the pipeline and wait until its first frame is there (or an error: not video, cannot decode...), at most
 * timeout_ms. 0 or a negative error (logged). */
int cap_camera_start(CapCamera *cam, int timeout_ms);
/* The multiview's preview of the camera: a branch after the conform chain that scales to width x height (even, the
 * program's aspect) on its own thread, drops frames rather than ever delaying the program, and keeps the latest
 * frame in a slot. Call between cap_camera_alloc and cap_camera_start, once. 0, -EINVAL (bad size), -EBUSY
 * (started, or enabled already) or OT_ERROR_SOURCE (logged). */
int cap_camera_enable_preview(CapCamera *cam, int width, int height);
/* A preview frame: a new reference (the caller unrefs it), or NULL when the preview is off or no frame has arrived
 * yet. at_ns < 0: the newest. Else the latest frame at or before take-clock time at_ns among the few kept (or the
 * oldest kept), so that a tile can show the frame of the tick the program is at: decoders of files run a few
 * frames ahead of the program. Thread-safe: meant for the UI thread, at its own rate. pts_ns is on the camera's
 * take clock (its first frame is 0); seq counts preview frames (a slow branch skips some). Never a program-path
 * frame: the branch makes its own. */
OtFrame *cap_camera_get_preview(CapCamera *cam, int64_t at_ns);
/* The camera as a runner source (valid until cap_camera_free). */
SwSource cap_camera_source(CapCamera *cam);
/* Stop the pipeline (idempotent). */
void cap_camera_stop(CapCamera *cam);
void cap_camera_free(CapCamera **cam);
const char *cap_camera_name(const CapCamera *cam);

/* The GstBuffer (as a GstBuffer *) whose mapped memory a capture frame points into, borrowed; NULL when the frame
 * was not made by capture. For tests that prove the zero-copy path. */
void *cap_frame_gst_buffer(const OtFrame *frame);

/* The gst-launch description of the conform chain used for every camera (for tests that conform clips the same
 * way independently of the runner). g_free the result. */
char *cap_conform_description(const CapFormat *fmt);

#endif
