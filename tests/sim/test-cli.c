/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vigilante-sim: command line tests (runs the built binary).
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/wait.h>

typedef struct CliResult {
    int exit_code;
    char *out;
    char *err;
} CliResult;

static CliResult run_cli(const char *args)
{
    char *cmdline = g_strdup_printf("'%s' %s", SIM_BINARY, args);
    char **argv = NULL;
    CliResult r = { 0 };
    GError *err = NULL;
    int status;

    g_assert_true(g_shell_parse_argv(cmdline, NULL, &argv, &err));
    g_assert_true(g_spawn_sync(NULL, argv, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                               &r.out, &r.err, &status, &err));
    g_assert_no_error(err);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    g_strfreev(argv);
    g_free(cmdline);
    return r;
}

static void cli_result_clear(CliResult *r)
{
    g_free(r->out);
    g_free(r->err);
}

static void test_help(void)
{
    CliResult r = run_cli("--help");

    g_assert_cmpint(r.exit_code, ==, 0);
    g_assert_nonnull(strstr(r.out, "--detector-fraction"));
    g_assert_nonnull(strstr(r.out, "--fake-sca-rate"));
    g_assert_nonnull(strstr(r.out, "sweep"));
    cli_result_clear(&r);
}

static void expect_usage_error(const char *args, const char *message)
{
    CliResult r = run_cli(args);

    g_assert_cmpint(r.exit_code, ==, 2);
    g_assert_nonnull(strstr(r.err, message));
    cli_result_clear(&r);
}

static void test_bad_input(void)
{
    expect_usage_error("", "missing command");
    expect_usage_error("explode", "unknown command 'explode'");
    expect_usage_error("run --beta -1", "--beta must be > 0");
    expect_usage_error("run --beta abc", "beta");
    expect_usage_error("run --detector-fraction 1.5",
                       "--detector-fraction must be within [0, 1]");
    expect_usage_error("run --hosts 1000 --vulnerable 2000", "--vulnerable");
    expect_usage_error("run --pastry-b 3", "--pastry-b must be 1, 2, 4 or 8");
    expect_usage_error("run --leaf-set 31", "--leaf-set");
    expect_usage_error("sweep --fractions 0.1,abc", "'abc' is not a fraction");
    expect_usage_error("sweep --runs 0", "--runs must be >= 1");
    expect_usage_error("run --plot out.txt", ".svg or .png");
    expect_usage_error("run --hosts -5", "--hosts must be >= 0");
    expect_usage_error("run extra", "unexpected argument 'extra'");
}

static const char *small_sweep =
    "sweep -q --hosts 3000 --transit-domains 2 --stubs-per-transit 3 "
    "--fractions 0.001,0.01,0.1 --runs 4 --seed 3 --csv";

static char *sweep_to_csv(const char *dir, const char *name)
{
    char *path = g_build_filename(dir, name, NULL);
    char *args = g_strdup_printf("%s '%s'", small_sweep, path);
    CliResult r = run_cli(args);
    char *csv = NULL;

    g_assert_cmpint(r.exit_code, ==, 0);
    g_assert_true(g_file_get_contents(path, &csv, NULL, NULL));
    cli_result_clear(&r);
    g_free(args);
    g_free(path);
    return csv;
}

static void test_sweep_csv(void)
{
    char *dir = g_dir_make_tmp("vigilante-sim-test-XXXXXX", NULL);
    char *a = sweep_to_csv(dir, "a.csv");
    char *b = sweep_to_csv(dir, "b.csv");
    char **lines = g_strsplit(a, "\n", -1);

    /* Same seed, same output. */
    g_assert_cmpstr(a, ==, b);
    g_assert_true(g_str_has_prefix(lines[0], "detector_fraction,detectors,"));
    g_assert_true(g_str_has_prefix(lines[1], "0.001,3,4,"));
    g_assert_true(g_str_has_prefix(lines[3], "0.1,300,4,"));
    g_assert_cmpstr(lines[4], ==, "");
    g_strfreev(lines);
    g_free(a);
    g_free(b);
    g_rmdir(dir);
    g_free(dir);
}

static void test_run_csv_and_plot(void)
{
    char *dir = g_dir_make_tmp("vigilante-sim-test-XXXXXX", NULL);
    char *csv = g_build_filename(dir, "run.csv", NULL);
    char *svg = g_build_filename(dir, "run.svg", NULL);
    char *gnuplot = g_find_program_in_path("gnuplot");
    gboolean have_gnuplot = gnuplot != NULL;
    char *args = g_strdup_printf("run -q --hosts 3000 --detector-fraction "
                                 "0.01 --csv '%s' %s%s%s", csv,
                                 have_gnuplot ? "--plot '" : "",
                                 have_gnuplot ? svg : "",
                                 have_gnuplot ? "'" : "");
    CliResult r = run_cli(args);
    char *text = NULL;

    g_assert_cmpint(r.exit_code, ==, 0);
    g_assert_nonnull(strstr(r.out, "infected "));
    g_assert_true(g_file_get_contents(csv, &text, NULL, NULL));
    g_assert_true(g_str_has_prefix(text, "time,infected,infected_fraction,"));
    g_assert_nonnull(strstr(text, "\n0.000,10,"));
    g_free(text);
    if (have_gnuplot) {
        g_assert_true(g_file_get_contents(svg, &text, NULL, NULL));
        g_assert_nonnull(strstr(text, "<svg"));
        g_free(text);
        g_unlink(svg);
    } else {
        g_test_message("gnuplot not found: plot not checked");
    }
    g_unlink(csv);
    g_rmdir(dir);
    cli_result_clear(&r);
    g_free(args);
    g_free(csv);
    g_free(svg);
    g_free(dir);
    g_free(gnuplot);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/sim/cli/help", test_help);
    g_test_add_func("/sim/cli/bad-input", test_bad_input);
    g_test_add_func("/sim/cli/sweep-csv", test_sweep_csv);
    g_test_add_func("/sim/cli/run-csv-plot", test_run_csv_and_plot);
    return g_test_run();
}
