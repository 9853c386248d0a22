/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vigilante-sim: CSV files and gnuplot figures.
 *
 * gnuplot reads the data from a temporary CSV file and a generated
 * script; both are removed afterwards.
 */
#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "output.h"

void output_sweep_csv(FILE *f, const SweepPoint *points, uint32_t n)
{
    fprintf(f, "detector_fraction,detectors,runs,worst_infected,"
            "median_infected,mean_infected,best_infected,worst_survivors,"
            "median_survivors,worst_run\n");
    for (uint32_t i = 0; i < n; i++) {
        const SweepPoint *p = &points[i];

        fprintf(f, "%g,%u,%u,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f,%u\n",
                p->detector_fraction, p->detectors, p->runs, p->worst,
                p->median, p->mean, p->best, 1.0 - p->worst,
                1.0 - p->median, p->worst_run);
    }
}

void output_timeseries_csv(FILE *f, const GArray *samples,
                           uint32_t vulnerable, uint32_t hosts)
{
    fprintf(f, "time,infected,infected_fraction,protected,"
            "protected_fraction,detections\n");
    for (guint i = 0; i < samples->len; i++) {
        const OutbreakSample *s = &g_array_index(samples, OutbreakSample, i);

        fprintf(f, "%.3f,%u,%.6f,%u,%.6f,%u\n", s->time, s->infected,
                (double)s->infected / vulnerable, s->protected_hosts,
                (double)s->protected_hosts / hosts, s->detections);
    }
}

static FILE *open_for_writing(const char *path, GError **errp)
{
    FILE *f = g_fopen(path, "w");

    if (!f) {
        g_set_error(errp, G_FILE_ERROR, g_file_error_from_errno(errno),
                    "cannot write %s: %s", path, g_strerror(errno));
    }
    return f;
}

static bool close_written(FILE *f, const char *path, GError **errp)
{
    bool failed = ferror(f);

    if (fclose(f) != 0 || failed) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_IO,
                    "error writing %s", path);
        return false;
    }
    return true;
}

bool output_sweep_csv_file(const char *path, const SweepPoint *points,
                           uint32_t n, GError **errp)
{
    FILE *f = open_for_writing(path, errp);

    if (!f) {
        return false;
    }
    output_sweep_csv(f, points, n);
    return close_written(f, path, errp);
}

bool output_timeseries_csv_file(const char *path, const GArray *samples,
                                uint32_t vulnerable, uint32_t hosts,
                                GError **errp)
{
    FILE *f = open_for_writing(path, errp);

    if (!f) {
        return false;
    }
    output_timeseries_csv(f, samples, vulnerable, hosts);
    return close_written(f, path, errp);
}

bool output_plot_name_ok(const char *plot_path)
{
    return g_str_has_suffix(plot_path, ".svg") ||
           g_str_has_suffix(plot_path, ".png");
}

static const char *terminal_for(const char *plot_path)
{
    return g_str_has_suffix(plot_path, ".png") ?
           "pngcairo size 800,600 font 'sans,11'" :
           "svg size 800,600 dynamic font 'sans,12'";
}

/* gnuplot single-quoted string: only the quote itself needs doubling. */
static char *gnuplot_quote(const char *s)
{
    GString *q = g_string_new("'");

    for (; *s; s++) {
        g_string_append(q, *s == '\'' ? "''" : (char[]) { *s, 0 });
    }
    g_string_append_c(q, '\'');
    return g_string_free(q, FALSE);
}

static bool run_gnuplot(const char *script, const char *data_path,
                        const char *plot_path, GError **errp)
{
    char *script_path = NULL;
    int fd = g_file_open_tmp("vigilante-sim-XXXXXX.gp", &script_path, errp);
    char *argv[] = { (char *)"gnuplot", NULL, NULL };
    char *err_text = NULL;
    int status = 0;
    bool ok = false;

    if (fd < 0) {
        return false;
    }
    close(fd);
    if (!g_file_set_contents(script_path, script, -1, errp)) {
        goto out;
    }
    argv[1] = script_path;
    if (!g_spawn_sync(NULL, argv, NULL, G_SPAWN_SEARCH_PATH |
                      G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL,
                      &err_text, &status, errp)) {
        g_prefix_error(errp, "cannot run gnuplot (is it installed?): ");
        goto out;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        g_set_error(errp, G_SPAWN_ERROR, G_SPAWN_ERROR_FAILED,
                    "gnuplot failed on %s: %s", plot_path,
                    err_text ? err_text : "");
        goto out;
    }
    ok = true;
out:
    g_unlink(script_path);
    g_unlink(data_path);
    g_free(script_path);
    g_free(err_text);
    return ok;
}

static char *temp_data_file(GError **errp)
{
    char *path = NULL;
    int fd = g_file_open_tmp("vigilante-sim-XXXXXX.csv", &path, errp);

    if (fd < 0) {
        return NULL;
    }
    close(fd);
    return path;
}

/*
 * Plot the CSV in `data` (a temporary file, removed here): the common
 * preamble, then `body`, in which each "@DATA@" stands for the data file.
 */
static bool plot_data(const char *plot_path, char *data, const char *title,
                      const char *body, GError **errp)
{
    g_autofree char *q_out = gnuplot_quote(plot_path);
    g_autofree char *q_data = gnuplot_quote(data);
    g_autofree char *q_title = gnuplot_quote(title);
    g_auto(GStrv) parts = g_strsplit(body, "@DATA@", -1);
    g_autofree char *plot_body = g_strjoinv(q_data, parts);
    g_autofree char *script = g_strdup_printf(
        "set terminal %s\n"
        "set output %s\n"
        "set datafile separator ','\n"
        "set title %s\n"
        "%s",
        terminal_for(plot_path), q_out, q_title, plot_body);
    bool ok = run_gnuplot(script, data, plot_path, errp);

    g_free(data);
    return ok;
}

/* A temporary data file written by `ok`; NULL (and no file) on failure. */
static char *data_written(char *data, bool ok)
{
    if (data && !ok) {
        g_unlink(data);
        g_free(data);
        return NULL;
    }
    return data;
}

bool output_sweep_plot(const char *plot_path, const SweepPoint *points,
                       uint32_t n, const char *title, GError **errp)
{
    char *data = temp_data_file(errp);

    data = data_written(data, data &&
                        output_sweep_csv_file(data, points, n, errp));
    return data && plot_data(plot_path, data, title,
        "set xlabel 'Fraction of detectors'\n"
        "set ylabel 'Fraction of survivors'\n"
        "set logscale x\n"
        "set xrange [0.0001:0.1]\n"
        "set yrange [0:1]\n"
        "set format x '%g'\n"
        "set key bottom right\n"
        "set grid\n"
        "plot @DATA@ using 1:8 skip 1 with linespoints pt 7 title 'worst case', \\\n"
        "     @DATA@ using 1:9 skip 1 with linespoints pt 6 dt 2 title 'median'\n",
        errp);
}

bool output_timeseries_plot(const char *plot_path, const GArray *samples,
                            uint32_t vulnerable, uint32_t hosts,
                            const char *title, GError **errp)
{
    char *data = temp_data_file(errp);

    data = data_written(data, data &&
                        output_timeseries_csv_file(data, samples, vulnerable,
                                                   hosts, errp));
    return data && plot_data(plot_path, data, title,
        "set xlabel 'Time (s)'\n"
        "set ylabel 'Fraction'\n"
        "set yrange [0:1]\n"
        "set key top left\n"
        "set grid\n"
        "plot @DATA@ using 1:3 skip 1 with lines lw 2 "
        "title 'infected (of vulnerable hosts)', \\\n"
        "     @DATA@ using 1:5 skip 1 with lines lw 2 dt 2 "
        "title 'holding the SCA (of all hosts)'\n",
        errp);
}
