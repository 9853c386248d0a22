/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A vulnerability filter for vg-logind's multi-message exploit (TIME,
 * LOGIN, then a NOTE longer than its 32-byte field) on the Linux guest,
 * taint off, on tap networking in the test's own network namespace,
 * with filter-vigilante given on the command line; once per NIC model
 * (virtio-net-pci, whose frames carry a vnet header on tap, e1000 and
 * rtl8139).  Without the filter
 * the exploit lands (the service dies on the bad pointer); with it,
 * benign sessions are all answered and the exploit is dropped however
 * it is cut: one segment, 1-byte segments, out of order then
 * retransmitted, a decoy with a bad checksum first, overlapping
 * retransmissions (same bytes: judged; other bytes: dropped), IPv4
 * fragments, and line by line as the real exploit sends it.  The
 * evasions use hand-built frames (tests/functional/rawtcp.c).  Removing
 * the filter lets the exploit in again.
 *
 * Then the same on QEMU's socket backend (e1000), where the raw client
 * is the other end of the link.
 *
 * The tap cases need root: skipped otherwise.  Arguments besides
 * GTest's: none.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "filter-text.h"
#include "guest.h"
#include "host-util.h"
#include "linux-guest.h"
#include "logind-exploit.h"
#include "netns.h"
#include "rawtcp.h"

#define BOOT_TIMEOUT_MS     90000
#define REPLY_TIMEOUT_MS    10000
#define TAP_NAME            "vgtap0"
#define RAW_IP              "10.0.2.3"
#define BENIGN_SESSIONS     300
#define MARK_DIED           "vg-logind exited"

static const uint8_t guest_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
static const char path_prefix[] = VGL_LOGIN_EXPLOIT_PREFIX;
static gboolean network_up;

static guint count(const char *hay, const char *needle)
{
    guint n = 0;

    for (const char *p = hay; (p = strstr(p, needle)); p++) {
        n++;
    }
    return n;
}

static guint deaths(VgGuest *g)
{
    return count(vg_vm_serial(g->vm), MARK_DIED);
}

/* One session over the host's own TCP to the guest; its replies. */
static char *session(const char *req)
{
    struct sockaddr_in a = { .sin_family = AF_INET,
                             .sin_port = htons(VGL_LOGIN_PORT) };
    GString *r = g_string_new(NULL);
    gint64 deadline = g_get_monotonic_time() + REPLY_TIMEOUT_MS * 1000LL;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    inet_pton(AF_INET, VGL_GUEST_IP, &a.sin_addr);
    while (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
        g_assert_cmpint(g_get_monotonic_time(), <, deadline);
        close(fd);
        g_usleep(200 * 1000);
        fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    }
    g_assert_cmpint(send(fd, req, strlen(req), MSG_NOSIGNAL), ==,
                    (gssize)strlen(req));
    while (!g_str_has_suffix(r->str, "BYE\n") &&
           g_get_monotonic_time() < deadline) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        char buf[512];
        gssize n;

        if (poll(&p, 1, 100) <= 0) {
            continue;
        }
        n = recv(fd, buf, sizeof(buf), 0);
        if (n <= 0) {
            break;
        }
        g_string_append_len(r, buf, n);
    }
    close(fd);
    return g_string_free(r, FALSE);
}

static void assert_serving(void)
{
    g_autofree char *r = session("HELLO\nQUIT\n");

    g_assert_cmpstr(r, ==, "HI vg-logind\nBYE\n");
}

static char *qmp(VgGuest *g, const char *json, gboolean fails)
{
    char *r = vg_qmp_command(g->qmp, json, VG_QMP_TIMEOUT_MS);

    g_assert_nonnull(r);
    g_test_message("%.300s -> %s", json, r);
    g_assert_true((strstr(r, "\"error\"") != NULL) == fails);
    return r;
}

static guint16 next_port = 30000;

/* The socket backend's UDP ports (ours, the emulator's), or 0: tap. */
static guint16 link_local, link_qemu;

static void raw_open(RawTcp *t)
{
    g_autoptr(GError) err = NULL;

    if (link_local) {
        g_assert_true(raw_tcp_open_udp(t, link_local, link_qemu, RAW_IP,
                                       VGL_GUEST_IP, guest_mac, next_port++,
                                       VGL_LOGIN_PORT, REPLY_TIMEOUT_MS,
                                       &err));
    } else {
        g_assert_true(raw_tcp_open(t, TAP_NAME, RAW_IP, VGL_GUEST_IP,
                                   guest_mac, next_port++, VGL_LOGIN_PORT,
                                   REPLY_TIMEOUT_MS, &err));
    }
    g_assert_no_error(err);
}

/* A benign session over the raw client (no host stack on this link). */
static void assert_serving_raw(void)
{
    static const char req[] = "HELLO\nLOGIN alice " VGL_LOGIN_PASSWORD
                              "\nNOTE lunch\nQUIT\n";
    RawTcp t;

    raw_open(&t);
    raw_tcp_send(&t, req, 0, strlen(req), NULL);
    g_assert_true(raw_tcp_wait(&t, "NOTED lunch\nBYE\n", REPLY_TIMEOUT_MS));
    raw_tcp_close(&t);
}

/* Let the guest take what it was sent, then check what became of it. */
static void settle(RawTcp *t)
{
    raw_tcp_pump(t, 1500);
    g_test_message("guest replied: %s", t->rx->str);
}

typedef void (*Cut)(RawTcp *t, const GByteArray *s);

static void cut_whole(RawTcp *t, const GByteArray *s)
{
    raw_tcp_send(t, s->data, 0, s->len, NULL);
}

static void cut_bytes(RawTcp *t, const GByteArray *s)
{
    for (guint i = 0; i < s->len; i++) {
        raw_tcp_send(t, s->data, i, 1, NULL);
    }
}

/* 8-byte pieces last to first, then all again in order (as a sender
 * retransmits what was not acknowledged). */
static void cut_reversed(RawTcp *t, const GByteArray *s)
{
    for (int at = (s->len - 1) / 8 * 8; at >= 0; at -= 8) {
        raw_tcp_send(t, s->data, at, MIN(8, s->len - at), NULL);
    }
    raw_tcp_pump(t, 300);
    for (guint at = 0; at < s->len; at += 8) {
        raw_tcp_send(t, s->data, at, MIN(8, s->len - at), NULL);
    }
}

/* A decoy the guest drops (bad checksum) with a harmless note first. */
static void cut_decoy(RawTcp *t, const GByteArray *s)
{
    g_autofree char *decoy = g_strdup_printf("%sok\n", path_prefix);
    RawSend bad = { .bad_csum = true };

    raw_tcp_send(t, decoy, 0, strlen(decoy), &bad);
    raw_tcp_send(t, s->data, 0, s->len, NULL);
}

/* Overlapping pieces with the same bytes where they overlap. */
static void cut_overlap(RawTcp *t, const GByteArray *s)
{
    raw_tcp_send(t, s->data, 0, 40, NULL);
    raw_tcp_send(t, s->data, 20, 30, NULL);
    raw_tcp_send(t, s->data, 33, s->len - 33, NULL);
}

static void cut_fragments(RawTcp *t, const GByteArray *s)
{
    RawSend frag = { .fragment = 16 };

    raw_tcp_send(t, s->data, 0, s->len, &frag);
}

/* Line by line, waiting for each answer, like the real exploit. */
static void cut_lines(RawTcp *t, const GByteArray *s)
{
    raw_tcp_send(t, s->data, 0, 5, NULL);
    g_assert_true(raw_tcp_wait(t, "TIME ", REPLY_TIMEOUT_MS));
    raw_tcp_send(t, s->data, 5, strlen(path_prefix) - 10, NULL);
    g_assert_true(raw_tcp_wait(t, "OK mallory\n", REPLY_TIMEOUT_MS));
    raw_tcp_send(t, s->data, strlen(path_prefix) - 5,
                 s->len - strlen(path_prefix) + 5, NULL);
}

static void test_filters(gconstpointer data)
{
    const char *nic = data;
    g_autofree char *dev = g_strdup_printf("%s,netdev=n0,romfile=,"
                                           "mac=52:54:00:12:34:56", nic);
    g_autofree char *vmlinux = vg_linux_guest_file("vmlinux");
    g_autofree char *kernel = g_file_test(vmlinux, G_FILE_TEST_IS_REGULAR)
                              ? g_strdup(vmlinux) : vg_linux_guest_file("vmlinuz");
    g_autofree char *initrd = vg_linux_guest_file("initramfs.cpio.gz");
    g_autofree char *b64 = vgl_login_filter_base64(), *add = NULL, *r = NULL;
    g_autoptr(GByteArray) exploit = vgl_login_exploit_stream();
    static const struct {
        const char *name;
        Cut cut;
    } cuts[] = {
        { "one segment", cut_whole }, { "1-byte segments", cut_bytes },
        { "out of order", cut_reversed }, { "bad-checksum decoy", cut_decoy },
        { "overlapping", cut_overlap }, { "IPv4 fragments", cut_fragments },
        { "line by line", cut_lines },
    };
    guint64 v;
    VgGuest *g;
    RawTcp t;

    if (!network_up) {
        g_test_skip("needs root: a network namespace and a tap device");
        return;
    }
    {
        const char *args[] = {
            "-accel", "tcg", "-m", "256", "-no-reboot",
            "-kernel", kernel, "-initrd", initrd,
            "-append", VGL_KERNEL_CMDLINE,
            "-netdev", "tap,id=n0,ifname=" TAP_NAME ",script=no,downscript=no",
            "-device", dev,
            "-object", "filter-vigilante,id=g0,netdev=n0,"
                       "programs=vg-linux", NULL,
        };
        g = vg_guest_start(args, VGL_MARK_READY, BOOT_TIMEOUT_MS);
    }
    assert_serving();

    /* No filter installed: the exploit lands. */
    raw_open(&t);
    cut_whole(&t, exploit);
    settle(&t);
    raw_tcp_close(&t);
    g_assert_true(vg_vm_wait_serial(g->vm, MARK_DIED, REPLY_TIMEOUT_MS));
    g_assert_cmpuint(deaths(g), ==, 1);
    assert_serving();

    add = g_strdup_printf("{\"execute\": \"vigilante-filter-add\", "
                          "\"arguments\": {\"id\": \"logind\", "
                          "\"data\": \"%s\"}}", b64);
    g_free(qmp(g, add, FALSE));

    /* Benign sessions, on the exploit's path or not, all answered. */
    for (int i = 0; i < BENIGN_SESSIONS; i++) {
        g_autofree char *req = NULL, *want = NULL, *got = NULL;

        switch (i % 3) {
        case 0:
            req = g_strdup_printf("HELLO\nLOGIN user%d " VGL_LOGIN_PASSWORD
                                  "\nNOTE meeting at %d\nQUIT\n", i, i % 24);
            want = g_strdup_printf("NOTED meeting at %d\n", i % 24);
            break;
        case 1:         /* the exploit's first lines, a short note */
            req = g_strdup_printf("%smy note %d\nQUIT\n", path_prefix, i);
            want = g_strdup_printf("NOTED my note %d\n", i);
            break;
        default:        /* a note of exactly 32 bytes ended by \r\n */
            req = g_strdup_printf("%s%032d\r\nQUIT\n", path_prefix, i);
            want = g_strdup("NOTED 0000");
            break;
        }
        got = session(req);
        if (!strstr(got, "BYE\n") || !strstr(got, want)) {
            g_test_message("session %d: %s -> %s", i, req, got);
            g_assert_not_reached();
        }
    }

    /* The exploit, cut every way: dropped, the service lives. */
    for (gsize i = 0; i < G_N_ELEMENTS(cuts); i++) {
        g_test_message("exploit as %s", cuts[i].name);
        raw_open(&t);
        cuts[i].cut(&t, exploit);
        settle(&t);
        g_assert_null(strstr(t.rx->str, "NOTED"));
        raw_tcp_close(&t);
        g_assert_cmpuint(deaths(g), ==, 1);
        assert_serving();
    }
    r = qmp(g, "{\"execute\": \"query-vigilante-filters\"}", FALSE);
    g_assert_true(vg_qmp_get_uint(r, "return.filters.0.hits", &v));
    g_assert_cmpuint(v, >=, G_N_ELEMENTS(cuts) - 1);   /* but fragments */
    g_assert_true(vg_qmp_get_uint(r, "return.guards.0.dropped-fragment", &v));
    g_assert_cmpuint(v, >=, 1);
    g_assert_true(vg_qmp_get_uint(r, "return.guards.0.dropped-normalise", &v));
    g_assert_cmpuint(v, >=, 2);         /* the gap and the decoy at least */
    g_clear_pointer(&r, g_free);

    /* Other bytes over what the filter judged clean: not delivered. */
    {
        g_autofree char *benign = g_strdup_printf("%sfine\n", path_prefix);

        raw_open(&t);
        raw_tcp_send(&t, benign, 0, strlen(benign), NULL);
        g_assert_true(raw_tcp_wait(&t, "NOTED fine\n", REPLY_TIMEOUT_MS));
        raw_tcp_send(&t, exploit->data, 0, exploit->len, NULL);
        settle(&t);
        raw_tcp_close(&t);
        g_assert_cmpuint(deaths(g), ==, 1);
    }

    /* Removed: the exploit lands again. */
    g_free(qmp(g, "{\"execute\": \"vigilante-filter-del\", \"arguments\": "
                  "{\"id\": \"logind\"}}", FALSE));
    raw_open(&t);
    cut_whole(&t, exploit);
    settle(&t);
    raw_tcp_close(&t);
    g_assert_true(vg_vm_wait_serial(g->vm, MARK_DIED, REPLY_TIMEOUT_MS));
    {
        gint64 deadline = g_get_monotonic_time() + REPLY_TIMEOUT_MS * 1000LL;

        while (deaths(g) < 2 && g_get_monotonic_time() < deadline) {
            g_usleep(100 * 1000);
        }
    }
    g_assert_cmpuint(deaths(g), ==, 2);
    vg_guest_stop(g);
}

/*
 * The same filter on QEMU's socket backend (frames as UDP datagrams, no
 * host stack: every session is the raw client's), e1000; needs no root.
 */
static void test_socket_backend(void)
{
    g_autofree char *vmlinux = vg_linux_guest_file("vmlinux");
    g_autofree char *kernel = g_file_test(vmlinux, G_FILE_TEST_IS_REGULAR)
                              ? g_strdup(vmlinux) : vg_linux_guest_file("vmlinuz");
    g_autofree char *initrd = vg_linux_guest_file("initramfs.cpio.gz");
    g_autofree char *b64 = vgl_login_filter_base64(), *add = NULL;
    g_autofree char *netdev = NULL, *r = NULL;
    g_autoptr(GByteArray) exploit = vgl_login_exploit_stream();
    static const Cut cuts[] = {
        cut_whole, cut_bytes, cut_reversed, cut_decoy, cut_fragments,
    };
    guint64 v;
    VgGuest *g;
    RawTcp t;

    do {
        link_local = vg_free_port(TRUE);
        link_qemu = vg_free_port(TRUE);
    } while (link_local == link_qemu);
    netdev = g_strdup_printf("socket,id=n0,udp=127.0.0.1:%u,"
                             "localaddr=127.0.0.1:%u", link_local, link_qemu);
    {
        const char *args[] = {
            "-accel", "tcg", "-m", "256", "-no-reboot",
            "-kernel", kernel, "-initrd", initrd,
            "-append", VGL_KERNEL_CMDLINE, "-netdev", netdev,
            "-device", "e1000,netdev=n0,romfile=,mac=52:54:00:12:34:56",
            "-object", "filter-vigilante,id=g0,netdev=n0,programs=vg-linux",
            NULL,
        };
        g = vg_guest_start(args, VGL_MARK_READY, BOOT_TIMEOUT_MS);
    }
    assert_serving_raw();
    raw_open(&t);
    cut_whole(&t, exploit);
    settle(&t);
    raw_tcp_close(&t);
    g_assert_true(vg_vm_wait_serial(g->vm, MARK_DIED, REPLY_TIMEOUT_MS));
    assert_serving_raw();

    add = g_strdup_printf("{\"execute\": \"vigilante-filter-add\", "
                          "\"arguments\": {\"id\": \"logind\", "
                          "\"data\": \"%s\"}}", b64);
    g_free(qmp(g, add, FALSE));
    for (int i = 0; i < 20; i++) {
        assert_serving_raw();
    }
    for (gsize i = 0; i < G_N_ELEMENTS(cuts); i++) {
        raw_open(&t);
        cuts[i](&t, exploit);
        settle(&t);
        g_assert_null(strstr(t.rx->str, "NOTED"));
        raw_tcp_close(&t);
        g_assert_cmpuint(deaths(g), ==, 1);
        assert_serving_raw();
    }
    r = qmp(g, "{\"execute\": \"query-vigilante-filters\"}", FALSE);
    g_assert_true(vg_qmp_get_uint(r, "return.filters.0.hits", &v));
    g_assert_cmpuint(v, >=, G_N_ELEMENTS(cuts) - 1);
    vg_guest_stop(g);
    link_local = link_qemu = 0;
}

int main(int argc, char **argv)
{
    g_autoptr(GError) err = NULL;

    g_test_init(&argc, &argv, NULL);
    if (geteuid() == 0) {
        if (!vg_private_tap_network(TAP_NAME, "10.0.2.2/24", &err)) {
            g_printerr("test-linux-filters: %s\n", err->message);
            return 1;
        }
        network_up = TRUE;
    }
    g_test_add_data_func("/linux/filters/logind/virtio-net-pci",
                         "virtio-net-pci", test_filters);
    g_test_add_data_func("/linux/filters/logind/e1000", "e1000",
                         test_filters);
    g_test_add_data_func("/linux/filters/logind/rtl8139", "rtl8139",
                         test_filters);
    g_test_add_func("/linux/filters/logind/socket-backend",
                    test_socket_backend);
    return g_test_run();
}
