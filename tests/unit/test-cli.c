/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The vigilante CLI's top level: --version, --help and errors; the
 * filter subcommand's compile, show, check and eval on files; the usage
 * errors of qmp, replay, libvirt and agent.
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

/* vigilante agent: usage, bad SCA files and a missing agent. */
static void test_agent_usage(void)
{
    static const struct {
        const char *args[5];
        int status;
        const char *err;
    } cases[] = {
        { { "agent", NULL }, 2, "Usage: vigilante agent" },
        { { "agent", "/tmp/x.sock", NULL }, 2, "Usage: vigilante agent" },
        { { "agent", "/tmp/x.sock", "reboot", NULL }, 2,
          "unknown command 'reboot'" },
        { { "agent", "/tmp/x.sock", "status", "extra", NULL }, 2,
          "Usage: vigilante agent" },
        { { "agent", "/tmp/x.sock", "submit", NULL }, 2,
          "Usage: vigilante agent" },
        { { "agent", "/tmp/x.sock", "submit", "/nonexistent.sca", NULL }, 3,
          "/nonexistent.sca" },
        { { "agent", "/nonexistent/agent.sock", "vms", NULL }, 3,
          "/nonexistent/agent.sock" },
    };
    g_autofree char *bad = g_build_filename(g_get_tmp_dir(),
                                            "vg-cli-bad.sca", NULL);

    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *out = NULL, *err = NULL;

        g_assert_cmpint(run_cli_argv(cases[i].args, &out, &err), ==,
                        cases[i].status);
        g_assert_nonnull(strstr(err, cases[i].err));
    }
    /* Not an SCA: refused before the agent is asked. */
    g_assert_true(g_file_set_contents(bad, "not an SCA", -1, NULL));
    {
        const char *args[] = { "agent", "/nonexistent/agent.sock", "submit",
                               bad, NULL };
        g_autofree char *out = NULL, *err = NULL;

        g_assert_cmpint(run_cli_argv(args, &out, &err), ==, 3);
        g_assert_nonnull(strstr(err, bad));
        g_assert_null(strstr(err, "agent.sock"));
    }
    g_unlink(bad);
}

/* vigilante replay: usage refused before anything is read. */
static void test_replay_usage(void)
{
    static const char *const cases[][7] = {
        { "replay", NULL },
        { "replay", "p.profile", NULL },
        { "replay", "p.profile", "c.pcap", "extra", NULL },
        { "replay", "p.profile", "c.pcap", "--jobs", "0", NULL },
        { "replay", "p.profile", "c.pcap", "--jobs", "9", NULL },
        { "replay", "p.profile", "c.pcap", "--map", "5001", NULL },
        { "replay", "p.profile", "c.pcap", "--map", "70000=5001", NULL },
        { "replay", "p.profile", "c.pcap", "--timeout", "0", NULL },
        { "replay", "p.profile", "c.pcap", "--filters", NULL },
        { "replay", "p.profile", "c.pcap", "--session", "--jobs", "2",
          NULL },
        { "replay", "p.profile", "c.pcap", "--no-such-option", NULL },
    };
    const char *help[] = { "replay", "--help", NULL };
    const char *missing[] = { "replay", "/nonexistent.profile", "c.pcap",
                              NULL };
    g_autofree char *out = NULL, *err = NULL;
    g_autofree char *o2 = NULL, *e2 = NULL;

    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *o = NULL, *e = NULL;

        g_assert_cmpint(run_cli_argv(cases[i], &o, &e), ==, 2);
        g_assert_nonnull(strstr(e, "vigilante replay"));
    }
    g_assert_cmpint(run_cli_argv(help, &out, &err), ==, 0);
    g_assert_nonnull(strstr(out, "--map PORT=PPORT"));
    g_assert_cmpint(run_cli_argv(missing, &o2, &e2), ==, 3);
    g_assert_nonnull(strstr(e2, "/nonexistent.profile"));
}

/* vigilante libvirt: usage and inputs refused before any connection. */
static void test_libvirt_usage(void)
{
    static const char *const cases[][5] = {
        { "libvirt", NULL },
        { "libvirt", "protect", NULL },
        { "libvirt", "list", "extra", NULL },
        { "libvirt", "list", "--watch", NULL },
        { "libvirt", "reboot", NULL },
        { "libvirt", "--no-such-option", "list", NULL },
    };
    g_autofree char *out = NULL, *err = NULL;
    const char *help[] = { "libvirt", "--help", NULL };

    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *o = NULL, *e = NULL;

        g_assert_cmpint(run_cli_argv(cases[i], &o, &e), ==, 2);
        g_assert_nonnull(strstr(e, "vigilante libvirt"));
    }
    g_assert_cmpint(run_cli_argv(help, &out, &err), ==, 0);
    g_assert_nonnull(strstr(out, "urn:vigilante-qemu:domain:1"));
}

/* A filter that cannot be read or decoded: status 3, nothing touched. */
static void test_libvirt_bad_filter(void)
{
    g_autofree char *dir = g_dir_make_tmp("vg-cli-XXXXXX", NULL);
    g_autofree char *bad = g_build_filename(dir, "bad.vf", NULL);
    g_autofree char *missing = g_build_filename(dir, "missing.vf", NULL);
    const char *a1[] = { "libvirt", "protect", "--connect", "test:///default",
                         bad, NULL };
    const char *a2[] = { "libvirt", "protect", "--connect", "test:///default",
                         missing, NULL };
    g_autofree char *o1 = NULL, *e1 = NULL, *o2 = NULL, *e2 = NULL;

    g_assert_true(g_file_set_contents(bad, "VGFL garbage", -1, NULL));
    g_assert_cmpint(run_cli_argv(a1, &o1, &e1), ==, 3);
    g_assert_nonnull(strstr(e1, "bad.vf"));
    g_assert_cmpint(run_cli_argv(a2, &o2, &e2), ==, 3);
    g_assert_nonnull(strstr(e2, "missing.vf"));
    g_unlink(bad);
    g_rmdir(dir);
}

/*
 * libvirt's built-in test driver (test:///default: one running domain,
 * "test", no metadata, no QEMU): list works, protect leaves it alone.
 */
static void test_libvirt_test_driver(void)
{
    g_autofree char *dir = g_dir_make_tmp("vg-cli-XXXXXX", NULL);
    g_autofree char *txt = g_build_filename(dir, "f.txt", NULL);
    g_autofree char *vf = g_build_filename(dir, "f.vf", NULL);
    const char *compile[] = { "filter", "compile", "-o", vf, txt, NULL };
    const char *list[] = { "libvirt", "list", "--connect", "test:///default",
                           NULL };
    const char *protect[] = { "libvirt", "protect", "--connect",
                              "test:///default", vf, NULL };
    g_autofree char *o0 = NULL, *e0 = NULL, *o1 = NULL, *e1 = NULL;
    g_autofree char *o2 = NULL, *e2 = NULL;

    g_assert_true(g_file_set_contents(txt, "program nginx\nscope tcp 80\n"
                                      "require u8[0] == 71\n", -1, NULL));
    g_assert_cmpint(run_cli_argv(compile, &o0, &e0), ==, 0);
    g_assert_cmpint(run_cli_argv(list, &o1, &e1), ==, 0);
    g_assert_cmpstr(o1, ==, "test running -\n");
    g_assert_cmpint(run_cli_argv(protect, &o2, &e2), ==, 0);
    g_assert_cmpstr(o2, ==, "test: no vigilante metadata: left alone\n");
    g_unlink(txt);
    g_unlink(vf);
    g_rmdir(dir);
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
    g_test_add_func("/cli/replay-usage", test_replay_usage);
    g_test_add_func("/cli/agent-usage", test_agent_usage);
    g_test_add_func("/cli/libvirt-usage", test_libvirt_usage);
    g_test_add_func("/cli/libvirt-bad-filter", test_libvirt_bad_filter);
    g_test_add_func("/cli/libvirt-test-driver", test_libvirt_test_driver);
    g_test_add_func("/cli/version", test_version);
    g_test_add_func("/cli/help", test_help);
    g_test_add_func("/cli/unknown-command", test_unknown_command);
    g_test_add_func("/cli/no-command", test_no_command);
    g_test_add_func("/cli/qmp-usage", test_qmp_usage);
    g_test_add_func("/cli/qmp-no-socket", test_qmp_no_socket);
    return g_test_run();
}
