/* onetake mux: libavcodec encoding, libavformat Matroska muxing, the take folder. The only folder that includes
 * libav* headers. Files are written append-only (the muxer sees a non-seekable output and never seeks back), so
 * every byte, once written, stays as it is: a crash leaves a playable prefix and the proof can hash ranges live. */
#ifndef MUX_H
#define MUX_H

#include <stdint.h>

#include "ot_frame.h"
#include "sw_cues.h"
#include "sw_runner.h"
#include "sw_timecode.h"

typedef enum MuxCodec {
    MUX_CODEC_H264 = 0, /* libx264 */
    MUX_CODEC_FFV1,     /* lossless, level 3, slice CRCs */
    MUX_CODEC_COPY,     /* ISOs only: the camera file's own packets, remuxed (mux_iso_copy.c) */
} MuxCodec;

/* Time base (1/MUX_COPY_TB_DEN s) of a copy ISO's packets and of their PKT records in the take log:
 * Matroska's millisecond, so that the pts read back from the file is the recorded one exactly. */
#define MUX_COPY_TB_DEN 1000

/* "h264" / "ffv1" -> codec; -EINVAL for anything else ("copy" too: it is no encoder, only an ISO mode). */
int mux_codec_from_name(const char *name, MuxCodec *codec);
const char *mux_codec_name(MuxCodec codec);

typedef struct MuxOutputConfig {
    const char *path;     /* the .mkv to create (must not exist) */
    MuxCodec codec;
    int width, height;    /* I420 */
    SwRate rate;          /* frame rate; the stream time base is rate.den/rate.num, pts = program frame index */
    int gop;              /* frames between forced keyframes (0: one second) */
    const char *take_id;  /* Matroska tag TAKE_ID (may be NULL) */
    const char *role;     /* Matroska tag ROLE: "program" or "iso NAME" */
    const char *title;    /* Matroska title (may be NULL) */
    const char *timecode; /* start timecode tag "HH:MM:SS:FF" (may be NULL) */
    int threads;          /* encoder threads, 0 = auto */
    int nice;             /* > 0: the encoder's threads and its writer's run this much nicer (live ISOs yield the
                           * cores to the program path; their own queues absorb it, declared) */
    const char *preset;   /* x264 preset (ultrafast ... placebo), NULL = veryfast; ignored by FFV1 */
    /* The proof (proof/proof.h), all optional. proof: this file's stream in the take log (PKT and FILE records;
     * at a key packet once a commit is due, the cluster is ended, flushed and fdatasync'ed and the stream's
     * records released). proof_log: set on the program output only: it then also commits the log there.
     * genesis: Matroska tag GENESIS (the take log's genesis hash). */
    struct ProofStream *proof;
    struct ProofLog *proof_log;
    const char *genesis;
    /* Program audio (audio_channels 0: none): a FLAC track (48 kHz, audio_bits 24 or 16; 0 is 24) in the same
     * file, interleaved with the video, fed by mux_output_write_audio. audio_proof: its stream in the take log
     * (its PKT records; its bytes are in this file's FILE records). */
    int audio_channels;
    int audio_bits;
    struct ProofStream *audio_proof;
    /* Subtitles (sub_nlangs 0: none): one S_TEXT/UTF8 track per language, in this order, fed by
     * mux_output_write_sub; at the close subtitles.LANG.srt and .vtt beside the file. sub_proofs[i] (may be
     * NULL): language i's stream in the take log (its bytes are in this file's FILE records). */
    const char *const *sub_langs;
    int sub_nlangs;
    struct ProofStream *sub_proofs[SW_SUB_MAX_LANGS];
    /* More program audio tracks (stems), after that first one, in this order: each its channels (1, 2, 6, 8:
     * mono, stereo, 5.1, 7.1), its Matroska title, its ROLE tag (the take log's stream role) and proof stream.
     * The first track's title is audio_title (NULL: none). */
    const char *audio_title;
    const char *audio_role; /* the first track's ROLE tag (NULL: "program audio") */
    int nstems;
    struct {
        int channels;
        const char *title;
        const char *role;
        struct ProofStream *proof;
    } stems[SW_AUDIO_MAX_TRACKS - 1];
} MuxOutputConfig;

/* A track's loudness, ITU-R BS.1770-4 / EBU R128 (libebur128), of every sample it was given. -INFINITY: below
 * the gate / digital silence. */
typedef struct MuxLoudness {
    int measured;          /* the track was flushed and measured */
    double integrated_lufs; /* integrated loudness, LUFS */
    double range_lu;        /* loudness range, LU */
    double true_peak_dbtp;  /* the highest true peak over the channels, dBTP */
} MuxLoudness;

/* Program out live (mux_stream.c): the program's own encoded packets (no second encode) to other containers
 * and places: MPEG-TS to srt://, udp:// or a .ts file, FLV to rtmp:// or a .flv file. Each stream has its own
 * thread and a bounded queue; the mux thread never waits for one (docs/take-folder.md, README "Streams"). */
#define MUX_STREAM_MAX 8
#define MUX_STREAM_URL_MAX 256

typedef struct MuxStreamConfig {
    const char *const *urls; /* as given to --stream */
    int nurls;
    int optional;        /* 1: a stream that cannot be opened at the start keeps trying in the background */
    int queue_ms;        /* media each stream's queue holds (0: 2000 ms) */
    int open_timeout_ms; /* the first connection (a listener waits this long for its caller; 0: 10000) */
    const char *take_id; /* in the MPEG-TS service name, FLV onMetaData take_id */
    const char *genesis; /* the take log's genesis hash: MPEG-TS service provider, FLV onMetaData genesis */
} MuxStreamConfig;

typedef struct MuxStreamStats {
    char url[MUX_STREAM_URL_MAX]; /* as given, an RTMP key and an SRT passphrase hidden */
    const char *format;           /* "mpegts" or "flv" (static) */
    int64_t bytes;                /* written to the connection or file */
    int64_t packets;              /* video packets sent */
    int64_t gops_dropped;         /* whole GOPs not sent (queue full, not connected, lost, not sent by the close) */
    int64_t frames_dropped;       /* their frames (declared: ANOMALY stream-drop) */
    int64_t reconnects;           /* connections made again after a loss */
    int connected;                /* connected at the time of asking */
    double latency_median_ms;     /* program tick to the packet written to the socket (final after the close) */
    double latency_max_ms;
} MuxStreamStats;

/* "mpegts" or "flv" for a --stream URL, NULL when it is none onetake can send (the reason in why). */
const char *mux_stream_format(const char *url, const char **why);

typedef struct MuxOutputStats {
    int64_t frames;    /* frames sent to the encoder */
    int64_t packets;   /* packets written */
    int64_t keyframes; /* key packets written */
    int64_t bytes;     /* bytes written to the file */
    int64_t copies;    /* frames whose pixels had to be copied to reach the encoder: 0 on the zero-copy path */
    int64_t zero_copy; /* frames handed to the encoder as a reference to the caller's planes */
    const uint8_t *last_data0; /* data[0] of the last AVFrame sent to the encoder (zero-copy test) */
    int64_t audio_frames;  /* program audio frames (1/48000 s) given to the audio track */
    int64_t audio_packets; /* its packets written */
    int64_t sub_lines;     /* subtitle lines written (every language) */
    int64_t sub_lines_lang[SW_SUB_MAX_LANGS]; /* of those, per language (MuxOutputConfig.sub_langs order) */
    int audio_tracks;           /* the first and the stems */
    MuxLoudness audio_loudness[SW_AUDIO_MAX_TRACKS]; /* of each audio track, once it is flushed */
    int64_t audio_track_packets[SW_AUDIO_MAX_TRACKS];
    int nstreams; /* --stream outputs fed from this output's packets */
    MuxStreamStats streams[MUX_STREAM_MAX];
} MuxOutputStats;

typedef struct MuxOutput MuxOutput;

/* Creates the file and writes the header. NULL on error (logged, with the path). */
MuxOutput *mux_output_alloc(const MuxOutputConfig *cfg);
/* Encode frame (borrowed: the encoder's AVFrame holds its own reference through an AVBufferRef whose free callback
 * unrefs it) at pts (in frames). force_key asks for a keyframe (IDR for H.264). 0 or a negative error. */
int mux_output_write(MuxOutput *out, OtFrame *frame, int64_t pts, int force_key);
/* Program audio track `track` (0: the first, 1...: MuxOutputConfig.stems): n more frames (its channels, interleaved
 * SwSample at 48 kHz), continuing the track
 * from sample 0. 0 or a negative error (sticky, like the video's). */
int mux_output_write_audio(MuxOutput *out, int track, const SwSample *samples, int n);
/* Subtitles: language lang (index into MuxOutputConfig.sub_langs) shows text (NULL: nothing) from program frame
 * `frame` on; the line it ends is written then (frames must not decrease per language). Call before the frame
 * at `frame` is written. The open lines end at the close. 0 or a negative error (sticky). */
int mux_output_write_sub(MuxOutput *out, int lang, int64_t frame, const char *text);
/* Its audio tracks (0: none), and a track's channels. */
int mux_output_audio_tracks(const MuxOutput *out);
int mux_output_audio_channels(const MuxOutput *out, int track);
/* Flush the encoder, write the trailer, fdatasync and close the file. 0 or a negative error. Idempotent. */
int mux_output_close(MuxOutput *out);
void mux_output_free(MuxOutput **out);
void mux_output_get_stats(MuxOutput *out, MuxOutputStats *stats);
/* Send this output's video packets live as cfg says (an H.264 output only): one thread and queue per URL, each
 * connected (or its file created) before this returns; a URL that cannot be opened within cfg->open_timeout_ms is
 * an error (logged with the URL and a fix) unless cfg->optional. Call once, before the first frame. A stream that
 * falls behind or loses its connection drops whole GOPs, declared on the output's proof stream as ANOMALY
 * stream-drop, and reconnects with a backoff; the output is never held up. The close ends every stream. 0 or
 * negative (nothing is left running). */
int mux_output_start_streams(MuxOutput *out, const MuxStreamConfig *cfg);
/* The GOP in use: cfg->gop, or one second (round(fps)) when it was 0. */
int mux_output_get_gop(const MuxOutput *out);
/* The most program audio frames one tick carries (0: the output has no audio track). */
int mux_output_audio_tick_frames(const MuxOutput *out);

/* A mux thread around one output: the program thread pushes references into a bounded queue (blocking when it is
 * full: file sources are paced by the encoder), the mux thread encodes and writes. */
typedef struct MuxWriter MuxWriter;

/* Takes ownership of out on success; on failure (NULL) out stays the caller's. At most queue_len frames are held by
 * the mux (queued or being encoded; 0: 4). gop as in MuxOutputConfig (0: the output's): keyframes are forced at
 * every cut and at every tick that is a multiple of gop. */
MuxWriter *mux_writer_alloc(MuxOutput *out, int queue_len, int gop);
/* The sink to add to the runner (program_frame only). After the mux thread's first error, program_frame returns
 * that error (and the mux thread keeps draining), so the runner ends the take. */
SwSink mux_writer_sink(MuxWriter *w);
/* Drain the queue, close the output, join the thread. Returns the first error the mux thread met, or 0. */
int mux_writer_finish(MuxWriter *w);
void mux_writer_free(MuxWriter **w);
void mux_writer_get_stats(MuxWriter *w, MuxOutputStats *stats);
/* Queue frame (a new reference is taken) with pts for the mux thread, for writers fed outside the runner's
 * program_frame (the ISOs). block=1 waits while every item is in flight, like program_frame; block=0 never
 * waits: -EAGAIN (nothing queued, the caller counts the drop). 0, -EAGAIN, -EPIPE after finish, or the mux
 * thread's first error. */
int mux_writer_push(MuxWriter *w, OtFrame *frame, int64_t pts, int force_key, int block);
/* Who declares the ticks mux_writer_push dropped (-EAGAIN): each run of consecutive dropped ticks (first,
 * count) travels with the next frame queued and on_gap is called on the mux thread just before that frame is
 * written (so it may write to what only that thread uses, such as the output's proof stream); a run still
 * pending at mux_writer_finish is declared there, after the join, before the output is closed. Set before the
 * take. */
void mux_writer_set_gap_hook(MuxWriter *w, void (*on_gap)(void *opaque, int64_t first, int64_t count),
                             void *opaque);
/* The program's proof stream (NULL: none): the mux thread then writes a RAW record per frame (hash of the visible
 * pixels, before encoding), and the CUT/END events and declared repeats the sink receives. Call before the take. */
void mux_writer_set_proof(MuxWriter *w, struct ProofStream *proof);
/* Program thread, before tick's program_frame: the take log's LTC record for that tick (the cue clock is LTC frame
 * `frame`, timecode tc, freewheel 1 when run on from the last mapping), written by the mux thread with the frame.
 * One per frame (a second note replaces the first). 0 or -EINVAL. */
int mux_writer_note_ltc(MuxWriter *w, int64_t tick, int64_t frame, const char *tc, int freewheel);

/* The take folder (layout in docs/take-folder.md). Names of its files: */
#define MUX_TAKE_JSON_FILE "take.json"      /* the take's record: config, then outcome */
#define MUX_TAKE_JSON_MAX (16 * 1024 * 1024) /* the largest take.json read back (a record is a few KB) */
#define MUX_CUTS_MAX (64 * 1024 * 1024)      /* the largest cuts.jsonl read back (about 150 bytes a cut) */
#define MUX_TAKE_PROGRAM_FILE "program.mkv" /* the master */
#define MUX_TAKE_CUES_FILE "cues.txt"       /* the cue list as loaded, byte for byte */
#define MUX_TAKE_CUTS_FILE "cuts.jsonl"     /* executed events, one JSON object per line */
#define MUX_TAKE_EDL_FILE "cuts.edl"        /* the executed cuts as a CMX3600 EDL (mux_cutlist_write) */
#define MUX_TAKE_OTIO_FILE "cuts.otio"      /* the executed cuts as OpenTimelineIO JSON (mux_cutlist_write) */
#define MUX_TAKE_ISO_DIR "iso"              /* ISOs: iso/NAME.mkv (mux_iso_alloc) */
#define MUX_TAKE_SUBS_FILE_FMT "subtitles.%s.%s" /* subtitles.LANG.srt, subtitles.LANG.vtt: made at the close */

/* The subtitle tracks of a master read back (replay): languages in track order, and every line in file order
 * with its frames [start, end) on the take's rate. */
typedef struct MuxSubTrackLine {
    int lang;
    int64_t start, end;
    char *text;
} MuxSubTrackLine;

typedef struct MuxSubTracks {
    char *langs[SW_SUB_MAX_LANGS];
    int nlangs;
    MuxSubTrackLine *lines;
    int nlines;
} MuxSubTracks;

/* NULL when the file cannot be read (logged). */
MuxSubTracks *mux_sub_tracks_load(const char *path, SwRate rate);
void mux_sub_tracks_free(MuxSubTracks **tracks);

typedef struct MuxTakeConfig {
    const char *dir;
    const char *const *cams; /* camera names, in --cam order */
    const char *const *sources; /* camera sources as given */
    int ncams;
    SwRate rate;
    int width, height;
    MuxCodec codec;
    const char *cues_path;  /* the cue list file as loaded, or NULL */
    const char *command_line; /* for the record, or NULL */
    int gop;                  /* program GOP in frames, recorded for replay (0: not recorded) */
    const char *iso_codec;    /* "ffv1"/"h264"/"copy": every camera has an ISO (iso/NAME.mkv); NULL: none */
    const char *replay_of;    /* take id of the take this one replays (onetake replay), or NULL */
    const char *preset;       /* x264 preset of an h264 program (NULL: the default), recorded for replay */
    const char *iso_preset;   /* x264 preset of h264 ISOs (NULL: the default), recorded */
    int threads;              /* program encoder threads (0: the default, 2), recorded for replay: x264's output
                               * depends on it */
    int audio_bits;           /* program audio's FLAC bits, 24 or 16 (0: 24), recorded in take.json's audio */
} MuxTakeConfig;

typedef struct MuxTake MuxTake;

/* Refuses (NULL, logged with a fix) when dir holds anything: a take is never overwritten. Creates dir (and parents)
 * when missing, copies the cue list as cues.txt, writes take.json with status "recording". */
MuxTake *mux_take_create(const MuxTakeConfig *cfg);
const char *mux_take_dir(const MuxTake *take);
const char *mux_take_id(const MuxTake *take); /* 32 hex digits, random per take */
/* Path of a file in the take folder (g_free the result). */
char *mux_take_path(const MuxTake *take, const char *name);
/* The cue list the switcher runs (borrowed: must outlive the take), so that cuts.jsonl can give the cue's line and
 * label for events that came from a cue. NULL (the default) when there is none. */
void mux_take_set_cues(MuxTake *take, const SwCueList *cues);
/* The ISO codec decided once the cameras started (--iso-codec auto): take.json is written again. 0 or negative. */
int mux_take_set_iso_codec(MuxTake *take, const char *iso_codec);
/* The sink that writes every executed event to cuts.jsonl as it happens (flushed and synced per event). */
SwSink mux_take_event_sink(MuxTake *take);

/* ISOs: every camera recorded to DIR/iso/NAME.mkv from the frames the switcher sees, tapped through the
 * runner's camera_frame sink on the take clock: ISO frame k of every camera is take frame k (a tick at which
 * the camera had no new frame writes its previous frame again, counted in repeats). Each ISO has its own
 * MuxWriter: mux thread and bounded queue. In lockstep (file sources) a full queue blocks the program thread,
 * like the program's; in real time it never blocks: the frame is dropped (pts k is missing from the ISO, so
 * later frames keep their index), counted, and declared through on_drop. */
/* A live camera's own compressed stream for its copy ISO (capture's tap, wired by the app: mux does not know
 * capture). Times are capture times on CLOCK_MONOTONIC, the runner's frames' own clock. */
#define MUX_LIVE_EXTRADATA_MAX 4096
typedef struct MuxLiveStream {
    char codec[16]; /* libavcodec's name: "h264", "hevc", "mpeg2video" */
    uint8_t extradata[MUX_LIVE_EXTRADATA_MAX]; /* codec private data (avcC, hvcC, sequence header) */
    int extradata_size;
    int width, height;
    int fps_num, fps_den; /* 0/1: unknown */
} MuxLiveStream;

typedef struct MuxLivePacket {
    const uint8_t *data;
    size_t size;
    int64_t pts_ns, dts_ns; /* dts INT64_MIN: none */
    int64_t frame_seq; /* OtFrame.seq of the decoded frame that gave it its time (the runner's frames) */
    int key, discont, params_changed; /* discont: packets before this one were lost */
    void *handle; /* the source's */
} MuxLivePacket;

typedef struct MuxPacketSource {
    void *opaque; /* NULL: the camera has no live stream (a file: its copy ISO remuxes the file) */
    /* 0 with the stream's description, -EAGAIN when it is not known (no compressed stream seen). */
    int (*stream)(void *opaque, MuxLiveStream *st);
    /* The next packet in decode order whose time is known: 0 (give it back with release), or -EAGAIN. Never
     * blocks. Called on the ISO's own thread. */
    int (*pull)(void *opaque, MuxLivePacket *pkt);
    void (*release)(void *opaque, MuxLivePacket *pkt);
} MuxPacketSource;

typedef struct MuxIsoConfig {
    const char *dir;         /* the take folder: creates dir/iso/ and dir/iso/NAME.mkv (O_EXCL) */
    const char *const *cams; /* camera names, in --cam order */
    const char *const *sources; /* camera sources as given: read by MUX_CODEC_COPY (files only) */
    int ncams;
    MuxCodec codec;          /* MUX_CODEC_COPY: each ISO remuxes its camera's file on the take clock */
    int width, height;
    SwRate rate;
    int gop;                 /* keyframe every gop frames (0: one second); FFV1 is intra only anyway */
    const char *preset;      /* x264 preset of h264 ISOs (NULL: the default) */
    const char *take_id;     /* Matroska TAKE_ID */
    const char *timecode;    /* the take's start timecode (TIMECODE tag): ISO frame k is take frame k */
    int queue_len;           /* frames each ISO may hold (0: 8) */
    int realtime;            /* 1: never block the program thread (live sources): drop when a queue is full */
    /* Declares dropped frames: called once per run of consecutive dropped ticks of camera cam, on that ISO's
     * mux thread just before its next frame is written (or in mux_iso_finish), so that it may write to what
     * only that thread uses: the take log's ANOMALY record on the ISO's proof stream. May be NULL. */
    void (*on_drop)(void *opaque, int cam, int64_t first_tick, int64_t count);
    void *on_drop_opaque;
    /* Called for each ISO before its MuxOutput is made, with the config filled in: lets the caller add what
     * it wires into every output (proof streams, preset...). May be NULL. */
    void (*configure)(void *opaque, int cam, MuxOutputConfig *out);
    void *configure_opaque;
    /* MUX_CODEC_COPY: per camera (ncams entries, or NULL: all files), the live stream whose packets the ISO
     * records (mux_iso_live.c); an entry with opaque NULL is a file camera. */
    const MuxPacketSource *live;
    /* Declares what a live copy ISO leaves out or changes (kind "iso-restart": its stream restarted after a
     * loss, the ISO goes on at a keyframe; "iso-params": new codec private data), on the ISO's thread, like
     * on_drop. May be NULL. */
    void (*on_anomaly)(void *opaque, int cam, const char *kind, int64_t tick, const char *detail);
    void *on_anomaly_opaque;
    /* The camera's own audio in its ISO, ROLE "iso NAME audio": encoded ISOs, audio_channels[cam] channels (0:
     * none) fed by the runner's camera_audio through the sink, a FLAC track of audio_bits (0: 24); copy ISOs,
     * nonzero: the file's own audio packets remuxed (mux_iso_copy_probe_audio). */
    int audio_channels[SW_MAX_CAMS];
    int audio_bits;
} MuxIsoConfig;

typedef struct MuxIsoStats {
    const char *camera; /* borrowed from the MuxIso */
    const char *file;   /* "iso/NAME.mkv", relative to the take folder */
    int64_t frames;     /* frames queued for the ISO: one per tick, repeats included */
    int64_t repeats;    /* of those, the camera's previous frame again (no new frame at that tick) */
    int64_t dropped;    /* ticks not written because the ISO's queue was full (real time only) */
    int64_t failed_at;  /* tick at which the ISO failed and stopped (the take went on), -1 */
    int live;           /* a live copy ISO: the camera's compressed stream */
    int64_t start_ms;   /* take time (ms) of the ISO's time 0: a live copy ISO starts at the keyframe before its
                         * first shown frame, often before the roll (< 0); 0 for every other ISO */
    int64_t restarts;   /* live copy: times the ISO went on at a keyframe after lost packets (declared) */
    int64_t lost_packets; /* live copy: packets not in the ISO (lost by capture, or skipped to a keyframe) */
    int error;          /* the ISO's first error, 0 */
    MuxOutputStats out; /* the file as written */
} MuxIsoStats;

typedef struct MuxIso MuxIso;

/* The audio tracks of two Matroska files packet for packet (payload, pts, duration): 0 when every track is the
 * same, 1 when they differ (what and where in diff), negative when a file cannot be read (logged). *ntracks and
 * *npackets: what was compared. */
int mux_audio_compare(const char *a, const char *b, int *ntracks, int64_t *npackets, char *diff, size_t size);
/* A copy ISO's camera file has an audio stream (its packets are remuxed into the ISO): 1, with its codec's name
 * (libavcodec's: "aac", "opus"...) in codec; 0 without; negative when the file cannot be read. */
int mux_iso_copy_probe_audio(const char *source, char *codec, size_t size);
/* Creates dir/iso/ and one output + writer per camera. NULL on error (logged), leaving nothing behind. */
MuxIso *mux_iso_alloc(const MuxIsoConfig *cfg);
/* The sink to add to the runner (camera_frame only). An ISO that fails is logged once and stops; the take
 * goes on (the master comes first): mux_iso_finish returns the error and the stats say where. */
SwSink mux_iso_sink(MuxIso *iso);
/* Drain, close every ISO, join the threads. 0 or the first error of any ISO. */
int mux_iso_finish(MuxIso *iso);
int mux_iso_count(const MuxIso *iso);
/* Counters of ISO i (thread-safe while recording; final after mux_iso_finish). */
void mux_iso_get_stats(MuxIso *iso, int i, MuxIsoStats *stats);
/* Live copy ISOs: the roll (CLOCK_MONOTONIC time of take time 0), before the first tick. */
void mux_iso_set_roll(MuxIso *iso, int64_t roll_ns);
/* For failures before the first frame: remove the ISO files and dir/iso/ (made by this MuxIso), then free. */
void mux_iso_abort(MuxIso **iso);
void mux_iso_free(MuxIso **iso);

/* What capture knows of a live camera, for take.json. */
typedef struct MuxLiveCamInfo {
    int64_t restarts;      /* reconnections (its pipeline restarted after a loss) */
    int64_t jitter_max_ns; /* longest arrival delay beyond the camera's fastest frame */
    int64_t audio_late;    /* its audio frames that arrived after their tick was made */
} MuxLiveCamInfo;

/* A named count for take.json (the control server's and the tally's, say). */
typedef struct MuxCount {
    const char *name;
    int64_t value;
} MuxCount;

/* A group of counts: take.json's "KEY": {"name": value, ...}; KEY NULL ends a list of groups. */
typedef struct MuxCountGroup {
    const char *key;
    const MuxCount *counts;
    int n;
} MuxCountGroup;

/* A program audio track as take.json lists it. */
typedef struct MuxAudioTrackInfo {
    const char *title; /* its Matroska title, or NULL */
    const char *from;  /* "camera NAME", "source SOURCE", "afv" */
    int channels;
} MuxAudioTrackInfo;

typedef struct MuxTakeSummary {
    const MuxLiveCamInfo *live; /* one per camera in a live take, else NULL */
    int64_t latency_ns;         /* live: --latency */
    const char *audio_from;     /* program audio: "camera NAME", "source SOURCE", "afv"; NULL: none */
    const SwRunnerStats *stats;
    const MuxOutputStats *program;
    const MuxIsoStats *isos; /* one per camera with --iso, else NULL */
    int nisos;
    int error;          /* 0 when the take closed cleanly */
    double wall_seconds;
    const MuxCountGroup *groups; /* more counts (control, tally), ended by key NULL; or NULL */
    const MuxAudioTrackInfo *audio_tracks; /* every program audio track, the first included; or NULL */
    int naudio_tracks;
    int has_loudness_target;     /* --loudness-target: take.json says how far each track is from it */
    double loudness_target;      /* LUFS */
} MuxTakeSummary;

/* Write take.json with status "closed" (or "failed" when summary->error) and the counts. 0 or negative. */
int mux_take_close(MuxTake *take, const MuxTakeSummary *summary);
/* Remove every file this take created (and the folder if it created it): for failures before the first frame,
 * so that nothing that looks like a take is left behind. Frees the take. */
void mux_take_abort(MuxTake **take);
void mux_take_free(MuxTake **take);

/* A take folder read back (take.json), for replay and archive. Absent fields are 0/NULL/-1. */
typedef struct MuxTakeInfo {
    char *dir;
    char *take_id;
    char *status; /* "recording", "closed", "failed" */
    SwRate rate;
    int drop_frame;
    int width, height;
    MuxCodec codec;
    int gop;        /* 0 when not recorded */
    char *preset;   /* x264 preset, NULL for the default */
    int threads;    /* program encoder threads, 0 when not recorded (the default, 2) */
    int ncams;
    char **cams;    /* ncams + NULL */
    char **sources; /* ncams + NULL */
    int has_iso;
    MuxCodec iso_codec;
    int64_t *iso_dropped; /* per camera, from the close (0 when not known) */
    int64_t *iso_start_ms; /* per camera: take time of the ISO's time 0 (MuxIsoStats.start_ms; 0: not known) */
    int64_t frames;       /* program frames, -1 while recording */
    char *end_reason;     /* or NULL */
    /* Program audio (take.json "audio" and "audio_tracks"): naudio 0 when none was recorded. */
    int audio_bits;
    int naudio;
    struct {
        char *title; /* or NULL */
        char *from;  /* "camera NAME", "source SOURCE", "afv" */
        int channels;
    } audio[SW_AUDIO_MAX_TRACKS];
} MuxTakeInfo;

/* Reads dir/take.json. NULL on error (logged with the path and what is wrong). */
MuxTakeInfo *mux_take_info_load(const char *dir);
void mux_take_info_free(MuxTakeInfo **info);

/* cuts.jsonl read back. */
typedef struct MuxCutEvent {
    int end;        /* 0: cut (cam on program from frame), 1: end (frame is not recorded) */
    int64_t frame;
    int cam;        /* index in --cam order */
    char *origin;   /* "start", "cue", "go", "manual", ... */
    int cue_line;   /* line in cues.txt, 0 when not from a cue */
    char *label;    /* the cue's label, or NULL */
    SwTransSpec trans; /* the transition the cut starts ("kind", "length", ...; kind SW_TRANS_CUT: none) */
    int64_t done_at;   /* its transition completed early by the director at this frame (a "complete" line: the
                        * loader folds it into the cut it belongs to), 0 when it ran its length */
} MuxCutEvent;

typedef struct MuxCutLog {
    MuxCutEvent *events; /* in file order */
    int nevents;
    int ended;           /* the last event is an end */
} MuxCutLog;

/* Reads path (cuts.jsonl) against the take's camera names; a last line without its newline (a torn write) is
 * ignored. NULL on error (logged: file, line, what). */
MuxCutLog *mux_cut_log_load(const char *path, const char *const *cams, int ncams);
void mux_cut_log_free(MuxCutLog **log);

/* Cut lists for post, made from cuts.jsonl: cuts.edl (CMX3600: program timecode against each camera's source
 * timecode, reels from camera names) and cuts.otio (OpenTimelineIO: Timeline > Stack > Track of Clips with
 * ExternalReferences). With ISOs the source timecode is the record timecode (ISO frame k is take frame k). */
typedef struct MuxCutListConfig {
    const char *dir;          /* the take folder: reads cuts.jsonl, writes cuts.edl and cuts.otio (atomic) */
    const char *title;        /* EDL TITLE and timeline name (NULL: "onetake take TAKE_ID") */
    const char *take_id;
    SwRate rate;
    const char *const *cams;  /* camera names, in --cam order */
    const char *const *media; /* per camera what clips point at ("iso/NAME.mkv", a file, a URI), or NULL */
    int ncams;
    int64_t frames;           /* the take's frame count: the end when cuts.jsonl has none (a failed take) */
} MuxCutListConfig;

int mux_cutlist_write(const MuxCutListConfig *cfg);
/* CMX3600 reel names for the cameras: uppercase letters, digits and _, at most 8 characters, unique, never
 * the reserved BL or AX. reels[i] needs 9 bytes. */
void mux_cutlist_reels(const char *const *cams, int ncams, char (*reels)[9]);

/* Route FFmpeg's av_log into ot_log (module "ffmpeg"), complete lines only. Call it once, after ot_log_set_level:
 * FFmpeg's own level is set to the same value. */
void mux_init_logging(void);

#endif
