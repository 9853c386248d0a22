/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vigilante honeypot on the tiny guest's profile (profiles/tiny-fig1.profile):
 * it boots the guest with taint on and prints where the profile's ports
 * are forwarded; a benign request is answered; the Figure-1 attack gives
 * one line per alert (the AEC at the ret, then, as the honeypot keeps
 * serving, the ACE of the shellcode) and SCAs naming the program and the
 * SHA-256 of its image.  Bad profiles are refused with a reason.
 *
 * Arguments besides GTest's: --cli=PROGRAM (the vigilante CLI).
 */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>

#include "guest.h"
#include "host-util.h"
#include "layout.h"
#include "fig1-payload.h"
#include "filter.h"
#include "sca.h"

#define LINE_TIMEOUT_S 60

static const char *cli_path;

/*
 * The tiny guest's profile, with its snapshot in `dir` (made here): the
 * honeypot minimises each SCA against it.
 */
static char *profile_with_snapshot(const char *dir)
{
    g_autofree char *elf = vg_build_file("tests/guests/tiny/tiny-guest.elf");
    g_autofree char *text = g_strdup_printf(
        "[program]\nname=tiny-fig1\n[vm]\nkernel=%s\nmemory=32\nnic=e1000\n"
        "[service]\nports=udp:4444;udp:7;udp:4446\nready-marker=VG-READY\n"
        "[snapshot]\npath=%s/snapshot\n", elf, dir);
    char *path = g_build_filename(dir, "tiny.profile", NULL);
    g_autoptr(GError) err = NULL;
    g_autoptr(GSubprocess) proc = NULL;
    g_autofree char *out = NULL;

    g_assert_true(g_file_set_contents(path, text, -1, NULL));
    proc = g_subprocess_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE, &err, cli_path,
                            "snapshot", path, "--qemu", vg_qemu_path(), NULL);
    g_assert_no_error(err);
    g_assert_true(g_subprocess_communicate_utf8(proc, NULL, NULL, &out, NULL,
                                                &err));
    g_assert_no_error(err);
    g_test_message("%s", out);
    g_assert_cmpint(g_subprocess_get_exit_status(proc), ==, 0);
    return path;
}

static void test_attack(void)
{
    g_autofree char *dir = g_dir_make_tmp("vg-honeypot-test-XXXXXX", NULL);
    g_autofree char *profile = profile_with_snapshot(dir);
    g_autofree char *m1 = NULL, *min_data = NULL;
    g_autoptr(Sca) min = NULL;
    g_autoptr(GError) err = NULL;
    g_autoptr(GSubprocess) proc = NULL;
    g_autoptr(GDataInputStream) in = NULL;
    g_autofree char *ready = NULL, *a1 = NULL, *end = NULL, *f1 = NULL;
    g_autofree char *sca_path = NULL, *elf_data = NULL, *sca_data = NULL;
    g_autofree char *elf = vg_build_file("tests/guests/tiny/tiny-guest.elf");
    g_autoptr(Sca) sca = NULL;
    g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
    guint8 req[FIG1_ATTACK_LEN], digest[32];
    gsize len, dlen = sizeof(digest);
    char reply[64];
    const char *p;
    guint64 port;

    proc = g_subprocess_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE, &err, cli_path,
                            "honeypot", profile, "--alert-dir", dir,
                            "--max-alerts", "1", "--timeout", "120",
                            "--qemu", vg_qemu_path(), NULL);
    g_assert_no_error(err);
    in = g_data_input_stream_new(g_subprocess_get_stdout_pipe(proc));
    ready = vg_next_output_line(in, "honeypot");
    g_assert_nonnull(ready);
    g_assert_true(g_str_has_prefix(ready, "honeypot: tiny-fig1 ready"));
    p = strstr(ready, "udp 4444 -> 127.0.0.1:");
    g_assert_nonnull(p);
    port = g_ascii_strtoull(strchr(p, ':') + 1, NULL, 10);
    g_assert_cmpuint(port, >, 0);
    g_assert_cmpuint(port, <, 65536);

    /* Served like any guest; then attacked. */
    len = fig1_build_benign(req, sizeof(req), "hello honeypot");
    g_assert_cmpint(vg_udp_exchange_retry(port, req, len, reply,
                                          sizeof(reply), 200, 5000), >, 0);
    len = fig1_build_attack(req, fig1_default_target());
    g_assert_cmpint(vg_udp_exchange(port, req, len, NULL, 0, 0), ==, 0);
    /* One attack, one alert (the shellcode's blocks are folded in). */
    a1 = vg_next_output_line(in, "honeypot");
    m1 = vg_next_output_line(in, "honeypot");
    g_assert_nonnull(a1);
    g_assert_true(g_str_has_prefix(a1, "alert 1: aec at pc"));
    g_assert_nonnull(m1);
    g_assert_true(g_str_has_prefix(m1, "alert 1: verified and minimised: "));
    /* Its filter, beside it: the attack matches it, a benign line not. */
    f1 = vg_next_output_line(in, "honeypot");
    g_assert_nonnull(f1);
    g_assert_true(g_str_has_prefix(f1, "alert 1: filter "));
    {
        g_autofree char *fpath = g_strndup(f1 + strlen("alert 1: filter "),
                                           strcspn(f1 + strlen(
                                               "alert 1: filter "), ":"));
        g_autoptr(VfFilter) vf = vf_load(fpath, &err);
        guint8 b[64];
        gsize bn = fig1_build_benign(b, sizeof(b), "hello honeypot");

        g_assert_no_error(err);
        g_assert_true(g_str_has_suffix(fpath, "sca-1.filter"));
        g_assert_cmpint(vf_eval(vf, req, FIG1_ATTACK_LEN, true), ==,
                        VF_MATCH);
        g_assert_cmpint(vf_eval(vf, b, bn, true), ==, VF_NO_MATCH);
    }
    end = vg_next_output_line(in, "honeypot");
    g_assert_cmpstr(end, ==, "honeypot: stopped after 1 alert(s)");
    g_assert_true(g_subprocess_wait_check(proc, NULL, &err));
    g_assert_no_error(err);

    /* The SCA names the program and its image. */
    sca_path = g_strdup(strstr(a1, "SCA ") + 4);
    g_assert_true(g_file_get_contents(sca_path, &sca_data, &len, NULL));
    sca = sca_decode((const uint8_t *)sca_data, len, &err);
    g_assert_no_error(err);
    g_assert_cmpstr(sca->name, ==, "tiny-fig1");
    g_assert_true(g_file_get_contents(elf, &elf_data, &len, NULL));
    g_checksum_update(sum, (const guchar *)elf_data, len);
    g_checksum_get_digest(sum, digest, &dlen);
    g_assert_cmpmem(sca->digest, 32, digest, 32);
    g_assert_cmpuint(sca->hint_offset, ==, FIG1_RET_ADDR_OFFSET);

    /* Minimised: the same claim, the sled and shellcode filler. */
    p = strstr(m1, "minimised: ") + strlen("minimised: ");
    {
        g_autofree char *min_path = g_strndup(p, strcspn(p, ","));

        g_assert_true(g_str_has_suffix(min_path, "sca-1.min.bin"));
        g_assert_true(g_file_get_contents(min_path, &min_data, &len, NULL));
    }
    min = sca_decode((const uint8_t *)min_data, len, &err);
    g_assert_no_error(err);
    g_assert_cmpuint(min->hint_offset, ==, sca->hint_offset);
    g_assert_cmpuint(min->hint_length, ==, sca->hint_length);
    g_assert_cmpmem(g_bytes_get_data(sca_message(min, 0)->payload, NULL) +
                    min->hint_offset, min->hint_length,
                    g_bytes_get_data(sca_message(sca, 0)->payload, NULL) +
                    sca->hint_offset, sca->hint_length);
    g_assert_nonnull(strstr(m1, "byte(s) filled"));
    g_assert_null(strstr(m1, " 0 byte(s) filled"));

    /* SCAs keep coming until the emulator has quit: all of them go. */
    g_assert_true(vg_dir_remove(dir));
}

/* A profile that cannot be used: exit status 3 and the reason. */
static void check_refused(const char *text, const char *why)
{
    g_autofree char *dir = g_dir_make_tmp("vg-honeypot-bad-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "bad.profile", NULL);
    g_autofree char *out = NULL;
    g_autoptr(GError) err = NULL;
    g_autoptr(GSubprocess) proc = NULL;

    g_assert_true(g_file_set_contents(path, text, -1, NULL));
    proc = g_subprocess_new(G_SUBPROCESS_FLAGS_STDERR_PIPE, &err, cli_path,
                            "honeypot", path, "--alert-dir", dir, NULL);
    g_assert_no_error(err);
    g_assert_true(g_subprocess_communicate_utf8(proc, NULL, NULL, NULL, &out,
                                                &err));
    g_assert_cmpint(g_subprocess_get_exit_status(proc), ==, 3);
    g_test_message("refused: %s", out);
    g_assert_nonnull(strstr(out, why));
    g_unlink(path);
    g_rmdir(dir);
}

static void test_bad_profiles(void)
{
    check_refused("[program]\nname=x\n[vm]\nmemory=32\n"
                  "[service]\nports=udp:1\nready-marker=R\n",
                  "[vm] kernel is missing");
    check_refused("[program]\nname=x\n[vm]\nkernel=/nonexistent\nmemory=32\n"
                  "[service]\nports=udp:1\nready-marker=R\n",
                  "/nonexistent");
    check_refused("[program]\nname=x\n[vm]\nkernel=/bin/sh\nmemory=32\n"
                  "[service]\nports=icmp:1\nready-marker=R\n",
                  "is not udp:PORT or tcp:PORT");
    check_refused("[program]\nname=bad/name\n", "[program] name");
    check_refused("not a key file", "bad.profile");
}

/* --minimise without the profile's snapshot: bad usage, and why. */
static void test_minimise_needs_snapshot(void)
{
    g_autofree char *dir = g_dir_make_tmp("vg-honeypot-nosnap-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "t.profile", NULL);
    g_autofree char *out = NULL;
    g_autoptr(GError) err = NULL;
    g_autoptr(GSubprocess) proc = NULL;

    g_assert_true(g_file_set_contents(path,
        "[program]\nname=x\n[vm]\nkernel=/bin/sh\nmemory=32\n"
        "[service]\nports=udp:1\nready-marker=R\n"
        "[snapshot]\npath=/nonexistent/snap\n", -1, NULL));
    proc = g_subprocess_new(G_SUBPROCESS_FLAGS_STDERR_PIPE, &err, cli_path,
                            "honeypot", path, "--alert-dir", dir,
                            "--minimise", NULL);
    g_assert_no_error(err);
    g_assert_true(g_subprocess_communicate_utf8(proc, NULL, NULL, NULL, &out,
                                                &err));
    g_test_message("refused: %s", out);
    g_assert_cmpint(g_subprocess_get_exit_status(proc), ==, 2);
    g_assert_nonnull(strstr(out, "needs the ready snapshot"));
    g_assert_true(vg_dir_remove(dir));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    cli_path = vg_arg_value(argc, argv, "--cli=");
    g_assert_nonnull(cli_path);
    g_test_add_func("/honeypot/attack", test_attack);
    g_test_add_func("/honeypot/bad-profiles", test_bad_profiles);
    g_test_add_func("/honeypot/minimise-needs-snapshot",
                    test_minimise_needs_snapshot);
    return g_test_run();
}
