/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SCA verification on the tiny guest: the detector's SCA of the Figure-1
 * attack verifies against a fresh snapshot of the program (taint off,
 * nonce planted in the hinted bytes); forged variants (wrong offset, a
 * benign message, a truncated message, random bytes, another program)
 * do not; minimisation replaces the worm's code with filler and the
 * result still verifies; 200 verifications in a row leave no temporary
 * files, no processes and no memory growth behind; an emulator that
 * dies mid-replay is an error verdict that says how, without waiting.
 *
 * Arguments besides GTest's: --guest=ELF (the tiny guest).
 */
#include <glib/gstdio.h>
#include <string.h>

#include "guest.h"
#include "host-util.h"
#include "layout.h"
#include "fig1-payload.h"
#include "run-payload.h"
#include "profile.h"
#include "sca.h"
#include "sca-verify.h"
#include "sca-minimise.h"

#define BOOT_TIMEOUT_MS     10000
#define ALERT_TIMEOUT_MS    5000
#define VERIFY_TIMEOUT_MS   3000

static char *guest_path;
static char *work;              /* profile, snapshot, alerts */
static VgProfile *profile;
static GBytes *genuine;         /* the detector's SCA, encoded */

/* A profile for the tiny guest with its snapshot in our directory. */
static void make_profile(void)
{
    g_autofree char *path = g_build_filename(work, "tiny.profile", NULL);
    g_autofree char *text = g_strdup_printf(
        "[program]\nname=tiny-fig1\n"
        "[vm]\nkernel=%s\nmemory=32\nnic=e1000\n"
        "[service]\nports=udp:4444;udp:4446\nready-marker=" TINY_MARK_READY
        "\n"
        "[snapshot]\npath=%s/snapshot\n", guest_path, work);
    g_autoptr(GError) err = NULL;
    double secs;

    g_assert_true(g_file_set_contents(path, text, -1, NULL));
    profile = vg_profile_load(path, &err);
    g_assert_no_error(err);
    g_assert_true(vg_snapshot_make(profile, vg_qemu_path(), &secs, &err));
    g_assert_no_error(err);
    g_test_message("snapshot saved in %.2f s", secs);
}

/* The detector's SCA of one request to one of the tiny guest's ports. */
static GBytes *detector_sca(guint16 guest_port, const guint8 *req,
                            gsize len);

static void make_genuine(void)
{
    guint8 req[FIG1_ATTACK_LEN];
    gsize len = fig1_build_attack(req, fig1_default_target());

    genuine = detector_sca(TINY_UDP_FIG1_PORT, req, len);
}

static GBytes *detector_sca(guint16 guest_port, const guint8 *req,
                            gsize len)
{
    g_autofree char *object = g_strdup_printf(
        "vigilante,id=v0,action=pause,alert-dir=%s,program=tiny-fig1,"
        "program-digest=%s", work, vg_profile_digest_hex(profile));
    g_autofree char *netdev = NULL, *ev = NULL, *path = NULL, *data = NULL;
    guint16 port = vg_free_port(TRUE);
    gsize dlen;
    GBytes *sca;
    VgGuest *g;

    netdev = g_strdup_printf("user,id=n0,hostfwd=udp:127.0.0.1:%u-"
                             TINY_IP_ADDR ":%u", port, guest_port);
    {
        const char *args[] = {
            "-accel", "tcg,taint=on,taint-kernel=all", "-m", "32", "-kernel", guest_path,
            "-netdev", netdev, "-device", "e1000,netdev=n0,romfile=",
            "-object", object, NULL,
        };
        g = vg_guest_start(args, TINY_MARK_READY, BOOT_TIMEOUT_MS);
    }
    /* slirp may drop the first datagram to a guest it has not heard. */
    for (int i = 0; i < 10 && !ev; i++) {
        g_assert_cmpint(vg_udp_exchange(port, req, len, NULL, 0, 0), ==, 0);
        ev = vg_qmp_wait_event(g->qmp, "VIGILANTE_ALERT", 500);
    }
    g_assert_nonnull(ev);
    path = vg_qmp_get_string(ev, "sca");
    g_assert_nonnull(path);
    g_assert_true(g_file_get_contents(path, &data, &dlen, NULL));
    sca = g_bytes_new(data, dlen);
    vg_guest_stop(g);
    return sca;
}

static Sca *genuine_copy(void)
{
    g_autoptr(GError) err = NULL;
    Sca *sca = sca_decode(g_bytes_get_data(genuine, NULL),
                          g_bytes_get_size(genuine), &err);

    g_assert_no_error(err);
    return sca;
}

static VgVerdictKind verify(const Sca *sca)
{
    VgVerdict v = vg_verify(profile, vg_qemu_path(), sca, VERIFY_TIMEOUT_MS);
    g_autofree char *json = vg_verdict_json(&v, sca);
    VgVerdictKind kind = v.kind;

    g_test_message("%s", json);
    vg_verdict_clear(&v);
    return kind;
}

/* ACE: the run service's SCA; a jump to a random address is planted in
 * the hinted code.  Planted where the code does not start, it fails. */
static void test_ace(void)
{
    guint8 req[RUN_ATTACK_MAX];
    gsize len = run_build_attack(req);
    g_autoptr(GBytes) b = detector_sca(TINY_UDP_RUN_PORT, req, len);
    g_autoptr(GError) err = NULL;
    g_autoptr(Sca) sca = sca_decode(g_bytes_get_data(b, NULL),
                                    g_bytes_get_size(b), &err);

    g_assert_no_error(err);
    g_assert_cmpint(sca->type, ==, SCA_TYPE_ACE);
    g_assert_cmpuint(sca->code_bits, ==, 32);
    g_assert_cmpuint(sca->hint_offset, ==, 1);
    g_assert_cmpint(verify(sca), ==, VG_VERDICT_VERIFIED);
    sca->hint_offset = 0;       /* over the request's 'X': not run */
    g_assert_cmpint(verify(sca), ==, VG_VERDICT_NOT_VERIFIED);
}

/*
 * ACE whose first translated block is too short for the verifier's jump
 * (a 2-byte jmp short, a short sled and a jump, jmp/call/pop): the hint
 * is the whole run of code from the message at the executed address, so
 * the SCA verifies.
 */
static void test_ace_shapes(void)
{
    static const struct {
        RunShape shape;
        const char *name;
    } shapes[] = {
        { RUN_SHAPE_JMP_SHORT, "jmp short" },
        { RUN_SHAPE_SLED, "sled and jmp short" },
        { RUN_SHAPE_JMP_CALL_POP, "jmp/call/pop" },
    };

    for (gsize i = 0; i < G_N_ELEMENTS(shapes); i++) {
        guint8 req[RUN_ATTACK_MAX];
        gsize len = run_build_attack_shape(req, shapes[i].shape);
        g_autoptr(GBytes) b = detector_sca(TINY_UDP_RUN_PORT, req, len);
        g_autoptr(GError) err = NULL;
        g_autoptr(Sca) sca = sca_decode(g_bytes_get_data(b, NULL),
                                        g_bytes_get_size(b), &err);

        g_test_message("shape %s: %zu-byte request", shapes[i].name, len);
        g_assert_no_error(err);
        g_assert_cmpint(sca->type, ==, SCA_TYPE_ACE);
        g_assert_cmpuint(sca->hint_offset, ==, 1);
        /* Everything after the 'X' came from the message. */
        g_assert_cmpuint(sca->hint_length, ==, len - 1);
        g_assert_cmpint(verify(sca), ==, VG_VERDICT_VERIFIED);
    }
}

static void test_genuine(void)
{
    g_autoptr(Sca) sca = genuine_copy();

    g_assert_cmpint(verify(sca), ==, VG_VERDICT_VERIFIED);
}

/* Replace message 0 with other bytes (the hint kept inside it). */
static void replace_message(Sca *sca, const void *p, size_t n)
{
    ScaMessage *m = g_ptr_array_index(sca->messages, 0);

    g_bytes_unref(m->payload);
    m->payload = g_bytes_new(p, n);
}

static void test_forged(void)
{
    guint8 benign[FIG1_ATTACK_LEN], random[FIG1_ATTACK_LEN];
    gsize blen = sizeof(benign);
    GRand *rand = g_rand_new_with_seed(3);

    /* As long as the attack, but without Figure 1's magic first byte:
     * the service only answers "fig1 ignored". */
    memset(benign, 'b', sizeof(benign) - 1);
    benign[sizeof(benign) - 1] = 0;
    for (gsize i = 0; i < sizeof(random); i++) {
        random[i] = g_rand_int(rand);
    }
    g_rand_free(rand);
    {
        g_autoptr(Sca) sca = genuine_copy();

        sca->hint_offset -= 8;              /* the wrong offset */
        g_assert_cmpint(verify(sca), ==, VG_VERDICT_NOT_VERIFIED);
    }
    {
        g_autoptr(Sca) sca = genuine_copy();

        g_assert_cmpuint(blen, >=, sca->hint_offset + sca->hint_length);
        replace_message(sca, benign, blen);  /* a benign message */
        g_assert_cmpint(verify(sca), ==, VG_VERDICT_NOT_VERIFIED);
    }
    {
        g_autoptr(Sca) sca = genuine_copy();
        size_t len;
        const uint8_t *p = g_bytes_get_data(sca_message(sca, 0)->payload,
                                            &len);
        g_autofree uint8_t *cut = g_memdup2(p, len);

        /* Cut inside the 64-byte buffer (the hint moved into what is
         * left): the copy no longer reaches the return address. */
        replace_message(sca, cut, 60);
        sca->hint_offset = 56;
        g_assert_cmpint(verify(sca), ==, VG_VERDICT_NOT_VERIFIED);
    }
    {
        g_autoptr(Sca) sca = genuine_copy();

        replace_message(sca, random, sizeof(random));   /* random bytes */
        g_assert_cmpint(verify(sca), ==, VG_VERDICT_NOT_VERIFIED);
    }
    {
        g_autoptr(Sca) sca = genuine_copy();

        g_strlcpy(sca->name, "another-program", sizeof(sca->name));
        g_assert_cmpint(verify(sca), ==, VG_VERDICT_NOT_VERIFIED);
    }
}

/* Minimised: the worm's code and text replaced, still verifying. */
static void test_minimise(void)
{
    g_autoptr(Sca) sca = genuine_copy(), small = NULL;
    g_autoptr(GError) err = NULL;
    VgMinimiseStats st;
    size_t len;
    const uint8_t *p;

    small = vg_sca_minimise(profile, vg_qemu_path(), sca, 1000, &st, &err);
    g_assert_no_error(err);
    g_test_message("minimised: %u replays, %u bytes replaced", st.replays,
                   st.bytes_filled);
    p = g_bytes_get_data(sca_message(small, 0)->payload, &len);
    g_assert_cmpuint(len, ==, FIG1_ATTACK_LEN);
    g_assert_null(memmem(p, len, "VG-PWNED", 8));
    g_assert_cmpuint(st.bytes_filled, >=, 48);
    g_assert_cmpuint(small->hint_offset, ==, sca->hint_offset);
    g_assert_cmpmem(p + small->hint_offset, small->hint_length,
                    (const uint8_t *)g_bytes_get_data(
                        sca_message(sca, 0)->payload, NULL) + sca->hint_offset,
                    sca->hint_length);
    g_assert_cmpint(verify(small), ==, VG_VERDICT_VERIFIED);
}

static unsigned count_tmp_vms(void)
{
    g_autoptr(GDir) d = g_dir_open(g_get_tmp_dir(), 0, NULL);
    const char *name;
    unsigned n = 0;

    while (d && (name = g_dir_read_name(d))) {
        n += g_str_has_prefix(name, "vg-vm-");
    }
    return n;
}

static long rss_kib(void)
{
    g_autofree char *status = NULL;
    const char *p;

    g_assert_true(g_file_get_contents("/proc/self/status", &status, NULL,
                                      NULL));
    p = strstr(status, "VmRSS:");
    g_assert_nonnull(p);
    return strtol(p + 6, NULL, 10);
}

/* No emulator left running: none of our children is alive. */
static unsigned count_children(void)
{
    g_autoptr(GDir) d = g_dir_open("/proc", 0, NULL);
    g_autofree char *me = g_strdup_printf(" %d ", getpid());
    const char *name;
    unsigned n = 0;

    while (d && (name = g_dir_read_name(d))) {
        g_autofree char *path = g_strdup_printf("/proc/%s/stat", name);
        g_autofree char *stat = NULL;
        const char *rp;

        if (!g_ascii_isdigit(name[0]) ||
            !g_file_get_contents(path, &stat, NULL, NULL)) {
            continue;
        }
        /* pid (comm) state ppid ...: ppid after the last ')' */
        rp = strrchr(stat, ')');
        if (rp && g_str_has_prefix(rp + 3, me + 1)) {
            n++;
        }
    }
    return n;
}

static void test_200_in_a_row(void)
{
    g_autoptr(Sca) sca = genuine_copy();
    unsigned tmp0 = count_tmp_vms(), verified = 0;
    long rss0 = 0;
    gint64 t0 = g_get_monotonic_time();

    for (int i = 0; i < 200; i++) {
        VgVerdict v = vg_verify(profile, vg_qemu_path(), sca,
                                VERIFY_TIMEOUT_MS);

        verified += v.kind == VG_VERDICT_VERIFIED;
        if (v.kind != VG_VERDICT_VERIFIED) {
            g_autofree char *json = vg_verdict_json(&v, sca);

            g_test_message("verification %d: %s", i, json);
        }
        vg_verdict_clear(&v);
        if (i == 19) {
            rss0 = rss_kib();   /* after warm-up */
        }
    }
    g_test_message("200 verifications in %.1f s, %u verified; RSS %ld -> "
                   "%ld KiB", (g_get_monotonic_time() - t0) / 1e6, verified,
                   rss0, rss_kib());
    g_assert_cmpuint(verified, ==, 200);
    g_assert_cmpuint(count_tmp_vms(), ==, tmp0);
    g_assert_cmpuint(count_children(), ==, 0);
    g_assert_cmpint(rss_kib() - rss0, <, 4096);
}

/* A snapshot of another image (or of unknown image) is refused. */
static void test_stale_snapshot(void)
{
    g_autoptr(Sca) sca = genuine_copy();
    g_autofree char *side = g_strdup_printf("%s.digest", profile->snapshot);
    g_autofree char *good = NULL;
    VgVerdict v;

    g_assert_true(g_file_get_contents(side, &good, NULL, NULL));
    g_assert_true(g_file_set_contents(side, "00000000000000000000000000000000"
                                      "00000000000000000000000000000000\n",
                                      -1, NULL));
    v = vg_verify(profile, vg_qemu_path(), sca, VERIFY_TIMEOUT_MS);
    g_test_message("%s", v.reason);
    g_assert_cmpint(v.kind, ==, VG_VERDICT_ERROR);
    g_assert_nonnull(strstr(v.reason, "another image"));
    vg_verdict_clear(&v);
    g_unlink(side);
    v = vg_verify(profile, vg_qemu_path(), sca, VERIFY_TIMEOUT_MS);
    g_assert_cmpint(v.kind, ==, VG_VERDICT_ERROR);
    g_assert_nonnull(strstr(v.reason, "no record of its image"));
    vg_verdict_clear(&v);
    g_assert_true(g_file_set_contents(side, good, -1, NULL));
    g_assert_cmpint(verify(sca), ==, VG_VERDICT_VERIFIED);
}

/*
 * A verifier with a spare VM (as the agent keeps): each SCA finds a VM
 * restored; forged ones still fail; nothing is left once it is freed.
 */
static void test_warm_verifier(void)
{
    g_autoptr(Sca) sca = genuine_copy();
    g_autoptr(Sca) forged = genuine_copy();
    g_autoptr(GError) err = NULL;
    unsigned tmp0 = count_tmp_vms();
    VgVerifier *vf = vg_verifier_new(profile, vg_qemu_path());
    double worst = 0;

    forged->hint_offset -= 2;
    for (int i = 0; i < 20; i++) {
        VgVerdict v;

        g_assert_true(vg_verifier_wait_ready(vf, &err));
        g_assert_no_error(err);
        v = vg_verifier_verify(vf, i % 5 == 4 ? forged : sca,
                               VERIFY_TIMEOUT_MS);
        g_assert_cmpint(v.kind, ==, i % 5 == 4 ? VG_VERDICT_NOT_VERIFIED
                                               : VG_VERDICT_VERIFIED);
        if (v.kind == VG_VERDICT_VERIFIED) {
            worst = MAX(worst, v.total_ms);
        }
        vg_verdict_clear(&v);
    }
    g_test_message("warm verifier: slowest verified SCA %.1f ms from SCA "
                   "in hand to verdict", worst);
    vg_verifier_free(vf);
    g_assert_cmpuint(count_tmp_vms(), ==, tmp0);
    g_assert_cmpuint(count_children(), ==, 0);
}

/*
 * A verifier that settles (as filter generation's does): a replay that
 * does not verify is judged when the guest has answered it, not at the
 * timeout, and genuine SCAs still verify, with two spares restoring.
 * (A guest that does not answer, e.g. one sent astray by a wrong hint,
 * is judged at the timeout as before.)
 */
static void test_settle(void)
{
    g_autoptr(Sca) sca = genuine_copy();
    g_autoptr(Sca) forged = genuine_copy();
    g_autoptr(Sca) benign = genuine_copy();
    g_autoptr(GError) err = NULL;
    guint8 msg[FIG1_ATTACK_LEN];
    unsigned tmp0 = count_tmp_vms();
    VgVerifier *vf = vg_verifier_new(profile, vg_qemu_path());

    memset(msg, 'b', sizeof(msg) - 1);
    msg[sizeof(msg) - 1] = 0;
    replace_message(benign, msg, sizeof(msg));
    /* Cut inside the buffer: copied, and the copy returns normally. */
    memcpy(msg, g_bytes_get_data(sca_message(sca, 0)->payload, NULL), 60);
    replace_message(forged, msg, 60);
    forged->hint_offset = 56;
    vg_verifier_set_settle(vf, 150);
    vg_verifier_set_spares(vf, 2);
    for (int i = 0; i < 9; i++) {
        Sca *s = i % 3 == 0 ? sca : i % 3 == 1 ? forged : benign;
        VgVerdict v;

        g_assert_true(vg_verifier_wait_ready(vf, &err));
        g_assert_no_error(err);
        v = vg_verifier_verify(vf, s, VERIFY_TIMEOUT_MS);
        if (s == sca) {
            g_assert_cmpint(v.kind, ==, VG_VERDICT_VERIFIED);
        } else {
            g_test_message("settled: %s (%.0f ms)", v.reason, v.total_ms);
            g_assert_cmpint(v.kind, ==, VG_VERDICT_NOT_VERIFIED);
            g_assert_nonnull(strstr(v.reason, "(it answered the messages)"));
        }
        vg_verdict_clear(&v);
    }
    vg_verifier_free(vf);
    g_assert_cmpuint(count_tmp_vms(), ==, tmp0);
    g_assert_cmpuint(count_children(), ==, 0);
}

/*
 * A CPU limit (filter generation sets one from the SCA's own replays):
 * the tiny guest polls its NIC and never sleeps, so a benign message is
 * judged once the emulator has been on a CPU for the limit, long before
 * the timeout, and the reason says so; the genuine SCA still verifies
 * on the same rewound VM.
 */
static void test_cpu_limit(void)
{
    g_autoptr(Sca) sca = genuine_copy();
    g_autoptr(Sca) benign = genuine_copy();
    g_autoptr(GError) err = NULL;
    guint8 msg[FIG1_ATTACK_LEN];
    VgVerifier *vf = vg_verifier_new(profile, vg_qemu_path());

    memset(msg, 'b', sizeof(msg) - 1);
    msg[sizeof(msg) - 1] = 0;
    replace_message(benign, msg, sizeof(msg));
    vg_verifier_set_rewind(vf, true);
    vg_verifier_set_cpu_limit(vf, 200);
    g_assert_true(vg_verifier_wait_ready(vf, &err));
    g_assert_no_error(err);
    for (int i = 0; i < 3; i++) {
        VgVerdict v = vg_verifier_verify(vf, benign, VERIFY_TIMEOUT_MS);

        g_test_message("benign: %s (%.0f ms, %.0f ms of CPU)", v.reason,
                       v.total_ms, v.cpu_ms);
        g_assert_cmpint(v.kind, ==, VG_VERDICT_NOT_VERIFIED);
        g_assert_nonnull(strstr(v.reason, "ms of CPU after the messages)"));
        g_assert_cmpfloat(v.cpu_ms, >=, 200);
        g_assert_cmpfloat(v.total_ms, <, VERIFY_TIMEOUT_MS);
        vg_verdict_clear(&v);
        v = vg_verifier_verify(vf, sca, VERIFY_TIMEOUT_MS);
        g_assert_cmpint(v.kind, ==, VG_VERDICT_VERIFIED);
        vg_verdict_clear(&v);
    }
    vg_verifier_free(vf);
    g_assert_cmpuint(count_children(), ==, 0);
}

/*
 * An emulator that dies during the replay (here SIGSEGV from outside,
 * as an emulator fault would) is an error verdict that says so, at once,
 * not a "not verified" after the whole timeout.
 */
static void test_emulator_dies(void)
{
    g_autoptr(Sca) sca = genuine_copy();
    g_autofree char *wrapper = g_build_filename(work, "dying-qemu", NULL);
    g_autofree char *script = g_strdup_printf(
        "#!/bin/sh\n"
        "( sleep 3; kill -SEGV $$ ) </dev/null >/dev/null 2>&1 &\n"
        "exec '%s' \"$@\"\n", vg_qemu_path());
    gint64 t0;
    VgVerdict v;

    g_assert_true(g_file_set_contents(wrapper, script, -1, NULL));
    g_assert_cmpint(g_chmod(wrapper, 0755), ==, 0);
    sca->hint_offset -= 8;          /* never verifies: the replay goes on */
    t0 = g_get_monotonic_time();
    v = vg_verify(profile, wrapper, sca, 30000);
    g_test_message("%s after %.1f s", v.reason,
                   (g_get_monotonic_time() - t0) / 1e6);
    g_assert_cmpint(v.kind, ==, VG_VERDICT_ERROR);
    g_assert_nonnull(strstr(v.reason, "stopped during the replay"));
    g_assert_nonnull(strstr(v.reason, "signal 11"));
    g_assert_cmpint(g_get_monotonic_time() - t0, <, 15 * G_USEC_PER_SEC);
    vg_verdict_clear(&v);
}

/* QMP @cmd on @g's monitor; its reply (asserted not an error). */
static char *qmp_ok(VgGuest *g, const char *cmd)
{
    char *r = vg_qmp_command(g->qmp, cmd, 10000);

    g_assert_nonnull(r);
    if (strstr(r, "\"error\"")) {
        g_error("%s: %s", cmd, r);
    }
    return r;
}

/* What the human monitor prints for @line. */
static char *hmp(VgGuest *g, const char *line)
{
    g_autofree char *cmd = g_strdup_printf(
        "{\"execute\": \"human-monitor-command\", \"arguments\": "
        "{\"command-line\": \"%s\"}}", line);
    g_autofree char *r = qmp_ok(g, cmd);
    char *text = vg_qmp_get_string(r, "return");

    g_assert_nonnull(text);
    return text;
}

/* The guest's RAM (32 MiB) as the monitor reads it. */
static GBytes *guest_ram(VgGuest *g, const char *name)
{
    g_autofree char *path = g_build_filename(work, name, NULL);
    g_autofree char *cmd = g_strdup_printf(
        "{\"execute\": \"pmemsave\", \"arguments\": {\"val\": 0, "
        "\"size\": %u, \"filename\": \"%s\"}}", 32u << 20, path);
    g_autofree char *r = qmp_ok(g, cmd);
    g_autofree char *data = NULL;
    gsize n;

    g_assert_true(g_file_get_contents(path, &data, &n, NULL));
    g_unlink(path);
    return g_bytes_new(data, n);
}

static guint64 tb_flushes(VgGuest *g)
{
    g_autofree char *r = hmp(g, "info jit");
    const char *at = strstr(r, "TB flush count");

    g_assert_nonnull(at);
    return g_ascii_strtoull(at + strlen("TB flush count"), NULL, 10);
}

/*
 * vigilante-checkpoint and vigilante-rewind on a running tiny guest:
 * after the guest has answered datagrams (its RAM and registers
 * changed), a rewind gives back RAM equal byte for byte and the same
 * registers, keeps translated code (no TB flush), and the guest answers
 * again; a second rewind after more traffic does the same.  Refused: a
 * checkpoint or a rewind of a running VM, a rewind without checkpoint.
 */
static void test_rewind_qmp(void)
{
    guint16 port = vg_free_port(TRUE);
    g_autofree char *netdev = g_strdup_printf(
        "user,id=n0,hostfwd=udp:127.0.0.1:%u-" TINY_IP_ADDR ":%u", port,
        TINY_UDP_ECHO_PORT);
    const char *args[] = {
        "-accel", "tcg,taint=off", "-m", "32", "-kernel", guest_path,
        "-netdev", netdev, "-device", "e1000,netdev=n0,romfile=", NULL,
    };
    VgGuest *g = vg_guest_start(args, TINY_MARK_READY, BOOT_TIMEOUT_MS);
    g_autoptr(GBytes) ram0 = NULL;
    g_autofree char *regs0 = NULL;
    char *r;
    char reply[64];
    guint64 flushes;

    g_assert_cmpint(vg_udp_exchange_retry(port, "hello", 5, reply,
                                          sizeof(reply), 200, 5000), ==, 5);
    r = vg_qmp_command(g->qmp, "{\"execute\": \"vigilante-rewind\"}",
                       5000);
    g_assert_nonnull(strstr(r, "VM must be stopped") ?
                     strstr(r, "VM must be stopped") :
                     strstr(r, "no checkpoint"));
    g_free(r);
    r = vg_qmp_command(g->qmp, "{\"execute\": \"vigilante-checkpoint\"}",
                       5000);
    g_assert_nonnull(strstr(r, "the VM must be stopped"));
    g_free(r);
    g_free(qmp_ok(g, "{\"execute\": \"stop\"}"));
    r = vg_qmp_command(g->qmp, "{\"execute\": \"vigilante-rewind\"}",
                       5000);
    g_assert_nonnull(strstr(r, "no checkpoint"));
    g_free(r);
    r = qmp_ok(g, "{\"execute\": \"vigilante-checkpoint\"}");
    g_test_message("checkpoint: %s", r);
    g_free(r);
    ram0 = guest_ram(g, "ram0");
    regs0 = hmp(g, "info registers");
    flushes = tb_flushes(g);
    for (int round = 0; round < 2; round++) {
        g_autoptr(GBytes) ram = NULL;
        g_autofree char *regs = NULL;

        g_free(qmp_ok(g, "{\"execute\": \"cont\"}"));
        for (int i = 0; i < 20; i++) {
            char msg[32];
            int n = g_snprintf(msg, sizeof(msg), "round %d datagram %d",
                               round, i);

            g_assert_cmpint(vg_udp_exchange_retry(port, msg, n, reply,
                                                  sizeof(reply), 200, 5000),
                            ==, n);
            g_assert_cmpmem(reply, n, msg, n);
        }
        g_free(qmp_ok(g, "{\"execute\": \"stop\"}"));
        ram = guest_ram(g, "ram1");
        g_assert_false(g_bytes_equal(ram, ram0));
        g_clear_pointer(&ram, g_bytes_unref);
        r = qmp_ok(g, "{\"execute\": \"vigilante-rewind\"}");
        g_test_message("rewind %d: %s", round, r);
        g_assert_null(strstr(r, "\"pages\": 0,"));
        g_free(r);
        ram = guest_ram(g, "ram2");
        g_assert_true(g_bytes_equal(ram, ram0));
        regs = hmp(g, "info registers");
        g_assert_cmpstr(regs, ==, regs0);
        g_assert_cmpuint(tb_flushes(g), ==, flushes);
    }
    g_free(qmp_ok(g, "{\"execute\": \"cont\"}"));
    g_assert_cmpint(vg_udp_exchange_retry(port, "again", 5, reply,
                                          sizeof(reply), 200, 5000), ==, 5);
    vg_guest_stop(g);
}

/*
 * A rewinding verifier (filter generation's): batches of four replays
 * at once on four VMs rewound after each replay, genuine SCAs, forged
 * ones and benign messages mixed, every verdict right in every round
 * (a VM rewound after a trap fired verifies the next SCA, and one
 * rewound after a benign replay does not verify the next forged one);
 * no more emulators than four at any time, none left after.
 */
static void test_rewind_batches(void)
{
    g_autoptr(Sca) sca = genuine_copy();
    g_autoptr(Sca) forged = genuine_copy();
    g_autoptr(Sca) benign = genuine_copy();
    guint8 msg[FIG1_ATTACK_LEN];
    unsigned tmp0 = count_tmp_vms();
    VgVerifier *vf = vg_verifier_new(profile, vg_qemu_path());
    gint64 t0;

    memset(msg, 'b', sizeof(msg) - 1);
    msg[sizeof(msg) - 1] = 0;
    replace_message(benign, msg, sizeof(msg));
    forged->hint_offset -= 2;
    vg_verifier_set_settle(vf, 150);
    vg_verifier_set_rewind(vf, true);
    vg_verifier_set_spares(vf, 4);
    t0 = g_get_monotonic_time();
    for (int round = 0; round < 6; round++) {
        Sca *batch[4];
        VgVerdict v[4];

        for (int i = 0; i < 4; i++) {
            int k = (round + i) % 3;

            batch[i] = k == 0 ? sca : k == 1 ? forged : benign;
        }
        vg_verifier_verify_batch(vf, batch, 4, VERIFY_TIMEOUT_MS, v);
        for (int i = 0; i < 4; i++) {
            if (v[i].kind != (batch[i] == sca ? VG_VERDICT_VERIFIED
                                              : VG_VERDICT_NOT_VERIFIED)) {
                g_error("round %d replay %d: %s", round, i,
                        v[i].reason ? v[i].reason : "verified");
            }
            vg_verdict_clear(&v[i]);
        }
        g_assert_cmpuint(count_children(), <=, 4);
    }
    g_test_message("24 replays in 6 batches of 4 on rewound VMs: %.2f s",
                   (g_get_monotonic_time() - t0) / 1e6);
    vg_verifier_free(vf);
    g_assert_cmpuint(count_tmp_vms(), ==, tmp0);
    g_assert_cmpuint(count_children(), ==, 0);
}

int main(int argc, char **argv)
{
    int ret;

    g_test_init(&argc, &argv, NULL);
    guest_path = vg_tiny_guest_arg(argc, argv);
    /*
     * A private temporary directory for everything, the verifier's VM
     * directories included: the leak checks count those, and must not
     * see other tests' or benchmarks' (set before glib caches it).
     */
    {
        const char *base = g_getenv("TMPDIR");
        char *tmpl = g_build_filename(base && base[0] ? base : "/tmp",
                                      "vg-verify-test-XXXXXX", NULL);

        work = g_mkdtemp(tmpl);
        g_assert_nonnull(work);
        g_setenv("TMPDIR", work, TRUE);
        g_assert_cmpstr(g_get_tmp_dir(), ==, work);
    }
    g_assert_nonnull(work);
    make_profile();
    make_genuine();
    g_test_add_func("/verify/genuine", test_genuine);
    g_test_add_func("/verify/forged", test_forged);
    g_test_add_func("/verify/ace", test_ace);
    g_test_add_func("/verify/ace-shapes", test_ace_shapes);
    g_test_add_func("/verify/minimise", test_minimise);
    g_test_add_func("/verify/200-in-a-row", test_200_in_a_row);
    g_test_add_func("/verify/stale-snapshot", test_stale_snapshot);
    g_test_add_func("/verify/warm-verifier", test_warm_verifier);
    g_test_add_func("/verify/settle", test_settle);
    g_test_add_func("/verify/cpu-limit", test_cpu_limit);
    g_test_add_func("/verify/emulator-dies", test_emulator_dies);
    g_test_add_func("/verify/rewind-qmp", test_rewind_qmp);
    g_test_add_func("/verify/rewind-batches", test_rewind_batches);
    ret = g_test_run();
    vg_dir_remove(work);
    return ret;
}
