/* onetake mux: the verifier's check of a file finished at its close (mux_mkv.h). The proof side has checked
 * the streaming form (FILE ranges, with the PATCH record's bytes before put back) and that each patched range
 * holds the record's bytes after; here the patch is recomputed from the streaming header, the Cues' offset,
 * the final size and the duration the take log's packets give: the finished bytes must be exactly those. */
#include <inttypes.h>
#include <string.h>

#include "mux_int.h"
#include "mux_mkv.h"

static const uint8_t cues_id[4] = {0x1C, 0x53, 0xBB, 0x6B};

void mux_verify_patch_bytes(MuxVerifyPatch *vp, const ProofStreamModel *m, int64_t pos, const uint8_t *buf,
                            size_t n)
{
    if (!m->npatches)
        return;
    if (pos < (int64_t)sizeof(vp->head)) {
        size_t k = sizeof(vp->head) - (size_t)pos < n ? sizeof(vp->head) - (size_t)pos : n;
        memcpy(vp->head + pos, buf, k);
        if ((size_t)pos + k > vp->head_len)
            vp->head_len = (size_t)pos + k;
    }
    for (int i = 0; i < 4; i++) {
        int64_t at = m->cues_off + i;
        if (at >= pos && at < pos + (int64_t)n) {
            vp->cues[i] = buf[at - pos];
            vp->cues_seen |= 1 << i;
        }
    }
}

/* The media's end in ms as the take log's packets of this file say (every track of it). */
static double log_end_ms(const ProofTake *take, int index)
{
    double end = 0;
    for (int j = 0; j < proof_take_nstreams(take); j++) {
        const ProofStreamModel *s = proof_take_stream(take, j);
        if (j != index && s->owner != index)
            continue;
        for (int64_t k = 0; k < s->npkts; k++) {
            double e = mux_mkv_end_ms(s->pkts[k].pts + s->pkts[k].duration, s->tb_num, s->tb_den);
            if (e > end)
                end = e;
        }
    }
    return end;
}

int mux_verify_patch_check(MuxVerifyPatch *vp, const ProofTake *take, int index, const ProofFileCheck *c,
                           const char *file, ProofVerdict *v)
{
    const ProofStreamModel *m = proof_take_stream(take, index);
    MuxMkvPatch p[MUX_MKV_MAX_PATCHES];
    MuxMkvLayout lay;
    int np = 0;
    int64_t unapplied = 0;
    int64_t bad = proof_file_check_patch_bad(c, &unapplied);

    if (bad >= 0)
        return proof_verdict_fail(v, PROOF_INVALID, "file-patch", file, -1,
                                  "byte %" PRId64 " of %s is not what its PATCH record says the close wrote "
                                  "there: the finished header was edited", bad, file);
    if (unapplied > 0) {
        proof_verdict_note(v, "%s was not finished: the recorder stopped while it patched its header (%" PRId64
                           " bytes still as streamed); its streaming form is checked", file, unapplied);
        return 0;
    }
    /* The streaming header: the file's first bytes with the logged bytes before put back. */
    for (int i = 0; i < m->npatches; i++)
        if (m->patches[i].off + m->patches[i].len <= (int64_t)vp->head_len)
            memcpy(vp->head + m->patches[i].off, m->patches[i].before, (size_t)m->patches[i].len);
    double dur = log_end_ms(take, index);
    if (mux_mkv_parse_header(vp->head, vp->head_len, &lay) < 0 ||
        mux_mkv_build_patch(vp->head, &lay, m->cues_off, m->size, dur, p, &np) < 0)
        return proof_verdict_fail(v, PROOF_INVALID, "file-patch", file, -1,
                                  "%s has a PATCH record, but its streaming header is not one a close can "
                                  "finish: the record does not belong to this file", file);
    for (int i = 0; i < np || i < m->npatches; i++) {
        const ProofPatchRange *r = i < m->npatches ? &m->patches[i] : NULL;
        if (!r || i >= np || r->off != p[i].off || r->len != p[i].len || memcmp(r->after, p[i].after, (size_t)r->len))
            return proof_verdict_fail(v, PROOF_INVALID, "file-patch", file, -1,
                                      "the finished header of %s at byte %" PRId64 " is not what its streaming "
                                      "form, its Cues at byte %" PRId64 ", its size (%" PRId64 ") and the take "
                                      "log's duration (%.3f ms) give: the patch was forged",
                                      file, r ? r->off : p[i].off, m->cues_off, m->size, dur);
    }
    if (vp->cues_seen != 0xF || memcmp(vp->cues, cues_id, 4))
        return proof_verdict_fail(v, PROOF_INVALID, "file-patch", file, -1,
                                  "%s has no Cues at byte %" PRId64 ", where its PATCH record's SeekHead points",
                                  file, m->cues_off);
    v->files_finalized++;
    proof_verdict_checked(v, "%s: finished at the close: %d patched ranges recomputed (Segment size, SeekHead "
                          "with the Cues at byte %" PRId64 ", Duration %.3f ms, Info CRC-32), nothing else "
                          "differs from the streaming form", file, m->npatches, m->cues_off, dur);
    return 0;
}
