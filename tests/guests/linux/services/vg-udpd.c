/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vg-udpd: deliberately vulnerable UDP checksum service for the Linux
 * test guest (port 5001).  Statically linked, run by the guest's /init.
 *
 * Request:  'V' 'G' op taglen tag[taglen] payload...
 *   op 1: reply "OK <tag> crc32=<8 hex> len=<n>"
 *   op 2: reply "OK <tag> rev=<payload reversed>"
 * The tag is a client label echoed back; the protocol allows at most
 * TAG_MAX bytes, but the server trusts taglen (BUG, on purpose): a tag
 * longer than TAG_MAX overruns a stack buffer in handle_request() and
 * overwrites its saved return address.
 */
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define UDP_PORT 5001
#define TAG_MAX  32
#define PKT_MAX  2048

enum { OP_CRC32 = 1, OP_REVERSE = 2 };

static uint32_t crc32_ieee(const uint8_t *p, size_t n)
{
    uint32_t crc = 0xffffffffu;

    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int b = 0; b < 8; b++) {
            crc = (crc >> 1) ^ (0xedb88320u & -(crc & 1));
        }
    }
    return ~crc;
}

/* Parses one datagram and formats the reply; returns the reply length. */
static __attribute__((noinline)) int
handle_request(const uint8_t *req, size_t n, char *reply, size_t max)
{
    char tag[TAG_MAX + 1];
    size_t tlen, plen;
    const uint8_t *payload;
    int len;

    if (n < 4 || req[0] != 'V' || req[1] != 'G') {
        return snprintf(reply, max, "ERR bad magic");
    }
    tlen = req[3];
    if (4 + tlen > n) {
        return snprintf(reply, max, "ERR short tag");
    }
    /* BUG: tlen is not checked against TAG_MAX. */
    memcpy(tag, req + 4, tlen);
    tag[tlen] = '\0';

    payload = req + 4 + tlen;
    plen = n - 4 - tlen;
    switch (req[2]) {
    case OP_CRC32:
        return snprintf(reply, max, "OK %s crc32=%08x len=%zu", tag,
                        crc32_ieee(payload, plen), plen);
    case OP_REVERSE:
        len = snprintf(reply, max, "OK %s rev=", tag);
        if (len < 0 || (size_t)len + plen >= max) {
            return snprintf(reply, max, "ERR too long");
        }
        for (size_t i = 0; i < plen; i++) {
            reply[len + i] = payload[plen - 1 - i];
        }
        return len + (int)plen;
    default:
        return snprintf(reply, max, "ERR bad op %u", req[2]);
    }
}

int main(void)
{
    /* The datagram lands in this stack buffer (the exploit's shellcode
     * sits here; the guest stack is executable and not randomised). */
    uint8_t pkt[PKT_MAX];
    char reply[PKT_MAX + 64];
    struct sockaddr_in addr = {
        .sin_family = AF_INET,
        .sin_port = htons(UDP_PORT),
        .sin_addr.s_addr = htonl(INADDR_ANY),
    };
    int fd = socket(AF_INET, SOCK_DGRAM, 0);

    if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        perror("vg-udpd: socket/bind");
        return 1;
    }
    dprintf(1, "vg-udpd: listening on udp/%d\n", UDP_PORT);

    for (;;) {
        struct sockaddr_in peer;
        socklen_t plen = sizeof(peer);
        ssize_t n = recvfrom(fd, pkt, sizeof(pkt), 0,
                             (struct sockaddr *)&peer, &plen);
        int len;

        if (n < 0) {
            continue;
        }
        len = handle_request(pkt, (size_t)n, reply, sizeof(reply));
        if (len > 0) {
            if ((size_t)len >= sizeof(reply)) {
                len = sizeof(reply) - 1;
            }
            sendto(fd, reply, (size_t)len, 0,
                   (struct sockaddr *)&peer, plen);
        }
    }
}
