/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Functional test harness: the emulator for a test (its log file), and
 * small socket helpers for slirp-forwarded ports.
 *
 * The emulator processes themselves are lib/vm.c's, the one launcher of
 * the tools and the tests; this file adds the tests' log files.
 */
#include "harness.h"
#include "host-util.h"
#include "replay.h"

#include <errno.h>
#include <gio/gio.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef VG_SOURCE_ROOT
#define VG_SOURCE_ROOT "."
#endif

const char *vg_qemu_path(void)
{
    static char *path;
    const char *env = g_getenv("VIGILANTE_QEMU");

    if (env && *env) {
        return env;
    }
    if (!path) {
        const char *root = g_getenv("VIGILANTE_SOURCE_ROOT");

        if (!root || !*root) {
            root = VG_SOURCE_ROOT;
        }
        path = g_build_filename(root, "build", "qemu-system-x86_64", NULL);
    }
    return path;
}

const char *vg_build_root(void)
{
    const char *root = g_getenv("VIGILANTE_BUILD_ROOT");

    return root && *root ? root : NULL;
}

char *vg_build_file(const char *relative)
{
    const char *root = vg_build_root();

    return g_build_filename(root ? root : ".", relative, NULL);
}

static gint64 deadline_after(guint timeout_ms)
{
    return g_get_monotonic_time() + (gint64)timeout_ms * G_TIME_SPAN_MILLISECOND;
}

static int ms_until(gint64 deadline)
{
    gint64 left = deadline - g_get_monotonic_time();

    return left <= 0 ? 0 : (int)((left + 999) / 1000);
}

/* ---- log files --------------------------------------------------------- */

static char *make_log_path(const char *what)
{
    static gint counter;
    const char *root = vg_build_root();
    g_autofree char *dir = g_build_filename(root ? root : g_get_tmp_dir(),
                                            "test-logs", NULL);
    g_autofree char *test = NULL;
    g_autofree char *prog = NULL;
    g_autofree char *name = NULL;

    g_mkdir_with_parents(dir, 0755);
#if GLIB_CHECK_VERSION(2, 68, 0)
    if (g_test_get_path() && *g_test_get_path()) {
        test = g_strdup(g_test_get_path());
    }
#endif
    prog = g_path_get_basename(g_get_prgname() ? g_get_prgname() : "test");
    name = g_strdup_printf("%s%s%s-%s-%d-%d.log", prog,
                           test ? "-" : "", test ? test : "", what,
                           (int)getpid(), g_atomic_int_add(&counter, 1));
    g_strdelimit(name, "/ :", '_');
    return g_build_filename(dir, name, NULL);
}

static VgVm *start_vm(const char *const *args, gboolean defaults_off,
                      GError **errp)
{
    static const char *const fixed[] = {
        "-nodefaults", "-display", "none", "-serial", "stdio",
    };
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    VgVm *vm;

    g_ptr_array_add(argv, (gpointer)vg_qemu_path());
    for (gsize i = 0; defaults_off && i < G_N_ELEMENTS(fixed); i++) {
        g_ptr_array_add(argv, (gpointer)fixed[i]);
    }
    for (gsize i = 0; args && args[i]; i++) {
        g_ptr_array_add(argv, (gpointer)args[i]);
    }
    g_ptr_array_add(argv, NULL);

    {
        g_autofree char *log = make_log_path("vm");

        vm = vg_vm_spawn((const char *const *)argv->pdata, log, errp);
    }
    if (vm && g_test_verbose()) {
        g_test_message("emulator log: %s", vg_vm_log_path(vm));
    }
    return vm;
}

VgVm *vg_vm_start(const char *const *args, GError **errp)
{
    return start_vm(args, TRUE, errp);
}

VgVm *vg_vm_start_bare(const char *const *args, GError **errp)
{
    return start_vm(args, FALSE, errp);
}

gboolean vg_run_program(const char *const *argv, guint timeout_ms,
                        char **out, GError **errp)
{
    g_autofree char *log = make_log_path("prog");
    VgVm *proc = vg_vm_spawn(argv, log, errp);
    gboolean ok;
    int status;

    if (!proc) {
        return FALSE;
    }
    if (!vg_vm_wait_exit(proc, timeout_ms)) {
        g_set_error(errp, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                    "%s did not finish within %u ms", argv[0], timeout_ms);
        vg_vm_stop(proc);
        return FALSE;
    }
    status = vg_vm_exit_status(proc);
    ok = g_spawn_check_wait_status(status, errp);
    if (out) {
        *out = vg_vm_output_at_exit(proc);
    }
    if (g_test_verbose()) {
        g_test_message("%s: exit 0x%x, log %s", argv[0], status,
                       vg_vm_log_path(proc));
    }
    vg_vm_stop(proc);
    return ok;
}

/* ---- sockets ----------------------------------------------------------- */

static struct sockaddr_in loopback(guint16 port)
{
    struct sockaddr_in sa = {
        .sin_family = AF_INET,
        .sin_port = htons(port),
        .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
    };
    return sa;
}

guint16 vg_free_port(gboolean udp)
{
    return vg_local_free_port(udp);
}

static int udp_socket_to(guint16 port)
{
    struct sockaddr_in sa = loopback(port);
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

    if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        close(fd);
        fd = -1;
    }
    return fd;
}

/* Wait for one datagram until @deadline; -1 on timeout or error. */
static gssize udp_recv_until(int fd, void *reply, gsize reply_max,
                             gint64 deadline)
{
    for (;;) {
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        int rc = poll(&pfd, 1, ms_until(deadline));
        gssize n;

        if (rc < 0 && errno == EINTR) {
            continue;
        }
        if (rc <= 0) {
            return -1;
        }
        n = recv(fd, reply, reply_max, 0);
        if (n >= 0) {
            return n;
        }
        if (errno != EINTR && errno != ECONNREFUSED) {
            return -1;
        }
        /* ECONNREFUSED: an ICMP error for an earlier datagram; keep waiting. */
    }
}

gssize vg_udp_exchange(guint16 port, const void *msg, gsize len,
                       void *reply, gsize reply_max, guint timeout_ms)
{
    gint64 deadline = deadline_after(timeout_ms);
    int fd = udp_socket_to(port);
    gssize n = -1;

    if (fd < 0) {
        return -1;
    }
    if (send(fd, msg, len, 0) == (gssize)len) {
        n = reply ? udp_recv_until(fd, reply, reply_max, deadline) : 0;
    }
    close(fd);
    return n;
}

gssize vg_udp_exchange_retry(guint16 port, const void *msg, gsize len,
                             void *reply, gsize reply_max,
                             guint retry_ms, guint timeout_ms)
{
    gint64 deadline = deadline_after(timeout_ms);
    int fd = udp_socket_to(port);
    gssize n = -1;

    g_return_val_if_fail(reply, -1);
    if (fd < 0) {
        return -1;
    }
    while (n < 0 && g_get_monotonic_time() < deadline) {
        gint64 attempt = MIN(deadline, deadline_after(retry_ms));

        if (send(fd, msg, len, 0) < 0 && errno != ECONNREFUSED) {
            break;
        }
        n = udp_recv_until(fd, reply, reply_max, attempt);
    }
    close(fd);
    return n;
}

int vg_tcp_connect(guint16 port, guint timeout_ms)
{
    gint64 deadline = deadline_after(timeout_ms);

    do {
        int fd = vg_loopback_tcp_connect(port, 0);

        if (fd >= 0) {
            return fd;
        }
        g_usleep(50 * 1000);
    } while (g_get_monotonic_time() < deadline);
    return -1;
}

/* Once some reply has arrived, this much silence ends the read. */
#define TCP_IDLE_MS 500

static gssize tcp_attempt(int fd, const void *req, gsize len,
                          char *reply, gsize reply_max, gint64 deadline)
{
    gsize got = 0;

    for (gsize sent = 0; sent < len;) {
        gssize n = send(fd, (const char *)req + sent, len - sent,
                        MSG_NOSIGNAL);
        if (n < 0) {
            return errno == EINTR ? 0 : -1;
        }
        sent += n;
    }
    while (got < reply_max) {
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        int wait = ms_until(deadline);
        gssize n;

        if (got && wait > TCP_IDLE_MS) {
            wait = TCP_IDLE_MS;
        }
        if (poll(&pfd, 1, wait) <= 0) {
            break;
        }
        n = recv(fd, reply + got, reply_max - got, 0);
        if (n <= 0) {
            break;
        }
        got += n;
    }
    return got;
}

gssize vg_tcp_request(guint16 port, const void *req, gsize len,
                      void *reply, gsize reply_max, guint timeout_ms)
{
    gint64 deadline = deadline_after(timeout_ms);

    while (g_get_monotonic_time() < deadline) {
        int fd = vg_tcp_connect(port, ms_until(deadline));
        gssize got;

        if (fd < 0) {
            return -1;
        }
        got = tcp_attempt(fd, req, len, reply, reply_max, deadline);
        close(fd);
        if (got > 0) {
            return got;
        }
        g_usleep(100 * 1000);
    }
    return -1;
}
