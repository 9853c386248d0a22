/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vigilante-sim: repeated runs and detector-fraction sweeps.
 */
#ifndef SIM_SWEEP_H
#define SIM_SWEEP_H

#include <stdbool.h>
#include <stdint.h>

#include "outbreak.h"

typedef struct SweepPoint {
    double detector_fraction;
    uint32_t detectors;
    uint32_t runs;
    double worst;               /* highest infected fraction of the runs */
    double median;
    double mean;
    double best;
    uint32_t worst_run;         /* run index that gave the worst case */
} SweepPoint;

typedef struct SweepConfig {
    const double *fractions;
    uint32_t n_fractions;
    uint32_t runs;              /* runs per detector fraction */
    uint32_t threads;
    bool progress;              /* progress line on stderr */
} SweepConfig;

/* Seed of run number run_index; the same for every detector fraction. */
uint64_t sweep_run_seed(uint64_t seed, uint32_t run_index);

/*
 * Run c->runs outbreaks per detector fraction with model base (its
 * detector fraction is replaced) and summarise each fraction into
 * points[i].  Results do not depend on the number of threads.
 */
void sweep_run(const SimWorld *w, const ModelParams *base,
               const SweepConfig *c, SweepPoint *points);

#endif
