/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vigilante-sim: small seeded pseudo-random number generator.
 *
 * xoshiro256** seeded through splitmix64.  Every random choice in the
 * simulator goes through one of these so that a seed fully determines
 * the output, independent of the number of threads.
 */
#ifndef SIM_RNG_H
#define SIM_RNG_H

#include <stdint.h>

typedef struct SimRng {
    uint64_t s[4];
} SimRng;

void sim_rng_seed(SimRng *rng, uint64_t seed);
uint64_t sim_rng_next(SimRng *rng);
/* Uniform in [0, 1). */
double sim_rng_uniform(SimRng *rng);
/* Uniform integer in [0, n); n must be > 0. */
uint32_t sim_rng_below(SimRng *rng, uint32_t n);
/* Exponentially distributed with the given rate (> 0). */
double sim_rng_exponential(SimRng *rng, double rate);
/* Derive an independent child seed from a parent seed and a label. */
uint64_t sim_seed_derive(uint64_t seed, uint64_t label);
/* Shuffle the first n entries of v in place (Fisher-Yates). */
void sim_rng_shuffle(SimRng *rng, uint32_t *v, uint32_t n);

#endif
