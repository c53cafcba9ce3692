/* onetake mux: finishing a Matroska file written as a stream (mux_mkv.h). Plain EBML, no libav: libavformat's
 * non-seekable muxer writes the stream; this file rearranges its header once at open (room for what a finish
 * adds) and, at a clean close or a salvage, appends Cues and patches the header's reserved bytes. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mux_mkv.h"
#include "ot_common.h"

#define ID_EBML 0x1A45DFA3u
#define ID_SEGMENT 0x18538067u
#define ID_SEEKHEAD 0x114D9B74u
#define ID_SEEK 0x4DBBu
#define ID_SEEKID 0x53ABu
#define ID_SEEKPOS 0x53ACu
#define ID_INFO 0x1549A966u
#define ID_TIMESCALE 0x2AD7B1u
#define ID_DURATION 0x4489u
#define ID_TRACKS 0x1654AE6Bu
#define ID_TRACKENTRY 0xAEu
#define ID_TRACKNUMBER 0xD7u
#define ID_TRACKTYPE 0x83u
#define ID_DEFAULTDUR 0x23E383u
#define ID_TAGS 0x1254C367u
#define ID_CLUSTER 0x1F43B675u
#define ID_TIMECODE 0xE7u
#define ID_SIMPLEBLOCK 0xA3u
#define ID_BLOCKGROUP 0xA0u
#define ID_BLOCK 0xA1u
#define ID_REFBLOCK 0xFBu
#define ID_CUES 0x1C53BB6Bu
#define ID_CUEPOINT 0xBBu
#define ID_CUETIME 0xB3u
#define ID_CUEPOS 0xB7u
#define ID_CUETRACK 0xF7u
#define ID_CUECLUSTER 0xF1u
#define ID_CUEREL 0xF0u
#define ID_CRC32 0xBFu
#define ID_VOID 0xECu

#define CUE_MIN_GAP_MS 1000 /* all-intra video: a cue a second, not one a frame */
#define SCAN_COLLECT 12     /* bytes of a block's body read: track number, timecode, flags */

/* ---- bytes ---- */

typedef struct Buf {
    uint8_t *d;
    size_t len, cap;
    int err;
} Buf;

static void buf_put(Buf *b, const void *p, size_t n)
{
    if (b->err)
        return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 256;
        while (cap < b->len + n)
            cap *= 2;
        uint8_t *d = realloc(b->d, cap);
        if (!d) {
            b->err = -ENOMEM;
            return;
        }
        b->d = d;
        b->cap = cap;
    }
    memcpy(b->d + b->len, p, n);
    b->len += n;
}

static void put_be(Buf *b, uint64_t v, int n)
{
    uint8_t t[8];
    for (int i = 0; i < n; i++)
        t[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
    buf_put(b, t, (size_t)n);
}

static int id_len(uint32_t id)
{
    return id > 0xFFFFFF ? 4 : id > 0xFFFF ? 3 : id > 0xFF ? 2 : 1;
}

static void put_id(Buf *b, uint32_t id)
{
    put_be(b, id, id_len(id));
}

static int size_len(uint64_t v)
{
    int n = 1;
    while (n < 8 && v >= ((uint64_t)1 << (7 * n)) - 1)
        n++;
    return n;
}

static void put_size_n(Buf *b, uint64_t v, int n)
{
    put_be(b, v | ((uint64_t)1 << (7 * n)), n);
}

static void put_uint(Buf *b, uint32_t id, uint64_t v)
{
    int n = 1;
    while (n < 8 && (v >> (8 * n)))
        n++;
    put_id(b, id);
    put_size_n(b, (uint64_t)n, 1);
    put_be(b, v, n);
}

/* A Void of exactly n >= 2 bytes. */
static int put_void(Buf *b, size_t n)
{
    static const uint8_t zero[256];
    size_t body;
    if (n < 2 || n > 2 + 16000)
        return -EINVAL;
    buf_put(b, (uint8_t[]){ID_VOID}, 1);
    if (n - 2 <= 126) {
        body = n - 2;
        put_size_n(b, body, 1);
    } else {
        body = n - 3;
        put_size_n(b, body, 2);
    }
    while (body > 0) {
        size_t k = body < sizeof(zero) ? body : sizeof(zero);
        buf_put(b, zero, k);
        body -= k;
    }
    return 0;
}

static uint32_t crc32_ieee(const uint8_t *p, size_t n)
{
    static uint32_t table[256];
    static int ready;
    uint32_t c = 0xFFFFFFFFu;
    if (!ready) { /* idempotent: racing threads compute the same table */
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t x = i;
            for (int k = 0; k < 8; k++)
                x = x & 1 ? 0xEDB88320u ^ (x >> 1) : x >> 1;
            table[i] = x;
        }
        ready = 1;
    }
    for (size_t i = 0; i < n; i++)
        c = table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
    return ~c;
}

static void put_crc_element(Buf *b, const uint8_t *data, size_t n)
{
    uint32_t c = crc32_ieee(data, n);
    uint8_t e[6] = {ID_CRC32, 0x84, (uint8_t)c, (uint8_t)(c >> 8), (uint8_t)(c >> 16), (uint8_t)(c >> 24)};
    buf_put(b, e, sizeof(e));
}

/* An element header at b (n bytes available): ID, size (UINT64_MAX: unknown), header length; -1 when the
 * bytes are not (yet) one. */
static int rd_header(const uint8_t *b, size_t n, uint32_t *id, uint64_t *size, int *size_bytes)
{
    int il, sl;
    uint64_t v;
    if (n < 1)
        return -1;
    il = b[0] & 0x80 ? 1 : b[0] & 0x40 ? 2 : b[0] & 0x20 ? 3 : b[0] & 0x10 ? 4 : 0;
    if (!il || n < (size_t)il + 1)
        return -1;
    *id = 0;
    for (int i = 0; i < il; i++)
        *id = (*id << 8) | b[i];
    sl = 1;
    while (sl <= 8 && !(b[il] & (0x80 >> (sl - 1))))
        sl++;
    if (sl > 8 || n < (size_t)(il + sl))
        return -1;
    v = b[il] & (0xFF >> sl);
    int ones = v == (uint64_t)(0xFF >> sl);
    for (int i = 1; i < sl; i++) {
        v = (v << 8) | b[il + i];
        ones = ones && b[il + i] == 0xFF;
    }
    *size = ones ? UINT64_MAX : v;
    if (size_bytes)
        *size_bytes = sl;
    return il + sl;
}

static uint64_t rd_uint(const uint8_t *b, uint64_t n)
{
    uint64_t v = 0;
    for (uint64_t i = 0; i < n && i < 8; i++)
        v = (v << 8) | b[i];
    return v;
}

/* ---- the header ---- */

typedef struct Elem {
    uint32_t id;
    size_t off, data, end;
} Elem;

/* The children of [off, end) of buf: at most max, 0.. on success, -1 on a damaged or unknown-size one. */
static int children(const uint8_t *buf, size_t off, size_t end, Elem *e, int max)
{
    int n = 0;
    while (off < end) {
        uint32_t id;
        uint64_t size;
        int hl = rd_header(buf + off, end - off, &id, &size, NULL);
        if (hl < 0 || size == UINT64_MAX || size > end - off - (size_t)hl || n == max)
            return -1;
        e[n].id = id;
        e[n].off = off;
        e[n].data = off + (size_t)hl;
        e[n].end = e[n].data + (size_t)size;
        off = e[n++].end;
    }
    return n;
}

typedef struct SeekEntry {
    uint32_t id;
    uint64_t pos;
} SeekEntry;

/* A SeekHead (with its CRC-32) and a Void filling exactly MUX_MKV_SEEK_AREA bytes. */
static int build_seek_area(const SeekEntry *se, int n, Buf *out)
{
    Buf c = {0};
    int ret = 0;
    for (int i = 0; i < n; i++) {
        Buf s = {0};
        put_id(&s, ID_SEEKID);
        put_size_n(&s, (uint64_t)id_len(se[i].id), 1);
        put_id(&s, se[i].id);
        put_uint(&s, ID_SEEKPOS, se[i].pos);
        put_id(&c, ID_SEEK);
        put_size_n(&c, s.len, 1);
        buf_put(&c, s.d, s.len);
        ret = s.err ? s.err : ret;
        free(s.d);
    }
    size_t body = 6 + c.len;
    int sl = size_len(body);
    size_t total = 4 + (size_t)sl + body;
    if (total + 1 == MUX_MKV_SEEK_AREA)
        total++, sl++; /* a Void needs 2 bytes: the size field takes the one left instead */
    if (c.err || ret || total > MUX_MKV_SEEK_AREA) {
        free(c.d);
        return -EINVAL;
    }
    put_id(out, ID_SEEKHEAD);
    put_size_n(out, body, sl);
    put_crc_element(out, c.d, c.len);
    buf_put(out, c.d, c.len);
    free(c.d);
    if (total < MUX_MKV_SEEK_AREA)
        ret = put_void(out, MUX_MKV_SEEK_AREA - total);
    return out->err ? out->err : ret;
}

int mux_mkv_stream_header(const uint8_t *in, size_t len, uint8_t **out, size_t *out_len)
{
    Elem seg[16], info[16];
    Buf o = {0}, ic = {0}, area = {0}, inf = {0};
    int nseg, ninfo, ret = -EINVAL;
    uint32_t id;
    uint64_t size;
    int sb;

    *out = NULL;
    *out_len = 0;
    /* EBML header, then a Segment of unknown size with an 8-byte size field (libavformat's streaming form). */
    int hl = rd_header(in, len, &id, &size, NULL);
    if (hl < 0 || id != ID_EBML || size > len - (size_t)hl)
        return -EINVAL;
    size_t seg_off = (size_t)hl + (size_t)size;
    hl = rd_header(in + seg_off, len - seg_off, &id, &size, &sb);
    if (hl != 12 || id != ID_SEGMENT || size != UINT64_MAX || sb != 8)
        return -EINVAL;
    size_t seg_data = seg_off + 12;
    nseg = children(in, seg_data, len, seg, 16);
    if (nseg < 1)
        return -EINVAL;
    int iinfo = -1;
    for (int i = 0; i < nseg; i++)
        if (seg[i].id == ID_INFO)
            iinfo = i;
        else if (seg[i].id == ID_CLUSTER)
            return -EINVAL;
    if (iinfo < 0)
        return -EINVAL;
    ninfo = children(in, seg[iinfo].data, seg[iinfo].end, info, 16);
    if (ninfo < 0)
        return -EINVAL;
    /* Info: its children without CRC-32 or Void, then the Void a Duration will take, under a new CRC-32. */
    for (int i = 0; i < ninfo; i++)
        if (info[i].id != ID_CRC32 && info[i].id != ID_VOID && info[i].id != ID_DURATION)
            buf_put(&ic, in + info[i].off, info[i].end - info[i].off);
    put_void(&ic, MUX_MKV_DURATION_LEN);
    put_id(&inf, ID_INFO);
    put_size_n(&inf, 6 + ic.len, size_len(6 + ic.len));
    put_crc_element(&inf, ic.d, ic.len);
    buf_put(&inf, ic.d, ic.len);

    /* Positions (from the Segment's data): the seek area, then Info, then the rest in libavformat's order. */
    SeekEntry se[8];
    int nse = 0;
    uint64_t pos = MUX_MKV_SEEK_AREA;
    se[nse++] = (SeekEntry){ID_INFO, pos};
    pos += inf.len;
    for (int i = 0; i < nseg && nse < 6; i++) {
        if (seg[i].id == ID_SEEKHEAD || seg[i].id == ID_VOID || seg[i].id == ID_INFO)
            continue;
        if (seg[i].id == ID_TRACKS || seg[i].id == ID_TAGS)
            se[nse++] = (SeekEntry){seg[i].id, pos};
        pos += seg[i].end - seg[i].off;
    }
    if (inf.err || ic.err || build_seek_area(se, nse, &area) < 0)
        goto out;
    buf_put(&o, in, seg_data);
    buf_put(&o, area.d, area.len);
    buf_put(&o, inf.d, inf.len);
    for (int i = 0; i < nseg; i++)
        if (seg[i].id != ID_SEEKHEAD && seg[i].id != ID_VOID && seg[i].id != ID_INFO)
            buf_put(&o, in + seg[i].off, seg[i].end - seg[i].off);
    if (o.err) {
        ret = o.err;
        goto out;
    }
    *out = o.d;
    *out_len = o.len;
    o.d = NULL;
    ret = 0;
out:
    free(o.d);
    free(ic.d);
    free(inf.d);
    free(area.d);
    return ret;
}

static int parse_tracks(const uint8_t *buf, const Elem *tracks, MuxMkvLayout *lay)
{
    Elem te[32], f[32];
    int n = children(buf, tracks->data, tracks->end, te, 32);
    if (n < 0)
        return -EINVAL;
    for (int i = 0; i < n; i++) {
        uint64_t num = 0, type = 0, dd = 0;
        if (te[i].id != ID_TRACKENTRY)
            continue;
        int nf = children(buf, te[i].data, te[i].end, f, 32);
        if (nf < 0)
            return -EINVAL;
        for (int k = 0; k < nf; k++) {
            uint64_t v = rd_uint(buf + f[k].data, f[k].end - f[k].data);
            if (f[k].id == ID_TRACKNUMBER)
                num = v;
            else if (f[k].id == ID_TRACKTYPE)
                type = v;
            else if (f[k].id == ID_DEFAULTDUR)
                dd = v;
        }
        if (type == 1 && !lay->video_track)
            lay->video_track = num;
        if (num >= 1 && num <= 8)
            lay->default_ns[num - 1] = (int64_t)dd;
    }
    return 0;
}

static int parse_info(const uint8_t *buf, const Elem *e, MuxMkvLayout *lay)
{
    Elem info[16];
    int n = children(buf, e->data, e->end, info, 16);
    if (n < 2 || info[0].id != ID_CRC32 || info[0].end - info[0].data != 4)
        return -EINVAL;
    lay->info_off = (int64_t)e->off;
    lay->info_end = (int64_t)e->end;
    lay->info_crc_off = (int64_t)info[0].data;
    lay->info_data_off = (int64_t)info[0].end;
    lay->info_void_off = -1;
    for (int i = 1; i < n; i++) {
        if (info[i].id == ID_VOID && info[i].end - info[i].off == MUX_MKV_DURATION_LEN)
            lay->info_void_off = (int64_t)info[i].off;
        else if (info[i].id == ID_TIMESCALE && rd_uint(buf + info[i].data, info[i].end - info[i].data) != 1000000)
            return -EINVAL; /* Durations and Cues below are in ms */
        else if (info[i].id == ID_DURATION)
            return -EINVAL; /* finished already */
    }
    return lay->info_void_off >= 0 ? 0 : -EINVAL;
}

int mux_mkv_parse_header(const uint8_t *buf, size_t len, MuxMkvLayout *lay)
{
    uint32_t id;
    uint64_t size;
    int sb;

    memset(lay, 0, sizeof(*lay));
    lay->info_off = lay->tracks_off = lay->tags_off = lay->info_crc_off = -1;
    int hl = rd_header(buf, len, &id, &size, NULL);
    if (hl < 0 || id != ID_EBML || size > len - (size_t)hl)
        return -EINVAL;
    size_t off = (size_t)hl + (size_t)size;
    hl = rd_header(buf + off, len - off, &id, &size, &sb);
    if (hl != 12 || id != ID_SEGMENT || sb != 8 || size != UINT64_MAX)
        return -EINVAL;
    lay->seg_size_off = (int64_t)off + 4;
    lay->seg_data = (int64_t)off + 12;
    off += 12;
    lay->seek_off = (int64_t)off;
    /* The seek area: a SeekHead and a Void, MUX_MKV_SEEK_AREA bytes in all. */
    size_t area_end = off;
    for (int k = 0; k < 2 && area_end < len; k++) {
        hl = rd_header(buf + area_end, len - area_end, &id, &size, NULL);
        if (hl < 0 || size == UINT64_MAX || (k == 0 && id != ID_SEEKHEAD) || (k == 1 && id != ID_VOID))
            break;
        area_end += (size_t)hl + (size_t)size;
    }
    if (area_end - off != MUX_MKV_SEEK_AREA)
        return -EINVAL;
    off = area_end;
    lay->header_end = (int64_t)len;
    while (off < len) {
        Elem e;
        hl = rd_header(buf + off, len - off, &id, &size, NULL);
        if (hl < 0)
            return -EINVAL;
        if (id == ID_CLUSTER) {
            lay->header_end = (int64_t)off;
            break;
        }
        if (size == UINT64_MAX || size > len - off - (size_t)hl)
            return -EINVAL;
        e = (Elem){id, off, off + (size_t)hl, off + (size_t)hl + (size_t)size};
        if (id == ID_INFO && parse_info(buf, &e, lay) < 0)
            return -EINVAL;
        if (id == ID_TRACKS) {
            lay->tracks_off = (int64_t)off;
            if (parse_tracks(buf, &e, lay) < 0)
                return -EINVAL;
        }
        if (id == ID_TAGS)
            lay->tags_off = (int64_t)off;
        off = e.end;
    }
    return lay->info_off >= 0 && lay->tracks_off >= 0 ? 0 : -EINVAL;
}

int mux_mkv_build_patch(const uint8_t *hdr, const MuxMkvLayout *lay, int64_t cues_off, int64_t end,
                        double duration_ms, MuxMkvPatch *p, int *np)
{
    SeekEntry se[6];
    int n = 0, nse = 0;
    Buf area = {0};
    uint64_t seg = (uint64_t)(end - lay->seg_data);

    *np = 0;
    if (cues_off < lay->header_end || end <= cues_off || seg >= ((uint64_t)1 << 56) - 1 || !(duration_ms > 0))
        return -EINVAL;
    /* The Segment's size, in its 8-byte field. */
    p[n].off = lay->seg_size_off;
    p[n].len = 8;
    memcpy(p[n].before, hdr + lay->seg_size_off, 8);
    p[n].after[0] = 0x01;
    for (int i = 1; i < 8; i++)
        p[n].after[i] = (uint8_t)(seg >> (8 * (7 - i)));
    n++;
    /* The SeekHead, now with the Cues. */
    se[nse++] = (SeekEntry){ID_INFO, (uint64_t)(lay->info_off - lay->seg_data)};
    se[nse++] = (SeekEntry){ID_TRACKS, (uint64_t)(lay->tracks_off - lay->seg_data)};
    if (lay->tags_off >= 0)
        se[nse++] = (SeekEntry){ID_TAGS, (uint64_t)(lay->tags_off - lay->seg_data)};
    se[nse++] = (SeekEntry){ID_CUES, (uint64_t)(cues_off - lay->seg_data)};
    if (build_seek_area(se, nse, &area) < 0 || area.len != MUX_MKV_SEEK_AREA) {
        free(area.d);
        return -EINVAL;
    }
    p[n].off = lay->seek_off;
    p[n].len = MUX_MKV_SEEK_AREA;
    memcpy(p[n].before, hdr + lay->seek_off, MUX_MKV_SEEK_AREA);
    memcpy(p[n].after, area.d, MUX_MKV_SEEK_AREA);
    free(area.d);
    n++;
    /* The Duration in Info's Void, and Info's CRC-32 over its new content. */
    uint8_t dur[MUX_MKV_DURATION_LEN] = {0x44, 0x89, 0x88};
    uint64_t bits;
    memcpy(&bits, &duration_ms, sizeof(bits));
    for (int i = 0; i < 8; i++)
        dur[3 + i] = (uint8_t)(bits >> (8 * (7 - i)));
    size_t ilen = (size_t)(lay->info_end - lay->info_data_off);
    uint8_t *content = malloc(ilen);
    if (!content)
        return -ENOMEM;
    memcpy(content, hdr + lay->info_data_off, ilen);
    memcpy(content + (lay->info_void_off - lay->info_data_off), dur, sizeof(dur));
    uint32_t c = crc32_ieee(content, ilen);
    free(content);
    p[n].off = lay->info_crc_off;
    p[n].len = 4;
    memcpy(p[n].before, hdr + lay->info_crc_off, 4);
    for (int i = 0; i < 4; i++)
        p[n].after[i] = (uint8_t)(c >> (8 * i));
    n++;
    p[n].off = lay->info_void_off;
    p[n].len = MUX_MKV_DURATION_LEN;
    memcpy(p[n].before, hdr + lay->info_void_off, MUX_MKV_DURATION_LEN);
    memcpy(p[n].after, dur, sizeof(dur));
    n++;
    *np = n;
    return 0;
}

/* ---- the clusters ---- */

typedef struct Cue {
    int64_t time, cluster, rel;
} Cue;

enum { SCAN_HEADER, SCAN_SKIP, SCAN_BODY };

struct MuxMkvScan {
    MuxMkvLayout lay;
    int64_t pos;
    int mode;
    uint8_t hb[16];
    int hn;
    int64_t skip;
    uint32_t body_id;
    int64_t body_start, body_left; /* the element being collected, and what to skip after */
    uint8_t body[SCAN_COLLECT];
    int bn, bwant;
    int64_t cluster_start, cluster_data, cluster_end; /* cluster_end 0: between clusters */
    int64_t cluster_tc;
    int64_t group_start, group_end;
    int group_key;
    int have_group_block;
    uint64_t group_track;
    int64_t group_time;
    int64_t clusters_end;
    int failed;
    Cue *cues;
    int64_t ncues, cap;
    int prev_video_key;
    int64_t last[8], prev[8];
    int seen[8];
};

MuxMkvScan *mux_mkv_scan_alloc(const MuxMkvLayout *lay)
{
    MuxMkvScan *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->lay = *lay;
    s->pos = 0;
    s->clusters_end = lay->header_end;
    return s;
}

void mux_mkv_scan_free(MuxMkvScan **ps)
{
    if (!ps || !*ps)
        return;
    free((*ps)->cues);
    free(*ps);
    *ps = NULL;
}

static void on_block(MuxMkvScan *s, uint64_t track, int64_t time, int key, int64_t elem_start)
{
    if (track >= 1 && track <= 8) {
        s->prev[track - 1] = s->seen[track - 1] ? s->last[track - 1] : time;
        s->last[track - 1] = time;
        s->seen[track - 1] = 1;
    }
    if (track != s->lay.video_track)
        return;
    /* A cue at every GOP start (a key frame after a non-key one: cuts and the GOP grid), and one a second
     * where every frame is a key frame. */
    if (key && (!s->prev_video_key || !s->ncues || time - s->cues[s->ncues - 1].time >= CUE_MIN_GAP_MS)) {
        if (s->ncues == s->cap) {
            int64_t cap = s->cap ? s->cap * 2 : 1024;
            Cue *c = realloc(s->cues, (size_t)cap * sizeof(*c));
            if (!c) {
                s->failed = 1;
                return;
            }
            s->cues = c;
            s->cap = cap;
        }
        s->cues[s->ncues++] = (Cue){time, s->cluster_start - s->lay.seg_data, elem_start - s->cluster_data};
    }
    s->prev_video_key = key;
}

/* A block's first bytes: track number (a vint), timecode (int16, from the cluster's), flags. */
static int block_head(const uint8_t *b, int n, uint64_t *track, int64_t *tc, int *flags)
{
    int l = 1;
    while (l <= 8 && !(b[0] & (0x80 >> (l - 1))))
        l++;
    if (n < 1 || l > 8 || n < l + 3)
        return -1;
    *track = b[0] & (0xFF >> l);
    for (int i = 1; i < l; i++)
        *track = (*track << 8) | b[i];
    *tc = (int16_t)((b[l] << 8) | b[l + 1]);
    *flags = b[l + 2];
    return 0;
}

static void body_done(MuxMkvScan *s)
{
    uint64_t track;
    int64_t tc;
    int flags;
    if (s->body_id == ID_TIMECODE) {
        s->cluster_tc = (int64_t)rd_uint(s->body, (uint64_t)s->bn);
    } else if (block_head(s->body, s->bn, &track, &tc, &flags) < 0) {
        s->failed = 1;
    } else if (s->body_id == ID_SIMPLEBLOCK) {
        on_block(s, track, s->cluster_tc + tc, !!(flags & 0x80), s->body_start);
    } else { /* a BlockGroup's Block: key unless a ReferenceBlock follows */
        s->have_group_block = 1;
        s->group_track = track;
        s->group_time = s->cluster_tc + tc;
    }
}

/* At pos: the end of a BlockGroup, of a Cluster. */
static void close_containers(MuxMkvScan *s)
{
    if (s->group_end && s->pos >= s->group_end) {
        if (s->have_group_block)
            on_block(s, s->group_track, s->group_time, s->group_key, s->group_start);
        s->group_end = 0;
        s->have_group_block = 0;
    }
    if (s->cluster_end && s->pos >= s->cluster_end) {
        s->cluster_end = 0;
        s->clusters_end = s->pos;
    }
}

static void on_header(MuxMkvScan *s, uint32_t id, uint64_t size, int64_t start)
{
    int64_t data = s->pos;
    if (size == UINT64_MAX) {
        s->failed = 1;
        return;
    }
    s->mode = SCAN_SKIP;
    s->skip = (int64_t)size;
    if (!s->cluster_end) {
        if (id == ID_CLUSTER) {
            s->cluster_start = start;
            s->cluster_data = data;
            s->cluster_end = data + (int64_t)size;
            s->cluster_tc = 0;
            s->mode = SCAN_HEADER;
        }
    } else if (id == ID_BLOCKGROUP && !s->group_end) {
        s->group_start = start;
        s->group_end = data + (int64_t)size;
        s->group_key = 1;
        s->mode = SCAN_HEADER;
    } else if (id == ID_REFBLOCK && s->group_end) {
        s->group_key = 0;
    } else if ((id == ID_TIMECODE && size <= 8) || id == ID_SIMPLEBLOCK || (id == ID_BLOCK && s->group_end)) {
        s->mode = SCAN_BODY;
        s->body_id = id;
        s->body_start = start;
        s->bn = 0;
        s->bwant = size < SCAN_COLLECT ? (int)size : SCAN_COLLECT;
        s->body_left = (int64_t)size - s->bwant;
    }
    if (s->mode == SCAN_SKIP && s->skip == 0)
        s->mode = SCAN_HEADER;
    if (s->mode == SCAN_BODY && s->bwant == 0) {
        body_done(s);
        s->mode = SCAN_HEADER;
    }
}

void mux_mkv_scan_bytes(MuxMkvScan *s, int64_t offset, const uint8_t *buf, size_t len)
{
    if (!s || s->failed)
        return;
    if (offset != s->pos) {
        s->failed = 1;
        return;
    }
    while (len > 0 && !s->failed) {
        size_t n;
        if (s->pos < s->lay.header_end) {
            n = (size_t)(s->lay.header_end - s->pos) < len ? (size_t)(s->lay.header_end - s->pos) : len;
        } else if (s->mode == SCAN_SKIP) {
            n = (size_t)s->skip < len ? (size_t)s->skip : len;
            s->skip -= (int64_t)n;
            if (!s->skip)
                s->mode = SCAN_HEADER;
        } else if (s->mode == SCAN_BODY) {
            n = (size_t)(s->bwant - s->bn) < len ? (size_t)(s->bwant - s->bn) : len;
            memcpy(s->body + s->bn, buf, n);
            s->bn += (int)n;
            if (s->bn == s->bwant) {
                body_done(s);
                s->skip = s->body_left;
                s->mode = s->skip ? SCAN_SKIP : SCAN_HEADER;
            }
        } else {
            uint32_t id;
            uint64_t size;
            n = 1;
            s->hb[s->hn++] = buf[0];
            int hl = rd_header(s->hb, (size_t)s->hn, &id, &size, NULL);
            if (hl < 0 && s->hn >= 12)
                s->failed = 1;
            if (hl > 0) {
                int64_t start = s->pos + 1 - s->hn;
                s->hn = 0;
                s->pos += 1;
                on_header(s, id, size, start);
                buf += 1;
                len -= 1;
                close_containers(s);
                continue;
            }
        }
        s->pos += (int64_t)n;
        buf += n;
        len -= n;
        if (s->mode == SCAN_HEADER && !s->hn)
            close_containers(s);
    }
}

int mux_mkv_scan_failed(const MuxMkvScan *s)
{
    return !s || s->failed;
}

int64_t mux_mkv_scan_cues(const MuxMkvScan *s)
{
    return s ? s->ncues : 0;
}

int64_t mux_mkv_scan_clusters_end(const MuxMkvScan *s)
{
    return s ? s->clusters_end : 0;
}

double mux_mkv_scan_duration_ms(const MuxMkvScan *s)
{
    double d = 0;
    for (int t = 0; s && t < 8; t++) {
        if (!s->seen[t])
            continue;
        double step = s->lay.default_ns[t] > 0 ? s->lay.default_ns[t] / 1e6 : (double)(s->last[t] - s->prev[t]);
        if (s->last[t] + step > d)
            d = (double)s->last[t] + step;
    }
    return d;
}

int mux_mkv_scan_build_cues(const MuxMkvScan *s, uint8_t **out, size_t *out_len)
{
    Buf c = {0}, o = {0};
    *out = NULL;
    *out_len = 0;
    if (!s || s->failed || !s->ncues)
        return -EINVAL;
    for (int64_t i = 0; i < s->ncues; i++) {
        Buf tp = {0};
        put_uint(&tp, ID_CUETRACK, s->lay.video_track);
        put_uint(&tp, ID_CUECLUSTER, (uint64_t)s->cues[i].cluster);
        put_uint(&tp, ID_CUEREL, (uint64_t)s->cues[i].rel);
        Buf p = {0};
        put_uint(&p, ID_CUETIME, (uint64_t)s->cues[i].time);
        put_id(&p, ID_CUEPOS);
        put_size_n(&p, tp.len, 1);
        buf_put(&p, tp.d, tp.len);
        put_id(&c, ID_CUEPOINT);
        put_size_n(&c, p.len, 1);
        buf_put(&c, p.d, p.len);
        if (tp.err || p.err)
            c.err = -ENOMEM;
        free(tp.d);
        free(p.d);
    }
    put_id(&o, ID_CUES);
    put_size_n(&o, c.len, size_len(c.len));
    buf_put(&o, c.d, c.len);
    free(c.d);
    if (c.err || o.err) {
        free(o.d);
        return -ENOMEM;
    }
    *out = o.d;
    *out_len = o.len;
    return 0;
}

/* ---- a file on the disk (salvage) ---- */

static int pwrite_all(int fd, const uint8_t *b, size_t n, int64_t off)
{
    while (n > 0) {
        ssize_t w = pwrite(fd, b, n, (off_t)off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return w < 0 ? -errno : -EIO;
        b += w;
        n -= (size_t)w;
        off += w;
    }
    return 0;
}

int mux_mkv_finish_file(const char *path, double duration_ms, MuxMkvPatch *p, int *np, int64_t *cues_off,
                        int64_t *size)
{
    enum { CHUNK = 1 << 20 };
    MuxMkvLayout lay;
    MuxMkvScan *scan = NULL;
    uint8_t *buf = malloc(CHUNK), *cues = NULL;
    size_t cues_len = 0;
    int64_t off = 0;
    ssize_t n;
    int ret = -EINVAL;
    int fd = open(path, O_RDWR | O_CLOEXEC);

    *np = 0;
    if (fd < 0 || !buf) {
        ret = fd < 0 ? -errno : -ENOMEM;
        ot_log(OT_LOG_ERROR, "mux", "cannot open \"%s\" to finish it: %s", path, ot_strerror(ret));
        goto out;
    }
    do {
        n = pread(fd, buf, CHUNK, 0);
    } while (n < 0 && errno == EINTR);
    if (n <= 0 || mux_mkv_parse_header(buf, (size_t)n, &lay) < 0 || lay.header_end >= n) {
        ot_log(OT_LOG_ERROR, "mux", "\"%s\" is not a streaming onetake Matroska file (finished already, or "
               "damaged before its first cluster): left as it is", path);
        goto out;
    }
    uint8_t hdr[16384];
    if (lay.info_end > (int64_t)sizeof(hdr))
        goto out;
    memcpy(hdr, buf, (size_t)lay.info_end);
    if (!(scan = mux_mkv_scan_alloc(&lay))) {
        ret = -ENOMEM;
        goto out;
    }
    for (;;) {
        do {
            n = pread(fd, buf, CHUNK, (off_t)off);
        } while (n < 0 && errno == EINTR);
        if (n <= 0)
            break;
        mux_mkv_scan_bytes(scan, off, buf, (size_t)n);
        off += n;
    }
    int64_t end = mux_mkv_scan_clusters_end(scan);
    if (duration_ms <= 0)
        duration_ms = mux_mkv_scan_duration_ms(scan);
    if (n < 0 || mux_mkv_scan_build_cues(scan, &cues, &cues_len) < 0 ||
        mux_mkv_build_patch(hdr, &lay, end, end + (int64_t)cues_len, duration_ms, p, np) < 0) {
        ot_log(OT_LOG_ERROR, "mux", "cannot index \"%s\" (no key frame, or a cluster the scan could not follow): "
               "left in its streaming form", path);
        goto out;
    }
    /* What follows the last complete cluster is the crash's torn write: the Cues go there. */
    ret = ftruncate(fd, (off_t)end) < 0 ? -errno : pwrite_all(fd, cues, cues_len, end);
    for (int i = 0; !ret && i < *np; i++)
        ret = pwrite_all(fd, p[i].after, (size_t)p[i].len, p[i].off);
    if (!ret && fsync(fd) < 0)
        ret = -errno;
    if (ret < 0) {
        ot_log(OT_LOG_ERROR, "mux", "cannot finish \"%s\": %s", path, ot_strerror(ret));
        goto out;
    }
    *cues_off = end;
    *size = end + (int64_t)cues_len;
out:
    if (ret < 0)
        *np = 0;
    if (fd >= 0)
        close(fd);
    mux_mkv_scan_free(&scan);
    free(cues);
    free(buf);
    return ret;
}
