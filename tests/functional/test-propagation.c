/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The propagation rule of each class of operation, on real guest code:
 * the tiny guest's probe service (tests/guests/tiny/probes.h) runs one
 * short instruction sequence per class on the bytes of a datagram, and
 * this test reads the labels of the result with query-taint-labels.
 *
 * A byte of the result is expected to be
 *   EXACT  labelled with the frame offset of a given input byte,
 *   DIRTY  dirty, from the same frame (combined values, spread bytes),
 *   CLEAN  clean (constants, clean stores, the condition of a cmov);
 * bytes no rule mentions must be clean.
 *
 * The probes run in the tiny guest's kernel (CPL 0), so the rules are
 * checked with -accel tcg,taint-kernel=all; a second guest with the
 * default (taint-kernel=moves) checks that kernel code keeps the labels
 * of what it moves and makes what it computes clean.
 *
 * Arguments besides GTest's: --guest=ELF (the tiny guest).
 */
#include <string.h>

#include "guest.h"
#include "layout.h"
#include "probes.h"

#define BOOT_TIMEOUT_MS     10000
#define REPLY_TIMEOUT_MS    3000

/* Ethernet + IPv4 + UDP headers, then the probe id: the input's offset. */
#define INPUT_OFFSET        (14 + 20 + 8 + 1)

typedef enum { CLEAN, EXACT, DIRTY } Kind;

typedef struct {
    int from, to;               /* output bytes [from, to] */
    Kind kind;
    int src;                    /* EXACT: input byte of output byte `from` */
} Rule;

typedef struct {
    int id;
    const char *name;
    Rule rules[3];
    int nrules;
} Probe;

#define R(f, t, k, s) { f, t, k, s }

static const Probe probes[] = {
    { 0, "mov32", { R(0, 3, EXACT, 0) }, 1 },
    { 1, "movzx8", { R(0, 0, EXACT, 1) }, 1 },
    { 2, "movsx8", { R(0, 0, EXACT, 2), R(1, 3, DIRTY, 0) }, 2 },
    { 3, "add_imm", { R(0, 3, EXACT, 0) }, 1 },
    { 4, "add_reg", { R(0, 3, DIRTY, 0) }, 1 },
    { 5, "xor_self", { R(0, 31, CLEAN, 0) }, 1 },
    { 6, "clean_store", { R(0, 31, CLEAN, 0) }, 1 },
    { 7, "shl_imm", { R(0, 3, DIRTY, 0) }, 1 },
    { 8, "shl_dirty", { R(0, 3, DIRTY, 0) }, 1 },
    { 9, "imul", { R(0, 3, DIRTY, 0) }, 1 },
    { 10, "div", { R(0, 7, DIRTY, 0) }, 1 },
    { 11, "setcc", { R(0, 0, DIRTY, 0), R(1, 3, CLEAN, 0) }, 2 },
    { 12, "cmov", { R(0, 31, CLEAN, 0) }, 1 },
    { 13, "push_pop", { R(0, 3, EXACT, 0) }, 1 },
    { 14, "xchg_reg", { R(0, 3, EXACT, 4), R(4, 7, EXACT, 0) }, 2 },
    { 15, "xchg_mem", { R(0, 3, EXACT, 4), R(4, 7, EXACT, 0) }, 2 },
    { 16, "cmpxchg", { R(0, 3, EXACT, 4) }, 1 },
    { 17, "rep_movsb", { R(0, 15, EXACT, 0) }, 1 },
    { 18, "rep_stosb", { R(0, 31, CLEAN, 0) }, 1 },
    { 19, "rep_movsd", { R(0, 11, EXACT, 1) }, 1 },
    { 20, "bswap", { R(0, 3, DIRTY, 0) }, 1 },
    { 21, "byte_loop", { R(0, 7, EXACT, 0) }, 1 },
    { 22, "mov16", { R(0, 1, EXACT, 0), R(2, 3, CLEAN, 0) }, 2 },
    { 23, "page_cross", { R(14, 17, EXACT, 0) }, 1 },
    { 24, "movdqu", { R(0, 15, EXACT, 0) }, 1 },
    { 25, "pxor_self", { R(0, 31, CLEAN, 0) }, 1 },
    { 26, "pmovmskb", { R(0, 3, DIRTY, 0) }, 1 },
    { 27, "movd", { R(0, 3, EXACT, 0) }, 1 },
    { 28, "paddb", { R(0, 15, DIRTY, 0) }, 1 },
    { 29, "pshufd", { R(0, 15, DIRTY, 0) }, 1 },
    { 30, "shr_bytes", { R(0, 3, EXACT, 0) }, 1 },
    { 31, "shl_bytes", { R(0, 0, CLEAN, 0), R(1, 3, EXACT, 0) }, 2 },
    { 32, "bsf_high", { R(0, 0, DIRTY, 0), R(1, 1, CLEAN, 0) }, 2 },
    { 33, "bsr_upper", { R(0, 0, DIRTY, 0), R(1, 1, CLEAN, 0) }, 2 },
    { 34, "load_cross", { R(0, 3, EXACT, 0) }, 1 },
    /* Swapped twice: the labels stored are the ones loaded. */
    { 35, "movbe", { R(0, 3, EXACT, 0) }, 1 },
    /*
     * Swapped once: the loaded dirty bytes' labels, rising (a shadow
     * cannot hold them falling), none of the clean byte's.
     */
    { 36, "movbe_partial", { R(0, 2, EXACT, 1), R(3, 31, CLEAN, 0) }, 2 },
    { 37, "load_partial",
      { R(0, 0, CLEAN, 0), R(1, 3, EXACT, 1), R(4, 31, CLEAN, 0) }, 3 },
    { 38, "store_cross", { R(0, 3, EXACT, 4), R(4, 31, CLEAN, 0) }, 2 },
    { 39, "rep_movs_cross", { R(0, 31, EXACT, 0) }, 1 },
    { 40, "rep_movs_overlap", { R(0, 8, DIRTY, 0), R(9, 31, CLEAN, 0) }, 2 },
    { 41, "rep_stos_dirty",
      { R(0, 3, EXACT, 0), R(4, 7, EXACT, 0), R(8, 31, CLEAN, 0) }, 3 },
    { 42, "rep_movs_code", { R(0, 3, EXACT, 0), R(4, 31, CLEAN, 0) }, 2 },
};
G_STATIC_ASSERT(G_N_ELEMENTS(probes) == TINY_PROBE_COUNT);

/* The same probes as kernel code under taint-kernel=moves. */
static const Probe kernel_moves_probes[] = {
    { 0, "mov32", { R(0, 3, EXACT, 0) }, 1 },
    { 1, "movzx8", { R(0, 0, EXACT, 1) }, 1 },
    { 3, "add_imm", { R(0, 31, CLEAN, 0) }, 1 },
    { 4, "add_reg", { R(0, 31, CLEAN, 0) }, 1 },
    { 7, "shl_imm", { R(0, 31, CLEAN, 0) }, 1 },
    { 9, "imul", { R(0, 31, CLEAN, 0) }, 1 },
    { 10, "div", { R(0, 31, CLEAN, 0) }, 1 },
    { 11, "setcc", { R(0, 31, CLEAN, 0) }, 1 },
    { 13, "push_pop", { R(0, 3, EXACT, 0) }, 1 },
    { 17, "rep_movsb", { R(0, 15, EXACT, 0) }, 1 },
    { 21, "byte_loop", { R(0, 7, EXACT, 0) }, 1 },
    { 24, "movdqu", { R(0, 15, EXACT, 0) }, 1 },
};

static char *guest_path;

typedef struct {
    VgGuest *g;
    guint16 port;
    guint64 last_event;
} Guest;

/* One guest per accel setting: each probe cleans its output first. */
static Guest guest_all, guest_moves, *current;

static void boot(const char *accel)
{
    g_autofree char *netdev = NULL;
    const char *args[] = {
        "-accel", accel, "-cpu", "qemu64,+movbe", "-m", "32",
        "-kernel", guest_path,
        "-netdev", NULL, "-device", "e1000,netdev=n0,romfile=", NULL,
    };

    current->port = vg_free_port(TRUE);
    netdev = g_strdup_printf("user,id=n0,hostfwd=udp:127.0.0.1:%u-"
                             TINY_IP_ADDR ":%u", current->port,
                             TINY_UDP_PROBE_PORT);
    args[9] = netdev;
    current->g = vg_guest_start(args, TINY_MARK_READY, BOOT_TIMEOUT_MS);
}


/* Run probe `id` on "ABCD...", return the output's guest address. */
static guint64 run_probe(int id)
{
    guint8 req[1 + TINY_PROBE_IN];
    char reply[64];
    gssize n;
    g_autofree char *want = g_strdup_printf("probe %d out=", id);

    req[0] = id;
    for (int i = 0; i < TINY_PROBE_IN; i++) {
        req[1 + i] = 'A' + i;   /* 'A' first: setcc and cmov compare it */
    }
    n = vg_udp_exchange_retry(current->port, req, sizeof(req), reply,
                              sizeof(reply) - 1, 200, REPLY_TIMEOUT_MS);
    g_assert_cmpint(n, >, 0);
    reply[n] = '\0';
    g_assert_true(g_str_has_prefix(reply, want));
    return g_ascii_strtoull(reply + strlen(want), NULL, 10);
}

/*
 * The first request to a fresh guest may be sent twice (slirp drops a
 * first datagram while it asks for the guest's MAC, and the exchange
 * resends after 200 ms): a late copy would run its probe again, cleaning
 * the output while the test reads its labels.  One probe, then time for
 * such a copy to be done with.
 */
static void settle_first_request(void)
{
    run_probe(0);
    g_usleep(500 * 1000);
}

/* The output's labels: offsets[i] = frame offset, -1 when clean. */
static void read_labels(guint64 addr, gint64 *offsets, guint64 *events)
{
    g_autofree char *cmd = g_strdup_printf(
        "{\"execute\":\"query-taint-labels\", \"arguments\":"
        " {\"addr\": %" G_GUINT64_FORMAT ", \"size\": %d}}", addr,
        TINY_PROBE_OUT);
    g_autofree char *reply = vg_qmp_command(current->g->qmp, cmd,
                                            VG_QMP_TIMEOUT_MS);
    g_autoptr(JsonNode) ret = vg_qmp_parse_member(reply, "return");
    JsonArray *a;

    g_assert_nonnull(ret);
    g_assert_true(JSON_NODE_HOLDS_ARRAY(ret));
    for (int i = 0; i < TINY_PROBE_OUT; i++) {
        offsets[i] = -1;
        events[i] = 0;
    }
    a = json_node_get_array(ret);
    for (guint i = 0; i < json_array_get_length(a); i++) {
        JsonObject *o = json_array_get_object_element(a, i);
        gint64 index = json_object_get_int_member(o, "index");

        g_assert_cmpint(index, >=, 0);
        g_assert_cmpint(index, <, TINY_PROBE_OUT);
        offsets[index] = json_object_get_int_member(o, "offset");
        events[index] = json_object_get_int_member(o, "event");
    }
}

static void check_probe(const Probe *pr)
{
    gint64 offsets[TINY_PROBE_OUT];
    guint64 events[TINY_PROBE_OUT], event = 0;
    Kind want[TINY_PROBE_OUT];
    int src[TINY_PROBE_OUT];

    read_labels(run_probe(pr->id), offsets, events);

    for (int i = 0; i < TINY_PROBE_OUT; i++) {
        want[i] = CLEAN;
    }
    for (int r = 0; r < pr->nrules; r++) {
        for (int i = pr->rules[r].from; i <= pr->rules[r].to; i++) {
            want[i] = pr->rules[r].kind;
            src[i] = pr->rules[r].src + (i - pr->rules[r].from);
        }
    }
    for (int i = 0; i < TINY_PROBE_OUT; i++) {
        g_test_message("%s: out[%d] %s, offset %" G_GINT64_FORMAT
                       " event %" G_GUINT64_FORMAT, pr->name, i,
                       want[i] == CLEAN ? "clean" :
                       want[i] == EXACT ? "exact" : "dirty",
                       offsets[i], events[i]);
        if (want[i] == CLEAN) {
            g_assert_cmpint(offsets[i], ==, -1);
            continue;
        }
        g_assert_cmpint(offsets[i], >=, 0);
        /* All from this probe's datagram, not an earlier one. */
        if (!event) {
            event = events[i];
            g_assert_cmpuint(event, >, current->last_event);
        }
        g_assert_cmpuint(events[i], ==, event);
        if (want[i] == EXACT) {
            g_assert_cmpint(offsets[i], ==, INPUT_OFFSET + src[i]);
        } else {
            g_assert_cmpint(offsets[i], >=, INPUT_OFFSET);
            g_assert_cmpint(offsets[i], <, INPUT_OFFSET + TINY_PROBE_IN);
        }
    }
    if (event) {
        current->last_event = event;
    }
}

static void test_probe(gconstpointer data)
{
    current = &guest_all;
    if (!current->g) {
        boot("tcg,taint=on,taint-kernel=all");
        settle_first_request();
    }
    check_probe(data);
}

static void test_kernel_moves(gconstpointer data)
{
    current = &guest_moves;
    if (!current->g) {
        boot("tcg,taint=on");
        settle_first_request();
    }
    check_probe(data);
}

int main(int argc, char **argv)
{
    int ret;

    g_test_init(&argc, &argv, NULL);
    guest_path = vg_tiny_guest_arg(argc, argv);
    for (gsize i = 0; i < G_N_ELEMENTS(probes); i++) {
        g_autofree char *path = g_strdup_printf("/propagation/%02d-%s",
                                                probes[i].id,
                                                probes[i].name);
        g_test_add_data_func(path, &probes[i], test_probe);
    }
    for (gsize i = 0; i < G_N_ELEMENTS(kernel_moves_probes); i++) {
        const Probe *pr = &kernel_moves_probes[i];
        g_autofree char *path = g_strdup_printf(
            "/propagation/kernel-moves/%02d-%s", pr->id, pr->name);

        g_test_add_data_func(path, pr, test_kernel_moves);
    }
    ret = g_test_run();
    if (guest_all.g) {
        vg_guest_stop(guest_all.g);
    }
    if (guest_moves.g) {
        vg_guest_stop(guest_moves.g);
    }
    return ret;
}
