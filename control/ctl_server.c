/* The control server: an "ot-control" thread owning the TCP sockets (README.md, docs/control.md).
 *
 * The program thread only calls ctl_server_before_tick: it notes state changes into a private bounded list, then
 * g_mutex_trylock()s the shared queues (it never waits: a busy lock leaves the commands for the next tick) and stages
 * the queued commands on the switcher, so that a reply names the tick the command lands on. Everything that formats
 * or touches a socket runs on the control thread. */
#include "control.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ot_common.h"
#include "sw_timecode.h"

#define MAX_CLIENTS 16
#define OUT_MAX 65536 /* a client's unsent output; beyond it the client is disconnected */
#define QUEUE_MAX 64  /* commands waiting for a tick */
#define EVENTS_MAX 256

typedef struct Queued {
    uint64_t client;
    CtlCmd cmd;
    char peer[64];
} Queued;

typedef enum EvType { EV_REPLY = 0, EV_PROGRAM, EV_PREVIEW, EV_END } EvType;

typedef struct Event {
    EvType type;
    uint64_t client; /* EV_REPLY */
    int ret;         /* EV_REPLY: 0 or the switcher's error */
    int64_t frame;
    int cam;
} Event;

typedef struct Client {
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
} Client;

struct CtlServer {
    CtlServerConfig cfg;
    char take_id[64];
    int listen_fd[CTL_MAX_ENDPOINTS];
    int nlisten;
    Client clients[MAX_CLIENTS];
    uint64_t next_id;
    GThread *thread;
    volatile int stop;

    GMutex lock; /* guards the three fields below and stats; never held across I/O */
    Queued queue[QUEUE_MAX];
    int nqueue;
    Event events[EVENTS_MAX];
    int nevents;
    SwState shared_state;
    CtlServerStats stats;

    /* program thread only */
    SwState last;
    int have_last;
    Event pending[EVENTS_MAX];
    int npending;
    int64_t pending_dropped;
};

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- program thread ---- */

static void note(CtlServer *s, Event ev)
{
    if (s->npending < EVENTS_MAX)
        s->pending[s->npending++] = ev;
    else
        s->pending_dropped++;
}

static int stage(CtlServer *s, SwSwitcher *sw, const Queued *q, const SwState *st)
{
    switch (q->cmd.type) {
    case CTL_CMD_CUT:
        return sw_switcher_cut_from(sw, q->cmd.cam, q->peer);
    case CTL_CMD_PREVIEW:
        return sw_switcher_preview_from(sw, q->cmd.cam, q->peer);
    case CTL_CMD_TAKE:
        return st->preview >= 0 ? sw_switcher_cut_from(sw, st->preview, q->peer) : -ESRCH;
    case CTL_CMD_GO:
        return sw_switcher_go_from(sw, q->peer);
    case CTL_CMD_END:
        return sw_switcher_end_from(sw, q->peer);
    default:
        (void)s;
        return -EINVAL;
    }
}

void ctl_server_before_tick(CtlServer *s, SwSwitcher *sw, int64_t tick)
{
    if (!s)
        return;
    SwState st;
    sw_switcher_get_state(sw, &st);
    /* st describes tick - 1: what changed there is an event at that frame. */
    if (st.tick >= 0 && (!s->have_last || st.program != s->last.program))
        note(s, (Event){.type = EV_PROGRAM, .frame = st.tick, .cam = st.program});
    if (st.tick >= 0 && s->have_last && st.preview != s->last.preview && st.preview >= 0)
        note(s, (Event){.type = EV_PREVIEW, .frame = st.tick, .cam = st.preview});
    if (st.tick >= 0) {
        s->last = st;
        s->have_last = 1;
    }
    if (!g_mutex_trylock(&s->lock))
        return; /* the control thread holds it for a copy: the commands land on the next tick */
    for (int i = 0; i < s->npending; i++) {
        if (s->nevents < EVENTS_MAX)
            s->events[s->nevents++] = s->pending[i];
        else
            s->stats.events_dropped++;
    }
    s->stats.events_dropped += s->pending_dropped;
    s->pending_dropped = 0;
    s->npending = 0;
    for (int i = 0; i < s->nqueue; i++) {
        int ret = stage(s, sw, &s->queue[i], &st);
        Event ev = {.type = EV_REPLY, .client = s->queue[i].client, .ret = ret, .frame = tick,
                    .cam = s->queue[i].cmd.type};
        if (s->nevents < EVENTS_MAX)
            s->events[s->nevents++] = ev;
        else
            s->stats.events_dropped++;
        if (ret == 0 && s->queue[i].cmd.type == CTL_CMD_END && s->nevents < EVENTS_MAX)
            s->events[s->nevents++] = (Event){.type = EV_END, .frame = tick};
        if (ret == 0)
            s->stats.commands_staged++;
    }
    s->nqueue = 0;
    s->shared_state = st;
    s->shared_state.tick = tick - 1;
    g_mutex_unlock(&s->lock);
}

/* ---- control thread ---- */

static void client_close(CtlServer *s, Client *c, const char *why)
{
    if (why)
        ot_log(OT_LOG_INFO, "control", "%s: %s", c->peer, why);
    close(c->fd);
    g_free(c->out);
    memset(c, 0, sizeof(*c));
    c->fd = -1;
    (void)s;
}

static void client_send(CtlServer *s, Client *c, const char *text)
{
    int n = (int)strlen(text);
    if (c->fd < 0)
        return;
    if (c->nout + n > OUT_MAX) {
        g_mutex_lock(&s->lock);
        s->stats.clients_dropped_slow++;
        g_mutex_unlock(&s->lock);
        client_close(s, c, "does not read its replies: disconnected (output queue full)");
        return;
    }
    memcpy(c->out + c->nout, text, n);
    c->nout += n;
}

static void format_tc(const CtlServer *s, int64_t frame, char *buf, int size)
{
    sw_timecode_format(s->cfg.rate, sw_rate_allows_drop_frame(s->cfg.rate), frame, buf, size);
}

static void deliver(CtlServer *s, const Event *ev)
{
    char line[256], tc[32];
    format_tc(s, ev->frame, tc, sizeof(tc));
    if (ev->type == EV_REPLY) {
        if (ev->ret == 0)
            snprintf(line, sizeof(line), "ok frame=%" G_GINT64_FORMAT " tc=%s\n", ev->frame, tc);
        else
            snprintf(line, sizeof(line), "error %s: %s\n", ctl_cmd_name((CtlCmdType)ev->cam),
                     ev->ret == -ENOENT  ? "no go cue is left"
                     : ev->ret == -ESRCH ? "no camera is on preview (send preview CAMERA first)"
                     : ev->ret == -EPIPE ? "the take has ended"
                     : ev->ret == -ENOSPC ? "too many commands this frame, send it again"
                                           : ot_strerror(ev->ret));
        for (int i = 0; i < MAX_CLIENTS; i++)
            if (s->clients[i].fd >= 0 && s->clients[i].id == ev->client)
                client_send(s, &s->clients[i], line);
        return;
    }
    if (ev->type == EV_END)
        snprintf(line, sizeof(line), "end frame=%" G_GINT64_FORMAT " tc=%s\n", ev->frame, tc);
    else
        snprintf(line, sizeof(line), "%s %s frame=%" G_GINT64_FORMAT " tc=%s\n",
                 ev->type == EV_PROGRAM ? "program" : "preview", s->cfg.cams[ev->cam], ev->frame, tc);
    for (int i = 0; i < MAX_CLIENTS; i++)
        if (s->clients[i].fd >= 0 && s->clients[i].subscribed)
            client_send(s, &s->clients[i], line);
}

static void handle_line(CtlServer *s, Client *c, const char *line)
{
    CtlCmd cmd;
    char err[384], reply[512];
    if (!ctl_bucket_take(&c->bucket, now_ns(), s->cfg.rate_per_s, s->cfg.burst)) {
        g_mutex_lock(&s->lock);
        s->stats.rate_limited++;
        g_mutex_unlock(&s->lock);
        client_send(s, c, "error rate limited: too many commands from this peer, slow down\n");
        return;
    }
    if (ctl_line_parse(line, s->cfg.cams, s->cfg.ncams, &cmd, err, sizeof(err)) < 0) {
        g_mutex_lock(&s->lock);
        s->stats.malformed++;
        g_mutex_unlock(&s->lock);
        if (snprintf(reply, sizeof(reply), "error %s\n", err) >= (int)sizeof(reply))
            g_strlcpy(reply + sizeof(reply) - 2, "\n", 2);
        client_send(s, c, reply);
        return;
    }
    if (cmd.type == CTL_CMD_SUBSCRIBE || cmd.type == CTL_CMD_UNSUBSCRIBE) {
        c->subscribed = cmd.type == CTL_CMD_SUBSCRIBE;
        client_send(s, c, "ok\n");
        return;
    }
    if (cmd.type == CTL_CMD_STATUS) {
        SwState st;
        g_mutex_lock(&s->lock);
        st = s->shared_state;
        g_mutex_unlock(&s->lock);
        char tc[32];
        format_tc(s, st.tick < 0 ? 0 : st.tick, tc, sizeof(tc));
        snprintf(reply, sizeof(reply), "ok take=%s frame=%" G_GINT64_FORMAT " tc=%s program=%s preview=%s\n",
                 s->take_id, st.tick, tc, s->cfg.cams[st.program], st.preview >= 0 ? s->cfg.cams[st.preview] : "-");
        client_send(s, c, reply);
        return;
    }
    if (cmd.type == CTL_CMD_END && strcmp(cmd.arg, s->take_id) != 0) {
        snprintf(reply, sizeof(reply), "error end: the take id \"%s\" is not this take's: give end TAKE_ID, the 32 "
                 "hex digits of take.json's take_id (or status)\n", cmd.arg);
        client_send(s, c, reply);
        return;
    }
    g_mutex_lock(&s->lock);
    int queued = s->nqueue < QUEUE_MAX;
    if (queued) {
        Queued *q = &s->queue[s->nqueue++];
        q->client = c->id;
        q->cmd = cmd;
        g_strlcpy(q->peer, c->peer, sizeof(q->peer));
    } else {
        s->stats.queue_full++;
    }
    g_mutex_unlock(&s->lock);
    if (!queued)
        client_send(s, c, "error busy: too many commands are waiting for the next frame, send it again\n");
}

static void client_read(CtlServer *s, Client *c)
{
    char buf[4096];
    ssize_t n = recv(c->fd, buf, sizeof(buf), 0);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
        client_close(s, c, "disconnected");
        return;
    }
    for (ssize_t i = 0; i < n && c->fd >= 0; i++) {
        if (buf[i] == '\n') {
            if (!c->discarding) {
                c->in[c->nin] = 0;
                if (c->nin > 0 && c->in[c->nin - 1] == '\r')
                    c->in[c->nin - 1] = 0;
                handle_line(s, c, c->in);
            }
            c->nin = 0;
            c->discarding = 0;
        } else if (c->discarding) {
            continue;
        } else if (c->nin >= CTL_LINE_MAX - 1) {
            c->discarding = 1;
            c->nin = 0;
            g_mutex_lock(&s->lock);
            s->stats.malformed++;
            g_mutex_unlock(&s->lock);
            client_send(s, c, "error line too long: a command is at most 511 bytes, one per line\n");
        } else {
            c->in[c->nin++] = buf[i];
        }
    }
}

static void accept_client(CtlServer *s, int lfd)
{
    struct sockaddr_storage sa;
    socklen_t len = sizeof(sa);
    int fd = accept4(lfd, (struct sockaddr *)&sa, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0)
        return;
    int allowed = s->cfg.nallow > 0 ? ctl_cidr_match(s->cfg.allow, s->cfg.nallow, (struct sockaddr *)&sa)
                                    : ctl_addr_is_loopback((struct sockaddr *)&sa);
    Client *c = NULL;
    for (int i = 0; i < MAX_CLIENTS && !c; i++)
        if (s->clients[i].fd < 0)
            c = &s->clients[i];
    if (!allowed || !c) {
        g_mutex_lock(&s->lock);
        if (!allowed)
            s->stats.refused_peers++;
        else
            s->stats.refused_full++;
        g_mutex_unlock(&s->lock);
        close(fd);
        return;
    }
    memset(c, 0, sizeof(*c));
    c->fd = fd;
    c->id = ++s->next_id;
    c->out = g_malloc(OUT_MAX);
    char addr[56];
    ctl_addr_format((struct sockaddr *)&sa, addr, sizeof(addr));
    snprintf(c->peer, sizeof(c->peer), "tcp:%s", addr);
    g_mutex_lock(&s->lock);
    s->stats.clients++;
    g_mutex_unlock(&s->lock);
}

static void flush_out(CtlServer *s, Client *c)
{
    if (c->fd < 0 || c->nout == 0)
        return;
    ssize_t n = send(c->fd, c->out, c->nout, MSG_NOSIGNAL);
    if (n < 0 && errno != EAGAIN && errno != EINTR) {
        client_close(s, c, "disconnected");
        return;
    }
    if (n > 0) {
        memmove(c->out, c->out + n, c->nout - n);
        c->nout -= (int)n;
    }
}

static void pump_events(CtlServer *s)
{
    Event evs[EVENTS_MAX];
    g_mutex_lock(&s->lock);
    int n = s->nevents;
    memcpy(evs, s->events, sizeof(Event) * n);
    s->nevents = 0;
    g_mutex_unlock(&s->lock);
    for (int i = 0; i < n; i++)
        deliver(s, &evs[i]);
}

static gpointer server_thread(gpointer data)
{
    CtlServer *s = data;
    struct pollfd pfd[CTL_MAX_ENDPOINTS + MAX_CLIENTS];
    Client *who[CTL_MAX_ENDPOINTS + MAX_CLIENTS];
    while (!s->stop) {
        int n = 0;
        for (int i = 0; i < s->nlisten; i++) {
            pfd[n] = (struct pollfd){.fd = s->listen_fd[i], .events = POLLIN};
            who[n++] = NULL;
        }
        for (int i = 0; i < MAX_CLIENTS; i++) {
            Client *c = &s->clients[i];
            if (c->fd < 0)
                continue;
            pfd[n] = (struct pollfd){.fd = c->fd, .events = POLLIN | (c->nout ? POLLOUT : 0)};
            who[n++] = c;
        }
        /* 5 ms: replies wait for the tick that stages their command, which the program thread cannot signal
         * without a syscall of its own. */
        int r = poll(pfd, n, 5);
        for (int i = 0; r > 0 && i < n; i++) {
            if (!pfd[i].revents)
                continue;
            if (!who[i])
                accept_client(s, pfd[i].fd);
            else if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR))
                client_read(s, who[i]);
        }
        pump_events(s);
        for (int i = 0; i < MAX_CLIENTS; i++)
            flush_out(s, &s->clients[i]);
    }
    /* The take has ended: last replies and events out, for up to 200 ms. */
    pump_events(s);
    int64_t until = now_ns() + 200000000;
    for (;;) {
        int left = 0;
        for (int i = 0; i < MAX_CLIENTS; i++) {
            flush_out(s, &s->clients[i]);
            left += s->clients[i].fd >= 0 && s->clients[i].nout > 0;
        }
        if (!left || now_ns() > until)
            break;
        g_usleep(5000);
    }
    return NULL;
}

static int open_listener(const CtlEndpoint *ep)
{
    int fd = socket(ep->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, (const struct sockaddr *)&ep->addr, ep->addrlen) < 0 || listen(fd, 8) < 0) {
        int e = -errno;
        close(fd);
        return e;
    }
    return fd;
}

CtlServer *ctl_server_alloc(const CtlServerConfig *cfg, const char *take_id)
{
    CtlServer *s = g_new0(CtlServer, 1);
    s->cfg = *cfg;
    g_strlcpy(s->take_id, take_id, sizeof(s->take_id));
    g_mutex_init(&s->lock);
    for (int i = 0; i < MAX_CLIENTS; i++)
        s->clients[i].fd = -1;
    s->shared_state.tick = -1;
    for (int i = 0; i < cfg->neps; i++) {
        const CtlEndpoint *ep = &cfg->eps[i];
        if (ep->kind != CTL_TCP) {
            ot_log(OT_LOG_ERROR, "control", "--control %s: only tcp:// is served in this version", ep->text);
            goto fail;
        }
        if (!ctl_addr_is_loopback((const struct sockaddr *)&ep->addr) && cfg->nallow == 0) {
            ot_log(OT_LOG_ERROR, "control",
                   "--control %s is not loopback: give --control-allow CIDR[,CIDR...] for the peers to accept",
                   ep->text);
            goto fail;
        }
        int fd = open_listener(ep);
        if (fd < 0) {
            ot_log(OT_LOG_ERROR, "control", "--control %s: cannot listen (%s): choose a free port", ep->text,
                   ot_strerror(fd));
            goto fail;
        }
        s->listen_fd[s->nlisten++] = fd;
    }
    s->thread = g_thread_new("ot-control", server_thread, s);
    return s;
fail:
    ctl_server_free(&s);
    return NULL;
}

void ctl_server_get_stats(CtlServer *s, CtlServerStats *out)
{
    g_mutex_lock(&s->lock);
    *out = s->stats;
    g_mutex_unlock(&s->lock);
}

void ctl_server_free(CtlServer **sp)
{
    CtlServer *s = *sp;
    if (!s)
        return;
    s->stop = 1;
    if (s->thread)
        g_thread_join(s->thread);
    for (int i = 0; i < MAX_CLIENTS; i++)
        if (s->clients[i].fd >= 0)
            client_close(s, &s->clients[i], NULL);
    for (int i = 0; i < s->nlisten; i++)
        close(s->listen_fd[i]);
    g_mutex_clear(&s->lock);
    g_free(s);
    *sp = NULL;
}
