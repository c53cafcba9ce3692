/* onetake: one binary, subcommands (docs/contract.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "app.h"
#include "ot_common.h"
#include "ot_frame.h"
#include "sw_cues.h"
#include "sw_timecode.h"

static void usage(FILE *out)
{
    fputs("usage: onetake COMMAND [OPTIONS]\n"
          "\n"
          "commands:\n"
          "  record   --cam NAME=SOURCE [--cam ...] --out DIR [--cues FILE] ...   record a take\n"
          "  cues     check FILE [--cams a,b,c] [--fps N/D]                        check a cue list\n"
          "  verify   DIR [--pubkey FILE] [--json]                                 verify a take\n"
          "  replay   DIR --out DIR2 [--codec C]                                   re-make a program from the ISOs\n"
          "  archive  DIR [--out DEST] [--salvage] [--key FILE] | --check BAG       BagIt package of a take\n"
          "  keygen   --out FILE                                                   station key\n"
          "\n"
          "`onetake COMMAND --help` lists a command's options.\n",
          out);
}

int app_parse_rate(const char *option, const char *text, SwRate *rate)
{
    SwRate r;
    if (sw_rate_parse(text, &r) < 0 || (double)r.num / (double)r.den > 240.0) {
        ot_log(OT_LOG_ERROR, "onetake", "%s %s: give a frame rate as N/D or N, e.g. 30/1, 25, 30000/1001 (at most "
               "240 fps)", option, text);
        return -EINVAL;
    }
    *rate = r;
    return 0;
}

int app_parse_size(const char *option, const char *text, int *width, int *height)
{
    int w, h;
    if (ot_frame_parse_size(text, &w, &h) < 0 || w > 8192 || h > 8192 || (w % 2) || (h % 2)) {
        ot_log(OT_LOG_ERROR, "onetake", "%s %s: give the program size as WxH, both even and between 2 and 8192, "
               "e.g. 1280x720", option, text);
        return -EINVAL;
    }
    *width = w;
    *height = h;
    return 0;
}

char **app_parse_cam_list(const char *text)
{
    char **names = g_strsplit(text, ",", -1);
    for (char **n = names; *n; n++) {
        g_strstrip(*n);
        if (!sw_cam_name_valid(*n, strlen(*n))) {
            ot_log(OT_LOG_ERROR, "onetake", "--cams %s: \"%s\" is not a camera name: use letters, digits, _ and -, "
                   "at most %d", text, *n, SW_CAM_NAME_MAX);
            g_strfreev(names);
            return NULL;
        }
    }
    return names;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return APP_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "record"))
        return cmd_record(argc - 1, argv + 1);
    if (!strcmp(cmd, "cues"))
        return cmd_cues(argc - 1, argv + 1);
    if (!strcmp(cmd, "verify"))
        return cmd_verify(argc - 1, argv + 1);
    if (!strcmp(cmd, "replay"))
        return cmd_replay(argc - 1, argv + 1);
    if (!strcmp(cmd, "archive"))
        return cmd_archive(argc - 1, argv + 1);
    if (!strcmp(cmd, "keygen"))
        return cmd_keygen(argc - 1, argv + 1);
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
        usage(stdout);
        return APP_EXIT_OK;
    }
    if (!strcmp(cmd, "verify") || !strcmp(cmd, "keygen")) {
        fprintf(stderr, "onetake: `%s` is not built yet in this version of onetake\n", cmd);
        return APP_EXIT_USAGE;
    }
    fprintf(stderr, "onetake: unknown command \"%s\"\n", cmd);
    usage(stderr);
    return APP_EXIT_USAGE;
}
