/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Honeypots on tap networking: the Linux guest behind a tap device in a
 * network namespace of the test's own (no slirp, no port forwards: the
 * host is 10.0.2.2 on the tap, the guest keeps its address 10.0.2.15).
 * For each NIC model the project labels, benign clients at the guest's
 * own address are answered, their bytes arrive labelled, and the UDP
 * stack-overflow exploit is trapped at the ret (AEC) with an SCA naming
 * the service's port; the guest is not compromised.  Then `vigilante
 * honeypot --tap` runs the guest's profile on the same tap and reports
 * the same attack.
 *
 * Needs root (a network namespace and a tap device): skipped otherwise.
 * Arguments besides GTest's: --client=PROGRAM --exploit=PROGRAM
 * --cli=PROGRAM (vigilante).
 */
#include <gio/gio.h>
#include <string.h>
#include <unistd.h>

#include "guest.h"
#include "host-util.h"
#include "netns.h"
#include "linux-guest.h"
#include "sca.h"

#define BOOT_TIMEOUT_MS     90000
#define PROGRAM_TIMEOUT_MS  120000
#define ALERT_TIMEOUT_MS    10000
#define BENIGN_ROUNDS       "50"
#define TAP_NAME            "vgtap0"
#define HOST_ADDR           "10.0.2.2/24"
#define HOST_OPT            "--host=" VGL_GUEST_IP

static char *client_path, *exploit_path, *cli_path;
static gboolean network_up;

static void run(const char *const *argv)
{
    g_autofree char *out = NULL;
    g_autoptr(GError) err = NULL;
    gboolean ok = vg_run_program(argv, PROGRAM_TIMEOUT_MS, &out, &err);

    g_test_message("%s %s: %s", argv[0], argv[2], out ? out : "");
    g_assert_no_error(err);
    g_assert_true(ok);
}

static void test_nic(gconstpointer data)
{
    const char *nic = data;
    g_autofree char *vmlinux = vg_linux_guest_file("vmlinux");
    g_autofree char *kernel = g_file_test(vmlinux, G_FILE_TEST_IS_REGULAR)
                              ? g_strdup(vmlinux) : vg_linux_guest_file("vmlinuz");
    g_autofree char *initrd = vg_linux_guest_file("initramfs.cpio.gz");
    g_autofree char *dev = g_strdup_printf("%s,netdev=n0,romfile=", nic);
    g_autofree char *alert_dir = g_dir_make_tmp("vg-tap-XXXXXX", NULL);
    g_autofree char *object = NULL, *ev = NULL, *path = NULL, *type = NULL;
    g_autofree char *udp_port = g_strdup_printf("%u", VGL_UDP_PORT);
    g_autofree char *tcp_port = g_strdup_printf("%u", VGL_TCP_PORT);
    g_autofree char *data_ = NULL;
    g_autoptr(Sca) sca = NULL;
    g_autoptr(GError) err = NULL;
    guint64 in0, dirty0, in1, dirty1;
    const ScaMessage *m;
    gsize len;
    VgGuest *g;

    if (!network_up) {
        g_test_skip("needs root: a network namespace and a tap device");
        return;
    }
    g_assert_nonnull(alert_dir);
    object = g_strdup_printf("vigilante,id=v0,action=pause,alert-dir=%s,"
                             "program=vg-linux", alert_dir);
    {
        const char *args[] = {
            "-accel", "tcg,taint=on", "-m", "256", "-no-reboot",
            "-kernel", kernel, "-initrd", initrd,
            "-append", VGL_KERNEL_CMDLINE,
            "-netdev", "tap,id=n0,ifname=" TAP_NAME ",script=no,downscript=no",
            "-device", dev, "-object", object, NULL,
        };
        g = vg_guest_start(args, VGL_MARK_READY, BOOT_TIMEOUT_MS);
    }
    vg_query_taint_bytes(g->qmp, &in0, &dirty0);
    {
        const char *udp[] = { client_path, HOST_OPT, "udp", udp_port,
                              "10000", BENIGN_ROUNDS, NULL };
        const char *tcp[] = { client_path, HOST_OPT, "tcp", tcp_port,
                              "10000", BENIGN_ROUNDS, NULL };

        run(udp);
        run(tcp);
    }
    vg_query_taint_bytes(g->qmp, &in1, &dirty1);
    g_test_message("%s over tap: input bytes %" G_GUINT64_FORMAT " -> %"
                   G_GUINT64_FORMAT ", dirty %" G_GUINT64_FORMAT " -> %"
                   G_GUINT64_FORMAT, nic, in0, in1, dirty0, dirty1);
    g_assert_cmpuint(in1, >, in0 + 1000);
    g_assert_cmpuint(dirty1, >, 0);
    ev = vg_qmp_wait_event(g->qmp, "VIGILANTE_ALERT", 300);
    g_assert_null(ev);

    {
        const char *argv[] = { exploit_path, "udp", udp_port, HOST_OPT,
                               NULL };

        run(argv);
    }
    ev = vg_qmp_wait_event(g->qmp, "VIGILANTE_ALERT", ALERT_TIMEOUT_MS);
    g_assert_nonnull(ev);
    g_test_message("alert: %s", ev);
    type = vg_qmp_get_string(ev, "type");
    g_assert_cmpstr(type, ==, "aec");
    path = vg_qmp_get_string(ev, "sca");
    g_assert_nonnull(path);
    g_assert_true(g_file_get_contents(path, &data_, &len, NULL));
    sca = sca_decode((const guint8 *)data_, len, &err);
    g_assert_no_error(err);
    g_assert_cmpint(sca->type, ==, SCA_TYPE_AEC);
    m = sca_message(sca, sca->hint_message);
    g_assert_cmpint(m->transport, ==, SCA_TRANSPORT_UDP);
    g_assert_cmpuint(m->port, ==, VGL_UDP_PORT);
    g_assert_false(vg_vm_wait_serial(g->vm, VGL_MARK_PWNED_UDP, 500));
    vg_guest_stop(g);
    vg_dir_remove(alert_dir);
}

static void test_honeypot(void)
{
    g_autofree char *dir = NULL, *profile = NULL, *text = NULL;
    g_autofree char *vmlinux = vg_linux_guest_file("vmlinux");
    g_autofree char *initrd = vg_linux_guest_file("initramfs.cpio.gz");
    g_autofree char *ready = NULL, *alert = NULL, *end = NULL;
    g_autofree char *udp_port = g_strdup_printf("%u", VGL_UDP_PORT);
    g_autoptr(GSubprocess) proc = NULL;
    g_autoptr(GDataInputStream) in = NULL;
    g_autoptr(GError) err = NULL;

    if (!network_up) {
        g_test_skip("needs root: a network namespace and a tap device");
        return;
    }
    dir = g_dir_make_tmp("vg-tap-honeypot-XXXXXX", NULL);
    g_assert_nonnull(dir);
    profile = g_build_filename(dir, "linux.profile", NULL);
    text = g_strdup_printf(
        "[program]\nname=vg-linux\n"
        "[vm]\nkernel=%s\ninitrd=%s\nappend=" VGL_KERNEL_CMDLINE "\n"
        "memory=256\nnic=virtio-net-pci\n"
        "[service]\nports=udp:%d;tcp:%d\n"
        "ready-marker=" VGL_MARK_READY "\nready-timeout=90\n",
        vmlinux, initrd, VGL_UDP_PORT, VGL_TCP_PORT);
    g_assert_true(g_file_set_contents(profile, text, -1, NULL));

    /* Not an interface name: refused before anything starts. */
    proc = g_subprocess_new(G_SUBPROCESS_FLAGS_STDERR_SILENCE, &err,
                            cli_path, "honeypot", profile, "--alert-dir", dir,
                            "--tap", TAP_NAME ",script=/bin/sh", "--qemu",
                            vg_qemu_path(), NULL);
    g_assert_no_error(err);
    g_assert_true(g_subprocess_wait(proc, NULL, &err));
    g_assert_cmpint(g_subprocess_get_exit_status(proc), ==, 2);
    g_clear_object(&proc);

    proc = g_subprocess_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE, &err, cli_path,
                            "honeypot", profile, "--alert-dir", dir,
                            "--tap", TAP_NAME, "--max-alerts", "1",
                            "--no-minimise", "--timeout", "300",
                            "--qemu", vg_qemu_path(), NULL);
    g_assert_no_error(err);
    in = g_data_input_stream_new(g_subprocess_get_stdout_pipe(proc));
    ready = vg_next_output_line(in, "honeypot");
    g_assert_nonnull(ready);
    g_assert_true(g_str_has_prefix(ready, "honeypot: vg-linux ready"));
    g_assert_nonnull(strstr(ready, "udp 5001, tcp 5002 at the guest's "
                                   "address on tap " TAP_NAME));
    {
        const char *udp[] = { client_path, HOST_OPT, "udp", udp_port,
                              "10000", BENIGN_ROUNDS, NULL };
        const char *attack[] = { exploit_path, "udp", udp_port, HOST_OPT,
                                 NULL };

        run(udp);
        run(attack);
    }
    alert = vg_next_output_line(in, "honeypot");
    g_assert_nonnull(alert);
    g_assert_true(g_str_has_prefix(alert, "alert 1: aec at pc"));
    g_assert_nonnull(strstr(alert, "SCA "));
    end = vg_next_output_line(in, "honeypot");
    g_assert_cmpstr(end, ==, "honeypot: stopped after 1 alert(s)");
    g_assert_true(g_subprocess_wait_check(proc, NULL, &err));
    g_assert_no_error(err);
    vg_dir_remove(dir);
}

int main(int argc, char **argv)
{
    static const char *const nics[] = {
        "e1000", "e1000e", "rtl8139", "virtio-net-pci",
    };
    g_autoptr(GError) err = NULL;

    g_test_init(&argc, &argv, NULL);
    client_path = g_strdup(vg_arg_value(argc, argv, "--client="));
    exploit_path = g_strdup(vg_arg_value(argc, argv, "--exploit="));
    cli_path = g_strdup(vg_arg_value(argc, argv, "--cli="));
    if (!client_path || !exploit_path || !cli_path) {
        g_printerr("usage: %s --client=PROGRAM --exploit=PROGRAM "
                   "--cli=PROGRAM\n", argv[0]);
        return 2;
    }
    if (geteuid() == 0) {
        if (!vg_private_tap_network(TAP_NAME, HOST_ADDR, &err)) {
            g_printerr("test-linux-tap: %s\n", err->message);
            return 1;
        }
        network_up = TRUE;
    }
    for (gsize i = 0; i < G_N_ELEMENTS(nics); i++) {
        g_autofree char *name = g_strdup_printf("/linux/tap/%s", nics[i]);

        g_test_add_data_func(name, nics[i], test_nic);
    }
    g_test_add_func("/linux/tap/honeypot", test_honeypot);
    return g_test_run();
}
