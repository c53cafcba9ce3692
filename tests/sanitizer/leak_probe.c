/* The sanitizer build's proof that tests/lsan.supp hides only library-internal one-time allocations: this program
 * initialises GStreamer (whose type registry and plugin cache the suppressions cover) and, with "leak", loses one
 * g_strdup of its own. LeakSanitizer must report exactly that allocation. Built only with OT_ASAN. */
#include <stdio.h>
#include <string.h>

#include <glib.h>
#include <gst/gst.h>

static char *kept; /* reachable: not a leak */

int main(int argc, char **argv)
{
    GstElement *e;
    char *lost;
    gst_init(NULL, NULL);
    /* Exercise the registry and element classes the way a take does, and free what we own. */
    e = gst_element_factory_make("videotestsrc", NULL);
    if (!e) {
        fprintf(stderr, "leak_probe: no videotestsrc: install gstreamer1.0-plugins-base\n");
        return 2;
    }
    gst_object_unref(e);
    kept = g_strdup("reachable until exit");
    if (argc > 1 && strcmp(argv[1], "leak") == 0) {
        lost = g_strdup("onetake's own leak through g_strdup");
        printf("lost %p\n", (void *)lost);
        lost = NULL; /* the only pointer is gone */
    }
    printf("%s\n", kept);
    return 0;
}
