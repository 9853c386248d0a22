/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What a logged frame carries: Ethernet, IPv4, then a UDP datagram or a
 * TCP segment.  Enough to turn frames into the messages of an SCA.
 */
#ifndef VIGILANTE_FRAMES_H
#define VIGILANTE_FRAMES_H

#define VIGILANTE_TCP_SYN 0x02

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint8_t transport;          /* 6 TCP, 17 UDP */
    uint32_t src_ip, dst_ip;    /* host order */
    uint16_t src_port, dst_port;
    uint32_t seq;               /* TCP sequence number of the payload */
    uint8_t tcp_flags;          /* FIN 0x01, SYN 0x02, RST 0x04, ... */
    size_t payload_offset;      /* in the frame */
    size_t payload_len;
} VigilanteFrameInfo;

/* False for anything but an unfragmented IPv4 UDP or TCP frame. */
bool vigilante_frame_parse(const uint8_t *f, size_t len,
                           VigilanteFrameInfo *out);

#endif
