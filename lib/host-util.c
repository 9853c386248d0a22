/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Small helpers shared by the host tools and the tests (host-util.h).
 */
#include "host-util.h"

#include <arpa/inet.h>
#include <glib/gstdio.h>
#include <netinet/in.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static unsigned bound_port(bool udp)
{
    struct sockaddr_in a = { .sin_family = AF_INET,
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, udp ? SOCK_DGRAM : SOCK_STREAM, 0);
    unsigned port = 0;

    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0) {
        port = ntohs(a.sin_port);
    }
    if (fd >= 0) {
        close(fd);
    }
    return port;
}

/*
 * The ports handed out lately: the kernel may give a port just released
 * to the next bind() again, and two of our users (an agent's listener,
 * a VM's forward) would then collide when they bind for real.
 */
#define RECENT_PORTS 256

unsigned vg_local_free_port(bool udp)
{
    static unsigned recent[RECENT_PORTS];
    static unsigned nrecent;
    static GMutex lock;
    unsigned port = 0;

    g_mutex_lock(&lock);
    for (int tries = 0; tries < 64; tries++) {
        bool seen = false;

        port = bound_port(udp);
        for (unsigned i = 0; i < MIN(nrecent, RECENT_PORTS) && port; i++) {
            seen |= recent[i] == port;
        }
        if (!seen) {
            break;
        }
    }
    if (port) {
        recent[nrecent++ % RECENT_PORTS] = port;
    }
    g_mutex_unlock(&lock);
    return port;
}

bool vg_dir_remove(const char *dir)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *name;

    while (d && (name = g_dir_read_name(d))) {
        g_autofree char *path = g_build_filename(dir, name, NULL);

        g_unlink(path);
    }
    return g_rmdir(dir) == 0;
}

static volatile sig_atomic_t *stop_flag;

static void set_stop_flag(int sig)
{
    *stop_flag = 1;
}

void vg_stop_on_signals(volatile sig_atomic_t *flag)
{
    struct sigaction sa = { .sa_handler = set_stop_flag };

    stop_flag = flag;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}
