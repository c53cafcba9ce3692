/* onetake control: the studio's controls. OSC (UDP, liblo's codec) and a TCP line protocol in, TSL UMD v5.0 tally
 * out over UDP and TCP. docs/control.md is the protocol; README.md here is the code.
 *
 * Pure functions (any thread): control and tally addresses, --control-allow ranges, the TCP line grammar, the OSC
 * messages, TSL UMD v5.0 packets and their TCP framing, the per-peer token bucket. Then the control server (an
 * "ot-control" thread serving TCP and OSC) and the tally sender (an "ot-tally" thread). */
#ifndef CONTROL_H
#define CONTROL_H

#include <stdint.h>
#include <sys/socket.h>

#include <glib.h>


#define CTL_MAX_ENDPOINTS 8  /* --control and --tally, each */
#define CTL_MAX_CIDRS 16
#define CTL_LINE_MAX 512      /* a TCP command line, newline included */
#define CTL_TEXT_MAX 64       /* a TSL display's text: camera names are shorter */

/* ---- addresses ---- */

typedef enum CtlKind {
    CTL_OSC = 0,  /* osc://ADDR:PORT (UDP) */
    CTL_TCP,      /* tcp://ADDR:PORT */
    CTL_TSL_UDP,  /* tsl5+udp://HOST:PORT */
    CTL_TSL_TCP,  /* tsl5+tcp://HOST:PORT */
} CtlKind;

typedef struct CtlEndpoint {
    CtlKind kind;
    struct sockaddr_storage addr;
    socklen_t addrlen;
    char text[96]; /* as given, for messages */
} CtlEndpoint;

/* Parse "osc://127.0.0.1:9000", "tcp://[::1]:9999", "tsl5+udp://10.0.0.9:8900"... (numeric addresses only:
 * nothing is looked up). tally: only tsl5+ schemes are accepted, else only osc/tcp. 0 or -EINVAL (logged with
 * what is accepted). */
int ctl_endpoint_parse(const char *url, int tally, CtlEndpoint *ep);

typedef struct CtlCidr {
    int family; /* AF_INET or AF_INET6 */
    uint8_t addr[16];
    int bits;
} CtlCidr;

/* "10.0.0.0/8,192.168.1.7,fd00::/8" -> up to max entries. Count or -EINVAL (logged). */
int ctl_cidr_parse(const char *text, CtlCidr *out, int max);
/* 1 when sa is in one of the n ranges (an IPv4-mapped IPv6 peer matches IPv4 ranges). */
int ctl_cidr_match(const CtlCidr *c, int n, const struct sockaddr *sa);
int ctl_addr_is_loopback(const struct sockaddr *sa);
/* "127.0.0.1:53211" / "[::1]:40000" into buf. */
void ctl_addr_format(const struct sockaddr *sa, char *buf, int size);

/* ---- commands ---- */

typedef enum CtlCmdType {
    CTL_CMD_CUT = 0,
    CTL_CMD_PREVIEW,
    CTL_CMD_TAKE,   /* cut the preview camera to program */
    CTL_CMD_GO,
    CTL_CMD_END,    /* with the take id */
    CTL_CMD_STATUS,
    CTL_CMD_SUBSCRIBE,
    CTL_CMD_UNSUBSCRIBE,
} CtlCmdType;

typedef struct CtlCmd {
    CtlCmdType type;
    int cam;                 /* CUT, PREVIEW: camera index */
    char arg[CTL_TEXT_MAX];  /* END: the take id given */
    int port;                /* OSC STATUS, SUBSCRIBE, UNSUBSCRIBE: the port to answer on (0: the sender's) */
} CtlCmd;

/* "close" or "2" (1-based) -> camera index, or -1. */
int ctl_camera_parse(const char *text, const char *const *cams, int ncams);
/* One TCP line (without its newline) -> cmd. 0, or -EINVAL with err saying what is wrong and what is accepted. */
int ctl_line_parse(const char *line, const char *const *cams, int ncams, CtlCmd *cmd, char *err, int errsize);
const char *ctl_cmd_name(CtlCmdType type);
/* One OSC datagram (liblo decodes it) -> cmd: /onetake/cut ,s NAME | ,i N; /onetake/preview ,s | ,i; /onetake/take;
 * /onetake/go; /onetake/end ,s TAKE_ID; /onetake/status, /onetake/subscribe, /onetake/unsubscribe, each with no
 * argument or ,i PORT. 0; -EBADMSG not an OSC message (bundles included); -ENOENT an address not listed;
 * -EINVAL wrong arguments, with err saying what is accepted. data is not changed. */
int ctl_osc_parse(const void *data, int size, const char *const *cams, int ncams, CtlCmd *cmd, char *err,
                  int errsize);

/* ---- TSL UMD v5.0 ---- */

#define CTL_TSL_RED 1
#define CTL_TSL_GREEN 2
#define CTL_TSL_DLE 0xFE
#define CTL_TSL_STX 0x02

/* One packet (PBC, VER 0, FLAGS 0 (ASCII, display data), SCREEN, then one DMSG per camera: INDEX = index_base + i,
 * CONTROL = RH and LH tally and text tally (red on program, green on preview), brightness 3, TEXT = its name),
 * 16-bit fields little-endian. Bytes written, or -ENOSPC. */
int ctl_tsl5_packet(uint8_t *out, int size, int screen, int index_base, const char *const *names, int ncams,
                    int program, int preview);
/* The TCP wrapper: DLE/STX, then the packet with every DLE doubled (byte counts unchanged). Bytes or -ENOSPC. */
int ctl_tsl5_wrap(const uint8_t *packet, int n, uint8_t *out, int size);

/* ---- per-peer rate limit (token bucket) ---- */

typedef struct CtlBucket {
    double tokens;
    int64_t last_ns;
} CtlBucket;

/* 1 and one token taken when the peer may send now; 0 when it is over rate per second (burst tokens at most). */
int ctl_bucket_take(CtlBucket *b, int64_t now_ns, double rate, double burst);

/* ---- the server (ctl_server.c, ctl_osc.c): an "ot-control" thread serving TCP and OSC ---- */

#include "sw_switcher.h"
#include "sw_timecode.h"

typedef struct CtlServerConfig {
    const CtlEndpoint *eps; /* copied pointers: must outlive the server */
    int neps;
    const CtlCidr *allow;   /* --control-allow; none: loopback peers only */
    int nallow;
    const char *const *cams;
    int ncams;
    const SwCueList *cues; /* may be NULL; frozen, must outlive the server (the cue feedback reads it) */
    SwRate rate;
    double rate_per_s, burst; /* per-peer command rate limit (a TCP connection, an OSC host) */
    double osc_renew_s;       /* an OSC subscription lapses this long after its last renewal (0: 60 s) */
} CtlServerConfig;

typedef struct CtlServerStats {
    int64_t clients, commands_staged, malformed, rate_limited, refused_peers, refused_full, queue_full,
        clients_dropped_slow, events_dropped;
    int64_t refused_end;     /* end with a take id not this take's */
    int64_t osc_messages;    /* OSC datagrams received from allowed peers */
    int64_t unknown;         /* OSC messages to an address not served (also in malformed: not OSC at all) */
    int64_t subscriptions, subscriptions_expired, feedback_not_sent;
} CtlServerStats;

typedef struct CtlServer CtlServer;

/* Binds every endpoint and starts the thread; NULL (logged with how to fix) when one cannot be served. */
CtlServer *ctl_server_alloc(const CtlServerConfig *cfg, const char *take_id);
/* Program thread, from SwRunnerConfig.before_tick: stages the queued commands at `tick` (never waits). */
void ctl_server_before_tick(CtlServer *s, SwSwitcher *sw, int64_t tick);
/* Stops serving (the last replies out first, 200 ms at most); the counts are final after it. */
void ctl_server_stop(CtlServer *s);
void ctl_server_get_stats(CtlServer *s, CtlServerStats *out);
/* Sends what is left (200 ms at most), stops the thread, closes every socket. */
void ctl_server_free(CtlServer **s);


/* ---- tally out (ctl_tally.c): an "ot-tally" thread sending TSL UMD v5.0 to every --tally receiver ---- */

typedef struct CtlTallyConfig {
    const CtlEndpoint *eps; /* tsl5+udp / tsl5+tcp; must outlive the tally */
    int neps;
    const char *const *cams;
    int ncams;
    int index_base; /* --tally-index-base: INDEX of camera 1 */
    int screen;
} CtlTallyConfig;

typedef struct CtlTallyStats {
    int64_t packets, bytes, send_errors, connects;
} CtlTallyStats;

typedef struct CtlTally CtlTally;

/* Starts the thread (receivers are reached as they come: a TCP receiver down is retried with a backoff). */
CtlTally *ctl_tally_alloc(const CtlTallyConfig *cfg);
/* Program thread, from SwRunnerConfig.before_tick: stores program and preview (two atomics, never waits). */
void ctl_tally_before_tick(CtlTally *t, SwSwitcher *sw);
void ctl_tally_get_stats(CtlTally *t, CtlTallyStats *out);
void ctl_tally_free(CtlTally **t);

#endif
