/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Replay over loopback sockets (replay.h).
 */
#include "replay.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static struct sockaddr_in loopback(unsigned port)
{
    return (struct sockaddr_in) {
        .sin_family = AF_INET,
        .sin_port = htons(port),
        .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
    };
}

int vg_loopback_tcp_connect(unsigned port, unsigned send_timeout_s)
{
    struct sockaddr_in a = loopback(port);
    struct timeval tv = { .tv_sec = send_timeout_s };
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0) {
        return -1;
    }
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

bool vg_loopback_udp_send(unsigned port, const void *p, size_t n)
{
    struct sockaddr_in a = loopback(port);
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    bool ok;

    if (fd < 0) {
        return false;
    }
    ok = sendto(fd, p, n, 0, (struct sockaddr *)&a, sizeof(a)) == (ssize_t)n;
    close(fd);
    return ok;
}

bool vg_replay_ports(const VgProfile *p, const Sca *sca, unsigned *hport,
                     guint *bad)
{
    for (guint i = 0; i < sca->messages->len; i++) {
        const ScaMessage *m = sca_message(sca, i);
        const char *t = sca_transport_name(m->transport);

        hport[i] = 0;
        for (guint k = 0; k < p->ports->len; k++) {
            const VgProfilePort *pp = &g_array_index(p->ports,
                                                     VgProfilePort, k);

            if (pp->port == m->port && !strcmp(pp->transport, t)) {
                hport[i] = k + 1;
            }
        }
        if (!hport[i]) {
            *bad = i;
            return false;
        }
    }
    return true;
}

JsonNode *vg_replay(VgProfileVm *vm, const Sca *sca, const unsigned *hport,
                    GPtrArray *msgs, const char *event, gint64 deadline)
{
    JsonNode *ev = NULL;
    bool has_tcp = false;
    int tcp_fd = -1;

    for (guint i = 0; i < msgs->len; i++) {
        if (sca_message(sca, i)->transport == SCA_TRANSPORT_TCP) {
            /* One connection, to the first TCP message's port. */
            has_tcp = true;
            tcp_fd = vg_loopback_tcp_connect(
                g_array_index(vm->host_ports, unsigned, hport[i] - 1), 1);
            break;
        }
    }
    for (int round = 0; !ev && g_get_monotonic_time() < deadline; round++) {
        for (guint i = 0; i < msgs->len && (round == 0 || !has_tcp); i++) {
            const ScaMessage *m = sca_message(sca, i);
            unsigned host = g_array_index(vm->host_ports, unsigned,
                                          hport[i] - 1);
            size_t len;
            const uint8_t *data = g_bytes_get_data(msgs->pdata[i], &len);

            if (m->transport == SCA_TRANSPORT_UDP) {
                vg_loopback_udp_send(host, data, len);
            } else if (tcp_fd >= 0 &&
                       send(tcp_fd, data, len, MSG_NOSIGNAL) != (ssize_t)len) {
                break;          /* reset by the guest: the verdict decides */
            }
        }
        ev = vg_qmp_next_event(vm->qmp, event, 250);
        if (!ev && !vg_vm_running(vm->emu)) {
            break;              /* the caller says how it ended */
        }
    }
    if (tcp_fd >= 0) {
        close(tcp_fd);
    }
    return ev;
}
