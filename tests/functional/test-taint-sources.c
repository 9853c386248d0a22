/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Taint sources on a real guest: frames that e1000 and rtl8139 deliver
 * into guest RAM become dirty (one label per byte, counted over QMP), a
 * system reset cleans them, and with taint off nothing is labelled.
 *
 * Arguments besides GTest's: --guest=ELF (the tiny guest).
 */
#include <string.h>

#include "guest.h"
#include "layout.h"

#define BOOT_TIMEOUT_MS     10000
#define REPLY_TIMEOUT_MS    3000

/* Ethernet + IPv4 + UDP headers in front of each echo payload. */
#define UDP_FRAME_OVERHEAD  (14 + 20 + 8)

static char *guest_path;

typedef struct {
    VgGuest *g;
    VgVm *vm;                   /* f->g->vm, f->g->qmp */
    VgQmp *qmp;
    guint16 echo_port;
} Fixture;

typedef struct {
    const char *nic;
    gboolean taint;
} Config;

typedef struct {
    gboolean enabled;
    guint64 dirty_bytes, dirty_pages, events, input_bytes, shadow_bytes;
} TaintInfo;

static TaintInfo query_taint(Fixture *f)
{
    g_autofree char *reply = vg_qmp_command(f->qmp,
                                            "{\"execute\":\"query-taint\"}",
                                            VG_QMP_TIMEOUT_MS);
    TaintInfo ti = { 0 };

    g_assert_nonnull(reply);
    g_assert_true(vg_qmp_get_bool(reply, "enabled", &ti.enabled));
    g_assert_true(vg_qmp_get_uint(reply, "dirty-bytes", &ti.dirty_bytes));
    g_assert_true(vg_qmp_get_uint(reply, "dirty-pages", &ti.dirty_pages));
    g_assert_true(vg_qmp_get_uint(reply, "input-events", &ti.events));
    g_assert_true(vg_qmp_get_uint(reply, "input-bytes", &ti.input_bytes));
    g_assert_true(vg_qmp_get_uint(reply, "shadow-bytes", &ti.shadow_bytes));
    return ti;
}

static void setup(Fixture *f, gconstpointer data)
{
    const Config *c = data;
    g_autofree char *netdev = NULL, *device = NULL, *accel = NULL;

    f->echo_port = vg_free_port(TRUE);
    netdev = g_strdup_printf("user,id=n0,hostfwd=udp:127.0.0.1:%u-"
                             TINY_IP_ADDR ":%u", f->echo_port,
                             TINY_UDP_ECHO_PORT);
    device = g_strdup_printf("%s,netdev=n0,romfile=", c->nic);
    accel = g_strdup_printf("tcg,taint=%s", c->taint ? "on" : "off");
    {
        const char *args[] = {
            "-accel", accel, "-m", "32", "-kernel", guest_path,
            "-netdev", netdev, "-device", device, NULL,
        };
        f->g = vg_guest_start(args, TINY_MARK_READY, BOOT_TIMEOUT_MS);
    }
    f->vm = f->g->vm;
    f->qmp = f->g->qmp;
}

static void teardown(Fixture *f, gconstpointer data)
{
    vg_guest_stop(f->g);
}

/* Echo n datagrams of len bytes; each must come back intact. */
static void echo_n(Fixture *f, int n, gsize len)
{
    g_autofree guint8 *msg = g_malloc(len), *reply = g_malloc(len + 1);

    for (int i = 0; i < n; i++) {
        gssize got;

        memset(msg, 'a' + i % 26, len);
        got = vg_udp_exchange_retry(f->echo_port, msg, len, reply, len + 1,
                                    200, REPLY_TIMEOUT_MS);
        g_assert_cmpint(got, ==, len);
        g_assert_cmpmem(reply, got, msg, len);
    }
}

static void test_frames_labelled(Fixture *f, gconstpointer data)
{
    const gsize payload = 300, frame = payload + UDP_FRAME_OVERHEAD;
    TaintInfo before, after;

    echo_n(f, 1, 8);                /* slirp learns the guest's MAC */
    before = query_taint(f);
    g_assert_true(before.enabled);
    echo_n(f, 5, payload);
    after = query_taint(f);

    /* Five frames of ours, plus whatever slirp sent besides (ARP). */
    g_assert_cmpuint(after.events - before.events, >=, 5);
    g_assert_cmpuint(after.input_bytes - before.input_bytes, >=, 5 * frame);
    /* The last frame at least sits in a receive buffer, all dirty (the
     * guest's copies of it are dirty too, through propagation). */
    g_assert_cmpuint(after.dirty_bytes, >=, frame);
    g_assert_cmpuint(after.dirty_pages, >=, 1);
    /* A 16 KiB label page per dirty page at least, and the directory. */
    g_assert_cmpuint(after.shadow_bytes, >=,
                     after.dirty_pages * 16384 + (2u << 20));
}

static int count_of(const char *haystack, const char *needle)
{
    int n = 0;

    for (const char *p = strstr(haystack, needle); p;
         p = strstr(p + 1, needle)) {
        n++;
    }
    return n;
}

/* Wait until the serial output holds marker `count` times. */
static gboolean wait_marker_count(Fixture *f, const char *marker, int count)
{
    gint64 deadline = g_get_monotonic_time() + BOOT_TIMEOUT_MS * 1000ll;

    while (g_get_monotonic_time() < deadline) {
        vg_vm_wait_serial(f->vm, marker, 100);
        if (count_of(vg_vm_serial(f->vm), marker) >= count) {
            return TRUE;
        }
        g_usleep(50 * 1000);
    }
    return FALSE;
}

/*
 * A reset makes guest RAM's old contents meaningless (and reloads the
 * kernel image through device writes): every label from before the reset
 * must be gone, so what is dirty afterwards came in afterwards.
 */
static void test_reset_cleans(Fixture *f, gconstpointer data)
{
    g_autofree char *reply = NULL;
    TaintInfo dirty, at_reset, after;

    echo_n(f, 3, 400);
    dirty = query_taint(f);
    g_assert_cmpuint(dirty.dirty_bytes, >=, 400);

    reply = vg_qmp_command(f->qmp, "{\"execute\":\"stop\"}", VG_QMP_TIMEOUT_MS);
    g_assert_nonnull(strstr(reply, "return"));
    g_free(reply);
    at_reset = query_taint(f);
    reply = vg_qmp_command(f->qmp, "{\"execute\":\"system_reset\"}",
                           VG_QMP_TIMEOUT_MS);
    g_assert_nonnull(strstr(reply, "return"));
    g_free(reply);
    reply = vg_qmp_command(f->qmp, "{\"execute\":\"cont\"}", VG_QMP_TIMEOUT_MS);
    g_assert_nonnull(strstr(reply, "return"));
    g_assert_true(wait_marker_count(f, TINY_MARK_READY, 2));

    after = query_taint(f);
    g_test_message("dirty before reset %" G_GUINT64_FORMAT ", after %"
                   G_GUINT64_FORMAT " (%" G_GUINT64_FORMAT " input bytes "
                   "since)", dirty.dirty_bytes, after.dirty_bytes,
                   after.input_bytes - at_reset.input_bytes);
    g_assert_cmpuint(after.dirty_bytes, <=,
                     after.input_bytes - at_reset.input_bytes);
}

static void test_taint_off(Fixture *f, gconstpointer data)
{
    TaintInfo ti;

    echo_n(f, 5, 300);
    ti = query_taint(f);
    g_assert_false(ti.enabled);
    g_assert_cmpuint(ti.events, ==, 0);
    g_assert_cmpuint(ti.input_bytes, ==, 0);
    g_assert_cmpuint(ti.dirty_bytes, ==, 0);
    g_assert_cmpuint(ti.dirty_pages, ==, 0);
    g_assert_cmpuint(ti.shadow_bytes, ==, 0);
}

int main(int argc, char **argv)
{
    static const Config e1000_on = { "e1000", TRUE };
    static const Config rtl_on = { "rtl8139", TRUE };
    static const Config e1000_off = { "e1000", FALSE };

    g_test_init(&argc, &argv, NULL);
    guest_path = vg_tiny_guest_arg(argc, argv);
#define ADD(path, cfg, fn) \
    g_test_add(path, Fixture, &cfg, setup, fn, teardown)
    ADD("/taint-sources/e1000/frames-labelled", e1000_on,
        test_frames_labelled);
    ADD("/taint-sources/rtl8139/frames-labelled", rtl_on,
        test_frames_labelled);
    ADD("/taint-sources/e1000/reset-cleans", e1000_on, test_reset_cleans);
    ADD("/taint-sources/e1000/taint-off", e1000_off, test_taint_off);
#undef ADD
    return g_test_run();
}
