/* Fuzz the --ui-script parser (ui_script_load reads a file; no window is opened). */
#include <stdio.h>

#include "fuzz_common.h"
#include "ui.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_quiet();
    const char *dir = fuzz_tmpdir();
    fuzz_write(dir, "ui.script", data, size);
    char path[256];
    snprintf(path, sizeof(path), "%s/ui.script", dir);
    UiScript *script = NULL;
    if (ui_script_load(path, &script) == 0)
        ui_script_free(&script);
    return 0;
}
