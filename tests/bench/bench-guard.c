/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bench-guard [FRAMES]: the NIC guard's cost per guest-bound frame, on
 * this machine, without a VM: frames to a port no filter covers, UDP
 * datagrams to a protected port (judged whole by its filter), and the
 * segments of TCP connections to a protected port (SYN, the guest's
 * SYN-ACK, the judged prefix, then bulk data of a clean connection;
 * every frame must pass), with 1 and with 1,000
 * filters for that port.  Prints nanoseconds per frame; the target is
 * below 1,000 (docs/benchmarks.md).  Not a test.
 */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filter-text.h"
#include "guard.h"
#include "packet.h"

static size_t udp_frame(uint8_t *f, uint16_t dport, const char *data,
                        size_t n)
{
    uint32_t sum = 0;
    uint16_t c;
    uint8_t *ip = f + 14, *u = ip + 20;

    memset(f, 0, 42);
    memcpy(f, "\x52\x54\x00\x12\x34\x56\x52\x55\x0a\x00\x02\x02", 12);
    f[12] = 0x08;
    ip[0] = 0x45;
    ip[2] = (20 + 8 + n) >> 8;
    ip[3] = 20 + 8 + n;
    ip[8] = 64;
    ip[9] = 17;
    memcpy(ip + 12, "\x0a\x00\x02\x02\x0a\x00\x02\x0f", 8);
    {
        uint16_t hc = vg_inet_checksum(ip, 20, 0);

        ip[10] = hc >> 8;
        ip[11] = hc;
    }
    u[0] = 0x9c;
    u[1] = 0x40;
    u[2] = dport >> 8;
    u[3] = dport;
    u[4] = (8 + n) >> 8;
    u[5] = 8 + n;
    memcpy(u + 8, data, n);
    for (int i = 0; i < 8; i += 2) {
        sum += ip[12 + i] << 8 | ip[13 + i];
    }
    sum += 17 + 8 + n;
    c = vg_inet_checksum(u, 8 + n, sum);
    u[6] = c >> 8;
    u[7] = c;
    return 42 + n;
}

/* A TCP frame to the guest, or (@ack nonzero) the guest's SYN-ACK. */
static size_t tcp_frame_ack(uint8_t *f, uint16_t sport, uint16_t dport,
                            uint32_t seq, uint32_t ack, uint8_t flags,
                            const char *data, size_t n)
{
    uint32_t sum = 0;
    uint16_t c;
    uint8_t *ip = f + 14, *t = ip + 20;

    memset(f, 0, 54);
    memcpy(f, "\x52\x54\x00\x12\x34\x56\x52\x55\x0a\x00\x02\x02", 12);
    f[12] = 0x08;
    ip[0] = 0x45;
    ip[2] = (40 + n) >> 8;
    ip[3] = 40 + n;
    ip[8] = 64;
    ip[9] = 6;
    memcpy(ip + 12, ack ? "\x0a\x00\x02\x0f\x0a\x00\x02\x02"
                        : "\x0a\x00\x02\x02\x0a\x00\x02\x0f", 8);
    {
        uint16_t hc = vg_inet_checksum(ip, 20, 0);

        ip[10] = hc >> 8;
        ip[11] = hc;
    }
    t[8] = ack >> 24;
    t[9] = ack >> 16;
    t[10] = ack >> 8;
    t[11] = ack;
    t[0] = sport >> 8;
    t[1] = sport;
    t[2] = dport >> 8;
    t[3] = dport;
    t[4] = seq >> 24;
    t[5] = seq >> 16;
    t[6] = seq >> 8;
    t[7] = seq;
    t[12] = 0x50;
    t[13] = flags;
    t[14] = 0xff;
    t[15] = 0xff;
    memcpy(t + 20, data, n);
    for (int i = 0; i < 8; i += 2) {
        sum += ip[12 + i] << 8 | ip[13 + i];
    }
    sum += 6 + 20 + n;
    c = vg_inet_checksum(t, 20 + n, sum);
    t[16] = c >> 8;
    t[17] = c;
    return 54 + n;
}

static size_t tcp_frame(uint8_t *f, uint16_t sport, uint16_t dport,
                        uint32_t seq, uint8_t flags, const char *data,
                        size_t n)
{
    return tcp_frame_ack(f, sport, dport, seq, 0, flags, data, n);
}

/* @nfilters filters for tcp and udp 5003, none matching the traffic. */
static VgFilterSet *filters(int nfilters)
{
    VgFilterSet *set = vg_filter_set_new();

    for (int i = 0; i < nfilters; i++) {
        for (int udp = 0; udp < 2; udp++) {
            g_autofree char *text = g_strdup_printf(
                "program bench\nscope %s 5003\n"
                "require be32[0] == %u && u8[%d] != 10\n",
                udp ? "udp" : "tcp", 0xf0000000u + i, 4 + i % 60);
            g_autofree char *id = g_strdup_printf("%s%d", udp ? "u" : "t",
                                                  i);
            g_autoptr(GError) err = NULL;
            VfFilter *f = vf_compile(text, &err);

            if (!f || !vg_filter_set_add(set, id, f, &err)) {
                fprintf(stderr, "bench-guard: %s\n", err->message);
                exit(1);
            }
        }
    }
    return set;
}

typedef enum { UNPROTECTED, UDP_PROTECTED, TCP_PROTECTED } Kind;

#define SEGMENTS 100

/* Frames built beforehand: only the guard is timed. */
typedef struct {
    uint8_t *data[2][SEGMENTS + 1];
    size_t len[2][SEGMENTS + 1];
    uint8_t synack[2][64];      /* the guest's answers to the SYNs */
    size_t synack_len[2];
} Frames;

static void build(Frames *fr, Kind kind)
{
    char data[1460];

    memset(data, 'x', sizeof(data));
    for (int c = 0; c < 2; c++) {
        for (int k = 0; k <= SEGMENTS; k++) {
            uint32_t isn = c ? 5000000 : 1000;

            fr->data[c][k] = g_malloc(2048);
            if (kind == UNPROTECTED) {
                fr->len[c][k] = udp_frame(fr->data[c][k], 53, data, 64);
            } else if (kind == UDP_PROTECTED) {
                fr->len[c][k] = udp_frame(fr->data[c][k], 5003, data, 64);
            } else if (k == 0) {
                fr->len[c][k] = tcp_frame(fr->data[c][k], 40000, 5003, isn,
                                          0x02, NULL, 0);
                /* from the guest: ports the other way round */
                fr->synack_len[c] = tcp_frame_ack(fr->synack[c], 5003,
                                                  40000, 777, isn + 1, 0x12,
                                                  NULL, 0);
            } else {
                fr->len[c][k] = tcp_frame(fr->data[c][k], 40000, 5003,
                                          isn + 1 + (k - 1) * 1460, 0x18,
                                          data, 1460);
            }
        }
    }
}

/*
 * TCP: a connection is a SYN and 100 full segments; the next one comes
 * on the same ports with another ISN, which starts it over.
 */
static double ns_per_frame(int nfilters, Kind kind, long frames)
{
    VgFilterSet *set = filters(nfilters);
    VgGuard *g = vg_guard_new(set, NULL, NULL);
    Frames fr;
    gint64 t0;
    long sent = 0;
    double ns;

    build(&fr, kind);
    t0 = g_get_monotonic_time();
    for (int c = 0; sent < frames; c ^= 1) {
        for (int k = 0; k <= SEGMENTS && sent < frames; k++, sent++) {
            if (vg_guard_frame(g, fr.data[c][k], fr.len[c][k], 0, sent,
                               NULL) != VG_GUARD_PASS) {
                fprintf(stderr, "bench-guard: frame %d dropped\n", k);
                exit(1);
            }
            if (kind == TCP_PROTECTED && k == 0) {
                vg_guard_guest_frame(g, fr.synack[c], fr.synack_len[c], 0);
            }
        }
    }
    ns = (g_get_monotonic_time() - t0) * 1000.0 / frames;
    for (int c = 0; c < 2; c++) {
        for (int k = 0; k <= SEGMENTS; k++) {
            g_free(fr.data[c][k]);
        }
    }
    vg_guard_free(g);
    vg_filter_set_free(set);
    return ns;
}

int main(int argc, char **argv)
{
    long frames = argc > 1 ? atol(argv[1]) : 2000000;
    static const char *const names[] = {
        "unprotected port (udp 53)", "protected udp port, 64-byte datagrams",
        "protected tcp port, 1460-byte segments",
    };

    if (frames <= 0) {
        fprintf(stderr, "usage: bench-guard [FRAMES]\n");
        return 2;
    }
    printf("NIC guard, ns per guest-bound frame (%ld frames each; target "
           "< 1000 ns)\n", frames);
    printf("%-42s %12s %12s\n", "traffic", "1 filter", "1000 filters");
    for (int k = 0; k < 3; k++) {
        printf("%-42s %12.0f %12.0f\n", names[k],
               ns_per_frame(1, k, frames), ns_per_frame(1000, k, frames));
    }
    return 0;
}
