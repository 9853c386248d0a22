/*
 * The vigilante CLI's top level: --version, --help and errors.
 * argv[1] after the GTest options is the path of the CLI binary.
 */
#include <glib.h>
#include <string.h>

static const char *cli;

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

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_assert_cmpint(argc, ==, 2);
    cli = argv[1];
    g_test_add_func("/cli/version", test_version);
    g_test_add_func("/cli/help", test_help);
    g_test_add_func("/cli/unknown-command", test_unknown_command);
    g_test_add_func("/cli/no-command", test_no_command);
    return g_test_run();
}
