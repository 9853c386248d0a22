/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A minimal IPv4 host: Ethernet, ARP, IPv4 (no fragments, no routing:
 * replies go back to the sender's MAC), and UDP with per-port handlers.
 */
#ifndef TINY_NET_H
#define TINY_NET_H

#include "nic.h"

#define IP_ADDR_LEN     4
#define UDP_PAYLOAD_MAX (ETH_FRAME_MAX - 14 - 20 - 8)   /* 1472 */

struct udp_request {
    uint8_t src_mac[ETH_ADDR_LEN];
    uint8_t src_ip[IP_ADDR_LEN];
    uint16_t src_port;              /* host byte order */
    uint16_t dst_port;
};

/*
 * @payload points into the NIC's receive buffer (still valid until the
 * handler returns); payload[len] is writable scratch.
 */
typedef void (*udp_handler_fn)(const struct udp_request *req,
                               uint8_t *payload, size_t len);

void net_init(const struct nic_driver *nic, const uint8_t mac[ETH_ADDR_LEN],
              const uint8_t ip[IP_ADDR_LEN]);

/* Tell the network (slirp) our MAC: gratuitous ARP + ARP for the gateway. */
void net_announce(const uint8_t gateway_ip[IP_ADDR_LEN]);

bool udp_listen(uint16_t port, udp_handler_fn handler);

/* Send @len bytes back to whoever sent @req. */
bool udp_reply(const struct udp_request *req, const void *data, size_t len);

/* Process every frame the NIC has received so far. */
void net_poll(void);

#endif /* TINY_NET_H */
