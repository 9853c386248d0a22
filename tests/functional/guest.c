/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * VgGuest: emulator + QMP for functional tests.
 */
#include "guest.h"
#include "linux-guest.h"
#include "snapshot.h"

#include <glib/gstdio.h>
#include <string.h>

#define QMP_CONNECT_TIMEOUT_MS 5000

static VgGuest *start_guest(const char *const *args, gboolean bare,
                            const char *ready_marker, guint boot_timeout_ms)
{
    VgGuest *g = g_new0(VgGuest, 1);
    g_autofree char *sock = NULL, *qmparg = NULL;
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_autoptr(GError) err = NULL;

    g->dir = g_dir_make_tmp("vg-guest-XXXXXX", &err);
    g_assert_no_error(err);
    sock = g_build_filename(g->dir, "qmp.sock", NULL);
    qmparg = g_strdup_printf("unix:%s,server=on,wait=off", sock);
    for (const char *const *a = args; *a; a++) {
        g_ptr_array_add(argv, (gpointer)*a);
    }
    g_ptr_array_add(argv, (gpointer)"-qmp");
    g_ptr_array_add(argv, qmparg);
    g_ptr_array_add(argv, NULL);

    g->vm = bare ? vg_vm_start_bare((const char *const *)argv->pdata, &err)
                 : vg_vm_start((const char *const *)argv->pdata, &err);
    g_assert_no_error(err);
    g->qmp = vg_qmp_connect(sock, QMP_CONNECT_TIMEOUT_MS, &err);
    g_assert_no_error(err);
    if (!vg_vm_wait_serial(g->vm, ready_marker, boot_timeout_ms)) {
        g_test_message("no '%s'; serial output:\n%s", ready_marker,
                       vg_vm_serial(g->vm));
        vg_guest_stop(g);
        g_assert_not_reached();
    }
    return g;
}

VgGuest *vg_guest_start(const char *const *args, const char *ready_marker,
                        guint boot_timeout_ms)
{
    return start_guest(args, FALSE, ready_marker, boot_timeout_ms);
}

VgGuest *vg_guest_start_bare(const char *const *args,
                             const char *ready_marker, guint boot_timeout_ms)
{
    return start_guest(args, TRUE, ready_marker, boot_timeout_ms);
}

void vg_guest_stop(VgGuest *g)
{
    g_autofree char *sock = NULL;

    if (!g) {
        return;
    }
    vg_qmp_close(g->qmp);
    vg_vm_stop(g->vm);
    sock = g_build_filename(g->dir, "qmp.sock", NULL);
    g_remove(sock);
    g_rmdir(g->dir);
    g_free(g->dir);
    g_free(g);
}

const char *vg_arg_value(int argc, char **argv, const char *prefix)
{
    for (int i = 1; i < argc; i++) {
        if (g_str_has_prefix(argv[i], prefix)) {
            return argv[i] + strlen(prefix);
        }
    }
    return NULL;
}

char *vg_tiny_guest_arg(int argc, char **argv)
{
    const char *path = vg_arg_value(argc, argv, "--guest=");

    return path ? g_strdup(path)
                : vg_build_file("tests/guests/tiny/tiny-guest.elf");
}

char *vg_linux_guest_file(const char *name)
{
    const char *dir = g_getenv("VIGILANTE_LINUX_GUEST");

    if (!dir || !*dir) {
        g_test_message("VIGILANTE_LINUX_GUEST is not set: build the guest "
                       "with scripts/build-linux-guest.sh");
        g_assert_not_reached();
    }
    return g_build_filename(dir, name, NULL);
}

VgProfile *vg_linux_profile(const char *dir, const char *service_lines)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *kernel = vg_linux_guest_file("vmlinux");
    g_autofree char *initrd = vg_linux_guest_file("initramfs.cpio.gz");
    g_autofree char *path = g_build_filename(dir, "linux.profile", NULL);
    g_autofree char *text = NULL;
    VgProfile *p;
    double secs;

    text = g_strdup_printf(
        "[program]\nname=vg-linux\n"
        "[vm]\nkernel=%s\ninitrd=%s\nappend=" VGL_KERNEL_CMDLINE "\n"
        "memory=256\nnic=virtio-net-pci\n"
        "[service]\n%sready-marker=" VGL_MARK_READY "\nready-timeout=90\n"
        "[snapshot]\npath=%s/snapshot\n", kernel, initrd, service_lines,
        dir);
    g_assert_true(g_file_set_contents(path, text, -1, NULL));
    p = vg_profile_load(path, &err);
    g_assert_no_error(err);
    g_assert_true(vg_snapshot_make(p, vg_qemu_path(), &secs, &err));
    g_assert_no_error(err);
    g_test_message("Linux guest snapshot saved in %.2f s", secs);
    return p;
}

void vg_assert_no_alert(VgGuest *g, guint wait_ms)
{
    g_autofree char *ev = vg_qmp_wait_event(g->qmp, "VIGILANTE_ALERT",
                                            wait_ms);

    if (ev) {
        g_test_message("unexpected alert: %s", ev);
    }
    g_assert_null(ev);
}

Sca *vg_alert_sca(const char *ev)
{
    g_autofree char *path = vg_qmp_get_string(ev, "sca");
    g_autofree char *data = NULL;
    g_autoptr(GError) err = NULL;
    Sca *sca;
    gsize len;

    if (!path) {
        g_test_message("the alert names no SCA: %s", ev);
        g_assert_not_reached();
    }
    g_assert_true(g_file_get_contents(path, &data, &len, NULL));
    sca = sca_decode((const uint8_t *)data, len, &err);
    g_assert_no_error(err);
    g_test_message("SCA %s: %zu bytes, %u message(s)", path, len,
                   sca->messages->len);
    return sca;
}

char *vg_next_output_line(GDataInputStream *in, const char *who)
{
    g_autoptr(GError) err = NULL;
    char *line = g_data_input_stream_read_line_utf8(in, NULL, NULL, &err);

    g_assert_no_error(err);
    if (line) {
        g_test_message("%s: %s", who, line);
    }
    return line;
}

void vg_query_taint_bytes(VgQmp *qmp, guint64 *input, guint64 *dirty)
{
    g_autofree char *r = vg_qmp_command(qmp, "{\"execute\":\"query-taint\"}",
                                        5000);

    g_assert_nonnull(r);
    g_assert_true(vg_qmp_get_uint(r, "input-bytes", input));
    g_assert_true(vg_qmp_get_uint(r, "dirty-bytes", dirty));
}

guint vg_alert_labels(const char *ev, guint64 *events, guint64 *offsets,
                      guint max)
{
    g_autoptr(JsonNode) labels = vg_qmp_parse_member(ev, "labels");
    JsonArray *a;
    guint n;

    g_assert_nonnull(labels);
    g_assert_true(JSON_NODE_HOLDS_ARRAY(labels));
    a = json_node_get_array(labels);
    n = json_array_get_length(a);
    for (guint i = 0; i < n && i < max; i++) {
        JsonObject *o = json_array_get_object_element(a, i);

        g_assert_nonnull(o);
        events[i] = json_object_get_int_member(o, "event");
        offsets[i] = json_object_get_int_member(o, "offset");
    }
    return n;
}
