/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The NIC guard (vigilante/guard.c, packet.c) on crafted guest-bound
 * frames: UDP judged whole over IPv4, IPv6 and VLANs; fragments; TCP
 * streams from the SYN with 1-byte segments, gaps, retransmissions with
 * other bytes, bad checksums, untracked data, a full table, idle
 * expiry, vnet headers, per-program scope, filters added and removed
 * mid-connection.  Also built with ASan and UBSan.
 */
#include <glib.h>
#include <string.h>

#include "filter-text.h"
#include "guard.h"
#include "packet.h"

#define GUEST4  "\x0a\x00\x02\x0f"
#define PEER4   "\x0a\x00\x02\x02"
#define FIG1_PORT 4444
#define LOGIN_PORT 5006

typedef struct {
    int version;            /* 4 or 6 */
    uint8_t proto;          /* 6 or 17 */
    uint16_t sport, dport;
    uint32_t seq;
    uint8_t flags;
    int vlans;
    bool bad_csum;
    size_t pad;             /* bytes after the datagram */
    int frag;               /* 0 none, 1 first, 2 later */
    size_t vnet;            /* virtio-net header bytes, flags NEEDS_CSUM */
    bool from_guest;        /* the guest's frame to the peer */
    uint32_t ack;
    bool bad_ip_csum;
} Shape;

static void put16(GByteArray *b, uint16_t v)
{
    uint8_t x[2] = { v >> 8, v };

    g_byte_array_append(b, x, 2);
}

static void put32(GByteArray *b, uint32_t v)
{
    put16(b, v >> 16);
    put16(b, v);
}

/* A frame to the guest carrying @data as described. */
static GByteArray *frame(const Shape *s, const void *data, size_t n)
{
    GByteArray *b = g_byte_array_new();
    g_autoptr(GByteArray) t = g_byte_array_new();
    static const uint8_t src6[16] = { 0xfd, 0, 0, 0, 0, 0, 0, 0,
                                      0, 0, 0, 0, 0, 0, 0, 2 };
    static const uint8_t dst6[16] = { 0xfd, 0, 0, 0, 0, 0, 0, 0,
                                      0, 0, 0, 0, 0, 0, 0, 15 };
    const uint8_t *peer = s->version == 6 ? src6 : (const uint8_t *)PEER4;
    const uint8_t *guest = s->version == 6 ? dst6 : (const uint8_t *)GUEST4;
    const uint8_t *src = s->from_guest ? guest : peer;
    const uint8_t *dst = s->from_guest ? peer : guest;
    size_t alen = s->version == 6 ? 16 : 4;
    uint32_t sum = 0;
    uint16_t csum;

    if (s->vnet) {
        uint8_t hdr[12] = { 1 /* NEEDS_CSUM */ };

        g_byte_array_append(b, hdr, s->vnet);
    }
    g_byte_array_append(b, (const uint8_t *)"\x52\x54\x00\x12\x34\x56"
                        "\x52\x55\x0a\x00\x02\x02", 12);
    for (int i = 0; i < s->vlans; i++) {
        put16(b, 0x8100);
        put16(b, 100 + i);
    }
    put16(b, s->version == 6 ? 0x86dd : 0x0800);

    /* Transport header and data. */
    put16(t, s->from_guest ? s->dport : s->sport);
    put16(t, s->from_guest ? s->sport : s->dport);
    if (s->proto == 17) {
        put16(t, 8 + n);
        put16(t, 0);
    } else {
        put32(t, s->seq);
        put32(t, s->ack);
        put16(t, 0x5000 | s->flags);
        put16(t, 65535);
        put16(t, 0);
        put16(t, 0);
    }
    g_byte_array_append(t, data, n);
    for (size_t i = 0; i < alen; i++) {
        sum += i % 2 ? src[i] : src[i] << 8;
        sum += i % 2 ? dst[i] : dst[i] << 8;
    }
    sum += s->proto + t->len;
    csum = vg_inet_checksum(t->data, t->len, sum);
    if (s->proto == 17 && csum == 0) {
        csum = 0xffff;
    }
    if (s->bad_csum) {
        csum ^= 0x5555;
    }
    t->data[s->proto == 17 ? 6 : 16] = csum >> 8;
    t->data[s->proto == 17 ? 7 : 17] = csum;

    if (s->version == 4) {
        uint8_t ip[20] = { 0x45, 0 };
        uint16_t tot = 20 + (s->frag == 2 ? 8 : t->len);
        uint16_t frag = s->frag == 1 ? 0x2000 : s->frag == 2 ? 0x0010 : 0;
        uint16_t hc;

        ip[2] = tot >> 8;
        ip[3] = tot;
        ip[6] = frag >> 8;
        ip[7] = frag;
        ip[8] = 64;
        ip[9] = s->proto;
        memcpy(ip + 12, src, 4);
        memcpy(ip + 16, dst, 4);
        hc = vg_inet_checksum(ip, 20, 0) ^ (s->bad_ip_csum ? 0x0101 : 0);
        ip[10] = hc >> 8;
        ip[11] = hc;
        g_byte_array_append(b, ip, 20);
    } else {
        uint8_t ip[40] = { 0x60 };
        size_t plen = t->len + (s->frag ? 8 : 0);

        ip[4] = plen >> 8;
        ip[5] = plen;
        ip[6] = s->frag ? 44 : s->proto;
        ip[7] = 64;
        memcpy(ip + 8, src, 16);
        memcpy(ip + 24, dst, 16);
        g_byte_array_append(b, ip, 40);
        if (s->frag) {
            uint8_t fh[8] = { s->proto, 0, 0, s->frag == 1 ? 1 : 0x11,
                              0, 0, 0, 7 };

            g_byte_array_append(b, fh, 8);
        }
    }
    if (s->frag == 2 && s->version == 4) {
        g_byte_array_append(b, t->data, 8);     /* some later bytes */
    } else {
        g_byte_array_append(b, t->data, t->len);
    }
    for (size_t i = 0; i < s->pad; i++) {
        g_byte_array_append(b, (const uint8_t *)"P", 1);
    }
    return b;
}

static VgFilterSet *set_of(const char *const *texts)
{
    VgFilterSet *set = vg_filter_set_new();

    for (int i = 0; texts[i]; i++) {
        g_autoptr(GError) err = NULL;
        g_autofree char *id = g_strdup_printf("f%d", i);
        VfFilter *f = vf_compile(texts[i], &err);

        g_assert_no_error(err);
        g_assert_true(vg_filter_set_add(set, id, f, &err));
    }
    return set;
}

#define FIG1_FILTER \
    "program tiny-fig1\nscope udp 4444\nrequire u8[0] == '1' && len > 68\n"

/*
 * vg-logind-like: a first line "USER name" whose name runs past 32
 * bytes (no newline in bytes 5 to 37) overflows the name buffer.
 */
static char *login_filter(void)
{
    GString *t = g_string_new("program vg-linux\nscope tcp 5006\n"
                              "require be32[0] == 0x55534552 && u8[4] == ' '\n");

    for (int k = 5; k <= 37; k++) {
        g_string_append_printf(t, "require u8[%d] != '\\n'\n", k);
    }
    return g_string_free(t, FALSE);
}

static VgFilterSet *fig1_and_login(void)
{
    g_autofree char *login = login_filter();
    const char *texts[] = { FIG1_FILTER, login, NULL };

    return set_of(texts);
}

static VgGuardVerdict send(VgGuard *g, const Shape *s, const void *data,
                           size_t n, int64_t now)
{
    g_autoptr(GByteArray) f = frame(s, data, n);

    return vg_guard_frame(g, f->data, f->len, s->vnet, now, NULL);
}

static char *fig1_attack(size_t n)
{
    char *m = g_malloc(n);

    memset(m, 'A', n);
    m[0] = '1';
    return m;
}

static void test_udp(void)
{
    VgFilterSet *set = fig1_and_login();
    VgGuard *g = vg_guard_new(set, NULL, NULL);
    g_autofree char *attack = fig1_attack(72);
    Shape s = { .version = 4, .proto = 17, .sport = 4000,
                .dport = FIG1_PORT };
    VgGuardAction act;
    g_autoptr(GByteArray) f = NULL;

    g_assert_cmpint(send(g, &s, attack, 72, 0), ==, VG_GUARD_DROP_MATCH);
    g_assert_cmpint(send(g, &s, "1 hello", 7, 0), ==, VG_GUARD_PASS);
    g_assert_cmpint(send(g, &s, attack + 1, 71, 0), ==, VG_GUARD_PASS);
    /* Padding after the datagram is not message. */
    s.pad = 40;
    g_assert_cmpint(send(g, &s, attack, 60, 0), ==, VG_GUARD_PASS);
    s.pad = 0;
    /* Another port, IPv6, VLANs. */
    s.dport = 7;
    g_assert_cmpint(send(g, &s, attack, 72, 0), ==, VG_GUARD_PASS);
    s.dport = FIG1_PORT;
    s.version = 6;
    g_assert_cmpint(send(g, &s, attack, 72, 0), ==, VG_GUARD_DROP_MATCH);
    s.version = 4;
    s.vlans = 2;
    g_assert_cmpint(send(g, &s, attack, 72, 0), ==, VG_GUARD_DROP_MATCH);
    s.vlans = 3;
    g_assert_cmpint(send(g, &s, "1 hello", 7, 0), ==,
                    VG_GUARD_DROP_NORMALISE);
    s.vlans = 0;
    /* A bad checksum: the guest drops it, so do we. */
    s.bad_csum = true;
    g_assert_cmpint(send(g, &s, "1 hello", 7, 0), ==,
                    VG_GUARD_DROP_NORMALISE);
    s.bad_csum = false;
    /* Offloaded checksum in a vnet header: not checked, still judged. */
    s.vnet = 12;
    s.bad_csum = true;
    g_assert_cmpint(send(g, &s, attack, 72, 0), ==, VG_GUARD_DROP_MATCH);
    s.vnet = 0;
    s.bad_csum = false;

    /* The matching filter is reported and counted. */
    f = frame(&s, attack, 72);
    g_assert_cmpint(vg_guard_frame(g, f->data, f->len, 0, 0, &act), ==,
                    VG_GUARD_DROP_MATCH);
    g_assert_nonnull(act.matched);
    g_assert_cmpstr(act.matched->id, ==, "f0");
    g_assert_cmpuint(act.matched->hits, ==, 5);
    g_assert_false(act.reset);          /* UDP: nothing to reset */
    vg_guard_free(g);
    vg_filter_set_free(set);
}

/*
 * The UDP datagrams to and from the guest are counted even with no
 * filter installed (a verifier's sign that the guest answered), and
 * fragments and TCP are not.
 */
static void test_udp_counts(void)
{
    const char *none[] = { NULL };
    VgFilterSet *set = set_of(none);
    VgGuard *g = vg_guard_new(set, NULL, NULL);
    Shape s = { .version = 4, .proto = 17, .sport = 4000, .dport = 7 };
    VgGuardStats st;

    g_assert_cmpint(send(g, &s, "ping", 4, 0), ==, VG_GUARD_PASS);
    s.version = 6;
    g_assert_cmpint(send(g, &s, "ping", 4, 0), ==, VG_GUARD_PASS);
    s.frag = 1;
    g_assert_cmpint(send(g, &s, "ping", 4, 0), ==, VG_GUARD_PASS);
    s.frag = 0;
    s.proto = 6;
    g_assert_cmpint(send(g, &s, "ping", 4, 0), ==, VG_GUARD_PASS);
    s.proto = 17;
    s.from_guest = true;
    s.sport = 7;
    s.dport = 4000;
    for (int i = 0; i < 3; i++) {
        g_autoptr(GByteArray) f = frame(&s, "pong", 4);

        vg_guard_guest_frame(g, f->data, f->len, 0);
    }
    s.proto = 6;
    {
        g_autoptr(GByteArray) f = frame(&s, "pong", 4);

        vg_guard_guest_frame(g, f->data, f->len, 0);
    }
    vg_guard_stats(g, &st);
    g_assert_cmpuint(st.udp_to_guest, ==, 2);
    g_assert_cmpuint(st.guest_udp, ==, 3);
    vg_guard_free(g);
    vg_filter_set_free(set);
}

static void test_fragments(void)
{
    VgFilterSet *set = fig1_and_login();
    VgGuard *g = vg_guard_new(set, NULL, NULL);
    Shape s = { .version = 4, .proto = 17, .sport = 4000,
                .dport = FIG1_PORT, .frag = 1 };

    g_assert_cmpint(send(g, &s, "1 hello", 7, 0), ==,
                    VG_GUARD_DROP_FRAGMENT);
    s.frag = 2;
    g_assert_cmpint(send(g, &s, "1 hello", 7, 0), ==, VG_GUARD_PASS);
    s.frag = 1;
    s.dport = 53;
    g_assert_cmpint(send(g, &s, "1 hello", 7, 0), ==, VG_GUARD_PASS);
    s.version = 6;
    s.dport = FIG1_PORT;
    g_assert_cmpint(send(g, &s, "1 hello", 7, 0), ==,
                    VG_GUARD_DROP_FRAGMENT);
    s.proto = 6;
    s.dport = LOGIN_PORT;
    g_assert_cmpint(send(g, &s, "USER x", 6, 0), ==, VG_GUARD_DROP_FRAGMENT);
    vg_guard_free(g);
    vg_filter_set_free(set);
}

/* A TCP connection to the login port from its SYN. */
typedef struct {
    VgGuard *g;
    Shape s;
    uint32_t isn;
} Tcp;

/* The guest's answer to the SYN with ISN @isn: a SYN-ACK. */
static void guest_synack(Tcp *t, uint32_t isn)
{
    Shape a = t->s;
    g_autoptr(GByteArray) f = NULL;

    a.from_guest = true;
    a.flags = 0x12;
    a.seq = 99;
    a.ack = isn + 1;
    f = frame(&a, "", 0);
    vg_guard_guest_frame(t->g, f->data, f->len, a.vnet);
}

/* The guest acknowledging stream bytes up to @upto. */
static void guest_ack(Tcp *t, uint32_t upto)
{
    Shape a = t->s;
    g_autoptr(GByteArray) f = NULL;

    a.from_guest = true;
    a.flags = 0x10;
    a.seq = 100;
    a.ack = t->isn + 1 + upto;
    f = frame(&a, "", 0);
    vg_guard_guest_frame(t->g, f->data, f->len, a.vnet);
}

/* A connection the guest accepted. */
static void tcp_open(Tcp *t, VgGuard *g, uint16_t sport, int64_t now)
{
    *t = (Tcp) { g, { .version = 4, .proto = 6, .sport = sport,
                      .dport = LOGIN_PORT, .flags = 0x02 }, 1000 * sport };
    t->s.seq = t->isn;
    g_assert_cmpint(send(g, &t->s, "", 0, now), ==, VG_GUARD_PASS);
    guest_synack(t, t->isn);
    t->s.flags = 0x18;
}

/* Stream bytes [at, at + n) of @data. */
static VgGuardVerdict tcp_send(Tcp *t, const char *data, size_t at,
                               size_t n, int64_t now)
{
    t->s.seq = t->isn + 1 + at;
    return send(t->g, &t->s, data + at, n, now);
}

#define LOGIN_ATTACK "USER " "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n"
#define LOGIN_BENIGN "USER alice\nPASS wonderland\nHELP\nLIST\nQUIT\n"

static void test_tcp(void)
{
    VgFilterSet *set = fig1_and_login();
    VgGuard *g = vg_guard_new(set, NULL, NULL);
    const char *a = LOGIN_ATTACK, *b = LOGIN_BENIGN;
    size_t alen = strlen(a), blen = strlen(b);
    VgGuardStats st;
    uint64_t before;
    Tcp t;

    /* Whole: the completing segment and everything after are dropped. */
    tcp_open(&t, g, 40001, 0);
    g_assert_cmpint(tcp_send(&t, a, 0, alen, 0), ==, VG_GUARD_DROP_MATCH);
    g_assert_cmpint(tcp_send(&t, a, 0, alen, 0), ==, VG_GUARD_DROP_MATCH);
    t.s.flags = 0x10;
    g_assert_cmpint(send(g, &t.s, "", 0, 0), ==, VG_GUARD_DROP_MATCH);

    /* Benign: decided clean; later bytes pass, but not other bytes
     * over the prefix the filters judged. */
    tcp_open(&t, g, 40002, 0);
    g_assert_cmpint(tcp_send(&t, b, 0, blen, 0), ==, VG_GUARD_PASS);
    g_assert_cmpint(tcp_send(&t, a, 0, alen, 0), ==,
                    VG_GUARD_DROP_NORMALISE);
    g_assert_cmpint(tcp_send(&t, b, 0, blen, 0), ==, VG_GUARD_PASS);
    t.isn += blen;
    g_assert_cmpint(tcp_send(&t, a, 0, alen, 0), ==, VG_GUARD_PASS);
    t.isn -= blen;

    /* 1-byte segments: the 38th byte completes the match. */
    vg_guard_stats(g, &st);
    before = st.buffered;
    tcp_open(&t, g, 40003, 0);
    for (size_t i = 0; i < 37; i++) {
        g_assert_cmpint(tcp_send(&t, a, i, 1, 0), ==, VG_GUARD_PASS);
    }
    vg_guard_stats(g, &st);
    g_assert_cmpuint(st.buffered, ==, before + 37);
    g_assert_cmpint(tcp_send(&t, a, 37, 1, 0), ==, VG_GUARD_DROP_MATCH);
    vg_guard_stats(g, &st);
    g_assert_cmpuint(st.buffered, ==, before);

    /* Out of order: the later half waits for the first. */
    tcp_open(&t, g, 40004, 0);
    g_assert_cmpint(tcp_send(&t, a, 20, alen - 20, 0), ==,
                    VG_GUARD_DROP_NORMALISE);
    g_assert_cmpint(tcp_send(&t, a, 0, 20, 0), ==, VG_GUARD_PASS);
    g_assert_cmpint(tcp_send(&t, a, 20, alen - 20, 0), ==,
                    VG_GUARD_DROP_MATCH);

    /* A retransmission with other bytes: benign first, then the attack
     * over it; the guest keeps the first, and so do we. */
    tcp_open(&t, g, 40005, 0);
    g_assert_cmpint(tcp_send(&t, "USER bob\n", 0, 9, 0), ==,
                    VG_GUARD_PASS);
    g_assert_cmpint(tcp_send(&t, a, 0, alen, 0), ==,
                    VG_GUARD_DROP_NORMALISE);
    /* The same bytes again, and more: fine. */
    g_assert_cmpint(tcp_send(&t, "USER bob\nPASS x\n", 0, 16, 0), ==,
                    VG_GUARD_PASS);

    /* Overlap ending in new bytes, the old part changed. */
    tcp_open(&t, g, 40006, 0);
    g_assert_cmpint(tcp_send(&t, a, 0, 10, 0), ==, VG_GUARD_PASS);
    {
        g_autofree char *other = g_strdup(a);

        other[5] = 'Z';
        g_assert_cmpint(tcp_send(&t, other, 5, alen - 5, 0), ==,
                        VG_GUARD_DROP_NORMALISE);
    }
    g_assert_cmpint(tcp_send(&t, a, 5, alen - 5, 0), ==, VG_GUARD_DROP_MATCH);

    /* A bad checksum does not count. */
    tcp_open(&t, g, 40007, 0);
    t.s.bad_csum = true;
    g_assert_cmpint(tcp_send(&t, a, 0, alen, 0), ==,
                    VG_GUARD_DROP_NORMALISE);
    t.s.bad_csum = false;
    g_assert_cmpint(tcp_send(&t, a, 0, alen, 0), ==, VG_GUARD_DROP_MATCH);

    /* Data with no SYN seen cannot be judged: dropped; bare ACKs pass. */
    t.s.sport = 40999;
    g_assert_cmpint(tcp_send(&t, b, 0, blen, 0), ==,
                    VG_GUARD_DROP_UNTRACKED);
    t.s.flags = 0x10;
    g_assert_cmpint(send(g, &t.s, "", 0, 0), ==, VG_GUARD_PASS);

    /* The blocked connection's SYN again passes (the guest was reset);
     * a new SYN with a new ISN on the same ports starts over once the
     * guest answers it. */
    t.s = (Shape) { .version = 4, .proto = 6, .sport = 40001,
                    .dport = LOGIN_PORT, .flags = 0x02, .seq = 40001000 };
    t.isn = 40001000;
    g_assert_cmpint(send(g, &t.s, "", 0, 0), ==, VG_GUARD_PASS);
    t.s.flags = 0x18;
    g_assert_cmpint(tcp_send(&t, a, 0, 5, 0), ==, VG_GUARD_DROP_MATCH);
    t.s.flags = 0x02;
    t.isn = t.s.seq = 5;
    g_assert_cmpint(send(g, &t.s, "", 0, 0), ==, VG_GUARD_PASS);
    guest_synack(&t, 5);
    t.s.flags = 0x18;
    g_assert_cmpint(tcp_send(&t, b, 0, blen, 0), ==, VG_GUARD_PASS);

    vg_guard_free(g);
    vg_filter_set_free(set);
}

static void test_limits(void)
{
    VgFilterSet *set = fig1_and_login();
    VgGuardLimits lim = { .max_connections = 2,
                          .idle_timeout_us = 10 * G_USEC_PER_SEC };
    VgGuard *g = vg_guard_new(set, NULL, &lim);
    const char *b = LOGIN_BENIGN;
    Tcp t1, t2, t3;

    /* Two undecided connections fill the table: a third SYN is refused. */
    tcp_open(&t1, g, 41001, 0);
    tcp_open(&t2, g, 41002, 0);
    g_assert_cmpint(tcp_send(&t1, "US", 0, 2, 0), ==, VG_GUARD_PASS);
    g_assert_cmpint(tcp_send(&t2, "US", 0, 2, 0), ==, VG_GUARD_PASS);
    t3.s = (Shape) { .version = 4, .proto = 6, .sport = 41003,
                     .dport = LOGIN_PORT, .flags = 0x02, .seq = 7 };
    t3.g = g;
    g_assert_cmpint(send(g, &t3.s, "", 0, 1), ==, VG_GUARD_DROP_FULL);
    /* A clean one makes room for it. */
    g_assert_cmpint(tcp_send(&t1, b, 0, strlen(b), 2), ==, VG_GUARD_PASS);
    /* (after the 100 ms the guard waits before scanning a full table
     * again) */
    g_assert_cmpint(send(g, &t3.s, "", 0, 2), ==, VG_GUARD_DROP_FULL);
    g_assert_cmpint(send(g, &t3.s, "", 0, G_USEC_PER_SEC / 5), ==,
                    VG_GUARD_PASS);
    /* A connection the guest never accepted is the first to go. */
    t3.s.sport = 41004;
    g_assert_cmpint(send(g, &t3.s, "", 0, G_USEC_PER_SEC / 5), ==,
                    VG_GUARD_PASS);
    /* Idle past the limit: forgotten, and its data then does not pass. */
    g_assert_cmpint(tcp_send(&t2, "USER x\n", 2, 5, 20 * G_USEC_PER_SEC), ==,
                    VG_GUARD_DROP_UNTRACKED);
    vg_guard_free(g);
    vg_filter_set_free(set);
}

static void test_scope(void)
{
    VgFilterSet *set = fig1_and_login();
    static const char *const other[] = { "nginx", NULL };
    static const char *const linux_only[] = { "vg-linux", NULL };
    VgGuard *g_other = vg_guard_new(set, other, NULL);
    VgGuard *g_linux = vg_guard_new(set, linux_only, NULL);
    g_autofree char *attack = fig1_attack(72);
    const char *a = LOGIN_ATTACK;
    Shape s = { .version = 4, .proto = 17, .sport = 4000,
                .dport = FIG1_PORT };
    g_autoptr(GError) err = NULL;
    VfFilter *late;
    Tcp t;

    /* Filters apply to the NICs of VMs that run their program. */
    g_assert_cmpint(send(g_other, &s, attack, 72, 0), ==, VG_GUARD_PASS);
    g_assert_cmpint(send(g_linux, &s, attack, 72, 0), ==, VG_GUARD_PASS);
    tcp_open(&t, g_linux, 42001, 0);
    g_assert_cmpint(tcp_send(&t, a, 0, strlen(a), 0), ==,
                    VG_GUARD_DROP_MATCH);

    /* A filter installed mid-connection leaves that connection alone. */
    tcp_open(&t, g_linux, 42002, 0);
    g_assert_cmpint(tcp_send(&t, "USER ", 0, 5, 0), ==, VG_GUARD_PASS);
    late = vf_compile("program vg-linux\nscope tcp 5006\n"
                      "require u8[5] == 'z'\n", &err);
    g_assert_no_error(err);
    g_assert_true(vg_filter_set_add(set, "late", late, &err));
    g_assert_cmpint(tcp_send(&t, "USER zed\n", 5, 4, 0), ==, VG_GUARD_PASS);
    tcp_open(&t, g_linux, 42003, 0);
    g_assert_cmpint(tcp_send(&t, "USER zed\n", 0, 9, 0), ==,
                    VG_GUARD_DROP_MATCH);

    /* Removing the filters lets undecided connections go on. */
    tcp_open(&t, g_linux, 42004, 0);
    g_assert_cmpint(tcp_send(&t, "USER ", 0, 5, 0), ==, VG_GUARD_PASS);
    g_assert_true(vg_filter_set_del(set, "late", &err));
    g_assert_true(vg_filter_set_del(set, "f1", &err));
    g_assert_false(vg_filter_set_del(set, "f1", &err));
    g_assert_nonnull(strstr(err->message, "no filter"));
    g_assert_cmpint(tcp_send(&t, a, 5, strlen(a) - 5, 0), ==,
                    VG_GUARD_PASS);
    vg_guard_free(g_other);
    vg_guard_free(g_linux);
    vg_filter_set_free(set);
}

/* A match resets the guest's side: a RST at the byte it expects. */
static void test_reset(void)
{
    VgFilterSet *set = fig1_and_login();
    VgGuard *g = vg_guard_new(set, NULL, NULL);
    const char *a = LOGIN_ATTACK;

    for (int shape = 0; shape < 3; shape++) {
        g_autoptr(GByteArray) f = NULL;
        uint8_t rst[VG_RST_FRAME_MAX];
        VgGuardAction act;
        VgPacket p;
        size_t n;
        Tcp t;

        tcp_open(&t, g, 44001 + shape, 0);
        t.s.version = shape == 1 ? 6 : 4;
        t.s.vlans = shape == 2 ? 1 : 0;
        t.s.vnet = shape == 2 ? 12 : 0;
        if (shape) {
            /* reopen in this shape */
            t.s.flags = 0x02;
            t.s.seq = t.isn = 777 + shape;
            g_assert_cmpint(send(g, &t.s, "", 0, 0), ==, VG_GUARD_PASS);
            guest_synack(&t, t.isn);
            t.s.flags = 0x18;
        }
        g_assert_cmpint(tcp_send(&t, a, 0, 10, 0), ==, VG_GUARD_PASS);
        t.s.seq = t.isn + 1 + 10;
        f = frame(&t.s, a + 10, strlen(a) - 10);
        g_assert_cmpint(vg_guard_frame(g, f->data, f->len, t.s.vnet, 0,
                                       &act), ==, VG_GUARD_DROP_MATCH);
        g_assert_true(act.reset);
        g_assert_cmpuint(act.reset_seq, ==, t.isn + 1 + 10);
        n = vg_packet_build_rst(f->data, f->len, t.s.vnet, act.reset_seq,
                                rst);
        g_assert_cmpuint(n, >, 0);
        g_assert_cmpint(vg_packet_parse(rst, n, t.s.vnet, &p), ==,
                        VG_PACKET_OK);
        g_assert_cmpuint(p.ip_version, ==, t.s.version);
        g_assert_cmpuint(p.tcp_flags, ==, VG_TCP_RST);
        g_assert_cmpuint(p.seq, ==, act.reset_seq);
        g_assert_cmpuint(p.src_port, ==, t.s.sport);
        g_assert_cmpuint(p.dst_port, ==, LOGIN_PORT);
        g_assert_true(vg_packet_csum_ok(&p));
        g_assert_cmpuint(p.payload_len, ==, 0);
        /* The attacker's own bare RST passes; its data does not. */
        g_assert_cmpint(vg_guard_frame(g, rst, n, t.s.vnet, 0, NULL), ==,
                        VG_GUARD_PASS);
        g_assert_cmpint(tcp_send(&t, a, 0, 5, 0), ==, VG_GUARD_DROP_MATCH);
    }
    vg_guard_free(g);
    vg_filter_set_free(set);
}

/*
 * What the guest would not take must not be judged as stream: the
 * review's evasions, each tried.
 */
static void test_evasions(void)
{
    VgFilterSet *set = fig1_and_login();
    VgGuard *g = vg_guard_new(set, NULL, NULL);
    const char *a = LOGIN_ATTACK, *b = LOGIN_BENIGN;
    size_t alen = strlen(a), blen = strlen(b);
    char junk[128];
    Tcp t;

    /* A SYN with another ISN on a live connection does not restart the
     * guard's view; the guest ignores it, and so the attack that follows
     * at the real sequence numbers is judged as it is. */
    tcp_open(&t, g, 45001, 0);
    g_assert_cmpint(tcp_send(&t, "USER ", 0, 5, 0), ==, VG_GUARD_PASS);
    {
        Tcp fake = t;

        fake.s.flags = 0x02;
        fake.isn = fake.s.seq = t.isn - 20;
        g_assert_cmpint(send(g, &fake.s, "", 0, 0), ==, VG_GUARD_PASS);
        fake.s.flags = 0x18;
        g_assert_cmpint(tcp_send(&fake, b, 0, 11, 0), ==,
                        VG_GUARD_DROP_NORMALISE);
    }
    g_assert_cmpint(tcp_send(&t, a, 5, alen - 5, 0), ==, VG_GUARD_DROP_MATCH);

    /* Data before the guest accepted the ISN is not stream yet. */
    t.s = (Shape) { .version = 4, .proto = 6, .sport = 45002,
                    .dport = LOGIN_PORT, .flags = 0x02, .seq = 9000 };
    t.isn = 9000;
    g_assert_cmpint(send(g, &t.s, "", 0, 0), ==, VG_GUARD_PASS);
    t.s.flags = 0x18;
    g_assert_cmpint(tcp_send(&t, b, 0, blen, 0), ==, VG_GUARD_DROP_NORMALISE);
    guest_synack(&t, 9000);
    g_assert_cmpint(tcp_send(&t, a, 0, alen, 0), ==, VG_GUARD_DROP_MATCH);

    /* Without ACK (dropped by an established Linux), and urgent data (the
     * urgent byte leaves the stream): not judged, not passed. */
    tcp_open(&t, g, 45003, 0);
    t.s.flags = 0x08;
    g_assert_cmpint(tcp_send(&t, b, 0, blen, 0), ==, VG_GUARD_DROP_NORMALISE);
    t.s.flags = 0x38;
    g_assert_cmpint(tcp_send(&t, b, 0, blen, 0), ==, VG_GUARD_DROP_NORMALISE);
    t.s.flags = 0x18;
    g_assert_cmpint(tcp_send(&t, a, 0, alen, 0), ==, VG_GUARD_DROP_MATCH);

    /* A segment starting before the stream over a clean connection: its
     * bytes are compared from the start, and differ. */
    tcp_open(&t, g, 45004, 0);
    g_assert_cmpint(tcp_send(&t, b, 0, blen, 0), ==, VG_GUARD_PASS);
    junk[0] = 'J';
    memcpy(junk + 1, a, alen);
    t.s.seq = t.isn;                            /* one byte early */
    g_assert_cmpint(send(g, &t.s, junk, alen + 1, 0), ==,
                    VG_GUARD_DROP_NORMALISE);
    /* Once the guest acknowledged the judged prefix, it is final. */
    guest_ack(&t, blen);
    g_assert_cmpint(tcp_send(&t, a, 0, alen, 0), ==, VG_GUARD_PASS);

    /* A bad IPv4 header checksum: the guest drops it, so do we. */
    tcp_open(&t, g, 45005, 0);
    t.s.bad_ip_csum = true;
    g_assert_cmpint(tcp_send(&t, b, 0, blen, 0), ==, VG_GUARD_DROP_NORMALISE);
    t.s.bad_ip_csum = false;

    /* No data on a SYN (fast open would make it stream). */
    t.s = (Shape) { .version = 4, .proto = 6, .sport = 45006,
                    .dport = LOGIN_PORT, .flags = 0x02, .seq = 1 };
    g_assert_cmpint(send(g, &t.s, a, alen, 0), ==, VG_GUARD_DROP_NORMALISE);
    vg_guard_free(g);
    vg_filter_set_free(set);
}

/* A filter on the length holds on a prefix inside one long segment. */
static void test_len_inside_segment(void)
{
    static const char *const texts[] = {
        "program p\nscope tcp 5006\n"
        "require be16[0] + 2 == len && u8[2] == 'X'\n",
        NULL,
    };
    VgFilterSet *set = set_of(texts);
    VgGuard *g = vg_guard_new(set, NULL, NULL);
    static const char msg[] = "\x00\x03XYZ+extra";
    Tcp t;

    tcp_open(&t, g, 46001, 0);
    g_assert_cmpint(tcp_send(&t, msg, 0, sizeof(msg) - 1, 0), ==,
                    VG_GUARD_DROP_MATCH);
    vg_guard_free(g);
    vg_filter_set_free(set);
}

/* A budget on kept bytes: past it, segments wait (dropped, resent). */
static void test_budget(void)
{
    VgFilterSet *set = fig1_and_login();
    VgGuardLimits lim = { .max_connections = 100,
                          .idle_timeout_us = 600 * G_USEC_PER_SEC,
                          .max_buffered = 50 };
    VgGuard *g = vg_guard_new(set, NULL, &lim);
    Tcp t1, t2;

    tcp_open(&t1, g, 47001, 0);
    tcp_open(&t2, g, 47002, 0);
    g_assert_cmpint(tcp_send(&t1, LOGIN_ATTACK, 0, 30, 0), ==,
                    VG_GUARD_PASS);
    g_assert_cmpint(tcp_send(&t2, LOGIN_ATTACK, 0, 30, 0), ==,
                    VG_GUARD_DROP_FULL);
    g_assert_cmpint(tcp_send(&t1, LOGIN_ATTACK, 30, 12, 0), ==,
                    VG_GUARD_DROP_MATCH);
    g_assert_cmpint(tcp_send(&t2, LOGIN_ATTACK, 0, 30, 0), ==,
                    VG_GUARD_PASS);
    vg_guard_free(g);
    vg_filter_set_free(set);
}

/* Filters that read len on a stream decide when enough has come. */
static void test_stream_len(void)
{
    static const char *const texts[] = {
        "program p\nscope tcp 5006\nrequire len > 100 && u8[0] == 'X'\n",
        NULL,
    };
    VgFilterSet *set = set_of(texts);
    VgGuard *g = vg_guard_new(set, NULL, NULL);
    char data[200];
    Tcp t;

    memset(data, 'X', sizeof(data));
    tcp_open(&t, g, 43001, 0);
    g_assert_cmpint(tcp_send(&t, data, 0, 100, 0), ==, VG_GUARD_PASS);
    g_assert_cmpint(tcp_send(&t, data, 100, 1, 0), ==, VG_GUARD_DROP_MATCH);
    data[0] = 'Y';
    tcp_open(&t, g, 43002, 0);
    g_assert_cmpint(tcp_send(&t, data, 0, 200, 0), ==, VG_GUARD_PASS);
    vg_guard_free(g);
    vg_filter_set_free(set);
}

/* Many benign messages: not one dropped. */
static void test_benign(void)
{
    VgFilterSet *set = fig1_and_login();
    VgGuard *g = vg_guard_new(set, NULL, NULL);
    GRand *r = g_rand_new_with_seed(4242);
    VgGuardStats st;

    for (int i = 0; i < 5000; i++) {
        Shape s = { .version = i % 2 ? 6 : 4, .proto = 17, .sport = 1024 + i,
                    .dport = FIG1_PORT };
        char msg[64];
        size_t n = g_rand_int_range(r, 1, sizeof(msg));
        Tcp t;

        for (size_t k = 0; k < n; k++) {
            msg[k] = g_rand_int_range(r, 0x20, 0x7f);
        }
        g_assert_cmpint(send(g, &s, msg, n, i), ==, VG_GUARD_PASS);
        tcp_open(&t, g, 10000 + i, i);
        g_assert_cmpint(tcp_send(&t, LOGIN_BENIGN, 0, 5, i), ==,
                        VG_GUARD_PASS);
        g_assert_cmpint(tcp_send(&t, LOGIN_BENIGN, 5,
                                 strlen(LOGIN_BENIGN) - 5, i), ==,
                        VG_GUARD_PASS);
    }
    vg_guard_stats(g, &st);
    for (int v = VG_GUARD_DROP_MATCH; v <= VG_GUARD_DROP_FULL; v++) {
        g_assert_cmpuint(st.drops[v], ==, 0);
    }
    g_rand_free(r);
    vg_guard_free(g);
    vg_filter_set_free(set);
}

/* Truncated and garbled frames never crash the parser or the guard. */
static void test_garbage(void)
{
    VgFilterSet *set = fig1_and_login();
    VgGuard *g = vg_guard_new(set, NULL, NULL);
    GRand *r = g_rand_new_with_seed(77);
    Shape s = { .version = 4, .proto = 6, .sport = 5, .dport = LOGIN_PORT,
                .flags = 0x02 };
    g_autoptr(GByteArray) base = frame(&s, LOGIN_ATTACK, 20);

    for (int i = 0; i < 50000; i++) {
        g_autoptr(GByteArray) f = g_byte_array_new();
        size_t n = g_rand_int_range(r, 0, base->len + 1);

        g_byte_array_append(f, base->data, n);
        for (int k = 0; k < 3 && n; k++) {
            f->data[g_rand_int_range(r, 0, n)] = g_rand_int(r);
        }
        vg_guard_frame(g, f->data, f->len, i % 3 ? 0 : 12, i, NULL);
        /* a taken-over guest sends garbage too, counted or not */
        vg_guard_guest_frame(g, f->data, f->len, i % 3 ? 0 : 12);
    }
    g_rand_free(r);
    vg_guard_free(g);
    vg_filter_set_free(set);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/guard/udp", test_udp);
    g_test_add_func("/guard/udp-counts", test_udp_counts);
    g_test_add_func("/guard/fragments", test_fragments);
    g_test_add_func("/guard/tcp", test_tcp);
    g_test_add_func("/guard/limits", test_limits);
    g_test_add_func("/guard/reset", test_reset);
    g_test_add_func("/guard/evasions", test_evasions);
    g_test_add_func("/guard/len-inside-segment", test_len_inside_segment);
    g_test_add_func("/guard/budget", test_budget);
    g_test_add_func("/guard/scope", test_scope);
    g_test_add_func("/guard/stream-len", test_stream_len);
    g_test_add_func("/guard/benign", test_benign);
    g_test_add_func("/guard/garbage", test_garbage);
    return g_test_run();
}
