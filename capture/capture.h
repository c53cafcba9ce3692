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
    /* Live takes (any camera live, see cap_source_is_live): test: sources then run live too, and every live camera
     * gets a bounded queue, the take clock, a supervisor that reconnects it, and a slate. */
    int live;
    int lost_after_ms; /* a live camera that delivers nothing for this long is lost (0: 500) */
    int queue_frames;  /* frames a live camera's queue holds before it drops its oldest (0: 4) */
    /* Threads per camera decoder (0: the decoder's own choice, one per core). With several cameras 1 is best: they
     * decode in parallel with each other and the encoder, and a decoder's own threads only add overhead and
     * frames in flight (memory). */
    int decoder_threads;
} CapFormat;

typedef struct CapCamera CapCamera;

/* gst_init and routing of GStreamer's log into ot_log. Call once before anything else here. */
int cap_init(int *argc, char ***argv);
void cap_deinit(void);

/* Check a SOURCE string (docs/contract.md: path, URI, test:PATTERN, pipe:FRAGMENT) without opening it. Returns 0 or a
 * negative error after logging what is wrong with it and how to fix it (e.g. a missing file). */
int cap_source_check(const char *name, const char *source);

/* What a SOURCE string names (the one reading of the SOURCE grammar; cap_source_check says whether it is usable). */
typedef enum CapSourceKind {
    CAP_SOURCE_PATH,     /* a local file's path */
    CAP_SOURCE_FILE_URI, /* file:// */
    CAP_SOURCE_URI,      /* any other URI: a device or a network stream */
    CAP_SOURCE_TEST,     /* test:PATTERN (generated) */
    CAP_SOURCE_PIPE,     /* pipe:FRAGMENT (a gst-launch fragment) */
} CapSourceKind;
CapSourceKind cap_source_kind(const char *source);
/* A local file, as a path or a file:// URI: what can be sought, remuxed or opened by an editor. */
int cap_source_is_file(const char *source);

/* 1 when SOURCE delivers in real time whether we take its frames or not: a device or network URI (v4l2://,
 * srt://, rtsp://, udp://, rtp://, rtmp://...) or a pipe: fragment whose source element is live (needs
 * cap_init). test:PATTERN is live only inside a live take (CapFormat.live). */
int cap_source_is_live(const char *source);

/* Build the pipeline of camera `index`. NULL on error (logged). */
CapCamera *cap_camera_alloc(const char *name, const char *source, int index, const CapFormat *fmt);
/* Start the pipeline and wait until its first frame is there (or an error: not video, cannot decode...), at most
 * timeout_ms. 0 or a negative error (logged). */
int cap_camera_start(CapCamera *cam, int timeout_ms);
/* A file camera whose first frame is not at take time 0 but at offset_ns (a live copy ISO starts at the
 * keyframe before its first shown frame: take.json's start_ms). Between alloc and start. 0 or -EINVAL. */
int cap_camera_set_origin(CapCamera *cam, int64_t offset_ns);
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
/* The camera as a runner source (valid until cap_camera_free): pull (lockstep) or poll (live), its slate, and its
 * audio when enabled. */
SwSource cap_camera_source(CapCamera *cam);
int cap_camera_is_live(const CapCamera *cam);

/* Decode the camera's first audio stream too, conformed to 48 kHz S32 with `channels` channels (1, 2, 6: 5.1, 8: 7.1;
 * audioconvert mixes what the source has into them), for the program audio.
 * Call between cap_camera_alloc and cap_camera_start. 0, -EBUSY (started), -ENOTSUP (test: and pipe: cameras
 * carry no audio: use --audio-src), or negative (logged). A camera whose source turns out to have no audio
 * gives silence (said once). */
int cap_camera_enable_audio(CapCamera *cam, int channels);
/* After cap_camera_start: 1 when the camera's source has an audio stream (linked), 0 when it has none, -1 when
 * it cannot be told yet. */
int cap_camera_has_audio(CapCamera *cam);
/* The channels its audio is conformed to (cap_camera_enable_audio), 0: audio not enabled. */
int cap_camera_audio_channels(const CapCamera *cam);
/* An audio-only source (--audio-src SOURCE): a file or URI (its first audio stream), test:WAVE (audiotestsrc
 * wave=WAVE, e.g. test:ticks or test:sine) or pipe:FRAGMENT ending in raw audio. Start it with
 * cap_camera_start (it waits for the first audio), read it with cap_camera_audio_source. NULL on error. */
CapCamera *cap_audio_alloc(const char *name, const char *source, const CapFormat *fmt, int channels);
/* The camera's audio as a runner audio source (read NULL when audio is not enabled). */
SwAudioSource cap_camera_audio_source(CapCamera *cam);

typedef struct CapLiveStats {
    int64_t frames;        /* frames that reached the queue */
    int64_t overflow;      /* frames the queue discarded (oldest first) because the program did not take them */
    int64_t restarts;      /* reconnections (pipeline to NULL and PLAYING again) */
    int64_t losses;        /* times the camera was found lost */
    int64_t delay_max_ns;  /* longest capture-to-arrival delay seen (how much --latency the camera needs) */
    int64_t audio_late;    /* audio frames that arrived after the program had made their tick */
    int64_t audio_overflow;
    int lost;              /* lost right now */
} CapLiveStats;
/* Counters of a live camera (zeros for a file). Thread-safe. */
void cap_camera_get_live_stats(CapCamera *cam, CapLiveStats *stats);
/* A live camera's own compressed stream (cap_packet.c), for its copy ISO: the parsed access units between the
 * parser and the decoder, in decode order, each stamped with its decoded frame's capture time. */
typedef struct CapStreamInfo {
    char codec[16];     /* libavcodec's name: "h264", "hevc", "mpeg2video", "mpeg1video" */
    uint8_t *extradata; /* codec private data: avcC, hvcC, MPEG-2's sequence header (may be NULL) */
    int extradata_size;
    int width, height;
    int fps_num, fps_den; /* 0/1: unknown */
} CapStreamInfo;

typedef struct CapPacket {
    const uint8_t *data; /* valid until cap_packet_free */
    size_t size;
    int64_t pts_ns;  /* capture time on CLOCK_MONOTONIC: its decoded frame's (OtFrame.pts_ns) */
    int64_t dts_ns;  /* decode time on the same clock, INT64_MIN: none */
    int64_t frame_seq; /* OtFrame.seq of the decoded frame that gave it its time */
    int key;         /* a keyframe (the decoder can start here) */
    int discont;     /* packets before this one were lost (a restart after a loss, a full queue) */
    int params_changed; /* the stream's codec private data changed before this packet */
} CapPacket;

typedef struct CapPacketStats {
    int64_t packets;        /* packets queued */
    int64_t dropped;        /* packets lost: the queue was full, or their run ended before their frame */
    int64_t params_changes; /* caps changes with new codec private data */
    int64_t discarded;      /* parsed buffers that were not copied (not a copied codec, no time) */
} CapPacketStats;

/* Tap the camera's compressed stream: at most max_packets (0: 600) are held; when full the oldest is dropped
 * and counted (the decoder never waits). Live network and device URIs only (-ENOTSUP, logged, for files,
 * test: and pipe:). Call between cap_camera_alloc and cap_camera_start. */
int cap_camera_enable_packets(CapCamera *cam, int max_packets);
/* The stream once the tap has seen caps it copies (H.264 avc, H.265 hvc1/hev1, MPEG-1/2 video): 0 (clear
 * info with cap_stream_info_clear), or -EAGAIN (none yet: a raw stream never has one). Thread-safe. */
int cap_camera_get_stream_info(CapCamera *cam, CapStreamInfo *info);
void cap_stream_info_clear(CapStreamInfo *info);
/* The oldest packet whose time is known: 0 with *out (free it with cap_packet_free), -EAGAIN when none is
 * ready. Thread-safe (the ISO's thread). */
int cap_camera_pull_packet(CapCamera *cam, CapPacket **out);
void cap_packet_free(CapPacket **pkt);
void cap_camera_get_packet_stats(CapCamera *cam, CapPacketStats *stats);

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
