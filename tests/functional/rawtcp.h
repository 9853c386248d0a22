/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A TCP client made of hand-built frames, for tests that must send what
 * a kernel's TCP never would: segments out of order or one byte at a
 * time, retransmissions with other bytes, bad checksums, IPv4 fragments.
 * It speaks through an AF_PACKET socket on a tap device (so it needs
 * root and a network namespace of the test's own), or as the other end
 * of a -netdev socket,udp=... backend (frames as UDP datagrams), under
 * an address of its own, and answers the guest's ARP requests for it.
 */
#ifndef VG_RAWTCP_H
#define VG_RAWTCP_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct {
    int fd;
    int ifindex;                /* 0: fd is a UDP socket (socket backend) */
    uint8_t my_mac[6], guest_mac[6];
    uint8_t my_ip[4], guest_ip[4];
    uint16_t sport, dport;
    uint32_t isn;               /* ours */
    uint32_t irs;               /* the guest's */
    uint32_t rcv_next;          /* the guest's next byte */
    uint32_t snd_una;           /* what the guest has acknowledged */
    GString *rx;                /* the guest's bytes, in order */
    bool established, reset, fin;
} RawTcp;

typedef struct {
    bool bad_csum;              /* a wrong TCP checksum */
    unsigned fragment;          /* IPv4 fragments of this many bytes
                                 * (a multiple of 8), or 0 */
} RawSend;

/*
 * Open a connection from @my_ip:@sport to @guest_ip:@dport (guest MAC
 * @guest_mac) through tap @ifname.  False with *errp on timeout.
 */
bool raw_tcp_open(RawTcp *t, const char *ifname, const char *my_ip,
                  const char *guest_ip, const uint8_t guest_mac[6],
                  uint16_t sport, uint16_t dport, guint timeout_ms,
                  GError **errp);

/*
 * The same over QEMU's socket backend: frames go as UDP datagrams from
 * 127.0.0.1:@local_port to 127.0.0.1:@qemu_port (-netdev
 * socket,id=N,udp=127.0.0.1:LOCAL,localaddr=127.0.0.1:QEMU).
 */
bool raw_tcp_open_udp(RawTcp *t, uint16_t local_port, uint16_t qemu_port,
                      const char *my_ip, const char *guest_ip,
                      const uint8_t guest_mac[6], uint16_t sport,
                      uint16_t dport, guint timeout_ms, GError **errp);

/* Send stream bytes [@offset, @offset + @len) of @data, as told. */
void raw_tcp_send(RawTcp *t, const void *data, size_t offset, size_t len,
                  const RawSend *how);

/* Read frames for @ms, answering ARP and acknowledging the guest. */
void raw_tcp_pump(RawTcp *t, guint ms);

/* Pump until the guest's bytes hold @needle; false at @timeout_ms. */
bool raw_tcp_wait(RawTcp *t, const char *needle, guint timeout_ms);

/* Reset the connection (so a one-at-a-time server is free) and close. */
void raw_tcp_close(RawTcp *t);

#endif
