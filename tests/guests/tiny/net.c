/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Ethernet / ARP / IPv4 / UDP.  Received frames are parsed in place in
 * the NIC's DMA buffer; replies are built in one transmit scratch frame
 * and handed to the driver.
 */
#include "net.h"
#include "mem.h"
#include "serial.h"

#define ETHERTYPE_IPV4  0x0800
#define ETHERTYPE_ARP   0x0806
#define ARP_OP_REQUEST  1
#define ARP_OP_REPLY    2
#define IP_PROTO_UDP    17
#define IP_FLAG_DF      0x4000
#define IP_FRAG_MASK    0x3FFF      /* MF + fragment offset */
#define MAX_UDP_PORTS   8

struct eth_header {
    uint8_t dst[ETH_ADDR_LEN];
    uint8_t src[ETH_ADDR_LEN];
    uint16_t type;
} __attribute__((packed));

struct arp_packet {
    uint16_t hw_type;
    uint16_t proto_type;
    uint8_t hw_len;
    uint8_t proto_len;
    uint16_t op;
    uint8_t sender_mac[ETH_ADDR_LEN];
    uint8_t sender_ip[IP_ADDR_LEN];
    uint8_t target_mac[ETH_ADDR_LEN];
    uint8_t target_ip[IP_ADDR_LEN];
} __attribute__((packed));

struct ip_header {
    uint8_t version_ihl;
    uint8_t tos;
    uint16_t total_len;
    uint16_t id;
    uint16_t frag;
    uint8_t ttl;
    uint8_t proto;
    uint16_t checksum;
    uint8_t src[IP_ADDR_LEN];
    uint8_t dst[IP_ADDR_LEN];
} __attribute__((packed));

struct udp_header {
    uint16_t src_port;
    uint16_t dst_port;
    uint16_t len;
    uint16_t checksum;
} __attribute__((packed));

static const uint8_t broadcast_mac[ETH_ADDR_LEN] = {
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
};
static const uint8_t broadcast_ip[IP_ADDR_LEN] = { 255, 255, 255, 255 };

static struct {
    const struct nic_driver *nic;
    uint8_t mac[ETH_ADDR_LEN];
    uint8_t ip[IP_ADDR_LEN];
    uint16_t next_ip_id;
    struct {
        uint16_t port;
        udp_handler_fn handler;
    } udp[MAX_UDP_PORTS];
    uint32_t dropped;
} net;

static uint8_t tx_frame[ETH_FRAME_MAX] __attribute__((aligned(4)));

static uint16_t htons(uint16_t v)
{
    return __builtin_bswap16(v);
}

#define ntohs htons

/* One's-complement sum of big-endian 16-bit words (RFC 1071). */
static uint32_t checksum_add(uint32_t sum, const void *data, size_t len)
{
    const uint8_t *p = data;

    for (; len > 1; len -= 2, p += 2) {
        sum += (uint32_t)p[0] << 8 | p[1];
    }
    if (len) {
        sum += (uint32_t)p[0] << 8;
    }
    return sum;
}

static uint16_t checksum_fold(uint32_t sum)
{
    while (sum >> 16) {
        sum = (sum & 0xFFFF) + (sum >> 16);
    }
    return (uint16_t)~sum;
}

static uint32_t udp_pseudo_sum(const uint8_t src[IP_ADDR_LEN],
                               const uint8_t dst[IP_ADDR_LEN],
                               uint16_t udp_len)
{
    uint32_t sum = checksum_add(0, src, IP_ADDR_LEN);

    sum = checksum_add(sum, dst, IP_ADDR_LEN);
    return sum + IP_PROTO_UDP + udp_len;
}

/* Pad to the Ethernet minimum and hand the frame to the driver. */
static bool eth_send(size_t len)
{
    if (len < ETH_FRAME_MIN) {
        memset(tx_frame + len, 0, ETH_FRAME_MIN - len);
        len = ETH_FRAME_MIN;
    }
    return net.nic->send(tx_frame, len);
}

static void eth_header_fill(const uint8_t dst[ETH_ADDR_LEN], uint16_t type)
{
    struct eth_header *eth = (struct eth_header *)tx_frame;

    memcpy(eth->dst, dst, ETH_ADDR_LEN);
    memcpy(eth->src, net.mac, ETH_ADDR_LEN);
    eth->type = htons(type);
}

/* ---- ARP --------------------------------------------------------------- */

static bool arp_send(uint16_t op, const uint8_t eth_dst[ETH_ADDR_LEN],
                     const uint8_t target_mac[ETH_ADDR_LEN],
                     const uint8_t target_ip[IP_ADDR_LEN])
{
    struct arp_packet *arp =
        (struct arp_packet *)(tx_frame + sizeof(struct eth_header));

    eth_header_fill(eth_dst, ETHERTYPE_ARP);
    arp->hw_type = htons(1);
    arp->proto_type = htons(ETHERTYPE_IPV4);
    arp->hw_len = ETH_ADDR_LEN;
    arp->proto_len = IP_ADDR_LEN;
    arp->op = htons(op);
    memcpy(arp->sender_mac, net.mac, ETH_ADDR_LEN);
    memcpy(arp->sender_ip, net.ip, IP_ADDR_LEN);
    memcpy(arp->target_mac, target_mac, ETH_ADDR_LEN);
    memcpy(arp->target_ip, target_ip, IP_ADDR_LEN);
    return eth_send(sizeof(struct eth_header) + sizeof(*arp));
}

static void arp_receive(const uint8_t *data, size_t len)
{
    const struct arp_packet *arp = (const struct arp_packet *)data;

    if (len < sizeof(*arp) || ntohs(arp->hw_type) != 1 ||
        ntohs(arp->proto_type) != ETHERTYPE_IPV4 ||
        arp->hw_len != ETH_ADDR_LEN || arp->proto_len != IP_ADDR_LEN) {
        net.dropped++;
        return;
    }
    if (ntohs(arp->op) == ARP_OP_REQUEST &&
        memcmp(arp->target_ip, net.ip, IP_ADDR_LEN) == 0) {
        uint8_t mac[ETH_ADDR_LEN], ip[IP_ADDR_LEN];

        /* Copy first: the request lives in the receive buffer. */
        memcpy(mac, arp->sender_mac, ETH_ADDR_LEN);
        memcpy(ip, arp->sender_ip, IP_ADDR_LEN);
        arp_send(ARP_OP_REPLY, mac, mac, ip);
    }
    /* Replies (to net_announce) need no action: we answer senders by MAC. */
}

void net_announce(const uint8_t gateway_ip[IP_ADDR_LEN])
{
    static const uint8_t zero_mac[ETH_ADDR_LEN];

    /* Gratuitous ARP: sender and target are both us. */
    arp_send(ARP_OP_REQUEST, broadcast_mac, zero_mac, net.ip);
    /* Asking the gateway makes it record our address too. */
    arp_send(ARP_OP_REQUEST, broadcast_mac, zero_mac, gateway_ip);
}

/* ---- UDP --------------------------------------------------------------- */

bool udp_listen(uint16_t port, udp_handler_fn handler)
{
    for (int i = 0; i < MAX_UDP_PORTS; i++) {
        if (!net.udp[i].handler) {
            net.udp[i].port = port;
            net.udp[i].handler = handler;
            return true;
        }
    }
    return false;
}

bool udp_reply(const struct udp_request *req, const void *data, size_t len)
{
    struct ip_header *ip =
        (struct ip_header *)(tx_frame + sizeof(struct eth_header));
    struct udp_header *udp = (struct udp_header *)(ip + 1);
    uint16_t udp_len = sizeof(*udp) + len;
    uint32_t sum;

    if (len > UDP_PAYLOAD_MAX) {
        return false;
    }
    eth_header_fill(req->src_mac, ETHERTYPE_IPV4);

    ip->version_ihl = 0x45;
    ip->tos = 0;
    ip->total_len = htons(sizeof(*ip) + udp_len);
    ip->id = htons(net.next_ip_id++);
    ip->frag = htons(IP_FLAG_DF);
    ip->ttl = 64;
    ip->proto = IP_PROTO_UDP;
    ip->checksum = 0;
    memcpy(ip->src, net.ip, IP_ADDR_LEN);
    memcpy(ip->dst, req->src_ip, IP_ADDR_LEN);
    ip->checksum = htons(checksum_fold(checksum_add(0, ip, sizeof(*ip))));

    udp->src_port = htons(req->dst_port);
    udp->dst_port = htons(req->src_port);
    udp->len = htons(udp_len);
    udp->checksum = 0;
    memcpy(udp + 1, data, len);
    sum = udp_pseudo_sum(ip->src, ip->dst, udp_len);
    sum = checksum_fold(checksum_add(sum, udp, udp_len));
    udp->checksum = htons(sum ? sum : 0xFFFF);  /* 0 means "none" */

    return eth_send(sizeof(struct eth_header) + sizeof(*ip) + udp_len);
}

static void udp_receive(const struct eth_header *eth,
                        const struct ip_header *ip, uint8_t *data,
                        size_t len)
{
    struct udp_header *udp = (struct udp_header *)data;
    struct udp_request req;
    uint16_t udp_len;

    if (len < sizeof(*udp)) {
        net.dropped++;
        return;
    }
    udp_len = ntohs(udp->len);
    if (udp_len < sizeof(*udp) || udp_len > len) {
        net.dropped++;
        return;
    }
    if (udp->checksum) {
        uint32_t sum = udp_pseudo_sum(ip->src, ip->dst, udp_len);

        if (checksum_fold(checksum_add(sum, udp, udp_len)) != 0) {
            net.dropped++;
            return;
        }
    }

    memcpy(req.src_mac, eth->src, ETH_ADDR_LEN);
    memcpy(req.src_ip, ip->src, IP_ADDR_LEN);
    req.src_port = ntohs(udp->src_port);
    req.dst_port = ntohs(udp->dst_port);
    for (int i = 0; i < MAX_UDP_PORTS; i++) {
        if (net.udp[i].handler && net.udp[i].port == req.dst_port) {
            net.udp[i].handler(&req, data + sizeof(*udp),
                               udp_len - sizeof(*udp));
            return;
        }
    }
    net.dropped++;              /* closed port: no ICMP, just silence */
}

/* ---- IPv4 -------------------------------------------------------------- */

static void ip_receive(const struct eth_header *eth, uint8_t *data,
                       size_t len)
{
    const struct ip_header *ip = (const struct ip_header *)data;
    size_t header_len, total_len;

    if (len < sizeof(*ip) || (ip->version_ihl >> 4) != 4) {
        net.dropped++;
        return;
    }
    /*
     * No IP options: the payload then starts at a fixed offset, so its
     * address is not computed from received bytes.  (With taint on, a
     * pointer computed from the frame's IHL is dirty, and calling into
     * the payload through it is an AEC, not the ACE the run service is
     * there to show.)
     */
    if ((ip->version_ihl & 0x0F) != 5) {
        net.dropped++;
        return;
    }
    header_len = sizeof(*ip);
    total_len = ntohs(ip->total_len);
    if (total_len < header_len ||
        total_len > len ||
        checksum_fold(checksum_add(0, ip, header_len)) != 0) {
        net.dropped++;
        return;
    }
    if ((ntohs(ip->frag) & IP_FRAG_MASK) ||
        (memcmp(ip->dst, net.ip, IP_ADDR_LEN) != 0 &&
         memcmp(ip->dst, broadcast_ip, IP_ADDR_LEN) != 0)) {
        net.dropped++;          /* fragments, or not for us */
        return;
    }
    if (ip->proto == IP_PROTO_UDP) {
        /* Trailing Ethernet padding is cut off by total_len. */
        udp_receive(eth, ip, data + header_len, total_len - header_len);
    } else {
        net.dropped++;
    }
}

/* ---- Ethernet ---------------------------------------------------------- */

static void eth_receive(uint8_t *frame, size_t len)
{
    const struct eth_header *eth = (const struct eth_header *)frame;

    if (len < sizeof(*eth)) {
        net.dropped++;
        return;
    }
    switch (ntohs(eth->type)) {
    case ETHERTYPE_ARP:
        arp_receive(frame + sizeof(*eth), len - sizeof(*eth));
        break;
    case ETHERTYPE_IPV4:
        ip_receive(eth, frame + sizeof(*eth), len - sizeof(*eth));
        break;
    default:
        net.dropped++;
        break;
    }
}

void net_init(const struct nic_driver *nic, const uint8_t mac[ETH_ADDR_LEN],
              const uint8_t ip[IP_ADDR_LEN])
{
    net.nic = nic;
    memcpy(net.mac, mac, ETH_ADDR_LEN);
    memcpy(net.ip, ip, IP_ADDR_LEN);
    net.next_ip_id = 1;
}

void net_poll(void)
{
    net.nic->poll(eth_receive);
}
