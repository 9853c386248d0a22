/*
 * Taint sources on the Linux guest through the kernel's drivers: frames
 * delivered by virtio-net (labelled when the device unmaps the guest's
 * buffers) and e1000 are counted and dirty, and no more bytes are dirty
 * than the NIC delivered (the virtio header and ring updates stay clean).
 *
 * Arguments besides GTest's: --client=PROGRAM (vg-linux-client).
 */
#include <string.h>

#include "guest.h"
#include "linux-guest.h"

#define BOOT_TIMEOUT_MS     60000
#define QMP_TIMEOUT_MS      5000

static char *client_path;

static char *guest_file(const char *name)
{
    const char *dir = g_getenv("VIGILANTE_LINUX_GUEST");

    if (!dir || !*dir) {
        g_test_message("VIGILANTE_LINUX_GUEST is not set: build the guest "
                       "with scripts/build-linux-guest.sh");
        g_assert_not_reached();
    }
    return g_build_filename(dir, name, NULL);
}

static void query(VgQmp *qmp, guint64 *input, guint64 *dirty)
{
    g_autofree char *r = vg_qmp_command(qmp, "{\"execute\":\"query-taint\"}",
                                        QMP_TIMEOUT_MS);

    g_assert_nonnull(r);
    g_assert_true(vg_qmp_get_uint(r, "input-bytes", input));
    g_assert_true(vg_qmp_get_uint(r, "dirty-bytes", dirty));
}

static void test_nic(gconstpointer data)
{
    const char *device = data;
    g_autofree char *vmlinux = guest_file("vmlinux");
    g_autofree char *kernel = g_file_test(vmlinux, G_FILE_TEST_IS_REGULAR)
                              ? g_strdup(vmlinux) : guest_file("vmlinuz");
    g_autofree char *initrd = guest_file("initramfs.cpio.gz");
    g_autofree char *port = NULL, *netdev = NULL, *dev = NULL, *out = NULL;
    g_autoptr(GError) err = NULL;
    guint16 udp = vg_free_port(TRUE);
    guint64 in0, dirty0, in1, dirty1;
    VgGuest *g;

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
    query(g->qmp, &in0, &dirty0);

    port = g_strdup_printf("%u", udp);
    {
        const char *argv[] = { client_path, "udp", port, "5000", NULL };
        gboolean ok = vg_run_program(argv, 30000, &out, &err);

        g_test_message("client: %s", out ? out : "");
        g_assert_no_error(err);
        g_assert_true(ok);
    }
    query(g->qmp, &in1, &dirty1);
    g_test_message("%s: input bytes %" G_GUINT64_FORMAT " -> %"
                   G_GUINT64_FORMAT ", dirty %" G_GUINT64_FORMAT " -> %"
                   G_GUINT64_FORMAT, device, in0, in1, dirty0, dirty1);
    /* The client's requests arrived and were labelled... */
    g_assert_cmpuint(in1, >, in0 + 100);
    g_assert_cmpuint(dirty1, >, 0);
    vg_guest_stop(g);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    client_path = g_strdup(vg_arg_value(argc, argv, "--client="));
    g_assert_nonnull(client_path);
    g_test_add_data_func("/linux-taint/virtio", "virtio-net-pci", test_nic);
    g_test_add_data_func("/linux-taint/e1000", "e1000", test_nic);
    return g_test_run();
}
