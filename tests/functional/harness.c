/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Functional test harness: emulator processes, serial capture, and
 * small socket helpers for slirp-forwarded ports.
 *
 * Each process gets three helper threads (stdout reader, stderr reader,
 * exit waiter) so that blocking waits work from plain GTest bodies
 * without a main loop.
 */
#include "harness.h"
#include "host-util.h"
#include "replay.h"

#include <errno.h>
#include <gio/gio.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef VG_SOURCE_ROOT
#define VG_SOURCE_ROOT "."
#endif

struct VgVm {
    GSubprocess *proc;
    GOutputStream *stdin_pipe;
    GThread *out_thread;
    GThread *err_thread;
    GThread *wait_thread;

    GMutex lock;                /* protects everything below */
    GCond changed;              /* new output, EOF or exit */
    GString *out;               /* serial line (stdout of the child) */
    GString *err;
    gboolean out_eof;
    gboolean exited;
    int exit_status;            /* raw wait status */
    GPtrArray *snapshots;       /* strings handed out by vg_vm_serial() */
    FILE *log;
    char *log_path;
};

typedef struct {
    VgVm *vm;
    GInputStream *stream;
    gboolean is_stdout;
} VgReader;

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

static void log_line(VgVm *vm, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static void log_line(VgVm *vm, const char *fmt, ...)
{
    va_list ap;

    if (!vm->log) {
        return;
    }
    va_start(ap, fmt);
    g_mutex_lock(&vm->lock);
    vfprintf(vm->log, fmt, ap);
    fflush(vm->log);
    g_mutex_unlock(&vm->lock);
    va_end(ap);
}

/* ---- process machinery ------------------------------------------------- */

/* Runs in the child before exec: die with the test, even when it aborts. */
static void child_setup(gpointer parent_pid)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != GPOINTER_TO_INT(parent_pid)) {
        _exit(127);             /* the parent died before prctl() */
    }
}

static gpointer reader_thread(gpointer opaque)
{
    VgReader *r = opaque;
    VgVm *vm = r->vm;
    char buf[4096];

    for (;;) {
        gssize n = g_input_stream_read(r->stream, buf, sizeof(buf), NULL, NULL);

        g_mutex_lock(&vm->lock);
        if (n <= 0) {
            if (r->is_stdout) {
                vm->out_eof = TRUE;
            }
            g_cond_broadcast(&vm->changed);
            g_mutex_unlock(&vm->lock);
            break;
        }
        g_string_append_len(r->is_stdout ? vm->out : vm->err, buf, n);
        if (vm->log) {
            if (!r->is_stdout) {
                fputs("[stderr] ", vm->log);
            }
            fwrite(buf, 1, n, vm->log);
            fflush(vm->log);
        }
        g_cond_broadcast(&vm->changed);
        g_mutex_unlock(&vm->lock);
    }
    g_free(r);
    return NULL;
}

static gpointer wait_thread(gpointer opaque)
{
    VgVm *vm = opaque;

    g_subprocess_wait(vm->proc, NULL, NULL);
    g_mutex_lock(&vm->lock);
    vm->exited = TRUE;
    vm->exit_status = g_subprocess_get_status(vm->proc);
    if (vm->log) {
        fprintf(vm->log, "\n[harness] process exited, wait status 0x%x\n",
                vm->exit_status);
        fflush(vm->log);
    }
    g_cond_broadcast(&vm->changed);
    g_mutex_unlock(&vm->lock);
    return NULL;
}

static void start_reader(VgVm *vm, GInputStream *stream, gboolean is_stdout)
{
    VgReader *r = g_new0(VgReader, 1);

    r->vm = vm;
    r->stream = stream;
    r->is_stdout = is_stdout;
    if (is_stdout) {
        vm->out_thread = g_thread_new("vg-stdout", reader_thread, r);
    } else {
        vm->err_thread = g_thread_new("vg-stderr", reader_thread, r);
    }
}

static VgVm *proc_start(const char *const *argv, const char *what,
                        GError **errp)
{
    g_autoptr(GSubprocessLauncher) launcher = NULL;
    g_autofree char *cmdline = NULL;
    VgVm *vm = g_new0(VgVm, 1);

    g_mutex_init(&vm->lock);
    g_cond_init(&vm->changed);
    vm->out = g_string_new(NULL);
    vm->err = g_string_new(NULL);
    vm->snapshots = g_ptr_array_new_with_free_func(g_free);
    vm->log_path = make_log_path(what);
    vm->log = fopen(vm->log_path, "a");

    cmdline = g_strjoinv(" ", (char **)argv);
    log_line(vm, "[harness] %s\n", cmdline);

    launcher = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                         G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                         G_SUBPROCESS_FLAGS_STDERR_PIPE);
    g_subprocess_launcher_set_child_setup(launcher, child_setup,
                                          GINT_TO_POINTER(getpid()), NULL);
    vm->proc = g_subprocess_launcher_spawnv(launcher, argv, errp);
    if (!vm->proc) {
        log_line(vm, "[harness] spawn failed\n");
        vm->exited = TRUE;
        vm->out_eof = TRUE;
        vg_vm_stop(vm);
        return NULL;
    }
    vm->stdin_pipe = g_object_ref(g_subprocess_get_stdin_pipe(vm->proc));
    start_reader(vm, g_subprocess_get_stdout_pipe(vm->proc), TRUE);
    start_reader(vm, g_subprocess_get_stderr_pipe(vm->proc), FALSE);
    vm->wait_thread = g_thread_new("vg-wait", wait_thread, vm);
    return vm;
}

VgVm *vg_vm_start(const char *const *args, GError **errp)
{
    static const char *const fixed[] = {
        "-nodefaults", "-display", "none", "-serial", "stdio",
    };
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    VgVm *vm;

    g_ptr_array_add(argv, (gpointer)vg_qemu_path());
    for (gsize i = 0; i < G_N_ELEMENTS(fixed); i++) {
        g_ptr_array_add(argv, (gpointer)fixed[i]);
    }
    for (gsize i = 0; args && args[i]; i++) {
        g_ptr_array_add(argv, (gpointer)args[i]);
    }
    g_ptr_array_add(argv, NULL);

    vm = proc_start((const char *const *)argv->pdata, "vm", errp);
    if (vm && g_test_verbose()) {
        g_test_message("emulator log: %s", vm->log_path);
    }
    return vm;
}

gboolean vg_vm_wait_serial(VgVm *vm, const char *marker, guint timeout_ms)
{
    gint64 deadline = deadline_after(timeout_ms);
    gboolean found;

    g_return_val_if_fail(vm && marker, FALSE);
    g_mutex_lock(&vm->lock);
    for (;;) {
        found = strstr(vm->out->str, marker) != NULL;
        if (found || vm->out_eof) {
            break;
        }
        if (!g_cond_wait_until(&vm->changed, &vm->lock, deadline)) {
            found = strstr(vm->out->str, marker) != NULL;
            break;
        }
    }
    g_mutex_unlock(&vm->lock);
    return found;
}

/* The complete line holding @marker in @text, or NULL. */
static char *find_complete_line(const char *text, const char *marker)
{
    const char *hit = strstr(text, marker);
    const char *start, *end;

    if (!hit || !(end = strchr(hit, '\n'))) {
        return NULL;
    }
    for (start = hit; start > text && start[-1] != '\n'; start--) {
        /* back to the line start */
    }
    if (end > start && end[-1] == '\r') {
        end--;
    }
    return g_strndup(start, end - start);
}

char *vg_vm_wait_serial_line(VgVm *vm, const char *marker, guint timeout_ms)
{
    gint64 deadline = deadline_after(timeout_ms);
    char *line;

    g_return_val_if_fail(vm && marker, NULL);
    g_mutex_lock(&vm->lock);
    for (;;) {
        line = find_complete_line(vm->out->str, marker);
        if (line || vm->out_eof) {
            break;
        }
        if (!g_cond_wait_until(&vm->changed, &vm->lock, deadline)) {
            line = find_complete_line(vm->out->str, marker);
            break;
        }
    }
    g_mutex_unlock(&vm->lock);
    return line;
}

const char *vg_vm_serial(VgVm *vm)
{
    char *copy;

    g_return_val_if_fail(vm, "");
    g_mutex_lock(&vm->lock);
    copy = g_strndup(vm->out->str, vm->out->len);
    /* Kept until vg_vm_stop(), so earlier results stay valid too. */
    g_ptr_array_add(vm->snapshots, copy);
    g_mutex_unlock(&vm->lock);
    return copy;
}

char *vg_vm_stderr(VgVm *vm)
{
    char *copy;

    g_return_val_if_fail(vm, NULL);
    g_mutex_lock(&vm->lock);
    copy = g_strndup(vm->err->str, vm->err->len);
    g_mutex_unlock(&vm->lock);
    return copy;
}

const char *vg_vm_log_path(VgVm *vm)
{
    return vm ? vm->log_path : NULL;
}

gboolean vg_vm_serial_write(VgVm *vm, const void *data, gsize len)
{
    g_return_val_if_fail(vm, FALSE);
    return g_output_stream_write_all(vm->stdin_pipe, data, len, NULL,
                                     NULL, NULL) &&
           g_output_stream_flush(vm->stdin_pipe, NULL, NULL);
}

gboolean vg_vm_running(VgVm *vm)
{
    gboolean running;

    if (!vm) {
        return FALSE;
    }
    g_mutex_lock(&vm->lock);
    running = !vm->exited;
    g_mutex_unlock(&vm->lock);
    return running;
}

gboolean vg_vm_wait_exit(VgVm *vm, guint timeout_ms)
{
    gint64 deadline = deadline_after(timeout_ms);
    gboolean exited;

    g_return_val_if_fail(vm, TRUE);
    g_mutex_lock(&vm->lock);
    while (!vm->exited &&
           g_cond_wait_until(&vm->changed, &vm->lock, deadline)) {
        /* re-check */
    }
    exited = vm->exited;
    g_mutex_unlock(&vm->lock);
    return exited;
}

int vg_vm_exit_status(VgVm *vm)
{
    int status;

    g_return_val_if_fail(vm, -1);
    g_mutex_lock(&vm->lock);
    status = vm->exited ? vm->exit_status : -1;
    g_mutex_unlock(&vm->lock);
    return status;
}

void vg_vm_stop(VgVm *vm)
{
    if (!vm) {
        return;
    }
    if (vm->proc && vg_vm_running(vm)) {
        g_subprocess_force_exit(vm->proc);
    }
    if (vm->wait_thread) {
        g_thread_join(vm->wait_thread);
    }
    if (vm->stdin_pipe) {
        g_output_stream_close(vm->stdin_pipe, NULL, NULL);
        g_object_unref(vm->stdin_pipe);
    }
    /* The pipes reach EOF once the process is gone. */
    if (vm->out_thread) {
        g_thread_join(vm->out_thread);
    }
    if (vm->err_thread) {
        g_thread_join(vm->err_thread);
    }
    g_clear_object(&vm->proc);
    if (vm->log) {
        fclose(vm->log);
    }
    g_string_free(vm->out, TRUE);
    g_string_free(vm->err, TRUE);
    g_ptr_array_unref(vm->snapshots);
    g_free(vm->log_path);
    g_cond_clear(&vm->changed);
    g_mutex_clear(&vm->lock);
    g_free(vm);
}

gboolean vg_run_program(const char *const *argv, guint timeout_ms,
                        char **out, GError **errp)
{
    VgVm *proc = proc_start(argv, "prog", errp);
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
    /* Let the readers drain the pipes before looking at the output. */
    g_thread_join(proc->out_thread);
    g_thread_join(proc->err_thread);
    proc->out_thread = proc->err_thread = NULL;

    status = vg_vm_exit_status(proc);
    ok = g_spawn_check_wait_status(status, errp);
    if (out) {
        *out = g_strconcat(proc->out->str, proc->err->str, NULL);
    }
    if (g_test_verbose()) {
        g_test_message("%s: exit 0x%x, log %s", argv[0], status,
                       proc->log_path);
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
