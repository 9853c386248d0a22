/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Guest-bound frames as the guest's network stack will read them, for
 * the NIC filters: Ethernet (up to two VLAN tags), IPv4 with options or
 * IPv6 with extension headers, fragments, then UDP or TCP with the
 * checksum checked.  Lengths come from the IP headers, not the frame, so
 * padding after the datagram is not payload.  Plain C, no QEMU types.
 */
#ifndef VIGILANTE_PACKET_H
#define VIGILANTE_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VG_TCP_FIN  0x01
#define VG_TCP_SYN  0x02
#define VG_TCP_RST  0x04
#define VG_TCP_ACK  0x10
#define VG_TCP_URG  0x20

typedef enum {
    VG_PACKET_OTHER,        /* not IP, or neither UDP nor TCP */
    VG_PACKET_MALFORMED,    /* IP or transport headers that do not fit */
    VG_PACKET_OK,
} VgPacketKind;

typedef struct {
    uint8_t ip_version;         /* 4 or 6 */
    uint8_t transport;          /* 6 TCP, 17 UDP */
    uint8_t src[16], dst[16];   /* IPv4 in the first 4 bytes */
    /*
     * Fragments: `fragment` for any piece of a fragmented datagram;
     * ports and payload are only there in the first (offset 0), and then
     * `ports_known` tells whether its transport header fits in it.
     */
    bool fragment;
    bool first_fragment;
    bool ports_known;
    uint16_t src_port, dst_port;
    uint32_t seq, ack;          /* TCP */
    uint8_t tcp_flags;          /* TCP */
    const uint8_t *payload;
    size_t payload_len;
    /* For vg_packet_csum_ok(): */
    bool csum_offloaded;
    const uint8_t *l4;
    size_t l4_len;
} VgPacket;

/*
 * Parse a frame; @vnet_hdr_len bytes of virtio-net header come first
 * (0 for none).
 */
VgPacketKind vg_packet_parse(const uint8_t *frame, size_t len,
                             size_t vnet_hdr_len, VgPacket *p);

/*
 * A TCP RST to the guest in the connection of the TCP frame @frame (the
 * same Ethernet and IP addresses and ports), with sequence number @seq,
 * written to @out (at least VG_RST_FRAME_MAX bytes); its length, or 0
 * when @frame is not a TCP frame.  A vnet header, if any, is zeroed.
 */
#define VG_RST_FRAME_MAX (64 + 14 + 8 + 40 + 20)
size_t vg_packet_build_rst(const uint8_t *frame, size_t len,
                           size_t vnet_hdr_len, uint32_t seq, uint8_t *out);

/*
 * Is the transport checksum right, or left to offload (a vnet header that
 * says the host computes or has checked it), or absent (IPv4 UDP with
 * checksum 0)?  Fragments are not checked (the checksum covers the whole
 * datagram).  Computed on demand: it reads every byte.
 */
bool vg_packet_csum_ok(const VgPacket *p);

/* The Internet checksum of @len bytes, folded, starting from @sum. */
uint16_t vg_inet_checksum(const uint8_t *p, size_t len, uint32_t sum);

#endif
