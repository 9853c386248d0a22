/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Taint sources on the Linux guest through the kernel's drivers: frames
 * delivered by every NIC model the emulator offers (the "Network
 * devices" of -device help: e1000 and its variants, e1000e, rtl8139,
 * virtio-net-pci and its variants) are counted and dirty.  No offered
 * model may leave the detector blind: a model that does not label must
 * be refused at start with taint on (an error naming it), which this
 * test also accepts.
 *
 * Arguments besides GTest's: --client=PROGRAM (vg-linux-client).
 */
#include <string.h>

#include "guest.h"
#include "linux-guest.h"

#define BOOT_TIMEOUT_MS     60000

static char *client_path;

/*
 * With taint on, is this model refused at start?  The check runs once
 * the machine is built, before the main loop: an emulator started with
 * the NIC and -S (nothing executes) that is still up after a few
 * seconds has passed it.
 */
static gboolean refused(const char *device)
{
    g_autofree char *dev = g_strdup_printf("%s,netdev=n0,romfile=", device);
    g_autofree char *err_text = NULL;
    g_autoptr(GError) err = NULL;
    const char *args[] = {
        "-accel", "tcg,taint=on", "-S", "-netdev", "user,id=n0",
        "-device", dev, NULL,
    };
    g_autoptr(VgVm) vm = vg_vm_start(args, &err);

    g_assert_no_error(err);
    if (!vg_vm_wait_exit(vm, 3000)) {
        return FALSE;
    }
    err_text = vg_vm_stderr(vm);
    g_test_message("%s: %s", device, err_text);
    g_assert_nonnull(strstr(err_text, "does not label"));
    g_assert_nonnull(strstr(err_text, device));
    return TRUE;
}

/* The models the project labels (docs/taint-engine.md): never refused. */
static gboolean must_label(const char *device)
{
    static const char *const labelled[] = {
        "e1000", "e1000e", "rtl8139", "virtio-net-pci",
    };

    for (gsize i = 0; i < G_N_ELEMENTS(labelled); i++) {
        if (g_str_has_prefix(device, labelled[i])) {
            return TRUE;
        }
    }
    return FALSE;
}

static void test_nic(gconstpointer data)
{
    const char *device = data;
    g_autofree char *vmlinux = vg_linux_guest_file("vmlinux");
    g_autofree char *kernel = g_file_test(vmlinux, G_FILE_TEST_IS_REGULAR)
                              ? g_strdup(vmlinux) : vg_linux_guest_file("vmlinuz");
    g_autofree char *initrd = vg_linux_guest_file("initramfs.cpio.gz");
    g_autofree char *port = NULL, *netdev = NULL, *dev = NULL, *out = NULL;
    g_autoptr(GError) err = NULL;
    guint16 udp = vg_free_port(TRUE);
    guint64 in0, dirty0, in1, dirty1;
    VgGuest *g;

    if (refused(device)) {
        g_test_message("%s is refused with taint on", device);
        g_assert_false(must_label(device));
        return;
    }
    netdev = g_strdup_printf("user,id=n0,hostfwd=udp:127.0.0.1:%u-"
                             VGL_GUEST_IP ":%u", udp, VGL_UDP_PORT);
    dev = g_strdup_printf("%s,netdev=n0,romfile=", device);
    {
        const char *args[] = {
            "-accel", "tcg,taint=on", "-m", "256", "-no-reboot",
            "-kernel", kernel, "-initrd", initrd,
            "-append", VGL_KERNEL_CMDLINE, "-netdev", netdev,
            "-device", dev, NULL,
        };
        g = vg_guest_start(args, VGL_MARK_READY, BOOT_TIMEOUT_MS);
    }
    vg_query_taint_bytes(g->qmp, &in0, &dirty0);

    port = g_strdup_printf("%u", udp);
    {
        const char *argv[] = { client_path, "udp", port, "5000", NULL };
        gboolean ok = vg_run_program(argv, 30000, &out, &err);

        g_test_message("client: %s", out ? out : "");
        g_assert_no_error(err);
        g_assert_true(ok);
    }
    vg_query_taint_bytes(g->qmp, &in1, &dirty1);
    g_test_message("%s: input bytes %" G_GUINT64_FORMAT " -> %"
                   G_GUINT64_FORMAT ", dirty %" G_GUINT64_FORMAT " -> %"
                   G_GUINT64_FORMAT, device, in0, in1, dirty0, dirty1);
    /* The client's requests arrived and were labelled... */
    g_assert_cmpuint(in1, >, in0 + 100);
    g_assert_cmpuint(dirty1, >, 0);
    vg_guest_stop(g);
}

/*
 * The NIC models the emulator offers: the "Network devices" section of
 * -device help, but virtio-net-device, the device inside the
 * virtio-net-pci proxies (it needs a virtio bus of its own).
 */
static GPtrArray *offered_nics(void)
{
    GPtrArray *models = g_ptr_array_new_with_free_func(g_free);
    g_autofree char *out = NULL;
    g_autoptr(GError) err = NULL;
    g_auto(GStrv) lines = NULL;
    const char *argv[] = { vg_qemu_path(), "-device", "help", NULL };
    gboolean in_net = FALSE;

    g_assert_true(vg_run_program(argv, 20000, &out, &err));
    lines = g_strsplit(out, "\n", -1);
    for (char **l = lines; *l; l++) {
        g_autofree char *name = NULL;

        if (g_str_has_prefix(*l, "Network devices:")) {
            in_net = TRUE;
            continue;
        }
        if (!in_net || !g_str_has_prefix(*l, "name \"")) {
            in_net = in_net && g_str_has_prefix(*l, "name ");
            continue;
        }
        name = g_strndup(*l + 6, strcspn(*l + 6, "\""));
        if (strcmp(name, "virtio-net-device")) {
            g_ptr_array_add(models, g_steal_pointer(&name));
        }
    }
    return models;
}

int main(int argc, char **argv)
{
    g_autoptr(GPtrArray) models = NULL;

    g_test_init(&argc, &argv, NULL);
    client_path = g_strdup(vg_arg_value(argc, argv, "--client="));
    g_assert_nonnull(client_path);
    models = offered_nics();
    /* The ones we know of must be among them. */
    g_assert_cmpuint(models->len, >=, 4);
    for (guint i = 0; i < models->len; i++) {
        g_autofree char *path = g_strdup_printf("/linux-taint/%s",
                                                (char *)models->pdata[i]);

        g_test_add_data_func(path, models->pdata[i], test_nic);
    }
    return g_test_run();
}
