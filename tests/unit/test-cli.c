/*
 * The vigilante CLI's top level: --version, --help and errors.
 * argv[1] after the GTest options is the path of the CLI binary.
 */
#include <glib.h>
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

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_assert_cmpint(argc, ==, 2);
    cli = argv[1];
    g_test_add_func("/cli/version", test_version);
    g_test_add_func("/cli/help", test_help);
    g_test_add_func("/cli/unknown-command", test_unknown_command);
    g_test_add_func("/cli/no-command", test_no_command);
    g_test_add_func("/cli/qmp-usage", test_qmp_usage);
    g_test_add_func("/cli/qmp-no-socket", test_qmp_no_socket);
    return g_test_run();
}
