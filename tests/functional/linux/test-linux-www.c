/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Write-what-where on the Linux guest (vg-wwwd): a message overwrites a
 * data pointer, and the program stores a value of its own (the address
 * of its approve_note()) through it over a reply handler, which it then
 * calls; or a format string's %hn writes through an address the message
 * holds.  On the stack, the heap and bss.  With taint off every attack
 * lands (the guest prints its marker and replies "APPROVED"); with taint
 * on each is trapped at the call before it happens, as a "www" alert
 * that names the message bytes of the pointer, whose SCA verifies on a
 * snapshot with taint off while forged ones do not; the
 * same guest answers a thousand benign requests without an alert; with
 * the www policy off the pointer attacks land again.
 *
 * Guest: $VIGILANTE_LINUX_GUEST.
 */
#include <stdio.h>
#include <string.h>

#include "guest.h"
#include "host-util.h"
#include "linux-guest.h"
#include "sca.h"
#include "sca-verify.h"

#define BOOT_TIMEOUT_MS     90000
#define ALERT_TIMEOUT_MS    10000
#define UDP_PAYLOAD_OFFSET  (14 + 20 + 8)
#define TEXT_LEN            32      /* vg-wwwd's note text, then pointer */
#define MARKER              G_GUINT64_CONSTANT(0x4b52414d4b52414d)
#define MARKER_AT           512     /* in the format, 16-aligned */
#define PROBE_ARGS          40      /* %k$lx per probe */
#define MARK_PWNED          "VG-PWNED linux-www"
#define BENIGN_ROUNDS       250     /* x 4 requests */

static char *guest_dir;

/* The Linux guest's profile and ready snapshot, made on first use. */
static char *verify_dir;
static VgProfile *verify_profile;

typedef struct {
    const char *object;
    gboolean taint_off;
} Config;

typedef struct {
    VgGuest *g;
    guint16 port;
    char *alert_dir;
    guint64 slot[3];            /* reply handler slots: S, H, B */
    guint64 approve;            /* approve_note() */
} Fixture;

static const char places[3] = { 'S', 'H', 'B' };

static gssize www(Fixture *f, const void *req, gsize len, char *reply,
                  gsize max)
{
    gssize n = vg_udp_exchange_retry(f->port, req, len, reply, max - 1, 300,
                                     ALERT_TIMEOUT_MS);

    g_assert_cmpint(n, >, 0);
    reply[n] = '\0';
    return n;
}

static void setup(Fixture *f, gconstpointer data)
{
    const Config *c = data;
    g_autofree char *kernel = g_build_filename(guest_dir, "vmlinux", NULL);
    g_autofree char *initrd = g_build_filename(guest_dir,
                                               "initramfs.cpio.gz", NULL);
    g_autofree char *netdev = NULL, *object = NULL;
    char reply[256];

    f->port = vg_free_port(TRUE);
    netdev = g_strdup_printf("user,id=n0,hostfwd=udp:127.0.0.1:%u-"
                             VGL_GUEST_IP ":%u", f->port, VGL_WWW_PORT);
    f->alert_dir = g_dir_make_tmp("vg-www-XXXXXX", NULL);
    g_assert_nonnull(f->alert_dir);
    object = g_strdup_printf("%s,alert-dir=%s,program=vg-linux", c->object,
                             f->alert_dir);
    {
        const char *args[] = {
            "-m", "256", "-no-reboot",
            "-kernel", kernel, "-initrd", initrd,
            "-append", VGL_KERNEL_CMDLINE, "-netdev", netdev,
            "-device", "virtio-net-pci,netdev=n0,romfile=",
            "-object", object,
            "-accel", c->taint_off ? "tcg,taint=off" : "tcg,taint=on", NULL,
        };
        f->g = vg_guest_start(args, VGL_MARK_READY, BOOT_TIMEOUT_MS);
    }
    /* The service's leak: where its handlers and approve_note() are. */
    www(f, "I", 1, reply, sizeof(reply));
    g_test_message("vg-wwwd: %s", reply);
    g_assert_cmpint(sscanf(reply, "INFO S=%" G_GINT64_MODIFIER "x H=%"
                           G_GINT64_MODIFIER "x B=%" G_GINT64_MODIFIER
                           "x approve=%" G_GINT64_MODIFIER "x",
                           &f->slot[0], &f->slot[1], &f->slot[2],
                           &f->approve), ==, 4);
}

static void teardown(Fixture *f, gconstpointer data)
{
    vg_guest_stop(f->g);
    vg_dir_remove(f->alert_dir);
    g_free(f->alert_dir);
}

static void put_le64(guint8 *p, guint64 v)
{
    v = GUINT64_TO_LE(v);
    memcpy(p, &v, 8);
}

/* 'N' place, random filler over the text, then the pointer. */
static GByteArray *pointer_attack(int place, guint64 where)
{
    GByteArray *m = g_byte_array_new();
    guint8 b[2 + TEXT_LEN + 8];

    b[0] = 'N';
    b[1] = places[place];
    for (int i = 0; i < TEXT_LEN; i++) {
        b[2 + i] = 'a' + g_random_int_range(0, 26);
    }
    put_le64(b + 2 + TEXT_LEN, where);
    g_byte_array_append(m, b, sizeof(b));
    return m;
}

/* 'F' place, then a format, its NUL, and @tail at MARKER_AT. */
static GByteArray *format_message(int place, const char *format,
                                  const guint8 *tail, gsize tail_len)
{
    GByteArray *m = g_byte_array_new();
    guint8 head[2] = { 'F', places[place] };
    guint8 zero = 0;

    g_assert_cmpuint(strlen(format) + 1, <=, MARKER_AT);
    g_byte_array_append(m, head, 2);
    g_byte_array_append(m, (const guint8 *)format, strlen(format));
    while (m->len < 2 + MARKER_AT) {
        g_byte_array_append(m, &zero, 1);
    }
    g_byte_array_append(m, tail, tail_len);
    return m;
}

/*
 * Which positional argument of snprintf is the format's 8 bytes at
 * MARKER_AT: probe with %k$lx, as an attacker does.
 */
static int find_argument(Fixture *f, int place)
{
    guint8 tail[8];
    g_autofree char *want = g_strdup_printf("%" G_GINT64_MODIFIER "x",
                                            MARKER);

    put_le64(tail, MARKER);
    for (int first = 1; first < 400; first += PROBE_ARGS) {
        g_autoptr(GString) fmt = g_string_new("");
        g_autoptr(GByteArray) m = NULL;
        g_auto(GStrv) fields = NULL;
        char reply[2048];

        for (int k = first; k < first + PROBE_ARGS; k++) {
            g_string_append_printf(fmt, "%%%d$lx,", k);
        }
        m = format_message(place, fmt->str, tail, sizeof(tail));
        www(f, m->data, m->len, reply, sizeof(reply));
        g_assert_true(g_str_has_prefix(reply, "NOTED "));
        fields = g_strsplit(reply + strlen("NOTED "), ",", -1);
        for (int i = 0; fields[i]; i++) {
            if (!strcmp(fields[i], want)) {
                return first + i;
            }
        }
    }
    g_assert_not_reached();
}

/*
 * %hn twice: the low and the next 16 bits of the reply handler become
 * approve_note()'s (the upper half is zero in both: a static binary).
 */
static GByteArray *format_attack(Fixture *f, int place, int arg)
{
    guint64 a = f->approve & 0xffff;
    guint64 b = ((f->approve >> 16) - a) & 0xffff;
    g_autofree char *fmt = NULL;
    guint8 tail[16];

    g_assert_cmphex(f->approve >> 32, ==, 0);
    /* All positional: glibc does not mix them with the plain kind. */
    fmt = g_strdup_printf("%%1$%" G_GUINT64_FORMAT "c%%%d$hn%%1$%"
                          G_GUINT64_FORMAT "c%%%d$hn",
                          a ? a : 0x10000, arg, b ? b : 0x10000, arg + 1);
    put_le64(tail, f->slot[place]);
    put_le64(tail + 8, f->slot[place] + 2);
    return format_message(place, fmt, tail, sizeof(tail));
}

/* A thousand requests a client of the service would send. */
static void benign(Fixture *f)
{
    for (int i = 0; i < BENIGN_ROUNDS; i++) {
        int p = i % 3;
        g_autofree char *note = g_strdup_printf("N%cnote %d", places[p], i);
        g_autofree char *fmt = g_strdup_printf("F%c%d%%%% done", places[p],
                                               i % 101);
        g_autofree char *want = g_strdup_printf("NOTED note %d", i);
        g_autofree char *want_fmt = g_strdup_printf("NOTED %d%% done",
                                                    i % 101);
        char reply[256];

        www(f, note, strlen(note), reply, sizeof(reply));
        g_assert_cmpstr(reply, ==, want);
        www(f, fmt, strlen(fmt), reply, sizeof(reply));
        g_assert_cmpstr(reply, ==, want_fmt);
        www(f, "I", 1, reply, sizeof(reply));
        www(f, "Nx", 2, reply, sizeof(reply));
    }
}

static guint pwned_count(Fixture *f)
{
    const char *out = vg_vm_serial(f->g->vm);
    guint n = 0;

    for (const char *p = strstr(out, MARK_PWNED); p;
         p = strstr(p + 1, MARK_PWNED)) {
        n++;
    }
    return n;
}

/* Has the guest printed its marker once more than @before times? */
static gboolean wait_pwned(Fixture *f, guint before, guint timeout_ms)
{
    gint64 end = g_get_monotonic_time() + timeout_ms * 1000ll;

    while (pwned_count(f) <= before) {
        if (g_get_monotonic_time() > end) {
            return FALSE;
        }
        g_usleep(20000);
    }
    return TRUE;
}

/* The attack lands: the program's own function answers. */
static void assert_lands(Fixture *f, const GByteArray *m)
{
    guint before = pwned_count(f);
    char reply[2048];

    www(f, m->data, m->len, reply, sizeof(reply));
    g_assert_true(g_str_has_prefix(reply, "APPROVED "));
    g_assert_true(wait_pwned(f, before, ALERT_TIMEOUT_MS));
}

/*
 * The attack is trapped at the call, the VM paused; the operator's
 * acknowledgement lets it go on, which shows the trap came first.
 * Checks @nlabels labels at consecutive offsets from @at_offset in the
 * message, unless @nlabels is 0.  Returns the alert's type.
 */
static char *assert_trapped(Fixture *f, const GByteArray *m, guint at_offset,
                            guint nlabels, char **event)
{
    g_autofree char *ev = NULL, *insn = NULL, *st = NULL, *ack = NULL;
    g_autofree char *r = NULL;
    guint64 events[8], offsets[8], target, id;
    guint before = pwned_count(f);
    char *type;
    guint n;

    g_assert_cmpint(vg_udp_exchange(f->port, m->data, m->len, NULL, 0, 0),
                    ==, 0);
    ev = vg_qmp_wait_event(f->g->qmp, "VIGILANTE_ALERT", ALERT_TIMEOUT_MS);
    g_assert_nonnull(ev);
    g_test_message("alert: %s", ev);
    type = vg_qmp_get_string(ev, "type");
    insn = vg_qmp_get_string(ev, "insn");
    /* the handler's call, or a tail call's jmp */
    g_assert_true(g_str_has_prefix(insn, "call") ||
                  g_str_has_prefix(insn, "jmp"));
    g_assert_true(vg_qmp_get_uint(ev, "target", &target));
    g_assert_cmphex(target, ==, f->approve);
    n = vg_alert_labels(ev, events, offsets, 8);
    g_assert_cmpuint(n, >, 0);
    if (nlabels) {
        g_assert_cmpuint(n, ==, nlabels);
    }
    for (guint i = 0; nlabels && i < n; i++) {
        g_assert_cmpuint(events[i], ==, events[0]);
        g_assert_cmpuint(offsets[i], ==, UDP_PAYLOAD_OFFSET + at_offset + i);
    }
    r = vg_qmp_command(f->g->qmp, "{\"execute\":\"query-status\"}",
                       VG_QMP_TIMEOUT_MS);
    st = vg_qmp_get_string(r, "status");
    g_assert_cmpstr(st, ==, "paused");
    g_assert_false(wait_pwned(f, before, 200));

    g_assert_true(vg_qmp_get_uint(ev, "id", &id));
    ack = g_strdup_printf("{\"execute\":\"vigilante-acknowledge\","
                          "\"arguments\":{\"id\":%" G_GUINT64_FORMAT "}}",
                          id);
    g_free(r);
    r = vg_qmp_command(f->g->qmp, ack, VG_QMP_TIMEOUT_MS);
    g_assert_nonnull(strstr(r, "\"return\""));
    g_free(vg_qmp_command(f->g->qmp, "{\"execute\":\"cont\"}",
                          VG_QMP_TIMEOUT_MS));
    if (!wait_pwned(f, before, ALERT_TIMEOUT_MS)) {
        g_autofree char *again = vg_qmp_wait_event(f->g->qmp,
                                                   "VIGILANTE_ALERT", 100);

        g_test_message("after cont: %s; serial: %s", again ? again : "",
                       vg_vm_serial(f->g->vm));
        g_assert_not_reached();
    }
    if (event) {
        *event = g_steal_pointer(&ev);
    }
    return type;
}

static VgProfile *linux_profile(void)
{
    g_autofree char *ports = g_strdup_printf("ports=udp:%d\n",
                                             VGL_WWW_PORT);

    if (!verify_profile) {
        verify_dir = g_dir_make_tmp("vg-www-verify-XXXXXX", NULL);
        g_assert_nonnull(verify_dir);
        verify_profile = vg_linux_profile(verify_dir, ports);
    }
    return verify_profile;
}

static VgVerdictKind verify(const Sca *sca, const char *what,
                            unsigned timeout_ms)
{
    VgVerdict v = vg_verify(linux_profile(), vg_qemu_path(), sca,
                            timeout_ms);
    g_autofree char *json = vg_verdict_json(&v, sca);
    VgVerdictKind kind = v.kind;

    g_test_message("verify (%s): %s", what, json);
    vg_verdict_clear(&v);
    return kind;
}

/*
 * A pointer attack's SCA: type WWW, the hint on the message's pointer;
 * it verifies (the guest, taint off, stores to the random address put in
 * the pointer's place).  With @forge, forgeries do not: the hint on the
 * note's text, and a benign note whose text holds the reply handler's
 * address (which the program does write, but not because the message
 * says so).
 */
static void check_www_sca(Fixture *f, const char *ev, int place,
                          gboolean forge)
{
    g_autoptr(Sca) sca = vg_alert_sca(ev);
    g_autoptr(Sca) on_text = vg_alert_sca(ev);
    g_autoptr(Sca) benign = sca_new(SCA_TYPE_WWW, "vg-linux");
    guint8 note[2 + 1 + 8 + 1];

    g_assert_cmpint(sca->type, ==, SCA_TYPE_WWW);
    g_assert_cmpuint(sca->messages->len, ==, 1);
    g_assert_cmpuint(sca->hint_offset, ==, 2 + TEXT_LEN);
    g_assert_cmpuint(sca->hint_length, ==, 8);
    g_assert_cmpint(verify(sca, "the attack", 10000), ==,
                    VG_VERDICT_VERIFIED);
    if (!forge) {
        return;
    }
    on_text->hint_offset = 2;
    g_assert_cmpint(verify(on_text, "hint on the text", 3000), ==,
                    VG_VERDICT_NOT_VERIFIED);

    note[0] = 'N';
    note[1] = places[place];
    note[2] = 'x';
    put_le64(note + 3, f->slot[place]);
    note[11] = 'y';
    sca_add_message(benign, SCA_TRANSPORT_UDP, VGL_WWW_PORT, note,
                    sizeof(note));
    benign->hint_offset = 3;
    benign->hint_length = 8;
    g_assert_cmpint(verify(benign, "a benign note holding the handler's "
                           "address", 3000), ==, VG_VERDICT_NOT_VERIFIED);
}

/* Taint off: every attack is real. */
static void test_plain(Fixture *f, gconstpointer data)
{
    for (int p = 0; p < 3; p++) {
        g_autoptr(GByteArray) m = pointer_attack(p, f->slot[p]);

        assert_lands(f, m);
    }
    for (int p = 0; p < 3; p++) {
        g_autoptr(GByteArray) m = format_attack(f, p, find_argument(f, p));

        assert_lands(f, m);
    }
}

static void test_trapped(Fixture *f, gconstpointer data)
{
    benign(f);
    vg_assert_no_alert(f->g, 300);
    for (int p = 0; p < 3; p++) {
        g_autoptr(GByteArray) m = pointer_attack(p, f->slot[p]);
        g_autofree char *ev = NULL;
        g_autofree char *type = assert_trapped(f, m, 2 + TEXT_LEN, 8, &ev);

        /* The labels name the pointer in the message, not the value. */
        g_assert_cmpstr(type, ==, "www");
        check_www_sca(f, ev, p, p == 0);
    }
    for (int p = 0; p < 3; p++) {
        g_autoptr(GByteArray) m = format_attack(f, p, find_argument(f, p));
        g_autofree char *ev = NULL;
        g_autofree char *type = assert_trapped(f, m, 0, 0, &ev);
        g_autoptr(Sca) sca = NULL;

        /*
         * %hn writes the count of characters printed, which glibc
         * computes from the widths in the message, through the two
         * addresses at MARKER_AT: placed bytes, whatever the count.
         * The SCA's hint is the first address.
         */
        g_assert_cmpstr(type, ==, "www");
        sca = vg_alert_sca(ev);
        g_assert_cmpint(sca->type, ==, SCA_TYPE_WWW);
        g_assert_cmpuint(sca->hint_offset, ==, 2 + MARKER_AT);
        g_assert_cmpuint(sca->hint_length, ==, 8);
        g_assert_cmpint(verify(sca, "format string attack", 10000), ==,
                        VG_VERDICT_VERIFIED);
        if (p == 0) {
            /* Forged: the hint on the format's text, not an address. */
            sca->hint_offset = 2;
            g_assert_cmpint(verify(sca, "hint on the format", 3000), ==,
                            VG_VERDICT_NOT_VERIFIED);
        }
    }
    benign(f);
    vg_assert_no_alert(f->g, 300);
}

/* The www policy off: the pointer attacks land even with taint on. */
static void test_policy_off(Fixture *f, gconstpointer data)
{
    g_autoptr(GByteArray) m = pointer_attack(0, f->slot[0]);

    assert_lands(f, m);
    vg_assert_no_alert(f->g, 300);
}

int main(int argc, char **argv)
{
    static const Config plain = {
        .object = "vigilante,id=v0,action=pause", .taint_off = TRUE,
    };
    static const Config on = { .object = "vigilante,id=v0,action=pause" };
    static const Config off = {
        .object = "vigilante,id=v0,action=pause,www=off",
    };
    int ret;

    g_test_init(&argc, &argv, NULL);
    guest_dir = g_strdup(g_getenv("VIGILANTE_LINUX_GUEST"));
    g_assert_nonnull(guest_dir);
    g_test_add("/linux-www/plain", Fixture, &plain, setup, test_plain,
               teardown);
    g_test_add("/linux-www/trapped", Fixture, &on, setup, test_trapped,
               teardown);
    g_test_add("/linux-www/policy-off", Fixture, &off, setup,
               test_policy_off, teardown);
    ret = g_test_run();
    if (verify_dir) {
        vg_dir_remove(verify_dir);
    }
    return ret;
}
