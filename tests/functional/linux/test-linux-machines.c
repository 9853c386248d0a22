/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The emulator as operators and libvirt run it: the pc and q35 machines
 * with their default devices and the common flag sets (-nographic,
 * -display none -serial stdio), the devices libvirt's default domain XML
 * adds, and taint switched on from the vigilante object (libvirt writes
 * its own -accel).  Each boot must reach the Linux guest's ready line
 * and answer a datagram through the machine's default NIC.
 */
#include <glib.h>
#include <glib/gstdio.h>

#include "guest.h"
#include "linux-guest.h"

#define BOOT_TIMEOUT_MS 90000
#define EXIT_TIMEOUT_MS 20000
#define ALERT_TIMEOUT_MS 60000

static char *exploit_path;

typedef struct Boot {
    const char *machine;
    const char *const *flags;   /* display and serial */
    const char *const *devices; /* extra -device/-drive arguments */
    const char *nic;            /* -device for netdev n0, else -nic */
} Boot;

static const char *const nographic[] = { "-nographic", NULL };
static const char *const serial_stdio[] = {
    "-display", "none", "-serial", "stdio", NULL,
};

/*
 * What libvirt 9.0 puts on the command line for a default pc domain with
 * a disk on each common bus (libvirt starts from -nodefaults): the UHCI
 * controller and tablet, balloon, rng, virtio-serial, virtio-scsi and
 * LSI SCSI, the watchdog and pvpanic, cirrus VGA.  "@DISK1@"/"@DISK2@"
 * are replaced by scratch images.
 */
static const char *const pc_libvirt[] = {
    "-nodefaults",
    "-device", "cirrus-vga,id=video0",
    "-device", "piix3-usb-uhci,id=usb,bus=pci.0,addr=0x1.0x2",
    "-device", "usb-tablet,id=input0,bus=usb.0,port=1",
    "-device", "virtio-serial-pci,id=virtio-serial0",
    "-device", "virtio-scsi-pci,id=scsi0",
    "-device", "lsi,id=scsi1",
    "-blockdev", "driver=file,filename=@DISK1@,node-name=f1",
    "-blockdev", "driver=raw,file=f1,node-name=d1",
    "-device", "virtio-blk-pci,drive=d1,id=virtio-disk0",
    "-blockdev", "driver=file,filename=@DISK2@,node-name=f2",
    "-blockdev", "driver=raw,file=f2,node-name=d2",
    "-device", "scsi-hd,bus=scsi0.0,drive=d2,id=scsi-disk0",
    "-device", "virtio-balloon-pci,id=balloon0",
    "-object", "rng-random,id=objrng0,filename=/dev/urandom",
    "-device", "virtio-rng-pci,rng=objrng0,id=rng0",
    "-device", "i6300esb,id=watchdog0",
    "-device", "pvpanic,id=panic0",
    NULL,
};

/*
 * A default q35 domain: PCIe root ports (generic and ioh3420), the xHCI
 * controller behind one, a DMI-to-PCI bridge, the ICH9 USB companions,
 * balloon and rng behind ports, a virtio disk on a port, and a CD on
 * the ICH9 AHCI controller.
 */
static const char *const q35_libvirt[] = {
    "-nodefaults",
    "-device", "VGA,id=video0,vgamem_mb=16,bus=pcie.0,addr=0x1",
    "-device", "pcie-root-port,port=16,chassis=1,id=pci.1,bus=pcie.0,"
               "multifunction=on,addr=0x2",
    "-device", "pcie-root-port,port=17,chassis=2,id=pci.2,bus=pcie.0,"
               "addr=0x2.0x1",
    "-device", "ioh3420,port=18,chassis=3,id=pci.3,bus=pcie.0,addr=0x2.0x2",
    "-device", "pcie-root-port,port=19,chassis=4,id=pci.4,bus=pcie.0,"
               "addr=0x2.0x3",
    "-device", "pcie-root-port,port=20,chassis=5,id=pci.7,bus=pcie.0,"
               "addr=0x2.0x4",
    "-device", "i82801b11-bridge,id=pci.5,bus=pcie.0,addr=0x1e",
    "-device", "qemu-xhci,p2=15,p3=15,id=usb,bus=pci.1,addr=0x0",
    "-device", "usb-tablet,id=input0,bus=usb.0,port=1",
    "-device", "ich9-usb-ehci1,id=usb1,bus=pcie.0,addr=0x5.0x7",
    "-device", "ich9-usb-uhci1,masterbus=usb1.0,firstport=0,bus=pcie.0,"
               "multifunction=on,addr=0x5",
    "-blockdev", "driver=file,filename=@DISK1@,node-name=f1",
    "-blockdev", "driver=raw,file=f1,node-name=d1",
    "-device", "virtio-blk-pci,bus=pci.4,addr=0x0,drive=d1,id=virtio-disk0",
    "-blockdev", "driver=file,filename=@DISK2@,node-name=f2,read-only=on",
    "-blockdev", "driver=raw,file=f2,node-name=d2,read-only=on",
    "-device", "ide-cd,bus=ide.0,drive=d2,id=sata0-0-0",
    "-device", "virtio-balloon-pci,id=balloon0,bus=pci.2,addr=0x0",
    "-object", "rng-random,id=objrng0,filename=/dev/urandom",
    "-device", "virtio-rng-pci,rng=objrng0,id=rng0,bus=pci.3,addr=0x0",
    "-device", "pcie-pci-bridge,id=pci.6,bus=pci.5,addr=0x1",
    NULL,
};

static const Boot pc_nographic = { "pc", nographic, NULL, NULL };
static const Boot pc_serial = { "pc", serial_stdio, NULL, NULL };
static const Boot q35_nographic = { "q35", nographic, NULL, NULL };
static const Boot q35_serial = { "q35", serial_stdio, NULL, NULL };
static const Boot pc_devices = {
    "pc", serial_stdio, pc_libvirt, "rtl8139,netdev=n0,id=net0",
};
static const Boot q35_devices = {
    "q35", serial_stdio, q35_libvirt, "e1000e,netdev=n0,id=net0,bus=pci.7",
};

static char *scratch_image(const char *dir, const char *name)
{
    char *path = g_build_filename(dir, name, NULL);
    g_autoptr(GError) err = NULL;
    g_autofree char *zeros = g_malloc0(1 << 20);

    g_file_set_contents(path, zeros, 1 << 20, &err);
    g_assert_no_error(err);
    return path;
}

/*
 * Start @b's machine on the Linux guest with @accel_args in front, a
 * user-mode NIC of the machine's default model forwarding @udp_port to
 * vg-udpd; wait for the ready line.
 */
static VgGuest *boot(const Boot *b, const char *const *accel_args,
                     const char *nic_model, guint16 udp_port,
                     const char *scratch_dir)
{
    g_autofree char *kernel = vg_linux_guest_file("vmlinuz");
    g_autofree char *initrd = vg_linux_guest_file("initramfs.cpio.gz");
    g_autofree char *nic = g_strdup_printf(
        "user,%s%s%s%shostfwd=udp:127.0.0.1:%u-" VGL_GUEST_IP ":%u",
        b->nic ? "id=n0," : "",
        nic_model ? "model=" : "", nic_model ? nic_model : "",
        nic_model ? "," : "", udp_port, VGL_UDP_PORT);
    g_autofree char *disk1 = NULL, *disk2 = NULL;
    g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
    const char *const fixed[] = {
        "-M", b->machine, "-m", "256", "-no-reboot",
        "-kernel", kernel, "-initrd", initrd,
        "-append", VGL_KERNEL_CMDLINE, b->nic ? "-netdev" : "-nic", nic,
    };

    for (const char *const *a = accel_args; a && *a; a++) {
        g_ptr_array_add(argv, g_strdup(*a));
    }
    for (gsize i = 0; i < G_N_ELEMENTS(fixed); i++) {
        g_ptr_array_add(argv, g_strdup(fixed[i]));
    }
    for (const char *const *a = b->flags; *a; a++) {
        g_ptr_array_add(argv, g_strdup(*a));
    }
    if (b->devices) {
        disk1 = scratch_image(scratch_dir, "disk1.raw");
        disk2 = scratch_image(scratch_dir, "disk2.raw");
        for (const char *const *a = b->devices; *a; a++) {
            g_auto(GStrv) p1 = g_strsplit(*a, "@DISK1@", -1);
            g_autofree char *s1 = g_strjoinv(disk1, p1);
            g_auto(GStrv) p2 = g_strsplit(s1, "@DISK2@", -1);

            g_ptr_array_add(argv, g_strjoinv(disk2, p2));
        }
    }
    if (b->nic) {
        g_ptr_array_add(argv, g_strdup("-device"));
        g_ptr_array_add(argv, g_strdup(b->nic));
    }
    g_ptr_array_add(argv, NULL);
    return vg_guest_start_bare((const char *const *)argv->pdata,
                               VGL_MARK_READY, BOOT_TIMEOUT_MS);
}

/* The guest's UDP service answers through the machine's NIC. */
static void assert_answers(guint16 udp_port)
{
    static const char msg[] = "hello from the host";
    char reply[256];
    gssize n = vg_udp_exchange_retry(udp_port, msg, sizeof(msg) - 1, reply,
                                     sizeof(reply) - 1, 1000, 30000);

    g_assert_cmpint(n, >, 0);
    reply[n] = '\0';
    g_test_message("vg-udpd answered: %s", reply);
}

static gboolean taint_enabled(VgQmp *qmp)
{
    g_autofree char *r = vg_qmp_command(qmp, "{\"execute\": \"query-taint\"}",
                                        10000);
    gboolean on = FALSE;

    g_assert_nonnull(r);
    g_assert_true(vg_qmp_get_bool(r, "enabled", &on));
    return on;
}

static void test_boot(gconstpointer data)
{
    const Boot *b = data;
    g_autoptr(GError) err = NULL;
    g_autofree char *dir = g_dir_make_tmp("vg-machines-XXXXXX", &err);
    guint16 udp = vg_free_port(TRUE);
    VgGuest *g;

    g_assert_no_error(err);
    g = boot(b, NULL, NULL, udp, dir);
    assert_answers(udp);
    g_assert_false(taint_enabled(g->qmp));
    if (b->devices) {
        /* The balloon is there (libvirt polls it). */
        g_autofree char *r = vg_qmp_command(g->qmp,
            "{\"execute\": \"query-balloon\"}", 10000);

        g_assert_nonnull(r);
        g_test_message("query-balloon: %s", r);
        g_assert_nonnull(strstr(r, "\"actual\""));
    }
    vg_guest_stop(g);
    {
        g_autofree char *d1 = g_build_filename(dir, "disk1.raw", NULL);
        g_autofree char *d2 = g_build_filename(dir, "disk2.raw", NULL);

        g_unlink(d1);
        g_unlink(d2);
        g_rmdir(dir);
    }
}

/*
 * libvirt's shape: its own "-accel tcg" first, the vigilante object from
 * <qemu:commandline>.  taint=on on the object turns the engine on, and
 * the detector traps vg-udpd's exploit through a virtio NIC on q35.
 */
static void test_taint_from_object(void)
{
    static const char *const accel[] = {
        "-accel", "tcg", "-object", "vigilante,id=vg,taint=on", NULL,
    };
    guint16 udp = vg_free_port(TRUE);
    g_autofree char *port = g_strdup_printf("%u", udp);
    g_autofree char *out = NULL, *ev = NULL;
    g_autoptr(GError) err = NULL;
    VgGuest *g = boot(&q35_serial, accel, "virtio-net-pci", udp, NULL);
    const char *argv[] = { exploit_path, "udp", port, NULL };

    g_assert_true(taint_enabled(g->qmp));
    assert_answers(udp);
    vg_run_program(argv, 30000, &out, &err);
    g_test_message("exploit: %s", out ? out : "");
    ev = vg_qmp_wait_event(g->qmp, "VIGILANTE_ALERT", ALERT_TIMEOUT_MS);
    g_assert_nonnull(ev);
    g_test_message("alert: %s", ev);
    g_assert_nonnull(strstr(ev, "\"aec\""));
    vg_guest_stop(g);
}

/* Start a machine that must be refused; returns its stderr. */
static char *refused(const char *const *args)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(VgVm) vm = vg_vm_start(args, &err);
    int status;

    g_assert_no_error(err);
    g_assert_true(vg_vm_wait_exit(vm, EXIT_TIMEOUT_MS));
    status = vg_vm_exit_status(vm);
    g_assert_true(WIFEXITED(status));
    g_assert_cmpint(WEXITSTATUS(status), ==, 1);
    return vg_vm_stderr(vm);
}

/*
 * Taint and the detector need TCG: under another accelerator (qtest
 * here; KVM on a host with /dev/kvm takes the same path) the emulator
 * stops with an error naming it, whether taint came from the object or
 * only the detector is there.
 */
static void test_needs_tcg(void)
{
    const char *with_taint[] = {
        "-M", "none", "-accel", "qtest",
        "-object", "vigilante,id=vg,taint=on", NULL,
    };
    const char *detector_only[] = {
        "-M", "none", "-accel", "qtest", "-object", "vigilante,id=vg", NULL,
    };
    g_autofree char *e1 = refused(with_taint);
    g_autofree char *e2 = refused(detector_only);

    g_test_message("taint=on: %s", e1);
    g_test_message("detector: %s", e2);
    g_assert_nonnull(strstr(e1, "needs TCG"));
    g_assert_nonnull(strstr(e1, "runs under QTest"));
    g_assert_nonnull(strstr(e2, "needs TCG"));
    g_assert_nonnull(strstr(e2, "runs under QTest"));
}

/* -accel tcg,taint=off wins over the object only with an error. */
static void test_taint_conflict(void)
{
    const char *args[] = {
        "-M", "none", "-object", "vigilante,id=vg,taint=on",
        "-accel", "tcg,taint=off", NULL,
    };
    g_autofree char *e = refused(args);

    g_test_message("stderr: %s", e);
    g_assert_nonnull(strstr(e, "asks for taint=on"));
}

/* Once the machine runs, taint cannot be switched on by object-add. */
static void test_taint_not_at_runtime(void)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *dir = g_dir_make_tmp("vg-machines-XXXXXX", &err);
    g_autofree char *sock = g_build_filename(dir, "qmp.sock", NULL);
    g_autofree char *qmparg = g_strdup_printf("unix:%s,server=on,wait=off",
                                              sock);
    const char *args[] = { "-M", "none", "-accel", "tcg", "-qmp", qmparg,
                           NULL };
    g_autoptr(VgVm) vm = vg_vm_start(args, &err);
    g_autofree char *r = NULL, *q = NULL;
    VgQmp *qmp;

    g_assert_no_error(err);
    qmp = vg_qmp_connect(sock, 10000, &err);
    g_assert_no_error(err);
    r = vg_qmp_command(qmp, "{\"execute\": \"object-add\", \"arguments\": "
                       "{\"qom-type\": \"vigilante\", \"id\": \"vg\", "
                       "\"taint\": true}}", 10000);
    g_test_message("object-add: %s", r);
    g_assert_nonnull(strstr(r, "\"error\""));
    g_assert_nonnull(strstr(r, "start-up"));
    g_assert_false(taint_enabled(qmp));
    vg_qmp_close(qmp);
    g_unlink(sock);
    g_rmdir(dir);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    exploit_path = g_strdup(vg_arg_value(argc, argv, "--exploit="));
    g_assert_nonnull(exploit_path);
    g_test_add_data_func("/linux-machines/pc/nographic", &pc_nographic,
                         test_boot);
    g_test_add_data_func("/linux-machines/pc/serial-stdio", &pc_serial,
                         test_boot);
    g_test_add_data_func("/linux-machines/q35/nographic", &q35_nographic,
                         test_boot);
    g_test_add_data_func("/linux-machines/q35/serial-stdio", &q35_serial,
                         test_boot);
    g_test_add_data_func("/linux-machines/pc/libvirt-devices", &pc_devices,
                         test_boot);
    g_test_add_data_func("/linux-machines/q35/libvirt-devices",
                         &q35_devices, test_boot);
    g_test_add_func("/linux-machines/taint-from-object",
                    test_taint_from_object);
    g_test_add_func("/linux-machines/needs-tcg", test_needs_tcg);
    g_test_add_func("/linux-machines/taint-conflict", test_taint_conflict);
    g_test_add_func("/linux-machines/taint-not-at-runtime",
                    test_taint_not_at_runtime);
    return g_test_run();
}
