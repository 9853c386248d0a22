/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The detector on a real guest: the tiny guest's "run" service executes
 * a request in place in the NIC's receive buffer (ACE).  With the
 * vigilante object the guest is trapped before the dirty code runs, and
 * VIGILANTE_ALERT names the frame and the offsets of the code bytes; the
 * actions pause and continue behave as documented; with the ace policy
 * off the attack runs; benign traffic raises nothing.
 *
 * Arguments besides GTest's: --guest=ELF (the tiny guest).
 */
#include <glib/gstdio.h>
#include <string.h>

#include "guest.h"
#include "layout.h"
#include "probes.h"
#include "run-payload.h"

#define BOOT_TIMEOUT_MS     10000
#define REPLY_TIMEOUT_MS    3000
#define ALERT_TIMEOUT_MS    5000

/* Ethernet + IPv4 + UDP headers, then the 'X' of the request. */
#define RUN_CODE_OFFSET     (14 + 20 + 8 + 1)
#define RUN_MARKER          RUN_MARK_PWNED

static char *guest_path;

typedef struct {
    const char *accel;          /* -accel value */
    const char *object;         /* -object value or NULL */
} Config;

typedef struct {
    VgGuest *g;
    VgVm *vm;                   /* f->g->vm, f->g->qmp */
    VgQmp *qmp;
    guint16 echo_port, run_port, probe_port;
} Fixture;

static void setup(Fixture *f, gconstpointer data)
{
    const Config *c = data;
    g_autofree char *netdev = NULL;
    char reply[16];

    do {
        f->echo_port = vg_free_port(TRUE);
        f->run_port = vg_free_port(TRUE);
        f->probe_port = vg_free_port(TRUE);
    } while (f->echo_port == f->run_port || f->probe_port == f->run_port ||
             f->probe_port == f->echo_port);
    netdev = g_strdup_printf("user,id=n0,"
                             "hostfwd=udp:127.0.0.1:%u-" TINY_IP_ADDR ":%u,"
                             "hostfwd=udp:127.0.0.1:%u-" TINY_IP_ADDR ":%u,"
                             "hostfwd=udp:127.0.0.1:%u-" TINY_IP_ADDR ":%u",
                             f->echo_port, TINY_UDP_ECHO_PORT,
                             f->run_port, TINY_UDP_RUN_PORT,
                             f->probe_port, TINY_UDP_PROBE_PORT);
    {
        const char *args[] = {
            "-accel", c->accel, "-m", "32", "-kernel", guest_path,
            "-netdev", netdev, "-device", "e1000,netdev=n0,romfile=",
            c->object ? "-object" : NULL, c->object, NULL,
        };
        f->g = vg_guest_start(args, TINY_MARK_READY, BOOT_TIMEOUT_MS);
    }
    f->vm = f->g->vm;
    f->qmp = f->g->qmp;
    /* slirp learns the guest's MAC from the first exchange */
    g_assert_cmpint(vg_udp_exchange_retry(f->echo_port, "hi", 2, reply,
                                          sizeof(reply), 200,
                                          REPLY_TIMEOUT_MS), ==, 2);
}

static void teardown(Fixture *f, gconstpointer data)
{
    vg_guest_stop(f->g);
}

static void send_run(Fixture *f)
{
    guint8 req[RUN_ATTACK_MAX];
    gsize len = run_build_attack(req);

    g_assert_cmpint(vg_udp_exchange(f->run_port, req, len, NULL, 0, 0), ==, 0);
}

static char *status(Fixture *f)
{
    g_autofree char *reply = vg_qmp_command(f->qmp,
                                            "{\"execute\":\"query-status\"}",
                                            VG_QMP_TIMEOUT_MS);

    g_assert_nonnull(reply);
    return vg_qmp_get_string(reply, "status");
}

/* The alert names the frame's code bytes: offsets from RUN_CODE_OFFSET. */
static void assert_ace_alert(const char *ev, const char *action)
{
    g_autofree char *type = vg_qmp_get_string(ev, "type");
    g_autofree char *act = vg_qmp_get_string(ev, "action");
    g_autofree char *insn = vg_qmp_get_string(ev, "insn");
    guint64 pc, target, events[2], offsets[2];

    g_test_message("alert: %s", ev);
    g_assert_cmpstr(type, ==, "ace");
    g_assert_cmpstr(act, ==, action);
    g_assert_cmpstr(insn, ==, "mov edx, 0x3f8");
    g_assert_true(vg_qmp_get_uint(ev, "pc", &pc));
    g_assert_true(vg_qmp_get_uint(ev, "target", &target));
    g_assert_cmpuint(pc, ==, target);
    g_assert_cmpuint(vg_alert_labels(ev, events, offsets, 2), >=, 2);
    g_assert_cmpuint(events[0], >, 0);
    g_assert_cmpuint(offsets[0], ==, RUN_CODE_OFFSET);
    /* The next dirty byte is the next byte of the same frame. */
    g_assert_cmpuint(events[1], ==, events[0]);
    g_assert_cmpuint(offsets[1], ==, RUN_CODE_OFFSET + 1);
}

static void test_ace_pause(Fixture *f, gconstpointer data)
{
    g_autofree char *ev = NULL, *stop = NULL, *st = NULL;

    g_assert_null(strstr(vg_vm_serial(f->vm), RUN_MARKER));
    send_run(f);
    ev = vg_qmp_wait_event(f->qmp, "VIGILANTE_ALERT", ALERT_TIMEOUT_MS);
    g_assert_nonnull(ev);
    assert_ace_alert(ev, "pause");
    stop = vg_qmp_wait_event(f->qmp, "STOP", ALERT_TIMEOUT_MS);
    g_assert_nonnull(stop);
    st = status(f);
    g_assert_cmpstr(st, ==, "paused");
    /* Trapped before the code ran: no marker, even given time. */
    g_assert_false(vg_vm_wait_serial(f->vm, RUN_MARKER, 500));
}

/* Wait until the serial output holds marker `count` times. */
static gboolean wait_marker_count(Fixture *f, const char *marker, int count)
{
    gint64 deadline = g_get_monotonic_time() + ALERT_TIMEOUT_MS * 1000ll;

    while (g_get_monotonic_time() < deadline) {
        int n = 0;

        vg_vm_wait_serial(f->vm, marker, 50);
        for (const char *p = strstr(vg_vm_serial(f->vm), marker); p;
             p = strstr(p + 1, marker)) {
            n++;
        }
        if (n >= count) {
            return TRUE;
        }
    }
    return FALSE;
}

/* The same code copied over code that was translated clean at boot. */
static void test_ace_over_code(Fixture *f, gconstpointer data)
{
    g_autofree char *ev = NULL, *type = NULL;
    guint8 req[RUN_ATTACK_MAX];
    gsize len = run_build_attack(req);
    guint64 event, offset;

    req[0] = TINY_PLUGIN_MAGIC;
    g_assert_cmpint(vg_udp_exchange(f->run_port, req, len, NULL, 0, 0), ==, 0);
    ev = vg_qmp_wait_event(f->qmp, "VIGILANTE_ALERT", ALERT_TIMEOUT_MS);
    g_assert_nonnull(ev);
    g_test_message("alert: %s", ev);
    type = vg_qmp_get_string(ev, "type");
    g_assert_cmpstr(type, ==, "ace");
    g_assert_cmpuint(vg_alert_labels(ev, &event, &offset, 1), >=, 1);
    g_assert_cmpuint(offset, ==, RUN_CODE_OFFSET);
    g_assert_true(vg_vm_wait_serial(f->vm, "updating the", 1000));
    g_assert_false(vg_vm_wait_serial(f->vm, RUN_MARKER, 500));
}

static void test_ace_continue(Fixture *f, gconstpointer data)
{
    g_autofree char *ev = NULL, *again = NULL, *st = NULL;

    send_run(f);
    ev = vg_qmp_wait_event(f->qmp, "VIGILANTE_ALERT", ALERT_TIMEOUT_MS);
    g_assert_nonnull(ev);
    assert_ace_alert(ev, "continue");
    /* The honeypot keeps running: the code runs and returns. */
    g_assert_true(wait_marker_count(f, RUN_MARKER, 1));
    /*
     * The same attack again is new input: it runs again and is reported
     * again (docs/qmp.md, "One attack, one alert").
     */
    send_run(f);
    g_assert_true(wait_marker_count(f, RUN_MARKER, 2));
    again = vg_qmp_wait_event(f->qmp, "VIGILANTE_ALERT", ALERT_TIMEOUT_MS);
    g_assert_nonnull(again);
    assert_ace_alert(again, "continue");
    st = status(f);
    g_assert_cmpstr(st, ==, "running");
}

static void test_ace_policy_off(Fixture *f, gconstpointer data)
{
    g_autofree char *ev = NULL;

    send_run(f);
    g_assert_true(vg_vm_wait_serial(f->vm, RUN_MARKER, ALERT_TIMEOUT_MS));
    ev = vg_qmp_wait_event(f->qmp, "VIGILANTE_ALERT", 300);
    g_assert_null(ev);
}

static void test_benign_quiet(Fixture *f, gconstpointer data)
{
    g_autofree char *ev = NULL, *st = NULL;
    char reply[2048];
    guint8 msg[1400];

    for (int i = 0; i < 50; i++) {
        memset(msg, i, sizeof(msg));
        g_assert_cmpint(vg_udp_exchange_retry(f->echo_port, msg,
                                              sizeof(msg), reply,
                                              sizeof(reply), 200,
                                              REPLY_TIMEOUT_MS), ==,
                        sizeof(msg));
    }
    /* Not an 'X' request: the run service only answers. */
    g_assert_cmpint(vg_udp_exchange_retry(f->run_port, "hello", 5, reply,
                                          sizeof(reply), 200,
                                          REPLY_TIMEOUT_MS), ==, 11);
    ev = vg_qmp_wait_event(f->qmp, "VIGILANTE_ALERT", 300);
    g_assert_null(ev);
    st = status(f);
    g_assert_cmpstr(st, ==, "running");
}

static void test_one_object_only(Fixture *f, gconstpointer data)
{
    g_autofree char *reply = vg_qmp_command(f->qmp,
        "{\"execute\":\"object-add\", \"arguments\":"
        " {\"qom-type\":\"vigilante\", \"id\":\"v1\"}}", VG_QMP_TIMEOUT_MS);
    g_autofree char *del = vg_qmp_command(f->qmp,
        "{\"execute\":\"object-del\", \"arguments\": {\"id\":\"v0\"}}",
        VG_QMP_TIMEOUT_MS);

    g_assert_nonnull(reply);
    g_assert_nonnull(strstr(reply, "only one vigilante object"));
    /* The vCPU reads it without locks: it cannot be deleted. */
    g_assert_nonnull(del);
    g_assert_nonnull(strstr(del, "\"error\""));
}

/* Created over QMP (no -object): a bad action is refused, a good object
 * is then accepted and works. */
static void test_object_add(Fixture *f, gconstpointer data)
{
    g_autofree char *bad = vg_qmp_command(f->qmp,
        "{\"execute\":\"object-add\", \"arguments\":"
        " {\"qom-type\":\"vigilante\", \"id\":\"v0\", \"action\":\"explode\"}}",
        VG_QMP_TIMEOUT_MS);
    g_autofree char *good = vg_qmp_command(f->qmp,
        "{\"execute\":\"object-add\", \"arguments\":"
        " {\"qom-type\":\"vigilante\", \"id\":\"v0\", \"action\":\"pause\"}}",
        VG_QMP_TIMEOUT_MS);
    g_autofree char *ev = NULL;

    g_assert_nonnull(bad);
    g_assert_nonnull(strstr(bad, "\"error\""));
    g_assert_nonnull(strstr(bad, "explode"));
    g_assert_nonnull(good);
    g_assert_nonnull(strstr(good, "\"return\""));
    send_run(f);
    ev = vg_qmp_wait_event(f->qmp, "VIGILANTE_ALERT", ALERT_TIMEOUT_MS);
    g_assert_nonnull(ev);
    assert_ace_alert(ev, "pause");
}

static char *log_dump(Fixture *f, const char *filename)
{
    g_autofree char *cmd = g_strdup_printf(
        "{\"execute\":\"vigilante-log-dump\", \"arguments\":"
        " {\"filename\":\"%s\"}}", filename);
    char *reply = vg_qmp_command(f->qmp, cmd, VG_QMP_TIMEOUT_MS);

    g_assert_nonnull(reply);
    return reply;
}

/* The event log exported as pcap holds the frames we sent, readable by
 * tcpdump, in order. */
static void test_event_log_pcap(Fixture *f, gconstpointer data)
{
    g_autofree char *dir = g_dir_make_tmp("vg-log-XXXXXX", NULL);
    g_autofree char *pcap = g_build_filename(dir, "frames.pcap", NULL);
    g_autofree char *reply = NULL, *bad = NULL, *out = NULL;
    g_autoptr(GError) err = NULL;
    char msg[64], answer[64];
    const char *p;

    for (int i = 0; i < 5; i++) {
        gsize n = g_snprintf(msg, sizeof(msg), "vg-log-frame-%d", i);

        g_assert_cmpint(vg_udp_exchange_retry(f->echo_port, msg, n, answer,
                                              sizeof(answer), 200,
                                              REPLY_TIMEOUT_MS), ==, n);
    }
    reply = log_dump(f, pcap);
    g_assert_nonnull(strstr(reply, "\"return\""));
    {
        const char *argv[] = { "tcpdump", "-r", pcap, "-nn", "-A", NULL };

        g_assert_true(vg_run_program(argv, 10000, &out, &err));
        g_assert_no_error(err);
    }
    /* All five, in the order they were sent. */
    p = out;
    for (int i = 0; i < 5; i++) {
        g_snprintf(msg, sizeof(msg), "vg-log-frame-%d", i);
        p = strstr(p, msg);
        g_assert_nonnull(p);
    }
    bad = log_dump(f, "/nonexistent-dir/frames.pcap");
    g_assert_nonnull(strstr(bad, "cannot write"));
    g_remove(pcap);
    g_rmdir(dir);
}

/* Without a vigilante object there is no log to dump. */
static void test_event_log_off(Fixture *f, gconstpointer data)
{
    g_autofree char *dir = g_dir_make_tmp("vg-log-XXXXXX", NULL);
    g_autofree char *pcap = g_build_filename(dir, "frames.pcap", NULL);
    g_autofree char *reply = log_dump(f, pcap);

    g_assert_nonnull(strstr(reply, "the event log is off"));
    g_assert_false(g_file_test(pcap, G_FILE_TEST_EXISTS));
    g_rmdir(dir);
}

/*
 * AEC on far transfers (the TINY_AEC_PROBES): lret and iret through a
 * dirty stacked eip, ljmp and lcall through a dirty far pointer.  The
 * alert names the target and the four frame bytes it came from, and the
 * guest is paused before it gets there.
 */
#define AEC_TARGET          0x00c0ffeeu
#define PROBE_IN_OFFSET     (14 + 20 + 8 + 1)   /* after the probe id */

typedef struct {
    Config cfg;                 /* first: setup() reads it */
    guint8 probe;
    const char *insn;           /* how the alert's disassembly starts */
} FarCase;

static void test_aec_far(Fixture *f, gconstpointer data)
{
    const FarCase *c = data;
    guint8 req[1 + TINY_PROBE_IN] = { c->probe };
    g_autofree char *ev = NULL, *type = NULL, *insn = NULL, *st = NULL;
    guint64 target, offsets[8], events[8];
    int n;

    req[1] = AEC_TARGET & 0xff;
    req[2] = (AEC_TARGET >> 8) & 0xff;
    req[3] = (AEC_TARGET >> 16) & 0xff;
    req[4] = AEC_TARGET >> 24;
    g_assert_cmpint(vg_udp_exchange(f->probe_port, req, sizeof(req), NULL, 0,
                                    0), ==, 0);
    ev = vg_qmp_wait_event(f->qmp, "VIGILANTE_ALERT", ALERT_TIMEOUT_MS);
    g_assert_nonnull(ev);
    g_test_message("alert: %s", ev);
    type = vg_qmp_get_string(ev, "type");
    insn = vg_qmp_get_string(ev, "insn");
    g_assert_cmpstr(type, ==, "aec");
    g_assert_true(g_str_has_prefix(insn, c->insn));
    g_assert_true(vg_qmp_get_uint(ev, "target", &target));
    g_assert_cmphex(target, ==, AEC_TARGET);
    n = vg_alert_labels(ev, events, offsets, G_N_ELEMENTS(events));
    g_assert_cmpint(n, ==, 4);
    for (int i = 0; i < n; i++) {
        g_assert_cmpuint(events[i], ==, events[0]);
        g_assert_cmpuint(offsets[i], ==, PROBE_IN_OFFSET + i);
    }
    g_assert_nonnull(vg_qmp_wait_event(f->qmp, "STOP", ALERT_TIMEOUT_MS));
    st = status(f);
    g_assert_cmpstr(st, ==, "paused");
}

int main(int argc, char **argv)
{
    static const Config pause = { "tcg,taint=on,taint-kernel=all",
                                  "vigilante,id=v0,action=pause" };
    static const Config cont = { "tcg,taint=on,taint-kernel=all",
                                 "vigilante,id=v0,action=continue" };
    static const Config ace_off = { "tcg,taint=on,taint-kernel=all",
                                    "vigilante,id=v0,ace=off" };
    static const Config on = { "tcg,taint=on,taint-kernel=all", "vigilante,id=v0" };
    static const Config bare = { "tcg,taint=on,taint-kernel=all", NULL };

    g_test_init(&argc, &argv, NULL);
    guest_path = vg_tiny_guest_arg(argc, argv);
#define ADD(path, cfg, fn) \
    g_test_add(path, Fixture, &cfg, setup, fn, teardown)
    ADD("/detector/ace/pause", pause, test_ace_pause);
    ADD("/detector/ace/over-translated-code", pause, test_ace_over_code);
    ADD("/detector/ace/continue", cont, test_ace_continue);
    ADD("/detector/ace/policy-off", ace_off, test_ace_policy_off);
    ADD("/detector/benign-quiet", on, test_benign_quiet);
    ADD("/detector/one-object-only", on, test_one_object_only);
    ADD("/detector/object-add", bare, test_object_add);
    ADD("/detector/event-log/pcap", on, test_event_log_pcap);
    ADD("/detector/event-log/off", bare, test_event_log_off);
#undef ADD
    {
        static const FarCase far[] = {
            { { "tcg,taint=on,taint-kernel=all", "vigilante,id=v0,action=pause" },
              TINY_AEC_PROBE_FIRST + 0, "retf" },
            { { "tcg,taint=on,taint-kernel=all", "vigilante,id=v0,action=pause" },
              TINY_AEC_PROBE_FIRST + 1, "iret" },
            { { "tcg,taint=on,taint-kernel=all", "vigilante,id=v0,action=pause" },
              TINY_AEC_PROBE_FIRST + 2, "ljmp" },
            { { "tcg,taint=on,taint-kernel=all", "vigilante,id=v0,action=pause" },
              TINY_AEC_PROBE_FIRST + 3, "lcall" },
        };
        static const char *const names[] = { "lret", "iret", "ljmp", "lcall" };

        for (int i = 0; i < 4; i++) {
            g_autofree char *path = g_strdup_printf("/detector/aec/%s",
                                                    names[i]);

            g_test_add(path, Fixture, &far[i], setup, test_aec_far,
                       teardown);
        }
    }
    return g_test_run();
}
