/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vigilante-sim: simulation parameters.
 *
 * The defaults reproduce the setup of section 5 of "Can we contain
 * Internet worms?" (Costa et al., HotNets 2004).  Times are in seconds.
 */
#ifndef SIM_PARAMS_H
#define SIM_PARAMS_H

#include <stdbool.h>
#include <stdint.h>

typedef struct TopologyParams {
    uint32_t transit_domains;       /* transit domains at the top level */
    uint32_t transit_routers;       /* routers per transit domain */
    uint32_t stubs_per_transit;     /* stub domains per transit router */
    uint32_t stub_routers;          /* routers per stub domain */
    double transit_edge_prob;       /* extra edge probability, transit domain */
    double stub_edge_prob;          /* extra edge probability, stub domain */
    double domain_edge_prob;        /* extra edge probability, domain level */
    double delay_scale;             /* multiplies the generated core delays */
    double lan_delay;               /* host <-> stub router link delay */
} TopologyParams;

typedef struct OverlayParams {
    uint32_t b;                     /* bits per Pastry digit */
    uint32_t leaf_set;              /* Pastry leaf set size l */
} OverlayParams;

typedef struct ModelParams {
    uint32_t hosts;                 /* overlay nodes */
    uint32_t vulnerable;            /* vulnerable hosts among them */
    uint32_t initial_infected;
    double beta;                    /* SI infection rate */
    double detector_fraction;       /* fraction of hosts that are detectors */
    double sca_delay;               /* probe at a detector -> SCA ready */
    double verify_time;             /* time to verify one SCA at a hop */
    double malicious_fraction;      /* hosts that never forward SCAs */
    bool malicious_detectors;       /* detectors may be malicious hosts too */
    double congestion_delay;        /* extra relative delay, all infected */
    double congestion_loss;         /* message loss probability, all infected */
    double fake_sca_rate;           /* fake SCAs/s per link per infected host */
    double link_rate_limit;         /* messages/s accepted per overlay link */
    double max_time;                /* stop here (0: run until resolved) */
} ModelParams;

typedef struct SimParams {
    TopologyParams topo;
    OverlayParams overlay;
    ModelParams model;
    uint64_t seed;
} SimParams;

void sim_params_init_defaults(SimParams *p);

/*
 * Check the parameters for consistency.  Returns NULL if they are
 * usable, otherwise a newly allocated message naming the bad value.
 */
char *sim_params_check(const SimParams *p);

#endif
