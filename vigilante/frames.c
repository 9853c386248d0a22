/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Frame parsing for SCA generation (frames.h).  Bounds are checked
 * against both the frame and the IP total length; trailing Ethernet
 * padding is not payload.
 */
#include "frames.h"

static uint16_t be16(const uint8_t *p)
{
    return p[0] << 8 | p[1];
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

bool vigilante_frame_parse(const uint8_t *f, size_t len,
                           VigilanteFrameInfo *out)
{
    const uint8_t *ip;
    size_t ihl, total, l4, hdr;

    if (len < 14 + 20 || be16(f + 12) != 0x0800) {
        return false;
    }
    ip = f + 14;
    ihl = (ip[0] & 0x0f) * 4;
    total = be16(ip + 2);
    if ((ip[0] >> 4) != 4 || ihl < 20 || total < ihl ||
        14 + total > len || (be16(ip + 6) & 0x3fff) != 0) {
        return false;               /* not IPv4, bad lengths, fragment */
    }
    out->transport = ip[9];
    out->src_ip = be32(ip + 12);
    out->dst_ip = be32(ip + 16);
    l4 = 14 + ihl;
    switch (out->transport) {
    case 17:
        hdr = 8;
        if (total < ihl + hdr) {
            return false;
        }
        out->seq = 0;
        out->tcp_flags = 0;
        break;
    case 6:
        if (total < ihl + 20) {
            return false;
        }
        hdr = (f[l4 + 12] >> 4) * 4;
        if (hdr < 20 || total < ihl + hdr) {
            return false;
        }
        out->seq = be32(f + l4 + 4);
        out->tcp_flags = f[l4 + 13];
        break;
    default:
        return false;
    }
    out->src_port = be16(f + l4);
    out->dst_port = be16(f + l4 + 2);
    out->payload_offset = l4 + hdr;
    out->payload_len = 14 + total - out->payload_offset;
    return true;
}
