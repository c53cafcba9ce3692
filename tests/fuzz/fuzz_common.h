/* onetake fuzz harnesses: what they share (tests/fuzz/README.md). */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "sw_timecode.h"

/* The sample take's five camera names and four rates the parsers are fuzzed with (an input's last byte
 * picks). */
#define FUZZ_NCAMS 5
extern const char *const fuzz_cams[FUZZ_NCAMS];
extern const SwRate fuzz_rates[4];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Quiets the product's log (a fuzzer makes millions of bad inputs; each is said once, to nobody). */
void fuzz_quiet(void);
/* A temp dir made once per process (mkdtemp), removed at exit. */
const char *fuzz_tmpdir(void);
/* dir/name holding the size bytes at data (an I/O failure aborts: the harness is broken, not the product). */
void fuzz_write(const char *dir, const char *name, const uint8_t *data, size_t size);
/* A copy of the committed sample take (tests/fuzz/take/) in the temp dir, made once; the harness overwrites
 * one file of it per input. */
const char *fuzz_take_dir(void);
/* A copy of data with a NUL after it (free()). */
char *fuzz_cstr(const uint8_t *data, size_t size);

#endif
