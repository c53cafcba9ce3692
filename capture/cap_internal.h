/* onetake capture, internal: the camera structure shared by capture.c (pipelines, lockstep pulls), cap_live.c
 * (live cameras: queue, clock, supervisor, slate) and cap_audio.c (audio branch, audio-only sources). Not
 * part of capture's API.
 *
 * Threads and locks of a camera:
 * - CapCamera.lock (GMutex, leaf) protects video_linked, audio_linked, no_more_pads, other_streams, fakes:
 * pad-added runs on a streaming thread.
 * - CapLive.lock (pthread mutex, leaf) protects the live queue, the clock map, lost/why and the counters: the
 *   streaming threads push, the program thread polls (libc only on its side), the supervisor watches.
 * - The live supervisor thread (one per live camera) is the only one that changes a live pipeline's state
 * once it has started; cap_camera_stop joins it first. */
#ifndef CAP_INTERNAL_H
#define CAP_INTERNAL_H

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>

#include <gst/app/gstappsink.h>
#include <gst/gst.h>
#include <gst/video/video.h>

#include "cap_preview.h"
#include "capture.h"
#include "sw_audio.h"

/* The program audio format every audio branch is conformed to (sw_audio.h): S32 with the signal in the top bits, so
 * a 24-bit source is carried exactly; the branch's channels (cap_audio.c gives 5.1 and 7.1 their positions). */
#define CAP_AUDIO_CAPS "audio/x-raw,format=S32LE,rate=48000,layout=interleaved"

typedef struct CapLive CapLive;
typedef struct CapAudio CapAudio;
typedef struct CapPackets CapPackets;

struct CapCamera {
    char *name;
    char *source;
    int index;
    CapFormat fmt;
    GstElement *pipeline;
    GstElement *conform; /* bin: its sink pad is linked to the decoder's video pad (NULL: audio only) */
    GstAppSink *sink;    /* program video appsink (NULL: audio only) */
    GstBus *bus;
    GstVideoInfo info;
    GstCaps *info_caps; /* caps that `info` was made from */
    gboolean seekable;  /* a local file: stamped by stream time, which a seek keeps (running time restarts) */
    gboolean uridecode; /* built around uridecodebin: pads come and go with its state */
    gint64 first_t;     /* the first frame's running time (or stream time when seekable), -1 before it */
    gint64 origin;      /* take time of the first frame (cap_camera_set_origin), 0 */
    int64_t seq;
    GstSample *pending; /* the first sample, pulled by cap_camera_start */
    /* Files: the stop (stream time) of the last seek, -1: none; and where the last frame pulled ends, to tell the
     * end of the sought shot from the end of the file. */
    gint64 stop;
    gint64 last_end;
    gboolean video_linked;
    gboolean audio_linked;
    gboolean no_more_pads;
    char *other_streams; /* caps names of the non-video streams seen, for the "no video" message */
    GPtrArray *fakes;    /* fakesinks made for unused streams (removed when a live pipeline restarts) */
    gboolean started;
    gboolean failed;
    gboolean audio_only; /* --audio-src: no video branch */
    GMutex lock;
    CapPreview *preview; /* the multiview's branch (cap_preview.c), or NULL; set before start */
    CapLive *live;       /* live cameras (cap_live.c), or NULL */
    CapAudio *audio;     /* the audio branch (cap_audio.c), or NULL */
    CapPackets *packets; /* the compressed stream's tap (cap_packet.c), or NULL */
};

/* ---- capture.c ---- */
/* The camera's bus: the first error, logged; 0 when there is none. */
int cap_check_bus(CapCamera *cam);
/* Map a sample into a new OtFrame (takes the sample). pts_ns and seq are the caller's to set. */
int cap_wrap_sample(CapCamera *cam, GstSample *sample, OtFrame **out);
/* An I420 OtFrame over buf's pixels as info lays them out, mapped for reading; the frame holds a reference to buf
 * (not to its sample: appsink reuses its sample object). Zero copy. NULL when it cannot be mapped. The caller sets
 * source, seq and pts_ns. */
OtFrame *cap_frame_from_buffer(GstBuffer *buf, const GstVideoInfo *info);
/* Running time of a buffer in its segment, GST_CLOCK_TIME_NONE when it has none. */
GstClockTime cap_running_time(GstSample *sample);

/* ---- cap_live.c ---- */
/* Make cam live: queue, clock, slate (after the pipeline is built, before start). 0 or negative (logged). */
int cap_live_setup(CapCamera *cam);
/* Start a live camera: PLAYING on the common clock and base time, wait at most timeout_ms for a first frame;
 * a camera with no signal yet does not fail (it starts lost). Starts the supervisor. 0 or negative. */
int cap_live_start(CapCamera *cam, int timeout_ms);
void cap_live_stop(CapCamera *cam);
void cap_live_free(CapCamera *cam);
/* Map a buffer's running time (rt, GST_CLOCK_TIME_NONE: unknown) that arrived at arrival_ns to its capture
 * time on CLOCK_MONOTONIC (see cap_live.c: the smallest delay seen, so that no time is after its arrival). */
int64_t cap_live_capture_time(CapCamera *cam, GstClockTime rt, int64_t arrival_ns);
/* A buffer of any branch arrived (the supervisor's stall watch). */
void cap_live_arrived(CapCamera *cam, int64_t arrival_ns);
/* The clock and base time every pipeline of the process runs on. */
void cap_live_use_take_clock(GstElement *pipeline);
SwSource cap_live_source(CapCamera *cam, SwSource src);

/* ---- cap_packet.c ---- */
/* An element uridecodebin added: a video parser gets the tap (nothing when packets are not enabled). */
void cap_packet_tap(CapCamera *cam, GstElement *el);
/* The decoded frame (its buffer, tagged with its packet's number) got capture time t_ns and seq frame_seq
 * (OtFrame.seq): its packet, and
 * those before it that the decoder passed over, get that time. Streaming thread. */
void cap_packet_resolve(CapCamera *cam, GstBuffer *frame, int64_t t_ns, int64_t frame_seq);
/* A live restart: the next packet starts a new run (discont). */
void cap_packet_discont(CapCamera *cam);
void cap_packet_free_all(CapCamera *cam);

/* ---- cap_audio.c ---- */
/* The audio chain for a decoder's audio pad (pad-added), or for a pipe:/test: audio source. */
int cap_audio_link_pad(CapCamera *cam, GstPad *pad);
int cap_audio_setup(CapCamera *cam, int channels);
void cap_audio_end(CapCamera *cam);     /* end of stream or failure: readers stop waiting */
void cap_audio_close(CapCamera *cam);   /* teardown: unblock the writer */
void cap_audio_discont(CapCamera *cam); /* a live restart: the next block starts anew */
void cap_audio_free(CapCamera *cam);
/* Lockstep audio-only source: wait for its first block (bus errors, no audio stream, timeout). */
int cap_audio_wait_first(CapCamera *cam, int timeout_ms);
void cap_audio_get_stats(CapCamera *cam, CapLiveStats *st);

#endif
