/* onetake mux: what the files of mux/ share with each other and with nobody else (libav types: only mux/
 * includes libav* headers, so this header stays inside the folder). */
#ifndef MUX_INT_H
#define MUX_INT_H

#include <stdint.h>

#include <libavcodec/avcodec.h>

#include "mux.h"
#include "proof.h"

/* A MuxOutput with no encoder: a remux. The file, its append-only AVIO, bitexact mode, tags and proof hooks
 * are those of mux_output_alloc (cfg->codec, width and height are ignored); its one stream has par's codec
 * (copied: extradata and all) and frame_rate as its nominal rate (Matroska DefaultDuration; {0, 1} when
 * unknown). With a proof stream, its payload form is set from par (mux_payload_form). audio_par (may be NULL): a
 * second stream, the source's audio remuxed too (ROLE cfg->audio_role, title cfg->audio_title, proof
 * cfg->audio_proof). NULL on error (logged, file removed). */
MuxOutput *mux_output_alloc_copy(const MuxOutputConfig *cfg, const AVCodecParameters *par,
                                 AVRational frame_rate, const AVCodecParameters *audio_par);
/* A remux's audio (audio_par of mux_output_alloc_copy): one packet as it is, pts/dts/duration in
 * 1/MUX_COPY_TB_DEN s, interleaved before the next video packet that decodes after it. The packet stays the
 * caller's. 0 or a negative error (sticky). */
int mux_output_write_audio_packet(MuxOutput *out, const AVPacket *pkt);
/* Write one packet of a remux as it is: pts/dts/duration in 1/MUX_COPY_TB_DEN s, decode order. It goes
 * through the same hooks as an encoded packet (PKT record, commit at a due key packet, FILE ranges). The
 * packet stays the caller's (its fields may be changed). 0 or a negative error (sticky). */
int mux_output_write_packet(MuxOutput *out, AVPacket *pkt);
/* Audio track `track` of the writer's output: n frames for the next frame pushed (program thread), as the
 * runner's program_audio sink takes them. When the stash is full (a real-time writer dropping frames) the rest is
 * written as silence in its place, so that the track stays on the take clock. 0 or negative. */
int mux_writer_audio(MuxWriter *w, int track, const SwSample *samples, int n, int channels);
/* MuxOutputConfig.nice of out (0: none): the writer's thread takes it too. */
int mux_output_nice(const MuxOutput *out);
/* Make the calling thread (and the threads it starts) nice more (Linux: per thread). Nothing when nice <= 0. */
void mux_thread_nice(int nice);

/* The --stream outputs of one MuxOutput (mux_stream.c). Made by mux_output_start_streams; fed and ended by the
 * output on its own thread. */
typedef struct MuxStreams MuxStreams;
/* Opens every URL of cfg (each on a thread of its own) for a video stream of par's codec whose packets come with
 * pts in pkt_tb (program frames). NULL on error (logged, nothing left running). */
MuxStreams *mux_streams_alloc(const MuxStreamConfig *cfg, const AVCodecParameters *par, AVRational pkt_tb,
                              SwRate rate, int gop);
/* One video packet of the output, in decode order (a reference is queued, never a copy; never waits). tick_ns:
 * when its program frame was made (ot_mono_ns; 0 unknown). Drops are declared on proof (may be NULL) here, on the
 * output's thread. 0 or the proof's error. */
int mux_streams_push(MuxStreams *s, const AVPacket *pkt, int64_t tick_ns, ProofStream *proof);
/* No more packets: each stream sends what it holds (bounded wait), ends and joins; what was not sent is declared
 * on proof (may be NULL). 0 or the proof's error. Idempotent. */
int mux_streams_finish(MuxStreams *s, ProofStream *proof);
void mux_streams_get_stats(MuxStreams *s, MuxOutputStats *stats);
void mux_streams_free(MuxStreams **s);
/* The writer, before a frame is written: that frame (pts) was made at ns (ot_mono_ns), for the streams'
 * tick-to-socket latency. */
void mux_output_note_tick(MuxOutput *out, int64_t pts, int64_t ns);

/* How a stream's packets carry their payload, from its parameters (H.264/HEVC: avcC/hvcC length prefixes of
 * 1, 2 or 4 bytes, or Annex B without them; anything else: raw bytes). The writer and the verifier agree on
 * it.
 */
ProofPayload mux_payload_form(const AVCodecParameters *par);

/* The verifier's check of a finished file (mux_verify_patch.c): its first bytes and its Cues' ID, kept as the
 * file is read (nothing when the stream has no PATCH record), then the patch recomputed. */
typedef struct MuxVerifyPatch {
    uint8_t head[64 * 1024];
    size_t head_len;
    uint8_t cues[4];
    int cues_seen;
} MuxVerifyPatch;
void mux_verify_patch_bytes(MuxVerifyPatch *vp, const ProofStreamModel *m, int64_t pos, const uint8_t *buf,
                            size_t n);
/* 0 (v->files_finalized counted, a checked line) or -1 (INVALID in v, with the offset). */
int mux_verify_patch_check(MuxVerifyPatch *vp, const ProofTake *take, int index, const ProofFileCheck *c,
                           const char *file, ProofVerdict *v);

/* A copy ISO (mux_iso_copy.c): the camera's file remuxed to the ISO on the take clock, by a thread of its
 * own, as far as the frames the take has shown. */
typedef struct MuxIsoCopy MuxIsoCopy;

/* Opens source (a local path or a file:// URI) with libavformat, finds the first frame's pts (the take
 * clock's origin) and creates the ISO from cfg (path, tags, proof). camera names the camera in messages.
 * NULL on error (logged with the camera, the file and a fix; nothing left behind). */
MuxIsoCopy *mux_iso_copy_alloc(const MuxOutputConfig *cfg, const char *camera, const char *source,
                               int with_audio);
/* Program thread, once per tick: frame (borrowed) is what the camera shows at tick. Never blocks on the
 * remux: it only raises the limit that the ISO's thread writes up to. 0, or the ISO's first error. */
int mux_iso_copy_post(MuxIsoCopy *c, int64_t tick, const OtFrame *frame);
/* Write what the last posted frame needs, close the ISO, join its thread. 0 or the first error. *failed_at
 * (may be NULL) gets the tick the ISO was writing up to when it failed, else -1. Idempotent. */
int mux_iso_copy_finish(MuxIsoCopy *c, int64_t *failed_at);
void mux_iso_copy_get_stats(MuxIsoCopy *c, MuxOutputStats *stats);
/* Stops the thread (without writing more, when not finished) and frees. */
void mux_iso_copy_free(MuxIsoCopy **c);

/* A live copy ISO (mux_iso_live.c): the camera's compressed stream from src, remuxed to the ISO on the take
 * clock by a thread of its own, as far as the frames the take has shown. cam is the camera's index (for
 * on_anomaly). NULL on error (logged with the camera and a fix; nothing left behind). */
typedef struct MuxIsoLive MuxIsoLive;
MuxIsoLive *mux_iso_live_alloc(const MuxOutputConfig *cfg, const char *camera, int cam,
                               const MuxPacketSource *src, SwRate rate,
                               void (*on_anomaly)(void *, int, const char *, int64_t, const char *),
                               void *on_anomaly_opaque);
/* The roll (CLOCK_MONOTONIC of take time 0): the ISO writes nothing before it knows it. */
void mux_iso_live_set_roll(MuxIsoLive *c, int64_t roll_ns);
/* As mux_iso_copy_post: frame's capture time is how far the take has shown the camera. */
int mux_iso_live_post(MuxIsoLive *c, int64_t tick, const OtFrame *frame);
int mux_iso_live_finish(MuxIsoLive *c, int64_t *failed_at);
/* st->out, live, start_ms, restarts, lost_packets. */
void mux_iso_live_get_stats(MuxIsoLive *c, MuxIsoStats *st);
void mux_iso_live_free(MuxIsoLive **c);

#endif
