/* onetake: one binary, subcommands (docs/contract.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "app.h"
#include "ot_common.h"

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

int app_valid_cam_name(const char *name)
{
    /* Bounded: a name becomes a file name (iso/NAME.mkv) and goes into take log records. */
    if (!name || !*name || strlen(name) > APP_CAM_NAME_MAX)
        return 0;
    for (const char *p = name; *p; p++)
        if (!g_ascii_isalnum(*p) && *p != '_' && *p != '-')
            return 0;
    return 1;
}

int app_parse_rate(const char *option, const char *text, SwRate *rate)
{
    char *end = NULL;
    gint64 num = g_ascii_strtoll(text, &end, 10), den = 1;
    if (end != text && *end == '/') {
        const char *d = end + 1;
        den = g_ascii_strtoll(d, &end, 10);
        if (end == d)
            den = 0;
    }
    if (end == text || *end || num <= 0 || den <= 0 || num > 1000000 || den > 1000000 ||
        (double)num / (double)den > 240.0) {
        ot_log(OT_LOG_ERROR, "onetake", "%s %s: give a frame rate as N/D or N, e.g. 30/1, 25, 30000/1001 (at most "
               "240 fps)", option, text);
        return -EINVAL;
    }
    rate->num = (int)num;
    rate->den = (int)den;
    return 0;
}

int app_parse_size(const char *option, const char *text, int *width, int *height)
{
    char *end = NULL;
    gint64 w = g_ascii_strtoll(text, &end, 10), h = 0;
    if (end != text && (*end == 'x' || *end == 'X')) {
        const char *p = end + 1;
        h = g_ascii_strtoll(p, &end, 10);
        if (end == p)
            h = 0;
    }
    if (*end || w <= 0 || h <= 0 || w > 8192 || h > 8192 || (w % 2) || (h % 2)) {
        ot_log(OT_LOG_ERROR, "onetake", "%s %s: give the program size as WxH, both even and between 2 and 8192, "
               "e.g. 1280x720", option, text);
        return -EINVAL;
    }
    *width = (int)w;
    *height = (int)h;
    return 0;
}

char **app_parse_cam_list(const char *text)
{
    char **names = g_strsplit(text, ",", -1);
    for (char **n = names; *n; n++) {
        g_strstrip(*n);
        if (!app_valid_cam_name(*n)) {
            ot_log(OT_LOG_ERROR, "onetake", "--cams %s: \"%s\" is not a camera name: use letters, digits, _ and -, "
                   "at most %d", text, *n, APP_CAM_NAME_MAX);
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
