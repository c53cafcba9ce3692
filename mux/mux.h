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
} MuxCodec;

/* "h264" / "ffv1" -> codec; -EINVAL for anything else. */
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
} MuxOutputConfig;

typedef struct MuxOutputStats {
    int64_t frames;    /* frames sent to the encoder */
    int64_t packets;   /* packets written */
    int64_t keyframes; /* key packets written */
    int64_t bytes;     /* bytes written to the file */
    int64_t copies;    /* frames whose pixels had to be copied to reach the encoder: 0 on the zero-copy path */
    int64_t zero_copy; /* frames handed to the encoder as a reference to the caller's planes */
    const uint8_t *last_data0; /* data[0] of the last AVFrame sent to the encoder (zero-copy test) */
} MuxOutputStats;

typedef struct MuxOutput MuxOutput;

/* Creates the file and writes the header. NULL on error (logged, with the path). */
MuxOutput *mux_output_alloc(const MuxOutputConfig *cfg);
/* Encode frame (borrowed: the encoder's AVFrame holds its own reference through an AVBufferRef whose free callback
 * unrefs it) at pts (in frames). force_key asks for a keyframe (IDR for H.264). 0 or a negative error. */
int mux_output_write(MuxOutput *out, OtFrame *frame, int64_t pts, int force_key);
/* Flush the encoder, write the trailer, fdatasync and close the file. 0 or a negative error. Idempotent. */
int mux_output_close(MuxOutput *out);
void mux_output_free(MuxOutput **out);
void mux_output_get_stats(MuxOutput *out, MuxOutputStats *stats);
/* The GOP in use: cfg->gop, or one second (round(fps)) when it was 0. */
int mux_output_get_gop(const MuxOutput *out);

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

/* The take folder (layout in docs/take-folder.md). Names of its files: */
#define MUX_TAKE_JSON_FILE "take.json"      /* the take's record: config, then outcome */
#define MUX_TAKE_PROGRAM_FILE "program.mkv" /* the master */
#define MUX_TAKE_CUES_FILE "cues.txt"       /* the cue list as loaded, byte for byte */
#define MUX_TAKE_CUTS_FILE "cuts.jsonl"     /* executed events, one JSON object per line */

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
/* The sink that writes every executed event to cuts.jsonl as it happens (flushed and synced per event). */
SwSink mux_take_event_sink(MuxTake *take);

typedef struct MuxTakeSummary {
    const SwRunnerStats *stats;
    const MuxOutputStats *program;
    int error;          /* 0 when the take closed cleanly */
    double wall_seconds;
} MuxTakeSummary;

/* Write take.json with status "closed" (or "failed" when summary->error) and the counts. 0 or negative. */
int mux_take_close(MuxTake *take, const MuxTakeSummary *summary);
/* Remove every file this take created (and the folder if it created it): for failures before the first frame,
 * so that nothing that looks like a take is left behind. Frees the take. */
void mux_take_abort(MuxTake **take);
void mux_take_free(MuxTake **take);

/* Route FFmpeg's av_log into ot_log (module "ffmpeg"), complete lines only. Call it once, after ot_log_set_level:
 * FFmpeg's own level is set to the same value. */
void mux_init_logging(void);

#endif
