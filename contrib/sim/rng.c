/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vigilante-sim: small seeded pseudo-random number generator.
 */
#include <math.h>

#include "rng.h"

static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

void sim_rng_seed(SimRng *rng, uint64_t seed)
{
    uint64_t state = seed;

    for (int i = 0; i < 4; i++) {
        rng->s[i] = splitmix64(&state);
    }
}

uint64_t sim_rng_next(SimRng *rng)
{
    uint64_t *s = rng->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;

    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double sim_rng_uniform(SimRng *rng)
{
    /* the top 53 bits, scaled by 2^-53 */
    return (sim_rng_next(rng) >> 11) / (double)(UINT64_C(1) << 53);
}

uint32_t sim_rng_below(SimRng *rng, uint32_t n)
{
    /* Multiply-shift with rejection: unbiased and cheap. */
    uint64_t m = (sim_rng_next(rng) >> 32) * (uint64_t)n;
    uint32_t low = (uint32_t)m;

    if (low < n) {
        uint32_t threshold = -n % n;

        while (low < threshold) {
            m = (sim_rng_next(rng) >> 32) * (uint64_t)n;
            low = (uint32_t)m;
        }
    }
    return m >> 32;
}

double sim_rng_exponential(SimRng *rng, double rate)
{
    /* 1 - U lies in (0, 1], so the logarithm is finite. */
    return -log(1.0 - sim_rng_uniform(rng)) / rate;
}

uint64_t sim_seed_derive(uint64_t seed, uint64_t label)
{
    uint64_t state = seed ^ (label * 0xd1342543de82ef95ULL);

    splitmix64(&state);
    return splitmix64(&state);
}

void sim_rng_shuffle(SimRng *rng, uint32_t *v, uint32_t n)
{
    for (uint32_t i = n; i > 1; i--) {
        uint32_t j = sim_rng_below(rng, i);
        uint32_t tmp = v[i - 1];

        v[i - 1] = v[j];
        v[j] = tmp;
    }
}
