/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Functional test harness: start the emulator, capture its serial line,
 * talk to the guest over slirp's forwarded ports.
 *
 * Shared by the tiny-guest tests and the Linux-guest tests.  Every
 * function is usable from a GTest test body; nothing needs a main loop.
 */
#ifndef VG_HARNESS_H
#define VG_HARNESS_H

#include <glib.h>

#include "vm.h"

G_BEGIN_DECLS

/*
 * Emulator binary: $VIGILANTE_QEMU if set and non-empty, else
 * <source root>/build/qemu-system-x86_64 (source root from
 * $VIGILANTE_SOURCE_ROOT, else the tree this file was built from).
 */
const char *vg_qemu_path(void);

/* Directory of meson build outputs: $VIGILANTE_BUILD_ROOT (may be NULL). */
const char *vg_build_root(void);

/* A file under the build root, e.g. "tests/guests/tiny/tiny-guest.elf". */
char *vg_build_file(const char *relative);

/*
 * Spawn the emulator with "-nodefaults -display none -serial stdio"
 * plus @args (NULL-terminated).  Serial output is captured in order and
 * also appended to a log file under $VIGILANTE_BUILD_ROOT/test-logs/
 * (the temporary directory when unset); the emulator's stderr goes to
 * that log too.  The emulator is killed if the test process dies.
 */
VgVm *vg_vm_start(const char *const *args, GError **errp);

/*
 * Like vg_vm_start(), but with @args alone: the machine's defaults (VGA,
 * parallel port, default NIC) and the serial line as the command line
 * says, as operators run it.
 */
VgVm *vg_vm_start_bare(const char *const *args, GError **errp);

/*
 * An unused 127.0.0.1 port of that type (bound and released, so a
 * small race with other processes remains).
 */
guint16 vg_free_port(gboolean udp);

/*
 * Note for UDP services behind slirp: libslirp (4.7, Debian 12) drops
 * every UDP datagram a guest sends when the netdev has restrict=on,
 * replies to hostfwd'ed ports included, so UDP tests need restrict=off.
 * TCP hostfwd works with restrict=on.
 */

/*
 * UDP to 127.0.0.1:@port.  With @reply != NULL waits up to @timeout_ms
 * for one datagram back.  Returns bytes received, 0 for send-only, -1 on
 * error or timeout.
 */
gssize vg_udp_exchange(guint16 port, const void *msg, gsize len,
                       void *reply, gsize reply_max, guint timeout_ms);

/*
 * Like vg_udp_exchange() with a reply, but resends every @retry_ms until
 * a reply arrives or @timeout_ms passes.  Slirp drops datagrams until it
 * has learnt the guest's MAC, so the first exchange with a fresh guest
 * should use this.  Returns bytes received or -1.
 */
gssize vg_udp_exchange_retry(guint16 port, const void *msg, gsize len,
                             void *reply, gsize reply_max,
                             guint retry_ms, guint timeout_ms);

/*
 * TCP connect to 127.0.0.1:@port, retrying until @timeout_ms passes.
 * Returns a connected blocking socket fd, or -1.
 */
int vg_tcp_connect(guint16 port, guint timeout_ms);

/*
 * Connect, send @req, read until the peer closes (or @reply_max bytes),
 * and retry the whole exchange while the answer is empty: slirp accepts
 * the connection before the guest listens and then closes it.  Returns
 * the bytes read (> 0) or -1 once @timeout_ms has passed.
 */
gssize vg_tcp_request(guint16 port, const void *req, gsize len,
                      void *reply, gsize reply_max, guint timeout_ms);

/*
 * Run a helper program (e.g. an exploit client) to completion.  Returns
 * TRUE when it exited with status 0; its stdout/stderr are returned in
 * @out (combined, may be NULL) and written to the test log.
 */
gboolean vg_run_program(const char *const *argv, guint timeout_ms,
                        char **out, GError **errp);

G_END_DECLS

#endif /* VG_HARNESS_H */
