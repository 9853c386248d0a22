/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Flows from packet captures (lib/capture.c), on captures written here
 * with libpcap (and one pcapng file by hand): TCP reordered, retransmitted with other bytes, with a
 * hole, started before the capture, across the sequence wrap, a port
 * reused; UDP; the link types that carry IP and one that does not; a
 * truncated file, a BPF filter, malformed and fragmented packets.
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <pcap/pcap.h>
#include <string.h>

#include "capture.h"
#include "packet.h"

#define SERVER_PORT 5002
#define UDP_PORT    5001

static char *work;

typedef struct {
    pcap_t *dead;
    pcap_dumper_t *d;
    int linktype;
    char *path;
    guint n;
} Cap;

static Cap *cap_new(int linktype)
{
    Cap *c = g_new0(Cap, 1);
    static guint count;

    c->linktype = linktype;
    c->dead = pcap_open_dead(linktype, 65535);
    c->path = g_strdup_printf("%s/cap-%u.pcap", work, ++count);
    c->d = pcap_dump_open(c->dead, c->path);
    g_assert_nonnull(c->d);
    return c;
}

/* Close the file; its path stays for the caller. */
static char *cap_close(Cap *c)
{
    char *path = c->path;

    pcap_dump_close(c->d);
    pcap_close(c->dead);
    g_free(c);
    return path;
}

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

/*
 * An IPv4 packet from 10.0.0.@src:@sport to 10.0.0.@dst:@dport: TCP
 * (@flags, @seq) when @tcp, else UDP; @frag_off for a fragment.
 */
static GByteArray *ip_packet(bool tcp, uint8_t src, uint16_t sport,
                             uint8_t dst, uint16_t dport, uint8_t flags,
                             uint32_t seq, const char *payload,
                             uint16_t frag_off)
{
    GByteArray *b = g_byte_array_new();
    size_t plen = strlen(payload), l4 = tcp ? 20 : 8;
    uint8_t h[40] = { 0 };

    h[0] = 0x45;
    put16(h + 2, 20 + l4 + plen);
    put16(h + 6, frag_off);
    h[8] = 64;
    h[9] = tcp ? 6 : 17;
    h[12] = 10, h[15] = src;
    h[16] = 10, h[19] = dst;
    put16(h + 10, vg_inet_checksum(h, 20, 0));
    put16(h + 20, sport);
    put16(h + 22, dport);
    if (tcp) {
        put32(h + 24, seq);
        h[32] = 5 << 4;
        h[33] = flags;
        put16(h + 34, 65535);
    } else {
        put16(h + 24, 8 + plen);
    }
    g_byte_array_append(b, h, 20 + l4);
    g_byte_array_append(b, (const uint8_t *)payload, plen);
    return b;
}

/* Write @ip as a frame of the capture's link type. */
static void cap_put_ip(Cap *c, GByteArray *ip)
{
    g_autoptr(GByteArray) f = g_byte_array_new();
    struct pcap_pkthdr h = { .ts = { .tv_sec = 1000 + c->n++ } };
    uint8_t hdr[20] = { 0 };

    switch (c->linktype) {
    case DLT_EN10MB:
        hdr[12] = 0x08;
        g_byte_array_append(f, hdr, 14);
        break;
    case DLT_LINUX_SLL2:
        put16(hdr, 0x0800);
        g_byte_array_append(f, hdr, 20);
        break;
    case DLT_NULL:
        hdr[0] = 2;             /* AF_INET, little-endian */
        g_byte_array_append(f, hdr, 4);
        break;
    default:
        break;
    }
    g_byte_array_append(f, ip->data, ip->len);
    h.caplen = h.len = f->len;
    pcap_dump((u_char *)c->d, &h, f->data);
    g_byte_array_unref(ip);
}

static void tcp(Cap *c, uint16_t sport, uint8_t flags, uint32_t seq,
                const char *payload)
{
    cap_put_ip(c, ip_packet(true, 1, sport, 2, SERVER_PORT, flags, seq,
                            payload, 0));
}

static void tcp_reply(Cap *c, uint16_t cport, const char *payload)
{
    cap_put_ip(c, ip_packet(true, 2, SERVER_PORT, 1, cport, 0x18, 7,
                            payload, 0));
}

static void udp(Cap *c, uint16_t sport, uint16_t dport, const char *payload)
{
    cap_put_ip(c, ip_packet(false, 1, sport, 2, dport, 0, 0, payload, 0));
}

static VgProfile *profile(void)
{
    VgProfile *p = g_new0(VgProfile, 1);
    VgProfilePort ports[] = { { "udp", UDP_PORT }, { "tcp", SERVER_PORT } };

    p->name = g_strdup("test");
    p->ports = g_array_new(FALSE, FALSE, sizeof(VgProfilePort));
    g_array_append_vals(p->ports, ports, G_N_ELEMENTS(ports));
    return p;
}

static void profile_free(VgProfile *p)
{
    g_array_unref(p->ports);
    g_free(p->name);
    g_free(p);
}

static VgCapture *read_ok(const char *path, const char *bpf,
                          const VgPortMap *map, guint nmap)
{
    g_autoptr(GError) err = NULL;
    VgProfile *p = profile();
    VgCapture *c = vg_capture_read(path, bpf, p, map, nmap, &err);

    g_assert_no_error(err);
    g_assert_nonnull(c);
    profile_free(p);
    return c;
}

static VgCaptureFlow *flow(VgCapture *c, guint i)
{
    g_assert_cmpuint(i, <, c->flows->len);
    return c->flows->pdata[i];
}

/* Message @i of @f is @text. */
static void assert_message(VgCaptureFlow *f, guint i, const char *text)
{
    size_t len;
    const char *d;

    g_assert_cmpuint(i, <, f->messages->len);
    d = g_bytes_get_data(f->messages->pdata[i], &len);
    g_assert_cmpmem(d, len, text, strlen(text));
}

static void test_udp(void)
{
    Cap *c = cap_new(DLT_EN10MB);
    VgPortMap map = { 40000, UDP_PORT };
    g_autofree char *path = NULL;
    g_autoptr(VgCapture) cap = NULL;

    udp(c, 1111, UDP_PORT, "one");
    udp(c, 2222, UDP_PORT, "other client");
    udp(c, 1111, UDP_PORT, "two");
    udp(c, 1111, 9999, "not for the profile");
    udp(c, 3333, 40000, "through the map");
    cap_put_ip(c, ip_packet(false, 2, UDP_PORT, 1, 1111, 0, 0, "reply", 0));
    path = cap_close(c);

    cap = read_ok(path, NULL, &map, 1);
    g_assert_cmpuint(cap->packets, ==, 6);
    g_assert_cmpuint(cap->other_ports, ==, 1);
    g_assert_cmpuint(cap->flows->len, ==, 3);
    g_assert_cmpstr(flow(cap, 0)->client, ==, "10.0.0.1:1111");
    g_assert_cmpstr(flow(cap, 0)->server, ==, "10.0.0.2:5001");
    g_assert_cmpuint(flow(cap, 0)->messages->len, ==, 2);
    assert_message(flow(cap, 0), 0, "one");
    assert_message(flow(cap, 0), 1, "two");
    g_assert_cmpuint(flow(cap, 0)->server_bytes, ==, 5);
    g_assert_cmpuint(flow(cap, 0)->packets, ==, 3);
    assert_message(flow(cap, 1), 0, "other client");
    assert_message(flow(cap, 2), 0, "through the map");
    g_assert_cmpuint(flow(cap, 2)->port, ==, UDP_PORT);
    g_assert_cmpuint(flow(cap, 2)->first_packet, ==, 5);
    /* The digest is of the bytes as replayed. */
    {
        g_autofree char *want = g_compute_checksum_for_string(
            G_CHECKSUM_SHA256, "onetwo", -1);

        g_assert_cmpstr(flow(cap, 0)->sha256, ==, want);
    }
}

/* One pcapng block: type, total length, @body padded to 4, length. */
static void ng_block(GByteArray *f, uint32_t type, const void *body,
                     size_t n)
{
    uint32_t len = 12 + ((n + 3) & ~3u);
    static const uint8_t pad[3];

    g_byte_array_append(f, (uint8_t *)&type, 4);
    g_byte_array_append(f, (uint8_t *)&len, 4);
    g_byte_array_append(f, body, n);
    g_byte_array_append(f, pad, (4 - n % 4) % 4);
    g_byte_array_append(f, (uint8_t *)&len, 4);
}

/*
 * pcapng (Wireshark's default, written here block by block in host
 * order as a capturing host would): read like pcap.
 */
static void test_pcapng(void)
{
    g_autoptr(GByteArray) f = g_byte_array_new();
    g_autofree char *path = g_build_filename(work, "cap.pcapng", NULL);
    g_autoptr(VgCapture) cap = NULL;
    /* byte-order magic, version 1.0 (little-endian), no section length */
    const uint32_t shb[4] = { 0x1a2b3c4d, 1, 0xffffffff, 0xffffffff };
    const uint32_t idb[2] = { DLT_EN10MB, 65535 };
    const char *words[] = { "first", "second" };

    ng_block(f, 0x0a0d0d0a, shb, sizeof(shb));
    ng_block(f, 1, idb, sizeof(idb));
    for (int i = 0; i < 2; i++) {
        g_autoptr(GByteArray) ip = ip_packet(false, 1, 1111, 2, UDP_PORT, 0,
                                             0, words[i], 0);
        g_autoptr(GByteArray) epb = g_byte_array_new();
        uint32_t head[5] = { 0, 0, 1000 + i, 14 + ip->len, 14 + ip->len };
        uint8_t eth[14] = { [12] = 0x08 };

        g_byte_array_append(epb, (uint8_t *)head, sizeof(head));
        g_byte_array_append(epb, eth, sizeof(eth));
        g_byte_array_append(epb, ip->data, ip->len);
        ng_block(f, 6, epb->data, epb->len);
    }
    g_assert_true(g_file_set_contents(path, (char *)f->data, f->len, NULL));

    cap = read_ok(path, NULL, NULL, 0);
    g_assert_cmpuint(cap->packets, ==, 2);
    g_assert_cmpuint(cap->flows->len, ==, 1);
    assert_message(flow(cap, 0), 0, "first");
    assert_message(flow(cap, 0), 1, "second");
}

/* Reordered, retransmitted (once with other bytes: the first win). */
static void test_tcp_reordered(void)
{
    Cap *c = cap_new(DLT_EN10MB);
    g_autofree char *path = NULL;
    g_autoptr(VgCapture) cap = NULL;
    VgCaptureFlow *f;

    tcp(c, 4000, 0x02, 100, "");
    tcp_reply(c, 4000, "");
    tcp(c, 4000, 0x18, 101, "AAAA");
    tcp(c, 4000, 0x18, 109, "CCCC");
    tcp(c, 4000, 0x18, 105, "BBBB");
    tcp(c, 4000, 0x18, 101, "AAAA");
    tcp(c, 4000, 0x18, 107, "XXYY");    /* overlaps B and C: other bytes */
    tcp_reply(c, 4000, "hello");
    tcp(c, 4000, 0x11, 113, "");
    path = cap_close(c);

    cap = read_ok(path, NULL, NULL, 0);
    g_assert_cmpuint(cap->flows->len, ==, 1);
    f = flow(cap, 0);
    g_assert_true(f->start_seen);
    g_assert_cmpuint(f->messages->len, ==, 1);
    assert_message(f, 0, "AAAABBBBCCCC");
    g_assert_cmpuint(f->retransmitted, ==, 2);
    g_assert_cmpuint(f->conflicting, ==, 1);
    g_assert_false(f->gap);
    g_assert_cmpuint(f->server_bytes, ==, 5);
    g_assert_cmpuint(f->client_bytes, ==, 20);
}

/* A hole: the stream stops where a receiver would have waited. */
static void test_tcp_gap(void)
{
    Cap *c = cap_new(DLT_EN10MB);
    g_autofree char *path = NULL;
    g_autoptr(VgCapture) cap = NULL;

    tcp(c, 4001, 0x02, 0, "");
    tcp(c, 4001, 0x18, 1, "head");
    tcp(c, 4001, 0x18, 9, "tail");
    path = cap_close(c);

    cap = read_ok(path, NULL, NULL, 0);
    g_assert_true(flow(cap, 0)->gap);
    g_assert_cmpuint(flow(cap, 0)->gap_at, ==, 4);
    assert_message(flow(cap, 0), 0, "head");
}

/* No SYN (the capture began later), first segments reordered. */
static void test_tcp_midstream(void)
{
    Cap *c = cap_new(DLT_EN10MB);
    g_autofree char *path = NULL;
    g_autoptr(VgCapture) cap = NULL;

    tcp(c, 4002, 0x18, 5004, "def");
    tcp(c, 4002, 0x18, 5001, "abc");
    path = cap_close(c);

    cap = read_ok(path, NULL, NULL, 0);
    g_assert_false(flow(cap, 0)->start_seen);
    assert_message(flow(cap, 0), 0, "abcdef");
}

/* Sequence numbers that wrap inside the stream. */
static void test_tcp_wrap(void)
{
    Cap *c = cap_new(DLT_EN10MB);
    g_autofree char *path = NULL;
    g_autoptr(VgCapture) cap = NULL;

    tcp(c, 4003, 0x02, 0xfffffffd, "");
    tcp(c, 4003, 0x18, 0x00000001, "wxyz");     /* after the wrap, first */
    tcp(c, 4003, 0x18, 0xfffffffe, "abc");
    path = cap_close(c);

    cap = read_ok(path, NULL, NULL, 0);
    g_assert_false(flow(cap, 0)->gap);
    assert_message(flow(cap, 0), 0, "abcwxyz");
}

/* The same ports again after a FIN: a new connection, a new flow. */
static void test_port_reuse(void)
{
    Cap *c = cap_new(DLT_EN10MB);
    g_autofree char *path = NULL;
    g_autoptr(VgCapture) cap = NULL;

    tcp(c, 4004, 0x02, 10, "");
    tcp(c, 4004, 0x18, 11, "first");
    tcp(c, 4004, 0x11, 16, "");
    tcp(c, 4004, 0x02, 90000, "");
    tcp(c, 4004, 0x18, 90001, "second");
    path = cap_close(c);

    cap = read_ok(path, NULL, NULL, 0);
    g_assert_cmpuint(cap->flows->len, ==, 2);
    assert_message(flow(cap, 0), 0, "first");
    assert_message(flow(cap, 1), 0, "second");
    g_assert_cmpuint(flow(cap, 1)->index, ==, 2);
}

/* Linux cooked v2, raw IP and BSD loopback read as Ethernet does. */
static void test_linktypes(void)
{
    int types[] = { DLT_LINUX_SLL2, DLT_RAW, DLT_NULL };

    for (guint i = 0; i < G_N_ELEMENTS(types); i++) {
        Cap *c = cap_new(types[i]);
        g_autofree char *path = NULL;
        g_autoptr(VgCapture) cap = NULL;

        udp(c, 1234, UDP_PORT, "datagram");
        tcp(c, 4005, 0x02, 1, "");
        tcp(c, 4005, 0x18, 2, "stream");
        path = cap_close(c);
        cap = read_ok(path, NULL, NULL, 0);
        g_assert_cmpuint(cap->flows->len, ==, 2);
        assert_message(flow(cap, 0), 0, "datagram");
        assert_message(flow(cap, 1), 0, "stream");
    }
}

static void expect_error(const char *path, const char *bpf, int code,
                         const char *text)
{
    g_autoptr(GError) err = NULL;
    VgProfile *p = profile();
    VgCapture *c = vg_capture_read(path, bpf, p, NULL, 0, &err);

    g_assert_null(c);
    g_assert_error(err, VG_CAPTURE_ERROR, code);
    g_assert_nonnull(strstr(err->message, text));
    profile_free(p);
}

static void test_refused(void)
{
    Cap *c = cap_new(DLT_USB_LINUX);
    g_autofree char *usb = cap_close(c);
    g_autofree char *text = g_strdup_printf("%s/not-a-capture", work);
    g_autofree char *good = NULL;

    expect_error(usb, NULL, VG_CAPTURE_ERROR_LINKTYPE, "link type");
    g_assert_true(g_file_set_contents(text, "GET / HTTP/1.0\r\n\r\n", -1,
                                      NULL));
    expect_error(text, NULL, VG_CAPTURE_ERROR_OPEN, "not-a-capture");
    expect_error("/nonexistent.pcap", NULL, VG_CAPTURE_ERROR_OPEN,
                 "nonexistent");
    c = cap_new(DLT_EN10MB);
    udp(c, 1, UDP_PORT, "x");
    good = cap_close(c);
    expect_error(good, "port and and", VG_CAPTURE_ERROR_FILTER, "filter");
}

/* A file cut inside its last packet: the packets before it count. */
static void test_truncated(void)
{
    Cap *c = cap_new(DLT_EN10MB);
    g_autofree char *path = NULL;
    g_autoptr(VgCapture) cap = NULL;
    g_autofree char *data = NULL;
    gsize len;

    udp(c, 1111, UDP_PORT, "kept");
    udp(c, 2222, UDP_PORT, "cut short by the truncation");
    path = cap_close(c);
    g_assert_true(g_file_get_contents(path, &data, &len, NULL));
    g_assert_true(g_file_set_contents(path, data, len - 10, NULL));

    cap = read_ok(path, NULL, NULL, 0);
    g_assert_nonnull(cap->stopped);
    g_assert_nonnull(strstr(cap->stopped, "after packet 1"));
    g_assert_cmpuint(cap->flows->len, ==, 1);
    assert_message(flow(cap, 0), 0, "kept");
}

static void test_bpf(void)
{
    Cap *c = cap_new(DLT_EN10MB);
    g_autofree char *path = NULL;
    g_autoptr(VgCapture) cap = NULL;

    udp(c, 1111, UDP_PORT, "udp");
    tcp(c, 4006, 0x02, 1, "");
    tcp(c, 4006, 0x18, 2, "tcp");
    path = cap_close(c);

    cap = read_ok(path, "tcp", NULL, 0);
    g_assert_cmpuint(cap->packets, ==, 2);
    g_assert_cmpuint(cap->flows->len, ==, 1);
    assert_message(flow(cap, 0), 0, "tcp");
}

/* Lying lengths, fragments, other protocols: counted, never flows. */
static void test_malformed(void)
{
    Cap *c = cap_new(DLT_EN10MB);
    g_autofree char *path = NULL;
    g_autoptr(VgCapture) cap = NULL;
    GByteArray *ip;

    ip = ip_packet(false, 1, 1, 2, UDP_PORT, 0, 0, "short", 0);
    put16(ip->data + 2, 2000);          /* total length beyond the frame */
    cap_put_ip(c, ip);
    ip = ip_packet(false, 1, 1, 2, UDP_PORT, 0, 0, "frag", 0x2000);
    cap_put_ip(c, ip);                  /* more fragments */
    ip = ip_packet(false, 1, 1, 2, UDP_PORT, 0, 0, "icmp", 0);
    ip->data[9] = 1;
    put16(ip->data + 10, 0);
    put16(ip->data + 10, vg_inet_checksum(ip->data, 20, 0));
    cap_put_ip(c, ip);
    ip = ip_packet(false, 1, 1, 2, UDP_PORT, 0, 0, "tiny", 0);
    g_byte_array_set_size(ip, 10);      /* half an IP header */
    cap_put_ip(c, ip);
    path = cap_close(c);

    cap = read_ok(path, NULL, NULL, 0);
    g_assert_cmpuint(cap->packets, ==, 4);
    g_assert_cmpuint(cap->flows->len, ==, 0);
    g_assert_cmpuint(cap->fragments, ==, 1);
    g_assert_cmpuint(cap->malformed + cap->not_ip, ==, 3);
}

int main(int argc, char **argv)
{
    int rc;

    g_test_init(&argc, &argv, NULL);
    work = g_dir_make_tmp("vg-test-capture-XXXXXX", NULL);
    g_assert_nonnull(work);
    g_test_add_func("/capture/udp", test_udp);
    g_test_add_func("/capture/pcapng", test_pcapng);
    g_test_add_func("/capture/tcp-reordered", test_tcp_reordered);
    g_test_add_func("/capture/tcp-gap", test_tcp_gap);
    g_test_add_func("/capture/tcp-midstream", test_tcp_midstream);
    g_test_add_func("/capture/tcp-wrap", test_tcp_wrap);
    g_test_add_func("/capture/port-reuse", test_port_reuse);
    g_test_add_func("/capture/linktypes", test_linktypes);
    g_test_add_func("/capture/refused", test_refused);
    g_test_add_func("/capture/truncated", test_truncated);
    g_test_add_func("/capture/bpf", test_bpf);
    g_test_add_func("/capture/malformed", test_malformed);
    rc = g_test_run();
    {
        g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", work);

        if (system(cmd)) {
            g_test_message("could not remove %s", work);
        }
    }
    return rc;
}
