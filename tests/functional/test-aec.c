/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * AEC on the tiny guest: the paper's Figure-1 exploit.  The guest's own
 * copy loop carries the datagram's bytes over fig1_vulnerable()'s return
 * address; the ret is trapped before it jumps, and VIGILANTE_ALERT names
 * exactly the four frame bytes that became the return address.  With the
 * aec policy off the shellcode is caught by ACE instead; with both off,
 * or taint off, the exploit lands and nothing is reported; thousands of
 * benign requests raise nothing.
 *
 * Arguments besides GTest's: --guest=ELF (the tiny guest).
 */
#include <glib/gstdio.h>
#include <string.h>

#include "guest.h"
#include "host-util.h"
#include "layout.h"
#include "fig1-payload.h"
#include "sca.h"

#define BOOT_TIMEOUT_MS     10000
#define REPLY_TIMEOUT_MS    3000
#define ALERT_TIMEOUT_MS    5000

/* Ethernet + IPv4 (no options) + UDP headers. */
#define UDP_PAYLOAD_OFFSET  (14 + 20 + 8)

static char *guest_path;

typedef struct {
    const char *accel;
    const char *object;         /* -object value or NULL */
} Config;

typedef struct {
    VgGuest *g;
    guint16 echo_port, fig1_port;
    char *alert_dir;
} Fixture;

static void setup(Fixture *f, gconstpointer data)
{
    const Config *c = data;
    g_autofree char *netdev = NULL, *object = NULL;
    char reply[16];

    do {
        f->echo_port = vg_free_port(TRUE);
        f->fig1_port = vg_free_port(TRUE);
    } while (f->echo_port == f->fig1_port);
    netdev = g_strdup_printf("user,id=n0,"
                             "hostfwd=udp:127.0.0.1:%u-" TINY_IP_ADDR ":%u,"
                             "hostfwd=udp:127.0.0.1:%u-" TINY_IP_ADDR ":%u",
                             f->echo_port, TINY_UDP_ECHO_PORT,
                             f->fig1_port, TINY_UDP_FIG1_PORT);
    f->alert_dir = g_dir_make_tmp("vg-aec-XXXXXX", NULL);
    g_assert_nonnull(f->alert_dir);
    object = g_strdup_printf("%s,alert-dir=%s,program=tiny-fig1", c->object,
                             f->alert_dir);
    {
        const char *args[] = {
            "-accel", c->accel, "-m", "32", "-kernel", guest_path,
            "-netdev", netdev, "-device", "e1000,netdev=n0,romfile=",
            "-object", object, NULL,
        };
        f->g = vg_guest_start(args, TINY_MARK_READY, BOOT_TIMEOUT_MS);
    }
    g_assert_cmpint(vg_udp_exchange_retry(f->echo_port, "hi", 2, reply,
                                          sizeof(reply), 200,
                                          REPLY_TIMEOUT_MS), ==, 2);
}

static void teardown(Fixture *f, gconstpointer data)
{
    vg_guest_stop(f->g);
    vg_dir_remove(f->alert_dir);
    g_free(f->alert_dir);
}

static void send_fig1(Fixture *f)
{
    guint8 req[FIG1_ATTACK_LEN];
    gsize len = fig1_build_attack(req, fig1_default_target());

    g_assert_cmpint(vg_udp_exchange(f->fig1_port, req, len, NULL, 0, 0), ==,
                    0);
}

/* The (event, offset) pairs of an alert's labels, in order. */
static int alert_labels(const char *ev, guint64 *events, guint64 *offsets,
                        int max)
{
    return MIN(vg_alert_labels(ev, events, offsets, max), (guint)max);
}

/* The alert's SCA: the datagram, the return address's four bytes. */
static void check_sca(const char *ev)
{
    g_autofree char *path = vg_qmp_get_string(ev, "sca");
    g_autoptr(GError) err = NULL;
    g_autoptr(Sca) sca = NULL;
    g_autofree char *data = NULL;
    guint8 attack[FIG1_ATTACK_LEN];
    gsize alen = fig1_build_attack(attack, fig1_default_target()), flen;
    const ScaMessage *m;

    g_assert_nonnull(path);
    g_assert_true(g_file_get_contents(path, &data, &flen, NULL));
    sca = sca_decode((const uint8_t *)data, flen, &err);
    g_assert_no_error(err);
    g_test_message("SCA %s: %zu bytes for a %zu-byte datagram", path, flen,
                   alen);
    g_assert_cmpint(sca->type, ==, SCA_TYPE_AEC);
    g_assert_cmpstr(sca->name, ==, "tiny-fig1");
    g_assert_cmpuint(sca->messages->len, ==, 1);
    m = sca_message(sca, 0);
    g_assert_cmpint(m->transport, ==, SCA_TRANSPORT_UDP);
    g_assert_cmpuint(m->port, ==, TINY_UDP_FIG1_PORT);
    g_assert_cmpmem(g_bytes_get_data(m->payload, NULL),
                    g_bytes_get_size(m->payload), attack, alen);
    g_assert_cmpuint(sca->hint_message, ==, 0);
    g_assert_cmpuint(sca->hint_offset, ==, FIG1_RET_ADDR_OFFSET);
    g_assert_cmpuint(sca->hint_length, ==, 4);
    /* The payload and a small header. */
    g_assert_cmpuint(flen, <, alen + 128);
}

static void test_fig1_trapped(Fixture *f, gconstpointer data)
{
    g_autofree char *ev = NULL, *type = NULL, *insn = NULL, *st = NULL;
    g_autofree char *reply = NULL;
    guint64 events[16], offsets[16], target;
    int n;

    send_fig1(f);
    ev = vg_qmp_wait_event(f->g->qmp, "VIGILANTE_ALERT", ALERT_TIMEOUT_MS);
    g_assert_nonnull(ev);
    g_test_message("alert: %s", ev);
    type = vg_qmp_get_string(ev, "type");
    insn = vg_qmp_get_string(ev, "insn");
    g_assert_cmpstr(type, ==, "aec");
    g_assert_cmpstr(insn, ==, "ret");
    g_assert_true(vg_qmp_get_uint(ev, "target", &target));
    g_assert_cmphex(target, ==, fig1_default_target());

    /* Exactly the return address's four bytes, from one frame. */
    n = alert_labels(ev, events, offsets, G_N_ELEMENTS(events));
    g_assert_cmpint(n, ==, 4);
    for (int i = 0; i < n; i++) {
        g_assert_cmpuint(events[i], ==, events[0]);
        g_assert_cmpuint(offsets[i], ==,
                         UDP_PAYLOAD_OFFSET + FIG1_RET_ADDR_OFFSET + i);
    }

    reply = vg_qmp_command(f->g->qmp, "{\"execute\":\"query-status\"}",
                           VG_QMP_TIMEOUT_MS);
    st = vg_qmp_get_string(reply, "status");
    g_assert_cmpstr(st, ==, "paused");
    g_assert_false(vg_vm_wait_serial(f->g->vm, TINY_MARK_PWNED, 500));
    check_sca(ev);
}

/*
 * With aec off the ret jumps into the copied shellcode: its bytes are
 * dirty, so ACE stops it before it runs.
 */
static void test_fig1_ace(Fixture *f, gconstpointer data)
{
    g_autofree char *ev = NULL, *type = NULL;
    guint64 target;

    send_fig1(f);
    ev = vg_qmp_wait_event(f->g->qmp, "VIGILANTE_ALERT", ALERT_TIMEOUT_MS);
    g_assert_nonnull(ev);
    type = vg_qmp_get_string(ev, "type");
    g_assert_cmpstr(type, ==, "ace");
    g_assert_true(vg_qmp_get_uint(ev, "target", &target));
    g_assert_cmphex(target, ==, fig1_default_target());
    g_assert_false(vg_vm_wait_serial(f->g->vm, TINY_MARK_PWNED, 500));
}

/*
 * action=continue: the exploit is trapped at the ret and reported once;
 * the shellcode's blocks that run after it (ACE, the same datagram's
 * bytes) are folded into that alert, not reported.
 */
static void test_fig1_continue(Fixture *f, gconstpointer data)
{
    g_autofree char *ev = NULL, *more = NULL, *type = NULL, *r = NULL;
    guint64 folded;

    send_fig1(f);
    ev = vg_qmp_wait_event(f->g->qmp, "VIGILANTE_ALERT", ALERT_TIMEOUT_MS);
    g_assert_nonnull(ev);
    type = vg_qmp_get_string(ev, "type");
    g_assert_cmpstr(type, ==, "aec");
    g_assert_true(vg_vm_wait_serial(f->g->vm, TINY_MARK_PWNED,
                                    ALERT_TIMEOUT_MS));
    more = vg_qmp_wait_event(f->g->qmp, "VIGILANTE_ALERT", 1000);
    if (more) {
        g_test_message("second alert: %s", more);
    }
    g_assert_null(more);
    r = vg_qmp_command(f->g->qmp, "{\"execute\":\"qom-get\",\"arguments\":"
                       "{\"path\":\"/objects/v0\","
                       "\"property\":\"alerts-folded\"}}", VG_QMP_TIMEOUT_MS);
    g_assert_true(vg_qmp_get_uint(r, "return", &folded));
    g_test_message("alerts folded: %" G_GUINT64_FORMAT, folded);
    g_assert_cmpuint(folded, >, 0);
}

/* Traps off, or taint off: the exploit lands, and nothing is reported. */
static void test_fig1_lands(Fixture *f, gconstpointer data)
{
    g_autofree char *ev = NULL;

    send_fig1(f);
    g_assert_true(vg_vm_wait_serial(f->g->vm, TINY_MARK_PWNED,
                                    ALERT_TIMEOUT_MS));
    ev = vg_qmp_wait_event(f->g->qmp, "VIGILANTE_ALERT", 300);
    g_assert_null(ev);
}

/* Thousands of requests that go through the same copy loop and ret. */
static void test_benign_many(Fixture *f, gconstpointer data)
{
    g_autofree char *ev = NULL;
    guint8 req[FIG1_ATTACK_LEN];
    char reply[256], text[48];

    for (int i = 0; i < 2000; i++) {
        gsize len;

        /* Up to 40 bytes: fills most of the 64-byte buffer, never more. */
        g_snprintf(text, sizeof(text), "benign request %d %.*s", i,
                   i % 20, "abcdefghijklmnopqrstuvwxyz");
        len = fig1_build_benign(req, sizeof(req), text);
        g_assert_cmpint(vg_udp_exchange_retry(f->fig1_port, req, len, reply,
                                              sizeof(reply), 200,
                                              REPLY_TIMEOUT_MS), >, 0);
    }
    ev = vg_qmp_wait_event(f->g->qmp, "VIGILANTE_ALERT", 300);
    g_assert_null(ev);
}

int main(int argc, char **argv)
{
    static const Config detect = {
        "tcg,taint=on,taint-kernel=all", "vigilante,id=v0,action=pause",
    };
    static const Config aec_off = {
        "tcg,taint=on,taint-kernel=all", "vigilante,id=v0,action=pause,aec=off",
    };
    static const Config traps_off = {
        "tcg,taint=on,taint-kernel=all", "vigilante,id=v0,action=pause,aec=off,ace=off",
    };
    static const Config cont = {
        "tcg,taint=on,taint-kernel=all", "vigilante,id=v0,action=continue",
    };
    static const Config taint_off = {
        "tcg,taint=off", "vigilante,id=v0,action=pause",
    };

    g_test_init(&argc, &argv, NULL);
    guest_path = vg_tiny_guest_arg(argc, argv);
    g_test_add("/aec/fig1-trapped", Fixture, &detect, setup,
               test_fig1_trapped, teardown);
    g_test_add("/aec/benign-many", Fixture, &detect, setup,
               test_benign_many, teardown);
    g_test_add("/aec/policy-off-ace-catches", Fixture, &aec_off, setup,
               test_fig1_ace, teardown);
    g_test_add("/aec/continue-one-alert", Fixture, &cont, setup,
               test_fig1_continue, teardown);
    g_test_add("/aec/policies-off", Fixture, &traps_off, setup,
               test_fig1_lands, teardown);
    g_test_add("/aec/taint-off", Fixture, &taint_off, setup,
               test_fig1_lands, teardown);
    return g_test_run();
}
