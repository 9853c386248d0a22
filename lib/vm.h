/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Emulator processes: the one launcher of the host tools (profile VMs:
 * the honeypot's, the snapshot maker's, the verifier's) and the tests.
 * The guest's serial line is the process's stdout, captured in order (the
 * newest 64 MiB); stderr is captured apart; both also go to a log file.
 * The process dies with its parent.
 */
#ifndef VIGILANTE_VM_H
#define VIGILANTE_VM_H

#include <glib.h>
#include <stdbool.h>

G_BEGIN_DECLS

typedef struct VgVm VgVm;

/*
 * Spawn @argv (argv[0] the program); output is appended to @log_path
 * too when it is not NULL.
 */
VgVm *vg_vm_spawn(const char *const *argv, const char *log_path,
                  GError **errp);

/*
 * The same, the child getting @fd (taken: closed here) as its fd 3,
 * e.g. for "-incoming fd:3".
 */
VgVm *vg_vm_spawn_with_fd(const char *const *argv, const char *log_path,
                          int fd, GError **errp);


/*
 * Block until the captured serial output contains @marker (searching
 * from the start) or @timeout_ms passes; TRUE when found.  Returns early
 * (FALSE) when the emulator exits without having printed it.
 */
gboolean vg_vm_wait_serial(VgVm *vm, const char *marker, guint timeout_ms);

/*
 * Like vg_vm_wait_serial(), but also waits for the end of the line that
 * holds @marker and returns that whole line (without the line break;
 * g_free it), or NULL on timeout.
 */
char *vg_vm_wait_serial_line(VgVm *vm, const char *marker, guint timeout_ms);

/* All serial output so far, NUL-terminated; valid until the next call. */
const char *vg_vm_serial(VgVm *vm);

/*
 * Copy of everything the emulator wrote to stderr so far (g_free it);
 * once it has exited, all of it (waits up to 5 s for the pipe to drain).
 */
char *vg_vm_stderr(VgVm *vm);

/* Path of this VM's log file. */
const char *vg_vm_log_path(VgVm *vm);

/* Send bytes to the guest's serial line (the emulator's stdin). */
gboolean vg_vm_serial_write(VgVm *vm, const void *data, gsize len);

gboolean vg_vm_running(VgVm *vm);

/* The emulator's process id; 0 once it has exited. */
GPid vg_vm_pid(VgVm *vm);

/*
 * The time (ns) that process @pid's threads have so far spent on a CPU
 * or runnable waiting for one, from /proc/PID/task/TID/schedstat; 0 if
 * it cannot be read.
 */
guint64 vg_process_busy_ns(GPid pid);

/* The same, on a CPU only: what the process has cost. */
guint64 vg_process_cpu_ns(GPid pid);

/*
 * Wait until process @pid has been busy (as above) under a tenth of the
 * time for @window_ms; false if it was not within @timeout_ms or is gone.
 */
bool vg_process_wait_quiet(GPid pid, unsigned window_ms, unsigned timeout_ms);

/* Raw wait status once the emulator has exited, else -1. */
int vg_vm_exit_status(VgVm *vm);

/*
 * Once the emulator has exited: how ("the emulator was killed by signal
 * 11 (Segmentation fault)"); NULL while it runs.
 */
char *vg_vm_exit_text(VgVm *vm);

/*
 * Wait up to @timeout_ms for the emulator to exit by itself (e.g. a
 * guest triple fault with -no-reboot); TRUE when it has exited.
 */
gboolean vg_vm_wait_exit(VgVm *vm, guint timeout_ms);

/* Kill, reap, free; NULL-safe. */
void vg_vm_stop(VgVm *vm);

/* For g_autoptr(VgVm). */
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VgVm, vg_vm_stop)

/*
 * Once the process has exited: everything it wrote, stdout then stderr
 * (the readers drained first).
 */
char *vg_vm_output_at_exit(VgVm *vm);

G_END_DECLS

#endif
