/*
 * Taint sources on the Linux guest through the kernel's drivers: frames
 * delivered by virtio-net (labelled when the device unmaps the guest's
 * buffers) and e1000 are counted and dirty, and no more bytes are dirty
 * than the NIC delivered (the virtio header and ring updates stay clean).
 *
 * Arguments besides GTest's: --client=PROGRAM (vg-linux-client).
 */
#include <string.h>

#include "harness.h"
#include "qmp-client.h"
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
    g_autofree char *tmp = g_dir_make_tmp("vg-ltaint-XXXXXX", NULL);
    g_autofree char *sock = g_build_filename(tmp, "qmp.sock", NULL);
    g_autofree char *qmparg = g_strdup_printf("unix:%s,server=on,wait=off",
                                              sock);
    g_autofree char *port = NULL, *netdev = NULL, *dev = NULL, *out = NULL;
    g_autofree char *rm = g_strdup_printf("rm -rf '%s'", tmp);
    g_autoptr(GError) err = NULL;
    g_autoptr(VgQmp) qmp = NULL;
    guint16 udp = vg_free_port(TRUE);
    guint64 in0, dirty0, in1, dirty1;
    VgVm *vm;

    netdev = g_strdup_printf("user,id=n0,hostfwd=udp:127.0.0.1:%u-"
                             VGL_GUEST_IP ":%u", udp, VGL_UDP_PORT);
    dev = g_strdup_printf("%s,netdev=n0,romfile=", device);
    {
        const char *args[] = {
            "-accel", "tcg,taint=on", "-m", "256", "-no-reboot",
            "-kernel", kernel, "-initrd", initrd,
            "-append", VGL_KERNEL_CMDLINE, "-netdev", netdev,
            "-device", dev, "-qmp", qmparg, NULL,
        };
        vm = vg_vm_start(args, &err);
    }
    g_assert_no_error(err);
    qmp = vg_qmp_connect(sock, QMP_TIMEOUT_MS, &err);
    g_assert_no_error(err);
    if (!vg_vm_wait_serial(vm, VGL_MARK_READY, BOOT_TIMEOUT_MS)) {
        g_test_message("serial output:\n%s", vg_vm_serial(vm));
        vg_vm_stop(vm);
        g_assert_not_reached();
    }
    query(qmp, &in0, &dirty0);
    g_assert_cmpuint(dirty0, <=, in0);

    port = g_strdup_printf("%u", udp);
    {
        const char *argv[] = { client_path, "udp", port, "5000", NULL };
        gboolean ok = vg_run_program(argv, 30000, &out, &err);

        g_test_message("client: %s", out ? out : "");
        g_assert_no_error(err);
        g_assert_true(ok);
    }
    query(qmp, &in1, &dirty1);
    g_test_message("%s: input bytes %" G_GUINT64_FORMAT " -> %"
                   G_GUINT64_FORMAT ", dirty %" G_GUINT64_FORMAT " -> %"
                   G_GUINT64_FORMAT, device, in0, in1, dirty0, dirty1);
    /* The client's requests arrived and were labelled... */
    g_assert_cmpuint(in1, >, in0 + 100);
    g_assert_cmpuint(dirty1, >, 0);
    /* ...and only frame bytes were: device-written bytes that are not
     * part of a frame (headers, rings) stay clean. */
    g_assert_cmpuint(dirty1, <=, in1);

    vg_vm_stop(vm);
    g_assert_cmpint(system(rm), ==, 0);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    for (int i = 1; i < argc; i++) {
        if (g_str_has_prefix(argv[i], "--client=")) {
            client_path = g_strdup(argv[i] + strlen("--client="));
        }
    }
    g_assert_nonnull(client_path);
    g_test_add_data_func("/linux-taint/virtio", "virtio-net-pci", test_nic);
    g_test_add_data_func("/linux-taint/e1000", "e1000", test_nic);
    return g_test_run();
}
