/* Private to control/: the control server's state, shared by ctl_server.c (the thread, TCP, the program
 * thread's hook) and ctl_osc.c (OSC over UDP). Not a public header: nothing outside control/ includes it. */
#ifndef CTL_INTERNAL_H
#define CTL_INTERNAL_H

#include <netinet/in.h>

#include "control.h"

#define CTL_SRV_CLIENTS 16   /* TCP clients at once */
#define CTL_SRV_QUEUE 64     /* commands waiting for a tick */
#define CTL_SRV_RESERVED 16  /* of those, kept for commands that change the program: previews cannot starve a cut */
#define CTL_SRV_EVENTS 256   /* replies and events waiting for the control thread */
#define CTL_OSC_PEERS 64     /* OSC peers whose rate is tracked (the least recently seen is reused) */
#define CTL_OSC_SUBS 16      /* OSC subscribers */
#define CTL_OSC_RENEW_S 60.0 /* a subscription lapses 60 s after its last renewal (the default) */

/* Who gets a command's reply: a TCP client (by id) or an OSC sender (socket and address). */
typedef struct CtlReplyTo {
    uint64_t client; /* TCP: the client's id; 0 for OSC */
    int osc;         /* OSC: index of the socket it came in on, else -1 */
    struct sockaddr_storage addr;
    socklen_t addrlen;
} CtlReplyTo;

typedef struct CtlQueued {
    CtlReplyTo to;
    CtlCmd cmd;
    char peer[64];
} CtlQueued;

typedef enum CtlEvType { CTL_EV_REPLY = 0, CTL_EV_PROGRAM, CTL_EV_PREVIEW, CTL_EV_CUE, CTL_EV_END } CtlEvType;

typedef struct CtlEvent {
    CtlEvType type;
    CtlReplyTo to; /* CTL_EV_REPLY */
    int ret;       /* CTL_EV_REPLY: 0 or the switcher's error */
    int64_t frame;
    int cmd;     /* CTL_EV_REPLY: the CtlCmdType */
    int program; /* the state after the event (program, preview -1 when none) */
    int preview;
    int cue; /* CTL_EV_CUE: the next cue's index, -1 when none is left */
} CtlEvent;

typedef struct CtlClient {
    int fd;
    uint64_t id;
    int subscribed;
    int discarding; /* an oversized line: drop up to its newline */
    char peer[64];
    char in[CTL_LINE_MAX];
    int nin;
    char *out;
    int nout;
    CtlBucket bucket;
} CtlClient;

typedef struct CtlOscPeer {
    struct sockaddr_storage addr; /* port ignored: a peer is its host */
    int used;
    int64_t seen_ns;
    CtlBucket bucket;
} CtlOscPeer;

typedef struct CtlOscSub {
    int used;
    int osc; /* the socket feedback is sent from */
    struct sockaddr_storage addr;
    socklen_t addrlen;
    int64_t renewed_ns;
} CtlOscSub;

typedef struct CtlOsc {
    int fd[CTL_MAX_ENDPOINTS];
    int nfd;
    CtlOscPeer peers[CTL_OSC_PEERS];
    CtlOscSub subs[CTL_OSC_SUBS];
    int64_t next_tc_ns;                   /* when /onetake/timecode goes out next */
    int64_t renew_ns;                     /* a subscription's life without renewal */
    int program, preview, cue;            /* as the events said last: a new subscriber is told them */
    int64_t program_frame, preview_frame; /* the frames they came on */
    int tally_program, tally_preview;     /* what /onetake/tally said last */
} CtlOsc;

struct CtlServer {
    CtlServerConfig cfg;
    char take_id[64];
    int listen_fd[CTL_MAX_ENDPOINTS];
    int nlisten;
    CtlClient clients[CTL_SRV_CLIENTS];
    uint64_t next_id;
    CtlOsc osc;            /* control thread only */
    CtlServerStats tstats; /* control thread only: added to stats at each round (no lock per count) */
    GThread *thread;
    volatile int stop;

    GMutex lock; /* guards the fields below and stats; never held across I/O */
    CtlQueued queue[CTL_SRV_QUEUE];
    int nqueue;
    CtlEvent events[CTL_SRV_EVENTS];
    int nevents;
    SwState shared_state;
    CtlServerStats stats;

    /* program thread only */
    SwState last;
    int have_last;
    CtlEvent pending[CTL_SRV_EVENTS];
    int npending;
    int64_t pending_dropped;
};

/* ctl_server.c, for ctl_osc.c (control thread) */
/* The command queued for the next tick: 0, or -EBUSY (counted) when the queue is full (for a preview: when only
 * the slots reserved for program commands are left). */
int ctl_srv_enqueue(CtlServer *s, const CtlReplyTo *to, const CtlCmd *cmd, const char *peer);
void ctl_srv_state(CtlServer *s, SwState *st);
int ctl_srv_peer_allowed(const CtlServer *s, const struct sockaddr *sa);
const char *ctl_srv_error_text(int ret);
void ctl_srv_format_tc(const CtlServer *s, int64_t frame, char *buf, int size);
/* "end X" with X not this take's id: the refusal into buf, 1; else 0. */
int ctl_srv_end_refused(const CtlServer *s, const CtlCmd *cmd, char *buf, int size);
/* The cue at index as its cue-list line ("2 go cut close \"Interview\""), "none" for -1. */
void ctl_srv_cue_text(const CtlServer *s, int index, char *buf, int size);

/* ctl_osc.c (control thread) */
int ctl_osc_open(CtlServer *s, const CtlEndpoint *ep);
void ctl_osc_read(CtlServer *s, int index);
void ctl_osc_deliver(CtlServer *s, const CtlEvent *ev);
void ctl_osc_housekeep(CtlServer *s, int64_t now_ns);
void ctl_osc_close(CtlServer *s);

#endif
