/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vigilante-sim: simulation parameters, defaults and validation.
 */
#include <glib.h>
#include <math.h>
#include <stddef.h>

#include "params.h"

void sim_params_init_defaults(SimParams *p)
{
    *p = (SimParams) {
        .topo = {
            /* 10 x 5 transit routers, each with 10 stubs of 10: 5050. */
            .transit_domains = 10,
            .transit_routers = 5,
            .stubs_per_transit = 10,
            .stub_routers = 10,
            .transit_edge_prob = 0.6,
            .stub_edge_prob = 0.4,
            .domain_edge_prob = 0.5,
            .delay_scale = 1.0,
            .lan_delay = 0.001,
        },
        .overlay = {
            .b = 1,
            .leaf_set = 32,
        },
        .model = {
            .hosts = 100000,
            .vulnerable = 100000,
            .initial_infected = 10,
            .beta = 0.117,
            .detector_fraction = 0.001,
            .sca_delay = 5.0,
            /* "The process takes a few milliseconds." */
            .verify_time = 0.003,
            .malicious_fraction = 0.1,
            .malicious_detectors = false,
            .congestion_delay = 0.0,
            .congestion_loss = 0.0,
            .fake_sca_rate = 0.0,
            .link_rate_limit = 10.0,
            .max_time = 0.0,
        },
        .seed = 1,
    };
}

static bool is_fraction(double v)
{
    return isfinite(v) && v >= 0.0 && v <= 1.0;
}

static bool is_non_negative(double v)
{
    return isfinite(v) && v >= 0.0;
}

/* The model's real-valued options: fractions, or non-negative values. */
typedef struct ModelRange {
    const char *flag;
    size_t offset;
    bool fraction;
} ModelRange;

static const ModelRange model_ranges[] = {
    { "--detector-fraction", offsetof(ModelParams, detector_fraction), true },
    { "--malicious-fraction", offsetof(ModelParams, malicious_fraction), true },
    { "--congestion-loss", offsetof(ModelParams, congestion_loss), true },
    { "--sca-delay", offsetof(ModelParams, sca_delay), false },
    { "--verify-time", offsetof(ModelParams, verify_time), false },
    { "--congestion-delay", offsetof(ModelParams, congestion_delay), false },
    { "--fake-sca-rate", offsetof(ModelParams, fake_sca_rate), false },
    { "--link-rate-limit", offsetof(ModelParams, link_rate_limit), false },
    { "--max-time", offsetof(ModelParams, max_time), false },
};

char *sim_params_check(const SimParams *p)
{
    const TopologyParams *t = &p->topo;
    const OverlayParams *o = &p->overlay;
    const ModelParams *m = &p->model;

    if (t->transit_domains < 1 || t->transit_routers < 1 ||
        t->stubs_per_transit < 1 || t->stub_routers < 1) {
        return g_strdup("topology sizes (--transit-domains, --transit-routers,"
                        " --stubs-per-transit, --stub-routers) must be >= 1");
    }
    if ((uint64_t)t->transit_domains * t->transit_routers > 1024) {
        return g_strdup("at most 1024 transit routers are supported "
                        "(--transit-domains x --transit-routers)");
    }
    if ((uint64_t)t->transit_domains * t->transit_routers *
        (1 + (uint64_t)t->stubs_per_transit * t->stub_routers) > 50000000) {
        return g_strdup("topology too large (more than 50 million routers)");
    }
    if (t->stub_routers > 1000) {
        return g_strdup("--stub-routers must be <= 1000");
    }
    if (!is_fraction(t->transit_edge_prob) || !is_fraction(t->stub_edge_prob) ||
        !is_fraction(t->domain_edge_prob)) {
        return g_strdup("edge probabilities must be within [0, 1]");
    }
    if (!is_non_negative(t->delay_scale)) {
        return g_strdup_printf("--delay-scale must be >= 0 (got %g)",
                               t->delay_scale);
    }
    if (!is_non_negative(t->lan_delay)) {
        return g_strdup_printf("--lan-delay must be >= 0 (got %g)",
                               t->lan_delay);
    }
    if (o->b != 1 && o->b != 2 && o->b != 4 && o->b != 8) {
        return g_strdup_printf("--pastry-b must be 1, 2, 4 or 8 (got %u)",
                               o->b);
    }
    if (o->leaf_set < 2 || o->leaf_set % 2 || o->leaf_set > 256) {
        return g_strdup_printf("--leaf-set must be even and within [2, 256] "
                               "(got %u)", o->leaf_set);
    }
    if (m->hosts < 2 || m->hosts > 20000000) {
        return g_strdup_printf("--hosts must be within [2, 20000000] (got %u)",
                               m->hosts);
    }
    if (m->vulnerable < 1 || m->vulnerable > m->hosts) {
        return g_strdup_printf("--vulnerable must be within [1, --hosts=%u] "
                               "(got %u)", m->hosts, m->vulnerable);
    }
    if (m->initial_infected < 1 || m->initial_infected > m->vulnerable) {
        return g_strdup_printf("--initial-infected must be within "
                               "[1, vulnerable hosts=%u] (got %u)",
                               m->vulnerable, m->initial_infected);
    }
    if (!isfinite(m->beta) || m->beta <= 0.0) {
        return g_strdup_printf("--beta must be > 0 (got %g)", m->beta);
    }
    for (size_t i = 0; i < G_N_ELEMENTS(model_ranges); i++) {
        const ModelRange *r = &model_ranges[i];
        double v = G_STRUCT_MEMBER(double, m, r->offset);

        if (r->fraction ? !is_fraction(v) : !is_non_negative(v)) {
            return g_strdup_printf("%s must be %s (got %g)", r->flag,
                                   r->fraction ? "within [0, 1]" : ">= 0", v);
        }
    }
    return NULL;
}
