/* onetake cues check FILE [--cams a,b,c] [--fps N/D]: validate a cue list and print it as the switcher sees it. */
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "app.h"
#include "ot_common.h"
#include "sw_cues.h"

int cmd_cues(int argc, char **argv)
{
    char *cams_text = NULL, *fps_text = NULL;
    gboolean quiet = FALSE;
    GOptionEntry entries[] = {
        {"cams", 0, 0, G_OPTION_ARG_STRING, &cams_text, "The take's camera names, in order", "NAME,NAME,..."},
        {"fps", 0, 0, G_OPTION_ARG_STRING, &fps_text, "Program frame rate (default 30/1)", "N/D"},
        {"quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "Print errors only", NULL},
        {NULL, 0, 0, 0, NULL, NULL, NULL}};
    GOptionContext *ctx = g_option_context_new("check FILE - check a cue list");
    g_option_context_add_main_entries(ctx, entries, NULL);
    GError *err = NULL;
    int ret = APP_EXIT_USAGE;
    char **cams = NULL;
    SwCueList *list = NULL;

    if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
        fprintf(stderr, "onetake cues: %s\n", err->message);
        goto out;
    }
    if (argc != 3 || strcmp(argv[1], "check")) {
        fprintf(stderr, "onetake cues: usage: onetake cues check FILE [--cams NAME,NAME,...] [--fps N/D]\n");
        goto out;
    }
    SwRate rate = {30, 1};
    if (fps_text && app_parse_rate("--fps", fps_text, &rate) < 0)
        goto out;
    int ncams = 0;
    if (cams_text) {
        cams = app_parse_cam_list(cams_text);
        if (!cams)
            goto out;
        ncams = (int)g_strv_length(cams);
    }
    const char *path = argv[2];
    SwCueError cerr;
    list = sw_cues_load(path, rate, (const char *const *)cams, ncams, &cerr);
    if (!list) {
        char buf[768];
        fprintf(stderr, "%s\n", sw_cue_error_format(&cerr, path, buf, sizeof(buf)));
        ret = cerr.code == SW_CUE_ERR_IO ? APP_EXIT_USAGE : APP_EXIT_FAIL;
        goto out;
    }
    if (!quiet) {
        int n = sw_cues_count(list);
        printf("%s: %d cue%s at %d/%d fps\n", path, n, n == 1 ? "" : "s", rate.num, rate.den);
        int df = sw_rate_allows_drop_frame(rate);
        for (int i = 0; i < n; i++) {
            const SwCue *c = sw_cues_get(list, i);
            char tc[32] = "go", fr[32] = "-";
            if (c->frame >= 0) {
                sw_timecode_format(rate, df, c->frame, tc, sizeof(tc));
                g_snprintf(fr, sizeof(fr), "%" G_GINT64_FORMAT, c->frame);
            }
            char trans[64] = "";
            if (c->trans.kind != SW_TRANS_CUT) {
                int tn = g_snprintf(trans, sizeof(trans), " %d frames", c->trans.frames);
                if (c->trans.kind == SW_TRANS_DIP)
                    g_snprintf(trans + tn, sizeof(trans) - (size_t)tn, " to #%02X%02X%02X", c->trans.rgb[0],
                               c->trans.rgb[1], c->trans.rgb[2]);
                else if (c->trans.kind == SW_TRANS_WIPE)
                    g_snprintf(trans + tn, sizeof(trans) - (size_t)tn, " %s soft %d",
                               sw_wipe_pattern_name(c->trans.pattern), c->trans.soft);
            }
            if (c->action == SW_CUE_SUB || c->action == SW_CUE_SUB_CLEAR) {
                printf("  line %-4d %-12s frame %-7s %-4s %-10s %s%s%s\n", c->line, tc, fr,
                       c->action == SW_CUE_SUB ? "sub" : "sub-clear", sw_cues_lang(list, c->lang),
                       c->text ? "\"" : "", c->text ? c->text : "", c->text ? "\"" : "");
                continue;
            }
            printf("  line %-4d %-12s frame %-7s %-4s %-10s%s %s%s%s\n", c->line, tc, fr,
                   c->action == SW_CUE_CUT ? sw_trans_kind_name(c->trans.kind) : "end",
                   c->camera ? c->camera : "", trans, c->label ? "\"" : "", c->label ? c->label : "",
                   c->label ? "\"" : "");
        }
    }
    ret = APP_EXIT_OK;
out:
    sw_cues_free(&list);
    g_strfreev(cams);
    g_free(cams_text);
    g_free(fps_text);
    g_clear_error(&err);
    g_option_context_free(ctx);
    return ret;
}
