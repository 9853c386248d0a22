/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vigilante-sim: transit-stub network topology.
 *
 * A generator in the spirit of the Georgia Tech (GT-ITM) transit-stub
 * model: transit domains connected to each other, transit routers with
 * stub domains hanging off them, each stub domain attached by a single
 * link to its transit router.  Routing follows per-edge policy weights
 * (not delays); the delay of a route is the sum of its link delays.
 * Hosts are attached to random stub routers over a LAN link.
 */
#ifndef SIM_TOPOLOGY_H
#define SIM_TOPOLOGY_H

#include <stdint.h>

#include "params.h"

typedef struct Topology {
    uint32_t n_transit;         /* transit routers: indices [0, n_transit) */
    uint32_t n_stubs;           /* stub domains */
    uint32_t stub_size;         /* routers per stub domain */
    uint32_t stubs_per_transit;
    uint32_t n_routers;
    uint32_t n_links;           /* router-level links */
    double mean_link_delay;     /* over router-level links, seconds */
    double lan_delay;

    /* Route delays (seconds) along the policy-weight shortest paths. */
    float *transit_delay;       /* n_transit x n_transit */
    float *stub_delay;          /* per stub: stub_size x stub_size */
    float *up_delay;            /* stub router -> its transit router */

    uint32_t n_hosts;
    uint32_t *host_router;      /* stub router of each host */
} Topology;

/* Build the router graph and attach n_hosts hosts; seeded. */
Topology *topology_new(const TopologyParams *p, uint32_t n_hosts,
                       uint64_t seed);
void topology_free(Topology *t);

static inline double topology_router_delay(const Topology *t,
                                           uint32_t a, uint32_t b)
{
    uint32_t la, lb, sa, sb;

    if (a == b) {
        return 0.0;
    }
    /* Hosts only sit on stub routers, which follow the transit ones. */
    la = a - t->n_transit;
    lb = b - t->n_transit;
    sa = la / t->stub_size;
    sb = lb / t->stub_size;
    if (sa == sb) {
        uint32_t s = t->stub_size;

        return t->stub_delay[(size_t)sa * s * s + (la % s) * s + lb % s];
    }
    /* Stub domains carry no transit traffic: up, across the core, down. */
    return (double)t->up_delay[la] + t->up_delay[lb] +
           t->transit_delay[(size_t)(sa / t->stubs_per_transit) * t->n_transit +
                            sb / t->stubs_per_transit];
}

/* One-way delay between two hosts, including both LAN links. */
static inline double topology_host_delay(const Topology *t,
                                         uint32_t h1, uint32_t h2)
{
    if (h1 == h2) {
        return 0.0;
    }
    return 2.0 * t->lan_delay +
           topology_router_delay(t, t->host_router[h1], t->host_router[h2]);
}

#endif
