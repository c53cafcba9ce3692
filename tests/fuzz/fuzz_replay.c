/* The harnesses outside libFuzzer (the normal build): each argument, a file or a folder of files, is read and fed
 * to LLVMFuzzerTestOneInput once. The normal suite runs every harness over its seeds and tests/fuzz/regress/NAME/
 * (the inputs of bugs the fuzzers found), so a fixed crash stays fixed under gcc, and under the sanitizer build. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "fuzz_replay: cannot open %s\n", path);
        return -1;
    }
    size_t cap = 1 << 16, len = 0;
    uint8_t *buf = malloc(cap);
    size_t n;
    while (buf && (n = fread(buf + len, 1, cap - len, f)) > 0) {
        len += n;
        if (len == cap) {
            uint8_t *bigger = realloc(buf, cap * 2);
            if (!bigger) {
                free(buf);
                buf = NULL;
            }
            buf = bigger;
            cap *= 2;
        }
    }
    fclose(f);
    if (!buf)
        return -1;
    LLVMFuzzerTestOneInput(buf, len);
    free(buf);
    return 1;
}

static int run_arg(const char *path)
{
    DIR *d = opendir(path);
    if (!d)
        return run_file(path);
    int count = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char sub[4096];
        int n = snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
        if (n < 0 || n >= (int)sizeof(sub) || run_file(sub) < 0) {
            closedir(d);
            return -1;
        }
        count++;
    }
    closedir(d);
    return count;
}

int main(int argc, char **argv)
{
    int total = 0;
    for (int i = 1; i < argc; i++) {
        int n = run_arg(argv[i]);
        if (n < 0)
            return 1;
        total += n;
    }
    printf("fuzz_replay: %d inputs, no crash\n", total);
    return total > 0 ? 0 : 1;
}
