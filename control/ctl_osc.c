/* OSC control over UDP (docs/control.md): the datagrams are decoded and the replies and feedback encoded with
 * liblo's own codec (lo_message_deserialise / lo_message_serialise); the sockets are the control server's,
 * polled on the ot-control thread with the TCP ones (ctl_server.c), so nothing here runs on the program
 * thread.
 *
 * A peer is its host (its port changes with every oscsend): packets from a host outside --control-allow
 * (loopback when none is given) are dropped and counted, and each host has its own token bucket. Nothing
 * malformed is answered (no amplification); a well-formed /onetake/ message with wrong arguments gets
 * /onetake/error. */
#include "ctl_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <lo/lo.h>

#include "ot_common.h"

#define OSC_MAX 1024       /* a datagram; ours are far smaller */
#define READS_PER_WAKE 256 /* datagrams read before the TCP clients get their turn again */
#define NS_PER_S 1000000000

/* ---- the messages (pure) ---- */

static const struct {
    const char *path;
    CtlCmdType type;
} osc_paths[] = {
    {"/onetake/cut", CTL_CMD_CUT},
    {"/onetake/preview", CTL_CMD_PREVIEW},
    {"/onetake/take", CTL_CMD_TAKE},
    {"/onetake/go", CTL_CMD_GO},
    {"/onetake/end", CTL_CMD_END},
    {"/onetake/status", CTL_CMD_STATUS},
    {"/onetake/subscribe", CTL_CMD_SUBSCRIBE},
    {"/onetake/unsubscribe", CTL_CMD_UNSUBSCRIBE},
};

static int osc_args(CtlCmd *cmd, const char *path, const char *types, lo_arg **argv, const char *const *cams,
                    int ncams, char *err, int errsize)
{
    int argc = (int)strlen(types);
    switch (cmd->type) {
    case CTL_CMD_CUT:
    case CTL_CMD_PREVIEW:
        if (argc == 1 && types[0] == 's')
            cmd->cam = ctl_camera_parse(&argv[0]->s, cams, ncams);
        else if (argc == 1 && types[0] == 'i')
            cmd->cam = argv[0]->i >= 1 && argv[0]->i <= ncams ? argv[0]->i - 1 : -1;
        if (cmd->cam >= 0)
            return 0;
        snprintf(err, (size_t)errsize, "%s takes one argument: ,s CAMERA (a camera's name) or ,i N (1-%d)",
                 path, ncams);
        return -EINVAL;
    case CTL_CMD_TAKE:
    case CTL_CMD_GO:
        if (argc == 0)
            return 0;
        snprintf(err, (size_t)errsize, "%s takes no argument", path);
        return -EINVAL;
    case CTL_CMD_END:
        if (argc == 1 && types[0] == 's' && strlen(&argv[0]->s) < sizeof(cmd->arg)) {
            g_strlcpy(cmd->arg, &argv[0]->s, sizeof(cmd->arg));
            return 0;
        }
        snprintf(
            err, (size_t)errsize,
            "%s needs the take id: ,s TAKE_ID (the 32 hex digits of take.json's take_id, as /onetake/status "
            "says)",
            path);
        return -EINVAL;
    default: /* status, subscribe, unsubscribe */
        if (argc == 0)
            return 0;
        if (argc == 1 && types[0] == 'i' && argv[0]->i >= 1 && argv[0]->i <= 65535) {
            cmd->port = argv[0]->i;
            return 0;
        }
        snprintf(err, (size_t)errsize,
                 "%s takes no argument, or ,i PORT (1-65535) to be answered on that port", path);
        return -EINVAL;
    }
}

int ctl_osc_parse(const void *data, int size, const char *const *cams, int ncams, CtlCmd *cmd, char *err,
                  int errsize)
{
    char buf[OSC_MAX];
    memset(cmd, 0, sizeof(*cmd));
    cmd->cam = -1;
    snprintf(err, (size_t)errsize, "not an OSC message");
    if (size < 8 || size > OSC_MAX || size % 4)
        return -EBADMSG;
    memcpy(buf, data, (size_t)size); /* liblo's calls take a non-const buffer */
    if (!memcmp(buf, "#bundle", 8)) {
        snprintf(err, (size_t)errsize, "OSC bundles are not accepted: send each message on its own");
        return -EBADMSG;
    }
    const char *path = lo_get_path(buf, size);
    int result = 0;
    lo_message m = path ? lo_message_deserialise(buf, (size_t)size, &result) : NULL;
    if (!m)
        return -EBADMSG;
    int ret = -ENOENT;
    for (size_t i = 0; i < G_N_ELEMENTS(osc_paths); i++)
        if (!strcmp(path, osc_paths[i].path)) {
            cmd->type = osc_paths[i].type;
            ret = osc_args(cmd, path, lo_message_get_types(m), lo_message_get_argv(m), cams, ncams, err,
                           errsize);
            break;
        }
    if (ret == -ENOENT)
        snprintf(err, (size_t)errsize,
                 "%.64s: not an address onetake serves (/onetake/cut, /preview, /take, /go, "
                 "/end, /status, /subscribe, /unsubscribe)",
                 path);
    lo_message_free(m);
    return ret;
}

/* ---- sending ---- */

/* m serialised once, then sent to `to`, or to every subscriber when to is NULL (only one of them when `only`
 * is given: a new subscriber's first state); m is freed. */
static void osc_send(CtlServer *s, const CtlReplyTo *to, const CtlOscSub *only, const char *path,
                     lo_message m)
{
    char buf[OSC_MAX];
    size_t n = lo_message_length(m, path);
    int ok = n <= sizeof(buf) && lo_message_serialise(m, path, buf, &n);
    lo_message_free(m);
    for (int i = 0; i < (to ? 1 : CTL_OSC_SUBS); i++) {
        const CtlOscSub *sub = &s->osc.subs[i];
        if (!to && (!sub->used || (only && sub != only)))
            continue;
        int osc = to ? to->osc : sub->osc;
        const struct sockaddr_storage *addr = to ? &to->addr : &sub->addr;
        socklen_t len = to ? to->addrlen : sub->addrlen;
        /* A full socket buffer drops it: feedback is state, the next message says it again. */
        if (!ok || sendto(s->osc.fd[osc], buf, n, MSG_DONTWAIT | MSG_NOSIGNAL, (const struct sockaddr *)addr,
                          len) != (ssize_t)n)
            s->tstats.feedback_not_sent++;
    }
}

static lo_message msg_ss(const char *a, const char *b)
{
    lo_message m = lo_message_new();
    lo_message_add_string(m, a);
    if (b)
        lo_message_add_string(m, b);
    return m;
}

static void osc_error(CtlServer *s, const CtlReplyTo *to, const char *cmd, const char *text)
{
    osc_send(s, to, NULL, "/onetake/error", msg_ss(cmd, text));
}

static void osc_tally(CtlServer *s, const CtlOscSub *only)
{
    for (int c = 0; c < s->cfg.ncams; c++) {
        lo_message m = lo_message_new();
        lo_message_add_int32(m, c + 1);
        lo_message_add_int32(m, c == s->osc.program);
        lo_message_add_int32(m, c == s->osc.preview);
        osc_send(s, NULL, only, "/onetake/tally", m);
    }
}

/* /onetake/program (or /preview) ,sis CAMERA FRAME TC: the camera ("" for none), the frame of the change. */
static void osc_camera(CtlServer *s, const CtlOscSub *only, int preview)
{
    char tc[32];
    int64_t frame = preview ? s->osc.preview_frame : s->osc.program_frame;
    int cam = preview ? s->osc.preview : s->osc.program;
    ctl_srv_format_tc(s, frame, tc, sizeof(tc));
    lo_message m = msg_ss(cam >= 0 ? s->cfg.cams[cam] : "", NULL);
    lo_message_add_int32(m, (int32_t)frame);
    lo_message_add_string(m, tc);
    osc_send(s, NULL, only, preview ? "/onetake/preview" : "/onetake/program", m);
}

static void osc_cue(CtlServer *s, const CtlOscSub *only)
{
    char cue[CTL_TEXT_MAX * 3];
    ctl_srv_cue_text(s, s->osc.cue, cue, sizeof(cue));
    osc_send(s, NULL, only, "/onetake/cue", msg_ss(cue, NULL));
}

static void osc_timecode(CtlServer *s, const CtlOscSub *only)
{
    SwState st;
    ctl_srv_state(s, &st);
    if (st.tick < 0)
        return; /* not rolling yet */
    char tc[32];
    ctl_srv_format_tc(s, st.tick, tc, sizeof(tc));
    osc_send(s, NULL, only, "/onetake/timecode", msg_ss(tc, NULL));
}

void ctl_osc_deliver(CtlServer *s, const CtlEvent *ev)
{
    char tc[32];
    if (s->osc.nfd == 0)
        return;
    ctl_srv_format_tc(s, ev->frame, tc, sizeof(tc));
    lo_message m;
    switch (ev->type) {
    case CTL_EV_REPLY:
        if (ev->to.osc < 0)
            return;
        if (ev->ret < 0) {
            osc_error(s, &ev->to, ctl_cmd_name((CtlCmdType)ev->cmd), ctl_srv_error_text(ev->ret));
            return;
        }
        m = msg_ss(ctl_cmd_name((CtlCmdType)ev->cmd), NULL);
        lo_message_add_int32(m, (int32_t)ev->frame);
        lo_message_add_string(m, tc);
        osc_send(s, &ev->to, NULL, "/onetake/ok", m);
        return;
    case CTL_EV_PROGRAM:
    case CTL_EV_PREVIEW:
        if (ev->type == CTL_EV_PROGRAM)
            s->osc.program_frame = ev->frame;
        if (ev->preview != s->osc.preview)
            s->osc.preview_frame = ev->frame;
        s->osc.program = ev->program;
        s->osc.preview = ev->preview;
        osc_camera(s, NULL, ev->type == CTL_EV_PREVIEW);
        if (s->osc.program != s->osc.tally_program || s->osc.preview != s->osc.tally_preview)
            osc_tally(s, NULL); /* once for a cut that also moves the preview */
        s->osc.tally_program = s->osc.program;
        s->osc.tally_preview = s->osc.preview;
        return;
    case CTL_EV_CUE:
        s->osc.cue = ev->cue;
        osc_cue(s, NULL);
        return;
    case CTL_EV_END:
        m = lo_message_new();
        lo_message_add_int32(m, (int32_t)ev->frame);
        lo_message_add_string(m, tc);
        osc_send(s, NULL, NULL, "/onetake/end", m);
        return;
    }
}

/* ---- subscriptions ---- */

static int same_host(const struct sockaddr_storage *a, const struct sockaddr *b)
{
    if (a->ss_family != b->sa_family)
        return 0;
    if (b->sa_family == AF_INET)
        return !memcmp(&((const struct sockaddr_in *)a)->sin_addr, &((const struct sockaddr_in *)b)->sin_addr,
                       4);
    return !memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr, &((const struct sockaddr_in6 *)b)->sin6_addr,
                   16);
}

static int port_of(const struct sockaddr_storage *a)
{
    return a->ss_family == AF_INET ? ntohs(((const struct sockaddr_in *)a)->sin_port)
                                   : ntohs(((const struct sockaddr_in6 *)a)->sin6_port);
}

static void set_port(struct sockaddr_storage *a, int port)
{
    if (a->ss_family == AF_INET)
        ((struct sockaddr_in *)a)->sin_port = htons((uint16_t)port);
    else
        ((struct sockaddr_in6 *)a)->sin6_port = htons((uint16_t)port);
}

static CtlOscSub *sub_find(CtlServer *s, const CtlReplyTo *to)
{
    for (int i = 0; i < CTL_OSC_SUBS; i++) {
        CtlOscSub *sub = &s->osc.subs[i];
        if (sub->used && same_host(&sub->addr, (const struct sockaddr *)&to->addr) &&
            port_of(&sub->addr) == port_of(&to->addr))
            return sub;
    }
    return NULL;
}

/* Subscribe (or renew) the feedback target `to`; a new subscriber is told the whole state at once. */
static void subscribe(CtlServer *s, const CtlReplyTo *to, int64_t now)
{
    CtlOscSub *sub = sub_find(s, to);
    int renewal = sub != NULL;
    for (int i = 0; i < CTL_OSC_SUBS && !sub; i++)
        if (!s->osc.subs[i].used)
            sub = &s->osc.subs[i];
    if (!sub) {
        osc_error(s, to, "subscribe", "too many subscribers (16): unsubscribe one first");
        return;
    }
    *sub =
        (CtlOscSub){.used = 1, .osc = to->osc, .addr = to->addr, .addrlen = to->addrlen, .renewed_ns = now};
    if (renewal)
        return;
    s->tstats.subscriptions++;
    if (s->osc.program >= 0) {
        osc_camera(s, sub, 0);
        if (s->osc.preview >= 0)
            osc_camera(s, sub, 1);
        osc_tally(s, sub);
        osc_cue(s, sub);
    }
    osc_timecode(s, sub);
}

static void status_reply(CtlServer *s, const CtlReplyTo *to)
{
    SwState st;
    ctl_srv_state(s, &st);
    char tc[32];
    ctl_srv_format_tc(s, st.tick < 0 ? 0 : st.tick, tc, sizeof(tc));
    lo_message m = msg_ss(s->take_id, NULL);
    lo_message_add_int32(m, (int32_t)st.tick);
    lo_message_add_string(m, tc);
    lo_message_add_string(m, s->cfg.cams[st.program]);
    lo_message_add_string(m, st.preview >= 0 ? s->cfg.cams[st.preview] : "");
    osc_send(s, to, NULL, "/onetake/status", m);
}

void ctl_osc_housekeep(CtlServer *s, int64_t now)
{
    if (s->osc.nfd == 0)
        return;
    for (int i = 0; i < CTL_OSC_SUBS; i++)
        if (s->osc.subs[i].used && now - s->osc.subs[i].renewed_ns > s->osc.renew_ns) {
            s->osc.subs[i].used = 0;
            s->tstats.subscriptions_expired++;
        }
    if (now >= s->osc.next_tc_ns) {
        osc_timecode(s, NULL);
        s->osc.next_tc_ns = now + NS_PER_S;
    }
}

/* ---- receiving ---- */

static CtlOscPeer *peer_of(CtlServer *s, const struct sockaddr *sa, int64_t now)
{
    CtlOscPeer *oldest = &s->osc.peers[0];
    for (int i = 0; i < CTL_OSC_PEERS; i++) {
        CtlOscPeer *p = &s->osc.peers[i];
        if (p->used && same_host(&p->addr, sa)) {
            p->seen_ns = now;
            return p;
        }
        if (!p->used || (oldest->used && p->seen_ns < oldest->seen_ns))
            oldest = p;
    }
    /* A new host, or one not seen for long: it starts with a full bucket. */
    memset(oldest, 0, sizeof(*oldest));
    memcpy(&oldest->addr, sa,
           sa->sa_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6));
    oldest->used = 1;
    oldest->seen_ns = now;
    return oldest;
}

static void handle_message(CtlServer *s, const CtlReplyTo *from, const char *data, int n, int64_t now)
{
    CtlCmd cmd;
    char err[384], peer[64], addr[56];
    s->tstats.osc_messages++;
    int ret = ctl_osc_parse(data, n, s->cfg.cams, s->cfg.ncams, &cmd, err, sizeof(err));
    if (ret == -EBADMSG || ret == -ENOENT) {
        if (ret == -EBADMSG)
            s->tstats.malformed++;
        else
            s->tstats.unknown++;
        return; /* not answered: a stray or forged packet gets nothing back */
    }
    CtlReplyTo to = *from;
    if (cmd.port)
        set_port(&to.addr, cmd.port); /* the sender's host only: never a third party */
    const char *name = ctl_cmd_name(cmd.type);
    if (ret < 0) {
        s->tstats.malformed++;
        osc_error(s, &to, name, err);
        return;
    }
    switch (cmd.type) {
    case CTL_CMD_SUBSCRIBE:
        subscribe(s, &to, now);
        return;
    case CTL_CMD_UNSUBSCRIBE: {
        CtlOscSub *sub = sub_find(s, &to);
        if (sub)
            sub->used = 0;
        return;
    }
    case CTL_CMD_STATUS:
        status_reply(s, &to);
        return;
    default:
        break;
    }
    if (ctl_srv_end_refused(s, &cmd, err, sizeof(err))) {
        s->tstats.refused_end++;
        osc_error(s, &to, name, err);
        return;
    }
    ctl_addr_format((const struct sockaddr *)&from->addr, addr, sizeof(addr));
    snprintf(peer, sizeof(peer), "osc:%s", addr);
    if (ctl_srv_enqueue(s, &to, &cmd, peer) < 0)
        osc_error(s, &to, name, "busy: too many commands are waiting for the next frame, send it again");
}

void ctl_osc_read(CtlServer *s, int index)
{
    char buf[OSC_MAX + 1];
    for (int k = 0; k < READS_PER_WAKE; k++) {
        CtlReplyTo from = {.osc = index, .addrlen = sizeof(from.addr)};
        ssize_t n = recvfrom(s->osc.fd[index], buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC,
                             (struct sockaddr *)&from.addr, &from.addrlen);
        if (n < 0)
            return; /* EAGAIN: all read */
        int64_t now = ot_mono_ns();
        if (!ctl_srv_peer_allowed(s, (const struct sockaddr *)&from.addr)) {
            s->tstats.refused_peers++;
            continue;
        }
        CtlOscPeer *p = peer_of(s, (const struct sockaddr *)&from.addr, now);
        if (!ctl_bucket_take(&p->bucket, now, s->cfg.rate_per_s, s->cfg.burst)) {
            s->tstats.rate_limited++;
            continue;
        }
        if (n > OSC_MAX) { /* truncated: too large to be ours */
            s->tstats.osc_messages++;
            s->tstats.malformed++;
            continue;
        }
        handle_message(s, &from, buf, (int)n, now);
    }
}

/* ---- sockets ---- */

int ctl_osc_open(CtlServer *s, const CtlEndpoint *ep)
{
    int fd = socket(ep->addr.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    int rcvbuf = 1 << 20; /* a burst from a surface waits in the kernel, not dropped there */
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
    if (bind(fd, (const struct sockaddr *)&ep->addr, ep->addrlen) < 0) {
        int e = -errno;
        close(fd);
        return e;
    }
    s->osc.fd[s->osc.nfd++] = fd;
    s->osc.renew_ns = (int64_t)((s->cfg.osc_renew_s > 0 ? s->cfg.osc_renew_s : CTL_OSC_RENEW_S) * 1e9);
    return fd;
}

void ctl_osc_close(CtlServer *s)
{
    for (int i = 0; i < s->osc.nfd; i++)
        close(s->osc.fd[i]);
    s->osc.nfd = 0;
}
