/* TSL UMD v5.0 tally out (--tally): an "ot-tally" thread sends one packet (a DMSG per camera) to every
 * receiver when program or preview changes and once a second. The program thread only stores the state in two
 * atomics (ctl_tally_before_tick); the thread looks every 5 ms, well within one frame. UDP: one datagram a
 * packet. TCP: DLE/STX framing, a non-blocking connect, and a receiver that goes away is reconnected with a
 * backoff (0.25 s doubling to 4 s); a packet that cannot be sent whole at once is dropped (counted): tally is
 * state, the next one says it all again. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>

#include "control.h"
#include "ot_common.h"

#define TALLY_POLL_NS 5000000LL
#define TALLY_REFRESH_NS 1000000000LL
#define TALLY_BACKOFF_MIN_NS 250000000LL
#define TALLY_BACKOFF_MAX_NS 4000000000LL

typedef struct Receiver {
    const CtlEndpoint *ep;
    int fd;
    int connected;    /* TCP: the connect completed */
    int64_t retry_ns; /* TCP: next connect attempt */
    int64_t backoff_ns;
} Receiver;

struct CtlTally {
    CtlTallyConfig cfg;
    Receiver rx[CTL_MAX_ENDPOINTS];
    atomic_int program, preview; /* -1: none yet */
    atomic_int stop;
    pthread_t thread;
    int started;
    GMutex lock; /* stats */
    CtlTallyStats stats;
};

static void rx_close(Receiver *r, int64_t now)
{
    if (r->fd >= 0)
        close(r->fd);
    r->fd = -1;
    r->connected = 0;
    r->retry_ns = now + r->backoff_ns;
    r->backoff_ns = MIN(r->backoff_ns * 2, TALLY_BACKOFF_MAX_NS);
}

/* A TCP receiver that closed its end: the first send into such a socket still succeeds (and is lost), so it
 * is seen here, before sending. What a receiver sends is read and ignored. */
static int peer_gone(Receiver *r)
{
    struct pollfd p = {.fd = r->fd, .events = POLLIN | POLLRDHUP};
    uint8_t junk[256];
    if (poll(&p, 1, 0) <= 0)
        return 0;
    if (p.revents & (POLLRDHUP | POLLHUP | POLLERR))
        return 1;
    return recv(r->fd, junk, sizeof(junk), MSG_DONTWAIT) == 0;
}

/* UDP: a socket once. TCP: a non-blocking connect when its retry time has come; 1 once it can send. */
static int rx_ready(CtlTally *t, Receiver *r, int64_t now)
{
    int tcp = r->ep->kind == CTL_TSL_TCP;
    if (r->fd < 0) {
        if (tcp && now < r->retry_ns)
            return 0;
        r->fd =
            socket(r->ep->addr.ss_family, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (r->fd < 0)
            return 0;
        if (!tcp)
            return r->connected = 1;
        if (connect(r->fd, (const struct sockaddr *)&r->ep->addr, r->ep->addrlen) == 0)
            r->connected = 1;
        else if (errno != EINPROGRESS) {
            rx_close(r, now);
            return 0;
        }
    }
    if (tcp && !r->connected) {
        struct pollfd p = {.fd = r->fd, .events = POLLOUT};
        int err = 0;
        socklen_t len = sizeof(err);
        if (poll(&p, 1, 0) <= 0)
            return 0;
        if (getsockopt(r->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err) {
            rx_close(r, now);
            return 0;
        }
        r->connected = 1;
        r->backoff_ns = TALLY_BACKOFF_MIN_NS;
        g_mutex_lock(&t->lock);
        t->stats.connects++;
        g_mutex_unlock(&t->lock);
        ot_log(OT_LOG_INFO, "tally", "%s: connected", r->ep->text);
    }
    if (tcp && r->connected && peer_gone(r)) {
        ot_log(OT_LOG_WARNING, "tally", "%s: the receiver closed the connection: reconnecting", r->ep->text);
        rx_close(r, now);
        return 0;
    }
    return r->connected;
}

static void send_all(CtlTally *t, const uint8_t *pkt, int n, const uint8_t *wrapped, int wn, int64_t now)
{
    for (int i = 0; i < t->cfg.neps; i++) {
        Receiver *r = &t->rx[i];
        int tcp = r->ep->kind == CTL_TSL_TCP;
        if (!rx_ready(t, r, now))
            continue;
        ssize_t w = tcp ? send(r->fd, wrapped, (size_t)wn, MSG_NOSIGNAL | MSG_DONTWAIT)
                        : sendto(r->fd, pkt, (size_t)n, MSG_DONTWAIT, (const struct sockaddr *)&r->ep->addr,
                                 r->ep->addrlen);
        g_mutex_lock(&t->lock);
        if (w == (tcp ? wn : n)) {
            t->stats.packets++;
            t->stats.bytes += w;
        } else {
            t->stats.send_errors++;
        }
        g_mutex_unlock(&t->lock);
        if (tcp && w < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
            ot_log(OT_LOG_WARNING, "tally", "%s: %s: reconnecting", r->ep->text, ot_strerror(-errno));
            rx_close(r, now);
        } else if (tcp && w >= 0 && w != wn) {
            rx_close(r, now); /* a partial frame would desynchronise the receiver's DLE/STX parser */
        }
    }
}

static void *tally_thread(void *opaque)
{
    CtlTally *t = opaque;
    uint8_t pkt[2048], wrapped[4100];
    int last_pgm = -2, last_pvw = -2;
    int64_t last_sent = 0;
    while (!atomic_load(&t->stop)) {
        int pgm = atomic_load(&t->program), pvw = atomic_load(&t->preview);
        int64_t now = ot_mono_ns();
        if (pgm >= 0 && (pgm != last_pgm || pvw != last_pvw || now - last_sent >= TALLY_REFRESH_NS)) {
            int n = ctl_tsl5_packet(pkt, sizeof(pkt), t->cfg.screen, t->cfg.index_base, t->cfg.cams,
                                    t->cfg.ncams, pgm, pvw);
            int wn = n > 0 ? ctl_tsl5_wrap(pkt, n, wrapped, sizeof(wrapped)) : -1;
            if (n > 0 && wn > 0)
                send_all(t, pkt, n, wrapped, wn, now);
            last_pgm = pgm;
            last_pvw = pvw;
            last_sent = now;
        } else {
            for (int i = 0; i < t->cfg.neps; i++) /* a TCP receiver back: tally at once, not in a second */
                if (t->rx[i].ep->kind == CTL_TSL_TCP && !t->rx[i].connected && rx_ready(t, &t->rx[i], now))
                    last_sent = 0;
        }
        struct timespec ts = {0, TALLY_POLL_NS};
        nanosleep(&ts, NULL);
    }
    return NULL;
}

CtlTally *ctl_tally_alloc(const CtlTallyConfig *cfg)
{
    if (!cfg || cfg->neps <= 0 || cfg->neps > CTL_MAX_ENDPOINTS || cfg->ncams <= 0)
        return NULL;
    CtlTally *t = g_new0(CtlTally, 1);
    t->cfg = *cfg;
    g_mutex_init(&t->lock);
    atomic_init(&t->program, -1);
    atomic_init(&t->preview, -1);
    for (int i = 0; i < cfg->neps; i++)
        t->rx[i] = (Receiver){.ep = &cfg->eps[i], .fd = -1, .backoff_ns = TALLY_BACKOFF_MIN_NS};
    int err = pthread_create(&t->thread, NULL, tally_thread, t);
    if (err) {
        ot_log(OT_LOG_ERROR, "tally", "cannot start the tally thread: %s", ot_strerror(-err));
        ctl_tally_free(&t);
        return NULL;
    }
    t->started = 1;
    pthread_setname_np(t->thread, "ot-tally");
    return t;
}

void ctl_tally_before_tick(CtlTally *t, SwSwitcher *sw)
{
    if (!t)
        return;
    SwState st;
    sw_switcher_get_state(sw, &st);
    if (st.tick < 0)
        return;
    atomic_store(&t->preview, st.preview);
    atomic_store(&t->program, st.program);
}

void ctl_tally_get_stats(CtlTally *t, CtlTallyStats *out)
{
    memset(out, 0, sizeof(*out));
    if (!t)
        return;
    g_mutex_lock(&t->lock);
    *out = t->stats;
    g_mutex_unlock(&t->lock);
}

void ctl_tally_free(CtlTally **pt)
{
    CtlTally *t = pt ? *pt : NULL;
    if (!t)
        return;
    atomic_store(&t->stop, 1);
    if (t->started)
        pthread_join(t->thread, NULL);
    for (int i = 0; i < t->cfg.neps; i++)
        if (t->rx[i].fd >= 0)
            close(t->rx[i].fd);
    g_mutex_clear(&t->lock);
    g_free(t);
    *pt = NULL;
}
