/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vigilante-sim: statistics of the generated network and overlay,
 * for checking them against the paper's setup.
 */
#ifndef SIM_NETSTATS_H
#define SIM_NETSTATS_H

#include <stdint.h>

#include "outbreak.h"

typedef struct NetStats {
    double mean_host_delay;     /* over random host pairs, seconds */
    double max_host_delay;
    double mean_link_delay;     /* over overlay links */
    double mean_degree;         /* overlay out-degree */
    uint32_t min_degree, max_degree;
    uint32_t reached;           /* hosts an unhindered flood reaches */
    uint32_t max_hops;          /* overlay hops to the farthest host */
    double flood_time;          /* unhindered flood: last host verified */
    double median_flood_time;   /* ... half the hosts verified */
} NetStats;

/*
 * Sample delays and flood an SCA from host `source` with no attack,
 * no congestion and per-hop verification time verify_time.
 */
void netstats_compute(const SimWorld *w, uint32_t source, double verify_time,
                      uint64_t seed, NetStats *out);

#endif
