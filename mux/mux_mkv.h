/* onetake mux, internal: finishing a Matroska file that was written as a stream (mux_mkv.c). No libav types:
 * plain EBML over bytes, shared by the writer (at a clean close), the verifier (recomputing the patch) and the
 * archive's salvage (finishing a crashed take's copy).
 *
 * The streaming form (what is on the disk while the take rolls, and after a crash): EBML header, a Segment of
 * unknown size, a SeekHead for Info, Tracks and Tags followed by a Void (room for one more entry), Info with a
 * Void of 11 bytes (room for a Duration), Tracks, Tags, Clusters. The finished form appends Cues and changes
 * exactly four ranges of the header in place: the Segment size, the SeekHead area (a Cues entry added), the
 * Info Void (now the Duration) and the Info CRC-32. */
#ifndef MUX_MKV_H
#define MUX_MKV_H

#include <stddef.h>
#include <stdint.h>

#define MUX_MKV_SEEK_AREA 160   /* bytes of the SeekHead and its Void: room for 6 entries */
#define MUX_MKV_DURATION_LEN 11 /* a Duration element: 2-byte ID, 1-byte size, 8-byte float */
#define MUX_MKV_MAX_PATCHES 4
#define MUX_MKV_PATCH_MAX MUX_MKV_SEEK_AREA

/* A media end (pts + duration, in num/den s) in ms: the writer and the verifier compute it alike. */
static inline double mux_mkv_end_ms(int64_t end, int num, int den)
{
    return den > 0 ? ((double)end * num * 1000.0) / den : 0;
}

/* Where the streaming form keeps what a finish patches (file offsets). */
typedef struct MuxMkvLayout {
    int64_t seg_size_off; /* the Segment's 8-byte size field */
    int64_t seg_data;     /* the Segment's first child: SeekPosition 0 */
    int64_t seek_off;     /* the SeekHead area (MUX_MKV_SEEK_AREA bytes) */
    int64_t info_off, tracks_off, tags_off; /* -1: absent */
    int64_t info_crc_off;  /* the Info CRC-32 value (4 bytes), -1: none */
    int64_t info_data_off; /* Info's first child after its CRC-32 element */
    int64_t info_end;
    int64_t info_void_off; /* the 11-byte Void inside Info */
    int64_t header_end;    /* the first Cluster (or the end of the bytes given) */
    uint64_t video_track;  /* track number of the first video track, 0: none */
    int64_t default_ns[8]; /* DefaultDuration of tracks 1..8 (index = number - 1), 0: unknown */
} MuxMkvLayout;

typedef struct MuxMkvPatch {
    int64_t off;
    int len;
    uint8_t before[MUX_MKV_PATCH_MAX];
    uint8_t after[MUX_MKV_PATCH_MAX];
} MuxMkvPatch;

/* Rebuild libavformat's non-seekable header (in, everything before the first Cluster) into the streaming
 * form above: *out is malloc'ed. 0, or -EINVAL when the header is not what libavformat writes (the caller
 * keeps it as it is and does not finish the file). */
int mux_mkv_stream_header(const uint8_t *in, size_t len, uint8_t **out, size_t *out_len);
/* Parse a streaming-form header (the file's first len bytes; at least up to the first Cluster). 0 or -EINVAL. */
int mux_mkv_parse_header(const uint8_t *buf, size_t len, MuxMkvLayout *lay);

/* The patch that finishes a file whose streaming header is hdr (at least lay->info_end bytes), whose Cues
 * start at cues_off and whose last byte is end - 1, with duration_ms (Matroska's TimestampScale of 1 ms).
 * Fills p[0..*np) in file order. 0 or -EINVAL. */
int mux_mkv_build_patch(const uint8_t *hdr, const MuxMkvLayout *lay, int64_t cues_off, int64_t end,
                        double duration_ms, MuxMkvPatch *p, int *np);

/* The Clusters as they go to the file, in order (any chunking): their key frames of the video track become
 * cue points (one per GOP start, and at least one a second for all-intra video). */
typedef struct MuxMkvScan MuxMkvScan;
MuxMkvScan *mux_mkv_scan_alloc(const MuxMkvLayout *lay);
void mux_mkv_scan_free(MuxMkvScan **s);
/* Bytes of the file from offset (contiguous with the previous call; bytes before lay->header_end are
 * skipped). */
void mux_mkv_scan_bytes(MuxMkvScan *s, int64_t offset, const uint8_t *buf, size_t len);
/* 1 when the scan could not follow the file (unknown-size or damaged element): no Cues can be made. */
int mux_mkv_scan_failed(const MuxMkvScan *s);
int64_t mux_mkv_scan_cues(const MuxMkvScan *s);
/* The end of the last complete Cluster seen (a crashed file's usable part ends there). */
int64_t mux_mkv_scan_clusters_end(const MuxMkvScan *s);
/* The media's end in ms as the blocks say (the last block of each track plus its DefaultDuration, or plus
 * its last gap): for a salvage, where the take log's exact figure is not at hand. */
double mux_mkv_scan_duration_ms(const MuxMkvScan *s);
/* The Cues element of the cue points so far (*out malloc'ed). 0, or -EINVAL with no cue point. */
int mux_mkv_scan_build_cues(const MuxMkvScan *s, uint8_t **out, size_t *out_len);

/* Finish a streaming-form file in place (salvage): scan it, cut what follows the last complete Cluster, append
 * Cues, patch. The patch is returned (p, *np), with the Cues' offset and the final size. 0, or negative (logged
 * with path). */
int mux_mkv_finish_file(const char *path, double duration_ms, MuxMkvPatch *p, int *np, int64_t *cues_off,
                        int64_t *size);

#endif
