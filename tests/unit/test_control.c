/* control/ unit tests: the protocol codec against bytes written out by hand from the TSL UMD v5.0 layout
 * (PBC, VER, FLAGS, SCREEN, then INDEX, CONTROL, LENGTH, TEXT per display; 16-bit little-endian), the line grammar,
 * CIDR ranges, the token bucket, OSC messages written out by hand (OSC 1.0), and the switcher's remote commands (origin
 * "remote" with the peer). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "control.h"
#include "ot_common.h"
#include "sw_switcher.h"
#include "ut.h"

static void test_tsl5(void)
{
    const char *names[] = {"wide", "cl"};
    uint8_t p[64];
    int n = ctl_tsl5_packet(p, sizeof(p), 0, 0, names, 2, 1, 0);
    /* program = camera 2 (red), preview = camera 1 (green); brightness 3 in bits 6-7 */
    const uint8_t want[] = {
        22, 0,          /* PBC: the bytes after it, 24 - 2 */
        0, 0, 0, 0,     /* VER 0, FLAGS 0 (ASCII, DMSG), SCREEN 0 */
        0, 0,           /* INDEX 0 */
        0xEA, 0,        /* CONTROL: green 2 in RH (0-1), text (2-3), LH (4-5): 2|8|32 = 42, + 192 = 234 */
        4, 0, 'w', 'i', 'd', 'e',
        1, 0,           /* INDEX 1 */
        0xD5, 0,        /* red 1: 1|4|16 = 21, + 192 = 213 */
        2, 0, 'c', 'l',
    };
    UT_EQ_INT(n, (int)sizeof(want));
    UT_CHECK(n == (int)sizeof(want) && !memcmp(p, want, sizeof(want)));
    /* index base and screen, little-endian */
    n = ctl_tsl5_packet(p, sizeof(p), 0x0102, 0x0300, names, 1, -1, -1);
    UT_EQ_INT(n, 16);
    UT_CHECK(p[4] == 0x02 && p[5] == 0x01 && p[6] == 0x00 && p[7] == 0x03 && p[8] == 0xC0 && p[9] == 0);
    UT_EQ_INT(ctl_tsl5_packet(p, 10, 0, 0, names, 2, 0, 1), -ENOSPC);

    /* TCP wrapper: DLE/STX, every DLE (0xFE) doubled, nothing else touched */
    const uint8_t in[] = {1, 0xFE, 2, 0xFE, 0xFE};
    uint8_t out[16];
    const uint8_t wrapped[] = {0xFE, 0x02, 1, 0xFE, 0xFE, 2, 0xFE, 0xFE, 0xFE, 0xFE};
    n = ctl_tsl5_wrap(in, sizeof(in), out, sizeof(out));
    UT_EQ_INT(n, (int)sizeof(wrapped));
    UT_CHECK(n == (int)sizeof(wrapped) && !memcmp(out, wrapped, sizeof(wrapped)));
    UT_EQ_INT(ctl_tsl5_wrap(in, sizeof(in), out, 5), -ENOSPC);
}

static void test_lines(void)
{
    const char *cams[] = {"wide", "close", "crane"};
    CtlCmd c;
    char err[256];
    UT_EQ_INT(ctl_line_parse("cut close", cams, 3, &c, err, sizeof(err)), 0);
    UT_CHECK(c.type == CTL_CMD_CUT && c.cam == 1);
    UT_EQ_INT(ctl_line_parse("  cut 3 ", cams, 3, &c, err, sizeof(err)), 0);
    UT_EQ_INT(c.cam, 2);
    UT_EQ_INT(ctl_line_parse("preview wide", cams, 3, &c, err, sizeof(err)), 0);
    UT_CHECK(c.type == CTL_CMD_PREVIEW && c.cam == 0);
    UT_EQ_INT(ctl_line_parse("take", cams, 3, &c, err, sizeof(err)), 0);
    UT_EQ_INT(c.type, CTL_CMD_TAKE);
    UT_EQ_INT(ctl_line_parse("end 0123abcd", cams, 3, &c, err, sizeof(err)), 0);
    UT_CHECK(c.type == CTL_CMD_END && !strcmp(c.arg, "0123abcd"));
    /* refusals say what is accepted */
    UT_EQ_INT(ctl_line_parse("end", cams, 3, &c, err, sizeof(err)), -EINVAL);
    UT_CHECKF(strstr(err, "end TAKE_ID") != NULL, "%s", err);
    UT_EQ_INT(ctl_line_parse("cut 4", cams, 3, &c, err, sizeof(err)), -EINVAL);
    UT_CHECKF(strstr(err, "wide, close, crane") && strstr(err, "1-3"), "%s", err);
    UT_EQ_INT(ctl_line_parse("cut 0", cams, 3, &c, err, sizeof(err)), -EINVAL);
    UT_EQ_INT(ctl_line_parse("cut wide close", cams, 3, &c, err, sizeof(err)), -EINVAL);
    UT_EQ_INT(ctl_line_parse("go now", cams, 3, &c, err, sizeof(err)), -EINVAL);
    UT_EQ_INT(ctl_line_parse("explode", cams, 3, &c, err, sizeof(err)), -EINVAL);
    UT_CHECKF(strstr(err, "unknown command") != NULL, "%s", err);
    UT_EQ_INT(ctl_line_parse("", cams, 3, &c, err, sizeof(err)), -EINVAL);
}

static void test_addresses(void)
{
    CtlEndpoint ep;
    UT_EQ_INT(ctl_endpoint_parse("osc://127.0.0.1:19000", 0, &ep), 0);
    UT_CHECK(ep.kind == CTL_OSC && ep.addr.ss_family == AF_INET &&
             ntohs(((struct sockaddr_in *)&ep.addr)->sin_port) == 19000);
    UT_EQ_INT(ctl_endpoint_parse("tcp://[::1]:19001", 0, &ep), 0);
    UT_CHECK(ep.kind == CTL_TCP && ep.addr.ss_family == AF_INET6);
    UT_EQ_INT(ctl_endpoint_parse("tsl5+tcp://127.0.0.1:19002", 1, &ep), 0);
    UT_EQ_INT(ep.kind, CTL_TSL_TCP);
    UT_EQ_INT(ctl_endpoint_parse("tsl5+udp://127.0.0.1:19002", 0, &ep), -EINVAL); /* not a control */
    UT_EQ_INT(ctl_endpoint_parse("osc://localhost:9000", 0, &ep), -EINVAL);       /* nothing is looked up */
    UT_EQ_INT(ctl_endpoint_parse("osc://127.0.0.1:70000", 0, &ep), -EINVAL);
    UT_CHECK(ctl_addr_is_loopback((struct sockaddr *)&(struct sockaddr_in){.sin_family = AF_INET,
                                                                             .sin_addr.s_addr = htonl(0x7F000001)}));

    CtlCidr c[4];
    UT_EQ_INT(ctl_cidr_parse("10.0.0.0/8, 192.168.1.7,fd00::/8", c, 4), 3);
    struct sockaddr_in a = {.sin_family = AF_INET};
    inet_pton(AF_INET, "10.200.3.4", &a.sin_addr);
    UT_CHECK(ctl_cidr_match(c, 3, (struct sockaddr *)&a));
    inet_pton(AF_INET, "192.168.1.8", &a.sin_addr);
    UT_CHECK(!ctl_cidr_match(c, 3, (struct sockaddr *)&a));
    struct sockaddr_in6 m = {.sin6_family = AF_INET6};
    inet_pton(AF_INET6, "::ffff:192.168.1.7", &m.sin6_addr); /* IPv4-mapped matches the IPv4 range */
    UT_CHECK(ctl_cidr_match(c, 3, (struct sockaddr *)&m));
    UT_EQ_INT(ctl_cidr_parse("10.0.0.0/33", c, 4), -EINVAL);
    UT_EQ_INT(ctl_cidr_parse("ten", c, 4), -EINVAL);
    UT_EQ_INT(ctl_cidr_parse("", c, 4), -EINVAL);
}

static void test_bucket(void)
{
    CtlBucket b = {0};
    int ok = 0;
    for (int i = 0; i < 50; i++)
        ok += ctl_bucket_take(&b, 1000000000LL, 10, 20); /* one instant: the burst only */
    UT_EQ_INT(ok, 20);
    UT_EQ_INT(ctl_bucket_take(&b, 1000000000LL + 100000000LL, 10, 20), 1); /* 0.1 s at 10/s: one more */
    UT_EQ_INT(ctl_bucket_take(&b, 1000000000LL + 100000000LL, 10, 20), 0);
}

static void test_switcher_remote(void)
{
    SwSwitcher *sw = sw_switcher_alloc(NULL, 3, 0);
    SwDecision d;
    UT_EQ_INT(sw_switcher_tick(sw, 0, &d), 0);
    UT_EQ_INT(sw_switcher_cut_from(sw, 2, "osc:127.0.0.1:53211"), 0);
    UT_EQ_INT(sw_switcher_cut(sw, 1), 0);
    UT_EQ_INT(sw_switcher_tick(sw, 1, &d), 0);
    UT_EQ_INT(d.nevents, 2);
    UT_CHECK(d.events[0].origin == SW_ORIGIN_REMOTE && !strcmp(d.events[0].peer, "osc:127.0.0.1:53211"));
    UT_CHECK(!strcmp(sw_origin_name(d.events[0].origin), "remote"));
    UT_CHECK(d.events[1].origin == SW_ORIGIN_MANUAL && d.events[1].peer[0] == 0);
    UT_EQ_INT(sw_switcher_cut_from(sw, 5, "tcp:x"), -EINVAL);
    UT_EQ_INT(sw_switcher_go_from(sw, "tcp:x"), -ENOENT); /* no cue list: no go */
    UT_EQ_INT(sw_switcher_end_from(sw, "tcp:127.0.0.1:40000"), 0);
    UT_EQ_INT(sw_switcher_tick(sw, 2, &d), 0);
    UT_CHECK(d.end && d.events[0].type == SW_EVENT_END && d.events[0].origin == SW_ORIGIN_REMOTE &&
             !strcmp(d.events[0].peer, "tcp:127.0.0.1:40000"));
    sw_switcher_free(&sw);
}

/* OSC 1.0 by hand (not liblo's encoder): a NUL-terminated string padded to 4 bytes. */
static int put_osc_str(uint8_t *p, const char *s)
{
    int n = (int)strlen(s) + 1;
    memset(p, 0, (size_t)(n + 3) / 4 * 4);
    memcpy(p, s, (size_t)n - 1);
    return (n + 3) / 4 * 4;
}

static int osc_msg(uint8_t *p, const char *path, const char *types, const char *sarg, int iarg)
{
    int n = put_osc_str(p, path);
    n += put_osc_str(p + n, types);
    if (sarg)
        n += put_osc_str(p + n, sarg);
    if (strchr(types, 'i')) {
        uint8_t be[4] = {(uint8_t)(iarg >> 24), (uint8_t)(iarg >> 16), (uint8_t)(iarg >> 8), (uint8_t)iarg};
        memcpy(p + n, be, 4);
        n += 4;
    }
    return n;
}

static void test_osc(void)
{
    static const char *const cams[] = {"wide", "close"};
    uint8_t m[256];
    char err[256];
    CtlCmd c;
    int n = osc_msg(m, "/onetake/cut", ",s", "close", 0);
    UT_CHECK(n == 28 && ctl_osc_parse(m, n, cams, 2, &c, err, sizeof(err)) == 0 && c.type == CTL_CMD_CUT &&
             c.cam == 1);
    n = osc_msg(m, "/onetake/preview", ",i", NULL, 1);
    UT_CHECK(ctl_osc_parse(m, n, cams, 2, &c, err, sizeof(err)) == 0 && c.type == CTL_CMD_PREVIEW && c.cam == 0);
    n = osc_msg(m, "/onetake/cut", ",i", NULL, 3);
    UT_CHECK(ctl_osc_parse(m, n, cams, 2, &c, err, sizeof(err)) == -EINVAL && strstr(err, "1-2"));
    n = osc_msg(m, "/onetake/take", ",", NULL, 0);
    UT_CHECK(ctl_osc_parse(m, n, cams, 2, &c, err, sizeof(err)) == 0 && c.type == CTL_CMD_TAKE);
    n = osc_msg(m, "/onetake/go", ",i", NULL, 1);
    UT_CHECK(ctl_osc_parse(m, n, cams, 2, &c, err, sizeof(err)) == -EINVAL && strstr(err, "no argument"));
    n = osc_msg(m, "/onetake/end", ",s", "0123abcd", 0);
    UT_CHECK(ctl_osc_parse(m, n, cams, 2, &c, err, sizeof(err)) == 0 && c.type == CTL_CMD_END &&
             !strcmp(c.arg, "0123abcd"));
    n = osc_msg(m, "/onetake/end", ",", NULL, 0);
    UT_CHECK(ctl_osc_parse(m, n, cams, 2, &c, err, sizeof(err)) == -EINVAL && strstr(err, ",s TAKE_ID"));
    n = osc_msg(m, "/onetake/subscribe", ",i", NULL, 9001);
    UT_CHECK(ctl_osc_parse(m, n, cams, 2, &c, err, sizeof(err)) == 0 && c.type == CTL_CMD_SUBSCRIBE &&
             c.port == 9001);
    n = osc_msg(m, "/onetake/status", ",i", NULL, 70000);
    UT_CHECK(ctl_osc_parse(m, n, cams, 2, &c, err, sizeof(err)) == -EINVAL && strstr(err, "PORT"));
    n = osc_msg(m, "/onetake/bogus", ",", NULL, 0);
    UT_CHECK(ctl_osc_parse(m, n, cams, 2, &c, err, sizeof(err)) == -ENOENT);
    /* Not OSC: no type tags, a truncated argument, a bundle, a size not a multiple of 4. */
    n = put_osc_str(m, "hello");
    UT_CHECK(ctl_osc_parse(m, n, cams, 2, &c, err, sizeof(err)) == -EBADMSG);
    n = osc_msg(m, "/onetake/cut", ",s", NULL, 0);
    UT_CHECK(ctl_osc_parse(m, n, cams, 2, &c, err, sizeof(err)) == -EBADMSG);
    n = put_osc_str(m, "#bundle") + 8;
    memset(m + 8, 0, 8);
    UT_CHECK(ctl_osc_parse(m, n, cams, 2, &c, err, sizeof(err)) == -EBADMSG && strstr(err, "bundle"));
    n = osc_msg(m, "/onetake/take", ",", NULL, 0);
    UT_CHECK(ctl_osc_parse(m, n - 1, cams, 2, &c, err, sizeof(err)) == -EBADMSG);
}

/* The paths of the OSC messages that reach fd within ms (the first argument of a /onetake/program into cam). */
static int osc_drain(int fd, int ms, char paths[][32], int max, char *cam, int camsize)
{
    int n = 0;
    int64_t until = ot_mono_ns() + (int64_t)ms * 1000000;
    while (ot_mono_ns() < until && n < max) {
        uint8_t buf[1024];
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 20) <= 0)
            continue;
        ssize_t k = recv(fd, buf, sizeof(buf), 0);
        if (k <= 0)
            continue;
        g_strlcpy(paths[n], (const char *)buf, 32);
        if (!strcmp(paths[n], "/onetake/program") && cam)
            g_strlcpy(cam, (const char *)buf + 28, (size_t)camsize); /* path 20 + ",sis" 8 */
        n++;
    }
    return n;
}

static int has_path(char paths[][32], int n, const char *path)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(paths[i], path))
            return 1;
    return 0;
}

/* A real server on loopback (port 19060): a subscriber gets the state at once and each program change, then,
 * without a renewal, nothing once its subscription has lapsed. */
static void test_osc_subscription(void)
{
    static const char *const cams[] = {"a", "b"};
    CtlEndpoint ep;
    UT_EQ_INT(ctl_endpoint_parse("osc://127.0.0.1:19060", 0, &ep), 0);
    CtlServerConfig cfg = {.eps = &ep, .neps = 1, .cams = cams, .ncams = 2, .rate = {30, 1}, .rate_per_s = 50,
                           .burst = 100, .osc_renew_s = 0.4};
    CtlServer *s = ctl_server_alloc(&cfg, "0123456789abcdef0123456789abcdef");
    UT_CHECK(s != NULL);
    if (!s)
        return;
    SwSwitcher *sw = sw_switcher_alloc(NULL, 2, 0);
    SwDecision d;
    UT_EQ_INT(sw_switcher_tick(sw, 0, &d), 0);
    ctl_server_before_tick(s, sw, 1);
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(19060), .sin_addr.s_addr = htonl(0x7f000001)};
    uint8_t m[64];
    int n = osc_msg(m, "/onetake/subscribe", ",", NULL, 0);
    UT_CHECK(sendto(fd, m, (size_t)n, 0, (struct sockaddr *)&to, sizeof(to)) == n);
    char paths[64][32], cam[8] = "";
    int got = osc_drain(fd, 200, paths, 64, cam, sizeof(cam));
    UT_CHECK(has_path(paths, got, "/onetake/program") && has_path(paths, got, "/onetake/tally") && !strcmp(cam, "a"));
    UT_EQ_INT(sw_switcher_cut(sw, 1), 0);
    UT_EQ_INT(sw_switcher_tick(sw, 1, &d), 0);
    ctl_server_before_tick(s, sw, 2);
    got = osc_drain(fd, 200, paths, 64, cam, sizeof(cam));
    UT_CHECK(has_path(paths, got, "/onetake/program") && !strcmp(cam, "b"));
    g_usleep(400000); /* 0.6 s since the subscription: lapsed */
    osc_drain(fd, 100, paths, 64, NULL, 0);
    UT_EQ_INT(sw_switcher_cut(sw, 0), 0);
    UT_EQ_INT(sw_switcher_tick(sw, 2, &d), 0);
    ctl_server_before_tick(s, sw, 3);
    got = osc_drain(fd, 200, paths, 64, NULL, 0);
    UT_EQ_INT(got, 0);
    ctl_server_stop(s);
    CtlServerStats st;
    ctl_server_get_stats(s, &st);
    UT_CHECK(st.subscriptions == 1 && st.subscriptions_expired == 1 && st.osc_messages == 1);
    close(fd);
    ctl_server_free(&s);
    sw_switcher_free(&sw);
}

int main(void)
{
    test_tsl5();
    test_lines();
    test_osc();
    test_osc_subscription();
    test_addresses();
    test_bucket();
    test_switcher_remote();
    return ut_finish("control");
}
