/* onetake proof: the evidence that a take is one uncut take (design: ../../shared/design/proof.md, format and
 * QA guide: docs/proof.md).
 *
 * - Keys: Ed25519 (OpenSSL 3 EVP_PKEY_ED25519). The long-term station key is stored in minisign's formats
 * (secret key unencrypted, as `minisign -G -W` makes it; public key as `minisign.pub`), so stock minisign
 * signs and checks with the same keys. Each take makes a session key in memory only, certified by the station
 * key.
 * - The take log (take.log): framed records (length, JSON text, CRC-32), each a leaf of an RFC 6962 Merkle
 * tree over SHA-256. Signed checkpoints (checkpoints.txt) in C2SP signed-note form; the final one signed by
 * the session and the station key; take.log.minisig: the station key's minisign signature of the whole log.
 * - Writing side: ProofLog (one per take) and ProofStream (one per container file). Reading side: ProofTake
 * (the log read and checked) and ProofVerdict.
 *
 * No libav, no GStreamer: mux/ feeds the writing side with packets and file bytes and checks demuxed packets
 * against the ProofTake. Prefix proof_, types Proof*. Errors: negative codes (-errno or OT_ERROR_*), logged
 * once with context through ot_log (module "proof"). */
#ifndef PROOF_H
#define PROOF_H

#include <stddef.h>
#include <stdint.h>

/* Files of the take folder that the proof writes. */
#define PROOF_LOG_FILE "take.log"                /* framed records, append-only */
#define PROOF_CHECKPOINTS_FILE "checkpoints.txt" /* signed notes, append-only, one blank line between notes  \
                                                  */
#define PROOF_FINAL_SIG_FILE "take.log.minisig"  /* minisign signature of take.log by the station key */
#define PROOF_STATION_PUB_FILE "station.pub"     /* the station's public key (a copy: pin it with --pubkey) */

#define PROOF_HASH_LEN 32 /* SHA-256 */
#define PROOF_PK_LEN 32   /* Ed25519 public key */
#define PROOF_SIG_LEN 64  /* Ed25519 signature */
#define PROOF_KEYID_LEN 8 /* minisign key id */

/* ---- keys ---- */

typedef struct ProofKey ProofKey;

/* Make a new station key: secret key in `path` (mode 0600, minisign format, unencrypted), public key in
 * `path`.pub. Refuses (-EEXIST, logged) when either exists. 0 or a negative error. */
int proof_keygen(const char *path);
/* Load a secret key (minisign secret key file, unencrypted: what proof_keygen and `minisign -G -W` write).
 * The checksum and the public half are checked. NULL on error (logged with the path and a fix). */
ProofKey *proof_key_load(const char *path);
/* Load a public key: a minisign public key file (comment line + base64 line) or a file holding the base64
 * line alone. NULL on error (logged). */
ProofKey *proof_key_load_public(const char *path);
/* A public key from minisign's base64 line ("RWT..."). NULL when it is not one (not logged). */
ProofKey *proof_key_from_base64(const char *b64);
/* The user's default station key: g_get_user_config_dir()/onetake/station.key (g_free the result). */
char *proof_key_default_path(void);
/* Load the default station key, making it on first use (then *created = 1, and the caller says so). */
ProofKey *proof_key_load_default(int *created);
void proof_key_free(ProofKey **key);

int proof_key_has_secret(const ProofKey *key);
const uint8_t *proof_key_public(const ProofKey *key); /* PROOF_PK_LEN bytes */
const uint8_t *proof_key_id(const ProofKey *key);     /* PROOF_KEYID_LEN bytes, as in minisign files */
/* The key id as minisign prints it (16 uppercase hex digits, the id read little-endian). buf >= 17. */
char *proof_key_id_hex(const ProofKey *key, char *buf);
/* minisign's base64 public key line ("Ed" || key id || public key). g_free the result. */
char *proof_key_public_base64(const ProofKey *key);
/* Ed25519 over msg. 0 or a negative error (-EINVAL without a secret key). */
int proof_key_sign(const ProofKey *key, const void *msg, size_t len, uint8_t sig[PROOF_SIG_LEN]);
/* 1 when sig is key's signature of msg, else 0. */
int proof_key_verify(const ProofKey *key, const void *msg, size_t len, const uint8_t sig[PROOF_SIG_LEN]);
/* Write key's public key file (minisign format) to path; refuses to overwrite (-EEXIST). */
int proof_key_write_public(const ProofKey *key, const char *path);

/* ---- minisign signatures (prehashed "ED" form: BLAKE2b-512 of the file, so any size streams) ---- */

/* Sign the file at path into sig_path (minisign .minisig format; `minisign -Vm path -x sig_path -p KEY.pub`
 * accepts it). trusted_comment: one line, signed too (NULL: "file:NAME"). Refuses to overwrite sig_path
 * (-EEXIST). 0 or a negative error (logged). */
int proof_minisign_sign_file(const ProofKey *key, const char *path, const char *sig_path,
                             const char *trusted_comment);
/* Check sig_path against the file at path and key's public half. 1 valid, 0 invalid (why in *why: static
 * text), negative on an I/O error. *trusted_comment (may be NULL) gets the signed comment (g_free). */
int proof_minisign_verify_file(const ProofKey *key, const char *path, const char *sig_path,
                               char **trusted_comment, const char **why);

/* ---- hashing helpers ---- */

/* The normalised hash of an encoded packet, so that a muxer's rewrite does not change it. For H.264 (and any
 * NAL-unit codec) the hash is SHA-256 over every NAL unit as u32be(length) || payload, without start codes or
 * the container's length prefixes; for other codecs SHA-256 of the bytes. *norm_size gets the length of the
 * hashed form. */
typedef enum ProofPayload {
    PROOF_PAYLOAD_RAW = 0, /* bytes as they are (FFV1, audio) */
    PROOF_PAYLOAD_ANNEXB,  /* H.264/H.265 Annex B: start codes (encoder output) */
    PROOF_PAYLOAD_LP4,     /* NAL units with 4-byte big-endian length prefixes (Matroska, MP4 avcC) */
    PROOF_PAYLOAD_LP2,
    PROOF_PAYLOAD_LP1,
} ProofPayload;
int proof_packet_hash(ProofPayload form, const uint8_t *data, size_t size, uint8_t hash[PROOF_HASH_LEN],
                      int64_t *norm_size);
/* Payload form of a codec's packets as its encoder gives them ("h264" -> ANNEXB, else RAW). */
ProofPayload proof_payload_for_codec(const char *codec);
/* 1 for an audio codec name of the stream table ("flac", "pcm_s16le", "opus"...): its pts count samples. */
int proof_codec_is_audio(const char *codec);
void proof_hex(const uint8_t *bytes, size_t len, char *out); /* out >= 2 * len + 1 */
int proof_unhex(const char *hex, uint8_t *out, size_t len);  /* 0 or -EINVAL */

/* ---- the writing side: one ProofLog per take ---- */

typedef struct ProofStreamInfo {
    const char *role;   /* "program", "iso NAME", ... (also the Matroska ROLE tag) */
    const char *file;   /* path relative to the take folder, e.g. "program.mkv", "iso/wide.mkv" */
    const char *codec;  /* "h264", "ffv1", ... */
    int tb_num, tb_den; /* the encoder time base of the PKT timestamps (1/fps for video) */
} ProofStreamInfo;

typedef struct ProofLogConfig {
    const char *dir;         /* the take folder */
    const char *take_id;     /* 32 hex digits */
    const ProofKey *station; /* with its secret half; borrowed until proof_log_close */
    const char *const *cams;
    const char *const *sources;
    int ncams;
    int rate_num, rate_den;
    int width, height;
    const char *codec; /* program codec */
    int gop;
    const char *cues_file; /* the cue list as loaded (cues.txt in the take folder), or NULL */
    int live; /* 1 when production is paced by the clock (live sources); 0: as fast as the sources go */
    const char *pacing; /* free text for the record ("lockstep (file sources)") */
    const char *command_line;
    const ProofStreamInfo *streams; /* the stream table: stream i of PKT/FILE records is streams[i] */
    int nstreams;
    double commit_interval; /* seconds of media between commits (0: 1 s) */
} ProofLogConfig;

typedef struct ProofLog ProofLog;
typedef struct ProofStream ProofStream;

/* Create take.log and checkpoints.txt (O_EXCL) in cfg->dir, make the session key, write GENESIS and the first
 * checkpoint (tree size 1). NULL on error (logged). */
ProofLog *proof_log_alloc(const ProofLogConfig *cfg);
/* SHA-256 of the GENESIS record, 64 hex digits (the GENESIS Matroska tag). */
const char *proof_log_genesis_hex(const ProofLog *log);
/* Stream i of the stream table (borrowed, lives as long as the log). Each stream is used by one thread at a
 * time (its mux thread); the log itself is thread-safe. */
ProofStream *proof_log_stream(ProofLog *log, int index);
/* Commit: append every record released so far to take.log, fdatasync it, sign a checkpoint with the session
 * key (media_frames: program frames now durable) and fdatasync checkpoints.txt. Thread-safe. 0 or negative.
 */
int proof_log_commit(ProofLog *log, int64_t media_frames);

typedef struct ProofCloseInfo {
    const char *reason; /* end reason: "cue", "duration", "stop", ... or "failed" */
    int error;          /* 0, or the negative error that ended the take */
    int64_t frames;     /* program frames */
    int64_t cuts;
    int64_t program_repeats;
} ProofCloseInfo;

/* After every stream is closed (proof_stream_close): CLOSE record, final commit (checkpoint signed by the
 * session and the station key), take.log.minisig, station.pub; the session key is wiped. 0 or negative. */
int proof_log_close(ProofLog *log, const ProofCloseInfo *info);
/* Frees; a log that was not closed stays as it is on disk (a crash-like end: verify says PARTIAL). */
void proof_log_free(ProofLog **log);

/* Every encoded packet of the stream, once, in encoder output order, timestamps in the stream's time base,
 * the payload as the encoder gave it. The record is held until the bytes are durable (proof_stream_durable).
 */
int proof_stream_packet(ProofStream *s, int64_t pts, int64_t dts, int64_t duration, int key,
                        const uint8_t *data, size_t size);
/* The form of the payloads proof_stream_packet gets, when it is not what the stream's codec's encoder gives
 * (proof_payload_for_codec): a remux hands over the source container's packets, e.g. H.264 with 4-byte length
 * prefixes. Call before the first packet. */
void proof_stream_set_payload(ProofStream *s, ProofPayload form);
/* Every byte range written to the stream's file, once, in file order. */
void proof_stream_file_bytes(ProofStream *s, int64_t offset, const uint8_t *buf, size_t size);
/* 1 when a commit is due at this key packet (at least commit_interval of media since the last one). */
int proof_stream_commit_due(const ProofStream *s, int64_t pts);
/* Call after the file was flushed and fdatasync'ed, at the key packet with timestamp pts (not yet written): a
 * FILE record for the bytes since the last one, and every held record of the stream is released to the log
 * (the next proof_log_commit covers them). */
int proof_stream_durable(ProofStream *s, int64_t pts);
/* The file is complete, flushed and synced: final FILE record (size, SHA-256 of the whole file). */
int proof_stream_close(ProofStream *s);

/* RAW: program frame `tick` as it went to the encoder: camera, the camera's frame sequence number, flags
 * (PROOF_RAW_*), and the SHA-256 of the visible pixels of planes 0..nplanes-1 (rows of width[p] bytes, stride
 * padding excluded). */
enum {
    PROOF_RAW_CUT = 1 << 0,
    PROOF_RAW_REPEAT = 1 << 1, /* the camera had no new frame: its last one again (declared) */
    PROOF_RAW_LOST = 1 << 2,   /* the camera is lost: its last frame held (declared) */
    PROOF_RAW_SLATE = 1 << 3,  /* the camera is lost: its NO SIGNAL slate is shown (declared) */
};
int proof_stream_raw(ProofStream *s, int64_t tick, int cam, int64_t seq, unsigned flags, int nplanes,
                     const uint8_t *const *data, const int *linesize, const int *width, const int *height);
/* CUT/END: an executed event. type "cut" or "end"; origin "start", "cue", "go", "manual", "duration", "stop",
 * "sources", "remote"; cue_index -1 when not from a cue. */
int proof_stream_event(ProofStream *s, const char *type, int64_t frame, int cam, int prev_cam,
                       const char *origin, int cue_index);
/* The same for a command from the network (origin "remote"): the record also names the peer ("peer"). */
int proof_stream_event_peer(ProofStream *s, const char *type, int64_t frame, int cam, int prev_cam,
                            const char *origin, int cue_index, const char *peer);
/* DONE: the director completed the transition in progress at once (a second auto, key T) at `frame`: camera cam
 * alone on program from it, the transition came from prev_cam; kind ("mix", "dip", "wipe") and its planned length,
 * `mixed` of its frames mixed before `frame` (0: completed on its first frame); origin "manual" or "remote" (with
 * peer), input "key", "script", "control" or "". */
int proof_stream_done(ProofStream *s, int64_t frame, int cam, int prev_cam, const char *kind, int length, int mixed,
                      const char *origin, const char *input, const char *peer);
/* ANOMALY: a declared irregularity (kind "repeat", "lost", ...) at tick for camera cam (-1: none). */
int proof_stream_anomaly(ProofStream *s, const char *kind, int64_t tick, int cam, const char *detail);
/* ANOMALY of `count` events over program frames [tick, tick + ticks): the compact form for what would otherwise be
 * a record per frame (a camera's repeats and drops in a second of media, a run of audio silence). The record
 * carries "n" and "ticks"; the verifier adds n up per kind and camera. */
int proof_stream_anomaly_count(ProofStream *s, const char *kind, int64_t tick, int64_t ticks, int cam,
                               int64_t count, const char *detail);
/* LTC: at program frame tick the cue clock is LTC frame `frame` (frames since 00:00:00:00 at the LTC's rate,
 * timecode tc), decoded (freewheel 0) or run on from the last mapping (1). Once a second of media. */
int proof_stream_ltc(ProofStream *s, int64_t tick, int64_t frame, const char *tc, int freewheel);
/* A stream whose bytes are in another stream's file (the program audio in program.mkv: that file's FILE records
 * cover it): release its held records now that the file is durable (at the owner's commit), with no FILE record
 * of its own. 0 or negative. */
int proof_stream_release(ProofStream *s);
/* Such a stream at the end: its last records released, the stream closed (no FILE record). */
int proof_stream_close_shared(ProofStream *s);

/* ---- reading a take folder made by somebody else (proof_file.c) ---- */

/* Open DIR/REL for reading: REL relative, no "..", no symlink on the way or at the end (never followed), not
 * blocking (a FIFO is refused, not waited on), a regular file only. The fd, *size its size; or negative: -ELOOP
 * (a symlink), -EINVAL (FIFO, device, socket), -EISDIR, -EPERM (REL leaves the folder), -ENOENT, -errno. */
int proof_take_file_open(const char *dir, const char *rel, int64_t *size);
/* The whole of DIR/REL (as proof_take_file_open) when it is at most max bytes (-EFBIG otherwise), read up to its
 * size and no further, NUL-terminated (g_free). */
int proof_take_file_read(const char *dir, const char *rel, int64_t max, char **data, size_t *len);
/* The same for a path given by the user (its last component is not followed either). */
int proof_file_open_regular(const char *path, int64_t *size);
int proof_file_read_regular(const char *path, int64_t max, char **data, size_t *len);
/* Why such an open or read failed, for a message ("it is a symbolic link (...)"). */
const char *proof_file_why(int err);
/* 1 when err says the file is not one a take makes (symlink, FIFO, device, folder, too big, outside). */
int proof_file_refused(int err);

/* A range of a file changed in place after its final FILE record (a Matroska file finished at its close). */
typedef struct ProofPatchRange {
    int64_t off;
    int len;
    const uint8_t *before, *after;
} ProofPatchRange;
/* After proof_stream_close: the file was finished in place. Its Cues start at cues_off (appended bytes, in
 * the FILE ranges like any other), and ranges r[0..n) (in file order, before cues_off) changed from before to
 * after. The PATCH record (offset, length, SHA-256 and bytes before and after, per range) is released to the
 * log at once: the final checkpoint covers it. Call it before the bytes change. Once per stream. */
int proof_stream_patch(ProofStream *s, int64_t cues_off, const ProofPatchRange *r, int n);

/* ---- the reading side ---- */

typedef enum ProofStatus {
    PROOF_UNCUT = 0,
    PROOF_UNCUT_WITH_DECLARED_ANOMALIES,
    PROOF_PARTIAL_AUTHENTIC,
    PROOF_INVALID,
    PROOF_IO_ERROR, /* usage or I/O error: nothing could be decided */
} ProofStatus;
const char *proof_status_name(ProofStatus status); /* "UNCUT", ..., "ERROR" */

typedef struct ProofVerdict {
    ProofStatus status;
    /* INVALID / ERROR: the first failure. */
    char *check;   /* short name of the failing check, e.g. "packet-hash", "merkle-root" */
    char *what;    /* one sentence: what is wrong */
    char *file;    /* the file it is about (relative to the take), or NULL */
    int64_t frame; /* program frame index it is about, or -1 */
    /* PARTIAL: authentic and gapless from frame 0 to end_frame (exclusive). UNCUT: the frame count. */
    int64_t end_frame;
    char *take_id;
    int rate_num, rate_den;
    int drop_frame;
    /* Notes for the report: key pinning, pacing, what was not checked. */
    char **notes;     /* NULL-terminated (g_strfreev) */
    char **anomalies; /* declared anomalies, NULL-terminated */
    char **checked;   /* what was checked, NULL-terminated */
    char **gaps;      /* verify --stream: program frames "FIRST-LAST" not in the recording (" undeclared" when the
                       * take log has no stream-drop for them), NULL-terminated */
    int64_t packets_checked;
    int64_t bytes_checked;
    int64_t records;
    int64_t checkpoints;
    int station_pinned; /* 1 when --pubkey was given and matched */
    char *station_keyid;
    double speed; /* media seconds per second of monotonic clock over the take (0: unknown) */
    int live;
    int files;           /* files checked byte for byte */
    int files_finalized; /* of those, finished at the close (PATCH record, checked) */
} ProofVerdict;

void proof_verdict_init(ProofVerdict *v);
void proof_verdict_clear(ProofVerdict *v);
/* Record the first failure (later ones are ignored). status PROOF_INVALID or PROOF_IO_ERROR. Returns -1 so
 * that callers can `return proof_verdict_fail(...)`. */
int proof_verdict_fail(ProofVerdict *v, ProofStatus status, const char *check, const char *file,
                       int64_t frame, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
void proof_verdict_note(ProofVerdict *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void proof_verdict_checked(ProofVerdict *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A recording of the stream lacks program frames [first, last]; declared: the take log says they were dropped. */
void proof_verdict_gap(ProofVerdict *v, int64_t first, int64_t last, int declared);
/* "HH:MM:SS:FF" of frame in the verdict's rate (buf >= 32). */
const char *proof_verdict_timecode(const ProofVerdict *v, int64_t frame, char *buf, int size);

/* A PKT record as read back. */
typedef struct ProofPkt {
    int64_t pts, dts, duration;
    int key;
    int64_t size; /* normalised size */
    uint8_t hash[PROOF_HASH_LEN];
} ProofPkt;

/* A FILE record as read back: bytes [offset, offset + length) of the file hash to `hash`; the whole file up
 * to offset + length hashes to `running`. */
typedef struct ProofRange {
    int64_t offset, length;
    uint8_t hash[PROOF_HASH_LEN];
    uint8_t running[PROOF_HASH_LEN];
} ProofRange;

/* One stream as the (attested part of the) log describes it. */
typedef struct ProofStreamModel {
    char *role, *file, *codec;
    int tb_num, tb_den;
    ProofPkt *pkts; /* attested packets, in order */
    int64_t npkts;
    ProofRange *ranges; /* attested ranges, in order, contiguous from 0 */
    int64_t nranges;
    int closed;                     /* its final FILE record is attested */
    int owner;                      /* -1: it owns its file; else the stream whose file (and FILE records) it
                                     * shares (the program audio in program.mkv) */
    int audio;                      /* an audio stream (codec flac, pcm...): pts are samples */
    int64_t size;                   /* attested bytes (final size when closed) */
    uint8_t sha256[PROOF_HASH_LEN]; /* whole-file hash when closed */
    ProofPatchRange *patches;       /* its PATCH record (the file was finished in place), or NULL */
    int npatches;
    int64_t cues_off; /* where the appended Cues start */
} ProofStreamModel;

typedef struct ProofTake ProofTake;

/* Read and check the take log of dir: framing, Merkle roots against every checkpoint, checkpoint signatures
 * and order, session certificate, station key (against `pinned` when not NULL), the final signatures, cue
 * list hash, executed cuts against the cue list, RAW records against the cuts, pts continuity, media time
 * against the clock. Fills v (status stays UNCUT/PARTIAL until a failure). NULL when the log cannot be used
 * at all (v says why). */
ProofTake *proof_take_open(const char *dir, const ProofKey *pinned, ProofVerdict *v);
void proof_take_free(ProofTake **take);
int proof_take_nstreams(const ProofTake *take);
const ProofStreamModel *proof_take_stream(const ProofTake *take, int index);
const char *proof_take_id(const ProofTake *take);
const char *proof_take_genesis_hex(const ProofTake *take);
int proof_take_closed(const ProofTake *take); /* a CLOSE record is attested */
/* What the attested records say, for checking the files derived from them (take.json, cuts.jsonl...). */
typedef struct ProofCut {
    int64_t frame;
    int cam;
    int end;            /* an END record (else a CUT) */
    const char *origin; /* "start", "cue", "go", "manual", "duration"... */
} ProofCut;
int proof_take_closed_clean(const ProofTake *take); /* closed, and not with an error */
int proof_take_ncuts(const ProofTake *take);
const ProofCut *proof_take_cut(const ProofTake *take, int index);
/* DONE records: a transition completed early (a second auto), in log order. */
typedef struct ProofDone {
    int64_t frame;
    int cam;
    int mixed;
} ProofDone;
int proof_take_ndone(const ProofTake *take);
const ProofDone *proof_take_done(const ProofTake *take, int index);
int proof_take_ncams(const ProofTake *take);
const char *proof_take_cam(const ProofTake *take, int cam);
int64_t proof_take_frames(const ProofTake *take); /* RAW records attested */
void proof_take_rate(const ProofTake *take, int *num, int *den);
const char *proof_take_config(const ProofTake *take, const char *key); /* GENESIS config "size", "codec"... */
const char *proof_take_cues_file(const ProofTake *take);               /* NULL without a cue list */
const ProofKey *proof_take_station(const ProofTake *take);
/* Checking a file's bytes against a stream's FILE records as they are read, in file order (one pass). */
typedef struct ProofFileCheck ProofFileCheck;
ProofFileCheck *proof_file_check_alloc(const ProofStreamModel *m);
void proof_file_check_free(ProofFileCheck **c);
/* The next bytes of the file (sequential). */
void proof_file_check_bytes(ProofFileCheck *c, const uint8_t *buf, size_t len);
/* Index of the first FILE range whose bytes differ (-1: none so far); *off and *len get the range. */
int64_t proof_file_check_bad_range(const ProofFileCheck *c, int64_t *off, int64_t *len);
int64_t proof_file_check_read(const ProofFileCheck *c); /* bytes seen so far */
/* A finished file: the first offset whose byte is neither its PATCH record's result nor the streaming byte, -1:
 * none (so far); *unapplied (may be NULL): bytes of the patched ranges still as streamed (a recorder stopped
 * during its close). The FILE ranges are checked against the streaming form (the PATCH record's bytes before). */
int64_t proof_file_check_patch_bad(const ProofFileCheck *c, int64_t *unapplied);
/* proof_packet_hash with the checker's reused context. */
int proof_file_check_packet(ProofFileCheck *c, ProofPayload form, const uint8_t *data, size_t size,
                            uint8_t hash[PROOF_HASH_LEN], int64_t *norm_size);

/* 1 when every program frame of [first, last] is in an attested ANOMALY record of kind (its tick to tick + ticks - 1),
 * else 0: a gap in a recording of the stream that the take declared ("stream-drop"). */
int proof_take_declares(const ProofTake *take, const char *kind, int64_t first, int64_t last);

/* After the media checks: settle the final status (UNCUT, UNCUT_WITH_DECLARED_ANOMALIES or PARTIAL) unless a
 * failure was recorded. */
void proof_take_finish(ProofTake *take, ProofVerdict *v);

#endif
