/* Fuzz the cue list parser (sw_cues_parse), with and without the take's camera names, at four rates. */
#include "fuzz_common.h"
#include "sw_cues.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_quiet();
    unsigned pick = size ? data[size - 1] : 0;
    SwCueError err;
    SwCueList *list = sw_cues_parse((const char *)data, size, fuzz_rates[pick & 3],
                                    (pick & 4) ? NULL : fuzz_cams, (pick & 4) ? 0 : FUZZ_NCAMS, &err);
    if (list) {
        /* The plan queries walk every cue: what the program thread does with a parsed list. */
        int n = sw_cues_count(list);
        for (int i = 0; i < n; i++) {
            const SwCue *c = sw_cues_get(list, i);
            if (c && c->cam >= 0) {
                int64_t in, out;
                (void)sw_cues_shot_end(list, c->cam, 0);
                (void)sw_cues_next_shot(list, c->cam, 0, &in, &out);
            }
        }
        (void)sw_cues_end_frame(list);
        (void)sw_cues_has_transitions(list);
        sw_cues_free(&list);
    } else {
        char buf[1024];
        (void)sw_cue_error_format(&err, "fuzz.cues", buf, sizeof(buf));
    }
    return 0;
}
