/* Fuzz the BagIt readers of archive --check: one tag file (FUZZ_BAG_FILE: manifest-sha256.txt or bag-info.txt) of
 * a bag made once from the sample take, through archive_check. */
#include <stdio.h>
#include <stdlib.h>

#include "archive.h"
#include "fuzz_common.h"

static const char *bag_dir(void)
{
    static char dir[256];
    if (!dir[0]) {
        snprintf(dir, sizeof(dir), "%s/bag", fuzz_tmpdir());
        ArchiveConfig cfg = {.dir = fuzz_take_dir(), .dest = dir, .salvage = 1};
        if (archive_make(&cfg) < 0) {
            fprintf(stderr, "fuzz: cannot make the template bag\n");
            abort();
        }
    }
    return dir;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_quiet();
    const char *dir = bag_dir();
    fuzz_write(dir, FUZZ_BAG_FILE, data, size);
    ArchiveCheck res;
    (void)archive_check(dir, NULL, 0, &res);
    archive_check_clear(&res);
    return 0;
}
