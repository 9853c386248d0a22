/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The detector on the Linux guest, through the kernel's network stack:
 * the UDP and TCP stack-overflow exploits are trapped at the ret of the
 * overflowed function (AEC), naming exactly the frame bytes that became
 * the saved return address; thousands of benign requests (copied by the
 * services with glibc's vector memcpy and string functions) raise
 * nothing, with the default CPU and with -cpu max (AVX2 string code).
 * vg-ctld's overwritten handler pointer is trapped at the call (AEC) and
 * its execve of a path from the network at the syscall (AFA); with taint
 * off, or the afa policy off, the program runs.
 *
 * Guest: $VIGILANTE_LINUX_GUEST.  Arguments besides GTest's:
 * --client=PROGRAM --exploit=PROGRAM.
 */
#include <glib/gstdio.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "guest.h"
#include "host-util.h"
#include "linux-guest.h"
#include "payloads.h"
#include "sca.h"
#include "sca-minimise.h"
#include "sca-verify.h"

#define BOOT_TIMEOUT_MS     90000
#define PROGRAM_TIMEOUT_MS  120000
#define ALERT_TIMEOUT_MS    10000
#define BENIGN_ROUNDS       "350"   /* x 6 UDP requests, x 7 TCP lines */

/* Ethernet + IPv4 + UDP; TCP from slirp carries no options on data. */
#define UDP_PAYLOAD_OFFSET  (14 + 20 + 8)
#define TCP_PAYLOAD_OFFSET  (14 + 20 + 20)
/* Where the exploit messages put the saved return address. */
#define UDP_RET_IN_MSG      (4 + VGL_UDP_RET_OFFSET)        /* after 'VG' op len */
#define TCP_RET_IN_MSG      (5 + VGL_TCP_RET_OFFSET)        /* after "NAME " */
/* vg-ctld's name field, before its handler pointer. */
#define CTL_NAME_LEN        24
/* vg-ctld's job name field, before its command. */
#define JOB_NAME_LEN        16
/* vg-logind's note field, before its show pointer. */
#define LOGIN_NOTE_LEN      32
#define VGL_MARK_PWNED_AFA  "VG-PWNED linux-afa"

static char *guest_dir, *client_path, *exploit_path;

/* The Linux guest's profile and ready snapshot, made on first use. */
static char *verify_dir;
static VgProfile *verify_profile;

typedef struct {
    const char *nic;
    const char *cpu;            /* -cpu value or NULL */
    const char *object;         /* -object, default: action=pause */
    gboolean taint_off;
} Config;

typedef struct {
    VgGuest *g;
    guint16 udp_port, tcp_port, ctl_port, ctl32_port, login_port;
    char *alert_dir;
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
    g_autofree char *netdev = NULL, *dev = NULL, *object = NULL;

    do {
        f->udp_port = vg_free_port(TRUE);
        f->ctl_port = vg_free_port(TRUE);
        f->ctl32_port = vg_free_port(TRUE);
    } while (f->udp_port == f->ctl_port || f->udp_port == f->ctl32_port ||
             f->ctl_port == f->ctl32_port);
    do {
        f->tcp_port = vg_free_port(FALSE);
        f->login_port = vg_free_port(FALSE);
    } while (f->tcp_port == f->login_port);
    netdev = g_strdup_printf("user,id=n0,"
                             "hostfwd=udp:127.0.0.1:%u-" VGL_GUEST_IP ":%u,"
                             "hostfwd=tcp:127.0.0.1:%u-" VGL_GUEST_IP ":%u,"
                             "hostfwd=udp:127.0.0.1:%u-" VGL_GUEST_IP ":%u,"
                             "hostfwd=udp:127.0.0.1:%u-" VGL_GUEST_IP ":%u,"
                             "hostfwd=tcp:127.0.0.1:%u-" VGL_GUEST_IP ":%u",
                             f->udp_port, VGL_UDP_PORT,
                             f->tcp_port, VGL_TCP_PORT,
                             f->ctl_port, VGL_CTL_PORT,
                             f->ctl32_port, VGL_CTL32_PORT,
                             f->login_port, VGL_LOGIN_PORT);
    dev = g_strdup_printf("%s,netdev=n0,romfile=", c->nic);
    f->alert_dir = g_dir_make_tmp("vg-linux-XXXXXX", NULL);
    g_assert_nonnull(f->alert_dir);
    object = g_strdup_printf("%s,alert-dir=%s,program=vg-linux",
                             c->object ? c->object
                                       : "vigilante,id=v0,action=pause",
                             f->alert_dir);
    {
        const char *args[] = {
            "-m", "256", "-no-reboot",
            "-kernel", kernel, "-initrd", initrd,
            "-append", VGL_KERNEL_CMDLINE, "-netdev", netdev,
            "-device", dev, "-object", object,
            "-accel", c->taint_off ? "tcg,taint=off" : "tcg,taint=on",
            c->cpu ? "-cpu" : NULL, c->cpu, NULL,
        };
        f->g = vg_guest_start(args, VGL_MARK_READY, BOOT_TIMEOUT_MS);
    }
}

static void teardown(Fixture *f, gconstpointer data)
{
    vg_guest_stop(f->g);
    vg_dir_remove(f->alert_dir);
    g_free(f->alert_dir);
}

static VgProfile *linux_profile(void)
{
    g_autofree char *ports = g_strdup_printf(
        "ports=udp:%d;tcp:%d;udp:%d;udp:%d;tcp:%d\n", VGL_UDP_PORT,
        VGL_TCP_PORT, VGL_CTL_PORT, VGL_CTL32_PORT, VGL_LOGIN_PORT);

    if (!verify_profile) {
        verify_dir = g_dir_make_tmp("vg-linux-verify-XXXXXX", NULL);
        g_assert_nonnull(verify_dir);
        verify_profile = vg_linux_profile(verify_dir, ports);
    }
    return verify_profile;
}

/* The SCA verifies on a fresh snapshot of the program, taint off. */
static void check_verifies(const Sca *sca)
{
    VgVerdict v = vg_verify(linux_profile(), vg_qemu_path(), sca, 10000);
    g_autofree char *json = vg_verdict_json(&v, sca);

    g_test_message("verify: %s", json);
    g_assert_cmpint(v.kind, ==, VG_VERDICT_VERIFIED);
    vg_verdict_clear(&v);
}

/*
 * The alert's SCA: its type, the message holding the hint (the last one:
 * the attack), its transport and port, the hint; `want` (if given) is
 * the whole attacking message.  The SCA must also verify.
 */
static void check_sca(const char *ev, ScaType type, ScaTransport transport,
                      guint16 port, guint32 hint_offset, guint32 hint_length,
                      const GByteArray *want)
{
    g_autoptr(Sca) sca = vg_alert_sca(ev);
    const ScaMessage *m;

    g_assert_cmpint(sca->type, ==, type);
    g_assert_cmpuint(sca->hint_message, ==, sca->messages->len - 1);
    m = sca_message(sca, sca->hint_message);
    g_assert_cmpint(m->transport, ==, transport);
    g_assert_cmpuint(m->port, ==, port);
    g_assert_cmpuint(sca->hint_offset, ==, hint_offset);
    g_assert_cmpuint(sca->hint_length, ==, hint_length);
    if (want) {
        g_assert_cmpmem(g_bytes_get_data(m->payload, NULL),
                        g_bytes_get_size(m->payload), want->data, want->len);
    }
    check_verifies(sca);
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

/* The little-endian value the exploit message holds at @at. */
static guint64 message_le64(const GByteArray *msg, gsize at)
{
    guint64 v;

    g_assert_cmpuint(at + 8, <=, msg->len);
    memcpy(&v, msg->data + at, 8);
    return GUINT64_FROM_LE(v);
}

/*
 * The alert's labels, all from one frame at consecutive offsets from
 * @frame_off; returns how many (the event lists at most 64).
 */
static int consecutive_labels(const char *ev, guint64 frame_off)
{
    guint64 events[64], offsets[64];
    int n = MIN(vg_alert_labels(ev, events, offsets, 64), 64);

    for (int i = 0; i < n; i++) {
        g_assert_cmpuint(events[i], ==, events[0]);
        g_assert_cmpuint(offsets[i], ==, frame_off + i);
    }
    return n;
}

static void assert_labels(const char *ev, guint64 frame_off, int nlabels)
{
    g_assert_cmpint(consecutive_labels(ev, frame_off), ==, MIN(nlabels, 64));
}

/*
 * Wait for an alert of @want_type at an instruction starting with
 * @want_insn; @want_target unless 0; @nlabels labels from one frame, at
 * consecutive offsets from @frame_off.  The VM must be paused.
 */
static char *assert_alert(Fixture *f, const char *want_type,
                          const char *want_insn, guint64 want_target,
                          guint64 frame_off, int nlabels)
{
    char *ev = vg_qmp_wait_event(f->g->qmp, "VIGILANTE_ALERT",
                                 ALERT_TIMEOUT_MS);
    g_autofree char *type = NULL, *insn = NULL, *st = NULL, *reply = NULL;
    guint64 target;

    g_assert_nonnull(ev);
    g_test_message("alert: %s", ev);
    type = vg_qmp_get_string(ev, "type");
    insn = vg_qmp_get_string(ev, "insn");
    g_assert_cmpstr(type, ==, want_type);
    g_assert_true(g_str_has_prefix(insn, want_insn));
    g_assert_true(vg_qmp_get_uint(ev, "target", &target));
    if (want_target) {
        g_assert_cmphex(target, ==, want_target);
    }

    assert_labels(ev, frame_off, nlabels);

    reply = vg_qmp_command(f->g->qmp, "{\"execute\":\"query-status\"}",
                           VG_QMP_TIMEOUT_MS);
    st = vg_qmp_get_string(reply, "status");
    g_assert_cmpstr(st, ==, "paused");
    return ev;
}

/* An AEC at a ret: eight labels, the saved return address's. */
static char *assert_aec(Fixture *f, guint64 want_target, guint64 frame_off)
{
    return assert_alert(f, "aec", "ret", want_target, frame_off, 8);
}

static void test_udp(Fixture *f, gconstpointer data)
{
    VglTarget t = { VGL_UDP_PKT_ADDR, 0 };
    g_autoptr(GByteArray) msg = vgl_udp_exploit(&t, NULL);
    g_autofree char *ev = NULL;

    g_assert_nonnull(msg);
    run(client_path, "udp", f->udp_port, BENIGN_ROUNDS);
    vg_assert_no_alert(f->g, 300);
    run(exploit_path, "udp", f->udp_port, NULL);
    ev = assert_aec(f, message_le64(msg, UDP_RET_IN_MSG),
                    UDP_PAYLOAD_OFFSET + UDP_RET_IN_MSG);
    check_sca(ev, SCA_TYPE_AEC, SCA_TRANSPORT_UDP, VGL_UDP_PORT,
              UDP_RET_IN_MSG, 8, msg);
    g_assert_false(vg_vm_wait_serial(f->g->vm, VGL_MARK_PWNED_UDP, 500));
}

/*
 * 64-bit ACE whose first block is short: with the AEC policy off, the
 * UDP exploit returns to four NOPs and a 2-byte jmp short before the
 * shellcode, a 6-byte block where the verifier's jump needs 12.  The
 * alert follows the code past the block, and the SCA verifies.
 */
static void test_ace_short_block(Fixture *f, gconstpointer data)
{
    /* The UDP exploit's layout: 'V' 'G' 1 taglen, tag, sled, code. */
    const gsize code_at = 4 + VGL_UDP_RET_OFFSET + 8 + VGL_UDP_SLED_LEN;
    VglTarget t = { VGL_UDP_PKT_ADDR, VGL_UDP_PKT_ADDR + code_at - 6 };
    g_autoptr(GByteArray) msg = vgl_udp_exploit(&t, NULL);
    g_autofree char *ev = NULL;
    g_autoptr(Sca) sca = NULL;

    g_assert_nonnull(msg);
    msg->data[code_at - 2] = 0xeb;          /* jmp short +0 */
    msg->data[code_at - 1] = 0x00;
    g_assert_cmpint(vg_udp_exchange(f->udp_port, msg->data, msg->len, NULL,
                                    0, 0), ==, 0);
    ev = vg_qmp_wait_event(f->g->qmp, "VIGILANTE_ALERT", ALERT_TIMEOUT_MS);
    g_assert_nonnull(ev);
    g_test_message("alert: %s", ev);
    sca = vg_alert_sca(ev);
    g_assert_cmpint(sca->type, ==, SCA_TYPE_ACE);
    g_assert_cmpuint(sca->code_bits, ==, 64);
    /* Where the return landed (the measured address may be a little
     * off), through the jmp and the shellcode to the message's end. */
    g_assert_cmpuint(sca->hint_offset, >=, code_at - 16);
    g_assert_cmpuint(sca->hint_offset, <, code_at - 2);
    g_assert_cmpuint(sca->hint_offset + sca->hint_length, ==, msg->len);
    check_verifies(sca);
    g_assert_false(vg_vm_wait_serial(f->g->vm, VGL_MARK_PWNED_UDP, 500));
}

static void test_tcp(Fixture *f, gconstpointer data)
{
    VglTarget t = { VGL_TCP_LINE_ADDR, 0 };
    g_autoptr(GByteArray) msg = vgl_tcp_exploit(&t, NULL);
    g_autofree char *ev = NULL;

    g_assert_nonnull(msg);
    run(client_path, "tcp", f->tcp_port, BENIGN_ROUNDS);
    vg_assert_no_alert(f->g, 300);
    run(exploit_path, "tcp", f->tcp_port, NULL);
    ev = assert_aec(f, message_le64(msg, TCP_RET_IN_MSG),
                    TCP_PAYLOAD_OFFSET + TCP_RET_IN_MSG);
    check_sca(ev, SCA_TYPE_AEC, SCA_TRANSPORT_TCP, VGL_TCP_PORT,
              TCP_RET_IN_MSG, 8, msg);
    g_assert_false(vg_vm_wait_serial(f->g->vm, VGL_MARK_PWNED_TCP, 500));
}

/* vg-ctld requests, sent and answered over the forwarded port. */
static gssize ctl(Fixture *f, const void *req, gsize len, char *reply,
                  gsize max)
{
    return vg_udp_exchange_retry(f->ctl_port, req, len, reply, max, 300,
                                 ALERT_TIMEOUT_MS);
}

/* Overwrite vg-ctld's handler pointer: the call through it is an AEC. */
static void test_fnptr(Fixture *f, gconstpointer data)
{
    const guint64 target = G_GUINT64_CONSTANT(0x00000000deadbeef);
    guint8 req[1 + CTL_NAME_LEN + 8];
    guint64 le = GUINT64_TO_LE(target);
    g_autofree char *ev = NULL;
    char reply[128];

    for (int i = 0; i < 300; i++) {
        g_autofree char *hello = g_strdup_printf("Hvisitor-%d", i);
        g_autofree char *want = g_strdup_printf("HELLO visitor-%d", i);
        gssize n = ctl(f, hello, strlen(hello) + 1, reply, sizeof(reply) - 1);

        g_assert_cmpint(n, >, 0);
        reply[n] = '\0';
        g_assert_cmpstr(reply, ==, want);
    }
    vg_assert_no_alert(f->g, 300);
    req[0] = 'H';
    memset(req + 1, 'A', CTL_NAME_LEN);
    memcpy(req + 1 + CTL_NAME_LEN, &le, 8);
    g_assert_cmpint(vg_udp_exchange(f->ctl_port, req, sizeof(req), NULL, 0,
                                    0), ==, 0);
    ev = assert_alert(f, "aec", "call", target,
                      UDP_PAYLOAD_OFFSET + 1 + CTL_NAME_LEN, 8);
    check_sca(ev, SCA_TYPE_AEC, SCA_TRANSPORT_UDP, VGL_CTL_PORT,
              1 + CTL_NAME_LEN, 8, NULL);
}

/* A copy of an SCA, for forging. */
static Sca *sca_copy(const Sca *sca)
{
    g_autoptr(GBytes) b = sca_encode(sca, NULL);

    g_assert_nonnull(b);
    return sca_decode(g_bytes_get_data(b, NULL), g_bytes_get_size(b), NULL);
}

static void check_not_verified(const Sca *sca, const char *what)
{
    VgVerdict v = vg_verify(linux_profile(), vg_qemu_path(), sca, 3000);
    g_autofree char *json = vg_verdict_json(&v, sca);

    g_test_message("forged (%s): %s", what, json);
    g_assert_cmpint(v.kind, ==, VG_VERDICT_NOT_VERIFIED);
    vg_verdict_clear(&v);
}

/*
 * Forged AFA SCAs: the hint on the argument instead of the path, the
 * wrong call, a hint that starts on the request's op byte.
 */
static void check_afa_forgeries(const char *ev)
{
    g_autoptr(Sca) sca = vg_alert_sca(ev);
    g_autoptr(Sca) on_arg = sca_copy(sca);
    g_autoptr(Sca) other_call = sca_copy(sca);
    g_autoptr(Sca) on_op = sca_copy(sca);

    on_arg->hint_offset = 1 + strlen("/bin/echo") + 1;
    on_arg->hint_length = strlen(VGL_MARK_PWNED_AFA) + 1;
    check_not_verified(on_arg, "hint on the argument");
    other_call->call = SCA_CALL_EXECVEAT;
    check_not_verified(other_call, "execveat instead of execve");
    on_op->hint_offset = 0;
    check_not_verified(on_op, "hint over the op byte");
}

/* Make vg-ctld execute a path it was sent: AFA, at the syscall. */
static void test_afa(Fixture *f, gconstpointer data)
{
    static const char req[] = "X/bin/echo\0" VGL_MARK_PWNED_AFA;
    g_autofree char *ev = NULL;
    char reply[128];
    gssize n;

    if (((const Config *)data)->taint_off ||
        ((const Config *)data)->object) {
        /* Without taint, or with afa=off, the program runs. */
        n = ctl(f, req, sizeof(req), reply, sizeof(reply) - 1);
        g_assert_cmpint(n, >, 0);
        reply[n] = '\0';
        g_assert_cmpstr(reply, ==, "RAN /bin/echo status 0");
        g_assert_true(vg_vm_wait_serial(f->g->vm, VGL_MARK_PWNED_AFA,
                                        ALERT_TIMEOUT_MS));
        vg_assert_no_alert(f->g, 300);
        return;
    }
    g_assert_cmpint(vg_udp_exchange(f->ctl_port, req, sizeof(req), NULL, 0,
                                    0), ==, 0);
    /* The path's bytes and its terminator, right after the 'X'. */
    ev = assert_alert(f, "afa", "syscall", 0, UDP_PAYLOAD_OFFSET + 1,
                      strlen("/bin/echo") + 1);
    check_sca(ev, SCA_TYPE_AFA, SCA_TRANSPORT_UDP, VGL_CTL_PORT, 1,
              strlen("/bin/echo") + 1, NULL);
    check_afa_forgeries(ev);
    g_assert_false(vg_vm_wait_serial(f->g->vm, VGL_MARK_PWNED_AFA, 500));
}

static char *qmp(Fixture *f, const char *cmd)
{
    char *reply = vg_qmp_command(f->g->qmp, cmd, VG_QMP_TIMEOUT_MS);

    g_assert_nonnull(reply);
    return reply;
}

/*
 * A paused honeypot can resume: cont alone raises the same alert again
 * (the execve is still about to run); once the operator acknowledges
 * the alert, cont lets the guest go on and the program runs.
 */
static void test_afa_acknowledge(Fixture *f, gconstpointer data)
{
    static const char req[] = "X/bin/echo\0" VGL_MARK_PWNED_AFA;
    g_autofree char *ev1 = NULL, *ev2 = NULL, *r = NULL, *ack = NULL;
    g_autofree char *bad = NULL;
    guint64 id1, id2;

    g_assert_cmpint(vg_udp_exchange(f->ctl_port, req, sizeof(req), NULL, 0,
                                    0), ==, 0);
    ev1 = assert_alert(f, "afa", "syscall", 0, UDP_PAYLOAD_OFFSET + 1,
                       strlen("/bin/echo") + 1);
    g_assert_true(vg_qmp_get_uint(ev1, "id", &id1));

    /* Unacknowledged, the same trap fires again at once. */
    g_free(qmp(f, "{\"execute\":\"cont\"}"));
    ev2 = assert_alert(f, "afa", "syscall", 0, UDP_PAYLOAD_OFFSET + 1,
                       strlen("/bin/echo") + 1);
    g_assert_true(vg_qmp_get_uint(ev2, "id", &id2));
    g_assert_cmpuint(id2, ==, id1 + 1);
    g_assert_false(vg_vm_wait_serial(f->g->vm, VGL_MARK_PWNED_AFA, 300));

    /* An id that is not an alert is refused with a reason. */
    bad = qmp(f, "{\"execute\":\"vigilante-acknowledge\","
                 "\"arguments\":{\"id\":999}}");
    g_assert_nonnull(strstr(bad, "no alert 999"));

    ack = g_strdup_printf("{\"execute\":\"vigilante-acknowledge\","
                          "\"arguments\":{\"id\":%" G_GUINT64_FORMAT "}}",
                          id2);
    r = qmp(f, ack);
    g_assert_nonnull(strstr(r, "\"return\""));
    g_free(qmp(f, "{\"execute\":\"cont\"}"));
    g_assert_true(vg_vm_wait_serial(f->g->vm, VGL_MARK_PWNED_AFA,
                                    ALERT_TIMEOUT_MS));
    vg_assert_no_alert(f->g, 300);

    /* The same request again is a new input event: reported again. */
    g_assert_cmpint(vg_udp_exchange(f->ctl_port, req, sizeof(req), NULL, 0,
                                    0), ==, 0);
    g_free(assert_alert(f, "afa", "syscall", 0, UDP_PAYLOAD_OFFSET + 1,
                        strlen("/bin/echo") + 1));
}

/* The same through the i386 system call ABI (vg-ctld32). */
static void test_afa_i386(Fixture *f, gconstpointer data)
{
    static const char req[] = "X/bin/echo\0" VGL_MARK_PWNED_AFA;
    g_autofree char *ev = NULL;

    g_assert_cmpint(vg_udp_exchange(f->ctl32_port, req, sizeof(req), NULL,
                                    0, 0), ==, 0);
    ev = assert_alert(f, "afa", "", 0, UDP_PAYLOAD_OFFSET + 1,
                      strlen("/bin/echo") + 1);
    check_sca(ev, SCA_TYPE_AFA, SCA_TRANSPORT_UDP, VGL_CTL32_PORT, 1,
              strlen("/bin/echo") + 1, NULL);
    g_assert_false(vg_vm_wait_serial(f->g->vm, VGL_MARK_PWNED_AFA, 500));
}

/*
 * Exec calls made the way evasive shellcode makes them (vg-ctld's 'Y'):
 * execve with the upper half of rax set, which the kernel ignores, and
 * from vg-ctld32 execveat through the syscall instruction, whose compat
 * entry takes the path from ebp while ecx holds something else.  Both
 * are trapped, and both SCAs verify.
 */
static void test_afa_raw(Fixture *f, gconstpointer data)
{
    static const char req[] = "Y/bin/echo";
    guint16 ports[] = { f->ctl_port, f->ctl32_port };
    guint16 guest_ports[] = { VGL_CTL_PORT, VGL_CTL32_PORT };

    for (gsize i = 0; i < G_N_ELEMENTS(ports); i++) {
        g_autofree char *ev = NULL, *ack = NULL;
        guint64 id;

        g_assert_cmpint(vg_udp_exchange(ports[i], req, sizeof(req), NULL, 0,
                                        0), ==, 0);
        ev = assert_alert(f, "afa", "syscall", 0, UDP_PAYLOAD_OFFSET + 1,
                          sizeof(req) - 1);
        check_sca(ev, SCA_TYPE_AFA, SCA_TRANSPORT_UDP, guest_ports[i], 1,
                  sizeof(req) - 1, NULL);
        g_assert_true(vg_qmp_get_uint(ev, "id", &id));
        ack = g_strdup_printf("{\"execute\":\"vigilante-acknowledge\","
                              "\"arguments\":{\"id\":%" G_GUINT64_FORMAT
                              "}}", id);
        g_free(qmp(f, ack));
        g_free(qmp(f, "{\"execute\":\"cont\"}"));
    }
}

/*
 * A path the program terminates: vg-ctld's JOB line ends where its '\n'
 * was, and strcpy runs the name into the command.  The alert names the
 * path's dirty bytes (its terminator is the program's); the SCA verifies
 * with a nonce of the path's length and shape, and not one byte early.
 */
static void test_afa_job(Fixture *f, gconstpointer data)
{
    static const char benign[] = "JOB backup\n";
    static const char path[] = "/bin/echo";
    g_autofree char *req = g_strdup_printf("JOB %.*s%s\n", JOB_NAME_LEN,
                                           "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                                           path);
    g_autofree char *ev = NULL;
    g_autoptr(Sca) early = NULL;
    char reply[128];
    gssize n;

    n = ctl(f, benign, strlen(benign), reply, sizeof(reply) - 1);
    g_assert_cmpint(n, >, 0);
    reply[n] = '\0';
    g_assert_cmpstr(reply, ==, "JOB backup status 0");
    vg_assert_no_alert(f->g, 300);

    g_assert_cmpint(vg_udp_exchange(f->ctl_port, req, strlen(req), NULL, 0,
                                    0), ==, 0);
    ev = assert_alert(f, "afa", "syscall", 0,
                      UDP_PAYLOAD_OFFSET + 4 + JOB_NAME_LEN, strlen(path));
    check_sca(ev, SCA_TYPE_AFA, SCA_TRANSPORT_UDP, VGL_CTL_PORT,
              4 + JOB_NAME_LEN, strlen(path), NULL);
    early = vg_alert_sca(ev);
    early->hint_offset--;
    check_not_verified(early, "hint one byte before the path");
}

/*
 * Labels through glibc's copies: vg-ctld copies a string from the
 * request with strcpy, strcat, memmove (also overlapping) or sprintf, at
 * several lengths and alignments, and passes the copy to execve.  Each
 * alert must name every dirty byte of the path with its own offset in
 * the frame, and the SCA's hint must be exactly the copied bytes (with
 * the terminator, unless the copy wrote a clean one of its own).  The
 * guest keeps running (action=continue): one alert per request.
 */
static void test_copies(Fixture *f, gconstpointer data)
{
    static const char ops[] = "scmop";
    static const guint lens[] = {
        1, 2, 3, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 47, 63, 64, 65, 100,
        255, 500,
    };
    static const guint8 aligns[][2] = {   /* destination, source skip */
        { 0, 0 }, { 1, 3 }, { 13, 7 }, { 33, 50 },
    };
    char reply[128];
    guint count = 0, with_nul = 0;

    /* Slirp learns the guest's address; an unknown op raises nothing. */
    g_assert_cmpint(ctl(f, "Cz\0\0x", 6, reply, sizeof(reply)), >, 0);
    vg_assert_no_alert(f->g, 300);
    for (const char *op = ops; *op; op++) {
        for (gsize l = 0; l < G_N_ELEMENTS(lens); l++) {
            for (gsize a = 0; a < G_N_ELEMENTS(aligns); a++) {
                guint len = lens[l], skip = aligns[a][1];
                g_autoptr(GByteArray) req = g_byte_array_new();
                g_autofree char *ev = NULL, *type = NULL;
                g_autoptr(Sca) sca = NULL;
                guint8 head[4] = { 'C', *op, aligns[a][0], skip };
                gssize n;
                int nl;

                g_byte_array_append(req, head, sizeof(head));
                for (guint i = 0; i < skip + len; i++) {
                    /* Capitals: no such file in the guest. */
                    guint8 c = i < skip ? '.'
                                        : 'A' + g_random_int_range(0, 26);

                    g_byte_array_append(req, &c, 1);
                }
                g_byte_array_append(req, (const guint8 *)"", 1);
                n = vg_udp_exchange(f->ctl_port, req->data, req->len, reply,
                                    sizeof(reply) - 1, ALERT_TIMEOUT_MS);
                g_assert_cmpint(n, >, 0);
                reply[n] = '\0';
                g_assert_true(g_str_has_prefix(reply, "COPY "));
                ev = vg_qmp_wait_event(f->g->qmp, "VIGILANTE_ALERT",
                                       ALERT_TIMEOUT_MS);
                g_test_message("op %c len %u align %u/%u: %s", *op, len,
                               aligns[a][0], skip, ev ? ev : "no alert");
                g_assert_nonnull(ev);
                type = vg_qmp_get_string(ev, "type");
                g_assert_cmpstr(type, ==, "afa");
                /*
                 * Every byte its own label; the terminator has the
                 * message's, or none where the copy wrote it itself.
                 */
                nl = consecutive_labels(ev, UDP_PAYLOAD_OFFSET + 4 + skip);
                g_assert_true(nl == (int)MIN(len, 64) ||
                              nl == (int)MIN(len + 1, 64));
                sca = vg_alert_sca(ev);
                g_assert_cmpuint(sca->hint_offset, ==, 4 + skip);
                g_assert_true(sca->hint_length == len ||
                              sca->hint_length == len + 1);
                if (nl < 64) {
                    g_assert_cmpuint(sca->hint_length, ==, nl);
                }
                with_nul += sca->hint_length == len + 1;
                count++;
            }
        }
    }
    g_test_message("%u copies, every byte labelled (%u with the "
                   "terminator's)", count, with_nul);
    vg_assert_no_alert(f->g, 300);
}

/* A TCP listener on 127.0.0.1 (an ephemeral port, in *port). */
static int listen_loopback(guint16 *port)
{
    struct sockaddr_in a = { .sin_family = AF_INET,
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t alen = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(bind(fd, (struct sockaddr *)&a, sizeof(a)), ==, 0);
    g_assert_cmpint(listen(fd, 4), ==, 0);
    g_assert_cmpint(getsockname(fd, (struct sockaddr *)&a, &alen), ==, 0);
    *port = ntohs(a.sin_port);
    return fd;
}

/* Did anything connect within timeout_ms?  (Accepted and closed.) */
static gboolean connected(int lfd, int timeout_ms)
{
    struct pollfd pfd = { .fd = lfd, .events = POLLIN };

    if (poll(&pfd, 1, timeout_ms) <= 0) {
        return FALSE;
    }
    close(accept(lfd, NULL, NULL));
    return TRUE;
}

/*
 * The verifier's VM cannot send traffic out.  The probe: vg-ctld told to
 * run busybox wget against 10.0.2.2 (slirp's alias of the host), which a
 * normal VM reaches (checked first, taint off).  Then an SCA whose first
 * message is that probe, replayed verbatim, and whose second is an AFA
 * request to the same vg-ctld: vg-ctld serves requests one at a time
 * and waits for each program, so the SCA verifies only once wget has run
 * and given up, inside the verifier's VM.  Nothing may connect.
 */
static void test_verifier_no_egress(Fixture *f, gconstpointer data)
{
    guint16 port;
    int lfd = listen_loopback(&port);
    g_autofree char *url = g_strdup_printf("http://10.0.2.2:%u/", port);
    g_autoptr(GByteArray) probe = g_byte_array_new();
    static const char echo[] = "X/bin/echo\0hello-world";
    g_autoptr(Sca) sca = sca_new(SCA_TYPE_AFA, "vg-linux");
    VgVerdict v;
    g_autofree char *json = NULL;

    g_byte_array_append(probe, (const guint8 *)"X/bin/wget", 11);
    g_byte_array_append(probe, (const guint8 *)url, strlen(url) + 1);

    /* From a normal VM the probe gets out. */
    g_assert_cmpint(vg_udp_exchange(f->ctl_port, probe->data, probe->len,
                                    NULL, 0, 0), ==, 0);
    g_assert_true(connected(lfd, 20000));

    sca_add_message(sca, SCA_TRANSPORT_UDP, VGL_CTL_PORT, probe->data,
                    probe->len);
    sca_add_message(sca, SCA_TRANSPORT_UDP, VGL_CTL_PORT,
                    (const uint8_t *)echo, sizeof(echo));
    sca->hint_message = 1;
    sca->hint_offset = 1;
    sca->hint_length = strlen("/bin/echo") + 1;
    sca->call = SCA_CALL_EXECVE;
    v = vg_verify(linux_profile(), vg_qemu_path(), sca, 30000);
    json = vg_verdict_json(&v, sca);
    g_test_message("probe SCA: %s", json);
    g_assert_cmpint(v.kind, ==, VG_VERDICT_VERIFIED);
    vg_verdict_clear(&v);
    g_assert_false(connected(lfd, 1000));
    close(lfd);
}

/* Send one request line on a vg-logind connection and read its answer. */
static char *login_line(int fd, const char *line, gsize len)
{
    GString *r = g_string_new(NULL);
    gint64 deadline = g_get_monotonic_time() + ALERT_TIMEOUT_MS * 1000LL;

    g_assert_cmpint(send(fd, line, len, MSG_NOSIGNAL), ==, (gssize)len);
    while (!strchr(r->str, '\n') && g_get_monotonic_time() < deadline) {
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        char buf[256];
        gssize n;

        if (poll(&pfd, 1, 100) <= 0) {
            continue;
        }
        n = recv(fd, buf, sizeof(buf), 0);
        if (n <= 0) {
            break;
        }
        g_string_append_len(r, buf, n);
    }
    return g_string_free(r, FALSE);
}

/*
 * The multi-message exploit: vg-logind's overflow is reachable only after
 * LOGIN, and the attacker sends an unrelated TIME first, each line its own
 * segment of one connection.  The alert's tentative SCA holds all three
 * messages; minimisation by replay (the suffix search) drops TIME, keeps
 * LOGIN, and the result verifies.
 */
static void test_login(Fixture *f, gconstpointer data)
{
    static const char time_req[] = "TIME\n";
    static const char login_req[] = "LOGIN mallory " VGL_LOGIN_PASSWORD "\n";
    const guint64 target = G_GUINT64_CONSTANT(0x00000000deadbeef);
    guint64 le = GUINT64_TO_LE(target);
    g_autoptr(GByteArray) note = g_byte_array_new();
    g_autoptr(GError) err = NULL;
    g_autoptr(Sca) sca = NULL, min = NULL;
    g_autofree char *ev = NULL, *r = NULL;
    VgMinimiseStats st;
    const guint32 hint_at = 5 + LOGIN_NOTE_LEN;
    gint64 t0 = g_get_monotonic_time();
    int fd;

    /* Benign sessions: every command, notes that fit. */
    for (int i = 0; i < 60; i++) {
        g_autofree char *req = g_strdup_printf(
            "HELLO\nLOGIN user%d " VGL_LOGIN_PASSWORD "\nTIME\n"
            "NOTE meeting at %d o'clock\nQUIT\n", i, i % 24);
        g_autofree char *want = g_strdup_printf(
            "HI vg-logind\nOK user%d\n", i);
        char reply[512];
        gssize n = vg_tcp_request(f->login_port, req, strlen(req), reply,
                                  sizeof(reply) - 1, ALERT_TIMEOUT_MS);

        g_assert_cmpint(n, >, 0);
        reply[n] = '\0';
        g_assert_true(g_str_has_prefix(reply, want));
        g_assert_nonnull(strstr(reply, "NOTED meeting at"));
        g_assert_true(g_str_has_suffix(reply, "BYE\n"));
    }
    g_test_message("60 benign vg-logind sessions in %.1f s",
                   (g_get_monotonic_time() - t0) / 1e6);
    vg_assert_no_alert(f->g, 300);

    /* Without the login the note is refused: the login is needed. */
    fd = vg_tcp_connect(f->login_port, ALERT_TIMEOUT_MS);
    g_assert_cmpint(fd, >=, 0);
    r = login_line(fd, "NOTE x\n", 7);
    g_assert_cmpstr(r, ==, "ERR not logged in\n");
    g_clear_pointer(&r, g_free);
    close(fd);

    g_byte_array_append(note, (const guint8 *)"NOTE ", 5);
    for (int i = 0; i < LOGIN_NOTE_LEN; i++) {
        g_byte_array_append(note, (const guint8 *)"N", 1);
    }
    g_byte_array_append(note, (const guint8 *)&le, 8);
    g_byte_array_append(note, (const guint8 *)"\n", 1);

    fd = vg_tcp_connect(f->login_port, ALERT_TIMEOUT_MS);
    g_assert_cmpint(fd, >=, 0);
    r = login_line(fd, time_req, strlen(time_req));
    g_assert_true(g_str_has_prefix(r, "TIME "));
    g_clear_pointer(&r, g_free);
    r = login_line(fd, login_req, strlen(login_req));
    g_assert_cmpstr(r, ==, "OK mallory\n");
    g_assert_cmpint(send(fd, note->data, note->len, MSG_NOSIGNAL), ==,
                    (gssize)note->len);
    ev = assert_alert(f, "aec", "call", target, TCP_PAYLOAD_OFFSET + hint_at,
                      8);
    close(fd);

    /* The event log's flows: the exploit connection is the last one to
     * the port, with its three messages at their stream offsets. */
    {
        g_autofree char *flows = vg_qmp_command(
            f->g->qmp, "{\"execute\":\"query-vigilante-flows\"}",
            VG_QMP_TIMEOUT_MS);
        g_autoptr(JsonNode) ret = vg_qmp_parse_member(flows, "return");
        const guint64 lens[] = { strlen(time_req), strlen(login_req),
                                 note->len };
        JsonObject *last = NULL;
        JsonArray *a, *msgs;
        guint64 offset = 0;
        int nflows = 0;

        g_assert_nonnull(ret);
        a = json_node_get_array(ret);
        for (guint i = 0; i < json_array_get_length(a); i++) {
            JsonObject *o = json_array_get_object_element(a, i);

            if (!g_strcmp0(json_object_get_string_member(o, "destination"),
                           VGL_GUEST_IP ":5006")) {
                last = o;
                nflows++;
            }
        }
        /* 60 benign sessions, the refused note, the exploit (and a
         * session the harness retried, if slirp reset one). */
        g_assert_cmpint(nflows, >=, 62);
        msgs = json_object_get_array_member(last, "messages");
        g_assert_cmpuint(json_array_get_length(msgs), ==, 3);
        for (guint i = 0; i < 3; i++) {
            JsonObject *m = json_array_get_object_element(msgs, i);

            g_assert_cmpuint(json_object_get_int_member(m, "length"), ==,
                             lens[i]);
            g_assert_cmpuint(json_object_get_int_member(m, "stream-offset"),
                             ==, offset);
            offset += lens[i];
        }
    }

    /* The tentative SCA: the connection's three messages, in order. */
    sca = vg_alert_sca(ev);
    g_assert_cmpint(sca->type, ==, SCA_TYPE_AEC);
    g_assert_cmpuint(sca->messages->len, ==, 3);
    g_assert_cmpuint(sca->hint_message, ==, 2);
    g_assert_cmpuint(sca->hint_offset, ==, hint_at);
    g_assert_cmpuint(sca->hint_length, ==, 8);
    for (guint i = 0; i < 3; i++) {
        g_assert_cmpint(sca_message(sca, i)->transport, ==,
                        SCA_TRANSPORT_TCP);
        g_assert_cmpuint(sca_message(sca, i)->port, ==, VGL_LOGIN_PORT);
    }
    g_assert_cmpmem(g_bytes_get_data(sca_message(sca, 0)->payload, NULL),
                    g_bytes_get_size(sca_message(sca, 0)->payload),
                    time_req, strlen(time_req));
    g_assert_cmpmem(g_bytes_get_data(sca_message(sca, 2)->payload, NULL),
                    g_bytes_get_size(sca_message(sca, 2)->payload),
                    note->data, note->len);

    /* Minimised by replay: TIME dropped, LOGIN kept, still verified. */
    min = vg_sca_minimise(linux_profile(), vg_qemu_path(), sca, 10000, &st,
                          &err);
    g_assert_no_error(err);
    {
        g_autoptr(GBytes) a = sca_encode(sca, NULL);
        g_autoptr(GBytes) b = sca_encode(min, NULL);

        g_test_message("login SCA: %zu bytes tentative, %zu minimised "
                       "(%u replays, %u message(s) dropped, %u bytes "
                       "filled)", g_bytes_get_size(a), g_bytes_get_size(b),
                       st.replays, st.messages_dropped, st.bytes_filled);
    }
    g_assert_cmpuint(min->messages->len, ==, 2);
    g_assert_cmpuint(st.messages_dropped, ==, 1);
    g_assert_cmpuint(min->hint_message, ==, 1);
    g_assert_cmpuint(min->hint_offset, ==, hint_at);
    g_assert_cmpuint(g_bytes_get_size(sca_message(min, 0)->payload), >, 6);
    g_assert_cmpint(memcmp(g_bytes_get_data(sca_message(min, 0)->payload,
                                            NULL), "LOGIN ", 6), ==, 0);
    check_verifies(min);
}

int main(int argc, char **argv)
{
    int ret;
    static const Config virtio = { .nic = "virtio-net-pci" };
    static const Config e1000 = { .nic = "e1000" };
    static const Config virtio_max = { .nic = "virtio-net-pci", .cpu = "max" };
    static const Config taint_off = { .nic = "virtio-net-pci",
                                      .taint_off = TRUE };
    static const Config virtio_cont = {
        .nic = "virtio-net-pci", .object = "vigilante,id=v0,action=continue",
    };
    static const Config virtio_max_cont = {
        .nic = "virtio-net-pci", .cpu = "max",
        .object = "vigilante,id=v0,action=continue",
    };
    static const Config aec_off = {
        .nic = "virtio-net-pci",
        .object = "vigilante,id=v0,action=pause,aec=off",
    };
    static const Config afa_off = {
        .nic = "virtio-net-pci",
        .object = "vigilante,id=v0,action=pause,afa=off",
    };

    g_test_init(&argc, &argv, NULL);
    guest_dir = g_strdup(g_getenv("VIGILANTE_LINUX_GUEST"));
    client_path = g_strdup(vg_arg_value(argc, argv, "--client="));
    exploit_path = g_strdup(vg_arg_value(argc, argv, "--exploit="));
    g_assert_nonnull(guest_dir);
    g_assert_nonnull(client_path);
    g_assert_nonnull(exploit_path);
    g_test_add("/linux-detect/udp-virtio", Fixture, &virtio, setup,
               test_udp, teardown);
    g_test_add("/linux-detect/ace-short-block", Fixture, &aec_off, setup,
               test_ace_short_block, teardown);
    g_test_add("/linux-detect/tcp-e1000", Fixture, &e1000, setup,
               test_tcp, teardown);
    g_test_add("/linux-detect/udp-cpu-max", Fixture, &virtio_max, setup,
               test_udp, teardown);
    g_test_add("/linux-detect/tcp-cpu-max", Fixture, &virtio_max, setup,
               test_tcp, teardown);
    g_test_add("/linux-detect/fnptr", Fixture, &virtio, setup,
               test_fnptr, teardown);
    g_test_add("/linux-detect/afa", Fixture, &virtio, setup,
               test_afa, teardown);
    g_test_add("/linux-detect/afa-acknowledge", Fixture, &virtio, setup,
               test_afa_acknowledge, teardown);
    g_test_add("/linux-detect/afa-i386", Fixture, &virtio, setup,
               test_afa_i386, teardown);
    g_test_add("/linux-detect/afa-raw", Fixture, &virtio, setup,
               test_afa_raw, teardown);
    g_test_add("/linux-detect/afa-job", Fixture, &virtio, setup,
               test_afa_job, teardown);
    g_test_add("/linux-detect/copies", Fixture, &virtio_cont, setup,
               test_copies, teardown);
    g_test_add("/linux-detect/copies-cpu-max", Fixture, &virtio_max_cont,
               setup, test_copies, teardown);
    g_test_add("/linux-detect/login-tcp", Fixture, &virtio, setup,
               test_login, teardown);
    g_test_add("/linux-detect/verifier-no-egress", Fixture, &taint_off,
               setup, test_verifier_no_egress, teardown);
    g_test_add("/linux-detect/afa-taint-off", Fixture, &taint_off, setup,
               test_afa, teardown);
    g_test_add("/linux-detect/afa-policy-off", Fixture, &afa_off, setup,
               test_afa, teardown);
    ret = g_test_run();
    if (verify_dir) {
        vg_dir_remove(verify_dir);
    }
    return ret;
}
