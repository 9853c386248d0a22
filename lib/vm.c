/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Emulator processes (vm.h): the one launcher of the host tools and the
 * tests.  Each process gets three helper threads (stdout reader, stderr
 * reader, exit waiter) so that blocking waits work without a main loop.
 */
#include "vm.h"

#include <gio/gio.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

/*
 * Output kept in memory per stream: a honeypot's guest may print for
 * days; past this the oldest half is dropped (markers are waited for
 * early, while little has been printed).
 */
#define VM_OUTPUT_MAX (64u << 20)

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
    gboolean err_eof;
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

/* How long vg_vm_stderr() waits for the pipe of an exited process. */
#define STDERR_DRAIN_MS 5000

static gint64 deadline_after(guint timeout_ms)
{
    return g_get_monotonic_time() +
           (gint64)timeout_ms * G_TIME_SPAN_MILLISECOND;
}

/* Append, keeping the newest VM_OUTPUT_MAX bytes at most. */
static void keep_tail(GString *s, const char *buf, gsize n)
{
    g_string_append_len(s, buf, n);
    if (s->len > VM_OUTPUT_MAX) {
        g_string_erase(s, 0, s->len - VM_OUTPUT_MAX / 2);
    }
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

/*
 * Runs in the child before exec: die with the test, even when it aborts.
 * No transparent huge pages: the emulator asks for them on guest RAM, and
 * a restore writes into most 2 MiB regions of it, each then compacted
 * for and cleared whole (a Linux guest's restore took 370-430 ms of CPU
 * with them, 100-110 ms without); the VM also holds only what the guest
 * touched.
 */
static void child_setup(gpointer parent_pid)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0);
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
            } else {
                vm->err_eof = TRUE;
            }
            g_cond_broadcast(&vm->changed);
            g_mutex_unlock(&vm->lock);
            break;
        }
        keep_tail(r->is_stdout ? vm->out : vm->err, buf, n);
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

VgVm *vg_vm_spawn(const char *const *argv, const char *log_path,
                  GError **errp)
{
    return vg_vm_spawn_with_fd(argv, log_path, -1, errp);
}

VgVm *vg_vm_spawn_with_fd(const char *const *argv, const char *log_path,
                          int fd, GError **errp)
{
    g_autoptr(GSubprocessLauncher) launcher = NULL;
    g_autofree char *cmdline = NULL;
    VgVm *vm = g_new0(VgVm, 1);

    g_mutex_init(&vm->lock);
    g_cond_init(&vm->changed);
    vm->out = g_string_new(NULL);
    vm->err = g_string_new(NULL);
    vm->snapshots = g_ptr_array_new_with_free_func(g_free);
    vm->log_path = g_strdup(log_path);
    vm->log = log_path ? fopen(log_path, "a") : NULL;

    cmdline = g_strjoinv(" ", (char **)argv);
    log_line(vm, "[harness] %s\n", cmdline);

    launcher = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                         G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                         G_SUBPROCESS_FLAGS_STDERR_PIPE);
    g_subprocess_launcher_set_child_setup(launcher, child_setup,
                                          GINT_TO_POINTER(getpid()), NULL);
    if (fd >= 0) {
        g_subprocess_launcher_take_fd(launcher, fd, 3);
    }
    vm->proc = g_subprocess_launcher_spawnv(launcher, argv, errp);
    if (!vm->proc) {
        log_line(vm, "[harness] spawn failed\n");
        vm->exited = TRUE;
        vm->out_eof = TRUE;
        vm->err_eof = TRUE;
        vg_vm_stop(vm);
        return NULL;
    }
    vm->stdin_pipe = g_object_ref(g_subprocess_get_stdin_pipe(vm->proc));
    start_reader(vm, g_subprocess_get_stdout_pipe(vm->proc), TRUE);
    start_reader(vm, g_subprocess_get_stderr_pipe(vm->proc), FALSE);
    vm->wait_thread = g_thread_new("vg-wait", wait_thread, vm);
    return vm;
}

GPid vg_vm_pid(VgVm *vm)
{
    const char *id = vm && vm->proc ? g_subprocess_get_identifier(vm->proc)
                                    : NULL;

    return id ? (GPid)g_ascii_strtoll(id, NULL, 10) : 0;
}

/* The threads' time on a CPU, and runnable waiting for one if @wait. */
static guint64 schedstat_ns(GPid pid, bool wait)
{
    g_autofree char *dir = g_strdup_printf("/proc/%d/task", (int)pid);
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *tid;
    guint64 sum = 0;

    while (d && (tid = g_dir_read_name(d))) {
        g_autofree char *path = g_strdup_printf("%s/%s/schedstat", dir, tid);
        g_autofree char *text = NULL;

        /* "on-CPU-ns runqueue-wait-ns timeslices" */
        if (g_file_get_contents(path, &text, NULL, NULL)) {
            char *end;

            sum += g_ascii_strtoull(text, &end, 10);
            if (wait) {
                sum += g_ascii_strtoull(end, NULL, 10);
            }
        }
    }
    return sum;
}

guint64 vg_process_busy_ns(GPid pid)
{
    return schedstat_ns(pid, true);
}

guint64 vg_process_cpu_ns(GPid pid)
{
    return schedstat_ns(pid, false);
}

bool vg_process_wait_quiet(GPid pid, unsigned window_ms, unsigned timeout_ms)
{
    gint64 deadline = g_get_monotonic_time() + timeout_ms * 1000LL;
    gint64 t0 = g_get_monotonic_time();
    guint64 b0 = vg_process_busy_ns(pid);

    while (b0 && g_get_monotonic_time() < deadline) {
        gint64 now;
        guint64 b;

        g_usleep(20000);
        now = g_get_monotonic_time();
        b = vg_process_busy_ns(pid);
        if (!b) {
            return false;
        }
        if (b < b0 || (b - b0) * 10 >= (guint64)(now - t0) * 1000) {
            /* busy, or a thread ended and took its time: start again */
            t0 = now;
            b0 = b;
        } else if (now - t0 >= window_ms * 1000LL) {
            return true;
        }
    }
    return false;
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

    end = hit ? strchr(hit, '\n') : NULL;
    if (!end) {
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
    gint64 deadline = deadline_after(STDERR_DRAIN_MS);
    char *copy;

    g_return_val_if_fail(vm, NULL);
    g_mutex_lock(&vm->lock);
    /*
     * The exit can be seen before the reader has drained the pipe: once
     * the process is gone, its last words are on their way (a refused
     * start's one error line was missed so under ./run check).
     */
    while (vm->exited && !vm->err_eof &&
           g_cond_wait_until(&vm->changed, &vm->lock, deadline)) {
        /* re-check */
    }
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

char *vg_vm_exit_text(VgVm *vm)
{
    int status = vg_vm_exit_status(vm);

    if (status < 0) {
        return NULL;
    }
    if (WIFSIGNALED(status)) {
        return g_strdup_printf("the emulator was killed by signal %d (%s)",
                               WTERMSIG(status), strsignal(WTERMSIG(status)));
    }
    return g_strdup_printf("the emulator exited with status %d",
                           WEXITSTATUS(status));
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

char *vg_vm_output_at_exit(VgVm *vm)
{
    /* Let the readers drain the pipes before looking at the output. */
    if (vm->out_thread) {
        g_thread_join(vm->out_thread);
    }
    if (vm->err_thread) {
        g_thread_join(vm->err_thread);
    }
    vm->out_thread = vm->err_thread = NULL;
    return g_strconcat(vm->out->str, vm->err->str, NULL);
}
