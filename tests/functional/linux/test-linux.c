/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Functional tests on the Linux test guest (Debian kernel + busybox +
 * the vulnerable services of tests/guests/linux): boot, benign clients,
 * both exploits, and the services' restart afterwards.
 *
 * The tests of one NIC share one boot (~5-7 s under TCG); they run in
 * order and each leaves the guest usable for the next.
 *
 * Guest: $VIGILANTE_LINUX_GUEST (vmlinux or vmlinuz, initramfs.cpio.gz),
 * built by scripts/build-linux-guest.sh.  A missing guest or emulator is
 * a failure, not a skip.  Arguments besides GTest's: --client=PROGRAM
 * --exploit=PROGRAM (default: looked up under $VIGILANTE_BUILD_ROOT).
 */
#include <string.h>

#include "harness.h"
#include "linux-guest.h"

#define BOOT_TIMEOUT_MS     90000   /* TCG on a loaded 2-core machine */
#define PROGRAM_TIMEOUT_MS  30000
#define MARK_TIMEOUT_MS     10000
#define POLL_US             50000

static char *guest_dir;
static char *client_path;
static char *exploit_path;

/* The running guest, shared by the tests of one NIC. */
static struct {
    VgVm *vm;
    char *nic;
    guint16 udp_port;
    guint16 tcp_port;
    gboolean boot_failed;
} guest;

static char *guest_file(const char *name)
{
    return g_build_filename(guest_dir ? guest_dir : "", name, NULL);
}

static void guest_stop(void)
{
    vg_vm_stop(guest.vm);
    guest.vm = NULL;
    g_clear_pointer(&guest.nic, g_free);
    guest.boot_failed = FALSE;
}

static VgVm *guest_spawn(const char *nic)
{
    /* The uncompressed kernel boots ~5 s faster (PVH entry, no xz
     * decompression under TCG); vmlinuz when the script made none. */
    g_autofree char *vmlinux = guest_file("vmlinux");
    g_autofree char *kernel = g_file_test(vmlinux, G_FILE_TEST_IS_REGULAR)
                              ? g_strdup(vmlinux) : guest_file("vmlinuz");
    g_autofree char *initrd = guest_file("initramfs.cpio.gz");
    g_autofree char *netdev = NULL;
    g_autofree char *device = NULL;
    g_autoptr(GError) err = NULL;
    VgVm *vm;

    guest.udp_port = vg_free_port(TRUE);
    guest.tcp_port = vg_free_port(FALSE);
    /*
     * No restrict=on: libslirp (4.7) drops every UDP datagram from a
     * restricted guest, replies to forwarded ports included.  The guest
     * opens no connections of its own.
     */
    netdev = g_strdup_printf("user,id=n0,"
                             "hostfwd=udp:127.0.0.1:%u-" VGL_GUEST_IP ":%u,"
                             "hostfwd=tcp:127.0.0.1:%u-" VGL_GUEST_IP ":%u",
                             guest.udp_port, VGL_UDP_PORT,
                             guest.tcp_port, VGL_TCP_PORT);
    /* romfile= skips the iPXE option ROM: faster boot, not needed. */
    device = g_strdup_printf("%s,netdev=n0,romfile=", nic);
    {
        const char *args[] = {
            "-m", "256", "-no-reboot",
            "-kernel", kernel, "-initrd", initrd,
            "-append", VGL_KERNEL_CMDLINE,
            "-netdev", netdev, "-device", device, NULL,
        };
        vm = vg_vm_start(args, &err);
    }
    g_assert_no_error(err);
    return vm;
}

/* Boot on @nic unless that guest is already up; FALSE (test failed)
 * when it cannot be had. */
static gboolean guest_need(const char *nic)
{
    if (guest.nic && strcmp(guest.nic, nic) == 0) {
        if (guest.boot_failed || !vg_vm_running(guest.vm)) {
            g_test_message("the %s guest is not running (see the boot test)",
                           nic);
            g_test_fail();
            return FALSE;
        }
        return TRUE;
    }
    guest_stop();
    guest.nic = g_strdup(nic);
    for (int attempt = 0; attempt < 2; attempt++) {
        gint64 start = g_get_monotonic_time();

        guest.vm = guest_spawn(nic);
        if (vg_vm_wait_serial(guest.vm, VGL_MARK_READY, BOOT_TIMEOUT_MS)) {
            g_test_message("%s: guest ready %.2f s after start", nic,
                           (g_get_monotonic_time() - start) / 1e6);
            return TRUE;
        }
        if (vg_vm_running(guest.vm)) {
            break;              /* up but never ready: a real failure */
        }
        /* Exited early, e.g. a forwarded port was taken meanwhile. */
        g_test_message("emulator exited during boot, log %s",
                       vg_vm_log_path(guest.vm));
        vg_vm_stop(guest.vm);
        guest.vm = NULL;
    }
    g_test_message("%s guest not ready; serial output:\n%s", nic,
                   guest.vm ? vg_vm_serial(guest.vm) : "(emulator exited)");
    guest.boot_failed = TRUE;
    g_test_fail();
    return FALSE;
}

/* Wait until @needle appears in the serial output after byte @from. */
static gboolean wait_serial_after(gsize from, const char *needle,
                                  guint timeout_ms)
{
    gint64 deadline = g_get_monotonic_time() + timeout_ms * 1000LL;

    for (;;) {
        const char *s = vg_vm_serial(guest.vm);

        if (strlen(s) > from && strstr(s + from, needle)) {
            return TRUE;
        }
        if (!vg_vm_running(guest.vm) || g_get_monotonic_time() > deadline) {
            g_test_message("no \"%s\" on the console; serial output:\n%s",
                           needle, s);
            return FALSE;
        }
        g_usleep(POLL_US);
    }
}

static gboolean run_helper(const char *program, const char *proto,
                           guint16 port, char **out)
{
    g_autofree char *port_s = g_strdup_printf("%u", port);
    g_autoptr(GError) err = NULL;
    const char *argv[] = { program, proto, port_s, NULL };
    gboolean ok = vg_run_program(argv, PROGRAM_TIMEOUT_MS, out, &err);

    if (err) {
        g_test_message("%s: %s", program, err->message);
    }
    return ok;
}

static void check_benign(const char *proto, guint16 port)
{
    g_autofree char *out = NULL;
    gboolean ok = run_helper(client_path, proto, port, &out);

    g_test_message("vg-linux-client %s:\n%s", proto, out ? out : "");
    g_assert_true(ok);
    g_assert_nonnull(strstr(out, "all answers correct"));
}

/* Fire one exploit and check that its shellcode ran and the service
 * came back. */
static void check_exploit(const char *proto, guint16 port,
                          const char *pwned, const char *service,
                          const char *service_up)
{
    g_autofree char *out = NULL;
    g_autofree char *exited = g_strdup_printf("%s exited with status %d",
                                              service, VGL_SHELLCODE_STATUS);
    gsize before = strlen(vg_vm_serial(guest.vm));

    g_assert_null(strstr(vg_vm_serial(guest.vm), pwned));
    g_assert_true(run_helper(exploit_path, proto, port, &out));
    g_test_message("%s", out);

    g_assert_true(wait_serial_after(before, pwned, MARK_TIMEOUT_MS));
    /* exit_group(42) from the shellcode, not a crash. */
    g_assert_true(wait_serial_after(before, exited, MARK_TIMEOUT_MS));
    /* The supervisor restarted the service; the guest is still up. */
    g_assert_true(wait_serial_after(before, service_up, MARK_TIMEOUT_MS));
    g_assert_true(vg_vm_running(guest.vm));
}

/*
 * A missing guest, emulator or helper is a failure, not a skip.  Run
 * first under each NIC's path: the meson tests select one path each
 * (GLib prints one TAP plan per -p, which meson rejects).
 */
static void test_prerequisites(void)
{
    static const char *const files[] = { "vmlinuz", "initramfs.cpio.gz" };

    if (!guest_dir || !*guest_dir) {
        g_test_message("VIGILANTE_LINUX_GUEST is not set: build the guest "
                       "with scripts/build-linux-guest.sh DIR and configure "
                       "meson with -Dlinux_guest=DIR");
        g_test_fail();
    } else {
        for (gsize i = 0; i < G_N_ELEMENTS(files); i++) {
            g_autofree char *path = guest_file(files[i]);

            if (!g_file_test(path, G_FILE_TEST_IS_REGULAR)) {
                g_test_message("Linux guest file missing: %s (run "
                               "scripts/build-linux-guest.sh %s)",
                               path, guest_dir);
                g_test_fail();
            }
        }
    }
    if (!g_file_test(vg_qemu_path(), G_FILE_TEST_IS_EXECUTABLE)) {
        g_test_message("emulator not found: %s", vg_qemu_path());
        g_test_fail();
    }
    if (!g_file_test(client_path, G_FILE_TEST_IS_EXECUTABLE)) {
        g_test_message("client not found: %s", client_path);
        g_test_fail();
    }
    if (!g_file_test(exploit_path, G_FILE_TEST_IS_EXECUTABLE)) {
        g_test_message("exploit not found: %s", exploit_path);
        g_test_fail();
    }
}

static void test_prerequisites_nic(gconstpointer nic)
{
    test_prerequisites();
}

static void test_boot(gconstpointer nic)
{
    g_autofree char *driver = NULL;
    const char *serial;

    if (!guest_need(nic)) {
        return;
    }
    serial = vg_vm_serial(guest.vm);
    driver = g_strdup_printf("eth0 up (%s)",
                             strcmp(nic, "e1000") == 0 ? "e1000"
                                                       : "virtio_net");
    g_assert_nonnull(strstr(serial, driver));
    g_assert_nonnull(strstr(serial, VGL_MARK_UDP_UP));
    g_assert_nonnull(strstr(serial, VGL_MARK_TCP_UP));
    g_assert_null(strstr(serial, "ERROR"));
    g_assert_null(strstr(serial, "warning"));
    g_assert_null(strstr(serial, "VG-PWNED"));
}

static void test_udp_benign(gconstpointer nic)
{
    if (guest_need(nic)) {
        check_benign("udp", guest.udp_port);
    }
}

static void test_tcp_benign(gconstpointer nic)
{
    if (guest_need(nic)) {
        check_benign("tcp", guest.tcp_port);
    }
}

static void test_udp_exploit(gconstpointer nic)
{
    if (guest_need(nic)) {
        check_exploit("udp", guest.udp_port, VGL_MARK_PWNED_UDP, "vg-udpd",
                      VGL_MARK_UDP_UP);
    }
}

static void test_tcp_exploit(gconstpointer nic)
{
    if (guest_need(nic)) {
        check_exploit("tcp", guest.tcp_port, VGL_MARK_PWNED_TCP, "vg-tcpd",
                      VGL_MARK_TCP_UP);
    }
}

/* After both exploits the restarted services answer normally again. */
static void test_after_exploits(gconstpointer nic)
{
    if (guest_need(nic)) {
        check_benign("udp", guest.udp_port);
        check_benign("tcp", guest.tcp_port);
    }
}

static void parse_args(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (g_str_has_prefix(argv[i], "--client=")) {
            client_path = g_strdup(argv[i] + strlen("--client="));
        } else if (g_str_has_prefix(argv[i], "--exploit=")) {
            exploit_path = g_strdup(argv[i] + strlen("--exploit="));
        }
    }
    if (!client_path) {
        client_path = vg_build_file("tests/guests/linux/vg-linux-client");
    }
    if (!exploit_path) {
        exploit_path = vg_build_file("tests/guests/linux/vg-linux-exploit");
    }
    guest_dir = g_strdup(g_getenv("VIGILANTE_LINUX_GUEST"));
}

static void add_tests(const char *nic, const char *name)
{
    static const struct {
        const char *name;
        GTestDataFunc fn;
    } cases[] = {
        { "prerequisites", test_prerequisites_nic },
        { "boot", test_boot },
        { "udp-benign", test_udp_benign },
        { "tcp-benign", test_tcp_benign },
        { "udp-exploit", test_udp_exploit },
        { "tcp-exploit", test_tcp_exploit },
        { "after-exploits", test_after_exploits },
    };

    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *path = g_strdup_printf("/linux/%s/%s", name,
                                                cases[i].name);
        g_test_add_data_func(path, nic, cases[i].fn);
    }
}

int main(int argc, char **argv)
{
    int rc;

    g_test_init(&argc, &argv, NULL);
    parse_args(argc, argv);

    add_tests("e1000", "e1000");
    add_tests("virtio-net-pci", "virtio");
    rc = g_test_run();
    guest_stop();
    return rc;
}
