/* onetake app: the command line. Each subcommand parses its own options (GOptionContext) and wires the modules. */
#ifndef APP_H
#define APP_H

#include "sw_timecode.h"

/* Exit codes shared by the subcommands (verify has its own, pinned in docs/contract.md). */
enum {
    APP_EXIT_OK = 0,
    APP_EXIT_FAIL = 1,  /* the job failed (take failed, cue list invalid...) */
    APP_EXIT_USAGE = 2, /* bad command line or unreadable input */
};

int cmd_record(int argc, char **argv);
int cmd_cues(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_keygen(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_archive(int argc, char **argv);

/* "30/1", "30000/1001", "25" -> rate. 0 or -EINVAL (logged with the option name). */
int app_parse_rate(const char *option, const char *text, SwRate *rate);
/* "1280x720" -> size; both positive, even (4:2:0), at most 8192. 0 or -EINVAL (logged). */
int app_parse_size(const char *option, const char *text, int *width, int *height);
/* Split "a,b,c" into a NULL-terminated vector (g_strfreev) after checking each is a valid camera name. */
char **app_parse_cam_list(const char *text);

#endif
