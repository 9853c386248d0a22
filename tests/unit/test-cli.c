/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The vigilante CLI's top level: --version, --help and errors; the
 * filter subcommand's compile, show, check and eval on files.
 * argv[1] after the GTest options is the path of the CLI binary.
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

static const char *cli;

static int run_cli_argv(const char *const *args, char **out, char **err)
{
    const char *argv[8] = { cli };
    int status;

    for (int i = 0; args[i] && i < 6; i++) {
        argv[i + 1] = args[i];
    }
    g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT,
                               NULL, NULL, out, err, &status, NULL));
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int run_cli(const char *arg, char **out, char **err)
{
    const char *argv[] = { cli, arg, NULL };
    int status;

    g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT,
                               NULL, NULL, out, err, &status, NULL));
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void test_version(void)
{
    g_autofree char *out = NULL, *err = NULL;

    g_assert_cmpint(run_cli("--version", &out, &err), ==, 0);
    g_assert_true(g_str_has_prefix(out, "vigilante " VIGILANTE_VERSION " "));
    g_assert_nonnull(strstr(out, "QEMU 7.2"));
}

static void test_help(void)
{
    g_autofree char *out = NULL, *err = NULL;

    g_assert_cmpint(run_cli("--help", &out, &err), ==, 0);
    g_assert_nonnull(strstr(out, "Usage: vigilante"));
}

static void test_unknown_command(void)
{
    g_autofree char *out = NULL, *err = NULL;

    g_assert_cmpint(run_cli("no-such-command", &out, &err), ==, 2);
    g_assert_nonnull(strstr(err, "unknown command 'no-such-command'"));
}

static void test_no_command(void)
{
    g_autofree char *out = NULL, *err = NULL;

    g_assert_cmpint(run_cli(NULL, &out, &err), ==, 2);
    g_assert_nonnull(strstr(err, "Usage:"));
}

static void test_qmp_usage(void)
{
    const char *none[] = { "qmp", NULL };
    const char *notobj[] = { "qmp", "/tmp/x.sock", "quit", "[1]", NULL };
    g_autofree char *o1 = NULL, *e1 = NULL, *o2 = NULL, *e2 = NULL;

    g_assert_cmpint(run_cli_argv(none, &o1, &e1), ==, 2);
    g_assert_nonnull(strstr(e1, "Usage: vigilante qmp"));
    g_assert_cmpint(run_cli_argv(notobj, &o2, &e2), ==, 2);
    g_assert_nonnull(strstr(e2, "must be a JSON object"));
}

static void test_qmp_no_socket(void)
{
    const char *args[] = { "qmp", "/nonexistent/vm.sock", "query-taint",
                           NULL };
    g_autofree char *out = NULL, *err = NULL;

    g_assert_cmpint(run_cli_argv(args, &out, &err), ==, 3);
    g_assert_nonnull(strstr(err, "/nonexistent/vm.sock: no such socket"));
}

/* compile -> check -> show -> eval, and each on bad input. */
static void test_filter(void)
{
    g_autofree char *dir = g_dir_make_tmp("vg-cli-filter-XXXXXX", NULL);
    g_autofree char *src = g_build_filename(dir, "fig1.txt", NULL);
    g_autofree char *vf = g_build_filename(dir, "fig1.vf", NULL);
    g_autofree char *bad = g_build_filename(dir, "bad.txt", NULL);
    g_autofree char *hit = g_build_filename(dir, "hit.bin", NULL);
    g_autofree char *miss = g_build_filename(dir, "miss.bin", NULL);
    g_autofree char *corrupt = g_build_filename(dir, "corrupt.vf", NULL);
    g_autofree char *data = NULL, *reprint = NULL;
    char attack[72];
    gsize len;

    memset(attack, 'A', sizeof(attack));
    attack[0] = '1';
    g_assert_true(g_file_set_contents(src, "program tiny-fig1\n"
                                      "scope udp 4444\n"
                                      "require u8[0] == '1' && len > 68\n",
                                      -1, NULL));
    g_assert_true(g_file_set_contents(bad, "program t\nscope udp 1\n"
                                      "require u8[65536] == 0\n", -1, NULL));
    g_assert_true(g_file_set_contents(hit, attack, sizeof(attack), NULL));
    g_assert_true(g_file_set_contents(miss, attack, 20, NULL));

    {
        const char *a[] = { "filter", "compile", src, NULL };
        g_autofree char *out = NULL, *err = NULL;

        g_assert_cmpint(run_cli_argv(a, &out, &err), ==, 0);
        g_assert_nonnull(strstr(out, "fig1.vf: "));
        g_assert_nonnull(strstr(out, "2 conditions, reads 1 bytes, sha256 "));
    }
    {
        const char *a[] = { "filter", "check", vf, NULL };
        g_autofree char *out = NULL, *err = NULL;

        g_assert_cmpint(run_cli_argv(a, &out, &err), ==, 0);
        g_assert_nonnull(strstr(out, "a well-formed filter for tiny-fig1 "
                                     "udp/4444"));
    }
    {
        const char *a[] = { "filter", "show", vf, NULL };
        g_autofree char *out = NULL, *err = NULL;

        g_assert_cmpint(run_cli_argv(a, &out, &err), ==, 0);
        g_assert_nonnull(strstr(out, "require (u8[0] == 0x31)\n"));
        g_assert_nonnull(strstr(out, "require (len > 0x44)\n"));
        reprint = g_build_filename(dir, "again.txt", NULL);
        g_assert_true(g_file_set_contents(reprint, out, -1, NULL));
    }
    {
        /* What show prints compiles again (its header lines are comments). */
        const char *a[] = { "filter", "compile", "-o", corrupt, reprint,
                            NULL };
        g_autofree char *out = NULL, *err = NULL;

        g_assert_cmpint(run_cli_argv(a, &out, &err), ==, 0);
    }
    {
        const char *a[] = { "filter", "show", "--json", vf, NULL };
        g_autofree char *out = NULL, *err = NULL;

        g_assert_cmpint(run_cli_argv(a, &out, &err), ==, 0);
        g_assert_nonnull(strstr(out, "\"scope\":{\"transport\":\"udp\","
                                     "\"port\":4444}"));
    }
    {
        const char *a[] = { "filter", "eval", vf, hit, NULL };
        const char *m[] = { "filter", "eval", vf, miss, NULL };
        const char *p[] = { "filter", "eval", vf, miss, "--prefix", NULL };
        g_autofree char *o1 = NULL, *e1 = NULL, *o2 = NULL, *e2 = NULL;
        g_autofree char *o3 = NULL, *e3 = NULL;

        g_assert_cmpint(run_cli_argv(a, &o1, &e1), ==, 0);
        g_assert_cmpstr(o1, ==, "match\n");
        g_assert_cmpint(run_cli_argv(m, &o2, &e2), ==, 1);
        g_assert_cmpstr(o2, ==, "no-match\n");
        g_assert_cmpint(run_cli_argv(p, &o3, &e3), ==, 1);
        g_assert_cmpstr(o3, ==, "undecided\n");
    }
    {
        const char *a[] = { "filter", "compile", bad, NULL };
        g_autofree char *out = NULL, *err = NULL;

        g_assert_cmpint(run_cli_argv(a, &out, &err), ==, 1);
        g_assert_nonnull(strstr(err, "line 3, column 12: offset 65536"));
    }
    /* A flipped byte: refused with the reason, status 1. */
    g_assert_true(g_file_get_contents(vf, &data, &len, NULL));
    data[len - 1] ^= 1;
    g_assert_true(g_file_set_contents(corrupt, data, len, NULL));
    {
        const char *a[] = { "filter", "check", corrupt, NULL };
        const char *n[] = { "filter", "show", "/nonexistent/f.vf", NULL };
        const char *u[] = { "filter", "show", NULL };
        const char *s[] = { "filter", "compile", "-", NULL };
        g_autofree char *o1 = NULL, *e1 = NULL, *o2 = NULL, *e2 = NULL;
        g_autofree char *o3 = NULL, *e3 = NULL, *o4 = NULL, *e4 = NULL;

        g_assert_cmpint(run_cli_argv(a, &o1, &e1), ==, 1);
        g_assert_nonnull(strstr(e1, "checksum mismatch"));
        g_assert_cmpint(run_cli_argv(n, &o2, &e2), ==, 3);
        g_assert_cmpint(run_cli_argv(u, &o3, &e3), ==, 2);
        g_assert_nonnull(strstr(e3, "usage: vigilante filter"));
        g_assert_cmpint(run_cli_argv(s, &o4, &e4), ==, 2);
        g_assert_nonnull(strstr(e4, "needs -o"));
    }
    for (const char *const *f = (const char *const[]) {
             src, vf, bad, hit, miss, corrupt, reprint, NULL }; *f; f++) {
        g_unlink(*f);
    }
    g_rmdir(dir);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_assert_cmpint(argc, ==, 2);
    cli = argv[1];
    g_test_add_func("/cli/filter", test_filter);
    g_test_add_func("/cli/version", test_version);
    g_test_add_func("/cli/help", test_help);
    g_test_add_func("/cli/unknown-command", test_unknown_command);
    g_test_add_func("/cli/no-command", test_no_command);
    g_test_add_func("/cli/qmp-usage", test_qmp_usage);
    g_test_add_func("/cli/qmp-no-socket", test_qmp_no_socket);
    return g_test_run();
}
