/* Unit test: the one answer to each small question the layers share: N/D and WxH parsing, the camera-name rule,
 * the atomic file write (ot_common.h, ot_frame.h, sw_timecode.h, sw_cues.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ot_common.h"
#include "ot_frame.h"
#include "sw_cues.h"
#include "sw_timecode.h"
#include "ut.h"

static void test_rate(void)
{
    SwRate r = {0, 0};
    UT_EQ_INT(sw_rate_parse("30000/1001", &r), 0);
    UT_CHECK(r.num == 30000 && r.den == 1001);
    UT_EQ_INT(sw_rate_parse("25", &r), 0);
    UT_CHECK(r.num == 25 && r.den == 1);
    const char *bad[] = {"", "0/1", "30/0", "30/", "/1", "-30/1", "+30", " 30", "30 ", "30/1x", "30x", "1000001/1",
                         "30/1000001", "99999999999999999999", NULL};
    for (int i = 0; bad[i]; i++)
        UT_CHECKF(sw_rate_parse(bad[i], &r) == -EINVAL, "rate \"%s\" accepted", bad[i]);
    UT_EQ_INT(sw_rate_parse(NULL, &r), -EINVAL);
}

static void test_size(void)
{
    int w = 0, h = 0;
    UT_EQ_INT(ot_frame_parse_size("1280x720", &w, &h), 0);
    UT_CHECK(w == 1280 && h == 720);
    UT_EQ_INT(ot_frame_parse_size("641X361", &w, &h), 0);
    UT_CHECK(w == 641 && h == 361);
    const char *bad[] = {"", "x", "1280", "1280x", "x720", "0x720", "1280x0", "-2x2", "2x-2", "2x2 ", " 2x2",
                         "2*2", "65537x2", "2x2x2", NULL};
    for (int i = 0; bad[i]; i++)
        UT_CHECKF(ot_frame_parse_size(bad[i], &w, &h) == -EINVAL, "size \"%s\" accepted", bad[i]);
}

static void test_cam_name(void)
{
    const char *good[] = {"wide", "cam_1", "Crane-2", "0", NULL};
    const char *bad[] = {"", "wide cam", "caméra", "a.b", "a/b", "a=b", "\"x\"", NULL};
    for (int i = 0; good[i]; i++)
        UT_CHECKF(sw_cam_name_valid(good[i], strlen(good[i])), "\"%s\" refused", good[i]);
    for (int i = 0; bad[i]; i++)
        UT_CHECKF(!sw_cam_name_valid(bad[i], strlen(bad[i])), "\"%s\" accepted", bad[i]);
    UT_CHECK(sw_cam_name_valid("wide,close", 4)); /* only the len bytes count */
    UT_CHECK(!sw_cam_name_valid(NULL, 0));
}

static void test_file_replace(void)
{
    char dir[] = "/tmp/ot-test-common-XXXXXX";
    UT_CHECK(mkdtemp(dir) != NULL);
    char path[128], tmp[256], buf[64] = {0};
    snprintf(path, sizeof(path), "%s/take.json", dir);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    const char *what = NULL;
    UT_EQ_INT(ot_file_replace(path, "old", 3, &what), 0);
    UT_EQ_INT(ot_file_replace(path, "new text", 8, &what), 0);
    FILE *f = fopen(path, "r");
    UT_CHECK(f != NULL);
    if (f) {
        UT_CHECK(fread(buf, 1, sizeof(buf) - 1, f) == 8 && !strcmp(buf, "new text"));
        fclose(f);
    }
    UT_CHECK(access(tmp, F_OK) < 0); /* renamed, not left beside it */
    /* A folder where the file should be: the rename fails, the old name stays, the temporary file goes. */
    char sub[160];
    snprintf(sub, sizeof(sub), "%s/sub", dir);
    UT_CHECK(mkdir(sub, 0755) == 0);
    char subfile[176];
    snprintf(subfile, sizeof(subfile), "%s/x", sub);
    UT_CHECK(mkdir(subfile, 0755) == 0);
    int ret = ot_file_replace(subfile, "x", 1, &what);
    UT_CHECKF(ret == -EISDIR && !strcmp(what, "rename to"), "replace over a folder: %d (%s)", ret, what);
    snprintf(tmp, sizeof(tmp), "%s.tmp", subfile);
    UT_CHECK(access(tmp, F_OK) < 0);
    ret = ot_file_replace("/nonexistent-ot/dir/file", "x", 1, &what);
    UT_CHECKF(ret == -ENOENT && !strcmp(what, "create"), "replace in a missing folder: %d (%s)", ret, what);
    rmdir(subfile);
    rmdir(sub);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    test_rate();
    test_size();
    test_cam_name();
    test_file_replace();
    return ut_finish("common");
}
