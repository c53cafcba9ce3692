/* The control server: an "ot-control" thread owning the TCP sockets and the OSC ones (ctl_osc.c) (README.md,
 * docs/control.md).
 *
 * The program thread only calls ctl_server_before_tick: it notes state changes into a private bounded list, then
 * g_mutex_trylock()s the shared queues (it never waits: a busy lock leaves the commands for the next tick) and stages
 * the queued commands on the switcher, so that a reply names the tick the command lands on. Everything that formats
 * or touches a socket runs on the control thread. */
#include "ctl_internal.h"

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

#define OUT_MAX 65536 /* a client's unsent output; beyond it the client is disconnected */

/* ---- program thread ---- */

static void note(CtlServer *s, CtlEvent ev)
{
    if (s->npending < CTL_SRV_EVENTS)
        s->pending[s->npending++] = ev;
    else
        s->pending_dropped++;
}

static int stage(CtlServer *s, SwSwitcher *sw, const CtlQueued *q, const SwState *st)
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

/* st describes tick - 1: what changed there is an event at that frame. */
static void note_changes(CtlServer *s, const SwState *st)
{
    if (st->tick < 0)
        return;
    CtlEvent ev = {.frame = st->tick, .program = st->program, .preview = st->preview, .cue = st->next_cue};
    if (!s->have_last || st->program != s->last.program) {
        ev.type = CTL_EV_PROGRAM;
        note(s, ev);
    }
    if (s->have_last && st->preview != s->last.preview) {
        ev.type = CTL_EV_PREVIEW;
        note(s, ev);
    }
    if (!s->have_last || st->next_cue != s->last.next_cue) {
        ev.type = CTL_EV_CUE;
        note(s, ev);
    }
    s->last = *st;
    s->have_last = 1;
}

static void post(CtlServer *s, const CtlEvent *ev)
{
    if (s->nevents < CTL_SRV_EVENTS)
        s->events[s->nevents++] = *ev;
    else
        s->stats.events_dropped++;
}

void ctl_server_before_tick(CtlServer *s, SwSwitcher *sw, int64_t tick)
{
    if (!s)
        return;
    SwState st;
    sw_switcher_get_state(sw, &st);
    note_changes(s, &st);
    if (!g_mutex_trylock(&s->lock))
        return; /* the control thread holds it for a copy: the commands land on the next tick */
    for (int i = 0; i < s->npending; i++)
        post(s, &s->pending[i]);
    s->stats.events_dropped += s->pending_dropped;
    s->pending_dropped = 0;
    s->npending = 0;
    for (int i = 0; i < s->nqueue; i++) {
        const CtlQueued *q = &s->queue[i];
        int ret = stage(s, sw, q, &st);
        post(s, &(CtlEvent){.type = CTL_EV_REPLY, .to = q->to, .ret = ret, .frame = tick, .cmd = q->cmd.type});
        if (ret == 0 && q->cmd.type == CTL_CMD_END)
            post(s, &(CtlEvent){.type = CTL_EV_END, .frame = tick});
        if (ret == 0)
            s->stats.commands_staged++;
    }
    s->nqueue = 0;
    s->shared_state = st;
    s->shared_state.tick = tick - 1;
    g_mutex_unlock(&s->lock);
}

/* ---- control thread ---- */

static void client_close(CtlServer *s, CtlClient *c, const char *why)
{
    if (why)
        ot_log(OT_LOG_INFO, "control", "%s: %s", c->peer, why);
    close(c->fd);
    g_free(c->out);
    memset(c, 0, sizeof(*c));
    c->fd = -1;
    (void)s;
}

static void client_send(CtlServer *s, CtlClient *c, const char *text)
{
    int n = (int)strlen(text);
    if (c->fd < 0)
        return;
    if (c->nout + n > OUT_MAX) {
        s->tstats.clients_dropped_slow++;
        client_close(s, c, "does not read its replies: disconnected (output queue full)");
        return;
    }
    memcpy(c->out + c->nout, text, n);
    c->nout += n;
}

void ctl_srv_format_tc(const CtlServer *s, int64_t frame, char *buf, int size)
{
    sw_timecode_format(s->cfg.rate, sw_rate_allows_drop_frame(s->cfg.rate), frame, buf, size);
}

void ctl_srv_state(CtlServer *s, SwState *st)
{
    g_mutex_lock(&s->lock);
    *st = s->shared_state;
    g_mutex_unlock(&s->lock);
}

int ctl_srv_peer_allowed(const CtlServer *s, const struct sockaddr *sa)
{
    return s->cfg.nallow > 0 ? ctl_cidr_match(s->cfg.allow, s->cfg.nallow, sa) : ctl_addr_is_loopback(sa);
}

const char *ctl_srv_error_text(int ret)
{
    return ret == -ENOENT   ? "no go cue is left"
           : ret == -ESRCH  ? "no camera is on preview (send preview CAMERA first)"
           : ret == -EPIPE  ? "the take has ended"
           : ret == -ENOSPC ? "too many commands this frame, send it again"
                            : ot_strerror(ret);
}

int ctl_srv_end_refused(const CtlServer *s, const CtlCmd *cmd, char *buf, int size)
{
    if (cmd->type != CTL_CMD_END || !strcmp(cmd->arg, s->take_id))
        return 0;
    snprintf(buf, (size_t)size,
             "end: the take id \"%.40s\" is not this take's: give end TAKE_ID, the 32 hex digits of take.json's "
             "take_id (or status)",
             cmd->arg);
    return 1;
}

int ctl_srv_enqueue(CtlServer *s, const CtlReplyTo *to, const CtlCmd *cmd, const char *peer)
{
    /* A flood of previews from many surfaces must not keep the director's cut off the next frame. */
    int room = cmd->type == CTL_CMD_PREVIEW ? CTL_SRV_QUEUE - CTL_SRV_RESERVED : CTL_SRV_QUEUE;
    g_mutex_lock(&s->lock);
    int queued = s->nqueue < room;
    if (queued) {
        CtlQueued *q = &s->queue[s->nqueue++];
        q->to = *to;
        q->cmd = *cmd;
        g_strlcpy(q->peer, peer, sizeof(q->peer));
    }
    g_mutex_unlock(&s->lock);
    if (!queued)
        s->tstats.queue_full++;
    return queued ? 0 : -EBUSY;
}

void ctl_srv_cue_text(const CtlServer *s, int index, char *buf, int size)
{
    const SwCue *c = sw_cues_get(s->cfg.cues, index);
    if (!c) {
        g_strlcpy(buf, "none", (size_t)size);
        return;
    }
    /* The cue list's line, its label's quotes and control characters made harmless for a line protocol. */
    char label[CTL_TEXT_MAX] = "";
    if (c->label) {
        g_strlcpy(label, c->label, sizeof(label));
        for (char *p = label; *p; p++)
            if (*p == '"' || (unsigned char)*p < 0x20)
                *p = '\'';
    }
    if (snprintf(buf, (size_t)size, "%d %s %s%s%s%s%s", index + 1, c->time_text, c->action == SW_CUE_END ? "end" : "cut",
                 c->camera ? " " : "", c->camera ? c->camera : "", c->label ? " \"" : "",
                 c->label ? label : "") >= size - 1)
        buf[0] = 0;
    else if (c->label)
        g_strlcat(buf, "\"", (size_t)size);
}

static void deliver(CtlServer *s, const CtlEvent *ev)
{
    char line[384], tc[32], cue[CTL_TEXT_MAX * 3];
    ctl_srv_format_tc(s, ev->frame, tc, sizeof(tc));
    ctl_osc_deliver(s, ev);
    if (ev->type == CTL_EV_REPLY) {
        if (ev->to.osc >= 0)
            return;
        if (ev->ret == 0)
            snprintf(line, sizeof(line), "ok frame=%" G_GINT64_FORMAT " tc=%s\n", ev->frame, tc);
        else
            snprintf(line, sizeof(line), "error %s: %s\n", ctl_cmd_name((CtlCmdType)ev->cmd),
                     ctl_srv_error_text(ev->ret));
        for (int i = 0; i < CTL_SRV_CLIENTS; i++)
            if (s->clients[i].fd >= 0 && s->clients[i].id == ev->to.client)
                client_send(s, &s->clients[i], line);
        return;
    }
    if (ev->type == CTL_EV_PREVIEW && ev->preview < 0)
        return; /* nothing on preview: the line protocol says nothing */
    if (ev->type == CTL_EV_END) {
        snprintf(line, sizeof(line), "end frame=%" G_GINT64_FORMAT " tc=%s\n", ev->frame, tc);
    } else if (ev->type == CTL_EV_CUE) {
        ctl_srv_cue_text(s, ev->cue, cue, sizeof(cue));
        snprintf(line, sizeof(line), "cue %s frame=%" G_GINT64_FORMAT " tc=%s\n", cue, ev->frame, tc);
    } else {
        snprintf(line, sizeof(line), "%s %s frame=%" G_GINT64_FORMAT " tc=%s\n",
                 ev->type == CTL_EV_PROGRAM ? "program" : "preview",
                 s->cfg.cams[ev->type == CTL_EV_PROGRAM ? ev->program : ev->preview], ev->frame, tc);
    }
    for (int i = 0; i < CTL_SRV_CLIENTS; i++)
        if (s->clients[i].fd >= 0 && s->clients[i].subscribed)
            client_send(s, &s->clients[i], line);
}

static void handle_line(CtlServer *s, CtlClient *c, const char *line)
{
    CtlCmd cmd;
    char err[384], reply[512];
    if (!ctl_bucket_take(&c->bucket, ot_mono_ns(), s->cfg.rate_per_s, s->cfg.burst)) {
        s->tstats.rate_limited++;
        client_send(s, c, "error rate limited: too many commands from this peer, slow down\n");
        return;
    }
    if (ctl_line_parse(line, s->cfg.cams, s->cfg.ncams, &cmd, err, sizeof(err)) < 0) {
        s->tstats.malformed++;
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
        ctl_srv_state(s, &st);
        char tc[32];
        ctl_srv_format_tc(s, st.tick < 0 ? 0 : st.tick, tc, sizeof(tc));
        snprintf(reply, sizeof(reply), "ok take=%s frame=%" G_GINT64_FORMAT " tc=%s program=%s preview=%s\n",
                 s->take_id, st.tick, tc, s->cfg.cams[st.program], st.preview >= 0 ? s->cfg.cams[st.preview] : "-");
        client_send(s, c, reply);
        return;
    }
    if (ctl_srv_end_refused(s, &cmd, err, sizeof(err))) {
        s->tstats.refused_end++;
        snprintf(reply, sizeof(reply), "error %s\n", err);
        client_send(s, c, reply);
        return;
    }
    CtlReplyTo to = {.client = c->id, .osc = -1};
    if (ctl_srv_enqueue(s, &to, &cmd, c->peer) < 0)
        client_send(s, c, "error busy: too many commands are waiting for the next frame, send it again\n");
}

static void client_read(CtlServer *s, CtlClient *c)
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
            s->tstats.malformed++;
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
    int allowed = ctl_srv_peer_allowed(s, (struct sockaddr *)&sa);
    CtlClient *c = NULL;
    for (int i = 0; i < CTL_SRV_CLIENTS && !c; i++)
        if (s->clients[i].fd < 0)
            c = &s->clients[i];
    if (!allowed || !c) {
        if (!allowed)
            s->tstats.refused_peers++;
        else
            s->tstats.refused_full++;
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
    s->tstats.clients++;
}

static void flush_out(CtlServer *s, CtlClient *c)
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

/* Every counter of a CtlServerStats is an int64_t. */
static void stats_add(CtlServerStats *to, CtlServerStats *from)
{
    int64_t *t = (int64_t *)to, *f = (int64_t *)from;
    for (size_t i = 0; i < sizeof(*to) / sizeof(int64_t); i++)
        t[i] += f[i];
    memset(from, 0, sizeof(*from));
}

static void pump_events(CtlServer *s)
{
    CtlEvent evs[CTL_SRV_EVENTS];
    g_mutex_lock(&s->lock);
    stats_add(&s->stats, &s->tstats);
    int n = s->nevents;
    memcpy(evs, s->events, sizeof(CtlEvent) * n);
    s->nevents = 0;
    g_mutex_unlock(&s->lock);
    for (int i = 0; i < n; i++)
        deliver(s, &evs[i]);
}

static gpointer server_thread(gpointer data)
{
    CtlServer *s = data;
    struct pollfd pfd[2 * CTL_MAX_ENDPOINTS + CTL_SRV_CLIENTS];
    CtlClient *who[2 * CTL_MAX_ENDPOINTS + CTL_SRV_CLIENTS];
    int osc_of[2 * CTL_MAX_ENDPOINTS + CTL_SRV_CLIENTS];
    while (!s->stop) {
        int n = 0;
        for (int i = 0; i < s->nlisten; i++) {
            pfd[n] = (struct pollfd){.fd = s->listen_fd[i], .events = POLLIN};
            osc_of[n] = -1;
            who[n++] = NULL;
        }
        for (int i = 0; i < s->osc.nfd; i++) {
            pfd[n] = (struct pollfd){.fd = s->osc.fd[i], .events = POLLIN};
            osc_of[n] = i;
            who[n++] = NULL;
        }
        for (int i = 0; i < CTL_SRV_CLIENTS; i++) {
            CtlClient *c = &s->clients[i];
            if (c->fd < 0)
                continue;
            pfd[n] = (struct pollfd){.fd = c->fd, .events = POLLIN | (c->nout ? POLLOUT : 0)};
            osc_of[n] = -1;
            who[n++] = c;
        }
        /* 5 ms: replies wait for the tick that stages their command, which the program thread cannot signal
         * without a syscall of its own. */
        int r = poll(pfd, n, 5);
        for (int i = 0; r > 0 && i < n; i++) {
            if (!pfd[i].revents)
                continue;
            if (osc_of[i] >= 0)
                ctl_osc_read(s, osc_of[i]);
            else if (!who[i])
                accept_client(s, pfd[i].fd);
            else if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR))
                client_read(s, who[i]);
        }
        pump_events(s);
        ctl_osc_housekeep(s, ot_mono_ns());
        for (int i = 0; i < CTL_SRV_CLIENTS; i++)
            flush_out(s, &s->clients[i]);
    }
    /* The take has ended: last replies and events out, for up to 200 ms. */
    pump_events(s);
    int64_t until = ot_mono_ns() + 200000000;
    for (;;) {
        int left = 0;
        for (int i = 0; i < CTL_SRV_CLIENTS; i++) {
            flush_out(s, &s->clients[i]);
            left += s->clients[i].fd >= 0 && s->clients[i].nout > 0;
        }
        if (!left || ot_mono_ns() > until)
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
    for (int i = 0; i < CTL_SRV_CLIENTS; i++)
        s->clients[i].fd = -1;
    s->shared_state.tick = -1;
    s->osc.program = s->osc.preview = s->osc.cue = s->osc.tally_program = s->osc.tally_preview = -1;
    for (int i = 0; i < cfg->neps; i++) {
        const CtlEndpoint *ep = &cfg->eps[i];
        if (!ctl_addr_is_loopback((const struct sockaddr *)&ep->addr) && cfg->nallow == 0) {
            ot_log(OT_LOG_ERROR, "control",
                   "--control %s is not loopback: give --control-allow CIDR[,CIDR...] for the peers to accept",
                   ep->text);
            goto fail;
        }
        int fd = ep->kind == CTL_OSC ? ctl_osc_open(s, ep) : open_listener(ep);
        if (fd < 0) {
            ot_log(OT_LOG_ERROR, "control", "--control %s: cannot listen (%s): choose a free port", ep->text,
                   ot_strerror(fd));
            goto fail;
        }
        if (ep->kind == CTL_TCP)
            s->listen_fd[s->nlisten++] = fd;
    }
    s->thread = g_thread_new("ot-control", server_thread, s);
    return s;
fail:
    ctl_server_free(&s);
    return NULL;
}

void ctl_server_stop(CtlServer *s)
{
    s->stop = 1;
    if (s->thread)
        g_thread_join(s->thread);
    s->thread = NULL;
    stats_add(&s->stats, &s->tstats);
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
    ctl_server_stop(s);
    for (int i = 0; i < CTL_SRV_CLIENTS; i++)
        if (s->clients[i].fd >= 0)
            client_close(s, &s->clients[i], NULL);
    for (int i = 0; i < s->nlisten; i++)
        close(s->listen_fd[i]);
    ctl_osc_close(s);
    g_mutex_clear(&s->lock);
    g_free(s);
    *sp = NULL;
}
