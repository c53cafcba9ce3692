/* onetake control: what needs no socket: addresses, CIDR ranges, the TCP line grammar, TSL UMD v5.0 packets and
 * the per-peer token bucket. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control.h"
#include "ot_common.h"

/* ---- addresses ---- */

static int parse_port(const char *text, int *port)
{
    char *end = NULL;
    long v = strtol(text, &end, 10);
    if (end == text || *end || v < 1 || v > 65535)
        return -EINVAL;
    *port = (int)v;
    return 0;
}

int ctl_endpoint_parse(const char *url, int tally, CtlEndpoint *ep)
{
    static const struct {
        const char *scheme;
        CtlKind kind;
        int tally;
    } schemes[] = {
        {"osc://", CTL_OSC, 0},
        {"tcp://", CTL_TCP, 0},
        {"tsl5+udp://", CTL_TSL_UDP, 1},
        {"tsl5+tcp://", CTL_TSL_TCP, 1},
    };
    const char *what = tally ? "--tally" : "--control";
    const char *accepted = tally ? "tsl5+udp://HOST:PORT or tsl5+tcp://HOST:PORT, e.g. tsl5+udp://10.0.0.9:8900"
                                 : "osc://ADDR:PORT or tcp://ADDR:PORT, e.g. osc://127.0.0.1:9000";
    memset(ep, 0, sizeof(*ep));
    const char *rest = NULL;
    for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
        if (schemes[i].tally == tally && !strncmp(url, schemes[i].scheme, strlen(schemes[i].scheme))) {
            ep->kind = schemes[i].kind;
            rest = url + strlen(schemes[i].scheme);
        }
    int n = snprintf(ep->text, sizeof(ep->text), "%s", url);
    if (!rest || n < 0 || n >= (int)sizeof(ep->text)) {
        ot_log(OT_LOG_ERROR, "control", "%s %s: give %s", what, url, accepted);
        return -EINVAL;
    }
    char host[64];
    const char *colon;
    if (rest[0] == '[') { /* [v6]:port */
        const char *close = strchr(rest, ']');
        if (!close || close[1] != ':' || close - rest - 1 >= (int)sizeof(host))
            goto bad;
        memcpy(host, rest + 1, (size_t)(close - rest - 1));
        host[close - rest - 1] = 0;
        colon = close + 1;
    } else {
        colon = strrchr(rest, ':');
        if (!colon || colon - rest >= (int)sizeof(host) || colon == rest)
            goto bad;
        memcpy(host, rest, (size_t)(colon - rest));
        host[colon - rest] = 0;
    }
    int port;
    if (parse_port(colon + 1, &port) < 0)
        goto bad;
    struct sockaddr_in *v4 = (struct sockaddr_in *)&ep->addr;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ep->addr;
    if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)port);
        ep->addrlen = sizeof(*v4);
    } else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)port);
        ep->addrlen = sizeof(*v6);
    } else {
        goto bad;
    }
    return 0;
bad:
    ot_log(OT_LOG_ERROR, "control", "%s %s: give a numeric address and a port 1-65535: %s", what, url, accepted);
    return -EINVAL;
}

int ctl_cidr_parse(const char *text, CtlCidr *out, int max)
{
    int n = 0;
    char **parts = g_strsplit(text ? text : "", ",", -1);
    int ret = 0;
    for (int i = 0; parts[i] && !ret; i++) {
        char *p = g_strstrip(parts[i]);
        char *slash = strchr(p, '/');
        int bits = -1;
        if (slash) {
            char *end = NULL;
            *slash = 0;
            long b = strtol(slash + 1, &end, 10);
            bits = end != slash + 1 && !*end && b >= 0 ? (int)b : -2;
        }
        CtlCidr c = {0};
        if (n == max) {
            ot_log(OT_LOG_ERROR, "control", "--control-allow: at most %d ranges", max);
            ret = -EINVAL;
        } else if (inet_pton(AF_INET, p, c.addr) == 1 && bits <= 32 && bits != -2) {
            c.family = AF_INET;
            c.bits = bits < 0 ? 32 : bits;
        } else if (inet_pton(AF_INET6, p, c.addr) == 1 && bits <= 128 && bits != -2) {
            c.family = AF_INET6;
            c.bits = bits < 0 ? 128 : bits;
        } else {
            ot_log(OT_LOG_ERROR, "control",
                   "--control-allow %s: \"%s%s%s\" is not an address range: give CIDR[,CIDR...], e.g. "
                   "10.0.0.0/8,192.168.1.20,fd00::/8",
                   text, p, slash ? "/" : "", slash ? slash + 1 : "");
            ret = -EINVAL;
        }
        if (!ret)
            out[n++] = c;
    }
    g_strfreev(parts);
    if (!ret && n == 0) {
        ot_log(OT_LOG_ERROR, "control", "--control-allow: give CIDR[,CIDR...], e.g. 10.0.0.0/8");
        ret = -EINVAL;
    }
    return ret < 0 ? ret : n;
}

static int prefix_match(const uint8_t *a, const uint8_t *b, int bits)
{
    int bytes = bits / 8, rem = bits % 8;
    if (memcmp(a, b, (size_t)bytes))
        return 0;
    if (!rem)
        return 1;
    uint8_t mask = (uint8_t)(0xFF << (8 - rem));
    return (a[bytes] & mask) == (b[bytes] & mask);
}

/* The peer's address as IPv4 (also an IPv4-mapped IPv6 one) or IPv6 bytes. */
static int peer_bytes(const struct sockaddr *sa, uint8_t out[16])
{
    if (sa->sa_family == AF_INET) {
        memcpy(out, &((const struct sockaddr_in *)sa)->sin_addr, 4);
        return AF_INET;
    }
    if (sa->sa_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
        if (IN6_IS_ADDR_V4MAPPED(a)) {
            memcpy(out, a->s6_addr + 12, 4);
            return AF_INET;
        }
        memcpy(out, a->s6_addr, 16);
        return AF_INET6;
    }
    return -1;
}

int ctl_cidr_match(const CtlCidr *c, int n, const struct sockaddr *sa)
{
    uint8_t b[16];
    int fam = peer_bytes(sa, b);
    for (int i = 0; i < n; i++)
        if (c[i].family == fam && prefix_match(c[i].addr, b, c[i].bits))
            return 1;
    return 0;
}

int ctl_addr_is_loopback(const struct sockaddr *sa)
{
    uint8_t b[16];
    int fam = peer_bytes(sa, b);
    if (fam == AF_INET)
        return b[0] == 127;
    if (fam == AF_INET6)
        return IN6_IS_ADDR_LOOPBACK((const struct in6_addr *)b);
    return 0;
}

void ctl_addr_format(const struct sockaddr *sa, char *buf, int size)
{
    char host[INET6_ADDRSTRLEN] = "?";
    int port = 0;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *v4 = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &v4->sin_addr, host, sizeof(host));
        port = ntohs(v4->sin_port);
        snprintf(buf, (size_t)size, "%s:%d", host, port);
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &v6->sin6_addr, host, sizeof(host));
        port = ntohs(v6->sin6_port);
        snprintf(buf, (size_t)size, "[%s]:%d", host, port);
    } else {
        snprintf(buf, (size_t)size, "?");
    }
}

/* ---- the TCP line grammar ---- */

const char *ctl_cmd_name(CtlCmdType type)
{
    static const char *const names[] = {"cut",    "preview",   "take",        "go",  "end",
                                        "status", "subscribe", "unsubscribe", "auto"};
    return type <= CTL_CMD_AUTO ? names[type] : "?";
}

int ctl_camera_parse(const char *text, const char *const *cams, int ncams)
{
    if (!text || !*text)
        return -1;
    for (int i = 0; i < ncams; i++)
        if (!strcmp(text, cams[i]))
            return i;
    char *end = NULL;
    long v = strtol(text, &end, 10);
    if (isdigit((unsigned char)text[0]) && !*end && v >= 1 && v <= ncams)
        return (int)v - 1;
    return -1;
}

static void cams_list(const char *const *cams, int ncams, char *buf, int size)
{
    int n = 0;
    buf[0] = 0;
    for (int i = 0; i < ncams && n < size; i++)
        n += snprintf(buf + n, (size_t)(size - n), "%s%s", i ? ", " : "", cams[i]);
}

int ctl_line_parse(const char *line, const char *const *cams, int ncams, CtlCmd *cmd, char *err, int errsize)
{
    char word[16] = "", arg[CTL_TEXT_MAX + 1] = "", extra[2] = "";
    char list[256];
    memset(cmd, 0, sizeof(*cmd));
    cmd->cam = -1;
    int n = sscanf(line, " %15s %64s %1s", word, arg, extra);
    static const CtlCmdType all[] = {CTL_CMD_CUT,       CTL_CMD_PREVIEW,     CTL_CMD_TAKE,
                                     CTL_CMD_GO,        CTL_CMD_END,         CTL_CMD_STATUS,
                                     CTL_CMD_SUBSCRIBE, CTL_CMD_UNSUBSCRIBE, CTL_CMD_AUTO};
    int found = -1;
    for (size_t i = 0; n >= 1 && i < sizeof(all) / sizeof(all[0]); i++)
        if (!strcmp(word, ctl_cmd_name(all[i])))
            found = (int)i;
    if (found < 0) {
        snprintf(err, (size_t)errsize,
                 "unknown command \"%.32s\": give cut CAMERA|N, preview CAMERA|N, take, auto, go, end TAKE_ID, "
                 "status, subscribe or unsubscribe",
                 n >= 1 ? word : "");
        return -EINVAL;
    }
    cmd->type = all[found];
    int wants_arg = cmd->type == CTL_CMD_CUT || cmd->type == CTL_CMD_PREVIEW || cmd->type == CTL_CMD_END;
    if (n == 3 || (n == 2 && !wants_arg) || strlen(arg) > CTL_TEXT_MAX - 1) {
        snprintf(err, (size_t)errsize, "%s takes %s", word,
                 cmd->type == CTL_CMD_END ? "one argument: end TAKE_ID (the 32 hex digits of take.json's take_id)"
                 : wants_arg              ? "one argument: a camera name or its number"
                                          : "no argument");
        return -EINVAL;
    }
    if (cmd->type == CTL_CMD_END) {
        if (n < 2) {
            snprintf(err, (size_t)errsize,
                     "end needs the take id: end TAKE_ID (the 32 hex digits of take.json's take_id, as status "
                     "says)");
            return -EINVAL;
        }
        size_t len = strlen(arg); /* at most CTL_TEXT_MAX - 1, checked above */
        if (len >= sizeof(cmd->arg))
            return -EINVAL;
        memcpy(cmd->arg, arg, len + 1);
        return 0;
    }
    if (wants_arg) {
        cmd->cam = ctl_camera_parse(arg, cams, ncams);
        if (cmd->cam < 0) {
            cams_list(cams, ncams, list, sizeof(list));
            snprintf(err, (size_t)errsize, "%s %.64s: no such camera: give a name (%s) or a number 1-%d", word,
                     n >= 2 ? arg : "(none)", list, ncams);
            return -EINVAL;
        }
    }
    return 0;
}

/* ---- TSL UMD v5.0 ---- */

static void put16(uint8_t *p, int v)
{
    p[0] = (uint8_t)(v & 0xFF);
    p[1] = (uint8_t)((v >> 8) & 0xFF);
}

int ctl_tsl5_packet(uint8_t *out, int size, int screen, int index_base, const char *const *names, int ncams,
                    int program, int preview)
{
    int n = 6; /* PBC(2) VER(1) FLAGS(1) SCREEN(2) */
    if (size < n)
        return -ENOSPC;
    for (int i = 0; i < ncams; i++) {
        int len = (int)strnlen(names[i], CTL_TEXT_MAX);
        if (n + 6 + len > size || n + 6 + len > 2048) /* the spec's largest packet */
            return -ENOSPC;
        int state = i == program ? CTL_TSL_RED : i == preview ? CTL_TSL_GREEN : 0;
        /* bits 0-1 RH tally, 2-3 text tally, 4-5 LH tally, 6-7 brightness (3: full), 15 clear: display data */
        int control = state | state << 2 | state << 4 | 3 << 6;
        put16(out + n, index_base + i);
        put16(out + n + 2, control);
        put16(out + n + 4, len);
        memcpy(out + n + 6, names[i], (size_t)len);
        n += 6 + len;
    }
    put16(out, n - 2); /* PBC: the bytes after it */
    out[2] = 0;        /* VER: v5.00 */
    out[3] = 0;        /* FLAGS: ASCII text, DMSG follow */
    put16(out + 4, screen);
    return n;
}

int ctl_tsl5_wrap(const uint8_t *packet, int n, uint8_t *out, int size)
{
    int o = 0;
    if (size < 2)
        return -ENOSPC;
    out[o++] = CTL_TSL_DLE;
    out[o++] = CTL_TSL_STX;
    for (int i = 0; i < n; i++) {
        if (o + (packet[i] == CTL_TSL_DLE ? 2 : 1) > size)
            return -ENOSPC;
        out[o++] = packet[i];
        if (packet[i] == CTL_TSL_DLE)
            out[o++] = CTL_TSL_DLE;
    }
    return o;
}

/* ---- rate limit ---- */

int ctl_bucket_take(CtlBucket *b, int64_t now_ns, double rate, double burst)
{
    if (b->last_ns == 0) {
        b->tokens = burst;
        b->last_ns = now_ns;
    }
    if (now_ns > b->last_ns) {
        b->tokens += (double)(now_ns - b->last_ns) * 1e-9 * rate;
        if (b->tokens > burst)
            b->tokens = burst;
        b->last_ns = now_ns;
    }
    if (b->tokens < 1.0)
        return 0;
    b->tokens -= 1.0;
    return 1;
}
