/* onetake unit tests: a few check macros, no framework. Every check that fails prints where and why, and the
 * test exits non-zero; ut_finish() also insists that no frame is alive. */
#ifndef UT_H
#define UT_H

#include <inttypes.h>
#include <stdio.h>

#include "ot_frame.h"

static int ut_failures;
static int ut_checks;

#define UT_CHECK(cond)                                                                                       \
    do {                                                                                                     \
        ut_checks++;                                                                                         \
        if (!(cond)) {                                                                                       \
            ut_failures++;                                                                                   \
            fprintf(stderr, "%s:%d: FAIL: %s\n", __FILE__, __LINE__, #cond);                                 \
        }                                                                                                    \
    } while (0)

/* UT_CHECKF(cond, fmt, ...): also prints the context given by the format. */
#define UT_CHECKF(cond, ...)                                                                                 \
    do {                                                                                                     \
        ut_checks++;                                                                                         \
        if (!(cond)) {                                                                                       \
            ut_failures++;                                                                                   \
            fprintf(stderr, "%s:%d: FAIL: %s: ", __FILE__, __LINE__, #cond);                                 \
            fprintf(stderr, __VA_ARGS__);                                                                    \
            fputc('\n', stderr);                                                                             \
        }                                                                                                    \
    } while (0)

#define UT_EQ_INT(a, b)                                                                                      \
    UT_CHECKF((int64_t)(a) == (int64_t)(b), "%s = %" PRId64 ", expected %" PRId64, #a, (int64_t)(a),         \
              (int64_t)(b))

static inline int ut_finish(const char *name)
{
    int64_t live = ot_frame_live_count();
    if (live != 0) {
        fprintf(stderr, "%s: FAIL: %" PRId64 " frames still alive at exit\n", name, live);
        ut_failures++;
    }
    if (ut_failures) {
        fprintf(stderr, "%s: %d of %d checks FAILED\n", name, ut_failures, ut_checks);
        return 1;
    }
    printf("%s: all %d checks passed\n", name, ut_checks);
    return 0;
}

#endif
