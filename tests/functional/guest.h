/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A guest under test with a QMP connection: the emulator started with a
 * QMP socket in a private temporary directory, and the client connected.
 * For tests that watch the taint engine and the detector.
 */
#ifndef VG_GUEST_H
#define VG_GUEST_H

#include <gio/gio.h>

#include "harness.h"
#include "profile.h"
#include "qmp-client.h"
#include "sca.h"

G_BEGIN_DECLS

typedef struct VgGuest {
    VgVm *vm;
    VgQmp *qmp;
    char *dir;                  /* holds qmp.sock */
} VgGuest;

/*
 * Start the emulator with @args (NULL-terminated) plus -qmp, connect, and
 * wait for @ready_marker on the serial line; any failure fails the test
 * (with the serial output in the test log).
 */
VgGuest *vg_guest_start(const char *const *args, const char *ready_marker,
                        guint boot_timeout_ms);

/* The same with vg_vm_start_bare(): @args as the operator writes them. */
VgGuest *vg_guest_start_bare(const char *const *args,
                             const char *ready_marker, guint boot_timeout_ms);

/* Disconnect, stop the emulator, remove the directory; NULL-safe. */
void vg_guest_stop(VgGuest *g);

/* The value of option @prefix (e.g. "--guest=") in argv, or NULL. */
const char *vg_arg_value(int argc, char **argv, const char *prefix);

/* The tiny guest: --guest=ELF, else the one under the build root. */
char *vg_tiny_guest_arg(int argc, char **argv);

/*
 * A file of the Linux test guest, in $VIGILANTE_LINUX_GUEST (the test
 * fails with a message when that is not set).
 */
char *vg_linux_guest_file(const char *name);

/*
 * The Linux test guest as a service profile (program vg-linux, its
 * kernel and initramfs, virtio-net, 256 MiB) with @service_lines (e.g.
 * "ports=udp:5008\n") in its [service] section, written to
 * DIR/linux.profile, with a ready snapshot made in DIR/snapshot.  Any
 * failure fails the test.
 */
VgProfile *vg_linux_profile(const char *dir, const char *service_lines);

/* The SCA file a VIGILANTE_ALERT event names, decoded (or the test fails). */
Sca *vg_alert_sca(const char *ev);

/* No VIGILANTE_ALERT within @wait_ms (else the test fails, naming it). */
void vg_assert_no_alert(VgGuest *g, guint wait_ms);

/* query-taint's input-bytes and dirty-bytes (the test fails without). */
void vg_query_taint_bytes(VgQmp *qmp, guint64 *input, guint64 *dirty);

/*
 * The labels of a VIGILANTE_ALERT event (text): up to @max (event,
 * offset) pairs, in order.  Returns how many the event lists.
 */
guint vg_alert_labels(const char *ev, guint64 *events, guint64 *offsets,
                      guint max);

/* The next line a program printed on @in (NULL at the end), logged. */
char *vg_next_output_line(GDataInputStream *in, const char *who);

G_END_DECLS

#endif
