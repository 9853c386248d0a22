/*
 * The detector on the Linux guest, through the kernel's network stack:
 * the UDP and TCP stack-overflow exploits are trapped at the ret of the
 * overflowed function (AEC), naming exactly the frame bytes that became
 * the saved return address; thousands of benign requests (copied by the
 * services with glibc's vector memcpy and string functions) raise
 * nothing, with the default CPU and with -cpu max (AVX2 string code).
 *
 * Guest: $VIGILANTE_LINUX_GUEST.  Arguments besides GTest's:
 * --client=PROGRAM --exploit=PROGRAM.
 */
#include <string.h>

#include "guest.h"
#include "linux-guest.h"
#include "payloads.h"

#define BOOT_TIMEOUT_MS     90000
#define PROGRAM_TIMEOUT_MS  120000
#define QMP_TIMEOUT_MS      5000
#define ALERT_TIMEOUT_MS    10000
#define BENIGN_ROUNDS       "350"   /* x 6 UDP requests, x 7 TCP lines */

/* Ethernet + IPv4 + UDP; TCP from slirp carries no options on data. */
#define UDP_PAYLOAD_OFFSET  (14 + 20 + 8)
#define TCP_PAYLOAD_OFFSET  (14 + 20 + 20)
/* Where the exploit messages put the saved return address. */
#define UDP_RET_IN_MSG      (4 + VGL_UDP_RET_OFFSET)        /* after 'VG' op len */
#define TCP_RET_IN_MSG      (5 + VGL_TCP_RET_OFFSET)        /* after "NAME " */

static char *guest_dir, *client_path, *exploit_path;

typedef struct {
    const char *nic;
    const char *cpu;            /* -cpu value or NULL */
} Config;

typedef struct {
    VgGuest *g;
    guint16 udp_port, tcp_port;
} Fixture;

static char *guest_file(const char *name)
{
    return g_build_filename(guest_dir, name, NULL);
}

static void setup(Fixture *f, gconstpointer data)
{
    const Config *c = data;
    g_autofree char *vmlinux = guest_file("vmlinux");
    g_autofree char *kernel = g_file_test(vmlinux, G_FILE_TEST_IS_REGULAR)
                              ? g_strdup(vmlinux) : guest_file("vmlinuz");
    g_autofree char *initrd = guest_file("initramfs.cpio.gz");
    g_autofree char *netdev = NULL, *dev = NULL;

    f->udp_port = vg_free_port(TRUE);
    f->tcp_port = vg_free_port(FALSE);
    netdev = g_strdup_printf("user,id=n0,"
                             "hostfwd=udp:127.0.0.1:%u-" VGL_GUEST_IP ":%u,"
                             "hostfwd=tcp:127.0.0.1:%u-" VGL_GUEST_IP ":%u",
                             f->udp_port, VGL_UDP_PORT,
                             f->tcp_port, VGL_TCP_PORT);
    dev = g_strdup_printf("%s,netdev=n0,romfile=", c->nic);
    {
        const char *args[] = {
            "-accel", "tcg,taint=on", "-m", "256", "-no-reboot",
            "-kernel", kernel, "-initrd", initrd,
            "-append", VGL_KERNEL_CMDLINE, "-netdev", netdev,
            "-device", dev, "-object", "vigilante,id=v0,action=pause",
            c->cpu ? "-cpu" : NULL, c->cpu, NULL,
        };
        f->g = vg_guest_start(args, VGL_MARK_READY, BOOT_TIMEOUT_MS);
    }
}

static void teardown(Fixture *f, gconstpointer data)
{
    vg_guest_stop(f->g);
}

static void run(const char *program, const char *proto, guint16 port,
                const char *rounds)
{
    g_autofree char *port_s = g_strdup_printf("%u", port);
    g_autofree char *out = NULL;
    g_autoptr(GError) err = NULL;
    const char *argv[] = { program, proto, port_s, "10000", rounds, NULL };
    gboolean ok;

    if (!rounds) {
        argv[3] = NULL;         /* the exploit takes no more arguments */
    }
    ok = vg_run_program(argv, PROGRAM_TIMEOUT_MS, &out, &err);
    g_test_message("%s %s: %s", program, proto, out ? out : "");
    g_assert_no_error(err);
    g_assert_true(ok);
}

static void assert_no_alert(Fixture *f)
{
    g_autofree char *ev = vg_qmp_wait_event(f->g->qmp, "VIGILANTE_ALERT",
                                            300);

    if (ev) {
        g_test_message("unexpected alert: %s", ev);
    }
    g_assert_null(ev);
}

/* The little-endian value the exploit message holds at @at. */
static guint64 message_le64(const GByteArray *msg, gsize at)
{
    guint64 v;

    g_assert_cmpuint(at + 8, <=, msg->len);
    memcpy(&v, msg->data + at, 8);
    return GUINT64_FROM_LE(v);
}

/* An AEC at a ret, whose target and labels are the message's bytes. */
static void assert_aec(Fixture *f, guint64 want_target, guint64 frame_off)
{
    g_autofree char *ev = vg_qmp_wait_event(f->g->qmp, "VIGILANTE_ALERT",
                                            ALERT_TIMEOUT_MS);
    g_autofree char *type = NULL, *insn = NULL, *st = NULL, *reply = NULL;
    guint64 target, event0 = 0;
    const char *p;
    int n = 0;

    g_assert_nonnull(ev);
    g_test_message("alert: %s", ev);
    type = vg_qmp_get_string(ev, "type");
    insn = vg_qmp_get_string(ev, "insn");
    g_assert_cmpstr(type, ==, "aec");
    g_assert_cmpstr(insn, ==, "ret ");
    g_assert_true(vg_qmp_get_uint(ev, "target", &target));
    g_assert_cmphex(target, ==, want_target);

    /* Eight labels: one frame, the offsets of the return address. */
    p = strstr(ev, "\"labels\"");
    g_assert_nonnull(p);
    while ((p = strstr(p, "{\"offset\"")) != NULL) {
        guint64 event, offset;

        g_assert_true(vg_qmp_get_uint(p, "offset", &offset));
        g_assert_true(vg_qmp_get_uint(p, "event", &event));
        if (n == 0) {
            event0 = event;
        }
        g_assert_cmpuint(event, ==, event0);
        g_assert_cmpuint(offset, ==, frame_off + n);
        n++;
        p++;
    }
    g_assert_cmpint(n, ==, 8);

    reply = vg_qmp_command(f->g->qmp, "{\"execute\":\"query-status\"}",
                           QMP_TIMEOUT_MS);
    st = vg_qmp_get_string(reply, "status");
    g_assert_cmpstr(st, ==, "paused");
}

static void test_udp(Fixture *f, gconstpointer data)
{
    VglTarget t = { VGL_UDP_PKT_ADDR, 0 };
    g_autoptr(GByteArray) msg = vgl_udp_exploit(&t, NULL);

    g_assert_nonnull(msg);
    run(client_path, "udp", f->udp_port, BENIGN_ROUNDS);
    assert_no_alert(f);
    run(exploit_path, "udp", f->udp_port, NULL);
    assert_aec(f, message_le64(msg, UDP_RET_IN_MSG),
               UDP_PAYLOAD_OFFSET + UDP_RET_IN_MSG);
    g_assert_false(vg_vm_wait_serial(f->g->vm, VGL_MARK_PWNED_UDP, 500));
}

static void test_tcp(Fixture *f, gconstpointer data)
{
    VglTarget t = { VGL_TCP_LINE_ADDR, 0 };
    g_autoptr(GByteArray) msg = vgl_tcp_exploit(&t, NULL);

    g_assert_nonnull(msg);
    run(client_path, "tcp", f->tcp_port, BENIGN_ROUNDS);
    assert_no_alert(f);
    run(exploit_path, "tcp", f->tcp_port, NULL);
    assert_aec(f, message_le64(msg, TCP_RET_IN_MSG),
               TCP_PAYLOAD_OFFSET + TCP_RET_IN_MSG);
    g_assert_false(vg_vm_wait_serial(f->g->vm, VGL_MARK_PWNED_TCP, 500));
}

int main(int argc, char **argv)
{
    static const Config virtio = { "virtio-net-pci", NULL };
    static const Config e1000 = { "e1000", NULL };
    static const Config virtio_max = { "virtio-net-pci", "max" };

    g_test_init(&argc, &argv, NULL);
    guest_dir = g_strdup(g_getenv("VIGILANTE_LINUX_GUEST"));
    client_path = g_strdup(vg_arg_value(argc, argv, "--client="));
    exploit_path = g_strdup(vg_arg_value(argc, argv, "--exploit="));
    g_assert_nonnull(guest_dir);
    g_assert_nonnull(client_path);
    g_assert_nonnull(exploit_path);
    g_test_add("/linux-detect/udp-virtio", Fixture, &virtio, setup,
               test_udp, teardown);
    g_test_add("/linux-detect/tcp-e1000", Fixture, &e1000, setup,
               test_tcp, teardown);
    g_test_add("/linux-detect/udp-cpu-max", Fixture, &virtio_max, setup,
               test_udp, teardown);
    g_test_add("/linux-detect/tcp-cpu-max", Fixture, &virtio_max, setup,
               test_tcp, teardown);
    return g_test_run();
}
