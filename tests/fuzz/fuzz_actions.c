/* Fuzz the director's action script parser (record --actions: sw_actions_parse). */
#include "fuzz_common.h"
#include "sw_cues.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_quiet();
    unsigned pick = size ? data[size - 1] : 0;
    SwCueError err;
    SwActionList *list =
        sw_actions_parse((const char *)data, size, fuzz_rates[pick & 3], fuzz_cams, FUZZ_NCAMS, &err);
    if (list) {
        int n = sw_actions_count(list);
        for (int i = 0; i < n; i++)
            (void)sw_actions_get(list, i);
        sw_actions_free(&list);
    } else {
        char buf[1024];
        (void)sw_cue_error_format(&err, "fuzz.actions", buf, sizeof(buf));
    }
    return 0;
}
