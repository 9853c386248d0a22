/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Vulnerability filters on the tiny guest's NIC, taint off (a protected
 * VM needs none): the Figure-1 exploit lands; on a fresh VM,
 * filter-vigilante is added with object-add and a hand-written filter
 * with vigilante-filter-add; a thousand benign requests are all answered,
 * polymorphic variants of the exploit (other sleds, other return
 * addresses) are all dropped with a VIGILANTE_FILTER_DROP event; bad
 * filters and bad arguments are refused and change nothing; removing the
 * filter lets the exploit in again.  Once per NIC model of the tiny
 * guest.
 *
 * Arguments besides GTest's: --guest=ELF.
 */
#include <string.h>

#include "guest.h"
#include "layout.h"
#include "fig1-payload.h"
#include "filter-text.h"

#define BOOT_TIMEOUT_MS     30000
#define REPLY_TIMEOUT_MS    5000
#define BENIGN_REQUESTS     1000

static char *guest_path;

typedef struct {
    VgGuest *g;
    guint16 port;
} Vm;

static void vm_start(Vm *vm, const char *nic)
{
    g_autofree char *netdev = NULL, *dev = NULL;
    char reply[64];
    guint8 req[64];
    size_t len;

    vm->port = vg_free_port(TRUE);
    netdev = g_strdup_printf("user,id=n0,hostfwd=udp:127.0.0.1:%u-"
                             TINY_IP_ADDR ":%u", vm->port,
                             TINY_UDP_FIG1_PORT);
    dev = g_strdup_printf("%s,netdev=n0,romfile=", nic);
    {
        const char *args[] = {
            "-accel", "tcg", "-m", "32", "-kernel", guest_path,
            "-netdev", netdev, "-device", dev, NULL,
        };
        vm->g = vg_guest_start(args, TINY_MARK_READY, BOOT_TIMEOUT_MS);
    }
    /* slirp learns the guest's MAC from the first exchange */
    len = fig1_build_benign(req, sizeof(req), "hello");
    g_assert_cmpint(vg_udp_exchange_retry(vm->port, req, len, reply,
                                          sizeof(reply), 200,
                                          REPLY_TIMEOUT_MS), >, 0);
}

/* A QMP command that must succeed (or, with @fails, fail). */
static char *qmp(Vm *vm, const char *json, gboolean fails)
{
    char *r = vg_qmp_command(vm->g->qmp, json, VG_QMP_TIMEOUT_MS);

    g_assert_nonnull(r);
    g_test_message("%s -> %s", json, r);
    g_assert_true((strstr(r, "\"error\"") != NULL) == fails);
    return r;
}

/* Figure 1 copies up to the first zero byte into 64 bytes: a request
 * with no zero in its first 65 bytes overflows, whatever they are. */
static char *fig1_filter_base64(void)
{
    g_autoptr(GString) text = g_string_new("program tiny-fig1\n"
                                           "scope udp 4444\n"
                                           "generator test-filters\n"
                                           "require u8[0] == 0x31\n");
    g_autoptr(GError) err = NULL;
    g_autoptr(VfFilter) f = NULL;
    g_autoptr(GBytes) enc = NULL;

    for (int k = 1; k <= TINY_FIG1_BUF_SIZE; k++) {
        g_string_append_printf(text, "require u8[%d] != 0\n", k);
    }
    f = vf_compile(text->str, &err);
    g_assert_no_error(err);
    enc = vf_encode(f, &err);
    g_assert_no_error(err);
    return g_base64_encode(g_bytes_get_data(enc, NULL),
                           g_bytes_get_size(enc));
}

/* Variants: another return address into the sled, other filler over
 * the saved frame pointer (any nonzero bytes do). */
static void send_attack(Vm *vm, uint32_t target, guint8 filler)
{
    guint8 req[FIG1_ATTACK_LEN];
    size_t len = fig1_build_attack(req, target);

    g_assert_cmpuint(len, ==, FIG1_ATTACK_LEN);
    if (filler) {
        memset(req + TINY_FIG1_BUF_SIZE, filler, 4);
    }
    g_assert_cmpint(vg_udp_exchange(vm->port, req, len, NULL, 0, 0), ==, 0);
}

static void test_filter(gconstpointer data)
{
    const char *nic = data;
    g_autofree char *b64 = fig1_filter_base64();
    g_autofree char *add = NULL, *ev = NULL, *r = NULL;
    static const struct {
        uint32_t delta;
        guint8 filler;
    } variants[] = { { 0, 0 }, { 4, 0x41 }, { 12, 0xfe } };
    guint64 hits = 0;
    Vm vm;

    /* Unprotected, the exploit lands. */
    vm_start(&vm, nic);
    send_attack(&vm, fig1_default_target(), 0);
    g_assert_true(vg_vm_wait_serial(vm.g->vm, TINY_MARK_PWNED, 10000));
    vg_guest_stop(vm.g);

    /* Protected on the running VM. */
    vm_start(&vm, nic);
    g_free(qmp(&vm, "{\"execute\": \"object-add\", \"arguments\": "
                    "{\"qom-type\": \"filter-vigilante\", \"id\": \"g0\", "
                    "\"netdev\": \"n0\", "
                    "\"programs\": \"tiny-fig1\"}}", FALSE));
    add = g_strdup_printf("{\"execute\": \"vigilante-filter-add\", "
                          "\"arguments\": {\"id\": \"fig1\", "
                          "\"data\": \"%s\"}}", b64);
    g_free(qmp(&vm, add, FALSE));

    for (int i = 0; i < BENIGN_REQUESTS; i++) {
        g_autofree char *text = g_strdup_printf("request %d %.*s", i,
                                                i % 40, "abcdefghijklmnopqr"
                                                "stuvwxyz0123456789ABCD");
        guint8 req[64];
        char reply[64];
        size_t len = fig1_build_benign(req, sizeof(req), text);

        g_assert_cmpuint(len, >, 0);
        g_assert_cmpint(vg_udp_exchange_retry(vm.port, req, len, reply,
                                              sizeof(reply), 200,
                                              REPLY_TIMEOUT_MS), >, 0);
    }
    for (gsize i = 0; i < G_N_ELEMENTS(variants); i++) {
        send_attack(&vm, fig1_default_target() + variants[i].delta,
                    variants[i].filler);
        if (i == 0) {
            ev = vg_qmp_wait_event(vm.g->qmp, "VIGILANTE_FILTER_DROP",
                                   REPLY_TIMEOUT_MS);
            g_assert_nonnull(ev);
            g_test_message("%s", ev);
            g_assert_nonnull(strstr(ev, "\"filter\": \"fig1\""));
            g_assert_nonnull(strstr(ev, "\"port\": 4444"));
        }
    }
    g_assert_false(vg_vm_wait_serial(vm.g->vm, TINY_MARK_PWNED, 1000));
    /* Still serving. */
    {
        guint8 req[64];
        char reply[64];
        size_t len = fig1_build_benign(req, sizeof(req), "still here");

        g_assert_cmpint(vg_udp_exchange_retry(vm.port, req, len, reply,
                                              sizeof(reply), 200,
                                              REPLY_TIMEOUT_MS), >, 0);
    }
    r = qmp(&vm, "{\"execute\": \"query-vigilante-filters\"}", FALSE);
    g_assert_true(vg_qmp_get_uint(r, "return.filters.0.hits", &hits));
    g_assert_cmpuint(hits, ==, G_N_ELEMENTS(variants));
    g_clear_pointer(&r, g_free);

    /* Bad filters and arguments: refused, nothing changes. */
    g_free(qmp(&vm, "{\"execute\": \"vigilante-filter-add\", \"arguments\":"
                    " {\"id\": \"x\", \"data\": \"VkZMVAEAAAA=\"}}", TRUE));
    g_free(qmp(&vm, "{\"execute\": \"vigilante-filter-add\", \"arguments\":"
                    " {\"id\": \"x\", \"filename\": \"/nonexistent\"}}",
               TRUE));
    g_free(qmp(&vm, "{\"execute\": \"vigilante-filter-add\", \"arguments\":"
                    " {\"id\": \"x\"}}", TRUE));
    g_free(qmp(&vm, add, TRUE));                    /* id taken */
    g_free(qmp(&vm, "{\"execute\": \"vigilante-filter-del\", \"arguments\":"
                    " {\"id\": \"nosuch\"}}", TRUE));
    g_free(qmp(&vm, "{\"execute\": \"object-add\", \"arguments\": "
                    "{\"qom-type\": \"filter-vigilante\", \"id\": \"g1\", "
                    "\"netdev\": \"n0\", \"programs\": \"a;;b\"}}", TRUE));
    g_free(qmp(&vm, "{\"execute\": \"object-add\", \"arguments\": "
                    "{\"qom-type\": \"filter-vigilante\", \"id\": \"g2\", "
                    "\"netdev\": \"nosuch\"}}", TRUE));
    r = qmp(&vm, "{\"execute\": \"object-add\", \"arguments\": "
                 "{\"qom-type\": \"filter-vigilante\", \"id\": \"g3\", "
                 "\"netdev\": \"n0\", \"queue\": \"tx\"}}", TRUE);
    g_assert_nonnull(strstr(r, "needs queue=all"));
    g_clear_pointer(&r, g_free);
    r = qmp(&vm, "{\"execute\": \"query-vigilante-filters\"}", FALSE);
    g_assert_nonnull(strstr(r, "\"id\": \"fig1\""));
    g_assert_null(strstr(r, "\"id\": \"x\""));
    g_assert_null(strstr(r, "\"id\": \"g1\""));
    g_assert_null(strstr(r, "\"id\": \"g3\""));
    g_clear_pointer(&r, g_free);
    send_attack(&vm, fig1_default_target(), 0);
    g_assert_false(vg_vm_wait_serial(vm.g->vm, TINY_MARK_PWNED, 1000));

    /* Removed: the exploit lands again. */
    g_free(qmp(&vm, "{\"execute\": \"vigilante-filter-del\", \"arguments\":"
                    " {\"id\": \"fig1\"}}", FALSE));
    send_attack(&vm, fig1_default_target(), 0);
    g_assert_true(vg_vm_wait_serial(vm.g->vm, TINY_MARK_PWNED, 10000));
    vg_guest_stop(vm.g);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    guest_path = vg_tiny_guest_arg(argc, argv);
    g_test_add_data_func("/filters/tiny/e1000", "e1000", test_filter);
    g_test_add_data_func("/filters/tiny/rtl8139", "rtl8139", test_filter);
    return g_test_run();
}
