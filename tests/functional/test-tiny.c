/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Functional tests on the tiny guest: boot, UDP echo, and the seed's
 * Figure-1 service (benign requests, rejected requests, the exploit).
 *
 * Arguments besides GTest's: --guest=ELF --exploit=PROGRAM; by default
 * both are looked up under $VIGILANTE_BUILD_ROOT.
 */
#include <string.h>

#include "harness.h"
#include "layout.h"

#define BOOT_TIMEOUT_MS     10000
#define REPLY_TIMEOUT_MS    3000
#define RETRY_MS            200

static char *guest_path;
static char *exploit_path;

typedef struct {
    VgVm *vm;
    const char *nic;
    guint16 echo_port;
    guint16 fig1_port;
    gint64 boot_us;             /* emulator start to the ready marker */
    char *ready_line;
} TinyFixture;

static VgVm *start_guest(TinyFixture *f)
{
    g_autofree char *netdev = NULL;
    g_autofree char *device = NULL;
    g_autoptr(GError) err = NULL;
    VgVm *vm;

    do {
        f->echo_port = vg_free_port(TRUE);
        f->fig1_port = vg_free_port(TRUE);
    } while (f->echo_port == f->fig1_port);

    /*
     * No restrict=on: libslirp (4.7) drops every UDP datagram from a
     * restricted guest, replies to forwarded ports included.  The tiny
     * guest never opens connections of its own.
     */
    netdev = g_strdup_printf("user,id=n0,"
                             "hostfwd=udp:127.0.0.1:%u-" TINY_IP_ADDR ":%u,"
                             "hostfwd=udp:127.0.0.1:%u-" TINY_IP_ADDR ":%u",
                             f->echo_port, TINY_UDP_ECHO_PORT,
                             f->fig1_port, TINY_UDP_FIG1_PORT);
    /* romfile= skips the iPXE option ROM: faster boot, not needed. */
    device = g_strdup_printf("%s,netdev=n0,romfile=", f->nic);
    {
        const char *args[] = {
            "-m", "32", "-no-reboot", "-kernel", guest_path,
            "-netdev", netdev, "-device", device, NULL,
        };
        vm = vg_vm_start(args, &err);
    }
    g_assert_no_error(err);
    return vm;
}

static void tiny_setup(TinyFixture *f, gconstpointer data)
{
    f->nic = data;
    for (int attempt = 0; attempt < 3; attempt++) {
        gint64 start = g_get_monotonic_time();

        f->vm = start_guest(f);
        f->ready_line = vg_vm_wait_serial_line(f->vm, TINY_MARK_READY,
                                               BOOT_TIMEOUT_MS);
        if (f->ready_line) {
            f->boot_us = g_get_monotonic_time() - start;
            return;
        }
        if (vg_vm_running(f->vm)) {
            break;              /* up but not ready: a real failure */
        }
        /* Exited early, e.g. a forwarded port was taken meanwhile. */
        g_test_message("emulator exited during boot, log %s",
                       vg_vm_log_path(f->vm));
        vg_vm_stop(f->vm);
        f->vm = NULL;
    }
    g_test_message("serial output:\n%s", f->vm ? vg_vm_serial(f->vm) : "");
    g_assert_not_reached();
}

static void tiny_teardown(TinyFixture *f, gconstpointer data)
{
    vg_vm_stop(f->vm);
    g_free(f->ready_line);
}

/* Echo @len bytes and check the answer; the guest must be warm. */
static void assert_echo(TinyFixture *f, const guint8 *msg, gsize len)
{
    g_autofree guint8 *reply = g_malloc(2048);
    gssize n = vg_udp_exchange_retry(f->echo_port, msg, len, reply, 2048,
                                     1000, REPLY_TIMEOUT_MS);

    g_assert_cmpint(n, ==, len);
    g_assert_cmpmem(reply, n, msg, len);
}

/*
 * The first datagrams may be lost while slirp learns the guest's MAC,
 * so the first exchange retries briefly.
 */
static void warm_up(TinyFixture *f)
{
    static const char msg[] = "warm-up";
    char reply[64];
    gssize n = vg_udp_exchange_retry(f->echo_port, msg, sizeof(msg) - 1,
                                     reply, sizeof(reply), RETRY_MS,
                                     REPLY_TIMEOUT_MS);

    g_assert_cmpint(n, ==, sizeof(msg) - 1);
    g_assert_cmpmem(reply, n, msg, sizeof(msg) - 1);
}

/* Send a Figure-1 request and return the service's answer as a string. */
static char *fig1_request(TinyFixture *f, const void *msg, gsize len)
{
    char reply[256];
    gssize n = vg_udp_exchange_retry(f->fig1_port, msg, len, reply,
                                     sizeof(reply) - 1, 1000,
                                     REPLY_TIMEOUT_MS);

    g_assert_cmpint(n, >, 0);
    return g_strndup(reply, n);
}

static void test_boot(TinyFixture *f, gconstpointer data)
{
    g_autofree char *ready = g_strdup_printf(TINY_MARK_READY " nic=%s ip="
                                             TINY_IP_ADDR " ", f->nic);
    const char *serial = vg_vm_serial(f->vm);
    gint64 start = g_get_monotonic_time();

    g_assert_nonnull(strstr(serial, TINY_MARK_BOOT));
    g_assert_true(g_str_has_prefix(f->ready_line, ready));
    g_assert_null(strstr(serial, "VG-ERROR"));
    warm_up(f);
    g_test_message("%s: ready %.3f s after start, first echo %.3f s later",
                   f->nic, f->boot_us / 1e6,
                   (g_get_monotonic_time() - start) / 1e6);
}

static void test_echo(TinyFixture *f, gconstpointer data)
{
    static const gsize sizes[] = { 1, 2, 17, 60, 64, 511, 1024, 1400, 1472 };

    warm_up(f);
    for (gsize i = 0; i < G_N_ELEMENTS(sizes); i++) {
        g_autofree guint8 *msg = g_malloc(sizes[i]);

        for (gsize j = 0; j < sizes[i]; j++) {
            msg[j] = g_test_rand_int_range(0, 256);
        }
        assert_echo(f, msg, sizes[i]);
    }
    /* Zero bytes and an all-zero payload come back too. */
    {
        guint8 zeros[300] = { 0 };
        assert_echo(f, zeros, sizeof(zeros));
    }
}

static void test_fig1_benign(TinyFixture *f, gconstpointer data)
{
    /* 0x31 + 62 characters + zero fill the 64-byte buffer exactly. */
    g_autofree char *longest = g_strnfill(TINY_FIG1_BUF_SIZE - 2, 'x');
    g_autofree char *out = NULL;
    g_autofree char *answer = NULL;
    g_autoptr(GError) err = NULL;
    g_autofree char *port = NULL;
    guint8 msg[TINY_FIG1_BUF_SIZE];

    warm_up(f);
    port = g_strdup_printf("%u", f->fig1_port);
    {
        const char *argv[] = {
            exploit_path, "--benign", "--text", "hello", port, NULL,
        };
        g_assert_true(vg_run_program(argv, 10000, &out, &err));
    }
    g_assert_no_error(err);
    g_assert_nonnull(strstr(out, "fig1 copied 6"));

    msg[0] = TINY_FIG1_MAGIC;
    memcpy(msg + 1, longest, strlen(longest) + 1);
    answer = fig1_request(f, msg, sizeof(msg));
    g_assert_cmpstr(answer, ==, "fig1 copied 63");

    /* The service is still alive and nothing was hijacked. */
    assert_echo(f, (const guint8 *)"still alive", 11);
    g_assert_nonnull(strstr(vg_vm_serial(f->vm), "fig1: copied"));
    g_assert_null(strstr(vg_vm_serial(f->vm), TINY_MARK_PWNED));
}

static void test_fig1_ignored(TinyFixture *f, gconstpointer data)
{
    static const char wrong_first_byte[] = "2hello";
    g_autofree char *answer = NULL;
    g_autofree guint8 *long_msg = NULL;

    warm_up(f);
    answer = fig1_request(f, wrong_first_byte, sizeof(wrong_first_byte));
    g_assert_cmpstr(answer, ==, "fig1 ignored");
    g_clear_pointer(&answer, g_free);

    /* Long enough to overflow, but the first-byte check stops it. */
    long_msg = g_malloc(500);
    memset(long_msg, 'A', 500);
    answer = fig1_request(f, long_msg, 500);
    g_assert_cmpstr(answer, ==, "fig1 ignored");

    assert_echo(f, (const guint8 *)"still alive", 11);
    g_assert_null(strstr(vg_vm_serial(f->vm), TINY_MARK_PWNED));
}

static void test_fig1_exploit(TinyFixture *f, gconstpointer data)
{
    g_autofree char *port = g_strdup_printf("%u", f->fig1_port);
    g_autofree char *out = NULL;
    g_autoptr(GError) err = NULL;
    const char *argv[] = { exploit_path, port, NULL };
    char reply[16];

    /* Make sure slirp delivers: the exploit sends exactly one datagram. */
    warm_up(f);
    g_assert_null(strstr(vg_vm_serial(f->vm), TINY_MARK_PWNED));

    g_assert_true(vg_run_program(argv, 10000, &out, &err));
    g_assert_no_error(err);

    /* The whole line, printed by the code carried in the datagram. */
    if (!vg_vm_wait_serial(f->vm, "\n" TINY_MARK_PWNED "\n", 5000)) {
        g_test_message("serial output:\n%s", vg_vm_serial(f->vm));
        g_test_fail();
        return;
    }
    /* The service never returned: no "copied" line, no more answers. */
    g_assert_null(strstr(vg_vm_serial(f->vm), "fig1: copied"));
    g_assert_cmpint(vg_udp_exchange(f->echo_port, "x", 1, reply,
                                    sizeof(reply), 500), ==, -1);
    /* Halted by the injected code, not reset or crashed. */
    g_assert_true(vg_vm_running(f->vm));
}

/* A missing emulator or guest is a failure, not a skip. */
static void test_prerequisites(void)
{
    if (!g_file_test(vg_qemu_path(), G_FILE_TEST_IS_EXECUTABLE)) {
        g_test_message("emulator not found: %s", vg_qemu_path());
        g_test_fail();
    }
    if (!g_file_test(guest_path, G_FILE_TEST_IS_REGULAR)) {
        g_test_message("tiny guest not found: %s", guest_path);
        g_test_fail();
    }
    if (!g_file_test(exploit_path, G_FILE_TEST_IS_EXECUTABLE)) {
        g_test_message("exploit client not found: %s", exploit_path);
        g_test_fail();
    }
}

static void parse_args(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (g_str_has_prefix(argv[i], "--guest=")) {
            guest_path = g_strdup(argv[i] + strlen("--guest="));
        } else if (g_str_has_prefix(argv[i], "--exploit=")) {
            exploit_path = g_strdup(argv[i] + strlen("--exploit="));
        }
    }
    if (!guest_path) {
        guest_path = vg_build_file("tests/guests/tiny/tiny-guest.elf");
    }
    if (!exploit_path) {
        exploit_path =
            vg_build_file("tests/functional/exploits/fig1-exploit");
    }
}

static void add_tests(const char *nic)
{
    static const struct {
        const char *name;
        void (*fn)(TinyFixture *, gconstpointer);
    } cases[] = {
        { "boot", test_boot },
        { "echo", test_echo },
        { "fig1-benign", test_fig1_benign },
        { "fig1-ignored", test_fig1_ignored },
        { "fig1-exploit", test_fig1_exploit },
    };

    g_autofree char *prerequisites =
        g_strdup_printf("/tiny/%s/prerequisites", nic);

    g_test_add_func(prerequisites, test_prerequisites);
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *path = g_strdup_printf("/tiny/%s/%s", nic,
                                                cases[i].name);
        g_test_add(path, TinyFixture, nic, tiny_setup, cases[i].fn,
                   tiny_teardown);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    parse_args(argc, argv);

    add_tests("e1000");
    add_tests("rtl8139");
    return g_test_run();
}
