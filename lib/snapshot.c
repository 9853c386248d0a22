/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The ready snapshot of a service profile (snapshot.h).
 */
#include "snapshot.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

GQuark vg_snapshot_error_quark(void)
{
    return g_quark_from_static_string("vg-snapshot-error-quark");
}

bool vg_snapshot_vm_restored(VgProfileVm *vm, const VgProfile *p,
                             GError **errp)
{
    static const char *const paused[] = { "paused", "prelaunch", NULL };
    g_autofree char *st = NULL;

    if (vm->ready) {
        return true;
    }
    if (!vg_profile_vm_connect(vm, errp)) {
        return false;
    }
    st = vg_profile_vm_wait_status(vm, "query-status", paused, 30000);
    if (!st) {
        g_set_error(errp, VG_SNAPSHOT_ERROR, VG_SNAPSHOT_ERROR_RESTORE,
                    "the snapshot of %s did not load", p->name);
        return false;
    }
    vm->ready = true;
    return true;
}

/*
 * SNAPSHOT.disk.qcow2: for a profile with a disk, the disk as the
 * snapshot left it, an overlay over the profile's image.
 */
static char *snapshot_disk_path(const VgProfile *p)
{
    return g_strdup_printf("%s.disk.qcow2", p->snapshot);
}

static VgProfileVm *spawn_restoring(const VgProfile *p, const char *qemu,
                                    const char *accel, const char *object,
                                    GError **errp)
{
    g_autofree char *disk = p->disk ? snapshot_disk_path(p) : NULL;
    const VgProfileVmOptions o = {
        .accel = accel, .restrict_net = true, .object = object,
        .incoming = p->snapshot, .disk = disk,
    };

    return vg_profile_vm_spawn(p, qemu, &o, errp);
}

VgProfileVm *vg_snapshot_vm_spawn(const VgProfile *p, const char *qemu,
                                  GError **errp)
{
    /* A guard with no filters, for the datagrams the guest sends. */
    return spawn_restoring(p, qemu, "tcg,taint=off",
                           "filter-vigilante,id=" VG_ANSWERS_GUARD
                           ",netdev=n0", errp);
}

VgProfileVm *vg_snapshot_vm_spawn_tainted(const VgProfile *p,
                                          const char *qemu,
                                          const char *object, GError **errp)
{
    g_autofree char *accel = g_strdup_printf("tcg,taint=on,taint-kernel=%s",
                                             p->taint_kernel);

    return spawn_restoring(p, qemu, accel, object, errp);
}

/* SNAPSHOT.digest: the image digest the snapshot was made from. */
static char *snapshot_digest_path(const VgProfile *p)
{
    return g_strdup_printf("%s.digest", p->snapshot);
}

/* A new qcow2 overlay at @path over the profile's disk image. */
static bool make_overlay(const VgProfile *p, const char *path, GError **errp)
{
    const char *argv[] = {
        "qemu-img", "create", "-q", "-f", "qcow2", "-F", p->disk_format,
        "-b", p->disk, path, NULL,
    };
    g_autofree char *err_text = NULL;
    int status;

    g_unlink(path);
    if (!g_spawn_sync(NULL, (char **)argv, NULL,
                      G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL, NULL,
                      NULL, NULL, &err_text, &status, errp)) {
        g_prefix_error(errp, "qemu-img: ");
        return false;
    }
    if (!g_spawn_check_wait_status(status, NULL)) {
        g_set_error(errp, VG_SNAPSHOT_ERROR, VG_SNAPSHOT_ERROR_SAVE,
                    "qemu-img create %s failed: %s", path,
                    g_strstrip(err_text));
        return false;
    }
    return true;
}

#define SNAPSHOT_SETTLE_MS 300
#define SNAPSHOT_SETTLE_MAX_MS 1500

bool vg_snapshot_make(const VgProfile *p, const char *qemu, double *secs,
                      GError **errp)
{
    static const char *const done[] = { "completed", "failed", NULL };
    g_autoptr(VgProfileVm) vm = NULL;
    g_autofree char *tmp = NULL, *dir = NULL, *st = NULL;
    g_autofree char *disk_tmp = NULL;
    gint64 start = g_get_monotonic_time();

    if (!p->snapshot) {
        g_set_error(errp, VG_SNAPSHOT_ERROR, VG_SNAPSHOT_ERROR_NO_PATH,
                    "%s: [snapshot] path is missing", p->path);
        return false;
    }
    dir = g_path_get_dirname(p->snapshot);
    g_mkdir_with_parents(dir, 0755);
    if (p->disk) {
        disk_tmp = g_strdup_printf("%s.disk.qcow2.tmp", p->snapshot);
        if (!make_overlay(p, disk_tmp, errp)) {
            return false;
        }
    }
    /* Ready by port needs the forwards: the guest may reach nothing. */
    vm = vg_profile_vm_spawn(p, qemu, &(VgProfileVmOptions) {
                                 .accel = "tcg,taint=off",
                                 .restrict_net = true, .disk = disk_tmp,
                                 .disk_writable = true }, errp);
    if (!vm || !vg_profile_vm_connect(vm, errp)) {
        return false;
    }
    if (!vg_profile_vm_wait_ready(vm, p, NULL)) {
        g_autofree char *how = p->ready_marker
            ? g_strdup_printf("\"%s\"", p->ready_marker)
            : g_strdup_printf("tcp:%u answering", p->ready_port);

        g_set_error(errp, VG_SNAPSHOT_ERROR, VG_SNAPSHOT_ERROR_NOT_READY,
                    "%s did not become ready (%s within %u s)", p->name, how,
                    p->ready_timeout_s);
        return false;
    }
    /*
     * The snapshot of a guest that has settled: what it still did after
     * the marker (the rest of a boot script) every restored VM would do
     * again, in an emulator with no code translated yet (about 200 ms of
     * CPU per restore of the Linux guest).  A guest that never settles
     * is taken as it is after SNAPSHOT_SETTLE_MAX_MS.
     */
    vg_process_wait_quiet(vg_vm_pid(vm->emu), SNAPSHOT_SETTLE_MS,
                          SNAPSHOT_SETTLE_MAX_MS);
    tmp = g_strdup_printf("%s.tmp", p->snapshot);
    {
        g_autofree char *quoted = g_shell_quote(tmp);
        g_autofree char *uri = g_strdup_printf("exec:cat > %s", quoted);
        g_autoptr(JsonBuilder) b = json_builder_new();

        json_builder_begin_object(b);
        json_builder_set_member_name(b, "uri");
        json_builder_add_string_value(b, uri);
        json_builder_end_object(b);
        if (!vg_profile_vm_run(vm, "stop", NULL, errp) ||
            !vg_profile_vm_run(vm, "migrate", json_builder_get_root(b), errp)) {
            return false;
        }
    }
    st = vg_profile_vm_wait_status(vm, "query-migrate", done, 120000);
    if (!st || strcmp(st, "completed")) {
        g_unlink(tmp);
        g_set_error(errp, VG_SNAPSHOT_ERROR, VG_SNAPSHOT_ERROR_SAVE,
                    "saving the snapshot of %s "
                    "failed (migration %s)", p->name, st ? st : "timed out");
        return false;
    }
    if (g_rename(tmp, p->snapshot) != 0) {
        g_unlink(tmp);
        g_set_error(errp, G_FILE_ERROR, g_file_error_from_errno(errno),
                    "%s: %s", p->snapshot, g_strerror(errno));
        return false;
    }
    if (disk_tmp) {
        /* The migration has inactivated the disk: it is final. */
        g_autofree char *disk = snapshot_disk_path(p);

        if (g_rename(disk_tmp, disk) != 0) {
            g_set_error(errp, G_FILE_ERROR, g_file_error_from_errno(errno),
                        "%s: %s", disk, g_strerror(errno));
            return false;
        }
    }
    {
        /* Which image the snapshot is of: verification checks it. */
        g_autofree char *hex = vg_profile_digest_hex(p);
        g_autofree char *text = g_strdup_printf("%s\n", hex);
        g_autofree char *side = snapshot_digest_path(p);

        if (!g_file_set_contents(side, text, -1, errp)) {
            return false;
        }
    }
    *secs = (g_get_monotonic_time() - start) / 1e6;
    return true;
}

/*
 * Is the snapshot of the profile's image as it is now?  A guest rebuilt
 * since would be verified against the old program.
 */
static bool snapshot_current(const VgProfile *p, char **why)
{
    g_autofree char *side = snapshot_digest_path(p);
    g_autofree char *text = NULL, *hex = vg_profile_digest_hex(p);

    if (!g_file_get_contents(side, &text, NULL, NULL)) {
        *why = g_strdup_printf("the snapshot of %s has no record of its "
                               "image (%s): run vigilante snapshot again",
                               p->name, side);
        return false;
    }
    if (strncmp(g_strstrip(text), hex, 64) || strlen(text) != 64) {
        *why = g_strdup_printf("the snapshot of %s is of another image of "
                               "it (rebuilt since?): run vigilante snapshot "
                               "again", p->name);
        return false;
    }
    return true;
}

bool vg_snapshot_check(const VgProfile *p, GError **errp)
{
    g_autofree char *why = NULL;

    if (!p->snapshot || !g_file_test(p->snapshot, G_FILE_TEST_IS_REGULAR)) {
        g_set_error(errp, VG_SNAPSHOT_ERROR, p->snapshot
                    ? VG_SNAPSHOT_ERROR_MISSING : VG_SNAPSHOT_ERROR_NO_PATH,
                    "no snapshot of %s at %s "
                    "(run vigilante snapshot first)", p->name,
                    p->snapshot ? p->snapshot : "(no [snapshot] path)");
        return false;
    }
    if (p->disk) {
        g_autofree char *disk = snapshot_disk_path(p);

        if (!g_file_test(disk, G_FILE_TEST_IS_REGULAR)) {
            g_set_error(errp, VG_SNAPSHOT_ERROR, VG_SNAPSHOT_ERROR_MISSING,
                        "the snapshot of %s has no disk (%s): run vigilante "
                        "snapshot again", p->name, disk);
            return false;
        }
    }
    if (!snapshot_current(p, &why)) {
        g_set_error(errp, VG_SNAPSHOT_ERROR, VG_SNAPSHOT_ERROR_STALE, "%s",
                    why);
        return false;
    }
    return true;
}
