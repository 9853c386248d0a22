/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Parsing guest-bound frames for the NIC filters (see packet.h). */
#include "packet.h"

#include <string.h>

#define ETH_HLEN            14
#define ETHERTYPE_IPV4      0x0800
#define ETHERTYPE_IPV6      0x86dd
#define ETHERTYPE_VLAN      0x8100
#define ETHERTYPE_QINQ      0x88a8
#define MAX_VLAN_TAGS       2
#define MAX_IPV6_EXT        8       /* extension headers walked */

/* virtio_net_hdr.flags */
#define VNET_NEEDS_CSUM     1
#define VNET_DATA_VALID     2

static uint16_t be16(const uint8_t *p)
{
    return p[0] << 8 | p[1];
}

static void put_be16(uint8_t *p, uint16_t v)
{
    p[0] = v >> 8;
    p[1] = v;
}

static void put_be32(uint8_t *p, uint32_t v)
{
    put_be16(p, v >> 16);
    put_be16(p + 2, v);
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

static uint32_t sum_words(const uint8_t *p, size_t len, uint32_t sum)
{
    size_t i;

    for (i = 0; i + 1 < len; i += 2) {
        sum += be16(p + i);
    }
    if (i < len) {
        sum += p[i] << 8;
    }
    return sum;
}

uint16_t vg_inet_checksum(const uint8_t *p, size_t len, uint32_t sum)
{
    uint64_t s = sum_words(p, len, 0);

    s += sum;
    while (s >> 16) {
        s = (s & 0xffff) + (s >> 16);
    }
    return (uint16_t)~s;
}

/* The transport header and payload; fills ports, flags and payload. */
static VgPacketKind parse_transport(const uint8_t *t, size_t len,
                                    VgPacket *p)
{
    if (p->transport == 17) {
        if (len < 8) {
            return VG_PACKET_MALFORMED;
        }
        p->src_port = be16(t);
        p->dst_port = be16(t + 2);
        p->ports_known = true;
        if (p->fragment) {
            return VG_PACKET_OK;    /* UDP length covers all fragments */
        }
        if (be16(t + 4) < 8 || be16(t + 4) > len) {
            return VG_PACKET_MALFORMED;
        }
        len = be16(t + 4);          /* the guest reads no further */
        p->payload = t + 8;
        p->payload_len = len - 8;
        return VG_PACKET_OK;
    }
    if (len < 20) {
        if (p->fragment && len >= 4) {
            p->src_port = be16(t);
            p->dst_port = be16(t + 2);
            p->ports_known = true;
        }
        return p->fragment ? VG_PACKET_OK : VG_PACKET_MALFORMED;
    }
    p->src_port = be16(t);
    p->dst_port = be16(t + 2);
    p->ports_known = true;
    p->seq = be32(t + 4);
    p->ack = be32(t + 8);
    p->tcp_flags = t[13];
    {
        size_t off = (t[12] >> 4) * 4;

        if (off < 20 || off > len) {
            return VG_PACKET_MALFORMED;
        }
        p->payload = t + off;
        p->payload_len = len - off;
    }
    return VG_PACKET_OK;
}

/* Pseudo-header sum and the check of a whole (unfragmented) segment. */
static bool checksum_right(const VgPacket *p, const uint8_t *t, size_t len)
{
    uint32_t sum = 0;
    size_t alen = p->ip_version == 4 ? 4 : 16;

    if (p->ip_version == 4 && p->transport == 17 && be16(t + 6) == 0) {
        return true;                /* IPv4 UDP: no checksum */
    }
    sum = sum_words(p->src, alen, sum);
    sum = sum_words(p->dst, alen, sum);
    sum += p->transport;
    sum += (uint32_t)len;
    return vg_inet_checksum(t, len, sum) == 0;
}

static VgPacketKind parse_ipv4(const uint8_t *ip, size_t len, VgPacket *p,
                               const uint8_t **t, size_t *tlen)
{
    size_t ihl, total;
    uint16_t frag;

    if (len < 20 || ip[0] >> 4 != 4) {
        return VG_PACKET_MALFORMED;
    }
    ihl = (ip[0] & 15) * 4;
    total = be16(ip + 2);
    if (ihl < 20 || total < ihl || total > len) {
        return VG_PACKET_MALFORMED;
    }
    if (vg_inet_checksum(ip, ihl, 0) != 0) {
        return VG_PACKET_MALFORMED;     /* the guest drops it */
    }
    p->ip_version = 4;
    p->transport = ip[9];
    memcpy(p->src, ip + 12, 4);
    memcpy(p->dst, ip + 16, 4);
    frag = be16(ip + 6);
    p->fragment = (frag & 0x2000) || (frag & 0x1fff);
    p->first_fragment = p->fragment && !(frag & 0x1fff);
    *t = ip + ihl;
    *tlen = total - ihl;
    return VG_PACKET_OK;
}

static bool ipv6_extension(uint8_t nh)
{
    return nh == 0 || nh == 43 || nh == 60 || nh == 44 || nh == 51 ||
           nh == 135 || nh == 139 || nh == 140;
}

static VgPacketKind parse_ipv6(const uint8_t *ip, size_t len, VgPacket *p,
                               const uint8_t **t, size_t *tlen)
{
    size_t payload, off = 40;
    uint8_t nh;

    if (len < 40 || ip[0] >> 4 != 6) {
        return VG_PACKET_MALFORMED;
    }
    payload = be16(ip + 4);
    if (40 + payload > len) {
        return VG_PACKET_MALFORMED;     /* (jumbograms are not for us) */
    }
    p->ip_version = 6;
    memcpy(p->src, ip + 8, 16);
    memcpy(p->dst, ip + 24, 16);
    nh = ip[6];
    for (int i = 0; ipv6_extension(nh); i++) {
        size_t hlen;

        if (i == MAX_IPV6_EXT || off + 8 > 40 + payload) {
            return VG_PACKET_MALFORMED;
        }
        if (nh == 44) {                 /* fragment header: 8 bytes */
            uint16_t fo = be16(ip + off + 2);

            p->fragment = true;
            p->first_fragment = (fo & 0xfff8) == 0;
            if (!p->first_fragment) {
                p->transport = ip[off];
                *t = NULL;
                *tlen = 0;
                return VG_PACKET_OK;
            }
            hlen = 8;
        } else if (nh == 51) {          /* AH: length in 4-byte units */
            hlen = (ip[off + 1] + 2) * 4;
        } else {
            hlen = (ip[off + 1] + 1) * 8;
        }
        nh = ip[off];
        off += hlen;
        if (off > 40 + payload) {
            return VG_PACKET_MALFORMED;
        }
    }
    p->transport = nh;
    *t = ip + off;
    *tlen = 40 + payload - off;
    return VG_PACKET_OK;
}

VgPacketKind vg_packet_parse(const uint8_t *frame, size_t len,
                             size_t vnet_hdr_len, VgPacket *p)
{
    const uint8_t *l3, *t = NULL;
    size_t l3len, tlen = 0, off;
    bool offloaded = false;
    uint16_t type;
    VgPacketKind k;

    memset(p, 0, sizeof(*p));
    if (len < vnet_hdr_len + ETH_HLEN) {
        return VG_PACKET_OTHER;         /* no frame the guest takes */
    }
    if (vnet_hdr_len) {
        offloaded = frame[0] & (VNET_NEEDS_CSUM | VNET_DATA_VALID);
        frame += vnet_hdr_len;
        len -= vnet_hdr_len;
    }
    off = 12;
    type = be16(frame + off);
    for (int i = 0; i < MAX_VLAN_TAGS &&
         (type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ); i++) {
        off += 4;
        if (off + 2 > len) {
            return VG_PACKET_MALFORMED;
        }
        type = be16(frame + off);
    }
    if (type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ) {
        return VG_PACKET_MALFORMED;     /* more tags than we follow */
    }
    off += 2;
    l3 = frame + off;
    l3len = len - off;
    if (type == ETHERTYPE_IPV4) {
        k = parse_ipv4(l3, l3len, p, &t, &tlen);
    } else if (type == ETHERTYPE_IPV6) {
        k = parse_ipv6(l3, l3len, p, &t, &tlen);
    } else {
        return VG_PACKET_OTHER;
    }
    if (k != VG_PACKET_OK) {
        return k;
    }
    if (p->transport != 6 && p->transport != 17) {
        return VG_PACKET_OTHER;
    }
    if (p->fragment && !p->first_fragment) {
        return VG_PACKET_OK;            /* no ports: see packet.h */
    }
    k = parse_transport(t, tlen, p);
    if (k != VG_PACKET_OK) {
        return k;
    }
    p->csum_offloaded = offloaded;
    p->l4 = t;
    p->l4_len = p->transport == 17 ? be16(t + 4) : tlen;
    return VG_PACKET_OK;
}

bool vg_packet_csum_ok(const VgPacket *p)
{
    return p->csum_offloaded || p->fragment ||
           checksum_right(p, p->l4, p->l4_len);
}

size_t vg_packet_build_rst(const uint8_t *frame, size_t len,
                           size_t vnet_hdr_len, uint32_t seq, uint8_t *out)
{
    VgPacket p;
    size_t l2, alen;
    uint8_t *ip, *t;
    uint32_t sum = 0;

    if (vnet_hdr_len > 64 ||
        vg_packet_parse(frame, len, vnet_hdr_len, &p) != VG_PACKET_OK ||
        p.transport != 6 || p.fragment) {
        return 0;
    }
    /* Ethernet header and tags as they came, up to the IP header. */
    l2 = 12;
    while (be16(frame + vnet_hdr_len + l2) == ETHERTYPE_VLAN ||
           be16(frame + vnet_hdr_len + l2) == ETHERTYPE_QINQ) {
        l2 += 4;
    }
    l2 += 2;
    memset(out, 0, vnet_hdr_len);
    memcpy(out + vnet_hdr_len, frame + vnet_hdr_len, l2);
    ip = out + vnet_hdr_len + l2;
    if (p.ip_version == 4) {
        alen = 4;
        memset(ip, 0, 20);
        ip[0] = 0x45;
        put_be16(ip + 2, 40);
        ip[8] = 64;
        ip[9] = 6;
        memcpy(ip + 12, p.src, 4);
        memcpy(ip + 16, p.dst, 4);
        put_be16(ip + 10, vg_inet_checksum(ip, 20, 0));
        t = ip + 20;
    } else {
        alen = 16;
        memset(ip, 0, 40);
        ip[0] = 0x60;
        ip[5] = 20;
        ip[6] = 6;
        ip[7] = 64;
        memcpy(ip + 8, p.src, 16);
        memcpy(ip + 24, p.dst, 16);
        t = ip + 40;
    }
    memset(t, 0, 20);
    put_be16(t, p.src_port);
    put_be16(t + 2, p.dst_port);
    put_be32(t + 4, seq);
    t[12] = 5 << 4;
    t[13] = VG_TCP_RST;
    sum = sum_words(p.src, alen, 0);
    sum = sum_words(p.dst, alen, sum);
    sum += 6 + 20;
    put_be16(t + 16, vg_inet_checksum(t, 20, sum));
    return (t + 20) - out;
}
