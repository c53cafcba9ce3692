/* Fuzz the lyrics parsers (sw_subs_parse_lyrics: SubRip, WebVTT, LRC and the sniffing of AUTO) at four rates, and
 * the subtitle schedule built from them: what --lyrics reads from a file somebody else wrote. */
#include "fuzz_common.h"
#include "sw_subs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_quiet();
    unsigned pick = size ? data[size - 1] : 0;
    SwCueError err;
    SwSubs *subs = sw_subs_alloc(NULL, fuzz_rates[pick & 3]);
    if (!subs)
        return 0;
    SwLyricsFormat fmt = (SwLyricsFormat)((pick >> 2) & 3);
    if (sw_subs_parse_lyrics(subs, "en", (const char *)data, size, fmt, &err) == 0) {
        int64_t last = -1;
        for (int i = 0; i < sw_subs_count(subs); i++) {
            const SwSubOp *op = sw_subs_get(subs, i);
            if (!op || op->frame < last || op->lang != 0)
                __builtin_trap(); /* the schedule is in frame order, of the one language */
            last = op->frame;
        }
        (void)sw_subs_find(subs, last);
    } else {
        char buf[1024];
        (void)sw_cue_error_format(&err, "fuzz.srt", buf, sizeof(buf));
    }
    sw_subs_free(&subs);
    return 0;
}
