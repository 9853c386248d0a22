/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A TCP client of hand-built frames on a tap device (see rawtcp.h). */
#include "rawtcp.h"

#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = v >> 8;
    p[1] = v;
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, v >> 16);
    put16(p + 2, v);
}

static uint16_t get16(const uint8_t *p)
{
    return p[0] << 8 | p[1];
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)get16(p) << 16 | get16(p + 2);
}

static uint16_t csum(const uint8_t *p, size_t n, uint32_t sum)
{
    for (size_t i = 0; i + 1 < n; i += 2) {
        sum += get16(p + i);
    }
    if (n & 1) {
        sum += p[n - 1] << 8;
    }
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return ~sum;
}

static void send_frame(RawTcp *t, const uint8_t *frame, size_t len)
{
    struct sockaddr_ll to = {
        .sll_family = AF_PACKET,
        .sll_ifindex = t->ifindex,
        .sll_halen = 6,
    };

    if (!t->ifindex) {          /* the socket backend's UDP link */
        g_assert_cmpint(send(t->fd, frame, len, 0), ==, (ssize_t)len);
        return;
    }
    memcpy(to.sll_addr, t->guest_mac, 6);
    g_assert_cmpint(sendto(t->fd, frame, len, 0, (struct sockaddr *)&to,
                           sizeof(to)), ==, (ssize_t)len);
}

/* Ethernet + IPv4 around @l4 (@n bytes), as one frame or fragments. */
static void send_ip(RawTcp *t, const uint8_t *l4, size_t n, unsigned frag)
{
    static uint16_t ip_id = 1;
    size_t step = frag ? frag : n;

    ip_id++;
    for (size_t off = 0; off < n; off += step) {
        uint8_t f[14 + 20 + 1600];
        size_t piece = MIN(step, n - off);
        uint16_t flags = (off + piece < n ? 0x2000 : 0) | (off / 8);

        g_assert_cmpuint(piece, <=, 1600);
        memcpy(f, t->guest_mac, 6);
        memcpy(f + 6, t->my_mac, 6);
        put16(f + 12, 0x0800);
        memset(f + 14, 0, 20);
        f[14] = 0x45;
        put16(f + 16, 20 + piece);
        put16(f + 18, ip_id);
        put16(f + 20, flags);
        f[22] = 64;
        f[23] = 6;
        memcpy(f + 26, t->my_ip, 4);
        memcpy(f + 30, t->guest_ip, 4);
        put16(f + 24, csum(f + 14, 20, 0));
        memcpy(f + 34, l4 + off, piece);
        send_frame(t, f, 34 + piece);
    }
}

static void send_segment(RawTcp *t, uint32_t seq, uint8_t flags,
                         const void *data, size_t len, const RawSend *how)
{
    g_autofree uint8_t *s = g_malloc0(20 + len);
    uint32_t sum = 0;
    uint16_t c;

    put16(s, t->sport);
    put16(s + 2, t->dport);
    put32(s + 4, seq);
    put32(s + 8, t->established ? t->rcv_next : 0);
    s[12] = 5 << 4;
    s[13] = flags | (t->established ? TCP_ACK : 0);
    put16(s + 14, 65535);
    memcpy(s + 20, data, len);
    for (int i = 0; i < 4; i += 2) {
        sum += get16(t->my_ip + i) + get16(t->guest_ip + i);
    }
    sum += 6 + 20 + len;
    c = csum(s, 20 + len, sum);
    if (how && how->bad_csum) {
        c ^= 0x1111;
    }
    put16(s + 16, c);
    send_ip(t, s, 20 + len, how ? how->fragment : 0);
}

static void answer_arp(RawTcp *t, const uint8_t *f, size_t n)
{
    uint8_t r[42];

    if (n < 42 || get16(f + 20) != 1 || memcmp(f + 38, t->my_ip, 4)) {
        return;                 /* not a request for us */
    }
    memcpy(r, f + 6, 6);
    memcpy(r + 6, t->my_mac, 6);
    put16(r + 12, 0x0806);
    memcpy(r + 14, f + 14, 6);  /* htype, ptype, hlen, plen */
    put16(r + 20, 2);
    memcpy(r + 22, t->my_mac, 6);
    memcpy(r + 28, t->my_ip, 4);
    memcpy(r + 32, f + 22, 10); /* the asker's MAC and address */
    send_frame(t, r, sizeof(r));
}

static void take_tcp(RawTcp *t, const uint8_t *ip, size_t n)
{
    size_t ihl = (ip[0] & 15) * 4, total = get16(ip + 2), off;
    const uint8_t *s;
    uint8_t flags;
    uint32_t seq;

    if (n < 20 || total > n || ihl + 20 > total || ip[9] != 6 ||
        memcmp(ip + 12, t->guest_ip, 4) || memcmp(ip + 16, t->my_ip, 4)) {
        return;
    }
    s = ip + ihl;
    if (get16(s) != t->dport || get16(s + 2) != t->sport) {
        return;
    }
    flags = s[13];
    seq = get32(s + 4);
    off = (s[12] >> 4) * 4;
    if (flags & TCP_RST) {
        t->reset = true;
        return;
    }
    if (flags & TCP_ACK) {
        t->snd_una = get32(s + 8);
    }
    if ((flags & (TCP_SYN | TCP_ACK)) == (TCP_SYN | TCP_ACK)) {
        t->irs = seq;
        t->rcv_next = seq + 1;
        t->established = true;
        send_segment(t, t->isn + 1, 0, NULL, 0, NULL);
        return;
    }
    if (!t->established || ihl + off > total) {
        return;
    }
    if (seq == t->rcv_next && total > ihl + off) {
        size_t len = total - ihl - off;

        g_string_append_len(t->rx, (const char *)s + off, len);
        t->rcv_next += len;
    }
    if (flags & TCP_FIN && seq + (total - ihl - off) == t->rcv_next) {
        t->rcv_next++;
        t->fin = true;
    }
    if (total > ihl + off || flags & TCP_FIN) {
        /* Acknowledge; our next seq does not matter for a bare ACK. */
        send_segment(t, t->isn + 1, 0, NULL, 0, NULL);
    }
}

void raw_tcp_pump(RawTcp *t, guint ms)
{
    gint64 deadline = g_get_monotonic_time() + ms * 1000LL;

    for (;;) {
        gint64 left = (deadline - g_get_monotonic_time()) / 1000;
        struct pollfd p = { .fd = t->fd, .events = POLLIN };
        uint8_t f[2048];
        ssize_t n;

        if (left <= 0 || poll(&p, 1, (int)left) <= 0) {
            return;
        }
        n = recv(t->fd, f, sizeof(f), MSG_DONTWAIT);
        if (n < 14 || (t->ifindex && memcmp(f + 6, t->my_mac, 6) == 0)) {
            continue;           /* ours, going out */
        }
        if (get16(f + 12) == 0x0806) {
            answer_arp(t, f, n);
        } else if (get16(f + 12) == 0x0800) {
            take_tcp(t, f + 14, n - 14);
        }
    }
}

static void raw_tcp_init(RawTcp *t, const char *my_ip, const char *guest_ip,
                         const uint8_t guest_mac[6], uint16_t sport,
                         uint16_t dport)
{
    static const uint8_t mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x03 };

    memset(t, 0, sizeof(*t));
    t->fd = -1;
    t->rx = g_string_new(NULL);
    memcpy(t->my_mac, mac, 6);
    memcpy(t->guest_mac, guest_mac, 6);
    g_assert_cmpint(inet_pton(AF_INET, my_ip, t->my_ip), ==, 1);
    g_assert_cmpint(inet_pton(AF_INET, guest_ip, t->guest_ip), ==, 1);
    t->sport = sport;
    t->dport = dport;
    t->isn = g_random_int();
}

static bool handshake(RawTcp *t, const char *guest_ip, guint timeout_ms,
                      GError **errp)
{
    gint64 deadline = g_get_monotonic_time() + timeout_ms * 1000LL;

    while (!t->established && g_get_monotonic_time() < deadline) {
        send_segment(t, t->isn, TCP_SYN, NULL, 0, NULL);
        raw_tcp_pump(t, 300);
    }
    if (!t->established) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                    "no SYN-ACK from %s:%u", guest_ip, t->dport);
        return false;
    }
    return true;
}

bool raw_tcp_open(RawTcp *t, const char *ifname, const char *my_ip,
                  const char *guest_ip, const uint8_t guest_mac[6],
                  uint16_t sport, uint16_t dport, guint timeout_ms,
                  GError **errp)
{
    struct sockaddr_ll addr = { .sll_family = AF_PACKET,
                                .sll_protocol = htons(ETH_P_ALL) };

    raw_tcp_init(t, my_ip, guest_ip, guest_mac, sport, dport);
    t->ifindex = if_nametoindex(ifname);
    t->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
    if (t->fd < 0 || !t->ifindex) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                    "packet socket on %s: %s", ifname, g_strerror(errno));
        return false;
    }
    addr.sll_ifindex = t->ifindex;
    if (bind(t->fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_FAILED, "bind: %s",
                    g_strerror(errno));
        return false;
    }
    return handshake(t, guest_ip, timeout_ms, errp);
}

bool raw_tcp_open_udp(RawTcp *t, uint16_t local_port, uint16_t qemu_port,
                      const char *my_ip, const char *guest_ip,
                      const uint8_t guest_mac[6], uint16_t sport,
                      uint16_t dport, guint timeout_ms, GError **errp)
{
    struct sockaddr_in me = { .sin_family = AF_INET,
                              .sin_port = htons(local_port),
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    struct sockaddr_in qemu = me;

    raw_tcp_init(t, my_ip, guest_ip, guest_mac, sport, dport);
    qemu.sin_port = htons(qemu_port);
    t->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (t->fd < 0 ||
        setsockopt(t->fd, SOL_SOCKET, SO_REUSEADDR, &(int) { 1 },
                   sizeof(int)) < 0 ||
        bind(t->fd, (struct sockaddr *)&me, sizeof(me)) < 0 ||
        connect(t->fd, (struct sockaddr *)&qemu, sizeof(qemu)) < 0) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                    "UDP link to port %u: %s", qemu_port, g_strerror(errno));
        return false;
    }
    return handshake(t, guest_ip, timeout_ms, errp);
}

void raw_tcp_send(RawTcp *t, const void *data, size_t offset, size_t len,
                  const RawSend *how)
{
    send_segment(t, t->isn + 1 + offset, TCP_PSH,
                 (const uint8_t *)data + offset, len, how);
}

bool raw_tcp_wait(RawTcp *t, const char *needle, guint timeout_ms)
{
    gint64 deadline = g_get_monotonic_time() + timeout_ms * 1000LL;

    while (!strstr(t->rx->str, needle)) {
        if (g_get_monotonic_time() >= deadline) {
            return false;
        }
        raw_tcp_pump(t, 50);
    }
    return true;
}

void raw_tcp_close(RawTcp *t)
{
    if (t->fd >= 0 && t->established) {
        /* At the byte the guest expects, or it is not taken. */
        send_segment(t, t->snd_una, TCP_RST, NULL, 0, NULL);
    }
    if (t->fd >= 0) {
        close(t->fd);
    }
    g_string_free(t->rx, TRUE);
}
