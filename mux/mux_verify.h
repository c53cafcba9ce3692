/* onetake mux: the verifier's media part. Demuxes each file of a take with libavformat in one streaming pass
 * and checks it against the take log's model (proof/proof.h ProofTake): every byte range and the whole-file
 * hash as the bytes are read, the Matroska tags (take id, genesis hash), every packet against its PKT record
 * (count, order, normalised payload hash, timestamps, key flag). */
#ifndef MUX_VERIFY_H
#define MUX_VERIFY_H

#include <stdint.h>

#include "proof.h"

/* Progress of a long check: bytes read of the file so far, out of total. */
typedef void (*MuxVerifyProgress)(void *opaque, const char *file, int64_t done, int64_t total);

/* Check stream `index` of take (its file under dir). path_override: check this file instead at packet level
 * only (a remux of the master, e.g. to MP4 with `ffmpeg -c copy`: the container's bytes are new, its packets
 * must be the recorded ones). Failures go into v (the first one wins). 0 when the stream passed, -1 when it
 * failed. */
int mux_verify_stream(const char *dir, const ProofTake *take, int index, const char *path_override,
                      ProofVerdict *v, MuxVerifyProgress progress, void *opaque);

/* verify --stream: a recording of the live stream (path: a .ts or .flv made anywhere) against the take's program
 * (docs/proof.md): every video packet, the MPEG-TS delimiters and repeated parameter sets taken out, is the take
 * log's packet of its frame, in order, at one fixed clock offset; the take id and genesis it carries (if any) are
 * this take's. The frames it lacks go to v->gaps (declared or not) and the notes. 0, or -1 after a failure (in v). */
int mux_verify_recording(const ProofTake *take, const char *path, ProofVerdict *v);

/* The files of the take folder that are made from the log, checked against it (docs/proof.md): station.pub is
 * the station key of GENESIS, take.json's take, rate, size, codec, cameras and frames are GENESIS's and CLOSE's,
 * cuts.jsonl's events are the CUT and END records; a file that differs is INVALID naming it. Any other file is
 * noted as not part of the take. 0, or -1 after a failure (in v). */
int mux_verify_derived(const char *dir, const ProofTake *take, ProofVerdict *v);

#endif
