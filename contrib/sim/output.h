/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vigilante-sim: CSV files and gnuplot figures.
 */
#ifndef SIM_OUTPUT_H
#define SIM_OUTPUT_H

#include <glib.h>
#include <stdbool.h>
#include <stdio.h>

#include "outbreak.h"
#include "sweep.h"

void output_sweep_csv(FILE *f, const SweepPoint *points, uint32_t n);
bool output_sweep_csv_file(const char *path, const SweepPoint *points,
                           uint32_t n, GError **errp);

/* Samples of one run: an array of OutbreakSample. */
void output_timeseries_csv(FILE *f, const GArray *samples,
                           uint32_t vulnerable, uint32_t hosts);
bool output_timeseries_csv_file(const char *path, const GArray *samples,
                                uint32_t vulnerable, uint32_t hosts,
                                GError **errp);

/*
 * Plot with gnuplot into plot_path; the terminal (SVG or PNG) follows
 * the file name's extension.  The sweep plot has Figure 2's axes:
 * fraction of survivors against fraction of detectors (log scale).
 */
bool output_sweep_plot(const char *plot_path, const SweepPoint *points,
                       uint32_t n, const char *title, GError **errp);
bool output_timeseries_plot(const char *plot_path, const GArray *samples,
                            uint32_t vulnerable, uint32_t hosts,
                            const char *title, GError **errp);

/* Check that a plot file name has an extension we can produce. */
bool output_plot_name_ok(const char *plot_path);

#endif
