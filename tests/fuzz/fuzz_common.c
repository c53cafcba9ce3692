/* onetake fuzz harnesses: temp dir, files, the template take. */
#include "fuzz_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ot_common.h"

#ifndef FUZZ_TEMPLATE_DIR
#error "FUZZ_TEMPLATE_DIR (tests/fuzz/take) must be defined"
#endif

static char tmpdir[64];

void fuzz_quiet(void)
{
    ot_log_set_level(OT_LOG_QUIET);
}

static void remove_tmpdir(void)
{
    char cmd[128];
    if (tmpdir[0] && snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir) < (int)sizeof(cmd) && system(cmd) != 0)
        fprintf(stderr, "fuzz: could not remove %s\n", tmpdir);
}

const char *fuzz_tmpdir(void)
{
    if (!tmpdir[0]) {
        const char *base = getenv("TMPDIR");
        int n = snprintf(tmpdir, sizeof(tmpdir), "%s/onetake-fuzz-XXXXXX", base && *base ? base : "/tmp");
        if (n < 0 || n >= (int)sizeof(tmpdir) || !mkdtemp(tmpdir)) {
            fprintf(stderr, "fuzz: cannot make a temp dir (set TMPDIR to a short writable path)\n");
            abort();
        }
        atexit(remove_tmpdir);
    }
    return tmpdir;
}

void fuzz_write(const char *dir, const char *name, const uint8_t *data, size_t size)
{
    char path[512];
    int n = snprintf(path, sizeof(path), "%s/%s", dir, name);
    if (n < 0 || n >= (int)sizeof(path))
        abort();
    FILE *f = fopen(path, "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0) {
        fprintf(stderr, "fuzz: cannot write %s\n", path);
        abort();
    }
}

const char *fuzz_take_dir(void)
{
    static char dir[128];
    if (!dir[0]) {
        char cmd[1024];
        int n = snprintf(dir, sizeof(dir), "%s/take", fuzz_tmpdir());
        int m = snprintf(cmd, sizeof(cmd), "cp -r '%s' '%s'", FUZZ_TEMPLATE_DIR, dir);
        if (n < 0 || n >= (int)sizeof(dir) || m < 0 || m >= (int)sizeof(cmd) || system(cmd) != 0) {
            fprintf(stderr, "fuzz: cannot copy the template take %s\n", FUZZ_TEMPLATE_DIR);
            abort();
        }
    }
    return dir;
}

char *fuzz_cstr(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        abort();
    memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

const char *const fuzz_cams[FUZZ_NCAMS] = {"wide", "close", "crane", "drone", "handheld"};
const SwRate fuzz_rates[4] = {{30, 1}, {30000, 1001}, {25, 1}, {60000, 1001}};
