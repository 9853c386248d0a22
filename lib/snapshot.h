/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A service profile's ready snapshot (docs/verification.md): the guest
 * booted to its ready marker and saved with taint off, with a record of
 * the image it is of; and the VMs that restore it for verification.
 */
#ifndef VIGILANTE_SNAPSHOT_H
#define VIGILANTE_SNAPSHOT_H

#include <glib.h>
#include <stdbool.h>

#include "profile.h"
#include "profile-vm.h"

#define VG_SNAPSHOT_ERROR (vg_snapshot_error_quark())
GQuark vg_snapshot_error_quark(void);

typedef enum {
    VG_SNAPSHOT_ERROR_NO_PATH,      /* the profile names no snapshot */
    VG_SNAPSHOT_ERROR_MISSING,      /* none made yet */
    VG_SNAPSHOT_ERROR_STALE,        /* of another image, or no record */
    VG_SNAPSHOT_ERROR_NOT_READY,    /* the guest never became ready */
    VG_SNAPSHOT_ERROR_SAVE,         /* the migration to the file failed */
    VG_SNAPSHOT_ERROR_RESTORE,      /* a VM did not load it */
} VgSnapshotError;

/*
 * Boot the profile's guest (taint off, no network out) until its ready
 * marker, save it to the profile's snapshot path with its image digest
 * beside it (PATH.digest); *secs: how long it took.
 */
bool vg_snapshot_make(const VgProfile *p, const char *qemu, double *secs,
                      GError **errp);

/* Is there a snapshot, and of the profile's image as it is now? */
bool vg_snapshot_check(const VgProfile *p, GError **errp);

/*
 * A VM that restores the snapshot, paused, in the background (taint
 * off, a filter-vigilante guard named VG_ANSWERS_GUARD with no filters
 * counting the datagrams the guest sends).
 */
#define VG_ANSWERS_GUARD "vg-answers"
VgProfileVm *vg_snapshot_vm_spawn(const VgProfile *p, const char *qemu,
                                  GError **errp);

/*
 * The same with taint tracking on (the profile's taint-kernel rule) and
 * the -object @object (a vigilante object): replays that detect.
 */
VgProfileVm *vg_snapshot_vm_spawn_tainted(const VgProfile *p,
                                          const char *qemu,
                                          const char *object, GError **errp);

/* Wait until such a VM has loaded the snapshot (it stays paused). */
bool vg_snapshot_vm_restored(VgProfileVm *vm, const VgProfile *p,
                             GError **errp);

#endif
